package search_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/searchtest"
)

func TestDebugChainUntilTerminal(t *testing.T) {
	cfg := defaults(t)
	cfg.NumDrafts = 1
	cfg.BackDebugDepth = 3
	cfg.MaxDebugDepth = 4
	cfg.Steps = 100
	sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: func(search.Request) searchtest.Outcome { return bug() }}}
	res := sc.mustRun(t)

	// draft, three debugs by the same worker (back_debug_depth), backprop;
	// reselection descends the chain and debugs once more to
	// max_debug_depth, where the node is terminal and nothing is left.
	if res.Nodes != 5 || res.Reason != search.StopExhausted {
		t.Fatalf("nodes=%d reason=%s, want 5 exhausted", res.Nodes, res.Reason)
	}
	recs := sc.rec.Records()
	wantStages := []search.Stage{search.StageDraft, search.StageDebug, search.StageDebug, search.StageDebug, search.StageDebug}
	if got := stages(recs); !slices.Equal(got, wantStages) {
		t.Fatalf("stages %v, want %v", got, wantStages)
	}
	for i, r := range recs {
		if r.DebugDepth != i {
			t.Errorf("node %d: debug depth %d, want %d", i, r.DebugDepth, i)
		}
		if i > 0 && r.ParentID != recs[i-1].NodeID {
			t.Errorf("node %d: parent %s, want %s", i, r.ParentID, recs[i-1].NodeID)
		}
	}
	var leaves []string
	for _, b := range sc.rec.Branches() {
		leaves = append(leaves, b.ID)
	}
	if want := []string{recs[3].NodeID, recs[4].NodeID}; !slices.Equal(leaves, want) {
		t.Errorf("branch ends %v, want %v", leaves, want)
	}
	reqs := sc.fake.Requests()
	if got := len(reqs[3].DebugChain); got != 2 {
		t.Errorf("debug request at depth 3 has a chain of %d, want 2 (draft, first debug)", got)
	} else if reqs[3].DebugChain[0].ID != recs[0].NodeID || reqs[3].DebugChain[1].ID != recs[1].NodeID {
		t.Errorf("debug chain %s,%s, want oldest first %s,%s", reqs[3].DebugChain[0].ID, reqs[3].DebugChain[1].ID, recs[0].NodeID, recs[1].NodeID)
	}
	if res.State.RootVisits != 2 || res.State.RootReward != -2 {
		t.Errorf("root visits=%d reward=%v, want 2 and -2", res.State.RootVisits, res.State.RootReward)
	}
}

func TestDebugSuccessEndsTrajectory(t *testing.T) {
	cfg := defaults(t)
	cfg.NumDrafts = 2
	cfg.Steps = 3
	script := func(req search.Request) searchtest.Outcome {
		switch {
		case req.Stage == search.StageDebug:
			return works(0.5)
		case req.Stage == search.StageDraft && len(req.Drafts) == 0:
			return bug()
		default:
			return works(0.6)
		}
	}
	sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: script}}
	sc.mustRun(t)
	recs := sc.rec.Records()
	want := []search.Stage{search.StageDraft, search.StageDebug, search.StageDraft}
	if got := stages(recs); !slices.Equal(got, want) {
		t.Fatalf("stages %v, want %v (debug success backpropagates, then a new draft)", got, want)
	}
	if b := sc.rec.Branches(); len(b) != 1 || b[0].ID != recs[1].NodeID {
		t.Errorf("branch ends %v, want the debug success %s", b, recs[1].NodeID)
	}
}

