package grader_test

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

func TestCustomMetrics(t *testing.T) {
	want := []string{"accuracy", "f1_macro", "log_loss", "mae", "map_at_k", "qwk", "rmse", "rmsle", "roc_auc"}
	if got := grader.CustomMetrics(); !slices.Equal(got, want) {
		t.Errorf("CustomMetrics() = %v, want %v", got, want)
	}
	for kind, lower := range map[string]bool{"roc_auc": false, "log_loss": true, "rmse": true, "map_at_12": false, "qwk": false} {
		got, ok := grader.MetricDirection(kind)
		if !ok || got != lower {
			t.Errorf("MetricDirection(%q) = %v, %v", kind, got, ok)
		}
	}
	if _, ok := grader.MetricDirection("bleu"); ok {
		t.Error("MetricDirection(bleu) is known")
	}
}

func TestCustomTask(t *testing.T) {
	tests := []struct {
		name, metric string
		targets      []string
		answers, sub string
		want         float64
		reason       string
	}{
		{"roc_auc", "roc_auc", []string{"target"}, "id,target\n1,1\n2,0\n", "id,target\n2,0.3\n1,0.6\n", 1, ""},
		{"roc_auc column mean", "roc_auc", []string{"a", "b"}, "id,a,b\n1,1,0\n2,0,1\n", "id,a,b\n1,0.6,0.6\n2,0.3,0.3\n", 0.5, ""},
		{"binary log_loss", "log_loss", []string{"target"}, "id,target\n1,1\n2,0\n", "id,target\n1,0.8\n2,0.4\n", 0.36698, ""},
		{"multiclass log_loss", "log_loss", []string{"a", "b"}, "id,a,b\n1,1,0\n2,0,1\n", "id,a,b\n1,0.5,0.5\n2,0.25,0.75\n", 0.49041, ""},
		{"log_loss row sum", "log_loss", []string{"a", "b"}, "id,a,b\n1,1,0\n", "id,a,b\n1,0.5,0.4\n", 0, "row 1: probabilities sum to 0.9, not 1"},
		{"accuracy", "accuracy", []string{"label"}, "id,label\n1,x\n2,y\n", "id,label\n1,x\n2,x\n", 0.5, ""},
		{"f1_macro", "f1_macro", []string{"label"}, "id,label\n1,0\n2,0\n3,1\n4,1\n", "id,label\n1,0\n2,1\n3,1\n4,1\n", 0.73333, ""},
		{"qwk", "qwk", []string{"label"}, "id,label\na,0\nb,1\nc,2\n", "id,label\na,0\nb,2\nc,2\n", 0.8, ""},
		{"rmse", "rmse", []string{"y"}, "id,y\n1,10\n2,20\n", "id,y\n1,13\n2,16\n", 3.53553, ""},
		{"mae", "mae", []string{"y"}, "id,y\n1,10\n2,20\n", "id,y\n1,13\n2,16\n", 3.5, ""},
		{"rmsle", "rmsle", []string{"y"}, "id,y\n1,0\n", "id,y\n1,1.718281828459045\n", 1, ""},
		{"map_at_5", "map_at_5", []string{"items"}, "id,items\n1,a b\n", "id,items\n1,a x b\n", Round((1 + 2.0/3) / 2), ""},
		{"missing id", "rmse", []string{"y"}, "id,y\n1,10\n2,20\n", "id,y\n1,13\n3,16\n", 0, "missing 1 ids (first: '2')"},
		{"missing target", "rmse", []string{"y"}, "id,y\n1,10\n", "id,z\n1,13\n", 0, "column 'y' not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ans := writeFile(t, "answers.csv", tc.answers)
			sub := writeFile(t, "sub.csv", tc.sub)
			task := &grader.CustomTask{ID: "my-task", Metric: tc.metric, IDColumn: "id", TargetColumns: tc.targets, AnswersPath: ans}
			rep, err := grader.Grade(context.Background(), grader.Request{SubmissionPath: sub, DataDir: dir, Custom: task})
			if err != nil {
				t.Fatal(err)
			}
			if tc.reason != "" {
				if rep.ValidSubmission || !strings.Contains(rep.Reason, tc.reason) {
					t.Errorf("valid=%v reason=%q, want invalid with %q", rep.ValidSubmission, rep.Reason, tc.reason)
				}
				return
			}
			if !rep.ValidSubmission || !near(*rep.Score, tc.want) {
				t.Fatalf("score %v (reason %q), want %v", rep.Score, rep.Reason, tc.want)
			}
			lower, _ := grader.MetricDirection(tc.metric)
			if rep.IsLowerBetter != lower || rep.CompetitionID != "my-task" || !math.IsNaN(rep.GoldThreshold) || rep.AnyMedal {
				t.Errorf("report: %+v", rep)
			}
		})
	}
	t.Run("thresholds and direction override", func(t *testing.T) {
		ans := writeFile(t, "answers.csv", "id,y\n1,10\n")
		sub := writeFile(t, "sub.csv", "id,y\n1,11\n")
		higher := false
		task := &grader.CustomTask{ID: "t", Metric: "mae", IDColumn: "id", TargetColumns: []string{"y"}, AnswersPath: ans,
			LowerIsBetter: &higher, Thresholds: &grader.Thresholds{Gold: 3, Silver: 2, Bronze: 1, Median: 0.5, LowerIsBetter: true}}
		rep, err := grader.Grade(context.Background(), grader.Request{SubmissionPath: sub, Custom: task})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.GoldMedal || !rep.IsLowerBetter {
			t.Errorf("explicit thresholds not used: %+v", rep)
		}
	})
	t.Run("unknown metric", func(t *testing.T) {
		task := &grader.CustomTask{ID: "t", Metric: "bleu", IDColumn: "id", TargetColumns: []string{"y"}, AnswersPath: "x.csv"}
		if _, err := grader.Grade(context.Background(), grader.Request{SubmissionPath: "s.csv", Custom: task}); err == nil || !strings.Contains(err.Error(), "unknown metric") {
			t.Errorf("err = %v", err)
		}
	})
}
