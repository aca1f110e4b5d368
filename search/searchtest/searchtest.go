// Package searchtest provides scripted fakes of search's collaborators for
// tests and benchmarks: a Fake that is Coder, Executor and Reviewer at once
// and plays an Outcome per node, a manual Clock, and a Recorder that is
// Tracer, BranchTracer, BestSink and Checkpointer and can simulate a kill.
package searchtest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mlbench/mlbench/search"
)

// M returns a pointer to the metric v.
func M(v float64) *float64 { return &v }

// B returns a pointer to b.
func B(b bool) *bool { return &b }

// Outcome scripts one node: what the coder, executor and reviewer do.
type Outcome struct {
	Bug           bool     // the reviewer calls it a bug
	Metric        *float64 // the reviewer's metric (nil: none)
	LowerIsBetter *bool    // the reviewer's opinion of the direction
	Summary       string
	ExitCode      int
	TimedOut      bool
	OOM           bool
	NoSubmission  bool
	FormatInvalid bool
	EmptyCode     bool // the coder returns no code
	// Errors returned by the coder, executor or reviewer.
	CoderErr, ExecErr, ReviewErr error
	// PanicIn names the collaborator that panics: "coder", "executor" or
	// "reviewer".
	PanicIn string
	// ExecAdvance, when set, overrides Fake.ExecAdvance for this node.
	ExecAdvance time.Duration
	// Output and FormatError, when set, replace the executor's scripted
	// output and format error (FormatError implies FormatInvalid).
	Output, FormatError string
	Usage               search.Usage
}

// Fake is a scripted Coder, Executor and Reviewer. Script decides each
// node's Outcome from its Request; delays are real (ctx-aware) sleeps, and
// advances move Clock, for tests of time budgets.
type Fake struct {
	Script     func(req search.Request) Outcome
	CoderDelay time.Duration
	ExecDelay  time.Duration
	Clock      *Clock
	// CoderAdvance and ExecAdvance move Clock (when set) in each call.
	CoderAdvance, ExecAdvance time.Duration

	mu       sync.Mutex
	outcomes map[string]Outcome
	requests []search.Request
	reviewed []search.ExecResult
}

// Reviewed returns the executor results the reviewer was given, in call
// order.
func (f *Fake) Reviewed() []search.ExecResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]search.ExecResult(nil), f.reviewed...)
}

var (
	_ search.Coder    = (*Fake)(nil)
	_ search.Executor = (*Fake)(nil)
	_ search.Reviewer = (*Fake)(nil)
)

// Requests returns the coder requests received so far, in call order.
func (f *Fake) Requests() []search.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]search.Request(nil), f.requests...)
}

func (f *Fake) outcome(id string) Outcome {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.outcomes[id]
}

func (f *Fake) wait(ctx context.Context, d, adv time.Duration) error {
	if d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	if adv > 0 && f.Clock != nil {
		f.Clock.Advance(adv)
	}
	return ctx.Err()
}

func (f *Fake) write(ctx context.Context, req search.Request) (search.Proposal, error) {
	var o Outcome
	if f.Script != nil {
		o = f.Script(req)
	}
	f.mu.Lock()
	if f.outcomes == nil {
		f.outcomes = map[string]Outcome{}
	}
	f.outcomes[req.NodeID] = o
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	if err := f.wait(ctx, f.CoderDelay, f.CoderAdvance); err != nil {
		return search.Proposal{}, err
	}
	if o.PanicIn == "coder" {
		panic("scripted coder panic")
	}
	if o.CoderErr != nil {
		return search.Proposal{}, o.CoderErr
	}
	p := search.Proposal{Plan: fmt.Sprintf("%s for %s", req.Stage, req.NodeID), Usage: o.Usage}
	if !o.EmptyCode {
		p.Code = fmt.Sprintf("# %s %s\nprint('ok')\n", req.Stage, req.NodeID)
	}
	return p, nil
}

// Draft implements search.Coder.
func (f *Fake) Draft(ctx context.Context, req search.Request) (search.Proposal, error) {
	return f.write(ctx, req)
}

// Improve implements search.Coder.
func (f *Fake) Improve(ctx context.Context, req search.Request) (search.Proposal, error) {
	return f.write(ctx, req)
}

// Debug implements search.Coder.
func (f *Fake) Debug(ctx context.Context, req search.Request) (search.Proposal, error) {
	return f.write(ctx, req)
}

// Execute implements search.Executor.
func (f *Fake) Execute(ctx context.Context, node search.NodeSnapshot) (search.ExecResult, error) {
	o := f.outcome(node.ID)
	adv := f.ExecAdvance
	if o.ExecAdvance > 0 {
		adv = o.ExecAdvance
	}
	if err := f.wait(ctx, f.ExecDelay, adv); err != nil {
		return search.ExecResult{}, err
	}
	if o.PanicIn == "executor" {
		panic("scripted executor panic")
	}
	if o.ExecErr != nil {
		return search.ExecResult{}, o.ExecErr
	}
	r := search.ExecResult{
		ExitCode:         o.ExitCode,
		TimedOut:         o.TimedOut,
		OOM:              o.OOM,
		Output:           cmp.Or(o.Output, "output of "+node.ID),
		Seconds:          (f.ExecDelay + adv).Seconds(),
		SubmissionExists: !o.NoSubmission,
		FormatValid:      !o.NoSubmission && !o.FormatInvalid,
	}
	if o.FormatInvalid || o.FormatError != "" {
		r.FormatValid = false
		r.FormatError = cmp.Or(o.FormatError, "scripted format error")
	}
	return r, nil
}

