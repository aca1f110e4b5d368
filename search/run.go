package search

import (
	"context"
	"errors"
)

// StopReason says why a search ended.
type StopReason string

// The stop reasons.
const (
	StopSteps     StopReason = "steps"     // the node budget is spent
	StopTime      StopReason = "time"      // no node fits in the time left, or the hard deadline passed
	StopExhausted StopReason = "exhausted" // no node can be expanded any more
	StopCancelled StopReason = "cancelled" // ctx was cancelled
	StopFatal     StopReason = "fatal"     // a collaborator returned an error
)

// Options are Run's inputs. Coder, Executor and Reviewer are required; the
// others may be nil (Clock then defaults to SystemClock).
type Options struct {
	Config       Config
	Coder        Coder
	Executor     Executor
	Reviewer     Reviewer
	Tracer       Tracer
	Best         BestSink
	Checkpointer Checkpointer
	Clock        Clock
	// Resume is a State saved by a Checkpointer of an earlier run of the same
	// task-run; nil starts a fresh tree.
	Resume *State
}

// Result summarises a finished search.
type Result struct {
	// Best is the best node: best finite validation metric among nodes whose
	// submission exists and passed format validation; nil when none.
	Best   *NodeSnapshot
	Nodes  int // finished nodes in the tree
	Buggy  int // of which buggy
	Lost   int // nodes lost in flight (this run and earlier ones)
	Reason StopReason
	Usage  Usage
	// LowerIsBetter is the metric direction used, nil if never known.
	LowerIsBetter *bool
	// State is the final state (also the last one saved).
	State *State
}

// Run runs the search until the step budget is spent, no node fits in the
// time limit, the tree is exhausted, ctx is cancelled or a fatal error
// occurs. A cancelled ctx or a spent budget is not an error: Run returns the
// Result with its Reason and a nil error. Errors from Tracer, BestSink,
// Checkpointer and errors wrapping ErrFatal are returned with the Result so
// far.
func Run(ctx context.Context, opts Options) (Result, error) {
	return Result{}, errors.New("search: Run not implemented yet")
}
