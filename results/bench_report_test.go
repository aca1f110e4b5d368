package results_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
	"github.com/sourcegraph/conc/pool"
)

// The synthetic set of the report benchmarks: 75 tasks x 3 seeds x 20 sweep
// points = 4,500 items with 2,000,000 nodes in all, generated once per test
// binary run in a temp dir that TestMain removes.
const (
	benchTasks  = 75
	benchSeeds  = 3
	benchPoints = 20
	benchItems  = benchTasks * benchSeeds * benchPoints
	benchNodes  = 2_000_000
)

var (
	benchOnce sync.Once
	benchDir  string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" && os.Getenv("MLBENCH_BENCH_RUN") == "" {
		_ = os.RemoveAll(filepath.Dir(benchDir))
	}
	os.Exit(code)
}

// bigRun returns the synthetic 2M-node run, generating it on first use.
func bigRun(tb testing.TB) string {
	tb.Helper()
	benchOnce.Do(func() {
		// MLBENCH_BENCH_RUN names a set kept from an earlier run (it is
		// generated there when missing and then not removed).
		if keep := os.Getenv("MLBENCH_BENCH_RUN"); keep != "" {
			if _, err := os.Stat(filepath.Join(keep, results.ManifestFile)); err == nil {
				benchDir = keep
				return
			}
			_, benchErr = generateBigRun(keep)
			benchDir = keep
			return
		}
		root, err := os.MkdirTemp("", "mlbench-bench-")
		if err != nil {
			benchErr = err
			return
		}
		start := time.Now()
		benchDir, benchErr = generateBigRun(filepath.Join(root, "big"))
		tb.Logf("generated %d items, %d nodes in %s", benchItems, benchNodes, time.Since(start).Round(time.Millisecond))
	})
	if benchErr != nil {
		tb.Fatal(benchErr)
	}
	return benchDir
}

func generateBigRun(dir string) (string, error) {
	splits := []string{"low", "medium", "high"}
	grades := []string{"gold", "silver", "bronze", "none", "none", "none", "invalid", "nosub"}
	var items []fixtureItem
	for p := range benchPoints {
		for seed := range benchSeeds {
			for task := range benchTasks {
				i := len(items)
				n := benchNodes / benchItems // 444
				if i < benchNodes%benchItems {
					n++
				}
				items = append(items, fixtureItem{
					task: fmt.Sprintf("task-%02d", task), split: splits[task%3], seed: seed,
					params: map[string]string{"search.uct_c": fmt.Sprintf("%.2f", 0.25+0.1*float64(p))},
					state:  results.StateDone, grade: grades[(task+seed+p)%len(grades)], nodes: n, buggy: 3,
					nodeEvery: 3 * time.Minute, rising: true,
					nodeMedals: []string{"none", "none", "bronze", "none", "silver", "gold"},
				})
			}
		}
	}
	m := results.Manifest{RunID: "bench"}
	for i, it := range items {
		m.Items = append(m.Items, results.ManifestItem{Index: i, TaskID: it.task, Split: it.split, Seed: it.seed, Params: it.params})
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := results.WriteJSON(filepath.Join(dir, results.ManifestFile), m); err != nil {
		return "", err
	}
	plan := strings.Repeat("Train a LightGBM model on engineered features with 5-fold CV. ", 4)
	p := pool.New().WithErrors().WithMaxGoroutines(runtime.GOMAXPROCS(0))
	for i, it := range items {
		it.plan = plan
		p.Go(func() error { return writeFixtureItem(dir, "bench", i, it, m.Items[i]) })
	}
	return dir, p.Wait()
}

// reportOnce is what `mlbench report RUN` does: load (recomputing from
// the items), build the medal tables, render.
func reportOnce(tb testing.TB, dir string, tasks bool) {
	ctx := context.Background()
	run, err := results.LoadRun(ctx, dir, results.CollectOptions{Recompute: true})
	if err != nil {
		tb.Fatal(err)
	}
	rep, err := results.BuildReport([]*results.Run{run}, results.ReportOptions{Tasks: tasks, By: "search.uct_c"})
	if err != nil {
		tb.Fatal(err)
	}
	if len(run.Rows) != benchItems || len(run.Skipped) != 0 {
		tb.Fatalf("rows %d skipped %d", len(run.Rows), len(run.Skipped))
	}
	var nodes int64
	for _, r := range run.Rows {
		nodes += r.Nodes
	}
	if nodes != benchNodes {
		tb.Fatalf("nodes = %d, want %d", nodes, benchNodes)
	}
	if err := rep.Render(io.Discard, results.FormatTable); err != nil {
		tb.Fatal(err)
	}
}

const reportChildEnv = "MLBENCH_RESULTS_REPORT_CHILD"

// TestReportChild is the child side of BenchmarkReport2M's memory figure:
// it only runs when re-executed with reportChildEnv set.
func TestReportChild(t *testing.T) {
	dir := os.Getenv(reportChildEnv)
	if dir == "" {
		t.Skip("helper process for BenchmarkReport2M")
	}
	debug.SetGCPercent(results.BatchGCPercent) // as mlbench report does
	reportOnce(t, dir, true)
}

// BenchmarkReport2M measures `report` over 4,500 items and 2,000,000 nodes
// recomputed from the item directories (no results.parquet). Targets:
// at most 3 s and 1 GiB peak memory. The peak is the max RSS of a child
// process doing one report (peak-MiB); child-s is its wall time and
// child-cpu-s its user+system CPU time. Every item has two trace parts
// (a finished item normally has one after compaction): the conservative
// case. MLBENCH_BENCH_RUN=DIR keeps the generated set in DIR for reuse.
func BenchmarkReport2M(b *testing.B) {
	dir := bigRun(b)
	defer debug.SetGCPercent(debug.SetGCPercent(results.BatchGCPercent)) // as mlbench report does
	b.ResetTimer()
	for range b.N {
		reportOnce(b, dir, true)
	}
	b.StopTimer()

	start := time.Now()
	cmd := exec.Command(os.Args[0], "-test.run=^TestReportChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), reportChildEnv+"="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("child: %v\n%s", err, out)
	}
	b.ReportMetric(time.Since(start).Seconds(), "child-s")
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MiB") // Linux: KiB
		// CPU time does not depend on what else the machine runs.
		b.ReportMetric(time.Duration(ru.Utime.Nano()+ru.Stime.Nano()).Seconds(), "child-cpu-s")
	}
}

// BenchmarkAnytime2M measures the anytime analysis over the same set: every
// node of every item replayed.
func BenchmarkAnytime2M(b *testing.B) {
	dir := bigRun(b)
	ctx := context.Background()
	run, err := results.LoadRun(ctx, dir, results.CollectOptions{Recompute: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		rows, err := results.BuildAnytime(ctx, []*results.Run{run}, results.ReportOptions{}, nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(rows) == 0 {
			b.Fatal("no anytime rows")
		}
	}
}
