package memory_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/memory"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// corpus is a small set of entries from different kinds of task.
func corpus() []memory.Entry {
	return []memory.Entry{
		{TaskID: "spaceship-titanic", DataModality: "tabular", Metric: "accuracy",
			Keywords:    memory.Keywords("Predict which passengers were transported to another dimension from their cabin, age, spending and home planet.", 12),
			ColumnTypes: []string{"numeric", "categorical", "boolean"}, BestDesign: "CatBoost on engineered cabin deck/side features.", BestMetric: metric(0.81), Medal: "bronze",
			WhatFailed: []string{"Neural network overfit", "KeyError: <str>"}, ModelFamilies: []string{"catboost"}, RunID: "r1", CreatedAt: t0},
		{TaskID: "house-prices", DataModality: "tabular", Metric: "rmse", LowerIsBetter: true,
			Keywords:    memory.Keywords("Predict the sale price of houses from 79 explanatory variables describing residential homes.", 12),
			ColumnTypes: []string{"numeric", "categorical"}, BestDesign: "LightGBM on log price.", BestMetric: metric(0.12), Medal: "silver",
			ModelFamilies: []string{"lightgbm"}, RunID: "r1", CreatedAt: t0.Add(time.Hour)},
		{TaskID: "jigsaw-toxic-comment", DataModality: "text", Metric: "roc_auc",
			Keywords:    memory.Keywords("Classify Wikipedia comments as toxic, obscene, threat or insult; comments are free text.", 12),
			ColumnTypes: []string{"text"}, BestDesign: "TF-IDF word and char n-grams with logistic regression per label.", BestMetric: metric(0.978), Medal: "gold",
			ModelFamilies: []string{"linear"}, RunID: "r2", CreatedAt: t0.Add(2 * time.Hour)},
		{TaskID: "dog-breed-identification", DataModality: "image", Metric: "log_loss", LowerIsBetter: true,
			Keywords:    memory.Keywords("Identify the breed of dogs in images; 120 breeds.", 12),
			ColumnTypes: []string{"image_path", "categorical"}, BestDesign: "Fine-tuned EfficientNet via timm.", BestMetric: metric(0.45), Medal: "none",
			ModelFamilies: []string{"pytorch", "timm"}, RunID: "r2", CreatedAt: t0.Add(3 * time.Hour)},
		{TaskID: "spooky-author", DataModality: "text", Metric: "log_loss", LowerIsBetter: true,
			Keywords:    memory.Keywords("Identify the author of excerpts of horror stories: text classification of sentences.", 12),
			ColumnTypes: []string{"text"}, RunID: "r3", CreatedAt: t0.Add(4 * time.Hour)},
		{TaskID: "jigsaw-toxic-comment", DataModality: "text", Metric: "roc_auc",
			Keywords:    memory.Keywords("Classify Wikipedia comments as toxic, obscene, threat or insult; comments are free text.", 12),
			ColumnTypes: []string{"text"}, BestDesign: "DistilBERT fine-tuned for 2 epochs.", BestMetric: metric(0.981), RunID: "r3", CreatedAt: t0.Add(5 * time.Hour)},
	}
}

