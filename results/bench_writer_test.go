package results_test

import (
	"testing"

	"github.com/mlbench/mlbench/results"
)

// BenchmarkTraceWriter measures node rows written per second through a
// TraceWriter with default options (zstd parts, fsync and rename per part),
// rows of realistic size (plan and summary of ~100 bytes). Target: at least
// 300,000 rows/s.
func BenchmarkTraceWriter(b *testing.B) {
	rows := sampleNodes(1000)
	dir := b.TempDir()
	w, err := results.NewTraceWriter(dir, results.TraceOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.ReportAllocs()
	written := 0
	for written < b.N {
		n := min(len(rows), b.N-written)
		if err := w.Write(rows[:n]...); err != nil {
			b.Fatal(err)
		}
		written += n
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
