package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	openai "github.com/sashabaranov/go-openai"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/search"
)

// ErrNoReview is returned when the feedback model's replies held no usable
// review after the reminders (llm.feedback.format_retries).
var ErrNoReview = errors.New("llm: reply has no review")

// Reviewer reads executions with the llm.feedback model. It implements
// search.Reviewer and is safe for concurrent use.
//
// It forces a call of the function submit_review {is_bug,
// has_csv_submission, summary, metric, lower_is_better}. When the server
// rejects forced tool calls (HTTP 400 or 422, or the client library refuses
// them for the model) it asks, from then on, for a
// JSON object in a ```json block instead; a reply that carries the object
// in its text instead of a tool call is accepted too.
type Reviewer struct {
	cl            *client
	task          Task
	steer         bool
	tmpl          configs.ChatTemplate
	formatRetries int
	noTools       atomic.Bool

	pendingMu sync.Mutex
	pending   search.Usage // refinements since the last review
}

var _ search.Reviewer = (*Reviewer)(nil)

// reviewTool is the function the model must call.
var reviewTool = openai.Tool{
	Type: openai.ToolTypeFunction,
	Function: &openai.FunctionDefinition{
		Name:        "submit_review",
		Description: "Submit your review of the program's execution.",
		Parameters: json.RawMessage(`{
  "type": "object",
  "properties": {
    "is_bug": {"type": "boolean", "description": "true if the run failed: an error or traceback, it did not finish, no submission was written, or the validation metric is missing or not credible"},
    "has_csv_submission": {"type": "boolean", "description": "true if the program wrote the submission file"},
    "summary": {"type": "string", "description": "two to four sentences: what was done and the result; for a bug, its cause and how to fix it"},
    "metric": {"type": ["number", "null"], "description": "the validation metric the program printed (validation_metric: <number>), or null if none"},
    "lower_is_better": {"type": "boolean", "description": "true if a lower value of this metric is better (e.g. RMSE, log loss), false if higher is better (e.g. accuracy, AUC)"}
  },
  "required": ["is_bug", "has_csv_submission", "summary", "metric", "lower_is_better"]
}`),
	},
}

// Review asks the model for its reading of one execution. The executor's
// facts override it: a failed run (non-zero exit, timeout, out of memory,
// missing or invalid submission) is a bug, and a bug has no metric.
func (r *Reviewer) Review(ctx context.Context, node search.NodeSnapshot, res search.ExecResult) (search.Review, error) {
	info := callInfo{node: node.ID, call: "review"}
	user := reviewPrompt(r.task, node, res)
	chat := []turn{{"system", reviewSystem}, {"user", user}}
	total := r.takePending()
	for try := 0; ; try++ {
		v, answer, u, err := r.ask(ctx, info, chat)
		total = total.Add(u)
		if err != nil {
			return search.Review{Usage: total}, err
		}
		if v != nil {
			return applyFacts(*v, res, total), nil
		}
		if try >= r.formatRetries {
			return search.Review{Usage: total}, fmt.Errorf("%w after %d reply(ies)", ErrNoReview, try+1)
		}
		if answer == "" {
			answer = "(no answer)"
		}
		chat = append(chat, turn{"assistant", answer}, turn{"user", "Your reply did not contain the review. Reply with only a ```json block holding one object with the keys is_bug, has_csv_submission, summary, metric, lower_is_better."})
	}
}

// ask sends one review request; v is nil when the reply carried no review.
func (r *Reviewer) ask(ctx context.Context, info callInfo, chat []turn) (v *verdict, answer string, u search.Usage, err error) {
	if r.steer {
		prompt := renderPrompt(r.tmpl, withJSONAsk(chat), "")
		text, _, u, err := r.cl.complete(ctx, info, prompt, r.tmpl.Stop)
		thinking, answer, _ := afterThinking(r.tmpl, text)
		u.ReasoningTokens = estimateReasoning(u.CompletionTokens, thinking, answer)
		if err != nil {
			return nil, "", u, err
		}
		if vv, ok := verdictInText(answer); ok {
			return &vv, answer, u, nil
		}
		return nil, answer, u, nil
	}
	// In replay the tool decision is made per node, as it was when the
	// exchanges were recorded, not from other nodes' history.
	useTools := r.cl.replay != nil || !r.noTools.Load()
	if useTools {
		v, answer, u, err := r.chat(ctx, info, chat, true)
		if !toolsRefused(err) {
			return v, answer, u, err
		}
		// The server refuses forced tool calls: ask for JSON from now on.
		r.noTools.Store(true)
		v, answer, u2, err := r.chat(ctx, info, chat, false)
		return v, answer, u.Add(u2), err
	}
	return r.chat(ctx, info, chat, false)
}

