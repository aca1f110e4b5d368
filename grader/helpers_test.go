package grader_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

// prepare writes answers for a competition into a fresh data dir laid out
// as `mlebench prepare` does and returns the dir.
var prepare = grader.PrepareTask

// writeFile writes content to name in a temp dir and returns the path.
func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// grade grades a submission given as text against answers given as text.
func grade(tb testing.TB, id, answers, submission string) grader.Report {
	tb.Helper()
	dir := prepare(tb, id, answers)
	sub := writeFile(tb, "submission.csv", submission)
	rep, err := grader.Grade(context.Background(), grader.Request{CompetitionID: id, SubmissionPath: sub, DataDir: dir})
	if err != nil {
		tb.Fatalf("grade %s: %v", id, err)
	}
	return rep
}

// near compares scores that are already rounded to 5 decimals.
func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9
}
