package llm_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/llm"
)

func TestDraftPromptAndReply(t *testing.T) {
	srv := newServer(t, reply(goodReply))
	e := newEnv(t, srv.url())
	e.cfg.Code.Extra = map[string]any{"top_k": 20, "chat_template_kwargs": map[string]any{"enable_thinking": false}}
	c, _ := e.build(t)
	p := mustDraft(t, c)
	if p.Code != "import pandas as pd\nprint('validation_metric: 0.9')" {
		t.Errorf("code = %q", p.Code)
	}
	if p.Plan != "I will fit a logistic regression on the numeric columns." {
		t.Errorf("plan = %q", p.Plan)
	}
	if p.Usage.PromptTokens != 100 || p.Usage.CompletionTokens != 50 || p.Usage.LLMSeconds <= 0 {
		t.Errorf("usage = %+v", p.Usage)
	}
	reqs := srv.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/v1/chat/completions" || r.Auth != "Bearer "+testKey {
		t.Errorf("path %q auth %q", r.Path, r.Auth)
	}
	if r.Body["model"] != "test-model" || r.Body["temperature"] != 0.2 || r.Body["max_tokens"] != float64(1000) || r.Body["top_k"] != float64(20) {
		t.Errorf("request fields: %v", r.Body)
	}
	if kw, _ := r.Body["chat_template_kwargs"].(map[string]any); kw["enable_thinking"] != false {
		t.Errorf("extra nested field not merged: %v", r.Body["chat_template_kwargs"])
	}
	msgs := messages(r)
	if len(msgs) != 2 || msgs[0]["role"] != "system" || msgs[1]["role"] != "user" {
		t.Fatalf("messages = %v", msgs)
	}
	containsAll(t, "user prompt", content(msgs[1]),
		"Predict the label of each row.", "/data/input", "/data/submission/submission.csv", "/data/work",
		"validation_metric: <number>", "accuracy", "Higher is better", "1h0m0s", "40 attempts", "3h0m0s",
		"GPU is available", "train.csv (1.0 kB)", "No solution has been written yet", "```python")
}

func TestTemperatureAndTokenFields(t *testing.T) {
	cases := []struct {
		name, model string
		temp        float64
		wantTemp    any // nil: absent
		tokensField string
	}{
		{"zero temperature is sent", "test-model", 0, 0.0, "max_tokens"},
		{"openai reasoning model", "o3-mini", 0.7, nil, "max_completion_tokens"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, reply(goodReply))
			e := newEnv(t, srv.url())
			e.cfg.Code.Model, e.cfg.Code.Temperature = tc.model, tc.temp
			c, _ := e.build(t)
			mustDraft(t, c)
			b := srv.requests()[0].Body
			if got, ok := b["temperature"]; (tc.wantTemp == nil && ok) || (tc.wantTemp != nil && got != tc.wantTemp) {
				t.Errorf("temperature = %v (present %v), want %v", got, ok, tc.wantTemp)
			}
			if b[tc.tokensField] != float64(1000) {
				t.Errorf("%s = %v", tc.tokensField, b[tc.tokensField])
			}
		})
	}
}

func TestReasoningReplies(t *testing.T) {
	cases := []struct {
		name          string
		step          step
		wantCode      string
		wantReasoning func(int64) bool
	}{
		{
			name: "inline think with a decoy block and reported reasoning tokens",
			step: replyMsg(map[string]any{"content": "<think>maybe ```python\nprint('no')\n``` is enough</think>\nPlan: print yes.\n```python\nprint('yes')\n```"},
				"stop", usage(10, 80, 60)),
			wantCode:      "print('yes')",
			wantReasoning: func(n int64) bool { return n == 60 },
		},
		{
			name: "reasoning_content without token details is estimated",
			step: replyMsg(map[string]any{"content": "Plan.\n```python\nprint(2)\n```", "reasoning_content": strings.Repeat("thinking hard. ", 40)},
				"stop", usage(10, 100, -1)),
			wantCode:      "print(2)",
			wantReasoning: func(n int64) bool { return n > 50 && n < 100 },
		},
		{
			name: "vllm reasoning field",
			step: replyMsg(map[string]any{"content": "Plan.\n```python\nprint(3)\n```", "reasoning": strings.Repeat("step. ", 40)},
				"stop", usage(10, 100, -1)),
			wantCode:      "print(3)",
			wantReasoning: func(n int64) bool { return n > 50 && n < 100 },
		},
		{
			name:          "closing tag only (template opened the thinking)",
			step:          replyMsg(map[string]any{"content": "the data is small</think>Plan.\n```python\nprint(4)\n```"}, "stop", usage(10, 30, -1)),
			wantCode:      "print(4)",
			wantReasoning: func(n int64) bool { return n > 0 && n < 30 },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.step)
			c, _ := newEnv(t, srv.url()).build(t)
			p := mustDraft(t, c)
			if p.Code != tc.wantCode {
				t.Errorf("code = %q, want %q", p.Code, tc.wantCode)
			}
			if !tc.wantReasoning(p.Usage.ReasoningTokens) {
				t.Errorf("reasoning tokens = %d", p.Usage.ReasoningTokens)
			}
		})
	}
}

