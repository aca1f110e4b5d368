package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"context"

	"github.com/mlbench/mlbench/results"
)

// llmSolution is the code the fake model writes: a real scikit-learn model
// that reads the data and writes the submission where the sandbox says.
const llmSolution = `import os
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

data = os.environ["MLBENCH_DATA_DIR"]
out = os.environ["MLBENCH_SUBMISSION_DIR"]
print("cuda_visible_devices=" + os.environ.get("CUDA_VISIBLE_DEVICES", "unset"))
train = pd.read_csv(os.path.join(data, "train.csv"))
test = pd.read_csv(os.path.join(data, "test.csv"))
X = pd.get_dummies(train.drop(columns=["id", "target"]), dtype=float)
Xt = pd.get_dummies(test.drop(columns=["id"]), dtype=float).reindex(columns=X.columns, fill_value=0)
Xa, Xb, ya, yb = train_test_split(X, train.target, test_size=0.2, random_state=0, stratify=train.target)
m = HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(Xa, ya)
print(f"validation_metric: {roc_auc_score(yb, m.predict_proba(Xb)[:, 1]):.5f}")
m.fit(X, train.target)
os.makedirs(out, exist_ok=True)
pd.DataFrame({"id": test.id, "target": m.predict_proba(Xt)[:, 1]}).to_csv(os.path.join(out, "submission.csv"), index=False)
`

// fakeModel is a loopback OpenAI-compatible chat server: code requests get
// a plan and llmSolution, review requests a submit_review tool call with
// the metric the program printed.
func fakeModel(t *testing.T, key string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := chatServer(t, key, func(_ http.ResponseWriter, body []byte, req map[string]any) (map[string]any, map[string]any) {
		calls.Add(1)
		msg := codeMessage()
		if _, review := req["tools"]; review {
			msg = reviewMessage(body, "gradient boosting ran")
		}
		return msg, map[string]any{"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
	})
	return srv, &calls
}

func TestIntegrationRunWithLLM(t *testing.T) {
	needPython(t)
	const key = "sk-test-0123456789abcdef-secret"
	srv, calls := fakeModel(t, key)
	runDir := runLLMDemo(t, []string{"OPENAI_API_KEY=" + key}, srv.URL, t.TempDir(),
		"llm.prices={gpt-4o-mini: {prompt: 0.15, completion: 0.6}}", "search.workers=1")
	if calls.Load() < 4 {
		t.Errorf("the model got %d calls, want 2 nodes x (code + review)", calls.Load())
	}
	itemDir := results.ItemDir(runDir, 0)
	g, err := results.ReadGrade(itemDir)
	if err != nil || !g.ValidSubmission || g.Score == nil || *g.Score < 0.78 {
		t.Errorf("grade of the LLM-written submission: %+v %v", g, err)
	}
	rows, err := results.NewReader(nil).Nodes(context.Background(), itemDir)
	if err != nil || len(rows) != 2 {
		t.Fatalf("trace rows: %d %v", len(rows), err)
	}
	for _, r := range rows {
		if r.PromptTokens == 0 || r.CompletionTokens == 0 || r.CostUSD <= 0 || r.IsBuggy || r.Metric == nil {
			t.Errorf("node row lacks accounting or a metric: %+v", r)
		}
	}
	if _, err := os.Stat(filepath.Join(itemDir, "llm-transcript.jsonl")); err != nil {
		t.Errorf("no transcript: %v", err)
	}
	// The key never lands in any file the run wrote.
	filepath.Walk(runDir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), key) {
			t.Errorf("API key found in %s", p)
		}
		return nil
	})
}
