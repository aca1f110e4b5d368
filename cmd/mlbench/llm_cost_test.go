package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/results"
)

// cachingModels is a loopback OpenAI-compatible server for two models that
// report cached prompt tokens the way their providers do: the coder model
// in prompt_tokens_details.cached_tokens (OpenAI, vLLM), the reviewer
// model as prompt_cache_hit_tokens/prompt_cache_miss_tokens (DeepSeek).
func cachingModels(t *testing.T, key string) *httptest.Server {
	t.Helper()
	metric := regexp.MustCompile(`validation_metric: ([0-9.]+)`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, `{"error":{"message":"bad key"}}`, http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		msg := map[string]any{"role": "assistant"}
		var usage map[string]any
		switch req["model"] {
		case "reviewer-model":
			m := "null"
			if got := metric.FindAllStringSubmatch(string(body), -1); len(got) > 0 {
				m = got[len(got)-1][1]
			}
			msg["content"] = ""
			msg["tool_calls"] = []map[string]any{{"id": "call_1", "type": "function", "function": map[string]any{"name": "submit_review",
				"arguments": fmt.Sprintf(`{"is_bug": false, "has_csv_submission": true, "summary": "ran", "metric": %s, "lower_is_better": false}`, m)}}}
			usage = map[string]any{"prompt_tokens": 600, "completion_tokens": 50, "total_tokens": 650,
				"prompt_cache_hit_tokens": 400, "prompt_cache_miss_tokens": 200}
		case "coder-model":
			msg["content"] = "Plan: gradient boosting on one-hot features with a hold-out.\n\n```python\n" + llmSolution + "```\n"
			usage = map[string]any{"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
				"prompt_tokens_details": map[string]any{"cached_tokens": 1000}}
		default:
			http.Error(w, `{"error":{"message":"unknown model"}}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "c", "object": "chat.completion", "created": 1, "model": req["model"],
			"choices": []map[string]any{{"index": 0, "message": msg, "finish_reason": "stop"}}, "usage": usage})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestIntegrationCostPerRole: with a coder and a reviewer of different
// models and prices, and prompt caching, the report's usage per role and
// its cost equal a hand computation.
func TestIntegrationCostPerRole(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import sklearn, pandas").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs /usr/bin/python3 with scikit-learn and pandas")
		}
		t.Skip("needs /usr/bin/python3 with scikit-learn and pandas")
	}
	const key = "sk-test-cost-0123456789"
	srv := cachingModels(t, key)
	root := t.TempDir()
	runs := filepath.Join(root, "runs")
	out, errOut, code := mlbench(t, []string{"OPENAI_API_KEY=" + key},
		"run", "--task", "demo-binary-auc", "--steps", "2", "--time-limit", "5m", "--coder", "llm",
		"--set", "llm.code.base_url="+srv.URL+"/v1", "--set", "llm.feedback.base_url="+srv.URL+"/v1",
		"--set", "llm.code.model=coder-model", "--set", "llm.feedback.model=reviewer-model",
		"--set", "llm.prices={coder-model: {prompt: 1.0, completion: 4.0, cached_prompt: 0.25}, reviewer-model: {prompt: 0.27, completion: 1.1, cached_prompt: 0.07}}",
		"--set", "search.workers=1", "--set", "data.demo_dir="+filepath.Join(root, "demo"),
		"--set", "exec.python=/usr/bin/python3", "--set", "memory.wisdom.dir="+filepath.Join(root, "wisdom"),
		"--results", runs)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	dirs, _ := filepath.Glob(filepath.Join(runs, "*"))
	if len(dirs) != 1 {
		t.Fatalf("run dirs: %v", dirs)
	}
	out, errOut, code = mlbench(t, nil, "report", dirs[0], "--format", "json")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	var rep results.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, out)
	}
	// Two nodes, each one coder call and one review.
	want := map[string]results.UsageRow{
		"coder":    {Role: "coder", PromptTokens: 2400, CachedPromptTokens: 2000, CompletionTokens: 600},
		"reviewer": {Role: "reviewer", PromptTokens: 1200, CachedPromptTokens: 800, CompletionTokens: 100},
	}
	coderUSD := 2 * (200*1.0 + 1000*0.25 + 300*4.0) / 1e6 // uncached, cached, completion
	reviewerUSD := 2 * (200*0.27 + 400*0.07 + 50*1.1) / 1e6
	cost := map[string]float64{"coder": coderUSD, "reviewer": reviewerUSD}
	if len(rep.Usage) != 2 {
		t.Fatalf("usage rows: %+v", rep.Usage)
	}
	for _, u := range rep.Usage {
		w := want[u.Role]
		if u.PromptTokens != w.PromptTokens || u.CachedPromptTokens != w.CachedPromptTokens || u.CompletionTokens != w.CompletionTokens {
			t.Errorf("%s usage = %+v, want %+v", u.Role, u, w)
		}
		if math.Abs(u.CostUSD-cost[u.Role]) > 1e-9 {
			t.Errorf("%s cost = %.9f, want %.9f", u.Role, u.CostUSD, cost[u.Role])
		}
	}
	if len(rep.Medals) == 0 || math.Abs(rep.Medals[0].CostUSD-(coderUSD+reviewerUSD)) > 1e-9 {
		t.Errorf("medal row cost = %+v, want %.9f per run", rep.Medals, coderUSD+reviewerUSD)
	}
	text, _, _ := mlbench(t, nil, "report", dirs[0])
	for _, s := range []string{"LLM usage by role", "Cache hit %", "83.3", "66.7", "0.0033", "0.000274"} {
		if !strings.Contains(text, s) {
			t.Errorf("report text lacks %q:\n%s", s, text)
		}
	}
}
