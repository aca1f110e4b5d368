// Package scheduler is the one door to scheduling backends: it runs the
// work items of a run directory somewhere, on this machine
// (scheduler/local, the embedded default) or on a cluster
// (scheduler/slurm), and tells what they are doing. Every backend runs the
// same unit, one `mlbench worker --run DIR --index N` process per item, so
// the run directory (package results owns its layout) is the only state
// they share with the rest of mlbench.
//
// Commands reach a backend only through New (or ForRun) and the Scheduler
// interface; backends register themselves (Register, from an init
// function) and are linked in by package scheduler/builtin. This package
// must not run items itself, nor know any backend by name.
package scheduler

import (
	"context"
	"errors"
	"strconv"

	"github.com/mlbench/mlbench/results"
)

// Scheduler runs and watches a run's work items on one backend.
//
// Call order: New, then Check before a run is planned (or resubmitted),
// then Submit; Observe and Cancel at any time after. Observe works from any
// process (it reads the run directory and the backend's queue, never state
// held in the Scheduler value); so does a cluster backend's Cancel, while
// the local backend's Cancel reaches only the workers its own Submit
// started (a local run elsewhere stops with its Ctrl-C; its items are then
// cancelled through the run directory). Submit of the local backend runs the items to
// completion before it returns; a cluster backend returns once they are
// queued. Implementations are safe for one Submit at a time; Observe and
// Cancel may be called concurrently with Submit.
//
// Idempotency: Cancel is idempotent (cancelling twice, or a run that never
// ran, is no error). Submit is not: every call queues the items again, so
// resuming a run is Observe, then Submit of the items Resumable picks.
// Items themselves are idempotent (a done item is a no-op, an unfinished
// one resumes from its checkpoint), so a duplicate element wastes time, not
// results.
type Scheduler interface {
	// Check validates the options against the backend (e.g. the Slurm
	// partition can hold the request) before anything is written. A
	// *RequestError means the request is wrong; warning is for the user
	// when the backend cannot tell.
	Check(ctx context.Context) (warning string, err error)
	// Submit starts the items (manifest indices) of the run in runDir.
	Submit(ctx context.Context, runDir string, items []int) error
	// Observe reads the state of every item of the run in runDir,
	// refined by the backend's queue.
	Observe(ctx context.Context, runDir string, m results.Manifest) (*Snapshot, error)
	// Cancel stops the run's queued and running elements and marks the
	// run cancelled (workers that see the mark do not requeue).
	Cancel(ctx context.Context, runDir string) error
}

// Options are what a command tells a backend beyond the config.
type Options struct {
	// Reason is recorded with each cluster submission: "submit" (when
	// empty), "resume" or "sweep".
	Reason string
	// DryRun writes what would be submitted without submitting it.
	DryRun bool
	// OnSubmit is called after each array is queued (or, in a dry run,
	// written); nil ignores.
	OnSubmit func(Submitted)
	// OnExit is called as each local worker process exits (err nil when
	// it exited 0); nil ignores.
	OnExit func(index int, err error)
}

// Submitted is one array a cluster backend queued: its record in jobs.json
// and the work items it covers.
type Submitted struct {
	results.JobSubmission
	// First and Last are the smallest and largest work item of the array.
	First, Last int
}

// RequestError says that what the user asked for cannot run on the backend
// (bad options, a partition too small): a usage error, not a failure.
type RequestError struct{ Err error }

func (e *RequestError) Error() string { return e.Err.Error() }
func (e *RequestError) Unwrap() error { return e.Err }

// ErrNotElement is returned by CurrentElement outside a cluster element.
var ErrNotElement = errors.New("scheduler: not inside an array element")

// Element is the cluster array element a worker process runs as.
type Element struct {
	// Name is the element's id, e.g. "123_4".
	Name string
	// Attempt counts the element's starts, 1 for the first.
	Attempt int
	// Requeue puts the element back into the queue.
	Requeue func(ctx context.Context) error
}

// Resumable picks the items of a snapshot that a resume submits: not done,
// not queued or running in the backend, and with failedOnly only the
// failed ones. busy counts the items left to their elements, skipped the
// unfinished ones that failedOnly left out.
func Resumable(s *Snapshot, failedOnly bool) (items []int, busy, skipped int) {
	for _, it := range s.Items {
		switch it.Show {
		case ShowDone:
			continue
		case ShowRunning, ShowQueued, ShowRequeued, ShowSuspended:
			busy++
			continue
		}
		if failedOnly && it.Status.State != results.StateFailed {
			skipped++
			continue
		}
		items = append(items, it.Index)
	}
	return items, busy, skipped
}

// WorkerArgs are the arguments of the worker process for one item.
func WorkerArgs(runDir string, index int) []string {
	return []string{"worker", "--run", runDir, "--index", strconv.Itoa(index)}
}