func TestReplyWithoutCodeIsRetriedWithReminder(t *testing.T) {
	srv := newServer(t,
		reply("I would train a gradient-boosting model on all columns."),
		reply(goodReply))
	e := newEnv(t, srv.url())
	c, _ := e.build(t)
	p := mustDraft(t, c)
	if !strings.Contains(p.Code, "validation_metric") {
		t.Errorf("code = %q", p.Code)
	}
	if p.Usage.PromptTokens != 200 || p.Usage.CompletionTokens != 100 {
		t.Errorf("usage not summed over both replies: %+v", p.Usage)
	}
	msgs := messages(srv.requests()[1])
	if len(msgs) != 4 || msgs[2]["role"] != "assistant" || !strings.Contains(content(msgs[2]), "gradient-boosting") {
		t.Fatalf("second request messages = %v", msgs)
	}
	containsAll(t, "reminder", content(msgs[3]), "did not contain the program", "```python")
	if len(e.sleeps.all()) != 0 {
		t.Errorf("a format retry must not back off: %v", e.sleeps.all())
	}
}

func TestReplyCutAtLengthIsRetried(t *testing.T) {
	srv := newServer(t,
		replyMsg(map[string]any{"content": "Plan.\n```python\nimport numpy as np\nfor i in range("}, "length", usage(10, 1000, -1)),
		reply(goodReply))
	c, _ := newEnv(t, srv.url()).build(t)
	p := mustDraft(t, c)
	if !strings.Contains(p.Code, "validation_metric") {
		t.Errorf("code = %q", p.Code)
	}
	msgs := messages(srv.requests()[1])
	containsAll(t, "reminder", content(msgs[len(msgs)-1]), "cut off", "shorter")
}

func TestNoCodeAfterRemindersFailsTheNode(t *testing.T) {
	srv := newServer(t, reply("no code"), reply("still none"), reply("sorry"))
	c, _ := newEnv(t, srv.url()).build(t)
	_, err := c.Draft(context.Background(), draftReq("1"))
	if !errors.Is(err, llm.ErrNoCode) || errors.Is(err, search.ErrFatal) {
		t.Fatalf("err = %v, want ErrNoCode and not fatal", err)
	}
	if n := len(srv.requests()); n != 3 {
		t.Errorf("%d requests, want 1 + format_retries(2)", n)
	}
}

