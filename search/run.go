package search

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sourcegraph/conc/pool"
)

// StopReason says why a search ended.
type StopReason string

// The stop reasons.
const (
	StopSteps     StopReason = "steps"     // the node budget is spent
	StopTime      StopReason = "time"      // no node fits in the time left, or the hard deadline passed
	StopExhausted StopReason = "exhausted" // no node can be expanded any more
	StopCancelled StopReason = "cancelled" // ctx was cancelled
	StopFatal     StopReason = "fatal"     // a collaborator returned a fatal error
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
	// task-run; nil starts a fresh tree. Nodes that were in flight become
	// lost (never reused ids) and their parents are expanded again.
	Resume *State
}

// Result summarises a finished search.
type Result struct {
	// Best is the best node: best finite validation metric among working
	// nodes whose submission exists and passed format validation; nil when
	// there is none.
	Best   *NodeSnapshot
	Nodes  int // finished nodes in the tree, this run and earlier ones
	Buggy  int // of which buggy
	Lost   int // nodes lost in flight, this run and earlier ones
	Reason StopReason
	Usage  Usage
	// LowerIsBetter is the metric direction used, nil if never known.
	LowerIsBetter *bool
	// State is the final state (also the last one saved).
	State *State
}

// ErrBadState is returned when Options.Resume is not a usable state.
var ErrBadState = errors.New("search: invalid resume state")

// errDeadline is the cancellation cause at the hard deadline.
var errDeadline = errors.New("search: time limit reached")

// recentDurations is how many finished-node durations the time estimate
// averages.
const recentDurations = 20

