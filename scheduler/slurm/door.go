package slurm

import (
	"context"
	"fmt"
	"slices"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
	sl "github.com/mlbench/mlbench/slurm"
)

// Kind is this backend's scheduler.kind.
const Kind = "slurm"

func init() {
	scheduler.Register(scheduler.Backend{
		Kind: Kind,
		New: func(cfg *configs.Config, opts scheduler.Options) (scheduler.Scheduler, error) {
			return &Slurm{Client: &sl.Client{}, Config: cfg, Reason: opts.Reason, DryRun: opts.DryRun, OnSubmit: opts.OnSubmit}, nil
		},
		Element: currentElement,
	})
}

// Check validates the options, checks the request against the partition
// and, unless this is a dry run, asks the controller's MaxArraySize (so an
// unreachable Slurm is known before a run directory exists).
func (s *Slurm) Check(ctx context.Context) (string, error) {
	if err := s.Validate(); err != nil {
		return "", &scheduler.RequestError{Err: err}
	}
	warn, err := s.CheckPartition(ctx)
	if err != nil {
		return "", &scheduler.RequestError{Err: err}
	}
	if !s.DryRun && s.MaxArraySize <= 0 {
		n, err := s.client().MaxArraySize(ctx)
		if err != nil {
			return warn, fmt.Errorf("cannot reach Slurm: %w", err)
		}
		s.MaxArraySize = n
	}
	return warn, nil
}

// Observe is the package's Observe with the backend's client.
func (s *Slurm) Observe(ctx context.Context, runDir string, m results.Manifest) (*scheduler.Snapshot, error) {
	return Observe(ctx, s.client(), runDir, m)
}

// submitted tells OnSubmit about one array.
func (s *Slurm) submitted(sub results.JobSubmission) {
	if s.OnSubmit == nil {
		return
	}
	out := scheduler.Submitted{JobSubmission: sub, First: sub.Base, Last: sub.Base}
	if idx, err := sl.ParseIndices(sub.Array); err == nil && len(idx) > 0 {
		out.First, out.Last = sub.Base+slices.Min(idx), sub.Base+slices.Max(idx)
	}
	s.OnSubmit(out)
}

// currentElement reads the element from the Slurm environment.
func currentElement() (scheduler.Element, error) {
	env, ok := sl.EnvFrom(nil)
	if !ok {
		return scheduler.Element{}, fmt.Errorf("not inside a Slurm job (SLURM_JOB_ID is unset): %w", scheduler.ErrNotElement)
	}
	client := &sl.Client{}
	return scheduler.Element{
		Name: env.Element(), Attempt: env.Attempt(),
		Requeue: func(ctx context.Context) error { return client.Requeue(ctx, env.Element()) },
	}, nil
}
