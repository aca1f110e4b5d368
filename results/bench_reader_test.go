package results_test

import (
	"context"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/mlbench/mlbench/results"
)

// BenchmarkReaderNodes measures node rows read per second, every column,
// from one item's trace of 200,000 rows (the reader under report, trace and
// the web view).
func BenchmarkReaderNodes(b *testing.B) {
	dir := b.TempDir()
	writeTrace(b, dir, results.TraceOptions{PartAge: -1}, sampleNodes(200_000)...)
	r := results.NewReader(memory.NewGoAllocator())
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		rows, err := r.Nodes(ctx, dir)
		if err != nil || len(rows) != 200_000 {
			b.Fatalf("read %d rows: %v", len(rows), err)
		}
	}
	b.ReportMetric(float64(b.N)*200_000/b.Elapsed().Seconds(), "rows/s")
}