func newStore(t testing.TB, entries []memory.Entry) *memory.Store {
	t.Helper()
	s := memory.Open(filepath.Join(t.TempDir(), "wisdom"))
	for _, e := range entries {
		if _, err := s.Put(e); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestStorePutGet(t *testing.T) {
	s := newStore(t, nil)
	e, err := s.Put(corpus()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(e.ID) != 32 {
		t.Fatalf("ID %q is not 32 hex digits", e.ID)
	}
	again, err := s.Put(corpus()[0])
	if err != nil || again.ID != e.ID {
		t.Fatalf("putting the same entry again: id %s, err %v; want %s", again.ID, err, e.ID)
	}
	got, err := s.Get(e.ID[:6])
	if err != nil {
		t.Fatal(err)
	}
	if got.TaskID != e.TaskID || !got.CreatedAt.Equal(e.CreatedAt) || *got.BestMetric != 0.81 {
		t.Errorf("Get = %+v, want %+v", got, e)
	}
	names, _ := os.ReadDir(s.Dir())
	if len(names) != 1 || names[0].Name() != e.ID+".json" {
		t.Errorf("directory holds %v, want only %s.json", names, e.ID)
	}
	if _, err := s.Get("ffffffff"); !errors.Is(err, memory.ErrNotFound) {
		t.Errorf("Get of a missing ID: %v, want ErrNotFound", err)
	}
}

func TestStorePutInvalid(t *testing.T) {
	nan := 0.0
	nan /= nan
	tests := []struct {
		name string
		e    memory.Entry
	}{
		{"no task", memory.Entry{CreatedAt: t0}},
		{"nan metric", memory.Entry{TaskID: "x", CreatedAt: t0, BestMetric: &nan}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, nil)
			if _, err := s.Put(tc.e); !errors.Is(err, memory.ErrInvalidEntry) {
				t.Errorf("Put: %v, want ErrInvalidEntry", err)
			}
		})
	}
}

func TestStoreFillsCreatedAt(t *testing.T) {
	s := newStore(t, nil)
	s.Now = func() time.Time { return t0.Add(time.Minute) }
	e, err := s.Put(memory.Entry{TaskID: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if !e.CreatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("CreatedAt = %v", e.CreatedAt)
	}
}

func TestStoreAmbiguousPrefix(t *testing.T) {
	s := newStore(t, corpus())
	entries, _, _ := s.Entries()
	var amb *memory.AmbiguousIDError
	// With 6 entries, some one-hex-digit prefix is shared or none is; try all.
	for _, c := range "0123456789abcdef" {
		n := 0
		for _, e := range entries {
			if strings.HasPrefix(e.ID, string(c)) {
				n++
			}
		}
		_, err := s.Get(string(c))
		switch {
		case n > 1 && !errors.As(err, &amb):
			t.Errorf("prefix %c matches %d: err %v, want AmbiguousIDError", c, n, err)
		case n == 1 && err != nil:
			t.Errorf("prefix %c matches one: %v", c, err)
		case n == 0 && !errors.Is(err, memory.ErrNotFound):
			t.Errorf("prefix %c matches none: %v", c, err)
		}
	}
}

// TestStorePartialDir puts foreign and broken files next to real entries:
// readers skip them and count them instead of failing.
func TestStorePartialDir(t *testing.T) {
	s := newStore(t, corpus()[:2])
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(s.Dir(), name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".tmp-abc.json-123", `{"task_id": "half`)
	write("0123456789abcdef0123456789abcdef.json", `{"task_id": "trunc`)
	write("fedcba9876543210fedcba9876543210.json", `{"id": "00000000000000000000000000000000", "task_id": "x", "created_at": "2025-01-01T00:00:00Z"}`)
	write("notes.txt", "hello")
	if err := os.Mkdir(filepath.Join(s.Dir(), "sub.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	entries, report, err := s.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || report.Entries != 2 || report.TempFiles != 1 || len(report.Skipped) != 3 {
		t.Fatalf("entries %d, report %+v", len(entries), report)
	}
	if w := report.Warning(); !strings.Contains(w, "skipped 3 unreadable wisdom files") {
		t.Errorf("warning = %q", w)
	}
	hits, err := s.Search(memory.Query{Description: "house sale price", K: 3})
	if err != nil || len(hits) != 1 {
		t.Errorf("Search in a partial dir: %d hits, %v", len(hits), err)
	}
}

func TestStoreMissingDir(t *testing.T) {
	s := memory.Open(filepath.Join(t.TempDir(), "nope"))
	entries, report, err := s.Entries()
	if err != nil || len(entries) != 0 || report.Entries != 0 {
		t.Fatalf("missing dir: %d entries, %+v, %v", len(entries), report, err)
	}
	if _, err := s.Put(corpus()[0]); err != nil {
		t.Fatalf("Put does not create the dir: %v", err)
	}
}

// TestStoreReload checks that a cached store sees entries written by
// another store (another process) and entries removed behind its back, and
// that an unchanged directory is not listed again.
func TestStoreReload(t *testing.T) {
	s := newStore(t, corpus()[:1])
	other := memory.Open(s.Dir())
	count := func() int {
		t.Helper()
		entries, _, err := s.Entries()
		if err != nil {
			t.Fatal(err)
		}
		hits, err := s.Search(memory.Query{Description: "predict transported passengers sale price houses wikipedia comments dogs breed", K: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != len(entries) {
			t.Fatalf("search found %d of %d entries", len(hits), len(entries))
		}
		return len(entries)
	}
	if n := count(); n != 1 {
		t.Fatalf("hits = %d, want 1", n)
	}
	e, err := other.Put(corpus()[1])
	if err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("after another writer's Put: hits = %d, want 2", n)
	}
	if err := os.Remove(filepath.Join(s.Dir(), e.ID+".json")); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("after removal: hits = %d, want 1", n)
	}

	// Once the directory's mtime is old enough to trust, an unchanged mtime
	// means no listing: a file slipped in with the mtime reset is not seen
	// until Refresh.
	// sneakIn lists the directory at mtime, then has the other writer put
	// e and sets the mtime back.
	sneakIn := func(mtime time.Time, e memory.Entry) {
		t.Helper()
		if err := os.Chtimes(s.Dir(), mtime, mtime); err != nil {
			t.Fatal(err)
		}
		count() // lists once more: the mtime changed
		if _, err := other.Put(e); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(s.Dir(), mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	sneakIn(time.Now().Add(-time.Hour), corpus()[2])
	if n := count(); n != 1 {
		t.Fatalf("unchanged mtime: %d entries, want the cached 1", n)
	}
	if _, err := s.Refresh(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("after Refresh: %d entries, want 2", n)
	}

	// A listing taken while the mtime was recent is not trusted: on a
	// filesystem with coarse timestamps a second write may leave the
	// mtime as it was, and must still be seen.
	sneakIn(time.Now(), corpus()[3])
	if n := count(); n != 3 {
		t.Fatalf("write within the mtime granularity: %d entries, want 3", n)
	}
}

func TestStoreSearch(t *testing.T) {
	s := newStore(t, corpus())
	tests := []struct {
		name string
		q    memory.Query
		want []string // task IDs, best first
	}{
		{"text task finds text tasks", memory.Query{TaskID: "new-text", Description: "Classify tweets as toxic or not from their free text.", Metric: "roc_auc", ColumnTypes: []string{"text"}, DataModality: "text", K: 3},
			[]string{"jigsaw-toxic-comment", "jigsaw-toxic-comment", "spooky-author"}},
		{"same task excluded", memory.Query{TaskID: "jigsaw-toxic-comment", Description: "Classify Wikipedia comments as toxic.", Metric: "roc_auc", ColumnTypes: []string{"text"}, DataModality: "text", K: 3},
			[]string{"spooky-author"}},
		{"same task included", memory.Query{TaskID: "jigsaw-toxic-comment", IncludeSameTask: true, Description: "Classify Wikipedia comments as toxic.", Metric: "roc_auc", DataModality: "text", K: 2},
			[]string{"jigsaw-toxic-comment", "jigsaw-toxic-comment"}},
		{"tabular regression", memory.Query{TaskID: "new-tab", Description: "Predict the price of used cars from their features.", Metric: "rmse", ColumnTypes: []string{"numeric", "categorical"}, DataModality: "tabular", K: 2},
			[]string{"house-prices", "spaceship-titanic"}},
		{"no shared terms", memory.Query{TaskID: "new", Description: "zzz qqq", K: 3}, nil},
		{"k zero", memory.Query{TaskID: "new", Description: "text", K: 0}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := s.Search(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, h := range hits {
				got = append(got, h.Entry.TaskID)
				if i > 0 && h.Score > hits[i-1].Score {
					t.Errorf("hit %d scores %v, above hit %d's %v", i, h.Score, i-1, hits[i-1].Score)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFormatWisdom(t *testing.T) {
	s := newStore(t, corpus())
	hits, err := s.Search(memory.Query{TaskID: "new-text", Description: "Classify tweets as toxic from their free text.", Metric: "roc_auc", ColumnTypes: []string{"text"}, DataModality: "text", K: 3})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "wisdom", memory.FormatWisdom(hits))
	if memory.FormatWisdom(nil) != "" {
		t.Error("no hits should format as nothing")
	}
}

func TestKeywords(t *testing.T) {
	got := memory.Keywords("The goal of this competition is to predict the sale price of houses. Houses in Ames, Iowa; price in USD. 79 variables.", 5)
	want := "price,houses,sale,ames,iowa"
	if strings.Join(got, ",") != want {
		t.Errorf("Keywords = %v, want %s", got, want)
	}
}

func TestStorePrune(t *testing.T) {
	s := newStore(t, corpus())
	old := t0.Add(-48 * time.Hour)
	stale := filepath.Join(s.Dir(), ".tmp-stale.json-1")
	fresh := filepath.Join(s.Dir(), ".tmp-fresh.json-2")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	cutoff := t0.Add(150 * time.Minute) // after the first three entries
	res, err := s.Prune(cutoff, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 3 || len(res.TempFiles) != 1 || res.TempFiles[0] != ".tmp-stale.json-1" {
		t.Fatalf("dry run: %d entries, temp %v", len(res.Entries), res.TempFiles)
	}
	if entries, _, _ := s.Entries(); len(entries) != 6 {
		t.Fatalf("dry run removed entries: %d left", len(entries))
	}
	if _, err := s.Prune(cutoff, false); err != nil {
		t.Fatal(err)
	}
	entries, report, _ := s.Entries()
	if len(entries) != 3 || report.TempFiles != 1 {
		t.Fatalf("after prune: %d entries, %d temp files; want 3 and 1", len(entries), report.TempFiles)
	}
	for _, e := range entries {
		if e.CreatedAt.Before(cutoff) {
			t.Errorf("entry of %v survived the prune", e.CreatedAt)
		}
	}
}

func TestExportImport(t *testing.T) {
	src := newStore(t, corpus())
	var buf bytes.Buffer
	n, err := src.Export(&buf)
	if err != nil || n != 6 {
		t.Fatalf("Export: %d, %v", n, err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines != 6 {
		t.Fatalf("export has %d lines, want 6", lines)
	}
	dst := newStore(t, nil)
	res, err := dst.Import(bytes.NewReader(buf.Bytes()))
	if err != nil || res.Added != 6 || res.Existing != 0 {
		t.Fatalf("Import: %+v, %v", res, err)
	}
	res, err = dst.Import(bytes.NewReader(buf.Bytes()))
	if err != nil || res.Added != 0 || res.Existing != 6 {
		t.Fatalf("second Import: %+v, %v", res, err)
	}
	a, _, _ := src.Entries()
	b, _, _ := dst.Entries()
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Errorf("entry %d: id %s after import, %s before", i, b[i].ID, a[i].ID)
		}
	}
}

func TestImportFormats(t *testing.T) {
	entry := `{"task_id": "a", "created_at": "2025-01-01T00:00:00Z"}`
	tests := []struct {
		name    string
		in      string
		want    int
		wantErr int // 1-based bad entry, 0 for none
	}{
		{"jsonl", entry + "\n" + strings.Replace(entry, `"a"`, `"b"`, 1) + "\n", 2, 0},
		{"array", "[" + entry + "," + strings.Replace(entry, `"a"`, `"b"`, 1) + "]", 2, 0},
		{"single indented file", "{\n  \"task_id\": \"a\",\n  \"created_at\": \"2025-01-01T00:00:00Z\"\n}\n", 1, 0},
		{"empty", "", 0, 0},
		{"missing task", entry + "\n" + `{"created_at": "2025-01-01T00:00:00Z"}`, 0, 2},
		{"unknown field", `{"task_id": "a", "created_at": "2025-01-01T00:00:00Z", "medall": "gold"}`, 0, 1},
		{"bad json in array", "[" + entry + ", {]", 0, 1},
		{"truncated", entry + "\n{\"task_id\": ", 0, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t, nil)
			res, err := s.Import(strings.NewReader(tc.in))
			var ie *memory.ImportError
			if tc.wantErr != 0 {
				if !errors.As(err, &ie) || ie.Entry != tc.wantErr {
					t.Fatalf("err = %v, want an ImportError at entry %d", err, tc.wantErr)
				}
				if entries, _, _ := s.Entries(); len(entries) != 0 {
					t.Errorf("a failed import wrote %d entries", len(entries))
				}
				return
			}
			if err != nil || res.Added != tc.want {
				t.Fatalf("Import: %+v, %v; want %d added", res, err, tc.want)
			}
		})
	}
}

func FuzzParseEntries(f *testing.F) {
	f.Add(`{"task_id": "a", "created_at": "2025-01-01T00:00:00Z"}`)
	f.Add(`[{"task_id": "a", "created_at": "2025-01-01T00:00:00Z", "best_metric": 1e308}]`)
	f.Add("{}\n[]")
	f.Fuzz(func(t *testing.T, in string) {
		entries, err := memory.ParseEntries(strings.NewReader(in))
		if err != nil {
			return
		}
		s := memory.Open(t.TempDir())
		for i, e := range entries {
			if _, err := s.Put(e); err != nil {
				t.Fatalf("entry %d parsed but does not store: %v", i, err)
			}
		}
	})
}

func ExampleFormatWisdom() {
	hits := []memory.Hit{{Entry: memory.Entry{TaskID: "house-prices", DataModality: "tabular", Metric: "rmse", LowerIsBetter: true,
		BestDesign: "LightGBM on log price.", BestMetric: metric(0.12), Medal: "silver", ModelFamilies: []string{"lightgbm"}}}}
	fmt.Print(memory.FormatWisdom(hits))
	// Output:
	// What worked on a similar earlier task. Its data differ from this task's: adapt what fits, do not copy.
	// 1. house-prices (tabular; metric rmse, lower is better): best design: LightGBM on log price (metric 0.12, medal silver). Models: lightgbm.
}

// TestNewEntryRoundTrip records a finished task-run as wisdom and retrieves
// it for a similar new task.
func TestNewEntryRoundTrip(t *testing.T) {
	k := memory.Distil(allNodes(), memory.DistilOptions{LowerIsBetter: true})
	done := memory.TaskInfo{TaskID: "demo-regression", Description: "Predict the house price from numeric features of each house.",
		DataModality: "tabular", Metric: "rmse", LowerIsBetter: true, ColumnTypes: []string{"numeric"}}
	s := newStore(t, nil)
	e, err := s.Put(memory.NewEntry(done, k, "silver", "run-1"))
	if err != nil {
		t.Fatal(err)
	}
	if *e.BestMetric != 0.4 || !strings.HasPrefix(e.BestDesign, "Gradient-boosted trees") || len(e.WhatFailed) != 3 ||
		strings.Join(e.ModelFamilies, ",") != "lightgbm" || e.Keywords[0] != "house" {
		t.Errorf("entry = %+v", e)
	}
	next := memory.TaskInfo{TaskID: "car-prices", Description: "Predict the price of a used car.", DataModality: "tabular", Metric: "rmse"}
	hits, err := s.Search(next.Query(3, false))
	if err != nil || len(hits) != 1 || hits[0].Entry.ID != e.ID {
		t.Fatalf("hits = %+v, %v", hits, err)
	}
	if hits, _ := s.Search(done.Query(3, false)); len(hits) != 0 {
		t.Errorf("the same task retrieved its own entry: %+v", hits)
	}
}

func TestStoreEntrySizeLimit(t *testing.T) {
	s := newStore(t, nil)
	big := memory.Entry{TaskID: "big", CreatedAt: t0, BestDesign: strings.Repeat("x", 1<<20)}
	if _, err := s.Put(big); !errors.Is(err, memory.ErrInvalidEntry) {
		t.Fatalf("Put of a 1 MiB design: %v, want ErrInvalidEntry", err)
	}
	name := filepath.Join(s.Dir(), "00000000000000000000000000000000.json")
	if err := os.MkdirAll(s.Dir(), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, bytes.Repeat([]byte(" "), 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	_, report, err := s.Entries()
	if err != nil || len(report.Skipped) != 1 || !strings.Contains(report.Skipped[0].Reason, "larger than") {
		t.Fatalf("oversized file: %+v, %v", report, err)
	}
}