// Review implements search.Reviewer.
func (f *Fake) Review(ctx context.Context, node search.NodeSnapshot, res search.ExecResult) (search.Review, error) {
	if err := ctx.Err(); err != nil {
		return search.Review{}, err
	}
	f.mu.Lock()
	f.reviewed = append(f.reviewed, res)
	f.mu.Unlock()
	o := f.outcome(node.ID)
	if o.PanicIn == "reviewer" {
		panic("scripted reviewer panic")
	}
	if o.ReviewErr != nil {
		return search.Review{}, o.ReviewErr
	}
	return search.Review{IsBug: o.Bug, Summary: o.Summary, Metric: o.Metric, LowerIsBetter: o.LowerIsBetter}, nil
}

// Clock is a manual search.Clock. Advance moves it and runs the functions
// of timers that fall due, synchronously, in the caller's goroutine.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
}

type timer struct {
	at      time.Time
	f       func()
	stopped bool
}

var _ search.Clock = (*Clock)(nil)

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now implements search.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc implements search.Clock.
func (c *Clock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &timer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock by d and fires the timers now due.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	for _, t := range c.timers {
		if !t.stopped && !t.at.After(c.now) {
			t.stopped = true
			due = append(due, t.f)
		}
	}
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// Recorder keeps everything the search emits, in memory. Each saved State
// is kept as JSON, as a harness would write it. With KillAfter > 0 the
// KillAfter-th Save is kept, then Kill is called and every later call is
// dropped, as if the process had died right after that save.
type Recorder struct {
	KillAfter int
	Kill      func()
	// Fail, when set, is returned by every call of the named method
	// ("Save", "NodeDone", "BranchDone" or "OnNewBest").
	Fail   map[string]error
	mu     sync.Mutex
	killed bool
	saves  int

	records  []search.NodeRecord
	branches []search.NodeSnapshot
	bests    []search.NodeSnapshot
	states   [][]byte
}

var (
	_ search.Tracer       = (*Recorder)(nil)
	_ search.BranchTracer = (*Recorder)(nil)
	_ search.BestSink     = (*Recorder)(nil)
	_ search.Checkpointer = (*Recorder)(nil)
)

// Save implements search.Checkpointer.
func (r *Recorder) Save(_ context.Context, st *search.State) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.Fail["Save"]; err != nil {
		return err
	}
	if r.killed {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("marshal state: %w", err)
	}
	r.states = append(r.states, b)
	r.saves++
	if r.KillAfter > 0 && r.saves == r.KillAfter {
		r.killed = true
		if r.Kill != nil {
			r.Kill()
		}
	}
	return nil
}

// NodeDone implements search.Tracer.
func (r *Recorder) NodeDone(_ context.Context, rec search.NodeRecord) error {
	return keep(r, "NodeDone", &r.records, rec)
}

// BranchDone implements search.BranchTracer.
func (r *Recorder) BranchDone(_ context.Context, leaf search.NodeSnapshot) error {
	return keep(r, "BranchDone", &r.branches, leaf)
}

// OnNewBest implements search.BestSink.
func (r *Recorder) OnNewBest(_ context.Context, best search.NodeSnapshot) error {
	return keep(r, "OnNewBest", &r.bests, best)
}

// keep appends v to r's list unless method is set to fail (its error is
// returned) or r was killed (what a dead process would not have written).
func keep[T any](r *Recorder, method string, list *[]T, v T) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.Fail[method]; err != nil {
		return err
	}
	if !r.killed {
		*list = append(*list, v)
	}
	return nil
}

// Records returns the traced rows in order.
func (r *Recorder) Records() []search.NodeRecord { return kept(r, &r.records) }

// Branches returns the leaves of ended trajectories in order.
func (r *Recorder) Branches() []search.NodeSnapshot { return kept(r, &r.branches) }

// Bests returns the new bests in order.
func (r *Recorder) Bests() []search.NodeSnapshot { return kept(r, &r.bests) }

// kept copies one of r's lists under its lock.
func kept[T any](r *Recorder, list *[]T) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), *list...)
}

// Saves returns how many states were kept.
func (r *Recorder) Saves() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.states)
}

// ErrNoState is returned by LastState before any Save.
var ErrNoState = errors.New("searchtest: no state saved")

// LastState decodes the last kept State, as a harness would load it.
func (r *Recorder) LastState() (*search.State, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.states) == 0 {
		return nil, ErrNoState
	}
	var st search.State
	if err := json.Unmarshal(r.states[len(r.states)-1], &st); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	return &st, nil
}
