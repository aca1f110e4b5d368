package local

import (
	"context"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
)

// Kind is this backend's scheduler.kind.
const Kind = "local"

func init() {
	scheduler.Register(scheduler.Backend{
		Kind: Kind,
		New: func(cfg *configs.Config, opts scheduler.Options) (scheduler.Scheduler, error) {
			return &Local{Jobs: cfg.Scheduler.Jobs, OnExit: opts.OnExit}, nil
		},
	})
}

// Check has nothing to check: this machine runs what it is given.
func (l *Local) Check(context.Context) (string, error) { return "", nil }

// Observe reads the run directory alone (there is no queue): an item whose
// status says running is running while its owner process lives.
func (l *Local) Observe(_ context.Context, runDir string, m results.Manifest) (*scheduler.Snapshot, error) {
	snap, err := scheduler.ReadSnapshot(runDir, m)
	if err != nil {
		return nil, err
	}
	snap.Classify(false)
	return snap, nil
}