func TestFaultsAreRetried(t *testing.T) {
	cases := []struct {
		name   string
		fault  step
		status int    // recorded status of the failed attempts
		kind   string // recorded error kind when no response came
	}{
		{"429", status(http.StatusTooManyRequests), 429, ""},
		{"500", status(http.StatusInternalServerError), 500, ""},
		{"502", status(http.StatusBadGateway), 502, ""},
		{"503", status(http.StatusServiceUnavailable), 503, ""},
		{"timeout", hang, 0, "timeout"},
		{"connection reset", resetConn, 0, "transport"},
		{"truncated json", truncatedBody, 200, ""},
		{"malformed json", malformedBody, 200, ""},
		{"no choices", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"id": "x", "choices": []any{}})
		}, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.fault, tc.fault, reply(goodReply))
			e := newEnv(t, srv.url())
			e.cfg.Code.Timeout = 200 * time.Millisecond
			c, _ := e.build(t)
			p := mustDraft(t, c)
			if p.Code == "" {
				t.Error("no code")
			}
			if n := len(srv.requests()); n != 3 {
				t.Errorf("%d requests, want 3", n)
			}
			waits := e.sleeps.all()
			if len(waits) != 2 {
				t.Fatalf("waits = %v, want 2", waits)
			}
			// Exponential backoff with jitter: attempt n waits within [d/2, d], d = 10ms*2^n.
			for i, w := range waits {
				d := 10 * time.Millisecond << i
				if w < d/2 || w > d {
					t.Errorf("wait %d = %v, want within [%v, %v]", i, w, d/2, d)
				}
			}
			recs, err := llm.ReadTranscript(e.opts.Transcript)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 3 || recs[0].Attempt != 0 || recs[2].Attempt != 2 || recs[2].Seq != 2 {
				t.Fatalf("transcript records = %+v", recs)
			}
			if recs[0].Status != tc.status || recs[0].ErrorKind != tc.kind || recs[2].Status != 200 {
				t.Errorf("failed attempt recorded as status %d kind %q (error %q)", recs[0].Status, recs[0].ErrorKind, recs[0].Error)
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	cases := []struct {
		name   string
		header string
		min    time.Duration
	}{
		{"seconds", "3", 3 * time.Second},
		{"fraction", "1.5", 1500 * time.Millisecond},
		{"capped at ten minutes", "86400", 10 * time.Minute},
		{"http date", time.Now().Add(5 * time.Minute).UTC().Format(http.TimeFormat), 4 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, status(http.StatusTooManyRequests, "Retry-After", tc.header), reply(goodReply))
			e := newEnv(t, srv.url())
			c, _ := e.build(t)
			mustDraft(t, c)
			waits := e.sleeps.all()
			if len(waits) != 1 || waits[0] < tc.min || waits[0] > 10*time.Minute {
				t.Errorf("waits = %v, want one of at least %v", waits, tc.min)
			}
		})
	}
}

func TestCredentialErrorsAreFatal(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				// Real servers echo (part of) the key they rejected.
				writeJSON(w, code, map[string]any{"error": map[string]any{"message": "Incorrect API key provided: " + strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}})
			})
			e := newEnv(t, srv.url())
			c, _ := e.build(t)
			_, err := c.Draft(context.Background(), draftReq("1"))
			if !errors.Is(err, search.ErrFatal) {
				t.Fatalf("err = %v, want ErrFatal", err)
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error shows the key: %v", err)
			}
			if !strings.Contains(err.Error(), "$TEST_LLM_KEY") {
				t.Errorf("error does not name the key variable: %v", err)
			}
			if len(srv.requests()) != 1 || len(e.sleeps.all()) != 0 {
				t.Errorf("credential errors must not be retried")
			}
		})
	}
}

func TestRetriesExhaustedFailTheNodeOnly(t *testing.T) {
	srv := newServer(t, status(500), status(500), status(500), status(500))
	e := newEnv(t, srv.url())
	c, _ := e.build(t)
	_, err := c.Draft(context.Background(), draftReq("1"))
	var ce *llm.CallError
	if !errors.As(err, &ce) || errors.Is(err, search.ErrFatal) {
		t.Fatalf("err = %v, want a non-fatal *CallError", err)
	}
	if ce.Attempts != 4 || ce.Status != 500 || ce.Role != "code" || ce.Call != "draft" {
		t.Errorf("CallError = %+v", ce)
	}
	if len(e.sleeps.all()) != 3 {
		t.Errorf("waits = %v", e.sleeps.all())
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	srv := newServer(t, status(http.StatusBadRequest))
	e := newEnv(t, srv.url())
	c, _ := e.build(t)
	_, err := c.Draft(context.Background(), draftReq("1"))
	var ce *llm.CallError
	if !errors.As(err, &ce) || ce.Status != 400 || errors.Is(err, search.ErrFatal) {
		t.Fatalf("err = %v", err)
	}
	if len(srv.requests()) != 1 {
		t.Errorf("a 400 was retried")
	}
}

func TestCancellationStopsTheBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hit := make(chan struct{}, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hit <- struct{}{}
		status(http.StatusServiceUnavailable)(w, r)
	})
	e := newEnv(t, srv.url())
	e.opts.Sleep = nil // the real timer
	e.opts.Backoff = llm.Backoff{Base: time.Hour, Max: time.Hour}
	c, _ := e.build(t)
	go func() {
		<-hit
		// Give the client time to read the 503 and start its hour-long wait.
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	done := make(chan error, 1)
	go func() {
		_, err := c.Draft(ctx, draftReq("1"))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Draft did not return after cancellation")
	}
}

