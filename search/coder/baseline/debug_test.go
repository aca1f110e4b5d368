package baseline_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

func TestDebug(t *testing.T) {
	c := newCoder(t, "binary", baseline.Task{})
	// Drafts come from a fresh coder each time: a coder remembers the
	// drafts it issued and would not repeat a family.
	rfDraft := func() search.NodeSnapshot {
		fresh := newCoder(t, "binary", baseline.Task{})
		d1 := draftNode(t, fresh, "d1", 0.8, nil)
		return draftNode(t, fresh, "d2", 0.8, []search.NodeSnapshot{d1}) // random forest
	}
	traceback := func(msg string) string {
		return "data: train (400, 9)\nTraceback (most recent call last):\n  File \"solution.py\", line 300, in <module>\n    main()\n" + msg + "\n"
	}
	// failedWith is a random forest draft that failed with msg.
	failedWith := func(msg string) func() search.NodeSnapshot {
		return func() search.NodeSnapshot {
			n := rfDraft()
			n.ExitCode, n.Output = 1, traceback(msg)
			return n
		}
	}
	cases := []struct {
		name   string
		parent func() search.NodeSnapshot
		chain  []search.NodeSnapshot
		check  func(t *testing.T, s baseline.Spec, plan string)
	}{
		{
			name:   "column named in a KeyError is dropped",
			parent: failedWith("KeyError: 'color'"),
			check: func(t *testing.T, s baseline.Spec, plan string) {
				if !slices.Contains(s.Prep.Drop, "color") {
					t.Errorf("drop = %v, want color", s.Prep.Drop)
				}
				if s.Family != "rf" {
					t.Errorf("family changed to %s for a column fix", s.Family)
				}
				if !strings.Contains(plan, "KeyError: 'color'") {
					t.Errorf("plan does not quote the error: %s", plan)
				}
			},
		},
		{
			name: "rejected parameter restores defaults",
			parent: func() search.NodeSnapshot {
				n := rfDraft()
				s := mustSpec(t, n.Code)
				s.Params["n_estimators"] = -5
				n.Code = c.Render(s, search.Request{})
				n.ExitCode = 1
				n.Output = traceback("sklearn.utils._param_validation.InvalidParameterError: The 'n_estimators' parameter of RandomForestClassifier must be an int in the range [1, inf). Got -5 instead.")
				return n
			},
			check: func(t *testing.T, s baseline.Spec, _ string) {
				if s.Params["n_estimators"] != 150 {
					t.Errorf("n_estimators = %v, want the default 150", s.Params["n_estimators"])
				}
			},
		},
		{
			name:   "conversion error switches to strict typing",
			parent: failedWith("ValueError: could not convert string to float: 'abc'"),
			check: func(t *testing.T, s baseline.Spec, _ string) {
				if !s.Prep.Strict || s.Prep.Dates != "drop" || s.Prep.Text != "drop" {
					t.Errorf("prep = %+v, want strict with dates and text dropped", s.Prep)
				}
			},
		},
		{
			name: "timeout halves trees and caps rows",
			parent: func() search.NodeSnapshot {
				n := rfDraft()
				n.TimedOut, n.ExitCode, n.ExecSeconds = true, -1, 3600
				return n
			},
			check: func(t *testing.T, s baseline.Spec, plan string) {
				if s.Params["n_estimators"] != 75 || s.Prep.MaxRows != 50000 {
					t.Errorf("n_estimators %v, max_rows %d; want 75 and 50000", s.Params["n_estimators"], s.Prep.MaxRows)
				}
				if !strings.Contains(plan, "timed out after 3600s") {
					t.Errorf("plan: %s", plan)
				}
			},
		},
		{
			name: "out of memory in an ensemble keeps the first member",
			parent: func() search.NodeSnapshot {
				rf := mustSpec(t, rfDraft().Code)
				lin := mustSpec(t, draftNode(t, newCoder(t, "binary", baseline.Task{}), "d1", 0.8, nil).Code)
				ens := baseline.Spec{Version: 1, Family: "ensemble", Seed: 7, Members: []baseline.Spec{rf, lin}, Weights: []float64{0.5, 0.5}}
				return search.NodeSnapshot{ID: "e", Code: c.Render(ens, search.Request{}), OOM: true, ExitCode: 137, Output: "Killed\n"}
			},
			check: func(t *testing.T, s baseline.Spec, _ string) {
				if s.Family != "rf" || s.Params["n_estimators"] != 75 {
					t.Errorf("family %s n_estimators %v, want rf with 75", s.Family, s.Params["n_estimators"])
				}
			},
		},
		{
			name: "code without a spec is rewritten, keeping the named column out",
			parent: func() search.NodeSnapshot {
				return search.NodeSnapshot{ID: "llm", Code: "import pandas as pd\ndf = pd.read_csv('train.csv')\ndf['colour']\n",
					ExitCode: 1, Output: traceback("KeyError: 'note'")}
			},
			check: func(t *testing.T, s baseline.Spec, plan string) {
				if s.Family != "hgb" || !slices.Contains(s.Prep.Drop, "note") {
					t.Errorf("family %s drop %v; want hgb dropping note", s.Family, s.Prep.Drop)
				}
				if !strings.Contains(plan, "not a baseline pipeline") {
					t.Errorf("plan: %s", plan)
				}
			},
		},
		{
			name:   "unknown failure falls back to a family the chain has not tried",
			parent: failedWith("RuntimeError: something odd"),
			chain:  []search.NodeSnapshot{{ID: "c1", Code: c.Render(baseline.Spec{Version: 1, Family: "hgb", Seed: 7}, search.Request{}), IsBuggy: true}},
			check: func(t *testing.T, s baseline.Spec, _ string) {
				if s.Family != "linear" || !s.Prep.Strict {
					t.Errorf("family %s strict %t; want a strict linear model (hgb and rf already failed)", s.Family, s.Prep.Strict)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := tc.parent()
			parent.IsBuggy = true
			p, err := c.Debug(context.Background(), search.Request{Stage: search.StageDebug, NodeID: "dbg", Parent: &parent, DebugChain: tc.chain})
			if err != nil {
				t.Fatal(err)
			}
			s := mustSpec(t, p.Code)
			if ps, err := baseline.ParseSpec(parent.Code); err == nil && ps.Key() == s.Key() {
				t.Errorf("the repair did not change the pipeline")
			}
			tc.check(t, s, p.Plan)
		})
	}
}
