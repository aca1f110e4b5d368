package search_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/internal/filled"
	"github.com/mlbench/mlbench/search"
)

// TestConfigFromMapsEveryKey: every key of the user's search section
// reaches the search (a key ConfigFrom dropped would be silently ignored,
// by run and by every point of a sweep over it), and the search keeps its
// own copy. Coder is the harness's key.
func TestConfigFromMapsEveryKey(t *testing.T) {
	unset := search.ConfigFrom(configs.Search{})
	for _, key := range filled.Fields(&configs.Search{}) {
		if key == "Coder" {
			continue
		}
		var user configs.Search
		if err := filled.One(&user, key); err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(search.ConfigFrom(user), unset) {
			t.Errorf("search.%s does not reach the search", key)
		}
	}
	user := configs.Search{PhaseRatios: []float64{0.5}}
	cfg := search.ConfigFrom(user)
	user.PhaseRatios[0]++
	if cfg.PhaseRatios[0] == user.PhaseRatios[0] {
		t.Error("the search shares the config's phase ratios")
	}
}

func TestConfigFromDefaults(t *testing.T) {
	cfg := defaults(t)
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the default config does not validate: %v", err)
	}
	if cfg.Policy != search.PolicyMCTS || cfg.Reward != search.RewardIntended || cfg.Decay != search.DecayPiecewise {
		t.Errorf("defaults %s/%s/%s, want mcts/intended/piecewise", cfg.Policy, cfg.Reward, cfg.Decay)
	}
	if cfg.NumDrafts != 5 || cfg.NumImproves != 3 || cfg.NumBugs != 1 || cfg.UCTC != 1.414 {
		t.Errorf("defaults %+v differ from ML-Master's", cfg)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name  string
		mod   func(*search.Config)
		field string // "" = valid
	}{
		{"defaults", func(*search.Config) {}, ""},
		{"greedy", func(c *search.Config) { c.Policy = search.PolicyGreedy }, ""},
		{"linear needs no phases", func(c *search.Config) { c.Decay = search.DecayLinear; c.PhaseRatios = nil }, ""},
		{"unknown policy", func(c *search.Config) { c.Policy = "beam" }, "search.policy"},
		{"unknown reward", func(c *search.Config) { c.Reward = "v2" }, "search.reward"},
		{"unknown decay", func(c *search.Config) { c.Decay = "cosine" }, "search.decay"},
		{"no drafts", func(c *search.Config) { c.NumDrafts = 0 }, "search.num_drafts"},
		{"no workers", func(c *search.Config) { c.Workers = 0 }, "search.workers"},
		{"no steps", func(c *search.Config) { c.Steps = -1 }, "search.steps"},
		{"debug prob above 1", func(c *search.Config) { c.DebugProb = 1.5 }, "search.debug_prob"},
		{"floor above C0", func(c *search.Config) { c.UCTCMin = 2 }, "search.uct_c_min"},
		{"exponential alpha of 1", func(c *search.Config) { c.Decay = search.DecayExponential; c.DecayAlpha = 1 }, "search.decay_alpha"},
		{"phases out of order", func(c *search.Config) { c.PhaseRatios = []float64{0.8, 0.2} }, "search.phase_ratios"},
		{"one phase", func(c *search.Config) { c.PhaseRatios = []float64{0.3} }, "search.phase_ratios"},
		{"negative threshold", func(c *search.Config) { c.ImprovementThreshold = -1 }, "search.improvement_threshold"},
		{"negative time limit", func(c *search.Config) { c.TimeLimit = -time.Second }, "search.time_limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := defaults(t)
			tc.mod(&cfg)
			err := cfg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ce *search.ConfigError
			if !errors.As(err, &ce) || ce.Field != tc.field {
				t.Fatalf("err %v, want a ConfigError for %s", err, tc.field)
			}
		})
	}
}
