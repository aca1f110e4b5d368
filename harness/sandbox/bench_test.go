package sandbox_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness/sandbox"
)

// BenchmarkPrint1 measures the cost of the sandbox for `print(1)`: each
// iteration runs the script bare and sandboxed, and the benchmark reports
// the median of the sandboxed run and of the difference (overhead-ms).
func BenchmarkPrint1(b *testing.B) {
	needPython(b)
	task := newTask(b)
	script := filepath.Join(task.work, "print1.py")
	writeFile(b, script, "print(1)\n")
	bare := func(b *testing.B) time.Duration {
		start := time.Now()
		out, err := exec.Command(python, script).Output()
		if err != nil || string(out) != "1\n" {
			b.Fatalf("bare python: %q, %v", out, err)
		}
		return time.Since(start)
	}
	b.Run("bare", func(b *testing.B) {
		var d []time.Duration
		for b.Loop() {
			d = append(d, bare(b))
		}
		b.ReportMetric(ms(median(d)), "median-ms")
	})
	for _, name := range []string{"bwrap", "process"} {
		b.Run(name, func(b *testing.B) {
			var e sandbox.Executor
			if name == "bwrap" {
				e = newBwrap(b, testOptions())
			} else {
				e = newProcess(b, testOptions())
			}
			spec := sandbox.Spec{Script: script, WorkDir: task.work, SubmissionDir: task.submission, DataDir: task.public, Hide: []string{task.private}}
			var total, over []time.Duration
			for b.Loop() {
				b.StopTimer()
				base := bare(b)
				b.StartTimer()
				start := time.Now()
				res, err := e.Run(context.Background(), spec)
				if err != nil || !res.OK() || res.Stdout != "1\n" {
					b.Fatalf("sandboxed: %+v, %v", res, err)
				}
				d := time.Since(start)
				total = append(total, d)
				over = append(over, d-base)
			}
			b.ReportMetric(ms(median(total)), "median-ms")
			b.ReportMetric(ms(median(over)), "overhead-ms")
		})
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
