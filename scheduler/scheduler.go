// Package scheduler runs the work items of a run directory somewhere: on
// this machine (scheduler/local, the embedded default) or on a Slurm
// cluster (scheduler/slurm). Every backend runs the same unit, one
// `mlbench worker --run DIR --index N` process per item, so the run
// directory is the only state they share with the rest of mlbench.
package scheduler

import "context"

// Scheduler submits a run's work items and can cancel them.
//
// Call order: Submit, then any number of Cancel. Submit of the local
// backend runs the items to completion before it returns; a cluster
// backend returns once they are queued. Implementations are safe for one
// Submit at a time; Cancel may be called concurrently with Submit and is
// idempotent.
type Scheduler interface {
	// Submit starts the items (manifest indices) of the run in runDir.
	Submit(ctx context.Context, runDir string, items []int) error
	// Cancel stops the run's queued and running items.
	Cancel(ctx context.Context, runDir string) error
}

// WorkerArgs are the arguments of the worker process for one item.
func WorkerArgs(runDir string, index int) []string {
	return []string{"worker", "--run", runDir, "--index", itoa(index)}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
