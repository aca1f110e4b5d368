package slurm

import (
	"context"
	"path/filepath"
	"strconv"

	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
	sl "github.com/mlbench/mlbench/slurm"
)

// Observe reads the status of every item of the run in runDir and asks the
// queue once about its arrays. Items are read concurrently; a damaged
// status.json is an error naming the file.
func Observe(ctx context.Context, client *sl.Client, runDir string, m results.Manifest) (*scheduler.Snapshot, error) {
	if client == nil {
		client = &sl.Client{}
	}
	jobs, err := results.ReadJobs(runDir)
	if err != nil {
		return nil, err
	}
	n := len(m.Items)

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

	snap, err := scheduler.ReadSnapshot(runDir, m)
	if err != nil {
		<-qc
		return nil, err
	}
	q := <-qc
	snap.QueueErr = q.err
	subIndex := make(map[string]int, len(jobs.Submissions))
	for i, s := range jobs.Submissions {
		subIndex[s.JobID] = i
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
			st.JobIndex, st.Queue, st.Reason = si, el.State, el.Reason
			st.Phase, st.Explain = phases[sl.PhaseOf(el.State)], sl.ExplainReason(el.Reason)
			st.Element = el.ArrayJobID + "_" + strconv.Itoa(t)
		}
	}
	snap.Classify(q.err == nil && len(jobs.Submissions) > 0)
	addLogs(runDir, snap)
	return snap, nil
}

// phases maps Slurm's phases to the scheduler's.
var phases = map[sl.Phase]string{
	sl.PhasePending: scheduler.PhasePending, sl.PhaseRunning: scheduler.PhaseRunning, sl.PhaseSuspended: scheduler.PhaseSuspended,
}

// addLogs names, for lost items (their element left the queue unfinished),
// the error log of their latest element.
func addLogs(runDir string, s *scheduler.Snapshot) {
	need := false
	for _, it := range s.Items {
		need = need || it.Show == scheduler.ShowLost
	}
	if !need {
		return
	}
	latest := map[int]string{}
	for _, sub := range s.Jobs.Submissions {
		idx, err := sl.ParseIndices(sub.Array)
		if err != nil {
			continue
		}
		for _, x := range idx {
			latest[sub.Base+x] = results.LogPath(runDir, sub.JobID, x, "err")
		}
	}
	for i := range s.Items {
		p, ok := latest[i]
		if !ok {
			continue
		}
		if rel, err := filepath.Rel(runDir, p); err == nil {
			p = rel
		}
		s.Items[i].Log = p
	}
}
