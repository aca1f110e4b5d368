package slurm

import (
	"context"
	"fmt"

	sl "github.com/mlbench/mlbench/slurm"
)

// CheckPartition compares what each array element asks (slurm.cpus_per_task,
// slurm.mem, slurm.gres, slurm.time) with the partition's limits and
// nodes: Slurm accepts a request no node can run and leaves it pending
// forever. It returns a *slurm.FitError with the numbers when nothing fits,
// and a warning instead of an error when the cluster cannot be asked
// (sinfo or scontrol missing or failing).
func (s *Slurm) CheckPartition(ctx context.Context) (warning string, err error) {
	cfg := s.Config.Slurm
	parts, err := s.client().Partitions(ctx)
	if err != nil {
		return fmt.Sprintf("warning: cannot check the request against the partition (%v); submitting unchecked", err), nil
	}
	return "", sl.Fit(parts, sl.Request{Partition: cfg.Partition, CPUs: cfg.CPUsPerTask, Mem: cfg.Mem, Gres: cfg.Gres, Time: cfg.Time})
}