func TestMissingKeyIsAnError(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1:1/v1")
	e.opts.Getenv = func(string) string { return "" }
	_, _, err := llm.New(e.cfg, e.task, e.opts)
	if !errors.Is(err, llm.ErrNoKey) || !strings.Contains(err.Error(), "TEST_LLM_KEY") {
		t.Fatalf("err = %v", err)
	}
	e.cfg.Code.APIKeyEnv, e.cfg.Feedback.APIKeyEnv = "", ""
	if _, _, err := llm.New(e.cfg, e.task, e.opts); err != nil {
		t.Errorf("a server without keys: %v", err)
	}
}

func TestImproveAndDebugPrompts(t *testing.T) {
	metric := 0.81
	parent := &search.NodeSnapshot{ID: "3", Stage: search.StageDraft, Plan: "Random forest on raw features.",
		Code: "print('validation_metric: 0.81')", Output: "validation_metric: 0.81\n", Summary: "Worked, 0.81.",
		Metric: &metric, SubmissionExists: true, FormatValid: true}
	buggy := &search.NodeSnapshot{ID: "4", Stage: search.StageDraft, Plan: "CatBoost.",
		Code: "import catboost", Output: "ModuleNotFoundError: No module named 'catboost'", Summary: "catboost is missing.",
		IsBuggy: true, ExitCode: 1}
	earlier := search.NodeSnapshot{ID: "2", Plan: "Tried installing it.", IsBuggy: true, ExitCode: 1, Summary: "pip not allowed"}
	cases := []struct {
		name string
		call func(*llm.Coder) (search.Proposal, error)
		want []string
	}{
		{"improve", func(c *llm.Coder) (search.Proposal, error) {
			return c.Improve(context.Background(), search.Request{Stage: search.StageImprove, NodeID: "5", Parent: parent,
				Siblings: []search.NodeSnapshot{{ID: "6", Plan: "Added target encoding.", Metric: ptr(0.8)}}})
		}, []string{"Solution to improve (node 3: validation metric 0.81", "Random forest", "print('validation_metric: 0.81')", "Worked, 0.81.", "Added target encoding.", "one focused change"}},
		{"debug", func(c *llm.Coder) (search.Proposal, error) {
			return c.Debug(context.Background(), search.Request{Stage: search.StageDebug, NodeID: "5", Parent: buggy,
				DebugChain: []search.NodeSnapshot{earlier}})
		}, []string{"Buggy solution to fix (node 4: buggy (exit code 1)", "No module named 'catboost'", "catboost is missing.", "Tried installing it.", "did not work", "Find the cause"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, reply(goodReply))
			c, _ := newEnv(t, srv.url()).build(t)
			if _, err := tc.call(c); err != nil {
				t.Fatal(err)
			}
			msgs := messages(srv.requests()[0])
			containsAll(t, "prompt", content(msgs[1]), tc.want...)
		})
	}
}

func TestInjectedMemory(t *testing.T) {
	srv := newServer(t, reply(goodReply))
	e := newEnv(t, srv.url())
	var got search.Request
	e.opts.Memory = llm.ContextFunc(func(req search.Request) string {
		got = req
		return "MEMORY-FROM-HARNESS"
	})
	c, _ := e.build(t)
	if _, err := c.Draft(context.Background(), draftReq("9")); err != nil {
		t.Fatal(err)
	}
	if got.NodeID != "9" {
		t.Errorf("builder got %+v", got)
	}
	containsAll(t, "prompt", content(messages(srv.requests()[0])[1]), "# Memory\n", "\nMEMORY-FROM-HARNESS\n\n# Your job now\n")
}

