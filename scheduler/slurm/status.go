package slurm

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"sync"

	"github.com/mlbench/mlbench/results"
	sl "github.com/mlbench/mlbench/slurm"
)

// What `mlbench status` shows for an item: the run directory's state,
// refined by the queue.
const (
	ShowDone      = "done"
	ShowFailed    = "failed"
	ShowCancelled = "cancelled"
	ShowRunning   = "running"
	ShowQueued    = "queued"    // waiting in the queue, never started
	ShowRequeued  = "requeued"  // waiting in the queue after an interrupted attempt
	ShowSuspended = "suspended" // suspended by Slurm
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
	// ShowPending: pending, and the queue is unknown (squeue failed) or
	// not used (a local run).
	ShowPending = "pending"
)

// ShowOrder lists the Show values in the order status prints them.
var ShowOrder = []string{ShowDone, ShowFailed, ShowCancelled, ShowRunning, ShowSuspended, ShowRequeued, ShowQueued, ShowLost, ShowInterrupted, ShowUnqueued, ShowPending}

// ItemState is one work item as status sees it.
type ItemState struct {
	Index    int
	Status   results.ItemStatus
	Show     string
	Element  string // "123_4" while in the queue
	Slurm    string // Slurm's state, e.g. PENDING ("" when not queued)
	Reason   string // why it waits
	JobIndex int    // which submission (index in Jobs) queued it; -1 when none
	// OwnerDead: running, but its owner process on this host is gone.
	OwnerDead bool
}

// Snapshot is a run's state: the run directory's status files plus one
// squeue call.
type Snapshot struct {
	RunID string
	Items []ItemState
	Jobs  results.Jobs
	// Counts tallies Items by Show.
	Counts map[string]int
	// QueueErr is set when squeue failed: the run directory alone is shown.
	QueueErr error
	// Cancelled says `mlbench cancel` ran (and no resume since).
	Cancelled bool
	// Active is the number of queue lines of the run's arrays.
	Active int
}

// Finished is the number of items done or failed.
func (s *Snapshot) Finished() int { return s.Counts[ShowDone] + s.Counts[ShowFailed] }

// Observe reads the status of every item of the run in runDir and asks the
// queue once about its arrays. Items are read concurrently; a damaged
// status.json is an error naming the file.
func Observe(ctx context.Context, client *sl.Client, runDir string, m results.Manifest) (*Snapshot, error) {
	if client == nil {
		client = &sl.Client{}
	}
	jobs, err := results.ReadJobs(runDir)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{RunID: m.RunID, Jobs: jobs, Counts: map[string]int{}, Cancelled: results.Cancelled(runDir)}
	n := len(m.Items)
	snap.Items = make([]ItemState, n)

	// The queue first and concurrently with the files: it is the slow part.
	type queueResult struct {
		els []sl.Element
		err error
	}
	qc := make(chan queueResult, 1)
	go func() {
		els, err := client.Queue(ctx, jobs.JobIDs())
		qc <- queueResult{els, err}
	}()

	if err := readStatuses(runDir, snap.Items); err != nil {
		<-qc
		return nil, err
	}
	q := <-qc
	snap.QueueErr = q.err
	subIndex := make(map[string]int, len(jobs.Submissions))
	for i, s := range jobs.Submissions {
		subIndex[s.JobID] = i
	}
	for i := range snap.Items {
		snap.Items[i].JobIndex = -1
	}
	for _, el := range q.els {
		si, ok := subIndex[el.ArrayJobID]
		if !ok {
			continue
		}
		snap.Active++
		base := jobs.Submissions[si].Base
		for _, t := range el.Tasks {
			it := base + t
			if it < 0 || it >= n {
				continue
			}
			st := &snap.Items[it]
			// A later submission of the same item (a resume) wins.
			if st.JobIndex > si {
				continue
			}
			st.JobIndex, st.Slurm, st.Reason = si, el.State, el.Reason
			st.Element = el.ArrayJobID + "_" + strconv.Itoa(t)
		}
	}
	for i := range snap.Items {
		st := &snap.Items[i]
		st.Show = show(st, q.err == nil && len(jobs.Submissions) > 0)
		snap.Counts[st.Show]++
	}
	return snap, nil
}

func show(st *ItemState, queueKnown bool) string {
	state := st.Status.State
	if state == results.StateDone {
		return ShowDone
	}
	if st.Slurm != "" {
		switch sl.PhaseOf(st.Slurm) {
		case sl.PhaseRunning:
			return ShowRunning
		case sl.PhaseSuspended:
			return ShowSuspended
		case sl.PhasePending:
			if st.Status.Attempts > 0 {
				return ShowRequeued
			}
			return ShowQueued
		}
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
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		next     = make(chan int, workers)
	)
	const batch = 64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range next {
				for i := start; i < min(start+batch, len(items)); i++ {
					st, err := results.ReadItemStatus(results.ItemDir(runDir, i))
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = fmt.Errorf("item %d: %w", i, err)
						}
						mu.Unlock()
						continue
					}
					dir := results.ItemDir(runDir, i)
					items[i] = ItemState{Index: i, Status: st, OwnerDead: results.ItemInterrupted(dir, st)}
				}
			}
		}()
	}
	for start := 0; start < len(items); start += batch {
		next <- start
	}
	close(next)
	wg.Wait()
	return firstErr
}
