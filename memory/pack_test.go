package memory_test

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/memory"
)

// fullEntry sets every field of Entry, so that a field the pack forgets
// fails the round trip.
func fullEntry() memory.Entry {
	return memory.Entry{TaskID: "t-full", DataModality: "tabular", Metric: "rmse", LowerIsBetter: true,
		Keywords: []string{"house", "price"}, ColumnTypes: []string{"a:numeric"}, BestDesign: "LightGBM.",
		BestMetric: metric(0.25), Medal: "gold", WhatFailed: []string{"knn (0.3 -> 0.4)"},
		ModelFamilies: []string{"lightgbm"}, Recipe: `{"family":"hgb"}`, Worked: []string{"log target"},
		RunID: "r9", Item: "3", Provisional: true, CreatedAt: t0.Add(time.Minute)}
}

func TestPackRoundTrip(t *testing.T) {
	// Every field of Entry is set in fullEntry: a new field must be added
	// there and to the pack's codec.
	v := reflect.ValueOf(fullEntry())
	for i := 0; i < v.NumField(); i++ {
		if name := v.Type().Field(i).Name; name != "ID" && v.Field(i).IsZero() {
			t.Fatalf("fullEntry leaves %s zero: set it (and pack it)", name)
		}
	}
	entries := append(corpus(), fullEntry())
	s := newStore(t, entries)
	old := time.Now().Add(-time.Hour)
	if err := os.MkdirAll(filepath.Join(s.Dir(), ".pack"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(s.Dir(), old, old); err != nil {
		t.Fatal(err)
	}
	res, err := s.Compact()
	if err != nil {
		t.Fatal(err)
	}
	if res.Entries != len(entries) {
		t.Fatalf("packed %d entries, want %d", res.Entries, len(entries))
	}
	want, _, err := s.Entries()
	if err != nil {
		t.Fatal(err)
	}
	q := memory.Query{Description: "wikipedia comments toxic house price breed dogs", Metric: "rmse", K: 4}
	wantHits, err := s.Search(q)
	if err != nil {
		t.Fatal(err)
	}

	// A cold store with an unchanged directory reads only the pack: hide
	// the entry files' contents to prove it (names stay for the listing).
	for _, e := range want {
		if err := os.WriteFile(filepath.Join(s.Dir(), e.ID+".json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(s.Dir(), old, old); err != nil {
		t.Fatal(err)
	}
	cold := memory.Open(s.Dir())
	got, rep, err := cold.Entries()
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) != 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("from the pack: %d entries (skipped %v), want %d equal ones", len(got), rep.Skipped, len(want))
	}
	gotHits, err := cold.Search(q)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotHits, wantHits) {
		t.Fatalf("search from the pack = %v, want %v", gotHits, wantHits)
	}
}

func TestPackFilesRemainTruth(t *testing.T) {
	s := newStore(t, corpus()[:3])
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	all, _, _ := s.Entries()
	// After the pack: one entry removed, one added by another process.
	if err := os.Remove(filepath.Join(s.Dir(), all[0].ID+".json")); err != nil {
		t.Fatal(err)
	}
	added, err := memory.Open(s.Dir()).Put(corpus()[3])
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := memory.Open(s.Dir()).Entries()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	want := []string{all[1].ID, all[2].ID, added.ID}
	sort.Strings(ids)
	sort.Strings(want)
	if !reflect.DeepEqual(ids, want) {
		t.Fatalf("entries = %v, want %v", ids, want)
	}
}

func TestPackCorrupt(t *testing.T) {
	s := newStore(t, corpus()[:3])
	res, err := s.Compact()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"flipped byte": func() []byte { b := append([]byte(nil), data...); b[len(b)/2] ^= 0xff; return b }(),
		"truncated":    data[:len(data)/2],
		"empty":        {},
		"foreign":      []byte("not a pack at all"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(res.Path, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			got, rep, err := memory.Open(s.Dir()).Entries()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 3 {
				t.Fatalf("%d entries from the files, want 3", len(got))
			}
			if w := rep.Warning(); !strings.Contains(w, "snapshot.bin") {
				t.Fatalf("warning %q does not name the pack", w)
			}
		})
	}
}

