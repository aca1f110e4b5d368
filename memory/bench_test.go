package memory_test

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/memory"
)

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

// cleanupBench removes the benchmark corpus; TestMain calls it.
func cleanupBench() {
	if benchDir != "" {
		os.RemoveAll(filepath.Dir(benchDir))
	}
}

// benchVocab is a synthetic vocabulary; words are drawn Zipf-distributed,
// like words in competition descriptions.
func benchVocab() []string {
	syll := []string{"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "po", "qu", "bi"}
	var v []string
	for _, a := range syll {
		for _, b := range syll {
			for _, c := range syll {
				v = append(v, a+b+c)
			}
		}
	}
	return v // 1,728 words
}

var (
	benchMetrics  = []string{"rmse", "mae", "accuracy", "roc_auc", "log_loss", "f1", "map_at_k", "quadratic_weighted_kappa", "dice", "iou", "spearman", "rmsle"}
	benchModality = []string{"tabular", "image", "text", "audio", "time_series"}
	benchColumns  = []string{"numeric", "categorical", "text", "image_path", "datetime", "boolean"}
)

func benchWords(rng *rand.Rand, z *rand.Zipf, vocab []string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = vocab[z.Uint64()]
	}
	return out
}

func benchEntry(rng *rand.Rand, z *rand.Zipf, vocab []string, i int) memory.Entry {
	cols := []string{benchColumns[rng.Intn(len(benchColumns))], benchColumns[rng.Intn(len(benchColumns))]}
	return memory.Entry{
		TaskID:        fmt.Sprintf("task-%04d", i%2000),
		DataModality:  benchModality[rng.Intn(len(benchModality))],
		Metric:        benchMetrics[rng.Intn(len(benchMetrics))],
		LowerIsBetter: rng.Intn(2) == 0,
		Keywords:      benchWords(rng, z, vocab, 20),
		ColumnTypes:   cols,
		BestDesign:    strings.Join(benchWords(rng, z, vocab, 30), " "),
		BestMetric:    metric(rng.Float64()),
		Medal:         []string{"gold", "silver", "bronze", "none"}[rng.Intn(4)],
		WhatFailed:    []string{strings.Join(benchWords(rng, z, vocab, 8), " ")},
		ModelFamilies: []string{"lightgbm", "xgboost"},
		RunID:         fmt.Sprintf("run-%d", i%50),
		CreatedAt:     t0.Add(time.Duration(i) * time.Minute),
	}
}

// benchStore writes 10,000 entries once per test binary run.
func benchStore(b *testing.B) string {
	benchOnce.Do(func() {
		root, err := os.MkdirTemp("", "mlbench-wisdom-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchDir = filepath.Join(root, "wisdom")
		const n, workers = 10000, 8
		var wg sync.WaitGroup
		errs := make([]error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				rng := rand.New(rand.NewSource(int64(w)))
				vocab := benchVocab()
				z := rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))
				s := memory.Open(benchDir)
				for i := w; i < n; i += workers {
					if _, err := s.Put(benchEntry(rng, z, vocab, i)); err != nil {
						errs[w] = err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				benchErr = err
			}
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchDir
}

func benchQueries() []memory.Query {
	rng := rand.New(rand.NewSource(99))
	vocab := benchVocab()
	z := rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))
	qs := make([]memory.Query, 64)
	for i := range qs {
		qs[i] = memory.Query{
			TaskID:       fmt.Sprintf("task-%04d", i),
			Description:  strings.Join(benchWords(rng, z, vocab, 80), " "),
			Metric:       benchMetrics[rng.Intn(len(benchMetrics))],
			ColumnTypes:  []string{benchColumns[rng.Intn(len(benchColumns))], benchColumns[rng.Intn(len(benchColumns))]},
			DataModality: benchModality[rng.Intn(len(benchModality))],
			K:            3,
		}
	}
	return qs
}

// BenchmarkSearch10k measures retrieval over 10,000 entries:
//   - warm: the store's index is cached and the directory is unchanged;
//   - relist: the directory changed recently, so every search lists it
//     again (10,000 names), but nothing new needs parsing;
//   - cold: a new Store each time: list, read and parse 10,000 files and
//     build the index.
func BenchmarkSearch10k(b *testing.B) {
	dir := benchStore(b)
	qs := benchQueries()
	st, err := os.Stat(dir)
	if err != nil {
		b.Fatal(err)
	}
	search := func(b *testing.B, s *memory.Store, i int) {
		hits, err := s.Search(qs[i%len(qs)])
		if err != nil {
			b.Fatal(err)
		}
		if len(hits) != 3 {
			b.Fatalf("%d hits", len(hits))
		}
	}
	// refreshed searches a store refreshed once before the timer starts.
	refreshed := func(b *testing.B, s *memory.Store) {
		if _, err := s.Refresh(); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			search(b, s, i)
		}
	}
	b.Run("warm", func(b *testing.B) { refreshed(b, memory.Open(dir)) })
	b.Run("relist", func(b *testing.B) {
		s := memory.Open(dir)
		s.Now = func() time.Time { return st.ModTime() } // the listing never looks old enough to trust
		refreshed(b, s)
	})
	b.Run("cold", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			search(b, memory.Open(dir), i)
		}
	})
}

// BenchmarkColdPack10k measures a cold start (a new Store, as every worker
// process makes) over 10,000 entries with the packed snapshot that
// `mlbench wisdom compact` writes:
//   - packed: the directory is unchanged since the pack was written, so
//     the load reads one file and lists nothing (goal: 50 ms);
//   - packed+new: entries were added since (a live run), so the load also
//     lists the directory and parses the new files.
func BenchmarkColdPack10k(b *testing.B) {
	src := benchStore(b)
	dir := filepath.Join(b.TempDir(), "wisdom")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	names, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range names {
		if err := os.Link(n, filepath.Join(dir, filepath.Base(n))); err != nil {
			b.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	if err := os.MkdirAll(filepath.Join(dir, ".pack"), 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.Chtimes(dir, old, old); err != nil {
		b.Fatal(err)
	}
	res, err := memory.Open(dir).Compact()
	if err != nil {
		b.Fatal(err)
	}
	if res.Entries != len(names) {
		b.Fatalf("packed %d entries, want %d", res.Entries, len(names))
	}
	qs := benchQueries()
	cold := func(b *testing.B, want int) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			s := memory.Open(dir)
			hits, err := s.Search(qs[i%len(qs)])
			if err != nil || len(hits) != 3 {
				b.Fatalf("%d hits, %v", len(hits), err)
			}
			if n := s.Report().Entries; n != want {
				b.Fatalf("%d entries, want %d", n, want)
			}
		}
	}
	b.Run("packed", func(b *testing.B) { cold(b, len(names)) })
	rng := rand.New(rand.NewSource(7))
	vocab := benchVocab()
	z := rand.NewZipf(rng, 1.1, 2, uint64(len(vocab)-1))
	for i := 0; i < 20; i++ {
		if _, err := memory.Open(dir).Put(benchEntry(rng, z, vocab, 20000+i)); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("packed+new", func(b *testing.B) { cold(b, len(names)+20) })
}