func TestImprovementFailureEndsTrajectory(t *testing.T) {
	cfg := defaults(t)
	cfg.NumDrafts = 1
	cfg.MaxImproveFailure = 3
	cfg.Steps = 5
	cfg.LowerIsBetter = searchtest.B(false)
	script := func(req search.Request) searchtest.Outcome {
		if req.Stage == search.StageDraft {
			return works(0.5)
		}
		return works(0.5 + 0.00005) // below improvement_threshold 0.0001
	}
	sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: script}}
	res := sc.mustRun(t)
	recs := sc.rec.Records()
	if len(recs) != 5 {
		t.Fatalf("%d records, want 5", len(recs))
	}
	// draft -> i1 -> i2 -> i3: each failure goes on from the new node; the
	// third failure is terminal and backpropagates.
	for i := 1; i <= 3; i++ {
		if recs[i].ParentID != recs[i-1].NodeID {
			t.Errorf("improvement %d: parent %s, want %s", i, recs[i].ParentID, recs[i-1].NodeID)
		}
	}
	if b := sc.rec.Branches(); len(b) < 1 || b[0].ID != recs[3].NodeID {
		t.Fatalf("first branch end %v, want %s", b, recs[3].NodeID)
	}
	// The failed trajectory cleared continue-improve on its path, so the
	// next selection widens the draft instead of descending.
	if recs[4].ParentID != recs[0].NodeID {
		t.Errorf("fifth node's parent %s, want the draft %s", recs[4].ParentID, recs[0].NodeID)
	}
	var terminal bool
	for _, n := range res.State.Nodes {
		if n.ID == recs[3].NodeID {
			terminal = n.Terminal
		}
	}
	if !terminal {
		t.Errorf("node %s is not terminal after max_improve_failure", recs[3].NodeID)
	}
}

func TestTrajectoryFollowsImprovements(t *testing.T) {
	cfg := defaults(t)
	cfg.NumDrafts = 2
	cfg.Steps = 6
	script := func(req search.Request) searchtest.Outcome {
		if req.Stage == search.StageDraft {
			return works(0.5)
		}
		return works(*req.Parent.Metric + 0.1)
	}
	sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: script}}
	res := sc.mustRun(t)
	recs := sc.rec.Records()
	for i := 1; i < len(recs); i++ {
		if recs[i].Stage != search.StageImprove || recs[i].ParentID != recs[i-1].NodeID {
			t.Errorf("node %d: %s of %s, want improve of %s", i, recs[i].Stage, recs[i].ParentID, recs[i-1].NodeID)
		}
	}
	if res.Best == nil || res.Best.ID != recs[5].NodeID {
		t.Errorf("best %v, want the deepest improvement %s", res.Best, recs[5].NodeID)
	}
	if len(sc.rec.Bests()) != 6 {
		t.Errorf("%d new bests, want 6 (every node improved)", len(sc.rec.Bests()))
	}
}

// randomScript decides outcomes from a hash of the node id: about a third
// buggy, metrics in [0,1).
func randomScript(req search.Request) searchtest.Outcome {
	h := fnv.New64a()
	h.Write([]byte(req.NodeID))
	v := h.Sum64()
	if v%3 == 0 {
		return bug()
	}
	return works(float64(v%1000) / 1000)
}

func TestParallelLimitsAndBudget(t *testing.T) {
	for _, workers := range []int{3, 8} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			cfg := defaults(t)
			cfg.Workers = workers
			cfg.Steps = 150
			sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: randomScript, CoderDelay: 100 * time.Microsecond}}
			res := sc.mustRun(t)
			recs := sc.rec.Records()
			if res.Nodes != cfg.Steps || len(recs) != cfg.Steps || res.Reason != search.StopSteps {
				t.Fatalf("nodes=%d records=%d reason=%s, want %d, %d, steps", res.Nodes, len(recs), res.Reason, cfg.Steps, cfg.Steps)
			}
			ids := byID(recs)
			if len(ids) != len(recs) {
				t.Fatalf("duplicate node ids among %d records", len(recs))
			}
			children := map[string]int{}
			for _, r := range recs {
				children[r.ParentID]++
			}
			if children[""] > cfg.NumDrafts {
				t.Errorf("%d drafts, limit %d", children[""], cfg.NumDrafts)
			}
			for id, n := range children {
				if id == "" {
					continue
				}
				limit := cfg.NumImproves
				if ids[id].IsBuggy {
					limit = cfg.NumBugs
				}
				if n > limit {
					t.Errorf("node %s (buggy=%v) has %d children, limit %d", id, ids[id].IsBuggy, n, limit)
				}
			}
			// Bests arrive in order, each better than the last.
			bests := sc.rec.Bests()
			for i := 1; i < len(bests); i++ {
				if !(*bests[i].Metric > *bests[i-1].Metric) {
					t.Errorf("best %d (%v) does not beat best %d (%v)", i, *bests[i].Metric, i-1, *bests[i-1].Metric)
				}
			}
			if len(bests) == 0 || res.Best == nil || bests[len(bests)-1].ID != res.Best.ID {
				t.Errorf("last best sent %v, result best %v", bests, res.Best)
			}
		})
	}
}

