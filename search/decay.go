package search

import (
	"math"
	"time"
)

// Progress is how far a search has come, the input of ExplorationC.
type Progress struct {
	// Step is the number of nodes finished so far.
	Step int
	// Elapsed is the search time spent so far (across resumes).
	Elapsed time.Duration
}

// ExplorationC returns the UCT exploration constant C for the given
// progress under cfg.Decay, with C0 = cfg.UCTC, floor cfg.UCTCMin and rate
// cfg.DecayAlpha:
//
//   - none: C0.
//   - linear: max(C0 - alpha*t, floor).
//   - exponential: max(C0 * (1-alpha)^t, floor) (ML-Master's gamma = 1-alpha).
//   - piecewise (ML-Master's default): C0 until T1 = min(num_drafts *
//     num_improves^2, round(steps*phase_ratios[0])); then max(C0 -
//     alpha*(t-T1), floor) until T2 = round(steps*phase_ratios[1]); floor
//     after T2.
//   - dynamic (time-aware): estimates the total number of nodes N from the
//     node rate so far and the time left (capped at steps), and applies the
//     phases to the progress p = t/N: C0 while p < phase_ratios[0], then
//     max(C0 - alpha*N*(p-r0)/(r1-r0), floor) while p < phase_ratios[1],
//     then the floor.
func ExplorationC(cfg Config, p Progress) float64 {
	c0, floor, alpha := cfg.UCTC, cfg.UCTCMin, cfg.DecayAlpha
	t := float64(p.Step)
	ratio := func(i int) float64 {
		if i < len(cfg.PhaseRatios) {
			return cfg.PhaseRatios[i]
		}
		return 1
	}
	switch cfg.Decay {
	case DecayLinear:
		return math.Max(c0-alpha*t, floor)
	case DecayExponential:
		return math.Max(c0*math.Pow(1-alpha, t), floor)
	case DecayPiecewise:
		t1 := math.Min(float64(cfg.NumDrafts*cfg.NumImproves*cfg.NumImproves), math.Round(float64(cfg.Steps)*ratio(0)))
		t2 := math.Round(float64(cfg.Steps) * ratio(1))
		switch {
		case t < t1:
			return c0
		case t <= t2:
			return math.Max(c0-alpha*(t-t1), floor)
		default:
			return floor
		}
	case DecayDynamic:
		nEst := float64(cfg.Steps)
		if cfg.TimeLimit > 0 {
			elapsed := p.Elapsed.Seconds()
			remaining := math.Max((cfg.TimeLimit - p.Elapsed).Seconds(), 1e-5)
			speed := 1.0
			if elapsed > 0 {
				speed = t / elapsed
			}
			nEst = math.Min(t+math.Round(speed*remaining), float64(cfg.Steps))
		}
		progress := 0.0
		if nEst > 0 {
			progress = t / nEst
		}
		r0, r1 := ratio(0), ratio(1)
		switch {
		case progress < r0:
			return c0
		case progress < r1:
			return math.Max(c0-alpha*nEst*(progress-r0)/(r1-r0), floor)
		default:
			return floor
		}
	default:
		return c0
	}
}
