package grader

import (
	"fmt"
	"math"
	"sort"
)

// Medals are the flags a score earns against thresholds.
type Medals struct {
	Gold        bool `json:"gold_medal"`
	Silver      bool `json:"silver_medal"`
	Bronze      bool `json:"bronze_medal"`
	Any         bool `json:"any_medal"`
	AboveMedian bool `json:"above_median"`
}

// MedalsFor compares a score with thresholds like the reference's
// rank_score: a tie with a threshold earns it, at most one medal is given,
// and "above median" is strict. NaN earns nothing.
func MedalsFor(score float64, t Thresholds) Medals {
	var m Medals
	if math.IsNaN(score) {
		return m
	}
	better := func(thr float64) bool {
		if t.LowerIsBetter {
			return score <= thr
		}
		return score >= thr
	}
	m.Gold = better(t.Gold)
	m.Silver = !m.Gold && better(t.Silver)
	m.Bronze = !m.Gold && !m.Silver && better(t.Bronze)
	if t.LowerIsBetter {
		m.AboveMedian = score < t.Median
	} else {
		m.AboveMedian = score > t.Median
	}
	m.Any = m.Gold || m.Silver || m.Bronze
	return m
}

// ThresholdsFromLeaderboard reads a Kaggle leaderboard.csv (a "score"
// column, best first) and computes thresholds with LeaderboardThresholds.
func ThresholdsFromLeaderboard(path string) (Thresholds, error) {
	t, err := ReadTableFile(path)
	if err != nil {
		return Thresholds{}, fmt.Errorf("read leaderboard %s: %w", path, err)
	}
	col, err := t.Column("score")
	if err != nil {
		return Thresholds{}, fmt.Errorf("read leaderboard %s: %w", path, err)
	}
	scores, err := col.Floats()
	if err != nil {
		return Thresholds{}, fmt.Errorf("read leaderboard %s: %w", path, err)
	}
	th, err := LeaderboardThresholds(scores)
	if err != nil {
		return Thresholds{}, fmt.Errorf("read leaderboard %s: %w", path, err)
	}
	return th, nil
}

// LeaderboardThresholds applies the reference's rank rules (from
// kaggle.com/progression) to leaderboard scores in file order, best first:
//
//	N < 100:        gold at rank max(1, int(0.1N)), silver max(1, int(0.2N)), bronze max(1, int(0.4N))
//	100 <= N < 250: gold 10, silver max(1, int(0.2N)), bronze max(1, int(0.4N))
//	250 <= N < 1000: gold 10 + int(0.002N), silver 50, bronze 100
//	N >= 1000:      gold 10 + int(0.002N), silver max(1, int(0.05N)), bronze max(1, int(0.1N))
//
// The median is of all scores (NaN skipped, as pandas does); the direction
// is lower-is-better when the first score is below the last.
func LeaderboardThresholds(scores []float64) (Thresholds, error) {
	n := len(scores)
	if n == 0 {
		return Thresholds{}, fmt.Errorf("leaderboard has no rows")
	}
	at := func(rank int) float64 { return scores[max(1, rank)-1] }
	var gold, silver, bronze int
	switch {
	case n < 100:
		gold, silver, bronze = int(0.1*float64(n)), int(0.2*float64(n)), int(0.4*float64(n))
	case n < 250:
		gold, silver, bronze = 10, int(0.2*float64(n)), int(0.4*float64(n))
	case n < 1000:
		gold, silver, bronze = 10+int(0.002*float64(n)), 50, 100
	default:
		gold, silver, bronze = 10+int(0.002*float64(n)), int(0.05*float64(n)), int(0.1*float64(n))
	}
	return Thresholds{
		Gold:          at(gold),
		Silver:        at(silver),
		Bronze:        at(bronze),
		Median:        median(scores),
		LowerIsBetter: scores[0] < scores[n-1],
	}, nil
}

// median is pandas' Series.median: NaN skipped, mean of the middle two.
func median(xs []float64) float64 {
	v := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}
