package search

import (
	"sort"
	"sync"

	"github.com/mlbench/mlbench/configs"
)

// PolicyName names a search policy (search.policy).
type PolicyName string

// Policy is what distinguishes one tree-search policy from another: which
// node to expand next, whether a worker keeps expanding the node it just
// made, and what happens to a trajectory when a node finishes. Everything
// else (budgets, workers, stages, rewards, checkpoints, emission) is shared
// by every policy.
//
// Every method runs under the searcher's lock (searcher.mu) and may read
// and change the tree. A policy lives in its own file of this package
// (policy_mcts.go, policy_greedy.go) and registers itself with
// registerPolicy from an init function; adding one is that file alone.
type Policy interface {
	// explorationC is the UCT exploration constant at this point of the
	// search, recorded on each child (0 for policies without UCT).
	explorationC(s *searcher) float64
	// keepParent says whether worker w, whose last node was p, expands p
	// again (else it selects afresh).
	keepParent(s *searcher, p *node) bool
	// selectParent picks the node worker w expands next; mustWait when
	// nothing is selectable now, exhausted when nothing ever will be.
	selectParent(s *searcher, w int, c float64) (*node, selectResult)
	// childStarted is told that worker w started child n of its parent.
	childStarted(s *searcher, w int, n *node)
	// finished is told that worker w's node n finished and was reviewed;
	// it sets what the worker does next (workers[w].pending/parent) and
	// returns the node whose trajectory (branch) ended, or nil.
	finished(s *searcher, w int, n *node) *NodeSnapshot
	// resumed restores what worker w held when it was checkpointed with
	// pending parent p.
	resumed(s *searcher, w int, p *node)
}

var (
	policiesMu sync.Mutex
	policies   = map[PolicyName]Policy{}
)

// registerPolicy makes p available as search.policy = name.
func registerPolicy(name PolicyName, p Policy) {
	policiesMu.Lock()
	defer policiesMu.Unlock()
	if _, dup := policies[name]; dup {
		panic("search: policy " + string(name) + " registered twice")
	}
	policies[name] = p
	configs.RegisterKind("search.policy", string(name))
}

// policyOf returns the policy name names (nil when none).
func policyOf(name PolicyName) Policy {
	policiesMu.Lock()
	defer policiesMu.Unlock()
	return policies[name]
}

// Policies lists the registered policy names, sorted.
func Policies() []string {
	policiesMu.Lock()
	defer policiesMu.Unlock()
	out := make([]string, 0, len(policies))
	for name := range policies {
		out = append(out, string(name))
	}
	sort.Strings(out)
	return out
}
