package slurm_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/slurm"
)

func TestRecordSubmissionConcurrent(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := slurm.Submission{JobID: fmt.Sprint(100 + i), Base: i * 10, Array: "0-9", Items: 10, Reason: "submit", SubmittedAt: time.Now()}
			if err := slurm.RecordSubmission(dir, s); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	j, err := slurm.ReadJobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Submissions) != 20 {
		t.Fatalf("%d submissions recorded, want 20", len(j.Submissions))
	}
	item, ok := j.Item("105", 3)
	if !ok || item != 53 {
		t.Errorf("item of 105_3: %d, %v; want 53", item, ok)
	}
	if _, ok := j.Item("999", 0); ok {
		t.Error("unknown job maps to an item")
	}
}

func TestReadJobsAbsent(t *testing.T) {
	j, err := slurm.ReadJobs(t.TempDir())
	if err != nil || len(j.Submissions) != 0 {
		t.Errorf("got %v, %v", j, err)
	}
}

func TestCancelMarker(t *testing.T) {
	dir := t.TempDir()
	if slurm.Cancelled(dir) {
		t.Fatal("fresh run is cancelled")
	}
	if err := slurm.MarkCancelled(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !slurm.Cancelled(dir) {
		t.Fatal("marker not seen")
	}
	if err := slurm.ClearCancelled(dir); err != nil || slurm.Cancelled(dir) {
		t.Fatalf("clear: %v", err)
	}
	if err := slurm.ClearCancelled(dir); err != nil {
		t.Errorf("clearing twice: %v", err)
	}
}

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