func TestTimeBudget(t *testing.T) {
	clock := searchtest.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := defaults(t)
	cfg.TimeLimit = time.Hour
	sc := &scenario{cfg: cfg, clock: clock, fake: &searchtest.Fake{Script: randomScript, Clock: clock, ExecAdvance: 11 * time.Minute}}
	res := sc.mustRun(t)
	// Nodes end at 11, 22, 33, 44, 55 minutes; 5 minutes cannot fit an
	// 11-minute node.
	if res.Nodes != 5 || res.Lost != 0 || res.Reason != search.StopTime {
		t.Fatalf("nodes=%d lost=%d reason=%s, want 5, 0, time", res.Nodes, res.Lost, res.Reason)
	}
	if got := res.State.Elapsed; got != 55*time.Minute {
		t.Errorf("elapsed %v, want 55m", got)
	}
}

func TestHardDeadlineCancelsInFlight(t *testing.T) {
	clock := searchtest.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	cfg := defaults(t)
	cfg.TimeLimit = time.Hour
	script := func(req search.Request) searchtest.Outcome {
		o := works(0.5)
		o.ExecAdvance = 10 * time.Minute
		if req.Step > 1 {
			o.ExecAdvance = 2 * time.Hour // far longer than estimated
		}
		return o
	}
	sc := &scenario{cfg: cfg, clock: clock, fake: &searchtest.Fake{Script: script, Clock: clock}}
	res := sc.mustRun(t)
	if res.Nodes != 1 || res.Lost != 1 || res.Reason != search.StopTime {
		t.Fatalf("nodes=%d lost=%d reason=%s, want 1, 1, time", res.Nodes, res.Lost, res.Reason)
	}
	bests := sc.rec.Bests()
	if res.Best == nil || len(bests) != 1 || bests[0].ID != res.Best.ID {
		t.Fatalf("best %v, bests sent %v: the first node's submission must be kept", res.Best, bests)
	}
	st, err := sc.rec.LastState()
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Nodes[1].Status; got != search.StatusLost {
		t.Errorf("cut node has status %s, want lost", got)
	}
}

func TestCancelledContextStopsCleanly(t *testing.T) {
	cfg := defaults(t)
	cfg.Workers = 3
	cfg.Steps = 1000
	ctx, cancel := context.WithCancel(context.Background())
	rec := &searchtest.Recorder{KillAfter: 20, Kill: cancel}
	sc := &scenario{cfg: cfg, rec: rec, fake: &searchtest.Fake{Script: randomScript, ExecDelay: time.Millisecond}}
	res, err := sc.run(t, ctx)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Reason != search.StopCancelled || res.Nodes >= cfg.Steps {
		t.Fatalf("reason=%s nodes=%d, want cancelled early", res.Reason, res.Nodes)
	}
	for _, n := range res.State.Nodes {
		if n.Status == search.StatusInFlight {
			t.Errorf("node %s still in flight in the final state", n.ID)
		}
	}
}

