package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/mlbench/mlbench/results"
	"golang.org/x/sys/unix"
)

// ErrRequeued is returned by RunElement when a signal interrupted the item
// and it was handed back to the cluster scheduler: the item is pending
// again and its next start resumes from the checkpoint.
var ErrRequeued = errors.New("harness: item interrupted and requeued; it resumes from its checkpoint")

// GaveUpError says an element will not be run or requeued again because it
// used up its attempts.
type GaveUpError struct {
	Index       int
	Attempt     int
	MaxAttempts int
	Signal      string // the signal that interrupted the last attempt ("" at start)
}

func (e *GaveUpError) Error() string {
	if e.Signal == "" {
		return fmt.Sprintf("item %d: attempt %d exceeds slurm.max_attempts=%d; not run again (mlbench resume continues it from its checkpoint)", e.Index, e.Attempt, e.MaxAttempts)
	}
	return fmt.Sprintf("item %d: interrupted by %s on attempt %d of slurm.max_attempts=%d; not requeued (mlbench resume continues it from its checkpoint)", e.Index, e.Signal, e.Attempt, e.MaxAttempts)
}

// ElementOptions describe the cluster job (a Slurm array element) a worker
// runs in, for RunElement.
type ElementOptions struct {
	// Attempt is this start of the element, 1-based (Slurm's restart
	// count + 1); MaxAttempts caps it (slurm.max_attempts).
	Attempt     int
	MaxAttempts int
	// Requeueable says the scheduler requeues the element by itself when
	// it stops it with SIGTERM (preemption, `scontrol requeue`): the job
	// was submitted with --requeue. Otherwise RunElement calls Requeue.
	Requeueable bool
	// Requeue asks the scheduler to requeue this element (scontrol
	// requeue). It is called after a SIGUSR1 (the time limit is near: no
	// scheduler requeues on its own then) and after a SIGTERM when the job
	// is not Requeueable.
	Requeue func(ctx context.Context) error
	// Cancelled reports whether the user cancelled the run (then nothing
	// is requeued). Nil means never.
	Cancelled func() bool
	// Signals delivers SIGUSR1 and SIGTERM; the first one stops the search
	// gracefully (checkpoint and traces are kept).
	Signals <-chan os.Signal
	// Log receives a line about what happened; nil discards.
	Log io.Writer
}

