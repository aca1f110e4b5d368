package configs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
)

func writeFile(t testing.TB, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaults(t *testing.T) {
	cfg, err := configs.Load(configs.Options{Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Search
	if s.Policy != "mcts" || s.NumDrafts != 5 || s.NumImproves != 3 || s.NumBugs != 1 || s.BackDebugDepth != 3 ||
		s.MaxDebugDepth != 20 || s.MaxImproveFailure != 3 || s.ImprovementThreshold != 1e-4 || s.UCTC != 1.414 ||
		s.UCTCMin != 0.5 || s.Decay != "piecewise" || s.DecayAlpha != 0.01 || s.Workers != 3 || s.Steps != 500 ||
		s.TimeLimit != 12*time.Hour || len(s.PhaseRatios) != 2 || s.PhaseRatios[0] != 0.3 || s.PhaseRatios[1] != 0.7 {
		t.Errorf("search defaults differ from ML-Master's: %+v", s)
	}
	if cfg.Exec.Timeout != 9*time.Hour || cfg.LLM.Code.Temperature != 0.5 || cfg.Scheduler.Kind != "local" {
		t.Errorf("unexpected defaults: exec %+v llm %+v", cfg.Exec, cfg.LLM.Code)
	}
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "c.yaml", "search:\n  uct_c: 0.9\n  workers: 2\n  steps: 50\n")
	cases := []struct {
		name string
		opts configs.Options
		want func(*configs.Config) bool
	}{
		{"file over default", configs.Options{File: file, Env: []string{}},
			func(c *configs.Config) bool { return c.Search.UCTC == 0.9 && c.Search.NumDrafts == 5 }},
		{"set over file", configs.Options{File: file, Sets: []string{"search.uct_c=0.7"}, Env: []string{}},
			func(c *configs.Config) bool { return c.Search.UCTC == 0.7 && c.Search.Workers == 2 }},
		{"env over set", configs.Options{File: file, Sets: []string{"search.workers=4"}, Env: []string{"MLBENCH_SEARCH_WORKERS=6"}},
			func(c *configs.Config) bool { return c.Search.Workers == 6 }},
		{"flag over env", configs.Options{Env: []string{"MLBENCH_SEARCH_STEPS=9"}, Flag: map[string]string{"search.steps": "11"}},
			func(c *configs.Config) bool { return c.Search.Steps == 11 }},
		{"later set wins", configs.Options{Sets: []string{"search.steps=3", "search.steps=4"}, Env: []string{}},
			func(c *configs.Config) bool { return c.Search.Steps == 4 }},
		{"list and duration", configs.Options{Sets: []string{"search.phase_ratios=0.2,0.6", "search.time_limit=1d"}, Env: []string{}},
			func(c *configs.Config) bool {
				return c.Search.PhaseRatios[0] == 0.2 && c.Search.PhaseRatios[1] == 0.6 && c.Search.TimeLimit == 24*time.Hour
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := configs.Load(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(cfg) {
				t.Errorf("unexpected config: %+v", cfg.Search)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	cases := []struct {
		name    string
		opts    configs.Options
		wantMsg []string
	}{
		{"wrong type names key", configs.Options{Sets: []string{"search.uct_c=abc"}}, []string{"search.uct_c", `"abc"`, "number"}},
		{"unknown key suggests", configs.Options{Sets: []string{"search.uctc=1"}}, []string{"unknown key search.uctc", "did you mean search.uct_c"}},
		{"unknown section key", configs.Options{Sets: []string{"search.uct=1"}}, []string{"did you mean search.uct_c"}},
		{"set without =", configs.Options{Sets: []string{"search.uct_c"}}, []string{"key.path=value"}},
		{"bad env", configs.Options{Env: []string{"MLBENCH_SEARCH_WORKRS=2"}}, []string{"MLBENCH_SEARCH_WORKRS", "MLBENCH_SEARCH_WORKERS"}},
		{"env wrong type", configs.Options{Env: []string{"MLBENCH_SEARCH_WORKERS=many"}}, []string{"search.workers", "integer", "MLBENCH_SEARCH_WORKERS"}},
		{"invalid enum", configs.Options{Sets: []string{"search.policy=random"}}, []string{"search.policy", "mcts, greedy"}},
		{"out of range", configs.Options{Sets: []string{"search.workers=0"}}, []string{"search.workers", "at least 1"}},
		{"section as key", configs.Options{Sets: []string{"search=1"}}, []string{"search", "section"}},
		{"missing file", configs.Options{File: "/nonexistent/c.yaml"}, []string{"read config", "/nonexistent/c.yaml"}},
		{"bad yaml", configs.Options{File: writeFile(t, "bad.yaml", "search: [1, 2\n")}, []string{"parse", "bad.yaml"}},
		{"unknown key in file", configs.Options{File: writeFile(t, "u.yaml", "search:\n  num_draft: 2\n")}, []string{"search.num_draft", "search.num_drafts", "line 2"}},
		{"wrong type in file", configs.Options{File: writeFile(t, "w.yaml", "exec:\n  timeout: soon\n")}, []string{"exec.timeout", "duration", "line 2"}},
		{"section not mapping", configs.Options{File: writeFile(t, "s.yaml", "search: 3\n")}, []string{"search", "section"}},
		{"top level not mapping", configs.Options{File: writeFile(t, "l.yaml", "- a\n- b\n")}, []string{"mapping"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opts.Env == nil {
				tc.opts.Env = []string{}
			}
			_, err := configs.Load(tc.opts)
			if err == nil {
				t.Fatal("want error, got nil")
			}
			for _, m := range tc.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
		})
	}
}

func TestUnknownKeyIsTyped(t *testing.T) {
	_, err := configs.Load(configs.Options{Sets: []string{"nope.key=1"}, Env: []string{}})
	var fe *configs.FieldError
	if !errors.As(err, &fe) || !errors.Is(err, configs.ErrUnknownKey) || fe.Field != "nope.key" {
		t.Fatalf("want *FieldError for nope.key wrapping ErrUnknownKey, got %v", err)
	}
}

func TestDumpRoundTrip(t *testing.T) {
	cfg, err := configs.Load(configs.Options{Sets: []string{"search.uct_c=0.8", "exec.env_allow=[PATH]", "llm.prices={m: {prompt: 1.5, completion: 2}}"}, Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := cfg.YAML()
	if err != nil {
		t.Fatal(err)
	}
	back, err := configs.Parse(b, "dump")
	if err != nil {
		t.Fatalf("dump does not load back: %v\n%s", err, b)
	}
	b2, _ := back.YAML()
	if string(b) != string(b2) {
		t.Errorf("round trip differs:\n%s\n---\n%s", b, b2)
	}
	if back.Search.UCTC != 0.8 || back.LLM.Prices["m"].Prompt != 1.5 || len(back.Exec.EnvAllow) != 1 {
		t.Errorf("values lost in round trip: %+v", back.Search)
	}
}

func TestEveryKeyHasEnvAndDefaultLine(t *testing.T) {
	def := string(configs.DefaultYAML())
	for _, k := range configs.Keys() {
		last := k[strings.LastIndexByte(k, '.')+1:]
		if !strings.Contains(def, last+":") {
			t.Errorf("key %s is not documented in default.yaml", k)
		}
		if !strings.HasPrefix(configs.EnvName(k), "MLBENCH_") {
			t.Errorf("bad env name for %s", k)
		}
	}
}

func TestParseBytes(t *testing.T) {
	cases := map[string]int64{"512M": 512 << 20, "16G": 16 << 30, "1024": 1024, "2GiB": 2 << 30, "1.5K": 1536}
	for in, want := range cases {
		got, err := configs.ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1G", "G"} {
		if _, err := configs.ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) accepted", in)
		}
	}
}

func FuzzLoadYAML(f *testing.F) {
	f.Add("search:\n  uct_c: 0.5\n")
	f.Add("exec: {timeout: 3h, env_allow: [A]}\n")
	f.Add("llm:\n  prices: {a: {prompt: 1}}\n")
	f.Fuzz(func(t *testing.T, body string) {
		cfg, err := configs.Parse([]byte(body), "fuzz")
		if err != nil {
			return
		}
		b, err := cfg.YAML()
		if err != nil {
			t.Fatalf("valid config does not encode: %v", err)
		}
		if _, err := configs.Parse(b, "dump"); err != nil {
			t.Fatalf("dump of a valid config does not load back: %v\n%s", err, b)
		}
	})
}