func TestDefaultContextKnowledgeAndWisdom(t *testing.T) {
	b := llm.DefaultContext(0, func() string { return "KNOW" }, func() string { return "WISE" })
	draft := b.Context(search.Request{Stage: search.StageDraft})
	containsAll(t, "draft context", draft, "KNOW", "WISE")
	imp := b.Context(search.Request{Stage: search.StageImprove, Parent: &search.NodeSnapshot{ID: "1", Code: "x=1"}})
	if strings.Contains(imp, "WISE") || !strings.Contains(imp, "KNOW") {
		t.Errorf("improve context: wisdom is for drafts only, knowledge always: %q", imp)
	}
	long := llm.DefaultContext(500, nil, nil).Context(search.Request{Stage: search.StageDebug,
		Parent: &search.NodeSnapshot{ID: "1", Code: strings.Repeat("x = 1\n", 1000), Output: strings.Repeat("line\n", 1000)}})
	if len(long) > 500 {
		t.Errorf("budget 500 gave %d characters", len(long))
	}
}

func TestSteerableReasoning(t *testing.T) {
	metric := 0.7
	parent := &search.NodeSnapshot{ID: "3", Plan: "Linear model.", Code: "print('PARENT-CODE')", Output: "validation_metric: 0.7",
		Summary: "Works.", Metric: &metric, SubmissionExists: true, FormatValid: true}
	cases := []struct {
		name, model, template   string
		templates               map[string]configs.ChatTemplate
		wantPrefix, wantSuffix  string
		wantStop                string
		wantInUserNotInThinking string
	}{
		{name: "deepseek-r1 guessed from the model", model: "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
			wantPrefix: "<｜begin▁of▁sentence｜>" + "You are a senior", wantSuffix: "<｜Assistant｜><think>\n", wantStop: "<｜end▁of▁sentence｜>"},
		{name: "qwen3 named", model: "my-model", template: "qwen3",
			wantPrefix: "<|im_start|>system\nYou are a senior", wantSuffix: "<|im_start|>assistant\n<think>\n", wantStop: "<|im_end|>"},
		{name: "custom template from config", model: "my-model", template: "mine",
			templates:  map[string]configs.ChatTemplate{"mine": {System: "[S]{content}", User: "[U]{content}", Generation: "[A]", ThinkOpen: "<reason>", ThinkClose: "</reason>", Stop: []string{"[END]"}}},
			wantPrefix: "[S]You are a senior", wantSuffix: "[A]<reason>", wantStop: "[END]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			close := "</think>"
			if tc.template == "mine" {
				close = "</reason>"
			}
			text := "I remember the parent scored 0.7, so scaling the features should help.\n" + close +
				"\nStandardise the features, then fit the model.\n```python\nprint('steered')\n```\n"
			srv := newServer(t, completion(text, "stop", usage(500, 100, -1)))
			e := newEnv(t, srv.url())
			e.cfg.Code.Model, e.cfg.Code.Template, e.cfg.Code.SteerableReasoning = tc.model, tc.template, true
			e.cfg.Templates = tc.templates
			c, _ := e.build(t)
			p, err := c.Improve(context.Background(), search.Request{Stage: search.StageImprove, NodeID: "4", Parent: parent})
			if err != nil {
				t.Fatal(err)
			}
			if p.Code != "print('steered')" || p.Plan != "Standardise the features, then fit the model." {
				t.Errorf("proposal = %+v", p)
			}
			if p.Usage.ReasoningTokens <= 0 || p.Usage.ReasoningTokens >= 100 {
				t.Errorf("reasoning tokens = %d, want an estimate within (0, 100)", p.Usage.ReasoningTokens)
			}
			r := srv.requests()[0]
			if r.Path != "/v1/completions" {
				t.Fatalf("path = %s", r.Path)
			}
			prompt, _ := r.Body["prompt"].(string)
			if !strings.HasPrefix(prompt, tc.wantPrefix) {
				t.Errorf("prompt starts %q", prompt[:min(80, len(prompt))])
			}
			i := strings.LastIndex(prompt, tc.wantSuffix)
			if i < 0 {
				t.Fatalf("prompt lacks the opened thinking %q", tc.wantSuffix)
			}
			thinking, user := prompt[i:], prompt[:i]
			containsAll(t, "pre-filled thinking", thinking, "PARENT-CODE", "validation metric 0.7", "node 3")
			if strings.Contains(user, "PARENT-CODE") || strings.Contains(user, "# Memory") {
				t.Error("steered prompt repeats the memory outside the thinking")
			}
			if stop, _ := r.Body["stop"].([]any); len(stop) == 0 || stop[0] != tc.wantStop {
				t.Errorf("stop = %v", r.Body["stop"])
			}
		})
	}
}

