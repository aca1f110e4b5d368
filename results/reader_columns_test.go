package results_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/mlbench/mlbench/internal/filled"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search"
)

// schemaColumns is what parquet-go writes for a row type, in order.
func schemaColumns(row any) []string {
	var names []string
	for _, path := range parquet.SchemaOf(row).Columns() {
		names = append(names, path[len(path)-1])
	}
	return names
}

// TestReaderReadsEveryColumn: every column the writers write is read back,
// for both row types. The reader's column list once missed ResultRow's
// modality, fallback and fallback_reason, so a report read from
// results.parquet lost its Modalities table and fallback marks.
func TestReaderReadsEveryColumn(t *testing.T) {
	ctx := context.Background()
	r := results.NewReader(checkedAllocator(t))

	var node results.NodeRow
	if err := filled.Fill(&node); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeTrace(t, dir, results.TraceOptions{PartAge: -1, NoCompact: true}, node)
	nodes, err := r.Nodes(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) != 1 || !reflect.DeepEqual(nodes[0], node) {
		t.Errorf("node read back:\n got %+v\nwant %+v", nodes, node)
	}

	var res results.ResultRow
	if err := filled.Fill(&res); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteResults(dir, []results.ResultRow{res}); err != nil {
		t.Fatal(err)
	}
	rows, err := r.Results(ctx, filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !reflect.DeepEqual(rows[0], res) {
		t.Errorf("result read back:\n got %+v\nwant %+v", rows, res)
	}

	for _, c := range []struct {
		name      string
		got, want []string
	}{
		{"NodeColumns", results.NodeColumns, schemaColumns(results.NodeRow{})},
		{"ResultColumns", results.ResultColumns, schemaColumns(results.ResultRow{})},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v\nthe schema writes %v", c.name, c.got, c.want)
		}
	}
}

// TestNodeRowOfFillsWhatTheSearchKnows: every trace column the search has
// a value for is filled from its record. The caller's columns (the item's
// identity, the costs, the node's grade) are the only ones left zero, so a
// column added to NodeRow without a line in NodeRowOf fails here.
func TestNodeRowOfFillsWhatTheSearchKnows(t *testing.T) {
	var rec search.NodeRecord
	if err := filled.Fill(&rec); err != nil {
		t.Fatal(err)
	}
	row := results.NodeRowOf(rec)
	callers := []string{"RunID", "Item", "TaskID", "Seed", "Params", "CostUSD", "CoderCostUSD", "ReviewerCostUSD", "TestScore", "Medal"}
	if zero := filled.ZeroFields(row, callers...); len(zero) > 0 {
		t.Errorf("NodeRowOf leaves %v zero although the record has every field set", zero)
	}
	owned := results.NodeRow{RunID: row.RunID, Item: row.Item, TaskID: row.TaskID, Seed: row.Seed, Params: row.Params,
		CostUSD: row.CostUSD, TestScore: row.TestScore, Medal: row.Medal}
	owned.CoderCostUSD, owned.ReviewerCostUSD = row.CoderCostUSD, row.ReviewerCostUSD
	if !reflect.DeepEqual(owned, results.NodeRow{}) {
		t.Errorf("NodeRowOf set columns the caller owns: %+v", owned)
	}
	if row.Metric == rec.Metric {
		t.Error("the row shares the record's metric")
	}
}

// TestCollectSumsEveryRoleColumn: an item's per-role usage is the sum of
// its nodes', column for column, through the summary that reads traces
// without building rows (the sum here is taken by reflection, apart from
// the code under test).
func TestCollectSumsEveryRoleColumn(t *testing.T) {
	ctx := context.Background()
	dir := writeFixtureRun(t, t.TempDir(), "r", []fixtureItem{{task: "a", split: "low", state: results.StateDone, grade: "gold", nodes: 3}})
	item := results.ItemDir(dir, 0)
	nodes, err := results.NewReader(checkedAllocator(t)).Nodes(ctx, item)
	if err != nil || len(nodes) != 3 {
		t.Fatalf("fixture nodes: %d, %v", len(nodes), err)
	}
	var want results.RoleUsage
	sum := reflect.ValueOf(&want).Elem()
	for i := range nodes {
		if err := filled.Fill(&nodes[i].RoleUsage); err != nil {
			t.Fatal(err)
		}
		v := reflect.ValueOf(&nodes[i].RoleUsage).Elem()
		for f := range v.NumField() {
			switch x := v.Field(f); x.Kind() {
			case reflect.Int64:
				x.SetInt(x.Int() * int64(i+1))
				sum.Field(f).SetInt(sum.Field(f).Int() + x.Int())
			case reflect.Float64:
				x.SetFloat(x.Float() * float64(i+1))
				sum.Field(f).SetFloat(sum.Field(f).Float() + x.Float())
			}
		}
	}
	parts, err := results.TraceParts(item)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := results.WriteNodesFile(filepath.Join(item, results.TracePartName(0)), nodes); err != nil {
		t.Fatal(err)
	}
	run, err := results.Collect(ctx, dir, results.CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := run.Rows[0].RoleUsage; got != want {
		t.Errorf("collected role usage\n %+v\nwant %+v", got, want)
	}
}
