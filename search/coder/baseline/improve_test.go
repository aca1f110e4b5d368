package baseline_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

// draftNode drafts the next family and returns it as a working node with
// the given metric.
func draftNode(tb testing.TB, c *baseline.Coder, id string, metric float64, drafts []search.NodeSnapshot) search.NodeSnapshot {
	tb.Helper()
	p, err := c.Draft(context.Background(), search.Request{Stage: search.StageDraft, NodeID: id, Drafts: drafts})
	if err != nil {
		tb.Fatal(err)
	}
	return search.NodeSnapshot{ID: id, Stage: search.StageDraft, Code: p.Code, Plan: p.Plan, Metric: &metric,
		SubmissionExists: true, FormatValid: true}
}

func mustSpec(tb testing.TB, code string) baseline.Spec {
	tb.Helper()
	s, err := baseline.ParseSpec(code)
	if err != nil {
		tb.Fatalf("ParseSpec: %v", err)
	}
	return s
}

func TestImproveNeverRepeatsASiblingMove(t *testing.T) {
	for _, kind := range []string{"binary", "regression"} {
		t.Run(kind, func(t *testing.T) {
			c := newCoder(t, kind, baseline.Task{})
			d1 := draftNode(t, c, "d1", 0.8, nil)
			d2 := draftNode(t, c, "d2", 0.7, []search.NodeSnapshot{d1})
			parent := d2 // random forest: many moves
			var siblings []search.NodeSnapshot
			moves := map[string]bool{}
			for i := range 40 {
				req := search.Request{Stage: search.StageImprove, NodeID: fmt.Sprintf("i%d", i), Parent: &parent,
					Siblings: siblings, Drafts: []search.NodeSnapshot{d1, d2}, Best: &d1}
				p, err := c.Improve(context.Background(), req)
				if err != nil {
					if strings.Contains(err.Error(), "every move") {
						break
					}
					t.Fatal(err)
				}
				s := mustSpec(t, p.Code)
				if s.Move == "" || moves[s.Move] {
					t.Fatalf("improvement %d repeats move %q (tried: %v)", i, s.Move, moves)
				}
				if !strings.Contains(p.Plan, s.Move) {
					t.Errorf("plan does not name the move %q: %s", s.Move, p.Plan)
				}
				moves[s.Move] = true
				m := 0.5
				siblings = append(siblings, search.NodeSnapshot{ID: req.NodeID, ParentID: parent.ID, Code: p.Code, Metric: &m})
			}
			t.Logf("%d distinct moves: %v", len(moves), moves)
			if len(moves) < 12 {
				t.Errorf("only %d distinct moves before giving up: %v", len(moves), moves)
			}
		})
	}
}

