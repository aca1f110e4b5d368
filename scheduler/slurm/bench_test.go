package slurm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
	slurmsched "github.com/mlbench/mlbench/scheduler/slurm"
)

// sweep10k is a 10,000-item sweep: the 4 demo tasks x a 50 x 50 grid.
var sweep10k = []harness.Axis{{Key: "search.uct_c", Values: values(50)}, {Key: "search.decay_alpha", Values: values(50)}}

// BenchmarkPlanAndRender10000 plans a 10,000-item sweep (run directory,
// manifest, config) and writes its sbatch scripts, with sbatch answered by
// a fake: everything `mlbench submit` does but the cluster round trip.
// Target: at most 2 s.
func BenchmarkPlanAndRender10000(b *testing.B) {
	cfg := testConfig(b)
	tasks, err := harness.RegistryFrom(cfg).Suite("demo")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		run, err := harness.Plan(harness.PlanRequest{Tasks: tasks, Seeds: 1, Grid: sweep10k, Config: cfg})
		if err != nil {
			b.Fatal(err)
		}
		if len(run.Manifest.Items) != 10000 {
			b.Fatalf("%d items", len(run.Manifest.Items))
		}
		f := &fakeCluster{}
		s := &slurmsched.Slurm{Client: f.client(), Config: cfg, Binary: "/bin/mlbench", MaxArraySize: 1001}
		if err := s.Submit(context.Background(), run.Dir, allItems(10000)); err != nil {
			b.Fatal(err)
		}
		if len(s.Submitted) != 10 {
			b.Fatalf("%d arrays, want 10 chunks of MaxArraySize 1001", len(s.Submitted))
		}
	}
}

// BenchmarkStatus10000 is `mlbench status` over a 10,000-item run: every
// item's status.json plus one squeue reply (pending ranges and running
// elements), mapped to items. Target: at most 1 s.
func BenchmarkStatus10000(b *testing.B) {
	cfg := testConfig(b)
	run := plan(b, cfg, 1, sweep10k...)
	f := &fakeCluster{}
	s := &slurmsched.Slurm{Client: f.client(), Config: cfg, Binary: "/bin/mlbench", MaxArraySize: 10001}
	if err := s.Submit(context.Background(), run.Dir, allItems(10000)); err != nil {
		b.Fatal(err)
	}
	// 6,000 done, 200 failed, 100 running, the rest pending in the queue.
	for i := 0; i < 6300; i++ {
		st := results.ItemStatus{State: results.StateDone, Attempts: 1}
		switch {
		case i >= 6200:
			st.State = results.StateRunning
		case i >= 6000:
			st.State = results.StateFailed
		}
		writeStatusFast(b, run, i, st)
	}
	var q strings.Builder
	fmt.Fprintf(&q, "101|6300-9999%%100|101|PENDING|JobArrayTaskLimit\n")
	for i := 6200; i < 6300; i++ {
		fmt.Fprintf(&q, "101|%d|%d|RUNNING|None\n", i, 1000+i)
	}
	f.queue = q.String()
	b.ResetTimer()
	for range b.N {
		snap, err := slurmsched.Observe(context.Background(), f.client(), run.Dir, run.Manifest)
		if err != nil {
			b.Fatal(err)
		}
		if snap.Counts[scheduler.ShowDone] != 6000 || snap.Counts[scheduler.ShowRunning] != 100 || snap.Counts[scheduler.ShowQueued] != 3700 {
			b.Fatalf("counts %v", snap.Counts)
		}
	}
}

// writeStatusFast writes a status.json without the fsyncs of WriteJSON:
// setting up 10,000 items should not take minutes.
func writeStatusFast(b *testing.B, run *harness.Run, i int, st results.ItemStatus) {
	dir := run.ItemDir(i)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	body, _ := json.Marshal(st)
	if err := os.WriteFile(filepath.Join(dir, results.StatusFile), body, 0o644); err != nil {
		b.Fatal(err)
	}
}