// positional decides outcomes from the node's place in the tree only (not
// its id or step), so an interrupted and resumed run can replay exactly.
func positional(req search.Request) searchtest.Outcome {
	switch req.Stage {
	case search.StageDraft:
		k := len(req.Drafts)
		if k%3 == 1 {
			return bug()
		}
		return works(0.5 + 0.01*float64(k))
	case search.StageDebug:
		if req.Parent.DebugDepth+1 >= 2 {
			return works(0.55)
		}
		return bug()
	default:
		p := *req.Parent.Metric
		switch {
		case p >= 0.6:
			return works(p)
		case len(req.Siblings)%2 == 0:
			return works(p + 0.02)
		default:
			return works(p - 0.01)
		}
	}
}

// shape describes the tree of done nodes in finishing order: stage, index
// of the parent in that order (-1: root), bug, metric.
func shape(st *search.State) []string {
	var done []search.NodeState
	for _, n := range st.Nodes {
		if n.Status == search.StatusDone {
			done = append(done, n)
		}
	}
	slices.SortFunc(done, func(a, b search.NodeState) int { return a.Commit - b.Commit })
	index := map[string]int{"": -1}
	var out []string
	for i, n := range done {
		index[n.ID] = i
		m := "none"
		if n.Metric != nil {
			m = fmt.Sprintf("%.4f", *n.Metric)
		}
		out = append(out, fmt.Sprintf("%s<-%d bug=%v m=%s v=%d r=%v", n.Stage, index[n.ParentID], n.IsBuggy, m, n.Visits, n.Reward))
	}
	return out
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	cfg := defaults(t)
	cfg.NumDrafts = 3
	cfg.MaxImproveFailure = 2
	cfg.BackDebugDepth = 2
	cfg.Steps = 40
	full := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: positional}}
	want := full.mustRun(t)
	wantShape := shape(want.State)
	if len(wantShape) != cfg.Steps {
		t.Fatalf("uninterrupted run has %d nodes, want %d", len(wantShape), cfg.Steps)
	}

	// Saves alternate: odd = a node starts (killed in flight), even = a node
	// finished (killed between nodes).
	for _, kill := range []int{1, 2, 3, 8, 11, 24, 47, 79} {
		t.Run(fmt.Sprintf("kill-at-save-%d", kill), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			first := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: positional},
				rec: &searchtest.Recorder{KillAfter: kill, Kill: cancel}}
			second := first.resumeAfterKill(t, ctx, positional)
			got := second.mustRun(t)
			if got.Nodes != want.Nodes || got.Reason != search.StopSteps {
				t.Fatalf("resumed run: nodes=%d reason=%s, want %d steps", got.Nodes, got.Reason, want.Nodes)
			}
			if gs := shape(got.State); !slices.Equal(gs, wantShape) {
				for i := range min(len(gs), len(wantShape)) {
					if gs[i] != wantShape[i] {
						t.Fatalf("tree differs first at node %d: resumed %q, uninterrupted %q", i, gs[i], wantShape[i])
					}
				}
				t.Fatalf("tree sizes differ: %d vs %d", len(gs), len(wantShape))
			}
			if kill%2 == 1 && got.Lost != 1 {
				t.Errorf("lost=%d, want the node in flight at the kill", got.Lost)
			}
			traced := tracedOnce(t, first, second)
			if len(traced) < want.Nodes-1 {
				t.Errorf("%d nodes traced, want at least %d", len(traced), want.Nodes-1)
			}
			if got.Best == nil || *got.Best.Metric != *want.Best.Metric {
				t.Errorf("best %v, want metric %v", got.Best, *want.Best.Metric)
			}
		})
	}
}

func TestResumeParallelKeepsIDsUnique(t *testing.T) {
	cfg := defaults(t)
	cfg.Workers = 3
	cfg.Steps = 60
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: randomScript, ExecDelay: 200 * time.Microsecond},
		rec: &searchtest.Recorder{KillAfter: 41, Kill: cancel}}
	second := first.resumeAfterKill(t, ctx, randomScript)
	got := second.mustRun(t)
	if got.Nodes != cfg.Steps {
		t.Fatalf("nodes=%d, want %d", got.Nodes, cfg.Steps)
	}
	seen := map[string]bool{}
	for _, n := range got.State.Nodes {
		if seen[n.ID] {
			t.Fatalf("node id %s appears twice in the state", n.ID)
		}
		seen[n.ID] = true
	}
	tracedOnce(t, first, second)
}