func TestImproveIsDeterministicAndSpreads(t *testing.T) {
	c := newCoder(t, "binary", baseline.Task{})
	d1 := draftNode(t, c, "d1", 0.8, nil)
	h := draftNode(t, c, "d3", 0.75, []search.NodeSnapshot{d1, draftNode(t, c, "d2", 0.7, []search.NodeSnapshot{d1})})
	picked := map[string]bool{}
	for i := range 12 {
		req := search.Request{Stage: search.StageImprove, NodeID: fmt.Sprintf("n%d", i), Parent: &h}
		a, err := c.Improve(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := c.Improve(context.Background(), req)
		if a.Code != b.Code || a.Plan != b.Plan {
			t.Fatalf("same request, different proposals")
		}
		picked[mustSpec(t, a.Code).Move] = true
	}
	if len(picked) < 2 {
		t.Errorf("twelve node ids all picked the same move %v: parallel workers would collide", picked)
	}
}

func TestImproveEnsemblesTheBestTwo(t *testing.T) {
	cases := []struct {
		name      string
		kind      string
		task      baseline.Task
		metrics   []float64 // of drafts linear, rf, hgb
		parent    int       // index of the parent (the best)
		wantOther string
	}{
		{"higher is better", "binary", baseline.Task{}, []float64{0.80, 0.86, 0.83}, 1, "hgb"},
		{"lower is better", "regression", baseline.Task{Metric: "rmse"}, []float64{1.2, 0.9, 0.95}, 1, "hgb"},
		{"lower is better, other order", "regression", baseline.Task{Metric: "rmse"}, []float64{0.91, 0.9, 0.95}, 1, "linear"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCoder(t, tc.kind, tc.task)
			var drafts []search.NodeSnapshot
			for i, m := range tc.metrics {
				drafts = append(drafts, draftNode(t, c, fmt.Sprintf("d%d", i), m, drafts))
			}
			buggy := drafts[0]
			buggy.ID, buggy.IsBuggy = "bug", true
			better := 0.99
			if tc.task.Metric != "" {
				better = 0.01
			}
			buggy.Metric = &better // a buggy node's metric must be ignored
			drafts = append(drafts, buggy)
			parent := drafts[tc.parent]
			var found *baseline.Spec
			for i := range 30 {
				p, err := c.Improve(context.Background(), search.Request{Stage: search.StageImprove, NodeID: fmt.Sprintf("e%d", i),
					Parent: &parent, Drafts: drafts, Best: &parent})
				if err != nil {
					t.Fatal(err)
				}
				if s := mustSpec(t, p.Code); s.Move == "ensemble_best_two" {
					found = &s
					break
				}
			}
			if found == nil {
				t.Fatal("no node id led to the ensemble move though the parent is the best node")
			}
			if found.Family != "ensemble" || len(found.Members) != 2 {
				t.Fatalf("ensemble spec = %s", found.Marshal())
			}
			parentSpec := mustSpec(t, parent.Code)
			if found.Members[0].Key() != parentSpec.Key() {
				t.Errorf("first member is not the parent's pipeline")
			}
			if found.Members[1].Family != tc.wantOther {
				t.Errorf("second member = %s, want %s (the best other node)", found.Members[1].Family, tc.wantOther)
			}
			if !slices.Equal(found.Sources, []string{parent.ID, drafts[slices.IndexFunc(drafts, func(n search.NodeSnapshot) bool {
				return mustSpec(t, n.Code).Family == tc.wantOther && !n.IsBuggy
			})].ID}) {
				t.Errorf("sources = %v", found.Sources)
			}

			// Improving the ensemble: moves reach the members, and an
			// ensemble move never duplicates a member.
			ensNode := search.NodeSnapshot{ID: "ens", Code: c.Render(*found, search.Request{Stage: search.StageImprove}), Metric: parent.Metric}
			var sibs []search.NodeSnapshot
			for i := range 12 {
				p, err := c.Improve(context.Background(), search.Request{Stage: search.StageImprove, NodeID: fmt.Sprintf("x%d", i),
					Parent: &ensNode, Drafts: drafts, Best: &ensNode, Siblings: sibs})
				if err != nil {
					t.Fatal(err)
				}
				s := mustSpec(t, p.Code)
				if s.Family != "ensemble" {
					t.Fatalf("improving an ensemble gave a %s", s.Family)
				}
				keys := map[string]bool{}
				for _, m := range s.Members {
					if keys[m.Key()] {
						t.Errorf("move %s duplicated a member", s.Move)
					}
					keys[m.Key()] = true
				}
				sibs = append(sibs, search.NodeSnapshot{ID: fmt.Sprintf("x%d", i), Code: p.Code})
			}
		})
	}
}

func TestImproveParentWithoutSpec(t *testing.T) {
	c := newCoder(t, "labels", baseline.Task{})
	d := draftNode(t, c, "d1", 0.8, nil)
	m := 0.9
	llm := search.NodeSnapshot{ID: "llm", Code: "import pandas as pd\nprint('validation_metric: 0.9')\n", Metric: &m}
	p, err := c.Improve(context.Background(), search.Request{Stage: search.StageImprove, NodeID: "i", Parent: &llm, Drafts: []search.NodeSnapshot{d}})
	if err != nil {
		t.Fatal(err)
	}
	s := mustSpec(t, p.Code)
	if s.Family != "linear" || !strings.Contains(p.Plan, "node d1") {
		t.Errorf("improving a spec-less parent should start from the best known pipeline (d1, linear): family %s, plan %s", s.Family, p.Plan)
	}
}
