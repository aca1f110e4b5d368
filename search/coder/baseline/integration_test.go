package baseline_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

// TestGeneratedCode runs generated solutions with Debian's Python on small
// synthetic tasks: drafts, an improvement, an ensemble of the best two and
// repairs of deliberately broken parents. Every run must print a metric the
// reviewer parses and write a well-formed submission.
func TestGeneratedCode(t *testing.T) {
	python(t)
	t.Parallel() // Python-bound: overlaps with the other generated-code tests
	ctx := context.Background()

	mustWork := func(t *testing.T, n search.NodeSnapshot) {
		t.Helper()
		if n.IsBuggy || n.Metric == nil {
			t.Fatalf("node %s is buggy: %s\nplan: %s\noutput:\n%s", n.ID, n.Summary, n.Plan, n.Output)
		}
	}
	// improveWith returns the improvement of parent that applies move,
	// trying node ids (the move choice depends on them).
	improveWith := func(t *testing.T, r *runner, move string, req search.Request) search.Proposal {
		t.Helper()
		for i := range 40 {
			req.NodeID = fmt.Sprintf("%s-%d", move, i)
			p, err := r.coder.Improve(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if mustSpec(t, p.Code).Move == move {
				return p
			}
		}
		t.Fatalf("no node id led to move %s", move)
		return search.Proposal{}
	}
	draft := func(t *testing.T, r *runner, drafts []search.NodeSnapshot) search.Proposal {
		t.Helper()
		p, err := r.coder.Draft(ctx, search.Request{Stage: search.StageDraft, Drafts: drafts})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("binary roc_auc", func(t *testing.T) {
		t.Parallel()
		r := newRunner(t, "binary", 600, baseline.Task{})
		lin := r.run(search.StageDraft, draft(t, r, nil), nil)
		mustWork(t, lin)
		rfCode := draft(t, r, []search.NodeSnapshot{lin})
		rf := r.run(search.StageDraft, rfCode, nil)
		mustWork(t, rf)
		firstSub := r.lastSubmission
		again := r.run(search.StageDraft, rfCode, nil)
		if *again.Metric != *rf.Metric || !bytes.Equal(r.lastSubmission, firstSub) {
			t.Errorf("the same code gave different results: metric %v then %v, submissions equal %t",
				*rf.Metric, *again.Metric, bytes.Equal(r.lastSubmission, firstSub))
		}
		best, other := lin, rf
		if *rf.Metric > *lin.Metric {
			best, other = rf, lin
		}
		ens := r.run(search.StageImprove, improveWith(t, r, "ensemble_best_two", search.Request{Stage: search.StageImprove,
			Parent: &best, Drafts: []search.NodeSnapshot{lin, rf}, Best: &best}), &best)
		mustWork(t, ens)
		if s := mustSpec(t, ens.Code); len(s.Members) != 2 || s.Sources[1] != other.ID {
			t.Errorf("ensemble members %d sources %v, want %s and %s", len(s.Members), s.Sources, best.ID, other.ID)
		}

		// A parent broken by a bad hyperparameter: the real traceback of
		// scikit-learn leads the repair.
		s := mustSpec(t, rf.Code)
		s.Params["n_estimators"] = -3
		broken := r.run(search.StageImprove, search.Proposal{Code: r.coder.Render(s, search.Request{})}, &rf)
		if !broken.IsBuggy {
			t.Fatalf("the broken parent ran: %s", broken.Summary)
		}
		fixed := r.run(search.StageDebug, debug(t, r, broken, nil), &broken)
		mustWork(t, fixed)
	})

	t.Run("multiclass log_loss", func(t *testing.T) {
		t.Parallel()
		r := newRunner(t, "multiclass", 600, baseline.Task{Metric: "multi-class-log-loss"})
		d1 := search.NodeSnapshot{Code: draft(t, r, nil).Code}
		rf := r.run(search.StageDraft, draft(t, r, []search.NodeSnapshot{d1}), nil)
		mustWork(t, rf)
		imp := r.run(search.StageImprove, improveWith(t, r, "more_features_per_split", search.Request{Stage: search.StageImprove, Parent: &rf}), &rf)
		mustWork(t, imp)
	})

	t.Run("regression rmse", func(t *testing.T) {
		t.Parallel()
		r := newRunner(t, "regression", 600, baseline.Task{Metric: "rmse"})
		var drafts []search.NodeSnapshot
		for range 2 {
			drafts = append(drafts, search.NodeSnapshot{Code: draft(t, r, drafts).Code})
		}
		hgb := r.run(search.StageDraft, draft(t, r, drafts), nil) // third family
		mustWork(t, hgb)
		if mustSpec(t, hgb.Code).Family != "hgb" {
			t.Fatalf("third draft is %s", mustSpec(t, hgb.Code).Family)
		}
		logT := r.run(search.StageImprove, improveWith(t, r, "log1p_target", search.Request{Stage: search.StageImprove, Parent: &hgb, Best: &hgb}), &hgb)
		mustWork(t, logT)
		ens := r.run(search.StageImprove, improveWith(t, r, "ensemble_best_two", search.Request{Stage: search.StageImprove,
			Parent: &hgb, Best: &hgb, Siblings: []search.NodeSnapshot{logT}}), &hgb)
		mustWork(t, ens)
	})

	t.Run("labels accuracy", func(t *testing.T) {
		t.Parallel()
		r := newRunner(t, "labels", 600, baseline.Task{Metric: "accuracy", XGBoost: true})
		var drafts []search.NodeSnapshot
		for range 5 {
			drafts = append(drafts, search.NodeSnapshot{Code: draft(t, r, drafts).Code})
		}
		xgb := r.run(search.StageDraft, draft(t, r, drafts), nil) // sixth family: xgboost, or its fallback
		mustWork(t, xgb)
		if mustSpec(t, xgb.Code).Family != "xgb" {
			t.Fatalf("sixth draft is %s", mustSpec(t, xgb.Code).Family)
		}
		// Code written by someone else that fails on a column: the repair
		// rewrites it as a baseline pipeline without that column.
		llm := search.NodeSnapshot{ID: "llm", Code: "import pandas as pd\nX = pd.read_csv('train.csv')\n", IsBuggy: true, ExitCode: 1,
			Output: "Traceback (most recent call last):\n  File \"solution.py\", line 9, in <module>\nKeyError: 'note'\n"}
		fixed := r.run(search.StageDebug, debug(t, r, llm, nil), &llm)
		mustWork(t, fixed)
		if !strings.Contains(fixed.Output, "dropped ['note']") {
			t.Errorf("the repair did not drop the column:\n%s", fixed.Output)
		}
	})
}

// TestGeneratedCodeLayouts runs a draft on the less common layouts: several 0/1 targets with probabilities, several
// real-valued targets, and a submission without an id column.
func TestGeneratedCodeLayouts(t *testing.T) {
	python(t)
	t.Parallel() // Python-bound: overlaps with the other generated-code tests
	cases := []struct {
		layout  string
		task    baseline.Task
		problem baseline.Problem
		metric  baseline.Metric
	}{
		{"multilabel", baseline.Task{}, baseline.ProblemMultilabel, baseline.MetricROCAUC},
		{"multiregression", baseline.Task{Metric: "mean-column-wise-rmsle"}, baseline.ProblemMultiRegression, baseline.MetricRMSLE},
		{"noid", baseline.Task{Metric: "f1"}, baseline.ProblemBinary, baseline.MetricF1},
	}
	for _, tc := range cases {
		t.Run(tc.layout, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, tc.layout, 600, tc.task)
			if p := r.coder.Profile(); p.Problem != tc.problem || p.Metric != tc.metric {
				t.Fatalf("profile: problem %s metric %s, want %s %s", p.Problem, p.Metric, tc.problem, tc.metric)
			}
			d, err := r.coder.Draft(context.Background(), search.Request{Stage: search.StageDraft, Drafts: []search.NodeSnapshot{{Code: r.coder.Render(baseline.Spec{Version: 1, Family: "linear"}, search.Request{})}}})
			if err != nil {
				t.Fatal(err)
			}
			n := r.run(search.StageDraft, d, nil)
			if n.IsBuggy {
				t.Fatalf("draft is buggy: %s\n%s", n.Summary, n.Output)
			}
		})
	}
}

func debug(t *testing.T, r *runner, parent search.NodeSnapshot, chain []search.NodeSnapshot) search.Proposal {
	t.Helper()
	p, err := r.coder.Debug(context.Background(), search.Request{Stage: search.StageDebug, NodeID: "dbg-" + parent.ID, Parent: &parent, DebugChain: chain})
	if err != nil {
		t.Fatal(err)
	}
	return p
}
