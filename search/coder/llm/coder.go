package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/search"
)

// ErrNoCode is returned when a model's replies held no usable program
// after the reminders (llm.code.format_retries).
var ErrNoCode = errors.New("llm: reply has no code")

// Options are the harness's inputs beyond the config. All are optional.
type Options struct {
	// Memory builds the memory context of each expansion; nil uses
	// DefaultContext(ContextBudget, Knowledge, Wisdom).
	Memory ContextBuilder
	// Knowledge and Wisdom supply the task-knowledge and cross-task texts
	// to the default context builder.
	Knowledge func() string
	Wisdom    func() string
	// ContextBudget bounds the default context in characters (0: none).
	ContextBudget int
	// Transcript is the JSONL file every exchange is appended to ("" for
	// none); the harness puts it in the work item's directory.
	Transcript string
	// Meter sums usage per model; nil makes a new one (see Coder.Meter).
	Meter *Meter
	// Getenv reads the API key variables; nil means os.Getenv.
	Getenv func(string) string
	// HTTPClient sends requests; nil means a plain http.Client (timeouts
	// come from the role's timeout per attempt).
	HTTPClient *http.Client
	// Backoff is the retry schedule; zero means DefaultBackoff.
	Backoff Backoff
	// Sleep waits between retries; nil waits on a timer, returning early
	// with ctx's error when ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Coder writes solutions with the llm.code model. It implements
// search.Coder and is safe for concurrent use.
type Coder struct {
	cl            *client
	task          Task
	memory        ContextBuilder
	steer         bool
	tmpl          configs.ChatTemplate
	formatRetries int
	meter         *Meter
}

var _ search.Coder = (*Coder)(nil)

// New builds the coder (llm.code) and the reviewer (llm.feedback) of one
// task-run. They share the transcript, the meter and, when llm.replay is
// set, the recorded exchanges they answer from instead of the network.
// Keys are read from the environment variables the roles name; a missing
// key is an error wrapping ErrNoKey.
func New(cfg configs.LLM, task Task, opts Options) (*Coder, *Reviewer, error) {
	shared, err := sharedOptions(cfg, opts)
	if err != nil {
		return nil, nil, err
	}
	code, err := newClient("code", cfg.Code, shared)
	if err != nil {
		return nil, nil, err
	}
	feedback, err := newClient("feedback", cfg.Feedback, shared)
	if err != nil {
		return nil, nil, err
	}
	// One redactor for the shared transcript: both keys are scrubbed.
	shared.transcript.red = redactor{secrets: append(append([]string(nil), code.red.secrets...), feedback.red.secrets...)}
	code.red, feedback.red = shared.transcript.red, shared.transcript.red

	c := &Coder{cl: code, task: task, memory: opts.Memory, formatRetries: cfg.Code.FormatRetries, meter: shared.meter}
	if c.memory == nil {
		c.memory = DefaultContext(opts.ContextBudget, opts.Knowledge, opts.Wisdom)
	}
	if cfg.Code.SteerableReasoning {
		t, _, err := resolveTemplate(cfg.Code.Template, cfg.Code.Model, cfg.Templates)
		if err != nil {
			return nil, nil, fmt.Errorf("llm.code.template: %w", err)
		}
		c.steer, c.tmpl = true, t
	}
	r := &Reviewer{cl: feedback, task: task, formatRetries: cfg.Feedback.FormatRetries}
	if cfg.Feedback.SteerableReasoning {
		t, _, err := resolveTemplate(cfg.Feedback.Template, cfg.Feedback.Model, cfg.Templates)
		if err != nil {
			return nil, nil, fmt.Errorf("llm.feedback.template: %w", err)
		}
		r.steer, r.tmpl = true, t
	}
	return c, r, nil
}

func sharedOptions(cfg configs.LLM, opts Options) (clientOptions, error) {
	o := clientOptions{
		getenv:     opts.Getenv,
		transcript: &transcript{path: opts.Transcript},
		httpClient: opts.HTTPClient,
		sleep:      opts.Sleep,
		backoff:    opts.Backoff,
		meter:      opts.Meter,
	}
	if o.getenv == nil {
		o.getenv = os.Getenv
	}
	if o.meter == nil {
		o.meter = &Meter{}
	}
	if cfg.Replay != "" {
		rp, err := newReplayer(cfg.Replay)
		if err != nil {
			return clientOptions{}, fmt.Errorf("llm.replay: %w", err)
		}
		o.replay = rp
	}
	return o, nil
}

// Meter returns the usage meter shared by the coder and the reviewer.
func (c *Coder) Meter() *Meter { return c.meter }

// Draft writes a solution from scratch.
func (c *Coder) Draft(ctx context.Context, req search.Request) (search.Proposal, error) {
	return c.write(ctx, req)
}

// Improve changes a working parent.
func (c *Coder) Improve(ctx context.Context, req search.Request) (search.Proposal, error) {
	return c.write(ctx, req)
}

// Debug repairs a buggy parent.
func (c *Coder) Debug(ctx context.Context, req search.Request) (search.Proposal, error) {
	return c.write(ctx, req)
}

// write asks for a plan and code, reminding the model up to formatRetries
// times when a reply has none (or was cut at the length limit).
func (c *Coder) write(ctx context.Context, req search.Request) (search.Proposal, error) {
	memory := c.memory.Context(req)
	info := callInfo{node: req.NodeID, call: string(req.Stage)}
	user := coderPrompt(c.task, req, memory, !c.steer)
	chat := []turn{{"system", systemPrompt}, {"user", user}}
	var total search.Usage
	for try := 0; ; try++ {
		var reply Reply
		truncated := false
		if c.steer {
			prompt := renderPrompt(c.tmpl, chat, thinkingPrefill(req, memory))
			text, finish, u, err := c.cl.complete(ctx, info, prompt, c.tmpl.Stop)
			thinking, answer, closed := afterThinking(c.tmpl, text)
			u.ReasoningTokens = estimateReasoning(u.CompletionTokens, thinking, answer)
			total = total.Add(u)
			if err != nil {
				return search.Proposal{Usage: total}, err
			}
			truncated = finish == "length"
			if closed {
				reply = ParseReply(answer)
			}
		} else {
			msgs := make([]openai.ChatCompletionMessage, len(chat))
			for i, t := range chat {
				msgs[i] = openai.ChatCompletionMessage{Role: t.role, Content: t.content}
			}
			res, u, err := c.cl.chat(ctx, info, openai.ChatCompletionRequest{Messages: msgs}, nil)
			total = total.Add(u)
			if err != nil {
				return search.Proposal{Usage: total}, err
			}
			reply = ParseReply(res.msg.Content)
			truncated = res.finish == openai.FinishReasonLength
		}
		if reply.Code != "" && (reply.Complete || !truncated) {
			return search.Proposal{Plan: reply.Plan, Code: reply.Code, Usage: total}, nil
		}
		if try >= c.formatRetries {
			what := "no python code block"
			if truncated {
				what = "the program was cut at the length limit"
			}
			return search.Proposal{Usage: total}, fmt.Errorf("%w: %s after %d reply(ies)", ErrNoCode, what, try+1)
		}
		answer := reply.Answer
		if answer == "" {
			answer = "(no answer)"
		}
		chat = append(chat, turn{"assistant", answer}, turn{"user", reminder(truncated)})
	}
}
