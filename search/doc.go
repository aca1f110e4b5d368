// Package search is the ML-Master tree search: a Monte-Carlo tree over
// LLM-written solutions with three stages (draft, improve, debug), UCT
// selection with a decaying exploration constant, expansion limits that count
// children in flight, balanced multi-trajectory workers, backpropagation,
// step and time budgets, best-node choice and checkpoint/resume. What one
// policy does differently from another (selection, whether a worker follows
// a trajectory, what ends it) is a Policy, one file each: policy_mcts.go
// (ML-Master, the default) and policy_greedy.go (AIDE-style, for
// ablations); search.policy picks one by its registered name.
//
// The package is pure logic. It reaches the world only through the small
// interfaces declared in search.go:
//
//   - Coder writes a plan and code for a Request (Draft, Improve, Debug).
//   - Executor runs a node's code and reports the facts (exit code, timeout,
//     submission present and format-valid).
//   - Reviewer reads an execution and says bug or not, metric, summary.
//   - Tracer receives every finished node as a row.
//   - BestSink is told as soon as a new best node appears.
//   - Checkpointer persists the serialisable State after every change.
//   - Clock gives the time and the hard-deadline timer.
//
// Call order for one node: Coder (one of Draft/Improve/Debug), Executor,
// Reviewer; then, in commit order, Checkpointer.Save, Tracer.NodeDone and,
// when the node is a new best, BestSink.OnNewBest. Coder, Executor and
// Reviewer are called concurrently from up to Config.Workers goroutines and
// must be safe for that; Tracer, BestSink and Checkpointer are never called
// concurrently with themselves or each other.
//
// A failure of a node (coder error, crash, timeout, bad submission, panic in
// a collaborator) is data: the node is recorded as buggy with its Error and
// the search goes on. Errors that wrap ErrFatal, and any error from Tracer,
// BestSink or Checkpointer, stop the search and are returned by Run.
//
// # The algorithm (ML-Master)
//
// A virtual root's children are drafts; the child of a buggy node is a debug
// node (a node is buggy when the reviewer says so, when it has no finite
// metric, or when the executor's facts say so: non-zero exit, timeout, OOM,
// missing or format-invalid submission); any other child is an improvement.
// The root takes num_drafts children, a buggy node num_bugs (and counts as
// expanded once one of its debug children works), a working node
// num_improves; children in flight count.
//
// Selection descends from the root while a node is fully expanded, or is a
// successfully debugged buggy node, or (continue_improve) its last
// trajectory went well and it has children, choosing the child of highest
// UCT = reward/visits + C*sqrt(ln(parent visits)/visits) (unvisited first).
// At the root, drafts held by another worker are skipped and the chosen
// draft is held until the worker backpropagates. C follows ExplorationC.
//
// A worker then follows its own trajectory without reselecting: it keeps
// improving a working node it just made; an improvement that does not beat
// the trajectory's local best by improvement_threshold counts a failure on
// that local best and the worker goes on from the new node, until the
// max_improve_failure-th failure makes the new node terminal. A buggy node
// is debugged again until its debug depth reaches back_debug_depth; at
// max_debug_depth it is terminal. A debug success, a terminal node or the
// back_debug_depth limit ends the trajectory: the node's reward (-1 buggy,
// +1 working, +1 more for a new global best unless reward is ml-master-v1)
// is backpropagated to the root, the path's failure counts reset, and the
// worker reselects.
//
// Where this differs from the published Python: the global best is really
// tracked (reward "ml-master-v1" restores the missing bonus bug); the
// metric direction comes from Config.LowerIsBetter, else it is locked from
// the first valid node and never flips; NaN and infinite metrics count as no
// metric; selection, expansion bookkeeping and backprop run under one mutex;
// nodes in flight and subtrees with nothing to expand are never selected;
// when every draft is held by another worker and the root is full, a worker
// waits for a change instead of spinning; and the search stops when no node
// can be expanded any more.
//
// # Budgets, checkpoints and ids
//
// Config.Steps bounds the finished nodes. With Config.TimeLimit, no node is
// started when the time left is shorter than the mean duration of the recent
// nodes, and at the hard deadline work in flight is cancelled and recorded
// as lost. Node ids are n0001, n0002, ... in the order nodes start and are
// never reused, also across resumes (a lost node's id stays taken).
package search
