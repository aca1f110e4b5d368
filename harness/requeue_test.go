package harness_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
)

// signalAfter sends sig on a channel once the item has n nodes.
func signalAfter(t *testing.T, itemDir string, n int, sig os.Signal) <-chan os.Signal {
	t.Helper()
	ch := make(chan os.Signal, 1)
	go func() {
		deadline := time.Now().Add(2 * time.Minute)
		for results.ReadProgress(itemDir).Nodes < n && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		ch <- sig
	}()
	return ch
}

func readStatus(t *testing.T, dir string) results.ItemStatus {
	t.Helper()
	st, err := results.ReadItemStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// planSerial plans task with one search worker and steps nodes in the
// process sandbox, the item the element tests run.
func planSerial(t *testing.T, task string, steps int) *harness.Run {
	t.Helper()
	cfg := testConfig(t, fmt.Sprintf("search.steps=%d", steps), "search.workers=1", "exec.sandbox=process")
	return planOne(t, cfg, task)
}

// runElement runs item 0 of run as a Slurm array element with the
// scripted agent (sleep: seconds per node).
func runElement(run *harness.Run, sleep float64, el harness.ElementOptions) error {
	_, err := harness.RunElement(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(sleep)}, el)
	return err
}

// wantState fails unless the item's status is in state.
func wantState(t *testing.T, itemDir, state string) {
	t.Helper()
	if st := readStatus(t, itemDir); st.State != state {
		t.Errorf("status %+v, want %s", st, state)
	}
}

func TestIntegrationElementRequeue(t *testing.T) {
	needPython(t)
	cases := []struct {
		name        string
		sig         os.Signal
		requeueable bool
		selfRequeue bool // the worker must call scontrol requeue itself
	}{
		{"USR1 before the time limit", syscall.SIGUSR1, true, true},
		{"TERM of a requeueable job", syscall.SIGTERM, true, false},
		{"TERM of a job without --requeue", syscall.SIGTERM, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run := planSerial(t, "demo-regression-rmse", 6)
			dir := run.ItemDir(0)
			var requeues atomic.Int32
			el := harness.ElementOptions{
				Attempt: 1, MaxAttempts: 3, Requeueable: tc.requeueable,
				Requeue: func(context.Context) error { requeues.Add(1); return nil },
				Signals: signalAfter(t, dir, 2, tc.sig),
			}
			if err := runElement(run, 0.2, el); !errors.Is(err, harness.ErrRequeued) {
				t.Fatalf("want ErrRequeued, got %v", err)
			}
			if got, want := requeues.Load() == 1, tc.selfRequeue; got != want {
				t.Errorf("self-requeued %d times, want self-requeue %v", requeues.Load(), want)
			}
			st := readStatus(t, dir)
			if st.State != results.StatePending || !strings.Contains(st.Error, "attempt 1") || !strings.Contains(st.Error, "requeued after SIG") {
				t.Errorf("status after the signal: %+v", st)
			}
			if _, err := os.Stat(filepath.Join(dir, results.CheckpointDir, results.CheckpointFile)); err != nil {
				t.Fatalf("no checkpoint: %v", err)
			}
			before := len(nodeIDs(t, dir))

			// The requeued element: attempt 2 resumes and finishes.
			out, err := harness.RunElement(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(0)},
				harness.ElementOptions{Attempt: 2, MaxAttempts: 3, Requeueable: true})
			if err != nil {
				t.Fatal(err)
			}
			if out.Status.State != results.StateDone || out.Status.Attempts != 2 {
				t.Errorf("after the requeue: %+v", out.Status)
			}
			ids := nodeIDs(t, dir)
			if len(ids) < before || len(ids) < 6 {
				t.Errorf("%d nodes after the resume (%d before), want at least 6", len(ids), before)
			}
			sorted := slices.Sorted(slices.Values(ids))
			if len(slices.Compact(sorted)) != len(ids) {
				t.Errorf("duplicate node ids in the traces: %v", ids)
			}
		})
	}
}

func TestIntegrationElementGivesUp(t *testing.T) {
	needPython(t)
	run := planSerial(t, "demo-binary-auc", 6)
	dir := run.ItemDir(0)
	var requeues atomic.Int32
	err := runElement(run, 0.2, harness.ElementOptions{
		Attempt: 3, MaxAttempts: 3, Requeueable: true,
		Requeue: func(context.Context) error { requeues.Add(1); return nil },
		Signals: signalAfter(t, dir, 1, syscall.SIGUSR1),
	})
	var gu *harness.GaveUpError
	if !errors.As(err, &gu) || gu.Signal != "SIGUSR1" || gu.Attempt != 3 {
		t.Fatalf("want a *GaveUpError for SIGUSR1 on attempt 3, got %v", err)
	}
	if requeues.Load() != 0 {
		t.Error("requeued after the last attempt")
	}
	if st := readStatus(t, dir); st.State != results.StateFailed || !strings.Contains(st.Error, "slurm.max_attempts=3") {
		t.Errorf("status: %+v", st)
	}
}

