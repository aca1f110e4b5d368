package results_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
)

func TestRecordSubmissionConcurrent(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := results.JobSubmission{JobID: fmt.Sprint(100 + i), Base: i * 10, Array: "0-9", Items: 10, Reason: "submit", SubmittedAt: time.Now()}
			if err := results.RecordSubmission(dir, s); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	j, err := results.ReadJobs(dir)
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
	j, err := results.ReadJobs(t.TempDir())
	if err != nil || len(j.Submissions) != 0 {
		t.Errorf("got %v, %v", j, err)
	}
}

func TestCancelMarker(t *testing.T) {
	dir := t.TempDir()
	if results.Cancelled(dir) {
		t.Fatal("fresh run is cancelled")
	}
	if err := results.MarkCancelled(dir, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !results.Cancelled(dir) {
		t.Fatal("marker not seen")
	}
	if err := results.ClearCancelled(dir); err != nil || results.Cancelled(dir) {
		t.Fatalf("clear: %v", err)
	}
	if err := results.ClearCancelled(dir); err != nil {
		t.Errorf("clearing twice: %v", err)
	}
}
