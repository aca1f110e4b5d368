package grader_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

// writeLines writes a CSV with a header and n rows built by row.
func writeLines(tb testing.TB, path, header string, n int, row func(buf []byte, i int) []byte) int64 {
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
		buf = row(buf[:0], i)
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	return st.Size()
}

// aucFiles writes a 1,000,000-row binary ROC-AUC task (answers and a
// submission with probabilities written to 9 decimals) for
// histopathologic-cancer-detection; shuffled puts the submission rows in a
// different order from the answers.
func aucFiles(tb testing.TB, n int, shuffled bool) (dataDir, sub string, subSize int64) {
	c, _ := grader.Lookup("histopathologic-cancer-detection")
	dataDir = tb.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	labels := make([]bool, n)
	for i := range labels {
		labels[i] = rng.IntN(2) == 1
	}
	id := func(buf []byte, i int) []byte { return fmt.Appendf(buf, "%040x", uint64(i)*0x9e3779b97f4a7c15) }
	writeLines(tb, filepath.Join(dataDir, filepath.FromSlash(c.Answers)), "id,label", n, func(buf []byte, i int) []byte {
		buf = id(buf, i)
		if labels[i] {
			return append(buf, ",1"...)
		}
		return append(buf, ",0"...)
	})
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if shuffled {
		rng.Shuffle(n, func(a, b int) { order[a], order[b] = order[b], order[a] })
	}
	sub = filepath.Join(tb.TempDir(), "submission.csv")
	subSize = writeLines(tb, sub, "id,label", n, func(buf []byte, k int) []byte {
		i := order[k]
		p := 0.6*rng.Float64() + 0.4*b2f(labels[i])
		buf = id(buf, i)
		buf = append(buf, ',')
		return strconv.AppendFloat(buf, p, 'f', 9, 64)
	})
	return dataDir, sub, subSize
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// logLossFiles writes a 100,000-row x 120-class task for
// dog-breed-identification: one-hot answers and a submission of
// probabilities written to 10 decimals.
func logLossFiles(tb testing.TB, n, k int) (dataDir, sub string, subSize int64) {
	c, _ := grader.Lookup("dog-breed-identification")
	dataDir = tb.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	header := "id"
	for j := range k {
		header += fmt.Sprintf(",breed_%03d", j)
	}
	truth := make([]int, n)
	for i := range truth {
		truth[i] = rng.IntN(k)
	}
	id := func(buf []byte, i int) []byte { return fmt.Appendf(buf, "%032x", uint64(i)*0x9e3779b97f4a7c15) }
	writeLines(tb, filepath.Join(dataDir, filepath.FromSlash(c.Answers)), header, n, func(buf []byte, i int) []byte {
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
	subSize = writeLines(tb, sub, header, n, func(buf []byte, i int) []byte {
		var s float64
		for j := range p {
			p[j] = rng.Float64()
			if j == truth[i] {
				p[j] += 3
			}
			s += p[j]
		}
		buf = id(buf, i)
		for j := range p {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, p[j]/s, 'f', 10, 64)
		}
		return buf
	})
	return dataDir, sub, subSize
}

// benchGrade grades the same files b.N times and reports throughput over
// the submission and allocation per submission byte.
func benchGrade(b *testing.B, id, dataDir, sub string, subSize int64) {
	b.Helper()
	req := grader.Request{CompetitionID: id, SubmissionPath: sub, DataDir: dataDir}
	rep, err := grader.Grade(context.Background(), req)
	if err != nil || !rep.ValidSubmission {
		b.Fatalf("grade: %v %s", err, rep.Reason)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.SetBytes(subSize)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := grader.Grade(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(subSize), "alloc-B/sub-B")
	b.ReportMetric(float64(subSize)/1e6, "sub-MB")
}

// BenchmarkGradeROCAUC1M grades a 1,000,000-row binary ROC-AUC submission
// listed in the answers' order (the common case) and shuffled.
func BenchmarkGradeROCAUC1M(b *testing.B) {
	for _, shuffled := range []bool{false, true} {
		b.Run(fmt.Sprintf("shuffled=%v", shuffled), func(b *testing.B) {
			dir, sub, size := aucFiles(b, 1_000_000, shuffled)
			benchGrade(b, "histopathologic-cancer-detection", dir, sub, size)
		})
	}
}

// BenchmarkGradeLogLoss100kx120 grades a 100,000-row x 120-class
// multi-class log-loss submission.
func BenchmarkGradeLogLoss100kx120(b *testing.B) {
	dir, sub, size := logLossFiles(b, 100_000, 120)
	benchGrade(b, "dog-breed-identification", dir, sub, size)
}
