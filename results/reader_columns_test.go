package results_test

import (
	"context"
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
