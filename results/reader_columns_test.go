package results_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search"
)

// filled sets every field of *p, nested and embedded structs and pointees
// included, to a value of its own, distinct from the zero value and from
// the other fields, so that a field some code path drops shows as a
// difference or a zero.
func filled(tb testing.TB, p any) {
	tb.Helper()
	n := 0
	var fill func(v reflect.Value, name string)
	fill = func(v reflect.Value, name string) {
		n++
		switch v.Kind() {
		case reflect.String:
			v.SetString(fmt.Sprintf("v%d", n))
		case reflect.Int, reflect.Int64:
			v.SetInt(int64(n))
		case reflect.Float64:
			v.SetFloat(float64(n) + 0.5)
		case reflect.Bool:
			v.SetBool(true)
		case reflect.Pointer:
			v.Set(reflect.New(v.Type().Elem()))
			fill(v.Elem(), name)
		case reflect.Struct:
			if t, ok := v.Addr().Interface().(*time.Time); ok {
				*t = time.Date(2026, 1, 2, 3, 4, n%60, 0, time.UTC)
				return
			}
			for i := range v.NumField() {
				fill(v.Field(i), v.Type().Field(i).Name)
			}
		default:
			tb.Fatalf("field %s: no test value for %s", name, v.Type())
		}
	}
	fill(reflect.ValueOf(p).Elem(), "")
}

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
	filled(t, &node)
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
	filled(t, &res)
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
	filled(t, &rec)
	row := results.NodeRowOf(rec)
	callers := map[string]bool{"RunID": true, "Item": true, "TaskID": true, "Seed": true, "Params": true,
		"CostUSD": true, "CoderCostUSD": true, "ReviewerCostUSD": true, "TestScore": true, "Medal": true}
	var zero []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			switch {
			case v.Type().Field(i).Anonymous:
				walk(f)
			case f.IsZero() && !callers[name]:
				zero = append(zero, name)
			case !f.IsZero() && callers[name]:
				t.Errorf("NodeRowOf set %s, which the caller owns", name)
			}
		}
	}
	walk(reflect.ValueOf(row))
	if len(zero) > 0 {
		t.Errorf("NodeRowOf leaves %v zero although the record has every field set", zero)
	}
	if row.Metric == rec.Metric {
		t.Error("the row shares the record's metric")
	}
}
