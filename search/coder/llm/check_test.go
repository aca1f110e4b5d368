package llm_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search/coder/llm"
)

func TestCheck(t *testing.T) {
	srv := newServer(t,
		// code: plain, tools, completions (steerable)
		reply("ok"),
		replyMsg(map[string]any{"tool_calls": []any{map[string]any{"id": "c", "type": "function",
			"function": map[string]any{"name": "report", "arguments": `{"status":"ok"}`}}}}, "tool_calls", usage(5, 1, -1)),
		completion("fine</think>ok", "stop", usage(5, 2, -1)),
		// feedback: plain, tools refused
		reply("<think>hm</think>ok"),
		status(http.StatusUnprocessableEntity))
	e := newEnv(t, srv.url())
	e.cfg.Code.Model, e.cfg.Code.SteerableReasoning = "qwen3-8b", true
	res, err := llm.Check(context.Background(), e.cfg, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("%d results", len(res))
	}
	code, fb := res[0], res[1]
	if !code.OK() || code.Reply != "ok" || code.Tools != "yes" || code.Completions != "yes" || code.Latency <= 0 {
		t.Errorf("code = %+v", code)
	}
	if !fb.OK() || fb.Reply != "ok" || !strings.Contains(fb.Tools, "status 422") {
		t.Errorf("feedback = %+v", fb)
	}
	if code.Usage.PromptTokens != 110 {
		t.Errorf("usage = %+v", code.Usage)
	}
	if prompt, _ := srv.requests()[2].Body["prompt"].(string); !strings.HasSuffix(prompt, "<|im_start|>assistant\n<think>\nThe user wants one word.\n") {
		t.Errorf("completions prompt = %q", prompt)
	}
}
