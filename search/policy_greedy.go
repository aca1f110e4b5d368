package search

// PolicyGreedy is AIDE's: num_drafts drafts, then debug a buggy leaf with
// probability debug_prob (up to max_debug_depth), else improve the best.
const PolicyGreedy PolicyName = "greedy"

func init() { registerPolicy(PolicyGreedy, greedy{}) }

// greedy has no UCT, no draft locks and no trajectories: every worker
// selects afresh after each node.
type greedy struct{}

func (greedy) explorationC(*searcher) float64 { return 0 }

func (greedy) keepParent(s *searcher, p *node) bool {
	return p.isRoot() || s.hasCapacity(p) || p.status == StatusDone
}

func (greedy) selectParent(s *searcher, _ int, _ float64) (*node, selectResult) {
	return s.selectGreedy(), selected
}

func (greedy) childStarted(*searcher, int, *node) {}

func (greedy) finished(s *searcher, w int, _ *node) *NodeSnapshot {
	s.workers[w].pending, s.workers[w].parent = false, nil
	return nil
}

func (greedy) resumed(*searcher, int, *node) {}

// selectGreedy is AIDE's policy: drafts until num_drafts exist; then with
// probability debug_prob a random buggy leaf below max_debug_depth; else the
// best node, or a new draft when there is no working node yet.
func (s *searcher) selectGreedy() *node {
	if len(s.root.children)+s.root.inflight < s.cfg.NumDrafts {
		return s.root
	}
	if s.rng.Float64() < s.cfg.DebugProb {
		var leaves []*node
		for _, n := range s.all {
			if n.status == StatusDone && n.snap.IsBuggy && len(n.children) == 0 && n.inflight == 0 &&
				n.snap.DebugDepth < s.cfg.MaxDebugDepth {
				leaves = append(leaves, n)
			}
		}
		if len(leaves) > 0 {
			return leaves[s.rng.IntN(len(leaves))]
		}
	}
	if s.best != nil {
		return s.best
	}
	return s.root
}
