package search

import (
	"math"
	"time"
)

// node is one tree node. Every field is guarded by searcher.mu; snap is
// immutable once the node is done, so copies of it may leave the lock.
type node struct {
	snap     NodeSnapshot
	parent   *node // nil only for the virtual root
	children []*node
	inflight int // children being expanded now
	status   NodeStatus
	commit   int // place in finishing order, 1-based

	createdAt, finishedAt time.Time
	usage                 Usage
	reviewUsage           Usage // the reviewer's part of usage
	codeSHA256            string

	visits          int
	reward          float64 // total backpropagated
	ownReward       float64
	uctC            float64
	improveFailures int
	terminal        bool
	debugSucceeded  bool
	continueImprove bool
	localBest       *node
	lockedBy        int // drafts: the worker holding the subtree, -1 when free
	isBest          bool

	// reachStamp/reachVal memoise canReach within one selection.
	reachStamp uint64
	reachVal   bool
}

func (n *node) isRoot() bool { return n.parent == nil }

// valid reports whether n is a working node with a usable metric.
func (n *node) valid() bool {
	return n.status == StatusDone && !n.snap.IsBuggy && n.snap.Metric != nil
}

// eligibleBest reports whether n may be the best node: working, finite
// metric, a submission that exists and passed format validation.
func (n *node) eligibleBest() bool {
	return n.valid() && n.snap.SubmissionExists && n.snap.FormatValid && finite(*n.snap.Metric)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// limit is the number of children n may have (ML-Master's expected
// children): num_drafts for the root, num_bugs for a buggy node, else
// num_improves.
func (s *searcher) limit(n *node) int {
	switch {
	case n.isRoot():
		return s.cfg.NumDrafts
	case n.snap.IsBuggy:
		return s.cfg.NumBugs
	default:
		return s.cfg.NumImproves
	}
}

// fullyExpanded counts children in flight, so parallel workers never
// over-expand a node; a buggy node whose debugging succeeded is expanded.
func (s *searcher) fullyExpanded(n *node) bool {
	if !n.isRoot() && n.snap.IsBuggy && n.debugSucceeded {
		return true
	}
	return len(n.children)+n.inflight >= s.limit(n)
}

// hasCapacity reports whether a new child of n may be started now.
func (s *searcher) hasCapacity(n *node) bool {
	if !n.isRoot() && (n.terminal || n.status != StatusDone) {
		return false
	}
	return !s.fullyExpanded(n)
}

// descends reports whether selection goes on below n rather than expanding
// it: when n is fully expanded, or (ML-Master) when a buggy n was debugged
// successfully, or when continue_improve is on, n's last trajectory went
// well and n has children.
func (s *searcher) descends(n *node) bool {
	if s.fullyExpanded(n) {
		return true
	}
	return s.cfg.ContinueImprove && n.continueImprove && len(n.children) > 0
}

// canReach reports whether selection entering n can end at a node it may
// expand. Memoised per selection by s.stamp.
func (s *searcher) canReach(n *node) bool {
	if n.reachStamp == s.stamp {
		return n.reachVal
	}
	v := s.reach(n)
	n.reachStamp, n.reachVal = s.stamp, v
	return v
}

func (s *searcher) reach(n *node) bool {
	if n.terminal || n.status != StatusDone {
		return false
	}
	if s.descends(n) {
		for _, c := range n.children {
			if s.canReach(c) {
				return true
			}
		}
	}
	return s.hasCapacity(n)
}

// uct is reward/visits + C*sqrt(ln(parent visits)/visits); +Inf unvisited.
func uct(n *node, c float64) float64 {
	if n.visits == 0 {
		return math.Inf(1)
	}
	pv := 1
	if n.parent != nil && n.parent.visits > 0 {
		pv = n.parent.visits
	}
	return n.reward/float64(n.visits) + c*math.Sqrt(math.Log(float64(pv))/float64(n.visits))
}

// selectResult is the outcome of a selection.
type selectResult int

const (
	selected  selectResult = iota
	mustWait               // nothing selectable now, but work in flight or locks held may change that
	exhausted              // nothing can ever be selected again
)

// lockDraft gives draft d's subtree to worker w.
func (s *searcher) lockDraft(w int, d *node) {
	d.lockedBy = w
	s.workers[w].draft = d
}

// releaseDraft frees the draft worker w holds, if any.
func (s *searcher) releaseDraft(w int) {
	if d := s.workers[w].draft; d != nil {
		if d.lockedBy == w {
			d.lockedBy = -1
		}
		s.workers[w].draft = nil
		s.cond.Broadcast()
	}
}

// draftOf returns the draft (child of the root) above n, nil for the root.
func draftOf(n *node) *node {
	for n != nil && n.parent != nil && !n.parent.isRoot() {
		n = n.parent
	}
	if n == nil || n.isRoot() {
		return nil
	}
	return n
}

// better reports whether metric a beats b in the locked direction.
func (s *searcher) better(a, b float64) bool {
	if s.lowerIsBetter != nil && *s.lowerIsBetter {
		return a < b
	}
	return a > b
}

// improvement is how much a improves on b in the locked direction.
func (s *searcher) improvement(a, b float64) float64 {
	if s.lowerIsBetter != nil && *s.lowerIsBetter {
		return b - a
	}
	return a - b
}

// backprop adds value to every node from leaf up to and including the
// root, as ML-Master does: it marks successful debugging up buggy chains,
// hands the leaf's continue-improve verdict up the path, frees the draft
// lock and resets the trajectory's improvement-failure counts.
func (s *searcher) backprop(leaf *node, value float64) {
	for n := leaf; n != nil; n = n.parent {
		if p := n.parent; p != nil && !p.isRoot() {
			if p.snap.IsBuggy && (!n.snap.IsBuggy || n.debugSucceeded) {
				p.debugSucceeded = true
			}
			p.continueImprove = n.continueImprove
		}
		if n.parent != nil && n.parent.isRoot() && n.lockedBy >= 0 {
			if w := n.lockedBy; s.workers[w].draft == n {
				s.workers[w].draft = nil
			}
			n.lockedBy = -1
		}
		n.improveFailures = 0
		n.visits++
		n.reward += value
	}
	s.cond.Broadcast()
}

// snapshots returns copies of the done nodes' snapshots.
func snapshots(ns []*node) []NodeSnapshot {
	if len(ns) == 0 {
		return nil
	}
	out := make([]NodeSnapshot, 0, len(ns))
	for _, n := range ns {
		if n.status == StatusDone {
			out = append(out, n.snap)
		}
	}
	return out
}

// debugChain returns the buggy ancestors of parent that belong to the same
// debug chain, oldest first.
func debugChain(parent *node) []NodeSnapshot {
	var chain []NodeSnapshot
	n := parent
	for d := parent.snap.DebugDepth; d > 0 && n.parent != nil && !n.parent.isRoot(); d-- {
		n = n.parent
		chain = append(chain, n.snap)
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain
}
