package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeLLM is a loopback OpenAI-compatible server for `mlbench llm check`.
// With tools false it refuses forced tool calls as some servers do.
func fakeLLM(t *testing.T, key string, tools bool) *httptest.Server {
	t.Helper()
	return chatServer(t, key, func(w http.ResponseWriter, _ []byte, req map[string]any) (map[string]any, map[string]any) {
		msg := map[string]any{"role": "assistant", "content": "ok"}
		if _, forced := req["tool_choice"]; forced {
			if !tools {
				http.Error(w, `{"error":{"message":"tool_choice is not supported"}}`, http.StatusBadRequest)
				return nil, nil
			}
			msg = map[string]any{"role": "assistant", "tool_calls": []any{map[string]any{
				"id": "c1", "type": "function", "function": map[string]any{"name": "report", "arguments": `{"status":"ok"}`}}}}
		}
		return msg, map[string]any{"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}
	})
}

func TestLLMCheck(t *testing.T) {
	const key = "sk-check-test-0123456789"
	t.Setenv("TEST_LLM_CHECK_KEY", key)
	good := fakeLLM(t, key, true)
	noTools := fakeLLM(t, key, false)
	transcript := filepath.Join(t.TempDir(), "check.jsonl")
	out, _, err := runApp(t, "llm", "check",
		"--transcript", transcript,
		"--set", "llm.code.base_url="+good.URL+"/v1", "--set", "llm.code.api_key_env=TEST_LLM_CHECK_KEY",
		"--set", "llm.feedback.base_url="+noTools.URL+"/v1", "--set", "llm.feedback.api_key_env=TEST_LLM_CHECK_KEY",
		"--set", "llm.feedback.model=other-model")
	if err != nil {
		t.Fatalf("check: %v\n%s", err, out)
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[0], "ROLE") || !strings.Contains(lines[1], "code") || !strings.Contains(lines[1], `"ok"`) || !strings.Contains(lines[1], "yes") {
		t.Errorf("code row:\n%s", out)
	}
	if !strings.Contains(lines[2], "feedback") || !strings.Contains(lines[2], "other-model") || !strings.Contains(lines[2], " no ") {
		t.Errorf("feedback row:\n%s", out)
	}
	if !strings.Contains(out, "status 400; the reviewer will ask for JSON") {
		t.Errorf("no explanation of the missing tool calls:\n%s", out)
	}
	b, err := os.ReadFile(transcript)
	if err != nil || strings.Contains(string(b), key) || len(b) == 0 {
		t.Errorf("transcript: %v, key present %v", err, strings.Contains(string(b), key))
	}
}

func TestLLMCheckFailures(t *testing.T) {
	const key = "sk-check-test-0123456789"
	srv := fakeLLM(t, key, true)
	cases := []struct {
		name, env string
		want      []string
	}{
		{"missing key", "", []string{"TEST_LLM_CHECK_KEY is empty", "2 of 2 role(s) cannot be used"}},
		{"rejected key", "sk-wrong", []string{"credentials rejected", "check $TEST_LLM_CHECK_KEY"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TEST_LLM_CHECK_KEY", tc.env)
			out, _, err := runApp(t, "llm", "check",
				"--set", "llm.code.base_url="+srv.URL+"/v1", "--set", "llm.code.api_key_env=TEST_LLM_CHECK_KEY",
				"--set", "llm.feedback.base_url="+srv.URL+"/v1", "--set", "llm.feedback.api_key_env=TEST_LLM_CHECK_KEY",
				"--set", "llm.code.max_retries=0", "--set", "llm.feedback.max_retries=0")
			if err == nil || exitCode(err) != 1 {
				t.Fatalf("err = %v, want exit 1", err)
			}
			all := out + err.Error()
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
			if tc.env != "" && strings.Contains(all, tc.env) {
				t.Errorf("output shows the key")
			}
		})
	}
}
