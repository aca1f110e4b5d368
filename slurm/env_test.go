package slurm_test

import (
	"testing"

	"github.com/mlbench/mlbench/slurm"
)

func TestEnvFrom(t *testing.T) {
	env := map[string]string{"SLURM_JOB_ID": "17", "SLURM_ARRAY_JOB_ID": "12", "SLURM_ARRAY_TASK_ID": "5", "SLURM_RESTART_COUNT": "2"}
	e, ok := slurm.EnvFrom(func(k string) string { return env[k] })
	if !ok || e.Element() != "12_5" || e.Attempt() != 3 || e.JobID != "17" {
		t.Errorf("got %+v, %v", e, ok)
	}
	if _, ok := slurm.EnvFrom(func(string) string { return "" }); ok {
		t.Error("outside Slurm reads as inside")
	}
	e, _ = slurm.EnvFrom(func(k string) string { return map[string]string{"SLURM_JOB_ID": "3"}[k] })
	if e.Element() != "3" || e.Attempt() != 1 {
		t.Errorf("plain job: %+v", e)
	}
}
