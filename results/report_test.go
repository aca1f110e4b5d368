package results_test

import (
	"bytes"
	"context"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
)

var update = flag.Bool("update", false, "rewrite golden files")

func loadRuns(tb testing.TB, opts results.CollectOptions, dirs ...string) []*results.Run {
	tb.Helper()
	var runs []*results.Run
	for _, d := range dirs {
		run, err := results.LoadRun(context.Background(), d, opts)
		if err != nil {
			tb.Fatal(err)
		}
		runs = append(runs, run)
	}
	return runs
}

// TestMedalArithmetic checks mean ± SEM over seeds against figures worked
// out by hand, the MLE-Bench way.
func TestMedalArithmetic(t *testing.T) {
	done := results.StateDone
	items := []fixtureItem{
		{task: "a", split: "low", seed: 0, state: done, grade: "gold", nodes: 2},
		{task: "a", split: "low", seed: 1, state: done, grade: "none", nodes: 2},
		{task: "b", split: "low", seed: 0, state: done, grade: "bronze", nodes: 2},
		{task: "b", split: "low", seed: 1, state: done, grade: "bronze", nodes: 2},
		{task: "c", split: "high", seed: 0, state: done, grade: "silver", nodes: 2},
		{task: "c", split: "high", seed: 1, state: results.StateRunning, nodes: 1},
	}
	dir := writeFixtureRun(t, t.TempDir(), "r", items)
	runs := loadRuns(t, results.CollectOptions{}, dir)

	type want struct {
		seeds          int
		anyMean, anySE float64
		goldMean       float64
		padded         int
		dropped        int
	}
	tests := []struct {
		name string
		pad  bool
		want map[string]want
	}{
		{
			name: "complete seeds only",
			want: map[string]want{
				// low: seed0 a gold, b bronze -> 100%; seed1 a none, b bronze -> 50%.
				// mean 75, sd(ddof=1) 35.355, SEM 25.
				"low": {seeds: 2, anyMean: 75, anySE: 25, goldMean: 25},
				// high: c has one finished run -> one seed, SEM 0.
				"high": {seeds: 1, anyMean: 100, anySE: 0, goldMean: 0},
				// all: c limits to one seed: a gold, b bronze, c silver -> 100%;
				// the second seeds of a and b are dropped.
				"all": {seeds: 1, anyMean: 100, anySE: 0, goldMean: 100.0 / 3, dropped: 2},
			},
		},
		{
			name: "pad missing",
			pad:  true,
			want: map[string]want{
				"low": {seeds: 2, anyMean: 75, anySE: 25, goldMean: 25},
				// high: seed1 of c is missing -> 0%: mean 50, SEM 50.
				"high": {seeds: 2, anyMean: 50, anySE: 50, padded: 1},
				// all: seed0 3/3, seed1 1/3 (b bronze) -> 100, 33.3: mean 66.7, SEM 33.3.
				"all": {seeds: 2, anyMean: 200.0 / 3, anySE: 100.0 / 3, goldMean: 100.0 / 6, padded: 1},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := results.BuildReport(runs, results.ReportOptions{PadMissing: tc.pad})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Medals) != 3 {
				t.Fatalf("rows = %d, want 3 (low, high, all)", len(rep.Medals))
			}
			for _, m := range rep.Medals {
				w, ok := tc.want[m.Split]
				if !ok {
					t.Fatalf("unexpected split %q", m.Split)
				}
				if m.Seeds != w.seeds || !near(m.AnyMedal.Mean, w.anyMean) || !near(m.AnyMedal.SEM, w.anySE) ||
					!near(m.Gold.Mean, w.goldMean) || m.Padded != w.padded || m.Dropped != w.dropped {
					t.Errorf("%s: seeds %d any %.4f ± %.4f gold %.4f padded %d dropped %d; want %+v",
						m.Split, m.Seeds, m.AnyMedal.Mean, m.AnyMedal.SEM, m.Gold.Mean, m.Padded, m.Dropped, w)
				}
			}
			if ri := rep.Runs[0]; ri.Items != 6 || ri.Done != 5 || ri.Running != 1 || ri.Missing() != 1 {
				t.Errorf("run info %+v", ri)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// goldenRuns builds the runs the golden tests print.
func goldenRuns(tb testing.TB) (complete, partial, sweep string) {
	tb.Helper()
	root := tb.TempDir()
	done, failed := results.StateDone, results.StateFailed
	grades := []string{"gold", "silver", "bronze", "none", "invalid", "nosub"}
	var items []fixtureItem
	tasks := []struct{ id, split string }{{"aerial-cactus", "low"}, {"spooky-author", "low"}, {"tweet-sentiment", "medium"}, {"smartphone-decimeter", "high"}}
	k := 0
	for seed := range 3 {
		for _, tk := range tasks {
			items = append(items, fixtureItem{task: tk.id, split: tk.split, seed: seed, state: done,
				grade: grades[k%len(grades)], nodes: 4 + k%5, buggy: 3, nodeEvery: 20 * time.Minute})
			k++
		}
	}
	items[5].state = failed
	complete = writeFixtureRun(tb, filepath.Join(root, "complete"), "baseline-2026-03-01", items)

	part := append([]fixtureItem(nil), items...)
	part[9] = fixtureItem{task: part[9].task, split: part[9].split, seed: part[9].seed, state: results.StateRunning, nodes: 2}
	part[10] = fixtureItem{task: part[10].task, split: part[10].split, seed: part[10].seed, state: results.StatePending}
	part[11] = fixtureItem{task: part[11].task, split: part[11].split, seed: part[11].seed, state: results.StatePending}
	partial = writeFixtureRun(tb, filepath.Join(root, "partial"), "in-progress", part)

	var sw []fixtureItem
	for i, c := range []string{"0.5", "1.414"} {
		for seed := range 2 {
			for j, tk := range tasks {
				g := grades[(i+seed+j)%4]
				if c == "1.414" && j == 0 {
					g = "gold"
				}
				sw = append(sw, fixtureItem{task: tk.id, split: tk.split, seed: seed, params: map[string]string{"search.uct_c": c},
					state: done, grade: g, nodes: 3 + j, buggy: 2})
			}
		}
	}
	sweep = writeFixtureRun(tb, filepath.Join(root, "sweep"), "uct-sweep", sw)
	return complete, partial, sweep
}

// TestReportGolden pins what users read, in every format.
func TestReportGolden(t *testing.T) {
	complete, partial, sweep := goldenRuns(t)
	tests := []struct {
		name    string
		dirs    []string
		opts    results.ReportOptions
		anytime []time.Duration
	}{
		{name: "complete", dirs: []string{complete}},
		{name: "partial", dirs: []string{partial}},
		{name: "partial-padded", dirs: []string{partial}, opts: results.ReportOptions{PadMissing: true}},
		{name: "side-by-side-tasks", dirs: []string{complete, partial}, opts: results.ReportOptions{Tasks: true}},
		{name: "by-uct", dirs: []string{sweep}, opts: results.ReportOptions{By: "search.uct_c"}},
		{name: "anytime", dirs: []string{anytimeRun(t)}, anytime: []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			runs := loadRuns(t, results.CollectOptions{Now: func() time.Time { return fixtureStart.Add(90 * time.Minute) }}, tc.dirs...)
			rep, err := results.BuildReport(runs, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.anytime != nil {
				if rep.Anytime, err = results.BuildAnytime(context.Background(), runs, tc.opts, tc.anytime, nil); err != nil {
					t.Fatal(err)
				}
			}
			for _, format := range results.Formats {
				var buf bytes.Buffer
				if err := rep.Render(&buf, format); err != nil {
					t.Fatal(err)
				}
				ext := map[string]string{"table": "txt", "markdown": "md", "csv": "csv", "json": "json"}[format]
				checkGolden(t, filepath.Join("testdata", "TestReportGolden", tc.name+"."+ext), buf.Bytes())
			}
		})
	}
}

func checkGolden(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs (go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	rep, err := results.BuildReport(nil, results.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = rep.Render(&bytes.Buffer{}, "xml")
	if err == nil || !strings.Contains(err.Error(), "table, markdown, csv, json") {
		t.Fatalf("err = %v", err)
	}
}

// anytimeRun is a run whose nodes carry test results: metrics rise node by
// node (one per hour) and later nodes medal, so the chosen node improves.
func anytimeRun(tb testing.TB) string {
	done := results.StateDone
	items := []fixtureItem{
		{task: "a", split: "low", seed: 0, state: done, grade: "gold", nodes: 4, rising: true, nodeEvery: time.Hour,
			nodeMedals: []string{"none", "none", "bronze", "gold"}},
		{task: "a", split: "low", seed: 1, state: done, grade: "silver", nodes: 4, rising: true, nodeEvery: time.Hour,
			nodeMedals: []string{"none", "silver", "silver", "silver"}},
		// Buggy nodes (every 2nd) are never chosen: node 1 (gold) is skipped.
		{task: "b", split: "high", seed: 0, state: done, grade: "none", nodes: 4, rising: true, nodeEvery: time.Hour, buggy: 2,
			nodeMedals: []string{"none", "gold", "bronze", "gold"}},
		{task: "b", split: "high", seed: 1, state: done, grade: "none", nodes: 4, rising: true, nodeEvery: time.Hour,
			nodeMedals: []string{"none", "", "none", "none"}},
	}
	return writeFixtureRun(tb, filepath.Join(tb.TempDir(), "anytime"), "anytime", items)
}

// TestAnytimeArithmetic checks the anytime curve against hand-worked values.
func TestAnytimeArithmetic(t *testing.T) {
	runs := loadRuns(t, results.CollectOptions{}, anytimeRun(t))
	at := []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 4 * time.Hour}
	rows, err := results.BuildAnytime(context.Background(), runs, results.ReportOptions{}, at, nil)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		split string
		hours float64
	}
	want := map[key]struct {
		mean, sem        float64
		chosen, ungraded int
	}{
		{"low", 0.5}: {0, 0, 0, 0},
		{"low", 1}:   {0, 0, 2, 0},
		{"low", 2}:   {50, 50, 2, 0}, // seed1 silver at 2h
		{"low", 3}:   {100, 0, 2, 0}, // seed0 bronze at 3h
		{"high", 1}:  {0, 0, 2, 0},   // node 0 of each
		{"high", 2}:  {0, 0, 2, 1},   // seed0 node1 buggy; seed1 node1 ungraded
		{"high", 3}:  {50, 50, 2, 0}, // seed0 node2 bronze; seed1 node2 none
		{"high", 4}:  {50, 50, 2, 0}, // seed0 node3 buggy: still bronze
		{"all", 3}:   {75, 25, 4, 0}, // seed0: a bronze, b bronze; seed1: a silver, b none
		{"all", 0.5}: {0, 0, 0, 0},
	}
	seen := 0
	for _, r := range rows {
		w, ok := want[key{r.Split, r.Hours}]
		if !ok {
			continue
		}
		seen++
		if !near(r.AnyMedal.Mean, w.mean) || !near(r.AnyMedal.SEM, w.sem) || r.Chosen != w.chosen || r.Ungraded != w.ungraded {
			t.Errorf("%s at %gh: %.1f ± %.1f chosen %d ungraded %d; want %+v",
				r.Split, r.Hours, r.AnyMedal.Mean, r.AnyMedal.SEM, r.Chosen, r.Ungraded, w)
		}
	}
	if seen != len(want) {
		t.Fatalf("matched %d of %d expected rows in %+v", seen, len(want), rows)
	}
}

// TestLoadRunResultsFile: a final results.parquet is used, and gives the
// rows the item directories give (modality and fallback included); one
// older than an item's status (the item was resumed since) is not.
func TestLoadRunResultsFile(t *testing.T) {
	dir := writeFixtureRun(t, t.TempDir(), "r", []fixtureItem{
		{task: "a", split: "low", state: results.StateDone, grade: "gold", nodes: 2, modality: "image"},
		{task: "b", split: "low", state: results.StateFailed, nodes: 1, modality: "other", fallback: "audio is not modelled"},
	})
	ctx := context.Background()
	run, err := results.Collect(ctx, dir, results.CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := results.WriteResults(dir, run.Rows); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for i := range 2 {
		for _, name := range []string{results.StatusFile, results.GradeFile} {
			_ = os.Chtimes(filepath.Join(results.ItemDir(dir, i), name), old, old)
		}
	}
	got, err := results.LoadRun(ctx, dir, results.CollectOptions{})
	if err != nil || got.Source != results.ResultsFile || len(got.Rows) != 2 || !got.Rows[0].GoldMedal {
		t.Fatalf("final results file not used: %+v, %v", got, err)
	}
	if !reflect.DeepEqual(got.Rows, run.Rows) {
		t.Errorf("rows read from results.parquet:\n%+v\ncollected from the items:\n%+v", got.Rows, run.Rows)
	}
	// Item 1 is resumed: its status is rewritten after results.parquet.
	st := results.ItemStatus{State: results.StateRunning, Attempts: 2, StartedAt: fixtureStart}
	if err := results.WriteJSON(filepath.Join(results.ItemDir(dir, 1), results.StatusFile), st); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Minute)
	_ = os.Chtimes(filepath.Join(results.ItemDir(dir, 1), results.StatusFile), future, future)
	got, err = results.LoadRun(ctx, dir, results.CollectOptions{})
	if err != nil || got.Source != "items" || got.Rows[1].Status != results.StateRunning {
		t.Fatalf("stale results file used: source %s rows %+v, %v", got.Source, got.Rows, err)
	}
}

// TestReportNonFiniteScores: a grade.json whose score is Python's NaN or
// -Infinity (valid submissions, as the reference grades them) survives
// collect, the Parquet files and every report format, and stays apart from
// "no score".
func TestReportNonFiniteScores(t *testing.T) {
	dir := writeFixtureRun(t, t.TempDir(), "nonfinite", []fixtureItem{
		{task: "a", split: "low", seed: 0, state: "done", grade: "nan", nodes: 2},
		{task: "a", split: "low", seed: 1, state: "done", grade: "-inf", nodes: 2},
		{task: "a", split: "low", seed: 2, state: "done", grade: "invalid", nodes: 2},
	})
	raw, err := os.ReadFile(filepath.Join(results.ItemDir(dir, 0), results.GradeFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"score": NaN`) {
		t.Fatalf("grade.json does not hold Python's NaN:\n%s", raw)
	}
	runs := loadRuns(t, results.CollectOptions{}, dir)
	rep, err := results.BuildReport(runs, results.ReportOptions{Tasks: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"table": {"NaN -Inf -"},
		"json":  {`"NaN"`, `"-Infinity"`, "null"},
	}
	for _, format := range results.Formats {
		var buf bytes.Buffer
		if err := rep.Render(&buf, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		for _, w := range want[format] {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s report lacks %q:\n%s", format, w, buf.String())
			}
		}
	}
}
