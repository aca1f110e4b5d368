package search

import "math"

// PolicyMCTS is ML-Master's balanced multi-trajectory tree search.
const PolicyMCTS PolicyName = "mcts"

func init() { registerPolicy(PolicyMCTS, mcts{}) }

// mcts selects by UCT with a decaying exploration constant; each worker
// holds one draft's subtree at a time and follows a trajectory (improving
// or debugging the node it just made) until ML-Master's rules end it, then
// backpropagates the trajectory's reward.
type mcts struct{}

func (mcts) explorationC(s *searcher) float64 {
	return ExplorationC(s.cfg, Progress{Step: s.finished, Elapsed: s.elapsed()})
}

func (mcts) keepParent(s *searcher, p *node) bool { return p.isRoot() || s.hasCapacity(p) }

func (mcts) selectParent(s *searcher, w int, c float64) (*node, selectResult) {
	return s.selectMCTS(w, c)
}

func (mcts) childStarted(s *searcher, w int, n *node) {
	if n.snap.Stage == StageDraft {
		s.releaseDraft(w)
		s.lockDraft(w, n)
	}
}

func (mcts) finished(s *searcher, w int, n *node) *NodeSnapshot {
	ws := &s.workers[w]
	if !s.trajectoryEnds(n) {
		ws.pending, ws.parent = true, n
		return nil
	}
	s.backprop(n, n.ownReward)
	ws.pending, ws.parent = false, nil
	s.releaseDraft(w)
	b := n.snap
	return &b
}

func (mcts) resumed(s *searcher, w int, p *node) {
	if d := draftOf(p); d != nil && d.lockedBy < 0 {
		s.lockDraft(w, d)
	}
}

// selectMCTS walks from the root by UCT and returns the node to expand.
// At the root, drafts held by other workers are skipped and the chosen one
// is locked to worker w.
func (s *searcher) selectMCTS(w int, c float64) (*node, selectResult) {
	s.stamp++
	root := s.root
	if s.hasCapacity(root) {
		return root, selected
	}
	var best *node
	bestV := math.Inf(-1)
	held := false
	for _, d := range root.children {
		if d.lockedBy >= 0 && d.lockedBy != w {
			held = true
			continue
		}
		if !s.canReach(d) {
			continue
		}
		if v := uct(d, c); best == nil || v > bestV {
			best, bestV = d, v
		}
	}
	if best == nil {
		if held || s.inflight > 0 {
			return nil, mustWait
		}
		return nil, exhausted
	}
	s.lockDraft(w, best)
	n := best
	for s.descends(n) {
		var next *node
		nextV := math.Inf(-1)
		for _, ch := range n.children {
			if !s.canReach(ch) {
				continue
			}
			if v := uct(ch, c); next == nil || v > nextV {
				next, nextV = ch, v
			}
		}
		if next == nil {
			break // canReach(n) held, so n itself has capacity
		}
		n = next
	}
	return n, selected
}

// trajectoryEnds applies ML-Master's trajectory rules to the node just
// finished and reports whether the worker backpropagates (else it goes on
// expanding n). Under mu.
func (s *searcher) trajectoryEnds(n *node) bool {
	parent := n.parent
	if n.snap.IsBuggy {
		n.continueImprove = false
		if n.snap.DebugDepth >= s.cfg.MaxDebugDepth {
			n.terminal = true
		}
		return n.snap.DebugDepth >= s.cfg.BackDebugDepth || n.terminal
	}
	n.continueImprove = true
	if parent.isRoot() || parent.snap.IsBuggy {
		// A working draft starts its trajectory's local best; a debug
		// success ends the trajectory.
		n.localBest = n
		return !parent.isRoot()
	}
	lb := parent.localBest
	if lb == nil || !lb.valid() {
		n.localBest = n
		return false
	}
	if s.improvement(*n.snap.Metric, *lb.snap.Metric) >= s.cfg.ImprovementThreshold {
		n.localBest = n
		return false
	}
	n.localBest = lb
	lb.improveFailures++
	if lb.improveFailures >= s.cfg.MaxImproveFailure {
		n.terminal = true
		n.continueImprove = false
		return true
	}
	return false
}
