package search

import (
	"fmt"
	"math"
	"testing"
)

// treeFixture is a hand-built tree for selection tests.
type treeFixture struct {
	s *searcher
	n int
}

func newFixture(t *testing.T, mod func(*Config)) *treeFixture {
	t.Helper()
	cfg := Config{
		Policy: PolicyMCTS, Reward: RewardIntended, Decay: DecayNone,
		NumDrafts: 3, NumImproves: 2, NumBugs: 1, BackDebugDepth: 3, MaxDebugDepth: 20,
		MaxImproveFailure: 3, ContinueImprove: true, UCTC: 1, Workers: 3, Steps: 100,
		PhaseRatios: []float64{0.3, 0.7},
	}
	if mod != nil {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return &treeFixture{s: newSearcher(Options{Config: cfg})}
}

// add attaches a finished child to parent with the given statistics.
func (f *treeFixture) add(parent *node, buggy bool, visits int, reward float64) *node {
	f.n++
	m := 0.5
	n := &node{
		snap:     NodeSnapshot{ID: fmt.Sprintf("n%04d", f.n), ParentID: parent.snap.ID, IsBuggy: buggy, Metric: &m},
		parent:   parent,
		status:   StatusDone,
		visits:   visits,
		reward:   reward,
		lockedBy: -1,
	}
	parent.children = append(parent.children, n)
	parent.visits += visits
	f.s.all = append(f.s.all, n)
	return n
}

func TestUCT(t *testing.T) {
	root := &node{visits: 8}
	cases := []struct {
		name string
		n    *node
		c    float64
		want float64
	}{
		{"unvisited is infinite", &node{parent: root}, 1, math.Inf(1)},
		{"exploit plus explore", &node{parent: root, visits: 2, reward: 3}, 1, 1.5 + math.Sqrt(math.Log(8)/2)},
		{"no exploration", &node{parent: root, visits: 4, reward: -2}, 0, -0.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := uct(tc.n, tc.c); got != tc.want && math.Abs(got-tc.want) > 1e-12 {
				t.Errorf("uct = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSelectExpandsRootUntilFull(t *testing.T) {
	f := newFixture(t, nil)
	f.add(f.s.root, false, 1, 1)
	f.add(f.s.root, false, 1, 1)
	f.s.root.inflight = 0
	if n, r := f.s.selectMCTS(0, 1); r != selected || n != f.s.root {
		t.Fatalf("selected %v (%v), want the root while it has room", n, r)
	}
	f.s.root.inflight = 1 // the third draft in flight fills the root
	f.s.inflight = 1
	if n, r := f.s.selectMCTS(0, 1); r != selected || n == f.s.root {
		t.Fatalf("selected the root (%v) although its drafts in flight fill it", r)
	}
}

func TestSelectDraftLocks(t *testing.T) {
	f := newFixture(t, nil)
	root := f.s.root
	a := f.add(root, false, 1, 2) // highest UCT
	b := f.add(root, false, 1, 1)
	c := f.add(root, false, 1, 0)
	a.lockedBy = 1
	n, r := f.s.selectMCTS(0, 1)
	if r != selected || n != b {
		t.Fatalf("worker 0 selected %v (%v), want %s: %s is held by worker 1", n, r, b.snap.ID, a.snap.ID)
	}
	if b.lockedBy != 0 || f.s.workers[0].draft != b {
		t.Errorf("selected draft not locked to worker 0")
	}
	c.lockedBy = 2
	if _, r := f.s.selectMCTS(1, 1); r != selected {
		t.Errorf("worker 1 may re-enter its own draft, got %v", r)
	}
	a.lockedBy, b.lockedBy, c.lockedBy = 1, 1, 2
	if _, r := f.s.selectMCTS(0, 1); r != mustWait {
		t.Errorf("all drafts held by others: got %v, want mustWait", r)
	}
	a.lockedBy, b.lockedBy, c.lockedBy = -1, -1, -1
	a.terminal, b.terminal, c.terminal = true, true, true
	if _, r := f.s.selectMCTS(0, 1); r != exhausted {
		t.Errorf("all drafts terminal, nothing in flight: got %v, want exhausted", r)
	}
	f.s.inflight = 1
	if _, r := f.s.selectMCTS(0, 1); r != mustWait {
		t.Errorf("all drafts terminal but a node in flight: got %v, want mustWait", r)
	}
}

func TestSelectDescent(t *testing.T) {
	cases := []struct {
		name  string
		mod   func(*Config)
		build func(f *treeFixture) (want *node)
	}{
		{"fully expanded node descends by UCT", nil, func(f *treeFixture) *node {
			d := f.add(f.s.root, false, 3, 3)
			f.add(f.s.root, false, 1, -1)
			f.add(f.s.root, false, 1, -1)
			f.add(d, false, 1, -1)
			return f.add(d, false, 1, 1)
		}},
		{"children in flight count as expanded", nil, func(f *treeFixture) *node {
			d := f.add(f.s.root, false, 3, 3)
			f.add(f.s.root, true, 1, -1)
			f.add(f.s.root, true, 1, -1)
			c := f.add(d, false, 1, 1)
			d.inflight = 1
			f.s.inflight = 1
			return c
		}},
		{"continue_improve descends into a good child", nil, func(f *treeFixture) *node {
			d := f.add(f.s.root, false, 2, 2)
			f.add(f.s.root, true, 1, -1)
			f.add(f.s.root, true, 1, -1)
			d.continueImprove = true
			return f.add(d, false, 1, 1)
		}},
		{"without continue_improve the node widens", func(c *Config) { c.ContinueImprove = false }, func(f *treeFixture) *node {
			d := f.add(f.s.root, false, 2, 2)
			f.add(f.s.root, true, 1, -1)
			f.add(f.s.root, true, 1, -1)
			d.continueImprove = true
			f.add(d, false, 1, 1)
			return d
		}},
		{"a debugged buggy node descends", func(c *Config) { c.NumBugs = 2 }, func(f *treeFixture) *node {
			d := f.add(f.s.root, true, 2, 0)
			f.add(f.s.root, true, 1, -1)
			f.add(f.s.root, true, 1, -1)
			d.debugSucceeded = true
			return f.add(d, false, 1, 1)
		}},
		{"terminal children are skipped", nil, func(f *treeFixture) *node {
			d := f.add(f.s.root, false, 3, 3)
			f.add(f.s.root, true, 1, -1)
			f.add(f.s.root, true, 1, -1)
			t := f.add(d, false, 1, 5)
			t.terminal = true
			return f.add(d, false, 1, -1)
		}},
		{"descends back to the node when every child is dead", nil, func(f *treeFixture) *node {
			d := f.add(f.s.root, false, 2, 2)
			f.add(f.s.root, true, 1, -1)
			f.add(f.s.root, true, 1, -1)
			d.continueImprove = true
			c := f.add(d, false, 1, 1)
			c.terminal = true
			return d
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.mod)
			want := tc.build(f)
			got, r := f.s.selectMCTS(0, 1)
			if r != selected || got != want {
				t.Fatalf("selected %v (%v), want %s", got, r, want.snap.ID)
			}
		})
	}
}
