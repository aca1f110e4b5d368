package results_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search"
)

// writeCheckpoint writes a search checkpoint holding rows as finished nodes.
func writeCheckpoint(t *testing.T, itemDir string, rows []results.NodeRow) {
	t.Helper()
	type node struct {
		ID         string  `json:"id"`
		ParentID   string  `json:"parent_id"`
		Stage      string  `json:"stage"`
		Step       int64   `json:"step"`
		IsBuggy    bool    `json:"is_buggy"`
		Status     string  `json:"status"`
		CreatedAt  any     `json:"created_at"`
		FinishedAt any     `json:"finished_at"`
		Usage      any     `json:"usage"`
		Reward     float64 `json:"reward"`
	}
	var nodes []node
	for _, r := range rows {
		nodes = append(nodes, node{ID: r.NodeID, ParentID: r.ParentID, Stage: r.Stage, Step: r.Step, IsBuggy: r.IsBuggy,
			Status: "done", CreatedAt: r.CreatedAt, FinishedAt: r.FinishedAt,
			Usage: map[string]int64{"prompt_tokens": r.PromptTokens, "completion_tokens": r.CompletionTokens}})
	}
	// A node in flight when the checkpoint was written is not in the tree.
	nodes = append(nodes, node{ID: "n-inflight", Status: "in_flight", CreatedAt: rows[0].CreatedAt, FinishedAt: rows[0].FinishedAt})
	dir := filepath.Join(itemDir, results.CheckpointDir)
	os.MkdirAll(dir, 0o755)
	if err := results.WriteJSON(results.CheckpointPath(itemDir), map[string]any{"version": 1, "nodes": nodes}); err != nil {
		t.Fatal(err)
	}
}

// A truncated trace part must not turn into "Nodes 0" without a word: the
// nodes come back from the checkpoint, and what cannot come back is marked
// in the report itself, also when read back from results.parquet.
func TestCollectDamagedTrace(t *testing.T) {
	cases := []struct {
		name       string
		checkpoint bool
		nodes      int64
		recovered  int64
		incomplete string
		wantText   []string
	}{
		{"recovered from the checkpoint", true, 20, 10, "cost", []string{"recovered from the checkpoint", "20     50k"}},
		{"nothing to recover from", false, 10, 0, "nodes,cost", []string{"10*", "unreadable trace parts and no checkpoint"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			it := fixtureItem{task: "t1", split: "low", state: results.StateDone, grade: "gold", nodes: 20, buggy: 4}
			dir := writeFixtureRun(t, t.TempDir(), "r", []fixtureItem{it})
			itemDir := results.ItemDir(dir, 0)
			rows := fixtureNodes("r", 0, it, results.ManifestItem{TaskID: "t1"})
			if tc.checkpoint {
				writeCheckpoint(t, itemDir, rows)
			}
			part := filepath.Join(itemDir, results.TracePartName(1))
			b, _ := os.ReadFile(part)
			os.WriteFile(part, b[:len(b)/2], 0o644)

			ctx := context.Background()
			run, err := results.Collect(ctx, dir, results.CollectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			r := run.Rows[0]
			if r.Nodes != tc.nodes || r.NodesRecovered != tc.recovered || r.DamagedParts != 1 || r.Incomplete != tc.incomplete {
				t.Fatalf("row: nodes %d recovered %d damaged %d incomplete %q; want %d %d 1 %q",
					r.Nodes, r.NodesRecovered, r.DamagedParts, r.Incomplete, tc.nodes, tc.recovered, tc.incomplete)
			}
			if tc.checkpoint && r.BuggyNodes != 5 {
				t.Errorf("buggy nodes %d, want 5 (every 4th of 20)", r.BuggyNodes)
			}
			// A later report reads results.parquet, without the skipped parts.
			if err := results.WriteResults(dir, run.Rows); err != nil {
				t.Fatal(err)
			}
			later, err := results.LoadRun(ctx, dir, results.CollectOptions{})
			if err != nil || later.Source != results.ResultsFile {
				t.Fatalf("load: %v (source %s)", err, later.Source)
			}
			rep, err := results.BuildReport([]*results.Run{later}, results.ReportOptions{Tasks: true})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := rep.Render(&out, results.FormatTable); err != nil {
				t.Fatal(err)
			}
			for _, want := range tc.wantText {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
			var js bytes.Buffer
			rep.Render(&js, results.FormatJSON)
			var parsed struct {
				Medals []map[string]any `json:"medals"`
			}
			json.Unmarshal(js.Bytes(), &parsed)
			key := "recovered"
			if !tc.checkpoint {
				key = "incomplete_nodes"
			}
			if parsed.Medals[0][key] != float64(1) {
				t.Errorf("JSON medal row lacks %s=1: %v", key, parsed.Medals[0])
			}
		})
	}
}

// A row rebuilt from the checkpoint is the row the trace would hold: the
// node's own reward (not the total backpropagated through it), the usage
// split by role, and the code and output.
func TestCheckpointNodesMatchTrace(t *testing.T) {
	itemDir := t.TempDir()
	lower := true
	m := 0.25
	st := search.State{Version: search.StateVersion, LowerIsBetter: &lower, Nodes: []search.NodeState{{
		NodeSnapshot: search.NodeSnapshot{ID: "n0001", Stage: search.StageDraft, Step: 1, Metric: &m,
			Code: "print(1)", Output: "ok"},
		Status: search.StatusDone, Reward: 3, OwnReward: 1,
		Usage:       search.Usage{PromptTokens: 100, CompletionTokens: 30},
		ReviewUsage: search.Usage{PromptTokens: 40, CompletionTokens: 10},
	}}}
	os.MkdirAll(filepath.Join(itemDir, results.CheckpointDir), 0o755)
	if err := results.WriteJSON(results.CheckpointPath(itemDir), st); err != nil {
		t.Fatal(err)
	}
	rows, err := results.CheckpointNodes(itemDir)
	if err != nil || len(rows) != 1 {
		t.Fatalf("rows %v, err %v", rows, err)
	}
	got := rows[0]
	want := results.NodeRowOf(st.Nodes[0].Record(&lower))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checkpoint row\n%+v\nwant\n%+v", got, want)
	}
	if got.Reward != 1 || got.CoderPromptTokens != 60 || got.ReviewerPromptTokens != 40 ||
		got.Code != "print(1)" || got.OutputTail != "ok" || !got.LowerIsBetter || got.Metric == nil || *got.Metric != m {
		t.Errorf("row %+v", got)
	}
}