func TestElementBeyondMaxAttemptsDoesNotRun(t *testing.T) {
	cfg := testConfig(t)
	run := planOne(t, cfg, "demo-binary-auc")
	started := false
	agent := func(ctx context.Context, env harness.CoderEnv) (*harness.Coders, error) {
		started = true
		return scriptedAgent(0)(ctx, env)
	}
	_, err := harness.RunElement(context.Background(), run, 0, harness.ItemOptions{Coders: agent}, harness.ElementOptions{Attempt: 4, MaxAttempts: 3})
	var gu *harness.GaveUpError
	if !errors.As(err, &gu) || gu.Signal != "" {
		t.Fatalf("want a *GaveUpError at start, got %v", err)
	}
	if started {
		t.Error("the search ran")
	}
	wantState(t, run.ItemDir(0), results.StateFailed)
}

func TestElementOfCancelledRun(t *testing.T) {
	cfg := testConfig(t)
	run := planOne(t, cfg, "demo-binary-auc")
	err := runElement(run, 0, harness.ElementOptions{Attempt: 1, MaxAttempts: 3, Cancelled: func() bool { return true }})
	if !errors.Is(err, harness.ErrCancelled) {
		t.Fatalf("want ErrCancelled, got %v", err)
	}
	wantState(t, run.ItemDir(0), results.StateCancelled)
}

func TestIntegrationElementCancelledMidway(t *testing.T) {
	needPython(t)
	run := planSerial(t, "demo-binary-auc", 20)
	dir := run.ItemDir(0)
	var cancelled atomic.Bool
	sigs := make(chan os.Signal, 1)
	go func() {
		for results.ReadProgress(dir).Nodes < 1 {
			time.Sleep(20 * time.Millisecond)
		}
		cancelled.Store(true) // mlbench cancel writes the marker, then scancel sends TERM
		sigs <- syscall.SIGTERM
	}()
	err := runElement(run, 0.2, harness.ElementOptions{
		Attempt: 1, MaxAttempts: 3, Requeueable: false, Signals: sigs, Cancelled: cancelled.Load,
		Requeue: func(context.Context) error { t.Error("requeued a cancelled run"); return nil },
	})
	if !errors.Is(err, harness.ErrCancelled) {
		t.Fatalf("want ErrCancelled, got %v", err)
	}
	wantState(t, dir, results.StateCancelled)
}

// TestIntegrationElementSignalAtStart: a signal that arrives while the
// item is still being set up (its preflight cut off) leaves it pending for
// the requeue, or cancelled in a cancelled run, never failed.
func TestIntegrationElementSignalAtStart(t *testing.T) {
	needPython(t)
	for _, runCancelled := range []bool{false, true} {
		t.Run(fmt.Sprintf("run cancelled %v", runCancelled), func(t *testing.T) {
			run := planSerial(t, "demo-binary-auc", 3)
			sigs := make(chan os.Signal, 1)
			sigs <- syscall.SIGTERM
			err := runElement(run, 0.2, harness.ElementOptions{
				Attempt: 1, MaxAttempts: 3, Requeueable: true, Signals: sigs,
				Cancelled: func() bool { return runCancelled },
			})
			want, state := harness.ErrRequeued, results.StatePending
			if runCancelled {
				want, state = harness.ErrCancelled, results.StateCancelled
			}
			if !errors.Is(err, want) {
				t.Fatalf("want %v, got %v", want, err)
			}
			wantState(t, run.ItemDir(0), state)
		})
	}
}

func TestCancelItem(t *testing.T) {
	cfg := testConfig(t)
	run := planOne(t, cfg, "demo-binary-auc")
	dir := run.ItemDir(0)
	changed, err := harness.CancelItem(run, 0, "cancelled by mlbench cancel")
	if err != nil || !changed {
		t.Fatalf("pending item: %v, %v", changed, err)
	}
	if st := readStatus(t, dir); st.State != results.StateCancelled || st.Error != "cancelled by mlbench cancel" {
		t.Errorf("status %+v", st)
	}
	if changed, err := harness.CancelItem(run, 0, "cancelled by mlbench cancel"); err != nil || changed {
		t.Errorf("second cancel: %v, %v", changed, err)
	}
	// A worker holds the item: ErrBusy.
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if _, err := harness.CancelItem(run, 0, "other"); !errors.Is(err, harness.ErrBusy) {
		t.Errorf("locked item: want ErrBusy, got %v", err)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	// Done items stay done.
	if err := results.WriteJSON(filepath.Join(dir, results.StatusFile), results.ItemStatus{State: results.StateDone}); err != nil {
		t.Fatal(err)
	}
	if changed, err := harness.CancelItem(run, 0, "x"); err != nil || changed {
		t.Errorf("done item: %v, %v", changed, err)
	}
	if _, err := harness.CancelItem(run, 5, "x"); err == nil {
		t.Error("no error for an item that does not exist")
	}
}
