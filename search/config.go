package search

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/mlbench/mlbench/configs"
)

// RewardMode names a reward rule for backpropagation.
type RewardMode string

// The reward rules.
const (
	// RewardIntended: buggy -1, working +1, a new global best +1 more.
	RewardIntended RewardMode = "intended"
	// RewardMLMasterV1 reproduces ML-Master's published code, whose global
	// best is never set: buggy -1, working +1, never a bonus.
	RewardMLMasterV1 RewardMode = "ml-master-v1"
)

// Decay names a schedule of the UCT exploration constant.
type Decay string

// The decay schedules (see ExplorationC).
const (
	DecayPiecewise   Decay = "piecewise"
	DecayLinear      Decay = "linear"
	DecayExponential Decay = "exponential"
	DecayDynamic     Decay = "dynamic"
	DecayNone        Decay = "none"
)

// Config is the search configuration. ConfigFrom builds it from the
// search section of the user's config; the fields below the line are not
// user keys but facts the harness knows.
type Config struct {
	Policy               PolicyName
	Reward               RewardMode
	NumDrafts            int
	NumImproves          int
	NumBugs              int
	BackDebugDepth       int
	MaxDebugDepth        int
	MaxImproveFailure    int
	ImprovementThreshold float64
	ContinueImprove      bool
	DebugProb            float64
	UCTC                 float64
	UCTCMin              float64
	Decay                Decay
	DecayAlpha           float64
	PhaseRatios          []float64
	Workers              int
	Steps                int
	// TimeLimit is the wall-clock budget of the task-run (0 = none).
	TimeLimit time.Duration

	// LowerIsBetter is the metric direction when the grader knows it; nil
	// lets the search lock it from the first valid reviews.
	LowerIsBetter *bool
	// Seed makes the greedy policy's coin flips reproducible.
	Seed uint64
}

// ConfigFrom converts the user's search section. Keys that only the
// harness interprets (coder) are ignored.
func ConfigFrom(s configs.Search) Config {
	return Config{
		Policy:               PolicyName(s.Policy),
		Reward:               RewardMode(s.Reward),
		NumDrafts:            s.NumDrafts,
		NumImproves:          s.NumImproves,
		NumBugs:              s.NumBugs,
		BackDebugDepth:       s.BackDebugDepth,
		MaxDebugDepth:        s.MaxDebugDepth,
		MaxImproveFailure:    s.MaxImproveFailure,
		ImprovementThreshold: s.ImprovementThreshold,
		ContinueImprove:      s.ContinueImprove,
		DebugProb:            s.DebugProb,
		UCTC:                 s.UCTC,
		UCTCMin:              s.UCTCMin,
		Decay:                Decay(s.Decay),
		DecayAlpha:           s.DecayAlpha,
		PhaseRatios:          append([]float64(nil), s.PhaseRatios...),
		Workers:              s.Workers,
		Steps:                s.Steps,
		TimeLimit:            s.TimeLimit,
	}
}

// ConfigError names the search key that is wrong.
type ConfigError struct {
	Field string // user key, e.g. "search.num_drafts"
	Value any
	Err   error
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid %s=%v: %v", e.Field, e.Value, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Validate reports the first invalid field.
func (c Config) Validate() error {
	bad := func(field string, v any, msg string) error {
		return &ConfigError{Field: "search." + field, Value: v, Err: errors.New(msg)}
	}
	if policyOf(c.Policy) == nil {
		return bad("policy", c.Policy, "want "+strings.Join(Policies(), " or "))
	}
	switch c.Reward {
	case RewardIntended, RewardMLMasterV1:
	default:
		return bad("reward", c.Reward, "want intended or ml-master-v1")
	}
	switch c.Decay {
	case DecayPiecewise, DecayLinear, DecayExponential, DecayDynamic, DecayNone:
	default:
		return bad("decay", c.Decay, "want piecewise, linear, exponential, dynamic or none")
	}
	positive := []struct {
		name string
		v    int
	}{
		{"num_drafts", c.NumDrafts}, {"num_improves", c.NumImproves}, {"num_bugs", c.NumBugs},
		{"back_debug_depth", c.BackDebugDepth}, {"max_debug_depth", c.MaxDebugDepth},
		{"max_improve_failure", c.MaxImproveFailure}, {"workers", c.Workers}, {"steps", c.Steps},
	}
	for _, p := range positive {
		if p.v < 1 {
			return bad(p.name, p.v, "must be at least 1")
		}
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(c.ImprovementThreshold) || c.ImprovementThreshold < 0 {
		return bad("improvement_threshold", c.ImprovementThreshold, "must be a finite number >= 0")
	}
	if !finite(c.DebugProb) || c.DebugProb < 0 || c.DebugProb > 1 {
		return bad("debug_prob", c.DebugProb, "must be in [0, 1]")
	}
	if !finite(c.UCTC) || c.UCTC < 0 {
		return bad("uct_c", c.UCTC, "must be a finite number >= 0")
	}
	if !finite(c.UCTCMin) || c.UCTCMin < 0 || c.UCTCMin > c.UCTC {
		return bad("uct_c_min", c.UCTCMin, "must be in [0, uct_c]")
	}
	if !finite(c.DecayAlpha) || c.DecayAlpha < 0 || (c.Decay == DecayExponential && c.DecayAlpha >= 1) {
		return bad("decay_alpha", c.DecayAlpha, "must be a finite number >= 0 (and < 1 for exponential decay)")
	}
	if c.Decay == DecayPiecewise || c.Decay == DecayDynamic {
		if len(c.PhaseRatios) != 2 || !(0 <= c.PhaseRatios[0] && c.PhaseRatios[0] <= c.PhaseRatios[1] && c.PhaseRatios[1] <= 1) {
			return bad("phase_ratios", c.PhaseRatios, "want two fractions 0 <= a <= b <= 1")
		}
	}
	if c.TimeLimit < 0 {
		return bad("time_limit", c.TimeLimit, "must not be negative")
	}
	return nil
}
