package grader_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

// TestLeaderboardThresholdsRanks checks the rank rules at every N boundary
// in both directions: the leaderboard's score at rank r is N-r+1 (higher is
// better) or r (lower is better), so a threshold names its rank.
func TestLeaderboardThresholdsRanks(t *testing.T) {
	tests := []struct {
		n                    int
		gold, silver, bronze int // 1-based ranks
	}{
		{1, 1, 1, 1},
		{2, 1, 1, 1},
		{9, 1, 1, 3},
		{10, 1, 2, 4},
		{99, 9, 19, 39},
		{100, 10, 20, 40},
		{101, 10, 20, 40},
		{249, 10, 49, 99},
		{250, 10, 50, 100},
		{251, 10, 50, 100},
		{499, 10, 50, 100},
		{500, 11, 50, 100},
		{999, 11, 50, 100},
		{1000, 12, 50, 100},
		{1001, 12, 50, 100},
		{2500, 15, 125, 250},
	}
	for _, tc := range tests {
		for _, lower := range []bool{false, true} {
			t.Run(fmt.Sprintf("N=%d/lower=%v", tc.n, lower), func(t *testing.T) {
				scores := make([]float64, tc.n)
				at := func(rank int) float64 { return float64(tc.n - rank + 1) }
				if lower {
					at = func(rank int) float64 { return float64(rank) }
				}
				for i := range scores {
					scores[i] = at(i + 1)
				}
				th, err := grader.LeaderboardThresholds(scores)
				if err != nil {
					t.Fatal(err)
				}
				want := grader.Thresholds{
					Gold: at(tc.gold), Silver: at(tc.silver), Bronze: at(tc.bronze),
					Median: float64(tc.n+1) / 2, LowerIsBetter: lower && tc.n > 1,
				}
				if th != want {
					t.Errorf("thresholds = %+v, want %+v", th, want)
				}
			})
		}
	}
}

// TestMedalsFor checks comparisons, ties and the strict median, both ways:
// each case is scored as high against thresholds where higher is better
// and as low against their mirror image, where lower is better.
func TestMedalsFor(t *testing.T) {
	higher := grader.Thresholds{Gold: 0.9, Silver: 0.8, Bronze: 0.7, Median: 0.6}
	lower := grader.Thresholds{Gold: 0.1, Silver: 0.2, Bronze: 0.3, Median: 0.4, LowerIsBetter: true}
	type m = grader.Medals
	gold, silver, bronze := m{Gold: true, Any: true, AboveMedian: true}, m{Silver: true, Any: true, AboveMedian: true}, m{Bronze: true, Any: true, AboveMedian: true}
	tests := []struct {
		name      string
		high, low float64
		want      grader.Medals
	}{
		{"better than gold", 0.95, 0.05, gold},
		{"tie with gold", 0.9, 0.1, gold},
		{"between silver and gold", 0.85, 0.15, silver},
		{"tie with silver", 0.8, 0.2, silver},
		{"tie with bronze", 0.7, 0.3, bronze},
		{"better than median only", 0.65, 0.35, m{AboveMedian: true}},
		{"tie with median is not above", 0.6, 0.4, m{}},
		{"worse than median", 0.1, 0.9, m{}},
		{"NaN earns nothing", math.NaN(), math.NaN(), m{}},
	}
	check := func(t *testing.T, score float64, th grader.Thresholds, want grader.Medals) {
		t.Helper()
		if got := grader.MedalsFor(score, th); got != want {
			t.Errorf("MedalsFor(%v) = %+v, want %+v", score, got, want)
		}
	}
	for _, tc := range tests {
		t.Run("higher: "+tc.name, func(t *testing.T) { check(t, tc.high, higher, tc.want) })
		t.Run("lower: "+tc.name, func(t *testing.T) { check(t, tc.low, lower, tc.want) })
	}
	t.Run("all thresholds tied", func(t *testing.T) {
		check(t, 1, grader.Thresholds{Gold: 1, Silver: 1, Bronze: 1, Median: 0.99}, gold)
	})
}

// TestLeaderboardTies checks that tied leaderboard scores give tied
// thresholds and that a submission equal to them earns the better medal.
func TestLeaderboardTies(t *testing.T) {
	scores := []float64{10, 9, 9, 9, 9, 9, 9, 9, 9, 8} // N = 10: gold rank 1, silver 2, bronze 4
	th, err := grader.LeaderboardThresholds(scores)
	if err != nil {
		t.Fatal(err)
	}
	if th.Silver != 9 || th.Bronze != 9 || th.Gold != 10 || th.Median != 9 || th.LowerIsBetter {
		t.Fatalf("thresholds = %+v", th)
	}
	if got := grader.MedalsFor(9, th); !got.Silver || got.Bronze || got.AboveMedian {
		t.Errorf("MedalsFor(9) = %+v, want silver and not above median", got)
	}
}

// TestThresholdsFromLeaderboard reads a Kaggle-style file; missing scores
// are skipped by the median, as pandas does.
func TestThresholdsFromLeaderboard(t *testing.T) {
	var b strings.Builder
	b.WriteString("scoreNullable,teamId,hasTeamName,submissionDate,score,hasScore\n")
	for i := range 20 {
		fmt.Fprintf(&b, "%v,%d,True,2019-01-01 00:00:00,%v,True\n", 0.5+float64(i)/100, i, 0.5+float64(i)/100)
	}
	b.WriteString(",99,True,2019-01-01 00:00:00,,False\n")
	p := filepath.Join(t.TempDir(), "leaderboard.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	th, err := grader.ThresholdsFromLeaderboard(p)
	if err != nil {
		t.Fatal(err)
	}
	// N = 21 (ascending: lower is better... unless the last row is NaN:
	// NaN comparisons are false, so the direction is higher-is-better).
	want := grader.Thresholds{Gold: 0.51, Silver: 0.53, Bronze: 0.57, Median: 0.595}
	if !near(th.Gold, want.Gold) || !near(th.Silver, want.Silver) || !near(th.Bronze, want.Bronze) || !near(th.Median, want.Median) || th.LowerIsBetter {
		t.Errorf("thresholds = %+v, want %+v", th, want)
	}
	if _, err := grader.ThresholdsFromLeaderboard(filepath.Join(t.TempDir(), "none.csv")); err == nil {
		t.Error("missing leaderboard: no error")
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("teamId,points\n1,3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := grader.ThresholdsFromLeaderboard(bad); err == nil || !strings.Contains(err.Error(), "column 'score' not found") {
		t.Errorf("leaderboard without score: err = %v", err)
	}
}

// TestBuiltinThresholds checks the built-in table covers every competition
// of the benchmark and agrees with the registry's direction.
func TestBuiltinThresholds(t *testing.T) {
	ids, err := grader.Suite("mle-bench-full")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		th, ok := grader.BuiltinThresholds(id)
		if !ok {
			t.Errorf("%s: no built-in thresholds", id)
			continue
		}
		c, _ := grader.Lookup(id)
		if th.LowerIsBetter != c.LowerIsBetter {
			t.Errorf("%s: thresholds say lower=%v, registry says %v", id, th.LowerIsBetter, c.LowerIsBetter)
		}
		ordered := th.Gold >= th.Silver && th.Silver >= th.Bronze
		if th.LowerIsBetter {
			ordered = th.Gold <= th.Silver && th.Silver <= th.Bronze
		}
		if !ordered {
			t.Errorf("%s: thresholds out of order: %+v", id, th)
		}
	}
}
