package main

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
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
	return chatServer(t, key, func(w http.ResponseWriter, body []byte, req map[string]any) (msg, usage map[string]any) {
		switch req["model"] {
		case "reviewer-model":
			msg = reviewMessage(body, "ran")
			usage = map[string]any{"prompt_tokens": 600, "completion_tokens": 50, "total_tokens": 650,
				"prompt_cache_hit_tokens": 400, "prompt_cache_miss_tokens": 200}
		case "coder-model":
			msg = codeMessage()
			usage = map[string]any{"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500,
				"prompt_tokens_details": map[string]any{"cached_tokens": 1000}}
		default:
			http.Error(w, `{"error":{"message":"unknown model"}}`, http.StatusNotFound)
			return nil, nil
		}
		return msg, usage
	})
}

// TestIntegrationCostPerRole: with a coder and a reviewer of different
// models and prices, and prompt caching, the report's usage per role and
// its cost equal a hand computation.
func TestIntegrationCostPerRole(t *testing.T) {
	needPython(t)
	const key = "sk-test-cost-0123456789"
	srv := cachingModels(t, key)
	runDir := runLLMDemo(t, []string{"OPENAI_API_KEY=" + key}, srv.URL, t.TempDir(),
		"llm.code.model=coder-model", "llm.feedback.model=reviewer-model",
		"llm.prices={coder-model: {prompt: 1.0, completion: 4.0, cached_prompt: 0.25}, reviewer-model: {prompt: 0.27, completion: 1.1, cached_prompt: 0.07}}",
		"search.workers=1")
	out, errOut, code := mlbench(t, nil, "report", runDir, "--format", "json")
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
	text, _, _ := mlbench(t, nil, "report", runDir)
	for _, s := range []string{"LLM usage by role", "Cache hit %", "83.3", "66.7", "0.0033", "0.000274"} {
		if !strings.Contains(text, s) {
			t.Errorf("report text lacks %q:\n%s", s, text)
		}
	}
}
