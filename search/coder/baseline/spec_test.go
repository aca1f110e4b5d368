package baseline_test

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

// newCoder builds a coder over a synthetic task (no Python needed).
func newCoder(tb testing.TB, kind string, task baseline.Task) *baseline.Coder {
	tb.Helper()
	dir := tb.TempDir()
	synthTask{kind: kind, n: 400}.write(tb, dir)
	task.ID, task.PublicDir = kind, dir
	c, err := baseline.New(task, 7)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return c
}

func TestSpecRoundTrip(t *testing.T) {
	rf := baseline.Spec{Version: 1, Family: "rf", Seed: 3,
		Params: map[string]any{"n_estimators": 300, "max_features": 0.5, "max_depth": nil, "class_weight": "balanced", "bootstrap": true},
		Prep: baseline.Prep{Encoding: "ordinal", RareMin: 5, MaxLevels: 1000, Impute: "median", Scale: "none",
			Dates: "features", Text: "drop", Drop: []string{"it's", `a "quoted" col`, "naïve ''' name", `back\slash`}, MaxRows: 5000},
		Move: "more_trees", History: []string{"more_trees"}}
	hgb := baseline.Spec{Version: 1, Family: "hgb", Seed: 3, Params: map[string]any{"learning_rate": 0.04, "early_stopping": false},
		Prep: baseline.Prep{Encoding: "onehot", Impute: "mean", Indicators: true, Scale: "quantile", LogTarget: true, Interactions: 4, FreqEncoding: true, Strict: true}}
	ens := baseline.Spec{Version: 1, Family: "ensemble", Seed: 3, Members: []baseline.Spec{rf, hgb},
		Weights: []float64{0.667, 0.333}, Sources: []string{"n1", "n7"}, Move: "ensemble_best_two"}
	for _, tc := range []struct {
		name string
		spec baseline.Spec
	}{{"forest with odd column names", rf}, {"boosting", hgb}, {"ensemble", ens}} {
		t.Run(tc.name, func(t *testing.T) {
			code := "import os\n# mlbench-spec: " + tc.spec.Marshal() + "\nprint(1)\n"
			got, err := baseline.ParseSpec(code)
			if err != nil {
				t.Fatalf("ParseSpec: %v", err)
			}
			if !reflect.DeepEqual(got, tc.spec) {
				t.Errorf("round trip changed the spec:\n got %#v\nwant %#v", got, tc.spec)
			}
			if got.Key() != tc.spec.Key() {
				t.Errorf("keys differ after round trip")
			}
		})
	}
}

func TestParseSpecErrors(t *testing.T) {
	cases := []struct {
		name, code string
		noSpec     bool
	}{
		{"llm code", "import pandas as pd\nprint('validation_metric: 1')\n", true},
		{"broken json", "# mlbench-spec: {\"v\":1,\"family\":\n", false},
		{"no family", "# mlbench-spec: {\"v\":1}\n", false},
		{"empty ensemble", "# mlbench-spec: {\"v\":1,\"family\":\"ensemble\"}\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := baseline.ParseSpec(tc.code)
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, baseline.ErrNoSpec); got != tc.noSpec {
				t.Errorf("errors.Is(err, ErrNoSpec) = %t, want %t (err %v)", got, tc.noSpec, err)
			}
		})
	}
}

var specConstRE = regexp.MustCompile(`(?m)^SPEC = json\.loads\(r'''(.*)'''\)$`)

// TestGeneratedCodeCarriesSpec checks that every draft's code carries its
// spec twice (comment line and SPEC constant) and that they agree.
func TestGeneratedCodeCarriesSpec(t *testing.T) {
	c := newCoder(t, "binary", baseline.Task{XGBoost: true})
	var drafts []search.NodeSnapshot
	var fams []string
	for i := range 8 {
		p, err := c.Draft(context.Background(), search.Request{Stage: search.StageDraft, NodeID: "d" + string(rune('0'+i)), Drafts: drafts})
		if err != nil {
			t.Fatal(err)
		}
		s, err := baseline.ParseSpec(p.Code)
		if err != nil {
			t.Fatalf("draft %d: ParseSpec: %v", i, err)
		}
		m := specConstRE.FindStringSubmatch(p.Code)
		if m == nil {
			t.Fatalf("draft %d: no SPEC constant", i)
		}
		if m[1] != s.Marshal() {
			t.Errorf("draft %d: SPEC constant %s differs from the spec line %s", i, m[1], s.Marshal())
		}
		if !strings.Contains(p.Plan, "roc_auc") {
			t.Errorf("draft %d: plan does not name the metric: %s", i, p.Plan)
		}
		fams = append(fams, s.Family)
		drafts = append(drafts, search.NodeSnapshot{ID: "d", Code: p.Code})
	}
	want := []string{"linear", "rf", "hgb", "knn", "et", "xgb"}
	if !reflect.DeepEqual(fams[:6], want) {
		t.Errorf("draft families = %v, want %v first", fams, want)
	}
	// Past the families, drafts vary a preparation and stay distinct.
	seen := map[string]bool{}
	for _, d := range drafts {
		s, _ := baseline.ParseSpec(d.Code)
		if seen[s.Key()] {
			t.Errorf("two drafts with the same pipeline: %s", s.Marshal())
		}
		seen[s.Key()] = true
	}
}

// TestDraftFamiliesFollowTheProbe: with an environment probe, a family is
// drafted only when its package is installed.
func TestDraftFamiliesFollowTheProbe(t *testing.T) {
	cases := []struct {
		name     string
		packages map[string]string
		xgb      bool
	}{
		{"no xgboost", map[string]string{"scikit-learn": "1.2.1", "numpy": "1.24"}, false},
		{"xgboost installed", map[string]string{"scikit-learn": "1.2.1", "xgboost": "2.0.3"}, true},
		{"probe wins over XGBoost", map[string]string{"scikit-learn": "1.2.1"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCoder(t, "binary", baseline.Task{Packages: tc.packages, XGBoost: true})
			var drafts []search.NodeSnapshot
			sawXGB := false
			for range 6 {
				p, err := c.Draft(context.Background(), search.Request{Stage: search.StageDraft, Drafts: drafts})
				if err != nil {
					t.Fatal(err)
				}
				s, _ := baseline.ParseSpec(p.Code)
				sawXGB = sawXGB || s.Family == "xgb"
				drafts = append(drafts, search.NodeSnapshot{Code: p.Code})
			}
			if sawXGB != tc.xgb {
				t.Errorf("xgboost drafted: %v, want %v", sawXGB, tc.xgb)
			}
		})
	}
	if _, err := baseline.New(baseline.Task{PublicDir: t.TempDir(), Packages: map[string]string{"numpy": "1"}}, 1); err == nil {
		t.Error("a sandbox without scikit-learn should be refused")
	}
}

func TestDraftSkipsXGBoostWhenNotImportable(t *testing.T) {
	c := newCoder(t, "regression", baseline.Task{Metric: "rmse"})
	var drafts []search.NodeSnapshot
	for range 6 {
		p, err := c.Draft(context.Background(), search.Request{Stage: search.StageDraft, Drafts: drafts})
		if err != nil {
			t.Fatal(err)
		}
		s, _ := baseline.ParseSpec(p.Code)
		if s.Family == "xgb" {
			t.Fatalf("xgboost drafted though Task.XGBoost is false")
		}
		drafts = append(drafts, search.NodeSnapshot{Code: p.Code})
	}
}
