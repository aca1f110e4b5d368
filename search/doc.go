// Package search is the ML-Master tree search: a Monte-Carlo tree over
// LLM-written solutions with three stages (draft, improve, debug), UCT
// selection with a decaying exploration constant, expansion limits that count
// children in flight, balanced multi-trajectory workers, backpropagation,
// step and time budgets, best-node choice and checkpoint/resume. An AIDE-style
// greedy policy is included for ablations.
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
package search
