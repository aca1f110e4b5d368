package search

import (
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

// policies are the selection policies by name.
var policies = configs.NewRegistry[Policy]("search.policy", "policy")

// registerPolicy makes p available as search.policy = name.
func registerPolicy(name PolicyName, p Policy) { policies.Register(string(name), p) }

// policyOf returns the policy name names (nil when none).
func policyOf(name PolicyName) Policy {
	p, _ := policies.Get(string(name))
	return p
}

// Policies lists the registered policy names, sorted.
func Policies() []string { return policies.Kinds() }
