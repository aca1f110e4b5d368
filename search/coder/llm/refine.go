package llm

import (
	"context"
	"fmt"
	"strings"

	openai "github.com/sashabaranov/go-openai"

	"github.com/mlbench/mlbench/search"
)

const refineSystem = "You keep the working notes of an agent that solves a machine-learning competition by trying many programs. You rewrite its distilled notes into short, concrete guidance for its next attempts."

// Refine asks the feedback model to rewrite distilled task knowledge
// (memory.task_knowledge.refine); it is a memory.RefineFunc. Its usage is
// added to the next review's, so that the trace and the cost count it.
func (r *Reviewer) Refine(ctx context.Context, distilled string) (string, error) {
	info := callInfo{node: "knowledge", call: "refine"}
	user := fmt.Sprintf("# Task\n%s\n\n# Notes distilled from the attempts so far\n%s\n\n"+
		"Rewrite the notes as at most 12 bullet points: what works best and why, which errors recur and how to avoid them, "+
		"which changes did not help. Keep node ids and metric values exactly as given; add nothing that the notes do not support. "+
		"Reply with the bullet points only.", taskTitle(r.task), strings.TrimSpace(distilled))
	chat := []turn{{"system", refineSystem}, {"user", user}}
	var text string
	var u search.Usage
	var err error
	if r.steer {
		var raw string
		raw, _, u, err = r.cl.complete(ctx, info, renderPrompt(r.tmpl, chat, ""), r.tmpl.Stop)
		thinking, answer, _ := afterThinking(r.tmpl, raw)
		u.ReasoningTokens = estimateReasoning(u.CompletionTokens, thinking, answer)
		text = answer
	} else {
		msgs := make([]openai.ChatCompletionMessage, len(chat))
		for i, t := range chat {
			msgs[i] = openai.ChatCompletionMessage{Role: t.role, Content: t.content}
		}
		var res chatResult
		res, u, err = r.cl.chat(ctx, info, openai.ChatCompletionRequest{Messages: msgs}, nil)
		_, text = SplitThinking(res.msg.Content)
	}
	r.pendingMu.Lock()
	r.pending = r.pending.Add(u)
	r.pendingMu.Unlock()
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(text), nil
}

// takePending returns and clears the usage of calls made outside reviews.
func (r *Reviewer) takePending() search.Usage {
	r.pendingMu.Lock()
	defer r.pendingMu.Unlock()
	u := r.pending
	r.pending = search.Usage{}
	return u
}

// taskTitle names the task in one line.
func taskTitle(t Task) string {
	if t.Title != "" {
		return t.Title
	}
	return t.ID
}
