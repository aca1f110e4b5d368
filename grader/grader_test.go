package grader_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

const cactus = "aerial-cactus-identification"

var cactusAnswers = "id,has_cactus\na,1\nb,0\nc,1\n"

func TestGradeSubmissionExists(t *testing.T) {
	dir := prepare(t, cactus, cactusAnswers)
	good := "id,has_cactus\na,0.9\nb,0.1\nc,0.5\n"
	tests := []struct {
		name   string
		path   string
		exists bool
	}{
		{"missing file", filepath.Join(t.TempDir(), "nope.csv"), false},
		{"not a csv suffix", writeFile(t, "submission.txt", good), false},
		{"a directory", t.TempDir() + "/dir.csv", false},
		{"upper-case suffix", writeFile(t, "submission.CSV", good), true},
	}
	if err := os.Mkdir(tests[2].path, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := grader.Grade(context.Background(), grader.Request{CompetitionID: cactus, SubmissionPath: tc.path, DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if rep.SubmissionExists != tc.exists || rep.ValidSubmission != tc.exists {
				t.Errorf("exists=%v valid=%v, want %v (reason %q)", rep.SubmissionExists, rep.ValidSubmission, tc.exists, rep.Reason)
			}
			if !tc.exists && (rep.Score != nil || rep.Reason == "") {
				t.Errorf("score %v, reason %q for a missing submission", rep.Score, rep.Reason)
			}
			// Thresholds are filled even without a submission.
			if rep.GoldThreshold != 1 || rep.MedianThreshold != 0.9991 {
				t.Errorf("thresholds not filled: %+v", rep)
			}
		})
	}
}

func TestGradeErrors(t *testing.T) {
	sub := writeFile(t, "s.csv", "id,has_cactus\na,1\n")
	_, err := grader.Grade(context.Background(), grader.Request{CompetitionID: "aerial-cactus-identificaton", SubmissionPath: sub, DataDir: t.TempDir()})
	var unknown *grader.UnknownError
	if !errors.Is(err, grader.ErrNotFound) || !errors.As(err, &unknown) || unknown.Closest != cactus {
		t.Errorf("unknown competition: err = %v", err)
	}
	_, err = grader.Grade(context.Background(), grader.Request{CompetitionID: cactus, SubmissionPath: sub, DataDir: t.TempDir()})
	if !errors.Is(err, grader.ErrNotPrepared) {
		t.Errorf("unprepared data: err = %v", err)
	}
	dir := prepare(t, cactus, cactusAnswers)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := grader.Grade(ctx, grader.Request{CompetitionID: cactus, SubmissionPath: sub, DataDir: dir}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: err = %v", err)
	}
}

func TestGradeRoundsAndMedals(t *testing.T) {
	// AUC 2/3 rounds to 0.66667, below every cactus threshold.
	rep := grade(t, "seti-breakthrough-listen", "id,target\n1,1\n2,0\n3,1\n4,0\n5,1\n6,0\n", "id,target\n1,0.9\n2,0.8\n3,0.7\n4,0.1\n5,0.15\n6,0.2\n")
	if rep.Score == nil || *rep.Score != 0.66667 {
		t.Fatalf("score = %v, want 0.66667", rep.Score)
	}
	if rep.AnyMedal || rep.AboveMedian || rep.IsLowerBetter {
		t.Errorf("flags: %+v", rep)
	}
	// A perfect cactus submission ties the gold threshold (1.0).
	rep = grade(t, cactus, cactusAnswers, "id,has_cactus\na,0.9\nb,0.1\nc,0.5\n")
	if !rep.GoldMedal || !rep.AnyMedal || rep.SilverMedal || !rep.AboveMedian {
		t.Errorf("perfect submission: %+v", rep)
	}
}