func (r *Reviewer) chat(ctx context.Context, info callInfo, chat []turn, tools bool) (*verdict, string, search.Usage, error) {
	if !tools {
		chat = withJSONAsk(chat)
	}
	msgs := make([]openai.ChatCompletionMessage, len(chat))
	for i, t := range chat {
		msgs[i] = openai.ChatCompletionMessage{Role: t.role, Content: t.content}
	}
	req := openai.ChatCompletionRequest{Messages: msgs}
	if tools {
		req.Tools = []openai.Tool{reviewTool}
		req.ToolChoice = openai.ToolChoice{Type: openai.ToolTypeFunction, Function: openai.ToolFunction{Name: "submit_review"}}
	}
	var v *verdict
	var answer string
	res, u, err := r.cl.chat(ctx, info, req, func(res chatResult) error {
		_, answer = SplitThinking(res.msg.Content)
		for _, tc := range res.msg.ToolCalls {
			if tc.Function.Name != "submit_review" {
				continue
			}
			args := strings.TrimSpace(tc.Function.Arguments)
			if args == "" || args == "{}" {
				return &replyFault{"empty submit_review tool call"}
			}
			vv, err := parseVerdict([]byte(args))
			if err != nil {
				return &replyFault{"malformed submit_review arguments: " + err.Error()}
			}
			v = &vv
			return nil
		}
		if vv, ok := verdictInText(answer); ok {
			v = &vv
		}
		return nil
	})
	_ = res
	return v, answer, u, err
}

// toolsRefused reports an error that means the endpoint (or the client
// library, for the model) does not take a forced tool call.
func toolsRefused(err error) bool {
	var ce *CallError
	if err == nil || !errors.As(err, &ce) || errors.Is(err, search.ErrFatal) {
		return false
	}
	return ce.Local || ce.Status == http.StatusBadRequest || ce.Status == http.StatusUnprocessableEntity
}

// withJSONAsk adds the request for a JSON block to the first user message.
func withJSONAsk(chat []turn) []turn {
	out := append([]turn(nil), chat...)
	for i := range out {
		if out[i].role == "user" {
			out[i].content += "\n\n" + jsonAsk
			break
		}
	}
	return out
}

const jsonAsk = "Answer with a single ```json block holding one object with these keys: is_bug (boolean), has_csv_submission (boolean), summary (string), metric (number or null), lower_is_better (boolean)."

const reviewSystem = "You review the execution of a machine-learning program written for a Kaggle-style competition. You read its code and its output and report, precisely and briefly, whether it worked and which validation score it reached."

