package search

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/sourcegraph/conc/panics"
)

// outcome is what expanding one node produced, outside the lock.
type outcome struct {
	lost     bool  // cancelled in flight: not part of the tree
	fatal    error // stop the search
	prop     Proposal
	exec     ExecResult
	review   Review
	err      string // why the node failed outside its code
	codeSHA  string
	finished time.Time
}

// call runs f, turning a panic into an error.
func call(what string, f func() error) error {
	var err error
	if r := panics.Try(func() { err = f() }); r != nil {
		return fmt.Errorf("%s panicked: %v", what, r.Value)
	}
	return err
}

// expand asks the Coder for the node, executes and reviews it.
func (s *searcher) expand(ctx context.Context, j job) (out outcome) {
	// classify turns a collaborator error into a lost node, a fatal stop or
	// a failed node; it reports whether expansion should stop here.
	classify := func(what string, err error) bool {
		if err == nil {
			return false
		}
		switch {
		case ctx.Err() != nil:
			out.lost = true
		case errors.Is(err, ErrFatal):
			out.fatal = fmt.Errorf("%s node %s: %w", what, j.n.snap.ID, err)
		default:
			out.err = boundError(fmt.Sprintf("%s: %v", what, err))
		}
		return true
	}
	defer func() { out.finished = s.clock.Now() }()

	err := call("coder", func() error {
		var err error
		switch j.req.Stage {
		case StageDraft:
			out.prop, err = s.coder.Draft(ctx, j.req)
		case StageDebug:
			out.prop, err = s.coder.Debug(ctx, j.req)
		default:
			out.prop, err = s.coder.Improve(ctx, j.req)
		}
		return err
	})
	if classify("write code", err) {
		return out
	}
	sum := sha256.Sum256([]byte(out.prop.Code))
	out.codeSHA = hex.EncodeToString(sum[:])
	if out.prop.Code == "" {
		out.err = "write code: the coder returned no code"
		return out
	}
	snap := j.n.snap
	snap.Plan, snap.Code = out.prop.Plan, out.prop.Code
	err = call("executor", func() error {
		var err error
		out.exec, err = s.executor.Execute(ctx, snap)
		out.exec = out.exec.Bounded()
		return err
	})
	if classify("execute", err) {
		return out
	}
	snap.Output = out.exec.Output
	err = call("reviewer", func() error {
		var err error
		out.review, err = s.reviewer.Review(ctx, snap, out.exec)
		return err
	})
	classify("review", err)
	return out
}

// commit records the outcome of j for worker w, decides whether its
// trajectory goes on or backpropagates, and returns what to emit.
func (s *searcher) commit(w int, j job, out outcome) *emission {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.cond.Broadcast()
	n, parent := j.n, j.n.parent
	parent.inflight--
	s.inflight--
	if out.lost || out.fatal != nil {
		// The worker stays pending on parent: a resume re-expands it.
		n.status = StatusLost
		s.lost++
		if out.fatal != nil {
			s.setFatal(out.fatal)
		}
		return nil
	}

	// Fill in the node; executor facts override the reviewer.
	sn := &n.snap
	sn.Plan, sn.Code = out.prop.Plan, out.prop.Code
	sn.Output = out.exec.Output
	sn.Summary = out.review.Summary
	if m := out.review.Metric; m != nil && finite(*m) {
		v := *m
		sn.Metric = &v
	}
	sn.SubmissionExists = out.exec.SubmissionExists
	sn.FormatValid = out.exec.FormatValid
	sn.FormatError = out.exec.FormatError
	sn.ExitCode, sn.TimedOut, sn.OOM = out.exec.ExitCode, out.exec.TimedOut, out.exec.OOM
	sn.ExecSeconds = out.exec.Seconds
	sn.Error = out.err
	sn.IsBuggy = out.err != "" || out.review.IsBug || out.exec.Failed() || sn.Metric == nil
	n.usage = out.prop.Usage.Add(out.review.Usage)
	n.reviewUsage = out.review.Usage
	n.codeSHA256 = out.codeSHA
	n.finishedAt = out.finished
	n.status = StatusDone
	parent.children = append(parent.children, n)
	s.finished++
	s.commits++
	n.commit = s.commits
	if sn.IsBuggy {
		s.buggy++
	}
	s.usage = s.usage.Add(n.usage)
	s.durations = append(s.durations, n.finishedAt.Sub(n.createdAt).Seconds())
	if len(s.durations) > recentDurations {
		s.durations = s.durations[len(s.durations)-recentDurations:]
	}

	// Direction: the grader's when known, else locked once from the first
	// valid node's review (higher is better when the reviewer is silent).
	if n.valid() && s.lowerIsBetter == nil {
		lower := out.review.LowerIsBetter != nil && *out.review.LowerIsBetter
		s.lowerIsBetter = &lower
	}
	newBest := n.eligibleBest() && (s.best == nil || s.better(*sn.Metric, *s.best.snap.Metric))
	if newBest {
		s.best = n
		n.isBest = true
	}
	if !sn.IsBuggy && !parent.isRoot() && parent.snap.IsBuggy {
		for p := parent; !p.isRoot() && p.snap.IsBuggy; p = p.parent {
			p.debugSucceeded = true
		}
	}
	n.ownReward = s.reward(n, newBest)

	branch := s.policy.finished(s, w, n)

	if s.tracer == nil && s.bestSink == nil && s.checkpointer == nil {
		return nil
	}
	em := &emission{ticket: s.takeTicket(), branch: branch}
	if s.checkpointer != nil {
		em.state = s.state()
	}
	if s.tracer != nil {
		rec := s.record(n)
		em.rec = &rec
	}
	if newBest && s.bestSink != nil {
		b := n.snap
		em.best = &b
	}
	return em
}