func TestResumeRejectsBadState(t *testing.T) {
	cases := []struct {
		name string
		st   search.State
	}{
		{"wrong version", search.State{Version: 99}},
		{"unknown parent", search.State{Version: search.StateVersion, Nodes: []search.NodeState{
			{NodeSnapshot: search.NodeSnapshot{ID: "n0001", ParentID: "n0009"}, Status: search.StatusDone}}}},
		{"duplicate id", search.State{Version: search.StateVersion, Nodes: []search.NodeState{
			{NodeSnapshot: search.NodeSnapshot{ID: "n0001"}, Status: search.StatusDone},
			{NodeSnapshot: search.NodeSnapshot{ID: "n0001"}, Status: search.StatusDone}}}},
		{"bad status", search.State{Version: search.StateVersion, Nodes: []search.NodeState{
			{NodeSnapshot: search.NodeSnapshot{ID: "n0001"}, Status: "weird"}}}},
		{"ineligible best", search.State{Version: search.StateVersion, BestID: "n0001", Nodes: []search.NodeState{
			{NodeSnapshot: search.NodeSnapshot{ID: "n0001", IsBuggy: true}, Status: search.StatusDone}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := &scenario{cfg: defaults(t), fake: &searchtest.Fake{Script: randomScript}, resume: &tc.st}
			_, err := sc.run(t, context.Background())
			if !errors.Is(err, search.ErrBadState) {
				t.Fatalf("err %v, want ErrBadState", err)
			}
		})
	}
}

func TestDirectionLock(t *testing.T) {
	// draft 0.3 (reviewer: lower is better), then improvements 0.1 and 0.9
	// whose reviews claim higher is better.
	script := func(req search.Request) searchtest.Outcome {
		var o searchtest.Outcome
		switch req.Step {
		case 1:
			o, o.LowerIsBetter = works(0.3), searchtest.B(true)
		case 2:
			o, o.LowerIsBetter = works(0.1), searchtest.B(false)
		default:
			o, o.LowerIsBetter = works(0.9), searchtest.B(false)
		}
		return o
	}
	cases := []struct {
		name      string
		grader    *bool
		wantBest  float64
		wantLower bool
	}{
		{"locked from the first valid review", nil, 0.1, true},
		{"grader says higher is better", searchtest.B(false), 0.9, false},
		{"grader says lower is better", searchtest.B(true), 0.1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaults(t)
			cfg.NumDrafts = 1
			cfg.Steps = 3
			cfg.LowerIsBetter = tc.grader
			sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: script}}
			res := sc.mustRun(t)
			if res.Best == nil || *res.Best.Metric != tc.wantBest {
				t.Fatalf("best %v, want metric %v", res.Best, tc.wantBest)
			}
			if res.LowerIsBetter == nil || *res.LowerIsBetter != tc.wantLower {
				t.Errorf("direction %v, want lower=%v", res.LowerIsBetter, tc.wantLower)
			}
			for _, r := range sc.rec.Records() {
				if r.LowerIsBetter == nil || *r.LowerIsBetter != tc.wantLower {
					t.Errorf("node %s traced with direction %v, want lower=%v", r.NodeID, r.LowerIsBetter, tc.wantLower)
				}
			}
		})
	}
}

