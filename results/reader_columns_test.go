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
)

// filled sets every field of *p (embedded structs included) to a value of
// its own, distinct from the zero value and from the other fields, so that
// a column the reader does not map shows as a difference.
func filled(tb testing.TB, p any) {
	tb.Helper()
	n := 0
	var fill func(v reflect.Value)
	fill = func(v reflect.Value) {
		for i := range v.NumField() {
			f := v.Field(i)
			n++
			switch x := f.Addr().Interface().(type) {
			case *string:
				*x = fmt.Sprintf("v%d", n)
			case *int64:
				*x = int64(n)
			case *float64:
				*x = float64(n) + 0.5
			case *bool:
				*x = true
			case *time.Time:
				*x = time.Date(2026, 1, 2, 3, 4, n, 0, time.UTC)
			case **float64:
				y := float64(n) + 0.25
				*x = &y
			case **string:
				s := fmt.Sprintf("p%d", n)
				*x = &s
			default:
				if f.Kind() != reflect.Struct {
					tb.Fatalf("field %s: no test value for %s", v.Type().Field(i).Name, f.Type())
				}
				fill(f)
			}
		}
	}
	fill(reflect.ValueOf(p).Elem())
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
