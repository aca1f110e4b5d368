package memory_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mlbench/mlbench/memory"
)

const knowledgeText = "After 8 nodes (4 valid, 4 buggy); metric: lower is better.\nBest designs so far:\n1. node i1 (improve), metric 0.4: Add target encoding of the categorical columns.\n"

const wisdomText = "What worked on 1 similar earlier tasks, most similar first.\n1. house-prices (tabular; metric rmse, lower is better): best design: LightGBM with log target (metric 0.12, medal silver).\n"

// requests are the expansions the golden tests cover, by name.
func requests() map[string]memory.Request {
	n := tree()
	return map[string]memory.Request{
		"draft_first": {Stage: memory.StageDraft, Wisdom: wisdomText, LowerIsBetter: true},
		"draft":       {Stage: memory.StageDraft, Drafts: pick(n, "d1", "d2", "d3"), Knowledge: knowledgeText, LowerIsBetter: true},
		"improve": {Stage: memory.StageImprove, Target: n["d1"], Siblings: pick(n, "i1", "i2", "i3"),
			Knowledge: knowledgeText, LowerIsBetter: true},
		"improve_no_siblings": {Stage: memory.StageImprove, Target: n["d3"], LowerIsBetter: true},
		"debug": {Stage: memory.StageDebug, Target: n["b2"], Attempts: pick(n, "d2", "b1"),
			Review: "The fix reads the header but then fails on a string column: encode categoricals before fitting.", LowerIsBetter: true},
		"debug_first": {Stage: memory.StageDebug, Target: n["d2"], Review: "Column 'a' does not exist in train.csv.", LowerIsBetter: true},
	}
}

func TestContext(t *testing.T) {
	for name, req := range requests() {
		t.Run(name, func(t *testing.T) {
			golden(t, name, memory.Context(req))
		})
	}
}

func TestContextTruncation(t *testing.T) {
	reqs := requests()
	full := func(name string) int { r := reqs[name]; r.Budget = 0; return len(memory.Context(r)) }
	tests := []struct {
		name, req string
		budget    int
	}{
		// Just under the full length: only the oldest sibling's output is elided.
		{"improve_slightly_over", "improve", full("improve") - 40},
		// Sibling outputs and codes go, the parent stays whole.
		{"improve_half", "improve", full("improve") / 2},
		// Everything about siblings is gone and the parent's code is elided.
		{"improve_small", "improve", 1400},
		{"debug_small", "debug", 1500},
		{"draft_small", "draft", 500},
		// Smaller than the instruction lines: those are never cut.
		{"debug_tiny", "debug", 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := reqs[tc.req]
			req.Budget = tc.budget
			got := memory.Context(req)
			golden(t, tc.name, got)
			if tc.name != "debug_tiny" && len(got) > tc.budget {
				t.Errorf("context is %d bytes, budget %d", len(got), tc.budget)
			}
		})
	}
}

// TestContextOrder checks the documented truncation order on the improve
// context as the budget shrinks, by counting marker strings: "fold 2: rmse
// 0.302" is in the outputs of d1 (the parent), i1 and i2; "fold 7" only in
// i2's output; "train['f7']" only in i1's code; "feature 5" in the code of
// d1, i1, i2 and i3.
func TestContextOrder(t *testing.T) {
	req := requests()["improve"]
	full := len(memory.Context(req))
	tests := []struct {
		name   string
		budget int
		counts map[string]int
	}{
		{"full", 0, map[string]int{"fold 2: rmse 0.302": 3, "fold 7": 1, "train['f7']": 1, "feature 5": 4, "what this task has taught": 1}},
		{"oldest output elided first", full - 30, map[string]int{"fold 2: rmse 0.302": 2, "chars elided": 1, "fold 7": 1, "ValueError: Input X contains NaN.\n```": 1}},
		{"all sibling outputs before any code", full - 450, map[string]int{"fold 2: rmse 0.302": 1, "fold 7": 0, "Output:": 1, "train['f7']": 1, "feature 5": 4}},
		{"oldest code before newer code", full - 700, map[string]int{"train['f7']": 0, "feature 5": 3, "Output:": 1}},
		{"knowledge before sibling entries", full - 2800, map[string]int{"#### node": 3, "(task knowledge omitted for length)": 1, "what this task has taught": 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := req
			req.Budget = tc.budget
			got := memory.Context(req)
			for s, want := range tc.counts {
				if n := strings.Count(got, s); n != want {
					t.Errorf("%q occurs %d times, want %d", s, n, want)
				}
			}
			if tc.budget > 0 && len(got) > tc.budget {
				t.Errorf("context is %d bytes, budget %d", len(got), tc.budget)
			}
		})
	}
}

// TestContextBudgetSweep checks every budget between the smallest possible
// context and the full one: never over budget, instructions always whole.
func TestContextBudgetSweep(t *testing.T) {
	for name, req := range requests() {
		t.Run(name, func(t *testing.T) {
			req.Budget = 0
			full := memory.Context(req)
			req.Budget = 1
			floor := len(memory.Context(req))
			l1 := full[strings.Index(full, "## L1 "):]
			instruction := strings.SplitN(l1, "\n", 3)[1]
			for b := floor; b <= len(full)+10; b += 7 {
				req.Budget = b
				got := memory.Context(req)
				if len(got) > b {
					t.Fatalf("budget %d: got %d bytes", b, len(got))
				}
				if !strings.Contains(got, instruction) {
					t.Fatalf("budget %d: instruction line lost", b)
				}
			}
		})
	}
}

func FuzzContext(f *testing.F) {
	f.Add("plan", "print(1)\n", "Traceback\nValueError: x\n", "review", 300, 2)
	f.Add("é", strings.Repeat("ü", 500), strings.Repeat("日本", 400), "", 120, 3)
	f.Fuzz(func(t *testing.T, plan, code, out, review string, budget, siblings int) {
		for _, s := range []string{plan, code, out, review} {
			if !utf8.ValidString(s) {
				t.Skip()
			}
		}
		target := memory.Node{ID: "t", Plan: plan, Code: code, Output: out, IsBuggy: true}
		var hist []memory.Node
		for i := 0; i < siblings%5; i++ {
			hist = append(hist, memory.Node{ID: "s" + itoa(i), Plan: plan, Code: code, Output: out})
		}
		for _, st := range []memory.Stage{memory.StageDraft, memory.StageImprove, memory.StageDebug} {
			req := memory.Request{Stage: st, Target: target, Drafts: hist, Siblings: hist, Attempts: hist, Review: review, Knowledge: out, Wisdom: plan, Budget: 1}
			floor := len(memory.Context(req))
			req.Budget = budget
			got := memory.Context(req)
			if budget > 0 && len(got) > max(budget, floor) {
				t.Fatalf("%s: %d bytes over budget %d (floor %d)", st, len(got), budget, floor)
			}
			if !utf8.ValidString(got) {
				t.Fatalf("%s: invalid UTF-8", st)
			}
		}
	})
}