func TestSteerableUnclosedThinkingIsRetried(t *testing.T) {
	srv := newServer(t,
		completion("thinking and thinking and never stopping", "length", usage(500, 1000, -1)),
		completion("short</think>Plan.\n```python\nprint(1)\n```", "stop", usage(500, 10, -1)))
	e := newEnv(t, srv.url())
	e.cfg.Code.Model, e.cfg.Code.SteerableReasoning = "qwen3-32b", true
	c, _ := e.build(t)
	p := mustDraft(t, c)
	if p.Code != "print(1)" {
		t.Errorf("code = %q", p.Code)
	}
	prompt, _ := srv.requests()[1].Body["prompt"].(string)
	containsAll(t, "second prompt", prompt, "<|im_start|>user\nYour reply was cut off")
}

func TestUnknownTemplate(t *testing.T) {
	e := newEnv(t, "http://127.0.0.1:1/v1")
	e.cfg.Code.SteerableReasoning = true
	_, _, err := llm.New(e.cfg, e.task, e.opts)
	if err == nil || !strings.Contains(err.Error(), "llm.code.template") || !strings.Contains(err.Error(), "deepseek-r1, qwen3") {
		t.Fatalf("err = %v", err)
	}
}

func TestCost(t *testing.T) {
	prices := map[string]configs.Price{"gpt-4o-mini": {Prompt: 0.15, Completion: 0.6}, "gpt-4o": {Prompt: 2.5, Completion: 10}}
	u := search.Usage{PromptTokens: 1_000_000, CompletionTokens: 500_000, ReasoningTokens: 100_000}
	cases := []struct {
		model string
		want  float64
		ok    bool
	}{
		{"gpt-4o-mini", 0.45, true},
		{"gpt-4o-mini-2024-07-18", 0.45, true},
		{"gpt-4o-2024-08-06", 7.5, true},
		{"deepseek-chat", 0, false},
	}
	for _, tc := range cases {
		got, ok := llm.Cost(prices, tc.model, u)
		if ok != tc.ok || diff(got, tc.want) > 1e-9 {
			t.Errorf("Cost(%s) = %v, %v; want %v, %v", tc.model, got, ok, tc.want, tc.ok)
		}
	}
	var m llm.Meter
	m.Add("gpt-4o-mini", u)
	m.Add("gpt-4o-mini", u)
	m.Add("local", u)
	usd, unpriced := m.Cost(prices)
	if diff(usd, 0.9) > 1e-9 || len(unpriced) != 1 || unpriced[0] != "local" {
		t.Errorf("Meter.Cost = %v, %v", usd, unpriced)
	}
	if m.Total().PromptTokens != 3_000_000 {
		t.Errorf("Meter.Total = %+v", m.Total())
	}
}

func TestMeterCountsBothRoles(t *testing.T) {
	srv := newServer(t, reply(goodReply), toolReply(`{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":0.9,"lower_is_better":false}`))
	e := newEnv(t, srv.url())
	e.cfg.Feedback.Model = "review-model"
	c, r := e.build(t)
	p := mustDraft(t, c)
	if _, err := r.Review(context.Background(), search.NodeSnapshot{ID: "1", Code: p.Code}, okRun()); err != nil {
		t.Fatal(err)
	}
	u := c.Meter().Usage()
	if u["test-model"].PromptTokens != 100 || u["review-model"].PromptTokens != 300 {
		t.Errorf("meter = %+v", u)
	}
}

func ptr(f float64) *float64 { return &f }

func diff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}
