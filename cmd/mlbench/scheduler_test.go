package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
)

// fakeCluster is a scheduling backend registered through the same door as
// the real ones: item 0 runs in its queue, the others are not queued.
type fakeCluster struct {
	mu        sync.Mutex
	cancelled []string
	submitted [][]int
}

var fake = &fakeCluster{}

func init() {
	scheduler.Register(scheduler.Backend{
		Kind: "fake",
		New:  func(*configs.Config, scheduler.Options) (scheduler.Scheduler, error) { return fake, nil },
		Element: func() (scheduler.Element, error) {
			return scheduler.Element{Name: "f_0", Attempt: 1, Requeue: func(context.Context) error { return nil }}, nil
		},
	})
}

func (f *fakeCluster) Check(context.Context) (string, error) { return "", nil }

func (f *fakeCluster) Submit(_ context.Context, runDir string, items []int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submitted = append(f.submitted, items)
	return results.RecordSubmission(runDir, results.JobSubmission{Kind: "fake", JobID: "f2", Array: "0", Items: len(items)})
}

func (f *fakeCluster) Observe(_ context.Context, runDir string, m results.Manifest) (*scheduler.Snapshot, error) {
	s, err := scheduler.ReadSnapshot(runDir, m)
	if err != nil {
		return nil, err
	}
	s.Items[0].Element, s.Items[0].Queue, s.Items[0].Phase = "f_0", "RUNNING", scheduler.PhaseRunning
	s.Active = 1
	s.Classify(true)
	return s, nil
}

func (f *fakeCluster) Cancel(_ context.Context, runDir string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, runDir)
	return results.MarkCancelled(runDir, time.Now())
}

// fakeRun writes a three-item run whose array went to the fake backend.
func fakeRun(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "r-fake")
	cfg, err := configs.Load(configs.Options{Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	y, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "config.yaml"), string(y), 0o644)
	m := results.Manifest{RunID: "r-fake"}
	for i := range 3 {
		m.Items = append(m.Items, results.ManifestItem{Index: i, TaskID: "demo-binary-auc", Seed: i})
	}
	if err := results.WriteJSON(filepath.Join(dir, results.ManifestFile), m); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(results.ItemDir(dir, 1), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteJSON(filepath.Join(results.ItemDir(dir, 1), results.StatusFile), results.ItemStatus{State: results.StateFailed, Attempts: 1, Error: "boom"}); err != nil {
		t.Fatal(err)
	}
	if err := results.RecordSubmission(dir, results.JobSubmission{Kind: "fake", JobID: "f", Array: "0-2", Items: 3}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSchedulerDoor drives status, resume and cancel of a run whose arrays
// went to a backend that cmd has never heard of.
func TestSchedulerDoor(t *testing.T) {
	dir := fakeRun(t)
	out, _, err := runApp(t, "status", dir)
	if err != nil || !strings.Contains(out, "f_0 RUNNING") || !strings.Contains(out, "1 failed") || !strings.Contains(out, "1 running") || !strings.Contains(out, "1 unqueued") {
		t.Errorf("status through the fake: %v\n%s", err, out)
	}
	if _, stderr, err := runApp(t, "resume", "--scheduler", "fake", dir); err != nil || !strings.Contains(stderr, "resubmitting 2 of 3 items (1 still queued or running are left alone)") {
		t.Errorf("resume through the fake: %v\n%s", err, stderr)
	}
	if len(fake.submitted) != 1 || !slices.Equal(fake.submitted[0], []int{1, 2}) {
		t.Errorf("resume submitted %v, want items [1 2]", fake.submitted)
	}
	if _, _, err := runApp(t, "cancel", "--wait", "0s", dir); err != nil {
		t.Errorf("cancel through the fake: %v", err)
	}
	if len(fake.cancelled) != 1 || !results.Cancelled(dir) {
		t.Errorf("fake cancelled %v, marker %v", fake.cancelled, results.Cancelled(dir))
	}
	if _, _, err := runApp(t, "resume", "--scheduler", "nope", dir); err == nil || !strings.Contains(err.Error(), "fake") {
		t.Errorf("unknown scheduler: %v, want the registered kinds listed", err)
	}
}
