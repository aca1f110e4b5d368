package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/search"
)

// CheckResult is what one role's check found.
type CheckResult struct {
	Role    string // code, feedback
	Model   string
	BaseURL string
	// Latency is the time of the plain chat request; Reply its answer
	// (shortened).
	Latency time.Duration
	Reply   string
	Usage   search.Usage
	// Tools says whether forced tool calls work: "yes", "no (...)" with the
	// reason; the reviewer then falls back to JSON in the reply.
	Tools        string
	ToolsLatency time.Duration
	// Completions reports the raw completions endpoint ("" unless the role
	// uses steerable reasoning).
	Completions string
	// Err is the failure of the plain request (nothing works then).
	Err error
}

// OK reports whether the role can be used.
func (r CheckResult) OK() bool {
	return r.Err == nil && (r.Completions == "" || strings.HasPrefix(r.Completions, "yes"))
}

// Check sends one tiny request per role (llm.code and llm.feedback): a
// plain chat message, a forced tool call, and for roles with steerable
// reasoning a raw completion. Retries are limited to one so a dead
// endpoint is reported quickly. Options are as for New (Transcript records
// the checks).
func Check(ctx context.Context, cfg configs.LLM, opts Options) ([]CheckResult, error) {
	shared, err := sharedOptions(cfg, opts)
	if err != nil {
		return nil, err
	}
	var out []CheckResult
	for _, role := range []struct {
		name string
		cfg  configs.LLMRole
	}{{"code", cfg.Code}, {"feedback", cfg.Feedback}} {
		rc := role.cfg
		rc.MaxRetries = min(rc.MaxRetries, 1)
		res := CheckResult{Role: role.name, Model: rc.Model, BaseURL: rc.BaseURL}
		cl, err := newClient(role.name, rc, shared)
		if err != nil {
			res.Err = err
			out = append(out, res)
			continue
		}
		if shared.transcript.path != "" {
			shared.transcript.red.secrets = append(shared.transcript.red.secrets, cl.red.secrets...)
		}
		checkRole(ctx, cl, cfg, &res)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
		out = append(out, res)
	}
	return out, nil
}

func checkRole(ctx context.Context, cl *client, cfg configs.LLM, res *CheckResult) {
	start := time.Now()
	r, u, err := cl.chat(ctx, callInfo{node: "check", call: "check"}, openai.ChatCompletionRequest{
		Messages: []openai.ChatCompletionMessage{{Role: "user", Content: "Reply with the single word: ok"}},
	}, nil)
	res.Latency, res.Usage = time.Since(start), u
	if err != nil {
		res.Err = err
		return
	}
	_, answer := SplitThinking(r.msg.Content)
	res.Reply = oneLine(answer, 60)

	tool := openai.Tool{Type: openai.ToolTypeFunction, Function: &openai.FunctionDefinition{
		Name:        "report",
		Description: "Report a status.",
		Parameters:  json.RawMessage(`{"type":"object","properties":{"status":{"type":"string"}},"required":["status"]}`),
	}}
	start = time.Now()
	r, u, err = cl.chat(ctx, callInfo{node: "check", call: "check-tools"}, openai.ChatCompletionRequest{
		Messages:   []openai.ChatCompletionMessage{{Role: "user", Content: "Call the function report with status \"ok\"."}},
		Tools:      []openai.Tool{tool},
		ToolChoice: openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: "report"}},
	}, nil)
	res.ToolsLatency = time.Since(start)
	res.Usage = res.Usage.Add(u)
	var ce *CallError
	switch {
	case toolsRefused(err) && errors.As(err, &ce) && ce.Local:
		res.Tools = "no (the client library refuses tool calls for this model; the reviewer will ask for JSON)"
	case toolsRefused(err) && errors.As(err, &ce):
		res.Tools = fmt.Sprintf("no (server refused forced tool calls, status %d; the reviewer will ask for JSON)", ce.Status)
	case err != nil:
		res.Tools = "no (" + oneLine(err.Error(), 200) + ")"
	case len(r.msg.ToolCalls) == 0:
		res.Tools = "no (the reply had no tool call; the reviewer will read JSON from the text)"
	case !json.Valid([]byte(r.msg.ToolCalls[0].Function.Arguments)):
		res.Tools = "no (the tool call's arguments are not valid JSON)"
	default:
		res.Tools = "yes"
	}

	if cl.cfg.SteerableReasoning {
		t, family, err := resolveTemplate(cl.cfg.Template, cl.cfg.Model, cfg.Templates)
		if err != nil {
			res.Completions = "no (" + err.Error() + ")"
			return
		}
		prompt := renderPrompt(t, []turn{{"user", "Reply with the single word: ok"}}, "The user wants one word.\n")
		text, _, u, err := cl.complete(ctx, callInfo{node: "check", call: "check-completions"}, prompt, t.Stop)
		res.Usage = res.Usage.Add(u)
		switch {
		case err != nil:
			res.Completions = "no (" + oneLine(err.Error(), 200) + ")"
		case !strings.Contains(text, firstNonEmpty(t.ThinkClose, "</think>")):
			res.Completions = "yes"
			if family != "" {
				res.Completions = "yes (template " + family + "; the thinking was not closed in this short reply)"
			}
		default:
			res.Completions = "yes"
		}
	}
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