// reviewPrompt renders what the reviewer sees of one execution.
func reviewPrompt(t Task, node search.NodeSnapshot, res search.ExecResult) string {
	var b strings.Builder
	b.WriteString("# Task\n")
	if t.Title != "" {
		fmt.Fprintf(&b, "%s\n\n", t.Title)
	}
	desc := strings.TrimSpace(t.Description)
	if len(desc) > 6000 {
		desc = desc[:6000] + "\n[... description cut ...]"
	}
	b.WriteString(desc)
	b.WriteString("\n")
	if t.Metric != "" {
		fmt.Fprintf(&b, "\nCompetition metric: %s", t.Metric)
		if t.LowerIsBetter != nil {
			if *t.LowerIsBetter {
				b.WriteString(" (lower is better)")
			} else {
				b.WriteString(" (higher is better)")
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "The program had to write its submission to `%s` and print `validation_metric: <number>` for held-out data.\n", t.SubmissionPath)
	if node.Plan != "" {
		fmt.Fprintf(&b, "\n# Plan\n%s\n", strings.TrimSpace(node.Plan))
	}
	fmt.Fprintf(&b, "\n# Code\n```python\n%s\n```\n", elideMiddle(node.Code, 24000))
	b.WriteString("\n# Execution facts\n")
	fmt.Fprintf(&b, "- exit code: %d\n", res.ExitCode)
	if res.TimedOut {
		b.WriteString("- the run was killed at the time limit\n")
	}
	if res.OOM {
		b.WriteString("- the run was killed for using too much memory\n")
	}
	fmt.Fprintf(&b, "- run time: %.1fs\n", res.Seconds)
	if res.SubmissionExists {
		b.WriteString("- the submission file was written")
		if res.FormatValid {
			b.WriteString(" and has a valid format\n")
		} else {
			fmt.Fprintf(&b, " but its format is invalid: %s\n", res.FormatError)
		}
	} else {
		b.WriteString("- the submission file was NOT written\n")
	}
	fmt.Fprintf(&b, "\n# Output\n```\n%s\n```\n", tail(res.Output, 16000))
	b.WriteString("\nReview this run. It is a bug if it failed, raised an error, did not finish, wrote no submission, or printed no credible validation metric. Report the metric exactly as printed (null if there is none).\n")
	return b.String()
}

// verdict is a parsed review before the executor's facts are applied.
type verdict struct {
	IsBug         bool
	HasCSV        *bool
	Summary       string
	Metric        *float64
	LowerIsBetter *bool
}

// parseVerdict reads a review object. is_bug is required; metric is a
// number when it is a JSON number (integers included) or a string holding
// one, and no metric otherwise (null, "N/A", NaN, infinities, objects).
func parseVerdict(raw []byte) (verdict, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return verdict{}, err
	}
	if m == nil {
		return verdict{}, errors.New("not an object")
	}
	var v verdict
	bug, ok := asBool(m["is_bug"])
	if !ok {
		return verdict{}, errors.New("is_bug missing or not a boolean")
	}
	v.IsBug = *bug
	v.HasCSV, _ = asBool(m["has_csv_submission"])
	v.LowerIsBetter, _ = asBool(m["lower_is_better"])
	v.Metric = asNumber(m["metric"])
	switch s := m["summary"].(type) {
	case string:
		v.Summary = strings.TrimSpace(s)
	case nil:
	default:
		b, _ := json.Marshal(s)
		v.Summary = string(b)
	}
	return v, nil
}

func asBool(x any) (*bool, bool) {
	switch t := x.(type) {
	case bool:
		return &t, true
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(t)); err == nil {
			return &b, true
		}
	}
	return nil, false
}

func asNumber(x any) *float64 {
	var s string
	switch t := x.(type) {
	case json.Number:
		s = t.String()
	case string:
		s = strings.TrimSpace(t)
	default:
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// verdictInText finds a review object in a reply's text: in a ```json (or
// untagged) block first, else the first {...} that parses as one.
func verdictInText(text string) (verdict, bool) {
	for _, b := range fences(text) {
		if b.lang == "json" || b.lang == "" {
			if v, err := parseVerdict([]byte(b.body)); err == nil {
				return v, true
			}
		}
	}
	for i, tries := 0, 0; i < len(text) && tries < 50; i++ {
		if text[i] != '{' {
			continue
		}
		tries++
		dec := json.NewDecoder(strings.NewReader(text[i:]))
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			continue
		}
		if v, err := parseVerdict(raw); err == nil {
			return v, true
		}
	}
	return verdict{}, false
}

// applyFacts turns a verdict into a Review, letting the executor's facts
// override the model's opinion.
func applyFacts(v verdict, res search.ExecResult, u search.Usage) search.Review {
	rev := search.Review{IsBug: v.IsBug, Summary: v.Summary, Metric: v.Metric, LowerIsBetter: v.LowerIsBetter, Usage: u}
	var facts []string
	switch {
	case res.TimedOut:
		facts = append(facts, "the run was killed at the time limit")
	case res.OOM:
		facts = append(facts, "the run was killed for using too much memory")
	case res.ExitCode != 0:
		facts = append(facts, fmt.Sprintf("the program exited with code %d", res.ExitCode))
	}
	if !res.SubmissionExists {
		facts = append(facts, "no submission file was written")
	} else if !res.FormatValid {
		facts = append(facts, "the submission's format is invalid: "+res.FormatError)
	}
	if len(facts) > 0 {
		rev.IsBug = true
		note := "Executor: " + strings.Join(facts, "; ") + "."
		if rev.Summary == "" {
			rev.Summary = note
		} else {
			rev.Summary += " " + note
		}
	}
	if rev.IsBug {
		rev.Metric = nil
	}
	return rev
}
