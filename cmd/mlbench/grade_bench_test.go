package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// These benchmarks time `mlbench grade` as users run it: a process, with
// its start, config, registry, answers and submission, per operation.
// They report the peak RSS of the process (peak-RSS-MB) and its ratio to
// the submission's size (RSS/sub), and the CPU seconds it used (cpu-s,
// which a busy machine does not inflate as it does wall time).

// writeCSV writes a header and n rows built by row.
func writeCSV(tb testing.TB, path, header string, n int, row func(buf []byte, i int) []byte) int64 {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString(header + "\n")
	var buf []byte
	for i := range n {
		buf = append(row(buf[:0], i), '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	return st.Size()
}

// cliAUC writes a 1,000,000-row histopathologic-cancer-detection task
// (40-character ids, probabilities to 9 decimals: 53 MB).
func cliAUC(tb testing.TB) (data, sub string, size int64) {
	data = tb.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 1_000_000
	labels := make([]bool, n)
	for i := range labels {
		labels[i] = rng.IntN(2) == 1
	}
	id := func(buf []byte, i int) []byte { return fmt.Appendf(buf, "%040x", uint64(i)*0x9e3779b97f4a7c15) }
	writeCSV(tb, filepath.Join(data, "histopathologic-cancer-detection/prepared/private/answers.csv"), "id,label", n, func(buf []byte, i int) []byte {
		if labels[i] {
			return append(id(buf, i), ",1"...)
		}
		return append(id(buf, i), ",0"...)
	})
	sub = filepath.Join(tb.TempDir(), "submission.csv")
	size = writeCSV(tb, sub, "id,label", n, func(buf []byte, i int) []byte {
		p := 0.6 * rng.Float64()
		if labels[i] {
			p += 0.4
		}
		return strconv.AppendFloat(append(id(buf, i), ','), p, 'f', 9, 64)
	})
	return data, sub, size
}

// cliLogLoss writes a 100,000-row x 120-class dog-breed-identification
// task (probabilities to 6 decimals summing to 1: 111 MB).
func cliLogLoss(tb testing.TB) (data, sub string, size int64) {
	data = tb.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	const n, k = 100_000, 120
	header := "id"
	for j := range k {
		header += fmt.Sprintf(",breed_%03d", j)
	}
	truth := make([]int, n)
	for i := range truth {
		truth[i] = rng.IntN(k)
	}
	id := func(buf []byte, i int) []byte { return fmt.Appendf(buf, "%032x", uint64(i)*0x9e3779b97f4a7c15) }
	writeCSV(tb, filepath.Join(data, "dog-breed-identification/prepared/private/test.csv"), header, n, func(buf []byte, i int) []byte {
		buf = id(buf, i)
		for j := range k {
			if j == truth[i] {
				buf = append(buf, ",1"...)
			} else {
				buf = append(buf, ",0"...)
			}
		}
		return buf
	})
	p := make([]float64, k)
	sub = filepath.Join(tb.TempDir(), "submission.csv")
	size = writeCSV(tb, sub, header, n, func(buf []byte, i int) []byte {
		var s float64
		for j := range p {
			p[j] = rng.Float64()
			if j == truth[i] {
				p[j] += 3
			}
			s += p[j]
		}
		buf = id(buf, i)
		rest := 1_000_000
		for j := range p {
			v := int(p[j] / s * 1e6)
			if j == k-1 {
				v = rest
			}
			rest -= v
			buf = fmt.Appendf(buf, ",0.%06d", v)
		}
		return buf
	})
	return data, sub, size
}

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
		cmd := exec.Command(mlbenchBin, "grade", "--competition", id, "--submission", sub, "--data-dir", data)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir()}
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
		data, sub, size := cliAUC(b)
		benchCLIGrade(b, "histopathologic-cancer-detection", data, sub, size, true)
	})
	b.Run("log-loss-100kx120", func(b *testing.B) {
		data, sub, size := cliLogLoss(b)
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
		writeCSV(b, filepath.Join(data, "aerial-cactus-identification/prepared/private/test.csv"), "id,has_cactus", answersRows, func(buf []byte, i int) []byte {
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