// Run runs the search until the step budget is spent, no node fits in the
// time left, the tree is exhausted, ctx is cancelled or a fatal error
// occurs, and returns its Result.
//
// Workers (Config.Workers of them) each repeat: select a node (or go on
// with their own trajectory), reserve a child under the lock, ask the Coder
// for it, execute and review it outside the lock, then commit the outcome
// (and backpropagate when the trajectory ends) under the lock. After every
// reservation and every commit the State goes to the Checkpointer, then the
// finished node to the Tracer, then a new best to the BestSink, in commit
// order.
//
// A spent budget, an exhausted tree or a cancelled ctx is not an error: Run
// returns the Result with its Reason and a nil error. At the hard deadline
// (Config.TimeLimit, counted across resumes) work in flight is cancelled and
// recorded as lost. Errors wrapping ErrFatal and errors from the Tracer,
// BestSink or Checkpointer stop the search and are returned with the Result
// so far.
func Run(ctx context.Context, opts Options) (Result, error) {
	if err := opts.Config.Validate(); err != nil {
		return Result{}, fmt.Errorf("check search config: %w", err)
	}
	if opts.Coder == nil || opts.Executor == nil || opts.Reviewer == nil {
		return Result{}, errors.New("search: Run needs a Coder, an Executor and a Reviewer")
	}
	s := newSearcher(opts)
	if opts.Resume != nil {
		if err := s.restore(opts.Resume); err != nil {
			return Result{}, err
		}
	}
	s.start = s.clock.Now()

	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.cancel = cancel
	if s.cfg.TimeLimit > 0 {
		left := s.cfg.TimeLimit - s.prevElapsed
		if left <= 0 {
			s.setReason(StopTime)
		} else {
			s.deadline = s.start.Add(left)
			stop := s.clock.AfterFunc(left, func() { cancel(errDeadline) })
			defer stop()
		}
	}
	// Wake waiting workers when the run is cancelled.
	stopWake := context.AfterFunc(runCtx, func() {
		s.mu.Lock()
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	defer stopWake()

	p := pool.New().WithMaxGoroutines(s.cfg.Workers)
	for w := range s.cfg.Workers {
		p.Go(func() { s.worker(runCtx, w) })
	}
	p.Wait()

	s.mu.Lock()
	for w := range s.workers {
		s.releaseDraft(w)
	}
	final := s.state()
	s.mu.Unlock()
	if s.fatal == nil && s.checkpointer != nil {
		if err := s.checkpointer.Save(context.WithoutCancel(ctx), final); err != nil {
			s.fatal = fmt.Errorf("save checkpoint: %w", err)
		}
	}
	return s.result(runCtx, final), s.fatal
}

// searcher is one Run.
type searcher struct {
	cfg          Config
	policy       Policy
	coder        Coder
	executor     Executor
	reviewer     Reviewer
	tracer       Tracer
	bestSink     BestSink
	checkpointer Checkpointer
	clock        Clock

	mu            sync.Mutex
	cond          *sync.Cond
	root          *node
	all           []*node // creation order, including in flight and lost
	byID          map[string]*node
	seq           int
	inflight      int
	finished      int
	commits       int // commit ordinals handed out (== finished unless a resume state had gaps)
	buggy         int
	lost          int
	best          *node
	lowerIsBetter *bool
	rng           *rand.Rand
	pcg           *rand.PCG
	durations     []float64
	usage         Usage
	workers       []workerState
	stamp         uint64
	reason        StopReason
	fatal         error // guarded by mu until Run's workers end
	cancel        context.CancelCauseFunc
	start         time.Time
	deadline      time.Time // zero: none
	prevElapsed   time.Duration

	// Ordered emission of checkpoints, traces and bests.
	emitMu     sync.Mutex
	emitCond   *sync.Cond
	nextTicket uint64 // next ticket to hand out (under mu)
	turn       uint64 // ticket whose turn it is (under emitMu)
	emitFailed bool   // under emitMu
}

// workerState is a worker's trajectory (under mu).
type workerState struct {
	pending bool
	parent  *node // to expand next when pending (root: a new draft)
	draft   *node // draft subtree held
}

func newSearcher(opts Options) *searcher {
	s := &searcher{
		cfg:          opts.Config,
		coder:        opts.Coder,
		executor:     opts.Executor,
		reviewer:     opts.Reviewer,
		tracer:       opts.Tracer,
		bestSink:     opts.Best,
		checkpointer: opts.Checkpointer,
		clock:        opts.Clock,
		byID:         map[string]*node{},
		workers:      make([]workerState, opts.Config.Workers),
		policy:       policyOf(opts.Config.Policy),
	}
	if s.policy == nil {
		s.policy = policyOf(PolicyMCTS)
	}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	s.cond = sync.NewCond(&s.mu)
	s.emitCond = sync.NewCond(&s.emitMu)
	s.root = &node{snap: NodeSnapshot{Stage: StageRoot}, status: StatusDone, lockedBy: -1}
	s.pcg = rand.NewPCG(s.cfg.Seed, 0x9e3779b97f4a7c15)
	s.rng = rand.New(s.pcg)
	s.lowerIsBetter = s.cfg.LowerIsBetter
	return s
}

// setReason records the first reason to stop and wakes everyone (under mu).
func (s *searcher) setReason(r StopReason) {
	if s.reason == "" {
		s.reason = r
	}
	s.cond.Broadcast()
}

// setFatal records the first fatal error and cancels the run (under mu).
func (s *searcher) setFatal(err error) {
	if s.fatal == nil {
		s.fatal = err
		s.cancel(err)
	}
	s.setReason(StopFatal)
}

func (s *searcher) elapsed() time.Duration {
	return s.prevElapsed + s.clock.Now().Sub(s.start)
}

// job is a reserved expansion.
type job struct {
	n   *node
	req Request
}

// worker runs one worker's loop until it is told to stop.
func (s *searcher) worker(ctx context.Context, w int) {
	for {
		j, em, ok := s.reserve(ctx, w)
		s.emit(ctx, em)
		if !ok {
			return
		}
		out := s.expand(ctx, j)
		s.emit(ctx, s.commit(w, j, out))
	}
}

// reserve picks the next parent for worker w and reserves its child.
func (s *searcher) reserve(ctx context.Context, w int) (job, *emission, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := &s.workers[w]
	for {
		if s.reason != "" || ctx.Err() != nil {
			s.releaseDraft(w)
			return job{}, nil, false
		}
		if s.finished+s.inflight >= s.cfg.Steps {
			if s.finished >= s.cfg.Steps {
				s.setReason(StopSteps)
			}
			s.releaseDraft(w)
			return job{}, nil, false
		}
		if !s.timeFits() {
			s.setReason(StopTime)
			s.releaseDraft(w)
			return job{}, nil, false
		}
		c := s.policy.explorationC(s)
		var parent *node
		if ws.pending {
			if p := ws.parent; s.policy.keepParent(s, p) {
				parent = p
			} else {
				ws.pending, ws.parent = false, nil
				s.releaseDraft(w)
			}
		}
		if parent == nil {
			var r selectResult
			parent, r = s.policy.selectParent(s, w, c)
			switch r {
			case mustWait:
				s.cond.Wait()
				continue
			case exhausted:
				s.setReason(StopExhausted)
				s.releaseDraft(w)
				return job{}, nil, false
			}
		}
		j := s.newChild(w, parent, c)
		var em *emission
		if s.checkpointer != nil {
			em = &emission{ticket: s.takeTicket(), state: s.state()}
		}
		return j, em, true
	}
}

// timeFits reports whether another node fits in the time left, judged by
// the mean duration of the recent finished nodes (under mu).
func (s *searcher) timeFits() bool {
	if s.deadline.IsZero() || len(s.durations) == 0 {
		return true
	}
	sum := 0.0
	for _, d := range s.durations {
		sum += d
	}
	mean := sum / float64(len(s.durations))
	left := s.deadline.Sub(s.clock.Now()).Seconds()
	return left >= mean
}

// newChild creates the in-flight child of parent for worker w (under mu).
func (s *searcher) newChild(w int, parent *node, c float64) job {
	s.seq++
	stage := StageImprove
	depth := 0
	switch {
	case parent.isRoot():
		stage = StageDraft
	case parent.snap.IsBuggy:
		stage = StageDebug
		depth = parent.snap.DebugDepth + 1
	}
	n := &node{
		snap: NodeSnapshot{
			ID:         fmt.Sprintf("n%04d", s.seq),
			ParentID:   parent.snap.ID,
			Stage:      stage,
			Step:       s.seq,
			Worker:     w,
			DebugDepth: depth,
		},
		parent:    parent,
		status:    StatusInFlight,
		createdAt: s.clock.Now(),
		uctC:      c,
		lockedBy:  -1,
	}
	parent.inflight++
	s.inflight++
	s.all = append(s.all, n)
	s.byID[n.snap.ID] = n
	ws := &s.workers[w]
	ws.pending, ws.parent = true, parent
	s.policy.childStarted(s, w, n)

	req := Request{
		Stage:         stage,
		NodeID:        n.snap.ID,
		Step:          n.snap.Step,
		Worker:        w,
		Drafts:        snapshots(s.root.children),
		LowerIsBetter: s.lowerIsBetter,
		StepsLeft:     s.cfg.Steps - s.finished - s.inflight,
	}
	if !s.deadline.IsZero() {
		req.TimeLeft = max(s.deadline.Sub(s.clock.Now()), 0)
	}
	if !parent.isRoot() {
		ps := parent.snap
		req.Parent = &ps
		req.Siblings = snapshots(parent.children)
		if stage == StageDebug {
			req.DebugChain = debugChain(parent)
		}
	}
	if s.best != nil {
		bs := s.best.snap
		req.Best = &bs
	}
	return job{n: n, req: req}
}
