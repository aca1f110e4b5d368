// Package gradertest writes the large grading tasks that the grader's and
// the CLI's benchmarks share, so both time the same files.
package gradertest

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

// WriteCSV writes a header and n rows built by row, and returns the
// file's size.
func WriteCSV(tb testing.TB, path, header string, n int, row func(buf []byte, i int) []byte) int64 {
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
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// answersPath is where a data dir keeps the answers of competition id.
func answersPath(tb testing.TB, dataDir, id string) string {
	c, err := grader.Lookup(id)
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(dataDir, filepath.FromSlash(c.Answers))
}

// hexID is row i's id: width hex digits, scattered so that sorted ids are
// not in row order.
func hexID(buf []byte, width, i int) []byte {
	return fmt.Appendf(buf, "%0*x", width, uint64(i)*0x9e3779b97f4a7c15)
}

// AUCTask writes an n-row histopathologic-cancer-detection task
// (40-character ids, probabilities to 9 decimals: 53 MB at 1,000,000
// rows) and returns its data dir, the submission and its size; shuffled
// lists the submission's rows in another order than the answers'.
func AUCTask(tb testing.TB, n int, shuffled bool) (dataDir, sub string, size int64) {
	dataDir = tb.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	labels := make([]bool, n)
	for i := range labels {
		labels[i] = rng.IntN(2) == 1
	}
	WriteCSV(tb, answersPath(tb, dataDir, "histopathologic-cancer-detection"), "id,label", n, func(buf []byte, i int) []byte {
		if labels[i] {
			return append(hexID(buf, 40, i), ",1"...)
		}
		return append(hexID(buf, 40, i), ",0"...)
	})
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	if shuffled {
		rng.Shuffle(n, func(a, b int) { order[a], order[b] = order[b], order[a] })
	}
	sub = filepath.Join(tb.TempDir(), "submission.csv")
	size = WriteCSV(tb, sub, "id,label", n, func(buf []byte, k int) []byte {
		i := order[k]
		p := 0.6 * rng.Float64()
		if labels[i] {
			p += 0.4
		}
		return strconv.AppendFloat(append(hexID(buf, 40, i), ','), p, 'f', 9, 64)
	})
	return dataDir, sub, size
}

// LogLossTask writes an n-row x k-class dog-breed-identification task:
// one-hot answers and probabilities to 6 decimals that sum to exactly 1
// (111 MB at 100,000 x 120).
func LogLossTask(tb testing.TB, n, k int) (dataDir, sub string, size int64) {
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
	WriteCSV(tb, answersPath(tb, dataDir, "dog-breed-identification"), header, n, func(buf []byte, i int) []byte {
		buf = hexID(buf, 32, i)
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
	size = WriteCSV(tb, sub, header, n, func(buf []byte, i int) []byte {
		var s float64
		for j := range p {
			p[j] = rng.Float64()
			if j == truth[i] {
				p[j] += 3
			}
			s += p[j]
		}
		buf = hexID(buf, 32, i)
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
	return dataDir, sub, size
}
