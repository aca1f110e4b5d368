package llm_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search"
)

// TestPrompts pins the text the models read, one golden file per call
// (regenerate with -update after a deliberate change).
func TestPrompts(t *testing.T) {
	metric := 0.81
	parent := &search.NodeSnapshot{ID: "3", Stage: search.StageDraft, Plan: "Random forest on the numeric columns.",
		Code: "import pandas as pd\nprint('validation_metric: 0.81')", Output: "fold 1 done\nvalidation_metric: 0.81\n",
		Summary: "Trained a random forest; validation accuracy 0.81.", Metric: &metric, SubmissionExists: true, FormatValid: true}
	buggy := &search.NodeSnapshot{ID: "4", Stage: search.StageDraft, Plan: "CatBoost on all columns.",
		Code: "import catboost", Output: "Traceback (most recent call last):\nModuleNotFoundError: No module named 'catboost'",
		Summary: "catboost is not installed.", IsBuggy: true, ExitCode: 1}
	bestMetric := 0.84
	best := &search.NodeSnapshot{ID: "2", Stage: search.StageImprove, Plan: "Gradient boosting with target-encoded cabin deck.",
		Metric: &bestMetric, SubmissionExists: true, FormatValid: true}
	cases := []struct {
		name  string
		steer bool
		call  func(context.Context, *env, *fakeServer) error
	}{
		{"draft", false, func(ctx context.Context, e *env, _ *fakeServer) error {
			c, _ := e.build(t)
			_, err := c.Draft(ctx, search.Request{Stage: search.StageDraft, NodeID: "5", StepsLeft: 40, TimeLeft: 7200e9,
				Drafts: []search.NodeSnapshot{*parent, *buggy}})
			return err
		}},
		{"improve", false, func(ctx context.Context, e *env, _ *fakeServer) error {
			c, _ := e.build(t)
			_, err := c.Improve(ctx, search.Request{Stage: search.StageImprove, NodeID: "5", Parent: parent, Best: best, StepsLeft: 39, TimeLeft: 5400e9})
			return err
		}},
		{"debug", false, func(ctx context.Context, e *env, _ *fakeServer) error {
			c, _ := e.build(t)
			_, err := c.Debug(ctx, search.Request{Stage: search.StageDebug, NodeID: "5", Parent: buggy, StepsLeft: 38})
			return err
		}},
		{"improve-steered", true, func(ctx context.Context, e *env, _ *fakeServer) error {
			c, _ := e.build(t)
			_, err := c.Improve(ctx, search.Request{Stage: search.StageImprove, NodeID: "5", Parent: parent, StepsLeft: 39})
			return err
		}},
		{"review", false, func(ctx context.Context, e *env, _ *fakeServer) error {
			_, r := e.build(t)
			_, err := r.Review(ctx, *parent, search.ExecResult{Output: parent.Output, Seconds: 42, SubmissionExists: true, FormatValid: true})
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var srv *fakeServer
			switch {
			case tc.steer:
				srv = newServer(t, completion("ok</think>Plan.\n```python\nprint(1)\n```", "stop", usage(1, 1, -1)))
			case tc.name == "review":
				srv = newServer(t, toolReply(`{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":0.81,"lower_is_better":false}`))
			default:
				srv = newServer(t, reply(goodReply))
			}
			e := newEnv(t, srv.url())
			e.task.Packages = []string{"lightgbm 4.5.0", "numpy 2.1.3", "pandas 2.2.3", "scikit-learn 1.5.2", "torch 2.5.1"}
			e.task.GPUs = []string{"NVIDIA H100 80GB HBM3, 81559 MiB"}
			e.opts.Knowledge = func() string {
				return "After 4 nodes (2 valid, 2 buggy); metric: higher is better.\nBest designs so far:\n1. node 2 (improve), metric 0.84: gradient boosting; then: target-encode the cabin deck."
			}
			e.opts.Wisdom = func() string {
				return "What worked on a similar earlier task. Its data differ from this task's: adapt what fits, do not copy.\n1. titanic (tabular; metric accuracy, higher is better): best design: gradient boosting on family size and title features (metric 0.83)."
			}
			if tc.steer {
				e.cfg.Code.Model, e.cfg.Code.SteerableReasoning = "Qwen/Qwen3-32B", true
			}
			if err := tc.call(context.Background(), e, srv); err != nil {
				t.Fatal(err)
			}
			body := srv.requests()[0].Body
			var got strings.Builder
			if p, ok := body["prompt"].(string); ok {
				got.WriteString(p)
			}
			for _, m := range messages(srv.requests()[0]) {
				got.WriteString("=== " + m["role"].(string) + "\n" + content(m) + "\n")
			}
			golden := filepath.Join("testdata", "TestPrompts", tc.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if got.String() != string(want) {
				t.Errorf("prompt differs from %s (run with -update to accept):\n%s", golden, got.String())
			}
		})
	}
}
