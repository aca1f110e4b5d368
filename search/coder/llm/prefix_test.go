package llm_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/memory"
	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/llm"
)

// writeShipments writes a public folder like the one the description in
// testdata/TestPrefixShare describes.
func writeShipments(t testing.TB, dir string) {
	t.Helper()
	rng := rand.New(rand.NewSource(1))
	header := "shipment_id,booked_days_ahead,spaceport,vehicle,station,mass_kg,volume_m3,cargo_class,window_hours,weather_index,crew_shift,launch_date,previous_delays,customer_tier"
	pick := func(vs ...string) string { return vs[rng.Intn(len(vs))] }
	row := func(id int) string {
		return fmt.Sprintf("%d,%d,%s,V%d,S%d,%.1f,%.2f,%s,%d,%.1f,%s,2031-%02d-%02d,%d,%s", id, rng.Intn(90), pick("KSC", "BAI", "KOU", "TAN"),
			rng.Intn(12), rng.Intn(7), 100+rng.Float64()*9000, rng.Float64()*40, pick("hazardous", "perishable", "standard", "priority"),
			1+rng.Intn(12), rng.Float64()*10, pick("day", "evening", "night"), 1+rng.Intn(12), 1+rng.Intn(28), rng.Intn(5), pick("bronze", "silver", "gold"))
	}
	var train, test, sample strings.Builder
	train.WriteString(header + ",late\n")
	test.WriteString(header + "\n")
	sample.WriteString("shipment_id,late\n")
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&train, "%s,%d\n", row(i), rng.Intn(2))
		fmt.Fprintf(&test, "%s\n", row(10000+i))
		fmt.Fprintf(&sample, "%d,0.5\n", 10000+i)
	}
	for name, s := range map[string]string{"train.csv": train.String(), "test.csv": test.String(), "sample_submission.csv": sample.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func memNode(n search.NodeSnapshot) memory.Node {
	return memory.Node{ID: n.ID, ParentID: n.ParentID, Step: n.Step, Stage: memory.Stage(n.Stage), Plan: n.Plan,
		Code: n.Code, Output: n.Output, Summary: n.Summary, Metric: n.Metric, IsBuggy: n.IsBuggy, Error: n.Error}
}

func memNodes(ns []search.NodeSnapshot) []memory.Node {
	out := make([]memory.Node, len(ns))
	for i, n := range ns {
		out[i] = memNode(n)
	}
	return out
}

// TestPrefixShare measures how much of each prompt of one task repeats a
// prefix of an earlier prompt (what OpenAI, DeepSeek and vLLM cache and
// bill at a fraction) over a search of drafts, improvements and fixes, with
// the memory rendered as the harness renders it (package memory, L3 and L2
// before L1). Goal: at least 80% of the prompt characters.
func TestPrefixShare(t *testing.T) {
	desc, err := os.ReadFile(filepath.Join("testdata", "TestPrefixShare", "description.md"))
	if err != nil {
		t.Fatal(err)
	}
	pub := t.TempDir()
	writeShipments(t, pub)
	preview, err := llm.Preview(pub, 6000)
	if err != nil {
		t.Fatal(err)
	}
	const calls = 12
	steps := make([]step, calls)
	for i := range steps {
		steps[i] = reply(goodReply)
	}
	srv := newServer(t, steps...)
	e := newEnv(t, srv.url())
	e.task.Title, e.task.Description, e.task.DataPreview = "Orbital Freight Delays", string(desc), preview
	e.task.Metric = "roc_auc"
	e.task.Packages = []string{"lightgbm 4.5.0", "numpy 2.1.3", "pandas 2.2.3", "scikit-learn 1.5.2", "torch 2.5.1", "xgboost 2.1.3"}
	knowledge := ""
	wisdom := "What worked on 2 similar earlier tasks, most similar first. Their data differ from this task's: adapt what fits, do not copy.\n" +
		"1. airline-delays (tabular; metric roc_auc, higher is better): best design: LightGBM on route, carrier and hour features with target encoding (metric 0.78). Models: lightgbm.\n" +
		"2. freight-eta (tabular; metric rmse, lower is better): best design: gradient boosting on distance and weather (metric 3.1). Models: xgboost.\n"
	e.opts.Memory = llm.ContextFunc(func(req search.Request) string {
		r := memory.Request{Stage: memory.Stage(req.Stage), Drafts: memNodes(req.Drafts), Siblings: memNodes(req.Siblings),
			Attempts: memNodes(req.DebugChain), Knowledge: knowledge, Budget: 24000}
		if req.Parent != nil {
			r.Target = memNode(*req.Parent)
		}
		if req.Stage == search.StageDraft {
			r.Wisdom = wisdom
		}
		return memory.Context(r)
	})
	c, _ := e.build(t)
	code := func(model string) string {
		return "import pandas as pd\nfrom sklearn.model_selection import train_test_split\nfrom sklearn.metrics import roc_auc_score\n" +
			strings.Repeat("train['f'] = train['mass_kg'] / (train['volume_m3'] + 1)\n", 12) + "model = " + model + "\nmodel.fit(X, y)\nprint('validation_metric:', roc_auc_score(yv, model.predict_proba(Xv)[:, 1]))\n"
	}
	m := func(v float64) *float64 { return &v }
	var drafts []search.NodeSnapshot
	ctx := context.Background()
	for i, model := range []string{"LogisticRegression()", "RandomForestClassifier()", "LGBMClassifier()"} {
		if _, err := c.Draft(ctx, search.Request{Stage: search.StageDraft, NodeID: fmt.Sprint(i + 1), Drafts: drafts, StepsLeft: 40 - i}); err != nil {
			t.Fatal(err)
		}
		drafts = append(drafts, search.NodeSnapshot{ID: fmt.Sprint(i + 1), Stage: search.StageDraft, Plan: "A " + model + " on all columns.",
			Code: code(model), Output: "training...\nvalidation_metric: 0.7" + fmt.Sprint(i), Summary: "Works.", Metric: m(0.70 + float64(i)/100)})
	}
	knowledge = "After 3 nodes (3 valid, 0 buggy); metric: higher is better.\nBest designs so far:\n1. node 3 (draft), metric 0.72: LGBMClassifier on all columns. Models: lightgbm.\n"
	parent := drafts[2]
	var siblings []search.NodeSnapshot
	for i := 0; i < 5; i++ {
		id := fmt.Sprint(4 + i)
		if _, err := c.Improve(ctx, search.Request{Stage: search.StageImprove, NodeID: id, Parent: &parent, Siblings: siblings, Best: &parent, StepsLeft: 37 - i}); err != nil {
			t.Fatal(err)
		}
		siblings = append(siblings, search.NodeSnapshot{ID: id, ParentID: parent.ID, Stage: search.StageImprove, Plan: "Tune the learning rate, try " + id + ".",
			Code: code("LGBMClassifier(learning_rate=0.0" + id + ")"), Output: "validation_metric: 0.71", Metric: m(0.71)})
	}
	buggy := search.NodeSnapshot{ID: "9", ParentID: "3", Stage: search.StageImprove, Plan: "Add weather interactions.", Code: code("LGBMClassifier()"),
		Output: "Traceback (most recent call last):\n  File \"runfile.py\", line 7\nKeyError: 'weather'", IsBuggy: true, Error: "KeyError: 'weather'"}
	for i := 0; i < 4; i++ {
		req := search.Request{Stage: search.StageDebug, NodeID: fmt.Sprint(10 + i), Parent: &buggy, StepsLeft: 32 - i}
		if _, err := c.Debug(ctx, req); err != nil {
			t.Fatal(err)
		}
	}

	var prompts []string
	for _, r := range srv.requests() {
		var b strings.Builder
		for _, msg := range messages(r) {
			b.WriteString(msg["role"].(string) + "\x00" + content(msg) + "\x00")
		}
		prompts = append(prompts, b.String())
	}
	if len(prompts) != calls {
		t.Fatalf("%d prompts, want %d", len(prompts), calls)
	}
	shared, total := 0, 0
	for i := 1; i < len(prompts); i++ {
		best := 0
		for j := 0; j < i; j++ {
			best = max(best, commonPrefix(prompts[i], prompts[j]))
		}
		shared += best
		total += len(prompts[i])
	}
	frac := float64(shared) / float64(total)
	t.Logf("shared prefix: %d of %d prompt characters (%.1f%%) over %d calls", shared, total, 100*frac, len(prompts)-1)
	if frac < 0.80 {
		t.Errorf("shared prefix is %.1f%% of the prompt characters, want at least 80%%", 100*frac)
	}
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