// reward is the value a finished node backpropagates: -1 when buggy, +1
// when working, and under the intended rule +1 more for a new global best
// (ML-Master's published code never sets its best, so never pays it).
func (s *searcher) reward(n *node, newBest bool) float64 {
	if n.snap.IsBuggy {
		return -1
	}
	r := 1.0
	if newBest && s.cfg.Reward == RewardIntended {
		r++
	}
	return r
}

// record builds n's trace row (under mu).
func (s *searcher) record(n *node) NodeRecord {
	ns := n.state()
	return ns.Record(s.lowerIsBetter)
}

// emission is what one reservation or commit hands to the Checkpointer,
// Tracer and BestSink, in ticket order.
type emission struct {
	ticket uint64
	state  *State
	rec    *NodeRecord
	best   *NodeSnapshot
	branch *NodeSnapshot
}

// takeTicket hands out the next emission ticket (under mu).
func (s *searcher) takeTicket() uint64 {
	t := s.nextTicket
	s.nextTicket++
	return t
}

// emit delivers em when its ticket's turn comes: the checkpoint first, so a
// node is traced only once a saved state holds it as done (a killed run
// never traces a node twice), then the trace row, then the best.
func (s *searcher) emit(ctx context.Context, em *emission) {
	if em == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	s.emitMu.Lock()
	for s.turn != em.ticket {
		s.emitCond.Wait()
	}
	err := s.deliver(ctx, em)
	s.turn++
	s.emitCond.Broadcast()
	s.emitMu.Unlock()
	if err != nil {
		s.mu.Lock()
		s.setFatal(err)
		s.mu.Unlock()
	}
}

// deliver runs the callbacks of em (under emitMu).
func (s *searcher) deliver(ctx context.Context, em *emission) error {
	if s.emitFailed {
		return nil
	}
	fail := func(err error) error {
		s.emitFailed = true
		return err
	}
	if em.state != nil {
		if err := s.checkpointer.Save(ctx, em.state); err != nil {
			return fail(fmt.Errorf("save checkpoint: %w", err))
		}
	}
	if em.rec != nil {
		if err := s.tracer.NodeDone(ctx, *em.rec); err != nil {
			return fail(fmt.Errorf("trace node %s: %w", em.rec.NodeID, err))
		}
	}
	if em.branch != nil {
		if bt, ok := s.tracer.(BranchTracer); ok {
			if err := bt.BranchDone(ctx, *em.branch); err != nil {
				return fail(fmt.Errorf("trace branch end at %s: %w", em.branch.ID, err))
			}
		}
	}
	if em.best != nil {
		if err := s.bestSink.OnNewBest(ctx, *em.best); err != nil {
			return fail(fmt.Errorf("keep new best %s: %w", em.best.ID, err))
		}
	}
	return nil
}
