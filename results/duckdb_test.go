package results_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
)

// duckdbQuery reads our files with DuckDB (its Node.js API, from npm), a
// reader that shares no code with ours. .ci/run installs it and sets
// DUCKDB_NODE_MODULES to its node_modules folder.
const duckdbQuery = `
import { DuckDBInstance } from '@duckdb/node-api';
const con = await (await DuckDBInstance.create(':memory:')).connect();
const [nodes, results] = process.argv.slice(2);
let r = await con.runAndReadAll("SELECT count(*)::INT AS n, sum(is_buggy::INT)::INT AS buggy, min(metric) AS lo, " +
  "count(test_score)::INT AS graded, string_agg(DISTINCT stage, ',' ORDER BY stage) AS stages, " +
  "max(epoch_ms(created_at))::BIGINT AS created, sum(reviewer_prompt_tokens)::INT AS reviewer_prompt, " +
  "sum(coder_cached_prompt_tokens)::INT AS coder_cached, sum(reasoning_tokens)::INT AS reasoning, " +
  "string_agg(code, '|' ORDER BY node_id) AS code, string_agg(output_tail, '|' ORDER BY node_id) AS tails FROM read_parquet('" + nodes + "')");
console.log(JSON.stringify(r.getRowObjectsJson()[0]));
r = await con.runAndReadAll("SELECT task_id, split, score, any_medal, gold_threshold FROM read_parquet('" + results + "') ORDER BY item");
console.log(JSON.stringify(r.getRowObjectsJson()));
`

func TestIntegrationDuckDBReadsOurFiles(t *testing.T) {
	mods := os.Getenv("DUCKDB_NODE_MODULES")
	if mods == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must set DUCKDB_NODE_MODULES (see .ci/run)")
		}
		t.Skip("DUCKDB_NODE_MODULES is not set (npm install @duckdb/node-api and point it at node_modules)")
	}
	dir := t.TempDir()
	m, lo := 0.25, 0.125
	score, gold := 0.9, 0.95
	created := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	rows := []results.NodeRow{
		{RunID: "r", TaskID: "t", NodeID: "n0001", Stage: "draft", CreatedAt: created, FinishedAt: created, Metric: &m, TestScore: &score,
			Code: "print(1)\n", OutputTail: "1\n", ReasoningTokens: 7,
			RoleUsage: results.RoleUsage{CoderCachedPromptTokens: 100, ReviewerPromptTokens: 40}},
		{RunID: "r", TaskID: "t", NodeID: "n0002", ParentID: "n0001", Stage: "improve", CreatedAt: created, FinishedAt: created, Metric: &lo},
		{RunID: "r", TaskID: "t", NodeID: "n0003", ParentID: "n0002", Stage: "debug", IsBuggy: true, CreatedAt: created, FinishedAt: created},
	}
	nodes := filepath.Join(dir, "nodes.parquet")
	if err := results.WriteNodesFile(nodes, rows); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteResults(dir, []results.ResultRow{
		{RunID: "r", Item: 0, TaskID: "t", Split: "low", Score: &score, AnyMedal: true, GoldThreshold: &gold},
		{RunID: "r", Item: 1, TaskID: "u", Split: "high"},
	}); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "q.mjs")
	os.WriteFile(script, []byte(duckdbQuery), 0o644)
	// ES modules resolve packages from the script's folder upwards.
	if err := os.Symlink(mods, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "node", script, nodes, filepath.Join(dir, results.ResultsFile)).CombinedOutput()
	if err != nil {
		t.Fatalf("duckdb: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	want := []string{
		`{"n":3,"buggy":1,"lo":0.125,"graded":1,"stages":"debug,draft,improve","created":"1767323045006","reviewer_prompt":40,"coder_cached":100,"reasoning":7,"code":"print(1)\n||","tails":"1\n||"}`,
		`[{"task_id":"t","split":"low","score":0.9,"any_medal":true,"gold_threshold":0.95},{"task_id":"u","split":"high","score":null,"any_medal":false,"gold_threshold":null}]`,
	}
	if len(lines) != 2 || lines[0] != want[0] || lines[1] != want[1] {
		t.Errorf("duckdb read:\n%s\nwant:\n%s", out, strings.Join(want, "\n"))
	}
}
