package llm

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mlbench/mlbench/configs"
)

// Templates are the built-in chat templates for steerable reasoning, by
// family. llm.templates in the config adds families or replaces these.
var Templates = map[string]configs.ChatTemplate{
	// DeepSeek-R1 and its distillations.
	"deepseek-r1": {
		Prefix:     "<｜begin▁of▁sentence｜>",
		System:     "{content}",
		User:       "<｜User｜>{content}",
		Assistant:  "<｜Assistant｜>{content}<｜end▁of▁sentence｜>",
		Generation: "<｜Assistant｜>",
		ThinkOpen:  "<think>\n",
		ThinkClose: "</think>",
		Stop:       []string{"<｜end▁of▁sentence｜>"},
	},
	// Qwen3 and QwQ (ChatML).
	"qwen3": {
		System:     "<|im_start|>system\n{content}<|im_end|>\n",
		User:       "<|im_start|>user\n{content}<|im_end|>\n",
		Assistant:  "<|im_start|>assistant\n{content}<|im_end|>\n",
		Generation: "<|im_start|>assistant\n",
		ThinkOpen:  "<think>\n",
		ThinkClose: "</think>",
		Stop:       []string{"<|im_end|>", "<|endoftext|>"},
	},
}

// resolveTemplate picks the template of a role: the named family (config
// templates first, then the built-in ones), or, when none is named, the
// family guessed from the model name.
func resolveTemplate(family, model string, extra map[string]configs.ChatTemplate) (configs.ChatTemplate, string, error) {
	if family == "" {
		m := strings.ToLower(model)
		switch {
		case strings.Contains(m, "qwen3"), strings.Contains(m, "qwq"):
			family = "qwen3"
		case strings.Contains(m, "deepseek-r1"), strings.Contains(m, "deepseek-reasoner"), strings.Contains(m, "r1-distill"):
			family = "deepseek-r1"
		default:
			return configs.ChatTemplate{}, "", fmt.Errorf("no chat template for model %q: set template to one of %s, or add one under llm.templates", model, strings.Join(templateNames(extra), ", "))
		}
	}
	if t, ok := extra[family]; ok {
		return t, family, nil
	}
	if t, ok := Templates[family]; ok {
		return t, family, nil
	}
	return configs.ChatTemplate{}, "", fmt.Errorf("unknown chat template %q: expected one of %s, or add it under llm.templates", family, strings.Join(templateNames(extra), ", "))
}

func templateNames(extra map[string]configs.ChatTemplate) []string {
	seen := map[string]bool{}
	var names []string
	for _, m := range []map[string]configs.ChatTemplate{Templates, extra} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	return names
}

// turn is one message of a chat.
type turn struct {
	role    string // system, user, assistant
	content string
}

// renderPrompt renders a chat and opens the model's turn with its thinking
// pre-filled: Prefix, the messages, Generation, ThinkOpen, then prefill.
// The model continues the thinking, closes it and answers.
func renderPrompt(t configs.ChatTemplate, chat []turn, prefill string) string {
	var b strings.Builder
	b.WriteString(t.Prefix)
	for _, m := range chat {
		pat := t.User
		switch m.role {
		case "system":
			pat = t.System
		case "assistant":
			pat = t.Assistant
		}
		b.WriteString(strings.ReplaceAll(pat, "{content}", m.content))
	}
	b.WriteString(t.Generation)
	b.WriteString(t.ThinkOpen)
	b.WriteString(prefill)
	return b.String()
}

// afterThinking returns the text after the thinking closes; ok is false
// when the completion never closed it.
func afterThinking(t configs.ChatTemplate, completion string) (thinking, answer string, ok bool) {
	close := t.ThinkClose
	if close == "" {
		close = "</think>"
	}
	i := strings.Index(completion, close)
	if i < 0 {
		return completion, "", false
	}
	return completion[:i], completion[i+len(close):], true
}
