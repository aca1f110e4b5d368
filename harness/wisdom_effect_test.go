package harness_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/results"
)

var wisdomEffectFull = flag.Bool("wisdom-effect-full", false, "TestWisdomEffect: all demo tasks, 12 steps (the figures of the README)")

// curve is the best validation metric after each node of one item, in
// step order (NaN until the first valid node).
func curve(t *testing.T, itemDir string, lower bool) []float64 {
	t.Helper()
	rows, err := results.NewReader(nil).Nodes(context.Background(), itemDir, "step", "metric", "is_buggy")
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Step < rows[j].Step })
	out := make([]float64, len(rows))
	best := math.NaN()
	for i, r := range rows {
		if !r.IsBuggy && r.Metric != nil && (math.IsNaN(best) || (*r.Metric < best) == lower && *r.Metric != best) {
			best = *r.Metric
		}
		out[i] = best
	}
	return out
}

// reach is the 1-based number of nodes after which c is at least as good
// as target (len(c)+1 when never).
func reach(c []float64, target float64, lower bool) int {
	for i, v := range c {
		if !math.IsNaN(v) && (v == target || (v < target) == lower) {
			return i + 1
		}
	}
	return len(c) + 1
}

// TestWisdomEffect runs demo tasks twice with the offline baseline coder
// and the same seed (so the same hold-out split): first reading no wisdom
// (writing it), then with the first run's wisdom. On most tasks the second
// run must reach the first's best validation metric in fewer nodes, or end
// better at the same number of nodes.
func TestWisdomEffect(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Python pipelines")
	}
	needPython(t)
	ids, steps := []string{"demo-binary-auc", "demo-regression-rmse"}, 3
	if *wisdomEffectFull {
		ids, steps = task.DemoIDs(), 12
	}
	cfg := testConfig(t, "search.coder=baseline", "search.workers=1", fmt.Sprintf("search.steps=%d", steps), "memory.wisdom.top_k=0")
	var tasks []task.Task
	for _, id := range ids {
		tasks = append(tasks, demoTask(t, cfg, id))
	}
	runOnce := func(label string) []*harness.Run {
		t.Helper()
		run, err := harness.Plan(harness.PlanRequest{Tasks: tasks, Seeds: 1, Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		for i := range tasks {
			out, err := harness.RunItem(context.Background(), run, i, harness.ItemOptions{})
			if err != nil || out.Status.State != results.StateDone {
				t.Fatalf("%s item %d: %v %+v", label, i, err, out.Status)
			}
		}
		return []*harness.Run{run}
	}
	first := runOnce("first run")[0]
	cfg.Memory.Wisdom.TopK, cfg.Memory.Wisdom.IncludeSameTask = 3, true
	second := runOnce("second run")[0]

	wins := 0
	var table strings.Builder
	fmt.Fprintf(&table, "%-26s %-9s %-12s %-12s %-12s %s\n", "task", "metric", "first best", "first nodes", "second nodes", "second best")
	for i, tk := range tasks {
		a := curve(t, first.ItemDir(i), tk.LowerIsBetter)
		b := curve(t, second.ItemDir(i), tk.LowerIsBetter)
		if len(a) == 0 || len(b) == 0 || math.IsNaN(a[len(a)-1]) {
			t.Fatalf("%s: no valid node (first %v, second %v)", tk.ID, a, b)
		}
		target := a[len(a)-1]
		ra, rb := reach(a, target, tk.LowerIsBetter), reach(b, target, tk.LowerIsBetter)
		end := b[min(len(a), len(b))-1]
		better := !math.IsNaN(end) && end != target && (end < target) == tk.LowerIsBetter
		if rb < ra || better {
			wins++
		}
		fmt.Fprintf(&table, "%-26s %-9s %-12.6g %-12d %-12d %.6g\n", tk.ID, tk.Metric, target, ra, rb, end)
	}
	t.Logf("best validation metric and the nodes needed to reach the first run's best (%d steps):\n%s", steps, table.String())
	if wins*2 <= len(tasks) {
		t.Errorf("the second run (with the first's wisdom) did better on %d of %d tasks, want most", wins, len(tasks))
	}
}