func TestNonFiniteMetricsNeverBest(t *testing.T) {
	cases := []struct {
		name     string
		metrics  []float64
		wantBest float64 // NaN: no best
	}{
		{"NaN and infinities then a real metric", []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0.2}, 0.2},
		{"only NaN", []float64{math.NaN(), math.NaN(), math.NaN()}, math.NaN()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaults(t)
			cfg.NumDrafts = 1
			cfg.BackDebugDepth = 10
			cfg.Steps = len(tc.metrics)
			sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: func(req search.Request) searchtest.Outcome {
				return works(tc.metrics[req.Step-1])
			}}}
			res := sc.mustRun(t)
			recs := sc.rec.Records()
			for i, r := range recs {
				if v := tc.metrics[i]; math.IsNaN(v) || math.IsInf(v, 0) {
					if !r.IsBuggy || r.Metric != nil {
						t.Errorf("node %d with metric %v: buggy=%v metric=%v, want buggy without metric", i, v, r.IsBuggy, r.Metric)
					}
				}
			}
			if math.IsNaN(tc.wantBest) {
				if res.Best != nil || len(sc.rec.Bests()) != 0 {
					t.Fatalf("best %v, want none", res.Best)
				}
				return
			}
			if res.Best == nil || *res.Best.Metric != tc.wantBest {
				t.Fatalf("best %v, want %v", res.Best, tc.wantBest)
			}
		})
	}
}

func TestExecutorFactsOverrideReviewer(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*searchtest.Outcome)
	}{
		{"non-zero exit", func(o *searchtest.Outcome) { o.ExitCode = 1 }},
		{"timeout", func(o *searchtest.Outcome) { o.TimedOut = true }},
		{"oom", func(o *searchtest.Outcome) { o.OOM = true }},
		{"no submission", func(o *searchtest.Outcome) { o.NoSubmission = true }},
		{"invalid submission format", func(o *searchtest.Outcome) { o.FormatInvalid = true }},
		{"reviewer says bug", func(o *searchtest.Outcome) { o.Bug = true }},
		{"no metric", func(o *searchtest.Outcome) { o.Metric = nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaults(t)
			cfg.NumDrafts = 1
			cfg.Steps = 2
			sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: func(req search.Request) searchtest.Outcome {
				o := works(0.9)
				if req.Stage == search.StageDraft {
					tc.mod(&o)
				}
				return o
			}}}
			res := sc.mustRun(t)
			recs := sc.rec.Records()
			if !recs[0].IsBuggy {
				t.Errorf("first node not buggy")
			}
			if recs[1].Stage != search.StageDebug {
				t.Errorf("second node is %s, want a debug of the first", recs[1].Stage)
			}
			if res.Best == nil || res.Best.ID != recs[1].NodeID {
				t.Errorf("best %v, want the debugged node %s", res.Best, recs[1].NodeID)
			}
		})
	}
}

func TestRewardModes(t *testing.T) {
	// A buggy draft whose debug works: the debug success ends the
	// trajectory as the first (so new global best) working node.
	cases := []struct {
		mode       search.RewardMode
		wantReward float64
	}{
		{search.RewardIntended, 2},
		{search.RewardMLMasterV1, 1},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode), func(t *testing.T) {
			cfg := defaults(t)
			cfg.Reward = tc.mode
			cfg.NumDrafts = 1
			cfg.Steps = 2
			sc := &scenario{cfg: cfg, fake: draftsFail(0.7)}
			res := sc.mustRun(t)
			if res.State.RootVisits != 1 || res.State.RootReward != tc.wantReward {
				t.Errorf("root visits=%d reward=%v, want 1 and %v", res.State.RootVisits, res.State.RootReward, tc.wantReward)
			}
			if r := sc.rec.Records()[1].Reward; r != tc.wantReward {
				t.Errorf("debug node reward %v, want %v", r, tc.wantReward)
			}
			if len(sc.rec.Bests()) != 1 {
				t.Errorf("the best is tracked in every mode; got %d bests", len(sc.rec.Bests()))
			}
		})
	}
}

