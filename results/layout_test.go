package results_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
)

func TestReadGrade(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		want    results.Grade
		wantErr bool
	}{
		{
			name: "medal",
			json: `{"competition_id": "spaceship-titanic", "score": 0.81, "gold_threshold": 0.82, "silver_threshold": 0.81,
				"bronze_threshold": 0.80, "median_threshold": 0.79, "any_medal": true, "gold_medal": false,
				"silver_medal": true, "bronze_medal": false, "above_median": true, "submission_exists": true,
				"valid_submission": true, "is_lower_better": false, "created_at": "2026-01-02T03:04:05.123456",
				"submission_path": "best/submission.csv"}`,
			want: results.Grade{CompetitionID: "spaceship-titanic", Score: ptr(0.81), GoldThreshold: 0.82,
				SilverThreshold: 0.81, BronzeThreshold: 0.80, MedianThreshold: 0.79, AnyMedal: true,
				SilverMedal: true, AboveMedian: true, SubmissionExists: true, ValidSubmission: true,
				SubmissionPath: "best/submission.csv"},
		},
		{
			name: "python NaN and null score",
			json: `{"competition_id": "us-patent-phrase-to-phrase-matching", "score": null, "gold_threshold": NaN,
				"silver_threshold": Infinity, "bronze_threshold": -Infinity, "median_threshold": 0.5,
				"submission_path": "NaN.csv"}`,
			want: results.Grade{CompetitionID: "us-patent-phrase-to-phrase-matching", GoldThreshold: math.NaN(),
				SilverThreshold: math.Inf(1), BronzeThreshold: math.Inf(-1), MedianThreshold: 0.5,
				SubmissionPath: "NaN.csv"},
		},
		{
			name: "python non-finite scores of valid submissions",
			json: `{"competition_id": "champs-scalar-coupling", "score": -Infinity, "gold_threshold": -2.87,
				"silver_threshold": -2.0, "bronze_threshold": -1.9, "median_threshold": -1.0, "gold_medal": true,
				"any_medal": true, "above_median": true, "submission_exists": true, "valid_submission": true,
				"is_lower_better": true, "submission_path": "a.csv"}`,
			want: results.Grade{CompetitionID: "champs-scalar-coupling", Score: ptr(math.Inf(-1)), GoldThreshold: -2.87,
				SilverThreshold: -2.0, BronzeThreshold: -1.9, MedianThreshold: -1.0, GoldMedal: true, AnyMedal: true,
				AboveMedian: true, SubmissionExists: true, ValidSubmission: true, IsLowerBetter: true, SubmissionPath: "a.csv"},
		},
		{name: "garbage", json: `{"score": }`, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, results.GradeFile), []byte(tc.json), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := results.ReadGrade(dir)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			got.CreatedAt = time.Time{} // compared in its own case below
			if !sameGrade(got, tc.want) {
				t.Fatalf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestReadGradeMissing(t *testing.T) {
	if _, err := results.ReadGrade(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v, want ErrNotExist", err)
	}
}

func TestManifestAndStatusRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := results.Manifest{RunID: "r1", Items: []results.ManifestItem{
		{Index: 0, TaskID: "a", Split: "low", Seed: 0, Params: map[string]string{"search.uct_c": "0.5"}},
		{Index: 1, TaskID: "b", Split: "high", Seed: 1},
	}}
	if err := results.WriteJSON(filepath.Join(dir, results.ManifestFile), m); err != nil {
		t.Fatal(err)
	}
	got, err := results.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("manifest: got %+v want %+v", got, m)
	}
	if p := m.Items[0].ParamsJSON(); p != `{"search.uct_c":"0.5"}` {
		t.Errorf("ParamsJSON = %s", p)
	}
	if p := m.Items[1].ParamsJSON(); p != `{}` {
		t.Errorf("ParamsJSON = %s", p)
	}

	item := results.ItemDir(dir, 1)
	st, err := results.ReadItemStatus(item)
	if err != nil || st.State != results.StatePending {
		t.Fatalf("missing status = %+v, %v; want pending", st, err)
	}
	if err := os.MkdirAll(item, 0o755); err != nil {
		t.Fatal(err)
	}
	want := results.ItemStatus{State: results.StateDone, Attempts: 2,
		StartedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), FinishedAt: time.Date(2026, 1, 1, 5, 0, 0, 0, time.UTC)}
	if err := results.WriteJSON(filepath.Join(item, results.StatusFile), want); err != nil {
		t.Fatal(err)
	}
	st, err = results.ReadItemStatus(item)
	if err != nil || !reflect.DeepEqual(st, want) {
		t.Fatalf("status = %+v, %v; want %+v", st, err, want)
	}
	if _, err := results.ReadManifest(t.TempDir()); !errors.Is(err, results.ErrNoManifest) {
		t.Fatalf("ReadManifest(empty) = %v, want ErrNoManifest", err)
	}
}

func ptr(f float64) *float64 { return &f }

// sameGrade compares grades by their JSON, where NaN equals NaN.
func sameGrade(a, b results.Grade) bool {
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	return string(ja) == string(jb)
}

// Every command resolves RUN here: a run directory, or a run id under
// results.dir, and otherwise an error naming what the argument is not.
func TestResolveRunDir(t *testing.T) {
	root := t.TempDir()
	runs := filepath.Join(root, "runs")
	run := filepath.Join(runs, "20260101-000000-abcdef")
	if err := os.MkdirAll(run, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(run, results.ManifestFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ref, resultsDir, want, err string
	}{
		{run, "", run, ""},
		{run, runs, run, ""},
		{"20260101-000000-abcdef", runs, run, ""},
		{"20260101-000000-abcdef", "", "", `no run "20260101-000000-abcdef": not a run directory (with manifest.json)`},
		{"nope", runs, "", `no run "nope": neither a run directory (with manifest.json) nor a run id under ` + runs + " (results.dir)"},
		{root, runs, "", root + " is not a run directory (no manifest.json)"},
	} {
		got, err := results.ResolveRunDir(c.ref, c.resultsDir)
		if got != c.want || fmt.Sprint(err) != map[bool]string{true: "<nil>", false: c.err}[c.err == ""] {
			t.Errorf("ResolveRunDir(%q, %q) = %q, %v; want %q, %q", c.ref, c.resultsDir, got, err, c.want, c.err)
		}
	}
}
