package harness

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/memory"
)

func liveTask(t *testing.T, id, desc string) task.Task {
	t.Helper()
	pub := filepath.Join(t.TempDir(), id)
	if err := os.MkdirAll(pub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pub, "description.md"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pub, "train.csv"), []byte("id,x,y\n1,0.5,1\n2,0.7,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return task.Task{ID: id, PublicDir: pub, Metric: "accuracy"}
}

// TestLiveWisdomBetweenRunningItems runs two items of one run at once,
// each in its own goroutine as the local scheduler's workers would: each
// reaches its first working node, and each must then see the other's
// provisional entry in its next draft's prompt, before either ends. The
// final entry replaces the provisional one for readers.
func TestLiveWisdomBetweenRunningItems(t *testing.T) {
	cfg := configs.Memory{ContextBudget: 24000,
		TaskKnowledge: configs.TaskKnowledge{Enabled: true, Every: 10},
		Wisdom:        configs.Wisdom{Enabled: true, Dir: filepath.Join(t.TempDir(), "wisdom"), TopK: 3}}
	tasks := []task.Task{
		liveTask(t, "passenger-rescue", "Predict which passengers of the starship were rescued from their cabin, age and deck."),
		liveTask(t, "starship-cargo", "Predict which cargo of the starship was rescued from its deck and cabin class."),
	}
	var mems [2]*Memory
	for i, tk := range tasks {
		m, err := openMemory(cfg, tk, t.TempDir(), io.Discard, MemoryOptions{RunID: "run-1", Item: i})
		if err != nil {
			t.Fatal(err)
		}
		mems[i] = m
	}
	var wrote, read sync.WaitGroup
	wrote.Add(2)
	read.Add(2)
	seen := make([]string, 2)
	for i := range mems {
		go func(i int) {
			defer read.Done()
			m := mems[i]
			metric := 0.8
			m.nodeDone(context.Background(), memory.Node{ID: "1", Step: 1, Stage: memory.StageDraft,
				Plan: "Gradient boosting on deck and cabin for " + tasks[i].ID + ".", Code: "import lightgbm", Metric: &metric})
			wrote.Done()
			wrote.Wait() // both items now have a working node and are still running
			seen[i] = memory.FormatWisdom(m.retrieve())
		}(i)
	}
	read.Wait()
	for i, other := range []int{1, 0} {
		want := "Gradient boosting on deck and cabin for " + tasks[other].ID
		if !strings.Contains(seen[i], want) || !strings.Contains(seen[i], tasks[other].ID) {
			t.Errorf("item %d sees %q, want the running item %d's provisional entry", i, seen[i], other)
		}
		if strings.Contains(seen[i], "for "+tasks[i].ID) {
			t.Errorf("item %d retrieved its own entry: %q", i, seen[i])
		}
	}

	// Item 1 ends: its final entry supersedes its provisional one.
	better := 0.9
	mems[1].nodeDone(context.Background(), memory.Node{ID: "2", ParentID: "1", Step: 2, Stage: memory.StageImprove,
		Plan: "Add family-size features.", Code: "import lightgbm", Metric: &better})
	mems[1].finish(context.Background(), "gold")
	hits := mems[0].retrieve()
	if len(hits) != 1 || hits[0].Entry.Provisional || hits[0].Entry.Medal != "gold" {
		t.Fatalf("after item 1 ended, item 0 retrieves %+v, want only its final entry", hits)
	}
	entries, _, err := memory.Open(cfg.Wisdom.Dir).Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 3 {
		t.Fatalf("%d entries on disk, want 2 provisional and 1 final (files are immutable)", len(entries))
	}
}

// TestWisdomPeriodicRefresh: with an unchanged-looking directory (NFS
// attribute caching), memory.wisdom.refresh still lists it again.
func TestWisdomPeriodicRefresh(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wisdom")
	cfg := configs.Memory{Wisdom: configs.Wisdom{Enabled: true, Dir: dir, TopK: 3, Refresh: time.Minute}}
	tk := liveTask(t, "passenger-rescue", "Predict which passengers were rescued from their cabin.")
	m, err := openMemory(cfg, tk, t.TempDir(), io.Discard, MemoryOptions{RunID: "r", Item: 0})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	m.now = func() time.Time { return now }
	old := now.Add(-time.Hour)
	_ = os.MkdirAll(dir, 0o755)
	_ = os.Chtimes(dir, old, old)
	m.retrieve()
	if _, err := memory.Open(dir).Put(memory.Entry{TaskID: "cabin-rescue", Keywords: []string{"passengers", "rescued", "cabin"}}); err != nil {
		t.Fatal(err)
	}
	_ = os.Chtimes(dir, old, old) // the change is hidden from the modification time
	if hits := m.retrieve(); len(hits) != 0 {
		t.Fatalf("before the refresh interval: %d hits, want the cached 0", len(hits))
	}
	now = now.Add(time.Minute)
	if hits := m.retrieve(); len(hits) != 1 {
		t.Fatalf("after the refresh interval: %d hits, want 1", len(hits))
	}
}