// RunElement runs item index as one element of a cluster array: RunItem,
// plus what a preemptible job needs. A signal on opts.Signals stops the
// search gracefully; the item is then marked pending ("requeued after
// SIGTERM on attempt N") and requeued, or marked failed when it used
// slurm.max_attempts, or left cancelled when the run was cancelled. It
// returns RunItem's outcome and nil when the item is done, ErrRequeued,
// ErrCancelled, a *GaveUpError, or the error that failed the item.
func RunElement(ctx context.Context, run *Run, index int, opts ItemOptions, el ElementOptions) (*Outcome, error) {
	log := el.Log
	if log == nil {
		log = io.Discard
	}
	cancelled := func() bool { return el.Cancelled != nil && el.Cancelled() }
	if cancelled() {
		if _, err := CancelItem(run, index, "the run was cancelled before this element started"); err != nil && !errors.Is(err, ErrBusy) {
			return nil, err
		}
		return nil, ErrCancelled
	}
	if el.MaxAttempts > 0 && el.Attempt > el.MaxAttempts {
		gu := &GaveUpError{Index: index, Attempt: el.Attempt, MaxAttempts: el.MaxAttempts}
		if err := updateItem(run, index, 30*time.Second, func(st *results.ItemStatus) bool {
			if st.State == results.StateDone {
				return false
			}
			st.State, st.FinishedAt, st.Error = results.StateFailed, time.Now().UTC(), gu.Error()
			return true
		}); err != nil {
			return nil, err
		}
		return nil, gu
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu  sync.Mutex
		got []os.Signal
	)
	stop := make(chan struct{})
	defer close(stop)
	if el.Signals != nil {
		go func() {
			for {
				select {
				case s := <-el.Signals:
					mu.Lock()
					got = append(got, s)
					mu.Unlock()
					fmt.Fprintf(log, "item %d: %s received; stopping the search gracefully (checkpoint kept)\n", index, signalName(s))
					cancel()
				case <-stop:
					return
				}
			}
		}()
	}
	out, err := RunItem(ctx, run, index, opts)
	if err == nil || errors.Is(err, ErrBusy) {
		return out, err
	}
	mu.Lock()
	sigs := append([]os.Signal(nil), got...)
	mu.Unlock()
	if len(sigs) == 0 {
		return out, err // not ours: a failure, or an interrupt from elsewhere
	}
	// A signal stopped it; whatever RunItem concluded while its context was
	// ending (cancelled, or a failure of a cut-off step), the item is
	// unfinished and resumes from its checkpoint.
	usr1 := false
	for _, s := range sigs {
		usr1 = usr1 || s == syscall.SIGUSR1
	}
	sigName := signalName(sigs[0])
	if usr1 {
		sigName = signalName(syscall.SIGUSR1)
	}
	if cancelled() {
		// Even a step that failed because it was cut off: the item is
		// cancelled, not failed.
		if uerr := markUnfinished(run, index, results.StateCancelled, "cancelled by mlbench cancel; its checkpoint is kept"); uerr != nil {
			return out, uerr
		}
		return out, ErrCancelled
	}
	if el.MaxAttempts > 0 && el.Attempt >= el.MaxAttempts {
		gu := &GaveUpError{Index: index, Attempt: el.Attempt, MaxAttempts: el.MaxAttempts, Signal: sigName}
		if uerr := markUnfinished(run, index, results.StateFailed, gu.Error()); uerr != nil {
			return out, uerr
		}
		return out, gu
	}
	note := fmt.Sprintf("requeued after %s on attempt %d; resumes from its checkpoint", sigName, el.Attempt)
	if uerr := markUnfinished(run, index, results.StatePending, note); uerr != nil {
		return out, uerr
	}
	if usr1 || !el.Requeueable {
		if el.Requeue == nil {
			return out, errors.New("requeue item: no way to requeue this element")
		}
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		rerr := el.Requeue(rctx)
		rcancel()
		if rerr != nil {
			msg := fmt.Sprintf("interrupted by %s on attempt %d and could not requeue itself: %v (mlbench resume continues it from its checkpoint)", sigName, el.Attempt, rerr)
			if uerr := markUnfinished(run, index, results.StateFailed, msg); uerr != nil {
				rerr = errors.Join(rerr, uerr)
			}
			return out, fmt.Errorf("requeue item %d: %w", index, rerr)
		}
	}
	fmt.Fprintf(log, "item %d: %s\n", index, note)
	return out, ErrRequeued
}

// signalName is the signal's name as Slurm and kill spell it ("SIGUSR1").
func signalName(s os.Signal) string {
	if sig, ok := s.(syscall.Signal); ok {
		if name := unix.SignalName(sig); name != "" {
			return name
		}
	}
	return s.String()
}

// markUnfinished sets the state of an item that is not done.
func markUnfinished(run *Run, index int, state, msg string) error {
	return updateItem(run, index, 30*time.Second, func(st *results.ItemStatus) bool {
		if st.State == results.StateDone {
			return false
		}
		st.State, st.Error = state, msg
		if state == results.StatePending {
			st.FinishedAt = time.Time{}
		} else {
			st.FinishedAt = time.Now().UTC()
		}
		return true
	})
}

// CancelItem marks an item that is not done or failed as cancelled, with
// reason. It returns whether it changed the status, and ErrBusy when a
// worker still runs the item (that worker marks it itself when it stops).
func CancelItem(run *Run, index int, reason string) (bool, error) {
	changed := false
	err := updateItem(run, index, 0, func(st *results.ItemStatus) bool {
		if st.State == results.StateDone || st.State == results.StateFailed || (st.State == results.StateCancelled && st.Error == reason) {
			return false
		}
		st.State, st.Error = results.StateCancelled, reason
		if st.FinishedAt.IsZero() {
			st.FinishedAt = time.Now().UTC()
		}
		changed = true
		return true
	})
	return changed, err
}

// updateItem rewrites an item's status.json under the item lock, waiting
// up to wait for a worker that holds it (0: ErrBusy at once). fn returns
// false to leave the status as it is.
func updateItem(run *Run, index int, wait time.Duration, fn func(*results.ItemStatus) bool) error {
	if _, err := run.Item(index); err != nil {
		return err
	}
	dir := run.ItemDir(index)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("update item %d: %w", index, err)
	}
	deadline := time.Now().Add(wait)
	for {
		unlock, err := results.LockItem(dir)
		if errors.Is(err, ErrBusy) && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		defer unlock()
		break
	}
	st, err := results.ReadItemStatus(dir)
	if err != nil {
		return err
	}
	if !fn(&st) {
		return nil
	}
	return writeStatus(dir, st)
}