func TestCollaboratorFailuresAreFailedNodes(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name    string
		o       searchtest.Outcome
		wantErr string
	}{
		{"coder panics", searchtest.Outcome{PanicIn: "coder"}, "coder panicked"},
		{"executor panics", searchtest.Outcome{PanicIn: "executor"}, "executor panicked"},
		{"reviewer panics", searchtest.Outcome{PanicIn: "reviewer"}, "reviewer panicked"},
		{"coder error", searchtest.Outcome{CoderErr: boom}, "write code: boom"},
		{"executor error", searchtest.Outcome{ExecErr: boom}, "execute: boom"},
		{"reviewer error", searchtest.Outcome{ReviewErr: boom}, "review: boom"},
		{"empty code", searchtest.Outcome{EmptyCode: true}, "no code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaults(t)
			cfg.Workers = 2
			cfg.Steps = 6
			sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: func(req search.Request) searchtest.Outcome {
				if req.Step == 1 {
					o := tc.o
					o.Metric = searchtest.M(0.9)
					return o
				}
				return randomScript(req)
			}}}
			res := sc.mustRun(t)
			if res.Nodes != cfg.Steps {
				t.Fatalf("nodes=%d, want %d: a failed node must not stop the search", res.Nodes, cfg.Steps)
			}
			r, ok := byID(sc.rec.Records())["n0001"]
			if !ok || !r.IsBuggy || !strings.Contains(r.Error, tc.wantErr) {
				t.Fatalf("first node %+v, want buggy with error containing %q", r, tc.wantErr)
			}
		})
	}
}

func TestFatalErrorStopsSearch(t *testing.T) {
	cfg := defaults(t)
	cfg.Steps = 10
	sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: func(req search.Request) searchtest.Outcome {
		if req.Step == 2 {
			return searchtest.Outcome{CoderErr: fmt.Errorf("%w: api key rejected", search.ErrFatal)}
		}
		return works(0.5)
	}}}
	res, err := sc.run(t, context.Background())
	if !errors.Is(err, search.ErrFatal) {
		t.Fatalf("err %v, want ErrFatal", err)
	}
	if res.Reason != search.StopFatal || res.Nodes != 1 {
		t.Errorf("reason=%s nodes=%d, want fatal after 1 node", res.Reason, res.Nodes)
	}
}

func TestSinkErrorsStopSearch(t *testing.T) {
	for _, method := range []string{"Save", "NodeDone", "OnNewBest", "BranchDone"} {
		t.Run(method, func(t *testing.T) {
			disk := errors.New("disk full")
			cfg := defaults(t)
			cfg.Steps = 20
			sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: randomScript},
				rec: &searchtest.Recorder{Fail: map[string]error{method: disk}}}
			res, err := sc.run(t, context.Background())
			if !errors.Is(err, disk) {
				t.Fatalf("err %v, want the %s error", err, method)
			}
			if res.Nodes >= cfg.Steps {
				t.Errorf("search went on to %d nodes after the %s error", res.Nodes, method)
			}
		})
	}
}

func TestRequestContext(t *testing.T) {
	cfg := defaults(t)
	cfg.NumDrafts = 2
	cfg.MaxImproveFailure = 1
	cfg.BackDebugDepth = 1
	cfg.Steps = 5
	script := func(req search.Request) searchtest.Outcome {
		switch req.Step {
		case 1:
			return works(0.5) // draft A
		case 2:
			return works(0.4) // improvement fails: terminal, backprop +1
		case 3:
			return bug() // draft B
		case 4:
			return bug() // debug of B, depth 1: backprop -1
		default:
			return works(0.6) // UCT prefers A's subtree
		}
	}
	sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: script}}
	sc.mustRun(t)
	reqs := sc.fake.Requests()
	if len(reqs) != 5 {
		t.Fatalf("%d requests, want 5", len(reqs))
	}
	if got := len(reqs[2].Drafts); reqs[2].Stage != search.StageDraft || got != 1 {
		t.Errorf("third request: %s with %d drafts, want a draft seeing 1", reqs[2].Stage, got)
	}
	last := reqs[4]
	if last.Stage != search.StageImprove || last.Parent == nil || last.Parent.ID != "n0001" {
		t.Fatalf("fifth request %s of %v, want improve of n0001", last.Stage, last.Parent)
	}
	if len(last.Siblings) != 1 || last.Siblings[0].ID != "n0002" {
		t.Errorf("siblings %v, want [n0002]", last.Siblings)
	}
	if last.Best == nil || last.Best.ID != "n0001" || last.StepsLeft != 0 {
		t.Errorf("best %v steps left %d, want n0001 and 0", last.Best, last.StepsLeft)
	}
}

