package scheduler

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/mlbench/mlbench/results"
)

// What `mlbench status` shows for an item: the run directory's state,
// refined by the backend's queue.
const (
	ShowDone      = "done"
	ShowFailed    = "failed"
	ShowCancelled = "cancelled"
	ShowRunning   = "running"
	ShowQueued    = "queued"    // waiting in the queue, never started
	ShowRequeued  = "requeued"  // waiting in the queue after an interrupted attempt
	ShowSuspended = "suspended" // suspended by the cluster scheduler
	// ShowLost: the run dir says running, but its element left the queue
	// (killed by the OOM killer, a node failure, a time limit without
	// grace); resume continues it from its checkpoint.
	ShowLost = "lost"
	// ShowInterrupted: the run dir says running, but the worker that held
	// the item on this host is gone (killed with SIGKILL, the OOM killer);
	// resume continues it from its checkpoint.
	ShowInterrupted = "interrupted"
	// ShowUnqueued: pending, and no element of it is in the queue
	// (never submitted, or cancelled outside mlbench).
	ShowUnqueued = "unqueued"
	// ShowPending: pending, and the queue is unknown (the queue command
	// failed) or not used (a local run).
	ShowPending = "pending"
)

// ShowOrder lists the Show values in the order status prints them.
var ShowOrder = []string{ShowDone, ShowFailed, ShowCancelled, ShowRunning, ShowSuspended, ShowRequeued, ShowQueued, ShowLost, ShowInterrupted, ShowUnqueued, ShowPending}

// Phases of an element in a backend's queue (ItemState.Phase).
const (
	PhasePending   = "pending"
	PhaseRunning   = "running"
	PhaseSuspended = "suspended"
)

// ItemState is one work item as status sees it.
type ItemState struct {
	Index  int
	Status results.ItemStatus
	Show   string
	// The queue's view, filled by a cluster backend ("" when not queued):
	Element string // the element running it, e.g. "123_4"
	Queue   string // the queue's own state name, e.g. PENDING
	Phase   string // Queue as a Phase* constant
	Reason  string // why it waits, as the queue says it
	// Explain is Reason in words for people ("" when there is none).
	Explain  string
	JobIndex int // which submission (index in Jobs) queued it; -1 when none
	// Log is the latest element's error log, relative to the run
	// directory when below it ("" when none).
	Log string
	// OwnerDead: running, but its owner process on this host is gone.
	OwnerDead bool
}

// Snapshot is a run's state: the run directory's status files plus, for
// a cluster backend, one look at its queue.
type Snapshot struct {
	RunID string
	Items []ItemState
	Jobs  results.Jobs
	// Counts tallies Items by Show.
	Counts map[string]int
	// QueueErr is set when asking the queue failed: the run directory
	// alone is shown.
	QueueErr error
	// Cancelled says `mlbench cancel` ran (and no resume since).
	Cancelled bool
	// Active is the number of queue lines of the run's arrays.
	Active int
}

// Finished is the number of items done or failed.
func (s *Snapshot) Finished() int { return s.Counts[ShowDone] + s.Counts[ShowFailed] }

// InFlight says whether anything may still change without the user.
func (s *Snapshot) InFlight() bool {
	return s.Active > 0 || s.Counts[ShowRunning] > 0 || s.Counts[ShowQueued] > 0 || s.Counts[ShowRequeued] > 0
}

// ReadSnapshot reads the status of every item of the run in runDir (a few
// at a time; a damaged status.json is an error naming the item), the jobs
// record and the cancel marker. The queue fields are left empty and Show is
// not set: a backend adds its queue, then calls Classify.
func ReadSnapshot(runDir string, m results.Manifest) (*Snapshot, error) {
	jobs, err := results.ReadJobs(runDir)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{RunID: m.RunID, Jobs: jobs, Counts: map[string]int{}, Cancelled: results.Cancelled(runDir)}
	snap.Items = make([]ItemState, len(m.Items))
	if err := readStatuses(runDir, snap.Items); err != nil {
		return nil, err
	}
	for i := range snap.Items {
		snap.Items[i].JobIndex = -1
	}
	return snap, nil
}

// Classify sets every item's Show from its status and queue fields and
// tallies Counts. queueKnown says the queue was asked successfully about
// at least one submission: an item the run dir calls running and the queue
// does not have is then lost.
func (s *Snapshot) Classify(queueKnown bool) {
	clear(s.Counts)
	for i := range s.Items {
		st := &s.Items[i]
		st.Show = show(st, queueKnown)
		s.Counts[st.Show]++
	}
}

func show(st *ItemState, queueKnown bool) string {
	state := st.Status.State
	if state == results.StateDone {
		return ShowDone
	}
	switch st.Phase {
	case PhaseRunning:
		return ShowRunning
	case PhaseSuspended:
		return ShowSuspended
	case PhasePending:
		if st.Status.Attempts > 0 {
			return ShowRequeued
		}
		return ShowQueued
	}
	switch state {
	case results.StateFailed:
		return ShowFailed
	case results.StateCancelled:
		return ShowCancelled
	case results.StateRunning:
		if queueKnown {
			return ShowLost
		}
		if st.OwnerDead {
			return ShowInterrupted
		}
		return ShowRunning
	}
	if !queueKnown {
		return ShowPending
	}
	return ShowUnqueued
}

// readStatuses reads items/<i>/status.json for every item, a few at a time.
func readStatuses(runDir string, items []ItemState) error {
	workers := min(max(runtime.GOMAXPROCS(0), 4), 16, max(len(items), 1))
	var (
		mu       sync.Mutex
		firstErr error
	)
	results.ForEachItem(len(items), workers, func(i int) {
		dir := results.ItemDir(runDir, i)
		st, err := results.ReadItemStatus(dir)
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = fmt.Errorf("item %d: %w", i, err)
			}
			mu.Unlock()
			return
		}
		items[i] = ItemState{Index: i, Status: st, OwnerDead: results.ItemInterrupted(dir, st)}
	})
	return firstErr
}