func TestProvisionalSuperseded(t *testing.T) {
	base := corpus()[0]
	base.RunID, base.Item = "run-a", "0"
	prov := base
	prov.Provisional, prov.BestDesign, prov.BestMetric = true, "First working draft.", metric(0.7)
	later := prov
	later.BestDesign, later.BestMetric, later.CreatedAt = "Better provisional.", metric(0.75), base.CreatedAt.Add(time.Minute)
	final := base
	final.CreatedAt = base.CreatedAt.Add(-time.Minute) // clocks differ: final still wins
	other := corpus()[1]
	other.RunID, other.Item = "run-a", "1"
	q := memory.Query{Description: "passengers transported dimension cabin house price", K: 10}
	design := func(s *memory.Store) []string {
		t.Helper()
		hits, err := s.Search(q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range hits {
			out = append(out, h.Entry.TaskID+": "+h.Entry.BestDesign)
		}
		sort.Strings(out)
		return out
	}
	s := newStore(t, []memory.Entry{prov, other})
	if got := design(s); !reflect.DeepEqual(got, []string{"house-prices: LightGBM on log price.", "spaceship-titanic: First working draft."}) {
		t.Fatalf("provisional: %v", got)
	}
	if _, err := s.Put(later); err != nil {
		t.Fatal(err)
	}
	if got := design(s); !reflect.DeepEqual(got, []string{"house-prices: LightGBM on log price.", "spaceship-titanic: Better provisional."}) {
		t.Fatalf("newer provisional: %v", got)
	}
	if _, err := s.Put(final); err != nil {
		t.Fatal(err)
	}
	if got := design(s); !reflect.DeepEqual(got, []string{"house-prices: LightGBM on log price.", "spaceship-titanic: " + base.BestDesign}) {
		t.Fatalf("final: %v", got)
	}
	// The item itself never retrieves its own entries.
	self := q
	self.RunID, self.Item, self.IncludeSameTask = "run-a", "0", true
	hits, err := s.Search(self)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 1 || hits[0].Entry.Item != "1" {
		t.Fatalf("self query: %v", hits)
	}
}

func TestKeywordsDropAddresses(t *testing.T) {
	desc := "See https://www.kaggle.com/c/titanic?utm_source=x&utm_medium=y or www.example.org/page, mail help@kaggle.com. Predict survival of passengers."
	got := memory.Keywords(desc, 20)
	for _, w := range got {
		switch w {
		case "https", "www", "com", "utm", "source", "medium", "kaggle", "org", "example", "page", "help", "titanic":
			t.Fatalf("keyword %q comes from an address: %v", w, got)
		}
	}
	if !reflect.DeepEqual(got, []string{"see", "mail", "survival", "passengers"}) {
		t.Fatalf("keywords = %v", got)
	}
}

func TestModelFamiliesFromRecipe(t *testing.T) {
	generic := "# mlbench-spec: {\"v\":1,\"family\":\"ensemble\",\"members\":[{\"family\":\"rf\"},{\"family\":\"xgb\"}]}\n" +
		"if family == 'rf': RandomForestClassifier()\nelif family == 'knn': KNeighborsClassifier()\nimport xgboost\n"
	if got := memory.ModelFamilies(generic); !reflect.DeepEqual(got, []string{"random_forest", "xgboost"}) {
		t.Fatalf("families = %v, want the recipe's", got)
	}
	if got := memory.ModelFamilies("x = 1  # mlbench-spec: not at line start\nfrom sklearn.svm import SVC\nSVC()"); !reflect.DeepEqual(got, []string{"svm"}) {
		t.Fatalf("families = %v, want svm", got)
	}
}