func TestGradeNaNScore(t *testing.T) {
	rep := grade(t, "us-patent-phrase-to-phrase-matching", "id,score\na,1\nb,2\nc,3\n", "id,score\na,1\nb,1\nc,1\n")
	if !rep.ValidSubmission || rep.Score == nil || !math.IsNaN(*rep.Score) {
		t.Fatalf("constant predictions: valid=%v score=%v", rep.ValidSubmission, rep.Score)
	}
	if rep.AnyMedal || rep.AboveMedian {
		t.Errorf("NaN earned a flag: %+v", rep)
	}
	// As Python's json writes the reference's float('nan').
	b, err := grader.MarshalIndent(rep)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"score": NaN`) || !strings.Contains(string(b), `"valid_submission": true`) {
		t.Errorf("JSON = %s", b)
	}
	var back grader.Report
	if err := grader.DecodeJSON(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Score == nil || !math.IsNaN(*back.Score) {
		t.Errorf("round trip lost the NaN score: %v", back.Score)
	}
}

// TestReportJSON checks the reference's field names, in order, and the
// created_at format.
func TestReportJSON(t *testing.T) {
	rep := grade(t, cactus, cactusAnswers, "id,has_cactus\na,1.5\nb,0\nc,0\n")
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	want := []string{"competition_id", "score", "gold_threshold", "silver_threshold", "bronze_threshold",
		"median_threshold", "any_medal", "gold_medal", "silver_medal", "bronze_medal", "above_median",
		"submission_exists", "valid_submission", "is_lower_better", "created_at", "submission_path", "reason"}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	var got []string
	dec.Token()
	for dec.More() {
		tok, _ := dec.Token()
		got = append(got, tok.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v\nwant %v", got, want)
	}
	var created string
	json.Unmarshal(raw["created_at"], &created)
	if len(created) != len("2024-10-01T12:34:56.123456") || created[10] != 'T' {
		t.Errorf("created_at = %q, want Python isoformat", created)
	}
	var back grader.Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Reason != rep.Reason || back.Score != nil || back.ValidSubmission || back.CreatedAt.IsZero() {
		t.Errorf("round trip: %+v", back)
	}
}

func TestGradeLeaderboardDirection(t *testing.T) {
	dir := prepare(t, cactus, cactusAnswers)
	sub := writeFile(t, "s.csv", "id,has_cactus\na,0.9\nb,0.6\nc,0.5\n") // AUC 0.5
	// An ascending leaderboard makes the grader treat lower as better.
	var b strings.Builder
	b.WriteString("teamId,score\n")
	for i := range 10 {
		b.WriteString("1," + []string{"0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"}[i] + "\n")
	}
	lb := writeFile(t, "leaderboard.csv", b.String())
	rep, err := grader.Grade(context.Background(), grader.Request{CompetitionID: cactus, SubmissionPath: sub, DataDir: dir, LeaderboardPath: lb})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.IsLowerBetter || rep.GoldThreshold != 0.1 || rep.SilverThreshold != 0.2 || rep.BronzeThreshold != 0.4 || !near(rep.MedianThreshold, 0.55) {
		t.Errorf("leaderboard thresholds: %+v", rep)
	}
	if !rep.AboveMedian || rep.AnyMedal {
		t.Errorf("0.5 on a lower-is-better board with median 0.55: %+v", rep)
	}
	// The same file found through a leaderboards dir.
	lbDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(lbDir, cactus), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(lbDir, cactus, "leaderboard.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	rep2, err := grader.Grade(context.Background(), grader.Request{CompetitionID: cactus, SubmissionPath: sub, DataDir: dir, LeaderboardsDir: lbDir})
	if err != nil {
		t.Fatal(err)
	}
	if !rep2.IsLowerBetter || rep2.GoldThreshold != 0.1 {
		t.Errorf("leaderboards dir not used: %+v", rep2)
	}
	// A leaderboards dir without this competition falls back to the table.
	rep3, err := grader.Grade(context.Background(), grader.Request{CompetitionID: cactus, SubmissionPath: sub, DataDir: dir, LeaderboardsDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if rep3.IsLowerBetter || rep3.MedianThreshold != 0.9991 {
		t.Errorf("fallback to built-in thresholds: %+v", rep3)
	}
}

func TestValidate(t *testing.T) {
	dir := prepare(t, cactus, cactusAnswers)
	tests := []struct {
		name, path string
		valid      bool
		msg        string
	}{
		{"valid", writeFile(t, "a.csv", "id,has_cactus\na,0.9\nb,0.1\nc,0.5\n"), true, "Submission is valid."},
		{"invalid", writeFile(t, "b.csv", "id,has_cactus\na,0.9\nb,0.1\n"), false, "Submission invalid! The attempt to grade the submission has resulted in the following error message:\nsubmission has 2 rows, expected 3"},
		{"missing", filepath.Join(t.TempDir(), "c.csv"), false, "does not exist"},
		{"not csv", writeFile(t, "d.json", "{}"), false, "Submission invalid! Submission file must be a CSV file."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			valid, msg, err := grader.Validate(context.Background(), grader.Request{CompetitionID: cactus, SubmissionPath: tc.path, DataDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if valid != tc.valid || !strings.Contains(msg, tc.msg) {
				t.Errorf("Validate = %v, %q; want %v, %q", valid, msg, tc.valid, tc.msg)
			}
			if strings.Contains(msg, "0.5") || strings.Contains(msg, "score") {
				t.Errorf("message reveals a score: %q", msg)
			}
		})
	}
}

func TestAggregateReports(t *testing.T) {
	one := 1.0
	reports := []grader.Report{
		{SubmissionExists: true, ValidSubmission: true, Score: &one, GoldMedal: true, AnyMedal: true, AboveMedian: true},
		{SubmissionExists: true, ValidSubmission: true, Score: &one, BronzeMedal: true, AnyMedal: true, AboveMedian: true},
		{SubmissionExists: true, ValidSubmission: false},
		{},
	}
	got := grader.AggregateReports(reports)
	want := grader.Aggregate{TotalRuns: 4, TotalRunsWithSubmissions: 3, TotalValidSubmissions: 2, TotalMedals: 2,
		TotalGoldMedals: 1, TotalBronzeMedals: 1, TotalAboveMedian: 2, CompetitionReports: reports}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("aggregate = %+v", got)
	}
}

func TestEveryCompetitionHasAGrader(t *testing.T) {
	for _, c := range grader.All() {
		if !grader.HasGrader(c.ID) {
			t.Errorf("%s has no grader", c.ID)
		}
	}
}
