// Package local runs work items on this machine: each item in its own
// `mlbench worker` process (so a crash or OOM of one cannot take the others
// down), at most Jobs at a time, with a bounded conc pool. It registers
// itself as scheduler.kind "local" (door.go); commands reach it only
// through package scheduler. It must not run items in its own process nor
// write into item directories beyond the worker log: workers own those.
package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
)

// Local is the local scheduler backend.
type Local struct {
	// Jobs is how many items run at once (at least 1).
	Jobs int
	// Binary is the mlbench executable; "" means this process's own.
	Binary string
	// ExtraArgs go before the worker arguments (global flags, e.g. --config).
	ExtraArgs []string
	// Env is added to each worker's environment.
	Env []string
	// Grace is how long workers get after SIGTERM before SIGKILL when the
	// context ends (default 30s); a second interrupt kills at once.
	Grace time.Duration
	// OnExit is told when an item's worker exits (err nil on exit 0).
	OnExit func(index int, err error)

	mu    sync.Mutex
	procs map[int]*os.Process
}

var _ scheduler.Scheduler = (*Local)(nil)

// LogFile is where a worker's output goes, inside its item directory.
const LogFile = results.WorkerLogFile

// Submit runs the items to completion. A worker that fails marks its own
// item (its status.json says why); Submit returns an error only when it
// could not start workers, or ctx's error when it was interrupted.
func (l *Local) Submit(ctx context.Context, runDir string, items []int) error {
	bin := l.Binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find mlbench binary: %w", err)
		}
		bin = exe
	}
	jobs := max(l.Jobs, 1)
	l.mu.Lock()
	l.procs = map[int]*os.Process{}
	l.mu.Unlock()

	stopWatch := l.watchInterrupt(ctx)
	defer stopWatch()

	p := pool.New().WithMaxGoroutines(jobs)
	var startErr error
	var startOnce sync.Once
	for _, idx := range items {
		if ctx.Err() != nil {
			break
		}
		p.Go(func() {
			if ctx.Err() != nil {
				return
			}
			err := l.runOne(ctx, bin, runDir, idx)
			var se *startError
			if errors.As(err, &se) {
				startOnce.Do(func() { startErr = err })
			}
			if l.OnExit != nil {
				l.OnExit(idx, err)
			}
		})
	}
	p.Wait()
	if startErr != nil {
		return startErr
	}
	return ctx.Err()
}

type startError struct{ err error }

func (e *startError) Error() string { return "start worker: " + e.err.Error() }
func (e *startError) Unwrap() error { return e.err }

func (l *Local) runOne(ctx context.Context, bin, runDir string, idx int) error {
	itemDir := results.ItemDir(runDir, idx)
	if err := os.MkdirAll(itemDir, 0o755); err != nil {
		return &startError{err}
	}
	logf, err := os.OpenFile(filepath.Join(itemDir, LogFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return &startError{err}
	}
	defer logf.Close()
	args := append(append([]string(nil), l.ExtraArgs...), scheduler.WorkerArgs(runDir, idx)...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Stdin = nil
	cmd.Env = append(os.Environ(), l.Env...)
	// Its own process group: the terminal's Ctrl-C reaches only us, and we
	// decide how each worker stops.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return &startError{err}
	}
	l.mu.Lock()
	l.procs[idx] = cmd.Process
	l.mu.Unlock()
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			// Graceful: the worker checkpoints and marks its item cancelled.
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(l.grace()):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			}
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	l.mu.Lock()
	delete(l.procs, idx)
	l.mu.Unlock()
	if err != nil {
		fmt.Fprintf(logf, "mlbench: worker for item %d exited: %v\n", idx, err)
	}
	return err
}

func (l *Local) grace() time.Duration {
	if l.Grace > 0 {
		return l.Grace
	}
	return 30 * time.Second
}

// watchInterrupt kills every worker at once on an interrupt that arrives
// after ctx has ended (the second Ctrl-C).
func (l *Local) watchInterrupt(ctx context.Context) func() {
	sigs := make(chan os.Signal, 1)
	quit := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-quit:
			return
		}
		signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sigs)
		select {
		case <-sigs:
			l.killAll()
		case <-quit:
		}
	}()
	return func() { close(quit) }
}

func (l *Local) killAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.procs {
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

// Cancel sends SIGTERM to every running worker of this scheduler.
func (l *Local) Cancel(context.Context, string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.procs {
		_ = syscall.Kill(-p.Pid, syscall.SIGTERM)
	}
	return nil
}

// Tail returns the last n bytes of an item's worker log, for error messages.
func Tail(runDir string, idx, n int) string {
	tail, _ := results.TailFile(filepath.Join(results.ItemDir(runDir, idx), LogFile), int64(n))
	return tail
}
