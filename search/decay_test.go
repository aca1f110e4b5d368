package search_test

import (
	"math"
	"testing"
	"time"

	"github.com/mlbench/mlbench/search"
)

func TestExplorationC(t *testing.T) {
	base := func(d search.Decay, alpha float64, steps int, limit time.Duration) search.Config {
		return search.Config{
			Decay: d, UCTC: 1.414, UCTCMin: 0.5, DecayAlpha: alpha,
			NumDrafts: 5, NumImproves: 3, Steps: steps, PhaseRatios: []float64{0.3, 0.7}, TimeLimit: limit,
		}
	}
	cases := []struct {
		name    string
		cfg     search.Config
		step    int
		elapsed time.Duration
		want    float64
	}{
		{"none stays at C0", base(search.DecayNone, 0.01, 500, 0), 400, 0, 1.414},

		{"linear at start", base(search.DecayLinear, 0.01, 500, 0), 0, 0, 1.414},
		{"linear after 50 steps", base(search.DecayLinear, 0.01, 500, 0), 50, 0, 0.914},
		{"linear floors at uct_c_min", base(search.DecayLinear, 0.01, 500, 0), 100, 0, 0.5},

		{"exponential at start", base(search.DecayExponential, 0.01, 500, 0), 0, 0, 1.414},
		{"exponential after 10 steps", base(search.DecayExponential, 0.01, 500, 0), 10, 0, 1.414 * math.Pow(0.99, 10)},
		{"exponential floors", base(search.DecayExponential, 0.01, 500, 0), 200, 0, 0.5},

		// T1 = min(5*3^2, round(500*0.3)) = 45, T2 = 350.
		{"piecewise before T1", base(search.DecayPiecewise, 0.01, 500, 0), 44, 0, 1.414},
		{"piecewise at T1", base(search.DecayPiecewise, 0.01, 500, 0), 45, 0, 1.414},
		{"piecewise decaying", base(search.DecayPiecewise, 0.01, 500, 0), 100, 0, 1.414 - 0.55},
		{"piecewise decayed to floor", base(search.DecayPiecewise, 0.01, 500, 0), 200, 0, 0.5},
		{"piecewise after T2", base(search.DecayPiecewise, 0.01, 500, 0), 351, 0, 0.5},
		// steps=100: T1 = min(45, 30) = 30, T2 = 70.
		{"piecewise short run before T1", base(search.DecayPiecewise, 0.01, 100, 0), 29, 0, 1.414},
		{"piecewise short run mid", base(search.DecayPiecewise, 0.01, 100, 0), 50, 0, 1.214},
		{"piecewise short run at T2", base(search.DecayPiecewise, 0.01, 100, 0), 70, 0, 1.014},
		{"piecewise short run after T2", base(search.DecayPiecewise, 0.01, 100, 0), 71, 0, 0.5},

		// Without a time limit the total is the step budget (500).
		{"dynamic early", base(search.DecayDynamic, 0.001, 500, 0), 100, 0, 1.414},
		{"dynamic mid", base(search.DecayDynamic, 0.001, 500, 0), 200, 0, 1.414 - 0.001*500*0.25},
		{"dynamic late", base(search.DecayDynamic, 0.001, 500, 0), 400, 0, 0.5},
		// 10h limit: 50 nodes in 1h predicts 500 in all: progress 0.1.
		{"dynamic fast run", base(search.DecayDynamic, 0.001, 500, 10*time.Hour), 50, time.Hour, 1.414},
		// 100 nodes in 5h predicts 200 in all: progress 0.5, so decaying,
		// where the step count alone (0.2) would not be.
		{"dynamic slow run", base(search.DecayDynamic, 0.001, 500, 10*time.Hour), 100, 5 * time.Hour, 1.414 - 0.001*200*0.5},
		{"dynamic out of time", base(search.DecayDynamic, 0.001, 500, 10*time.Hour), 100, 11 * time.Hour, 0.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := search.ExplorationC(tc.cfg, search.Progress{Step: tc.step, Elapsed: tc.elapsed})
			if math.Abs(got-tc.want) > 1e-9 {
				t.Errorf("C = %.6f, want %.6f", got, tc.want)
			}
		})
	}
}

func TestExplorationCNeverIncreases(t *testing.T) {
	for _, d := range []search.Decay{search.DecayNone, search.DecayLinear, search.DecayExponential, search.DecayPiecewise, search.DecayDynamic} {
		cfg := search.Config{Decay: d, UCTC: 1.414, UCTCMin: 0.5, DecayAlpha: 0.01, NumDrafts: 5, NumImproves: 3, Steps: 500, PhaseRatios: []float64{0.3, 0.7}}
		prev := math.Inf(1)
		for step := 0; step <= 600; step++ {
			c := search.ExplorationC(cfg, search.Progress{Step: step})
			if c > prev+1e-12 || c < cfg.UCTCMin || c > cfg.UCTC {
				t.Fatalf("%s: C(%d) = %v after %v, want non-increasing within [min, C0]", d, step, c, prev)
			}
			prev = c
		}
	}
}
