package llm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/llm"
)

// testKey is the API key of the tests; it must never reach a file.
const testKey = "sk-test-7f3a9c1e5b2d4a60-SECRET"

// step answers one request of the fake server.
type step func(w http.ResponseWriter, r *http.Request)

// seen is one request the fake server received.
type seen struct {
	Path string
	Auth string
	Body map[string]any
}

// fakeServer is a loopback OpenAI-compatible endpoint that answers
// requests with a script, in order.
type fakeServer struct {
	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	script []step
	reqs   []seen
}

func newServer(t testing.TB, script ...step) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) serve(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	f.mu.Lock()
	f.reqs = append(f.reqs, seen{Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body})
	var s step
	if len(f.script) > 0 {
		s, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if s == nil {
		f.t.Errorf("unexpected request %d to %s: script exhausted", len(f.reqs), r.URL.Path)
		http.Error(w, `{"error":{"message":"script exhausted"}}`, http.StatusInternalServerError)
		return
	}
	s(w, r)
}

// push appends steps to the script.
func (f *fakeServer) push(s ...step) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, s...)
}

func (f *fakeServer) requests() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.reqs...)
}

func (f *fakeServer) url() string { return f.srv.URL + "/v1" }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// usage is a usage object; reasoning < 0 leaves the details out.
func usage(prompt, completion, reasoning int) map[string]any {
	u := map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
	if reasoning >= 0 {
		u["completion_tokens_details"] = map[string]any{"reasoning_tokens": reasoning}
	}
	return u
}

// replyMsg answers a chat request with a message object.
func replyMsg(msg map[string]any, finish string, u map[string]any) step {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := msg["role"]; !ok {
			msg["role"] = "assistant"
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "test-model",
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
			"usage":   u,
		})
	}
}

// reply answers a chat request with content.
func reply(content string) step {
	return replyMsg(map[string]any{"content": content}, "stop", usage(100, 50, -1))
}

// toolReply answers with a submit_review tool call carrying args.
func toolReply(args string) step {
	return replyMsg(map[string]any{"content": "", "tool_calls": []any{map[string]any{
		"id": "call_1", "type": "function", "function": map[string]any{"name": "submit_review", "arguments": args},
	}}}, "tool_calls", usage(300, 40, -1))
}

// completion answers a raw completions request.
func completion(text, finish string, u map[string]any) step {
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{
			"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "test-model",
			"choices": []any{map[string]any{"index": 0, "text": text, "finish_reason": finish}},
			"usage":   u,
		})
	}
}

// status answers with an HTTP error.
func status(code int, header ...string) step {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		writeJSON(w, code, map[string]any{"error": map[string]any{"message": fmt.Sprintf("scripted %d", code), "type": "test"}})
	}
}

// truncatedBody sends half of a valid reply.
func truncatedBody(w http.ResponseWriter, r *http.Request) {
	full := `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"plan\n` + "```python\\nprint(1)\\n```" + `"},"finish_reason":"stop"}]}`
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, full[:len(full)/2])
}

// malformedBody sends a body that is not JSON.
func malformedBody(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "<html>502 Bad Gateway</html>")
}

// resetConn drops the connection with a TCP reset.
func resetConn(w http.ResponseWriter, r *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("no hijacker")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	conn.Close()
}

// hang never answers; the client's per-attempt timeout must end it.
func hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

// sleeps records the waits between retries without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// env is a test setup: a config pointing at a fake server and options.
type env struct {
	cfg    configs.LLM
	opts   llm.Options
	sleeps *sleeps
	task   llm.Task
}

func newEnv(t testing.TB, url string) *env {
	t.Helper()
	role := configs.LLMRole{
		Model: "test-model", BaseURL: url, APIKeyEnv: "TEST_LLM_KEY",
		Temperature: 0.2, MaxTokens: 1000, Timeout: 5 * time.Second,
		MaxRetries: 3, FormatRetries: 2,
	}
	sl := &sleeps{}
	lower := false
	return &env{
		cfg:    configs.LLM{Code: role, Feedback: role},
		sleeps: sl,
		opts: llm.Options{
			Getenv:     func(k string) string { return map[string]string{"TEST_LLM_KEY": testKey}[k] },
			Backoff:    llm.Backoff{Base: 10 * time.Millisecond, Max: 80 * time.Millisecond},
			Sleep:      sl.sleep,
			Transcript: filepath.Join(t.TempDir(), "transcript.jsonl"),
		},
		task: llm.Task{
			ID: "demo-task", Title: "Demo task", Description: "Predict the label of each row.",
			DataPreview: "train.csv (1.0 kB)", InputDir: "/data/input", SubmissionPath: "/data/submission/submission.csv",
			WorkingDir: "/data/work", Metric: "accuracy", LowerIsBetter: &lower, TimeLimit: time.Hour, GPU: true,
		},
	}
}

func (e *env) build(t testing.TB) (*llm.Coder, *llm.Reviewer) {
	t.Helper()
	c, r, err := llm.New(e.cfg, e.task, e.opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, r
}

// draftReq is a draft request for node id.
func draftReq(id string) search.Request {
	return search.Request{Stage: search.StageDraft, NodeID: id, Step: 1, StepsLeft: 40, TimeLeft: 3 * time.Hour}
}

// mustDraft asks c for the draft of node "1" and fails the test on error.
func mustDraft(t testing.TB, c *llm.Coder) search.Proposal {
	t.Helper()
	p, err := c.Draft(context.Background(), draftReq("1"))
	if err != nil {
		t.Fatalf("Draft: %v", err)
	}
	return p
}

const goodReply = "I will fit a logistic regression on the numeric columns.\n\n```python\nimport pandas as pd\nprint('validation_metric: 0.9')\n```\n"

// userText returns the text of a request's messages with the given role.
func messages(s seen) []map[string]any {
	raw, _ := s.Body["messages"].([]any)
	var out []map[string]any
	for _, m := range raw {
		if mm, ok := m.(map[string]any); ok {
			out = append(out, mm)
		}
	}
	return out
}

func content(m map[string]any) string {
	s, _ := m["content"].(string)
	return s
}

func containsAll(t testing.TB, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s does not contain %q", what, sub)
		}
	}
}
