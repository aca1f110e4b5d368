package results_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
	"github.com/parquet-go/parquet-go"
)

// writeTrace writes rows into a trace in dir with opts and closes it.
func writeTrace(tb testing.TB, dir string, opts results.TraceOptions, rows ...results.NodeRow) {
	tb.Helper()
	w, err := results.NewTraceWriter(dir, opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := w.Write(rows...); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
}

// sampleNodes returns n deterministic node rows exercising every column,
// nulls included.
func sampleNodes(n int) []results.NodeRow {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rows := make([]results.NodeRow, n)
	stages := []string{results.StageDraft, results.StageImprove, results.StageDebug}
	for i := range rows {
		r := results.NodeRow{
			RunID:            "run-1",
			Item:             7,
			TaskID:           "spaceship-titanic",
			Seed:             2,
			Params:           `{"search.uct_c":"0.5"}`,
			NodeID:           fmt.Sprintf("n%04d", i),
			Step:             int64(i + 1),
			Stage:            stages[i%3],
			Worker:           int64(i % 3),
			CreatedAt:        base.Add(time.Duration(i) * time.Minute),
			FinishedAt:       base.Add(time.Duration(i)*time.Minute + 42*time.Second + 123*time.Millisecond),
			LLMSeconds:       1.5 + float64(i),
			ExecSeconds:      0.25 * float64(i),
			PromptTokens:     int64(1000 + i),
			CompletionTokens: int64(200 + i),
			CostUSD:          0.001 * float64(i),
			ExitCode:         int64(i % 2),
			TimedOut:         i%7 == 0,
			IsBuggy:          i%2 == 1,
			FormatValid:      i%2 == 0,
			LowerIsBetter:    false,
			UCTC:             0.5,
			Visits:           int64(i),
			Reward:           float64(i) / 10,
			Plan:             fmt.Sprintf("plan %d: gradient boosting with target encoding", i),
			Summary:          "reviewer summary",
			CodeSHA256:       fmt.Sprintf("%064x", i),
			Error:            "",
		}
		if i > 0 {
			r.ParentID = fmt.Sprintf("n%04d", (i-1)/2)
		}
		if !r.IsBuggy {
			m := 0.7 + float64(i)/1000
			r.Metric = &m
		}
		if i%4 == 0 {
			s := 0.69 + float64(i)/1000
			medal := results.MedalNone
			if i%8 == 0 {
				medal = results.MedalBronze
			}
			r.TestScore, r.Medal = &s, &medal
		}
		if r.IsBuggy {
			r.Error = "Traceback (most recent call last): KeyError 'Age'"
		}
		rows[i] = r
	}
	return rows
}

func readPartsParquetGo(tb testing.TB, dir string) []results.NodeRow {
	tb.Helper()
	parts, err := results.TraceParts(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var all []results.NodeRow
	for _, p := range parts {
		rows, err := parquet.ReadFile[results.NodeRow](p)
		if err != nil {
			tb.Fatalf("read %s: %v", p, err)
		}
		all = append(all, rows...)
	}
	return all
}

func TestTraceWriterRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		rows      int
		partRows  int
		wantParts int
	}{
		{"empty", 0, 10, 0},
		{"one part", 5, 10, 1},
		{"exact parts", 20, 10, 2},
		{"partial last part", 25, 10, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := results.NewTraceWriter(dir, results.TraceOptions{PartRows: tc.partRows, PartAge: -1, RowGroupRows: 4, NoCompact: true})
			if err != nil {
				t.Fatal(err)
			}
			want := sampleNodes(tc.rows)
			for i := range want {
				if err := w.Write(want[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			parts, err := results.TraceParts(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(parts) != tc.wantParts {
				t.Fatalf("parts = %d, want %d", len(parts), tc.wantParts)
			}
			got := readPartsParquetGo(t, dir)
			if len(got) != len(want) {
				t.Fatalf("rows = %d, want %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Fatalf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
			for _, p := range parts {
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				st, _ := f.Stat()
				pf, err := parquet.OpenFile(f, st.Size())
				if err != nil {
					t.Fatal(err)
				}
				if v, _ := pf.Lookup(results.MetaSchemaVersion); v != results.SchemaVersion {
					t.Errorf("%s: schema version %q, want %q", p, v, results.SchemaVersion)
				}
				if v, _ := pf.Lookup(results.MetaKind); v != results.KindNode {
					t.Errorf("%s: kind %q", p, v)
				}
				f.Close()
			}
		})
	}
}

func TestTraceWriterLifecycle(t *testing.T) {
	dir := t.TempDir()
	// A leftover of a killed writer and an existing part from an earlier attempt.
	stale := filepath.Join(dir, ".trace-3.123.tmp")
	if err := os.WriteFile(stale, []byte("PAR1garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteNodesFile(filepath.Join(dir, results.TracePartName(4)), sampleNodes(2)); err != nil {
		t.Fatal(err)
	}
	w, err := results.NewTraceWriter(dir, results.TraceOptions{PartAge: -1, NoCompact: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale temp file not removed: %v", err)
	}
	rows := sampleNodes(3)
	if err := w.Write(rows...); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil { // empty flush writes nothing
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, results.TracePartName(5))); err != nil {
		t.Fatalf("resumed writer did not continue after part 4: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := w.Write(rows[0]); !errors.Is(err, results.ErrClosed) {
		t.Fatalf("Write after Close = %v, want ErrClosed", err)
	}
	if err := w.Flush(); !errors.Is(err, results.ErrClosed) {
		t.Fatalf("Flush after Close = %v, want ErrClosed", err)
	}
	if got := readPartsParquetGo(t, dir); len(got) != 5 {
		t.Fatalf("rows = %d, want 5", len(got))
	}
}

func TestTraceWriterPartAge(t *testing.T) {
	dir := t.TempDir()
	w, err := results.NewTraceWriter(dir, results.TraceOptions{PartAge: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(sampleNodes(1)...); err != nil {
		t.Fatal(err)
	}
	// The part must appear without Flush or Close; poll rather than sleep a
	// fixed time so a slow machine only makes the test slower.
	deadline := time.Now().Add(10 * time.Second)
	for {
		parts, err := results.TraceParts(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("aged part was never written")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriteResultsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	score, gold := 0.81, 0.9
	want := []results.ResultRow{
		{RunID: "r", Item: 0, TaskID: "a", Split: "low", Status: results.StateDone, Graded: true,
			SubmissionExists: true, ValidSubmission: true, Score: &score, GoldThreshold: &gold,
			WallSeconds: 3600, Nodes: 10, BuggyNodes: 3, PromptTokens: 100, CompletionTokens: 10, CostUSD: 0.5, Params: "{}"},
		{RunID: "r", Item: 1, TaskID: "b", Split: "high", Status: results.StateRunning, Params: "{}"},
	}
	if err := results.WriteResults(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := parquet.ReadFile[results.ResultRow](filepath.Join(dir, results.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp files left: %v", entries)
	}
}

// TestCompactTrace: Close merges the parts into one file; an interrupted
// compaction (merged file written, old parts still there) never shows rows
// twice, and the next compaction cleans up.
func TestCompactTrace(t *testing.T) {
	dir := t.TempDir()
	want := sampleNodes(25)
	writeTrace(t, dir, results.TraceOptions{PartRows: 10, PartAge: -1}, want...)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "trace-000000-000002.parquet" {
		t.Fatalf("after Close: %v, want one compacted file", entries)
	}
	if got := readPartsParquetGo(t, dir); !reflect.DeepEqual(got, want) {
		t.Fatalf("compacted rows differ")
	}

	// Simulate a compaction killed after the rename: the covered parts
	// are still there next to the compacted file.
	for n, rows := range [][]results.NodeRow{want[:10], want[10:20], want[20:]} {
		if err := results.WriteNodesFile(filepath.Join(dir, results.TracePartName(n)), rows); err != nil {
			t.Fatal(err)
		}
	}
	if got := readPartsParquetGo(t, dir); len(got) != len(want) {
		t.Fatalf("interrupted compaction: %d rows, want %d (no duplicates)", len(got), len(want))
	}
	// A resumed writer appends after the compacted range and compacts again.
	extra := sampleNodes(26)[25:]
	writeTrace(t, dir, results.TraceOptions{PartAge: -1}, extra...)
	entries, _ = os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "trace-000000-000003.parquet" {
		t.Fatalf("after resume: %v, want trace-000000-000003.parquet only", entries)
	}
	if got := readPartsParquetGo(t, dir); !reflect.DeepEqual(got, append(want, extra...)) {
		t.Fatalf("rows after resume differ")
	}
}

func TestCompactTraceStopsAtDamagedPart(t *testing.T) {
	dir := t.TempDir()
	rows := sampleNodes(4)
	if err := results.WriteNodesFile(filepath.Join(dir, results.TracePartName(0)), rows[:2]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, results.TracePartName(1)), []byte("PAR1junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := results.CompactTrace(dir)
	if err == nil || !strings.Contains(err.Error(), "trace-000001.parquet") {
		t.Fatalf("err = %v, want one naming the damaged part", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Fatalf("files changed after a failed compaction: %v", entries)
	}
}

// TestTraceWriterCompactsAsItGoes: a long run never has more than
// CompactEvery+1 trace files, and no row is lost or repeated.
func TestTraceWriterCompactsAsItGoes(t *testing.T) {
	dir := t.TempDir()
	w, err := results.NewTraceWriter(dir, results.TraceOptions{PartAge: -1, CompactEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := sampleNodes(20)
	for i := range want {
		if err := w.Write(want[i]); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if parts, _ := results.TraceParts(dir); len(parts) > 4 {
			t.Fatalf("after %d flushes: %d files", i+1, len(parts))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readPartsParquetGo(t, dir); !reflect.DeepEqual(got, want) {
		t.Fatalf("rows differ after compactions")
	}
}

// TestCompactTraceLeavesLargeFiles: only runs of small files are merged;
// a large file stays as written, so compaction cost stays bounded.
func TestCompactTraceLeavesLargeFiles(t *testing.T) {
	dir := t.TempDir()
	big := sampleNodes(10_000)
	parts := [][]results.NodeRow{big[:5], big, big[5:8], big[8:12]}
	var want []results.NodeRow
	for n, rows := range parts {
		if err := results.WriteNodesFile(filepath.Join(dir, results.TracePartName(n)), rows); err != nil {
			t.Fatal(err)
		}
		want = append(want, rows...)
	}
	left, err := results.CompactTrace(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		names = append(names, e.Name())
	}
	wantNames := []string{"trace-000000.parquet", "trace-000001.parquet", "trace-000002-000003.parquet"}
	if left != 3 || !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("left %d files %v, want %v", left, names, wantNames)
	}
	if got := readPartsParquetGo(t, dir); !reflect.DeepEqual(got, want) {
		t.Fatal("rows differ after compaction")
	}
}
