package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mlbench/mlbench/grader/gradertest"
)

// These benchmarks time `mlbench grade` as users run it: a process, with
// its start, config, registry, answers and submission, per operation.
// They report the peak RSS of the process (peak-RSS-MB) and its ratio to
// the submission's size (RSS/sub), and the CPU seconds it used (cpu-s,
// which a busy machine does not inflate as it does wall time).

// benchCLIGrade runs `mlbench grade` b.N times and reports its peak RSS
// and CPU time; valid says whether the verdict must be valid.
func benchCLIGrade(b *testing.B, id, data, sub string, size int64, valid bool) {
	b.Helper()
	want := `"valid_submission": true`
	if !valid {
		want = `"valid_submission": false`
	}
	var peak int64
	var cpu time.Duration
	b.ResetTimer()
	for range b.N {
		cmd := mlbenchCmd(b.TempDir(), nil, "grade", "--competition", id, "--submission", sub, "--data-dir", data)
		out, err := cmd.Output()
		if err != nil || !contains(out, want) {
			b.Fatalf("grade: %v\n%s", err, out)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		peak = max(peak, ru.Maxrss*1024)
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	b.StopTimer()
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
	b.ReportMetric(float64(peak)/float64(size), "RSS/sub")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(size)/1e6, "sub-MB")
}

func contains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

// BenchmarkGradeCLI grades the 1M-row ROC AUC and the 100k x 120 log-loss
// submissions through the binary (goal: 10x the reference's read_csv +
// grade in a warm Python, peak RSS at most twice the submission).
func BenchmarkGradeCLI(b *testing.B) {
	b.Run("roc-auc-1M", func(b *testing.B) {
		data, sub, size := gradertest.AUCTask(b, 1_000_000, false)
		benchCLIGrade(b, "histopathologic-cancer-detection", data, sub, size, true)
	})
	// Rows in another order than the answers' take the general path (the
	// lockstep one needs the answers' order).
	b.Run("roc-auc-1M-shuffled", func(b *testing.B) {
		data, sub, size := gradertest.AUCTask(b, 1_000_000, true)
		benchCLIGrade(b, "histopathologic-cancer-detection", data, sub, size, true)
	})
	b.Run("log-loss-100kx120", func(b *testing.B) {
		data, sub, size := gradertest.LogLossTask(b, 100_000, 120)
		benchCLIGrade(b, "dog-breed-identification", data, sub, size, true)
	})
}

// BenchmarkGradeCLIHostile grades 1 GB sparse files (no disk used)
// through the binary: NUL bytes only, and a valid header followed by NUL
// bytes, against small answers (the size limit refuses the file unread)
// and against answers large enough (25 MB) that the file must be opened
// (goal: a verdict in 2 s and 100 MiB).
func BenchmarkGradeCLIHostile(b *testing.B) {
	for _, answersRows := range []int{2_000, 2_000_000} {
		data := b.TempDir()
		gradertest.WriteCSV(b, filepath.Join(data, "aerial-cactus-identification/prepared/private/test.csv"), "id,has_cactus", answersRows, func(buf []byte, i int) []byte {
			return fmt.Appendf(buf, "%d.jpg,%d", i, i%2)
		})
		for _, head := range []string{"", "id,has_cactus\n"} {
			b.Run(fmt.Sprintf("answers-rows=%d/header=%v", answersRows, head != ""), func(b *testing.B) {
				sub := filepath.Join(b.TempDir(), "sparse.csv")
				if err := os.WriteFile(sub, []byte(head), 0o644); err != nil {
					b.Fatal(err)
				}
				const size = 1 << 30
				if err := os.Truncate(sub, size); err != nil {
					b.Fatal(err)
				}
				defer os.Remove(sub)
				benchCLIGrade(b, "aerial-cactus-identification", data, sub, size, false)
			})
		}
	}
}
