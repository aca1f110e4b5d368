package grader

import "testing"

// Text after a closing quote belongs to the same cell, as pandas reads it.
func TestTextAfterClosingQuote(t *testing.T) {
	tb, err := ParseTable([]byte("a,b\n\"ab\"c,d\n"))
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := tb.Column("a")
	cb, _ := tb.Column("b")
	if got := ca.String(0); got != "abc" {
		t.Errorf("cell a = %q, want abc", got)
	}
	if got := cb.String(0); got != "d" {
		t.Errorf("cell b = %q, want d", got)
	}
}

// Long integer ids that differ by less than float64's spacing stay apart.
func TestLongIntegerIDsDoNotCollide(t *testing.T) {
	a, b := numberKey("1000000000000000001"), numberKey("1000000000000000002")
	if a == b {
		t.Errorf("19-digit ids collide: %q", a)
	}
}

func TestReportSummary(t *testing.T) {
	score := 0.82212
	cases := []struct {
		r    Report
		want string
	}{
		{Report{}, "no submission"},
		{Report{SubmissionExists: true, Reason: "missing 3 ids"}, "invalid submission: missing 3 ids"},
		{Report{SubmissionExists: true, ValidSubmission: true, Score: &score, BronzeMedal: true, AnyMedal: true}, "score 0.82212, bronze medal"},
		{Report{SubmissionExists: true, ValidSubmission: true, Score: &score, AboveMedian: true}, "score 0.82212, above median"},
		{Report{SubmissionExists: true, ValidSubmission: true, Score: &score}, "score 0.82212, no medal"},
	}
	for _, tc := range cases {
		if got := tc.r.Summary(); got != tc.want {
			t.Errorf("Summary() = %q, want %q", got, tc.want)
		}
	}
}
