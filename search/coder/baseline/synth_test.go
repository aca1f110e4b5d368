package baseline_test

import (
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// synthTask is a small synthetic tabular task written into a directory.
type synthTask struct {
	kind string // binary, multiclass, regression, labels
	n    int    // train rows; test has n/4
}

// write creates train.csv, test.csv and sample_submission.csv under dir.
// Features: four numbers (one with gaps), a categorical with rare levels, a
// date and a short free-text column; the target depends on them.
func (s synthTask) write(tb testing.TB, dir string) {
	tb.Helper()
	r := rand.New(rand.NewPCG(7, uint64(len(s.kind))))
	header := []string{"row_id", "x1", "x2", "x3", "x4", "color", "when", "note"}
	var target []string
	switch s.kind {
	case "binary":
		target = []string{"target"}
	case "multiclass":
		target = []string{"species"}
	case "regression":
		target = []string{"price"}
	case "labels":
		target = []string{"grade"}
	default:
		tb.Fatalf("unknown synthetic kind %q", s.kind)
	}
	colors := []string{"red", "green", "blue", "black", "white"}
	rareColors := []string{"teal", "plum", "ochre", "navy"}
	row := func(id int) ([]string, string) {
		x := []float64{r.NormFloat64(), r.NormFloat64(), r.Float64() * 10, r.NormFloat64()}
		ci := r.IntN(len(colors))
		color := colors[ci]
		if r.Float64() < 0.03 {
			color = rareColors[r.IntN(len(rareColors))]
		}
		day := 1 + r.IntN(28)
		rec := []string{strconv.Itoa(100000 + id), f(x[0]), f(x[1]), f(x[2]), f(x[3]), color,
			fmt.Sprintf("2021-%02d-%02d", 1+r.IntN(12), day), fmt.Sprintf("item %d of lot %d", r.IntN(50), r.IntN(9))}
		if r.Float64() < 0.1 {
			rec[2] = "" // gaps in x2
		}
		if r.Float64() < 0.02 {
			rec[5] = ""
		}
		z := 1.5*x[0] - x[1] + 0.3*x[2] - 1.5 + 0.8*float64(ci%2) + 0.4*r.NormFloat64()
		var y string
		switch s.kind {
		case "binary":
			y = strconv.Itoa(b2i(1/(1+math.Exp(-z)) > r.Float64()))
		case "multiclass":
			y = strconv.Itoa(1 + int(min(2, max(0, math.Floor(z/2+1.2)))))
		case "regression":
			y = f(math.Exp(1 + 0.6*z/2))
		case "labels":
			y = []string{"low", "mid", "high"}[int(min(2, max(0, math.Floor(z/2+1.2))))]
		}
		return rec, y
	}
	train := [][]string{append(append([]string{}, header...), target...)}
	for i := range s.n {
		rec, y := row(i)
		train = append(train, append(rec, y))
	}
	test := [][]string{header}
	var sampleHdr []string
	switch s.kind {
	case "multiclass":
		sampleHdr = []string{"row_id", "Class_1", "Class_2", "Class_3"}
	default:
		sampleHdr = append([]string{"row_id"}, target...)
	}
	sample := [][]string{sampleHdr}
	for i := range s.n / 4 {
		rec, _ := row(s.n + i)
		test = append(test, rec)
		switch s.kind {
		case "binary":
			sample = append(sample, []string{rec[0], "0.5"})
		case "multiclass":
			sample = append(sample, []string{rec[0], "0.333333", "0.333333", "0.333334"})
		case "regression":
			sample = append(sample, []string{rec[0], "1.0"})
		case "labels":
			sample = append(sample, []string{rec[0], "low"})
		}
	}
	// The sample lists the ids in another order than test.
	r.Shuffle(len(sample)-1, func(i, j int) { sample[i+1], sample[j+1] = sample[j+1], sample[i+1] })
	writeCSV(tb, filepath.Join(dir, "train.csv"), train)
	writeCSV(tb, filepath.Join(dir, "test.csv"), test)
	writeCSV(tb, filepath.Join(dir, "sample_submission.csv"), sample)
}

func f(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func writeCSV(tb testing.TB, path string, rows [][]string) {
	tb.Helper()
	fh, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := csv.NewWriter(fh)
	if err := w.WriteAll(rows); err != nil {
		tb.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		tb.Fatal(err)
	}
}

// layoutTask writes a task of an unusual layout: "multilabel" (two 0/1
// targets, probabilities), "multiregression" (two non-negative targets)
// or "noid" (no id column, yes/no labels).
func layoutTask(tb testing.TB, dir, layout string, n int) {
	tb.Helper()
	r := rand.New(rand.NewPCG(11, uint64(len(layout))))
	var train, test, sample [][]string
	for i := range n + n/4 {
		x1, x2, x3 := r.NormFloat64(), r.NormFloat64(), r.Float64()
		cat := []string{"a", "b", "c"}[r.IntN(3)]
		feats := []string{f(x1), f(x2), f(x3), cat}
		id := strconv.Itoa(i)
		isTest := i >= n
		switch layout {
		case "multilabel":
			y1 := b2i(x1+0.3*r.NormFloat64() > 0)
			y2 := b2i(x2-x3+0.3*r.NormFloat64() > 0)
			if !isTest {
				train = append(train, append(append([]string{id}, feats...), strconv.Itoa(y1), strconv.Itoa(y2)))
			} else {
				test = append(test, append([]string{id}, feats...))
				sample = append(sample, []string{id, "0.5", "0.5"})
			}
		case "multiregression":
			u := math.Exp(x1 + 0.1*r.NormFloat64())
			v := math.Abs(3*x3 + x2)
			if !isTest {
				train = append(train, append(append([]string{id}, feats...), f(u), f(v)))
			} else {
				test = append(test, append([]string{id}, feats...))
				sample = append(sample, []string{id, "0", "0"})
			}
		case "noid":
			y := []string{"no", "yes"}[b2i(x1+x2+0.5*r.NormFloat64() > 0.5)]
			if !isTest {
				train = append(train, append(feats, y))
			} else {
				test = append(test, feats)
				sample = append(sample, []string{"no"})
			}
		default:
			tb.Fatalf("unknown layout %q", layout)
		}
	}
	fh := []string{"x1", "x2", "x3", "cat"}
	switch layout {
	case "multilabel":
		train = append([][]string{{"id", "x1", "x2", "x3", "cat", "toxic", "obscene"}}, train...)
		test = append([][]string{append([]string{"id"}, fh...)}, test...)
		sample = append([][]string{{"id", "toxic", "obscene"}}, sample...)
	case "multiregression":
		train = append([][]string{{"id", "x1", "x2", "x3", "cat", "u", "v"}}, train...)
		test = append([][]string{append([]string{"id"}, fh...)}, test...)
		sample = append([][]string{{"id", "u", "v"}}, sample...)
	case "noid":
		train = append([][]string{append(fh, "label")}, train...)
		test = append([][]string{fh}, test...)
		sample = append([][]string{{"label"}}, sample...)
	}
	writeCSV(tb, filepath.Join(dir, "train.csv"), train)
	writeCSV(tb, filepath.Join(dir, "test.csv"), test)
	writeCSV(tb, filepath.Join(dir, "sample_submission.csv"), sample)
}