func TestGreedyPolicy(t *testing.T) {
	t.Run("improve the best", func(t *testing.T) {
		cfg := defaults(t)
		cfg.Policy = search.PolicyGreedy
		cfg.NumDrafts = 3
		cfg.DebugProb = 0
		cfg.Steps = 6
		draftMetrics := []float64{0.1, 0.3, 0.2}
		sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: func(req search.Request) searchtest.Outcome {
			if req.Stage == search.StageDraft {
				return works(draftMetrics[len(req.Drafts)])
			}
			return works(*req.Parent.Metric + 0.01)
		}}}
		res := sc.mustRun(t)
		recs := sc.rec.Records()
		want := []search.Stage{search.StageDraft, search.StageDraft, search.StageDraft, search.StageImprove, search.StageImprove, search.StageImprove}
		if got := stages(recs); !slices.Equal(got, want) {
			t.Fatalf("stages %v, want %v", got, want)
		}
		wantParents := []string{"n0002", "n0004", "n0005"}
		for i, p := range wantParents {
			if recs[3+i].ParentID != p {
				t.Errorf("improvement %d of %s, want %s (the best)", i, recs[3+i].ParentID, p)
			}
		}
		if res.Best.ID != "n0006" {
			t.Errorf("best %s, want n0006", res.Best.ID)
		}
	})
	t.Run("debug buggy leaves", func(t *testing.T) {
		cfg := defaults(t)
		cfg.Policy = search.PolicyGreedy
		cfg.NumDrafts = 2
		cfg.DebugProb = 1
		cfg.Steps = 4
		sc := &scenario{cfg: cfg, fake: draftsFail(0.5)}
		sc.mustRun(t)
		recs := sc.rec.Records()
		parents := []string{recs[2].ParentID, recs[3].ParentID}
		slices.Sort(parents)
		if recs[2].Stage != search.StageDebug || recs[3].Stage != search.StageDebug || !slices.Equal(parents, []string{"n0001", "n0002"}) {
			t.Errorf("last two nodes %s of %s, %s of %s; want debugs of both drafts", recs[2].Stage, recs[2].ParentID, recs[3].Stage, recs[3].ParentID)
		}
	})
	t.Run("deterministic under a seed", func(t *testing.T) {
		cfg := defaults(t)
		cfg.Policy = search.PolicyGreedy
		cfg.Steps = 30
		cfg.Seed = 7
		var runs [2][]string
		for i := range runs {
			sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: positional}}
			runs[i] = shape(sc.mustRun(t).State)
		}
		if !slices.Equal(runs[0], runs[1]) {
			t.Errorf("two greedy runs with one seed differ")
		}
	})
}

func TestRunRejectsBadOptions(t *testing.T) {
	cfg := defaults(t)
	cfg.NumDrafts = 0
	_, err := search.Run(context.Background(), search.Options{Config: cfg, Coder: &searchtest.Fake{}, Executor: &searchtest.Fake{}, Reviewer: &searchtest.Fake{}})
	var ce *search.ConfigError
	if !errors.As(err, &ce) || ce.Field != "search.num_drafts" {
		t.Errorf("err %v, want a ConfigError naming search.num_drafts", err)
	}
	_, err = search.Run(context.Background(), search.Options{Config: defaults(t)})
	if err == nil {
		t.Errorf("Run without collaborators succeeded")
	}
}
