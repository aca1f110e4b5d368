package grader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestGradeStopsAtCancel: a grader deep in a computation that never looks
// at the context must not keep Grade (and so `mlbench grade` after
// SIGTERM) waiting.
func TestGradeStopsAtCancel(t *testing.T) {
	const id = "aerial-cactus-identification"
	release := make(chan struct{})
	defer close(release)
	orig := graders[id]
	graders[id] = GraderFunc(func(sub, ans *Table) (float64, error) {
		<-release
		return 0, nil
	})
	defer func() { graders[id] = orig }()
	dir := PrepareTask(t, id, "id,has_cactus\n1.jpg,1\n")
	sub := filepath.Join(dir, "submission.csv")
	os.WriteFile(sub, []byte("id,has_cactus\n1.jpg,0.5\n"), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := Grade(ctx, Request{CompetitionID: id, SubmissionPath: sub, DataDir: dir})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Grade: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Grade still running 10 s after its context was cancelled")
	}
}
