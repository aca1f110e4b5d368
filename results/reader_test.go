package results_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/mlbench/mlbench/results"
	"github.com/parquet-go/parquet-go"
)

// checkedAllocator returns an allocator that fails the test if any Arrow
// buffer is still allocated when the test ends.
func checkedAllocator(tb testing.TB) memory.Allocator {
	tb.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	tb.Cleanup(func() { mem.AssertSize(tb, 0) })
	return mem
}

// TestArrowReadsParquetGo proves both libraries agree: what parquet-go
// writes, arrow/go reads back field for field, nulls included.
func TestArrowReadsParquetGo(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	want := sampleNodes(257)
	writeTrace(t, dir, results.TraceOptions{PartRows: 100, RowGroupRows: 30, PartAge: -1, NoCompact: true}, want...)

	r := results.NewReader(checkedAllocator(t))
	got, err := r.Nodes(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %d, want %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if s := r.Skipped(); len(s) != 0 {
		t.Fatalf("skipped %v", s)
	}

	// A column subset fills only those fields.
	sub, err := r.Nodes(ctx, dir, "node_id", "metric", "medal")
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		exp := results.NodeRow{NodeID: want[i].NodeID, Metric: want[i].Metric, Medal: want[i].Medal}
		if !reflect.DeepEqual(sub[i], exp) {
			t.Fatalf("subset row %d: got %+v want %+v", i, sub[i], exp)
		}
	}
	if _, err := r.Nodes(ctx, dir, "no_such_column"); !errors.Is(err, results.ErrUnknownColumn) {
		t.Fatalf("Nodes with an unknown column: err = %v, want ErrUnknownColumn", err)
	}
	parts, err := results.TraceParts(dir)
	if err != nil || len(parts) != 3 {
		t.Fatalf("parts = %v, %v; want 3 (100+100+57 rows)", parts, err)
	}
}

func TestArrowReadsResults(t *testing.T) {
	dir := t.TempDir()
	score, thr := 0.5, 0.4
	want := []results.ResultRow{
		{RunID: "r", Item: 3, TaskID: "a", Split: "medium", Seed: 1, Params: `{"k":"v"}`, Status: "done", Attempts: 1,
			Graded: true, BestNodeID: "n1", BestStage: "improve", SubmissionExists: true, ValidSubmission: true,
			Score: &score, GoldThreshold: &thr, BronzeMedal: true, AnyMedal: true, AboveMedian: true, IsLowerBetter: true,
			WallSeconds: 12.5, Nodes: 4, BuggyNodes: 1, PromptTokens: 9, CompletionTokens: 8, CostUSD: 0.25},
		{RunID: "r", Item: 4, TaskID: "b", Status: "pending", Params: "{}"},
	}
	if err := results.WriteResults(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := results.NewReader(checkedAllocator(t)).Results(context.Background(), filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

// TestReaderSkipsDamagedParts: truncated, garbage and empty files are
// skipped and counted; the good parts are still read.
func TestReaderSkipsDamagedParts(t *testing.T) {
	dir := t.TempDir()
	rows := sampleNodes(50)
	good0 := filepath.Join(dir, results.TracePartName(0))
	good3 := filepath.Join(dir, results.TracePartName(3))
	if err := results.WriteNodesFile(good0, rows[:20]); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteNodesFile(good3, rows[20:]); err != nil {
		t.Fatal(err)
	}
	full, err := os.ReadFile(good3)
	if err != nil {
		t.Fatal(err)
	}
	damaged := map[int][]byte{
		1: full[:len(full)/2],                 // truncated: no footer
		2: []byte("PAR1 this is not parquet"), // garbage
		4: nil,                                // empty
	}
	corrupt := append([]byte(nil), full...) // footer intact, data pages scrambled
	for i := 4; i < len(corrupt)/2; i++ {
		corrupt[i] ^= 0x5a
	}
	damaged[5] = corrupt
	for n, b := range damaged {
		if err := os.WriteFile(filepath.Join(dir, results.TracePartName(n)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A temp file of a writer that was killed is not a part at all.
	if err := os.WriteFile(filepath.Join(dir, ".trace-6.999.tmp"), full[:10], 0o644); err != nil {
		t.Fatal(err)
	}

	r := results.NewReader(checkedAllocator(t))
	got, err := r.Nodes(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 50 {
		t.Fatalf("rows = %d, want 50 from the two good parts", len(got))
	}
	skipped := r.Skipped()
	if len(skipped) != len(damaged) {
		t.Fatalf("skipped %d parts, want %d: %v", len(skipped), len(damaged), skipped)
	}
	for _, s := range skipped {
		if s.Err == nil {
			t.Errorf("%s skipped without a reason", s.Path)
		}
	}
}

func TestReaderAgreesWithParquetGoOnForeignSubset(t *testing.T) {
	// A file written with only some columns (an older or foreign schema)
	// reads with the missing columns left zero.
	// (plain: arrow/go v17's delta decoder leaks a buffer the checked
	// allocator would report.)
	type oldNode struct {
		NodeID string `parquet:"node_id,plain"`
		Step   int64  `parquet:"step"`
	}
	dir := t.TempDir()
	if err := parquet.WriteFile(filepath.Join(dir, results.TracePartName(0)), []oldNode{{"a", 1}, {"b", 2}}); err != nil {
		t.Fatal(err)
	}
	got, err := results.NewReader(checkedAllocator(t)).Nodes(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []results.NodeRow{{NodeID: "a", Step: 1}, {NodeID: "b", Step: 2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v want %+v", got, want)
	}
}
