package results_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mlbench/mlbench/results"
)

// fakeGrader reads a submission holding one number: >= 0.9 gold, >= 0.8
// bronze, "bad" invalid, "boom" a grader error.
func fakeGrader(calls *atomic.Int64) results.NodeGrader {
	return func(ctx context.Context, task, path string) (results.Grade, error) {
		calls.Add(1)
		b, err := os.ReadFile(path)
		if err != nil {
			return results.Grade{}, err
		}
		text := strings.TrimSpace(string(b))
		g := results.Grade{CompetitionID: task, SubmissionExists: true}
		switch text {
		case "boom":
			return results.Grade{}, errors.New("answers not prepared")
		case "bad":
			return g, nil
		}
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return results.Grade{}, err
		}
		g.Score, g.ValidSubmission = &v, true
		g.GoldMedal = v >= 0.9
		g.BronzeMedal = !g.GoldMedal && v >= 0.8
		g.AnyMedal = g.GoldMedal || g.BronzeMedal
		return g, nil
	}
}

func TestGradeNodes(t *testing.T) {
	done := results.StateDone
	dir := writeFixtureRun(t, t.TempDir(), "g", []fixtureItem{
		{task: "a", split: "low", seed: 0, state: done, grade: "none", nodes: 6},
		{task: "b", split: "low", seed: 0, state: results.StateRunning, nodes: 2},
	})
	subs := map[string]string{"0-0": "0.5", "0-1": "0.95", "0-2": "0.85", "0-3": "bad", "0-4": "boom"} // 0-5: none
	for id, text := range subs {
		nd := results.NodeDir(results.ItemDir(dir, 0), id)
		if err := os.MkdirAll(nd, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(nd, results.SubmissionFile), []byte(text+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var calls atomic.Int64
	var progress atomic.Int64
	st, err := results.GradeNodes(context.Background(), dir, fakeGrader(&calls), results.GradeNodesOptions{
		Workers:  3,
		Progress: func(done, total int) { progress.Store(int64(done*100 + total)) },
	})
	if err == nil || !strings.Contains(err.Error(), "1 of 5 failed") || !strings.Contains(err.Error(), "answers not prepared") {
		t.Fatalf("err = %v, want the grader failure counted", err)
	}
	want := results.GradeNodesStats{Items: 1, SkippedRunning: 1, Parts: 2, Nodes: 6, Graded: 4, NoSubmission: 1, Failed: 1}
	st.Skipped = nil
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	if calls.Load() != 5 || progress.Load() != 505 {
		t.Fatalf("grader calls %d, progress %d", calls.Load(), progress.Load())
	}

	nodes, err := results.NewReader(checkedAllocator(t)).Nodes(context.Background(), results.ItemDir(dir, 0))
	if err != nil {
		t.Fatal(err)
	}
	wantMedal := map[string]string{"0-0": "none", "0-1": "gold", "0-2": "bronze", "0-3": "none", "0-4": "", "0-5": "none"}
	wantScore := map[string]string{"0-0": "0.5", "0-1": "0.95", "0-2": "0.85"}
	for _, n := range nodes {
		medal := ""
		if n.Medal != nil {
			medal = *n.Medal
		}
		score := ""
		if n.TestScore != nil {
			score = strconv.FormatFloat(*n.TestScore, 'g', -1, 64)
		}
		if medal != wantMedal[n.NodeID] || score != wantScore[n.NodeID] {
			t.Errorf("node %s: medal %q score %q; want %q %q", n.NodeID, medal, score, wantMedal[n.NodeID], wantScore[n.NodeID])
		}
		if n.Plan != "plan" || n.PromptTokens != 2000 {
			t.Errorf("node %s: other columns changed: %+v", n.NodeID, n)
		}
	}

	// A second pass grades only the node that failed.
	calls.Store(0)
	st, err = results.GradeNodes(context.Background(), dir, fakeGrader(&calls), results.GradeNodesOptions{})
	if err == nil || calls.Load() != 1 || st.AlreadyGraded != 5 {
		t.Fatalf("second pass: calls %d, stats %+v, err %v", calls.Load(), st, err)
	}
	// --regrade grades everything with a submission again.
	calls.Store(0)
	if _, err := results.GradeNodes(context.Background(), dir, fakeGrader(&calls), results.GradeNodesOptions{Regrade: true}); err == nil || calls.Load() != 5 {
		t.Fatalf("regrade: calls %d err %v", calls.Load(), err)
	}
}

func TestGradeNodesCancelled(t *testing.T) {
	dir := writeFixtureRun(t, t.TempDir(), "g", []fixtureItem{{task: "a", state: results.StateDone, nodes: 3}})
	for _, id := range []string{"0-0", "0-1", "0-2"} {
		nd := results.NodeDir(results.ItemDir(dir, 0), id)
		if err := os.MkdirAll(nd, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(nd, results.SubmissionFile), []byte("0.5"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var calls atomic.Int64
	if _, err := results.GradeNodes(ctx, dir, fakeGrader(&calls), results.GradeNodesOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
