package grader

import (
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// CustomTask describes a user's own task (or a demo task) in MLE-Bench
// layout, graded by a built-in metric kind instead of a registered
// competition grader.
type CustomTask struct {
	ID string
	// Metric is one of CustomMetrics(); "map_at_K" (e.g. map_at_5) fixes k,
	// plain "map_at_k" takes K.
	Metric string
	// IDColumn names the id column shared by answers and submission.
	IDColumn string
	// TargetColumns are the predicted columns. Several columns mean
	// column-wise averaging (roc_auc, rmse, mae, rmsle) or one probability
	// column per class (log_loss, with 0/1 indicator columns in the answers).
	TargetColumns []string
	// LowerIsBetter overrides the metric's natural direction.
	LowerIsBetter *bool
	// AnswersPath and SampleSubmissionPath are absolute or relative to the
	// request's DataDir.
	AnswersPath          string
	SampleSubmissionPath string
	// Thresholds, when set, are the task's medal thresholds; otherwise they
	// come from the request's leaderboard file, or are NaN (no medals).
	Thresholds *Thresholds
	// K is k for "map_at_k" (default 5).
	K int
}

// customMetrics lists the metric kinds and whether lower is better.
var customMetrics = map[string]bool{
	"roc_auc":  false,
	"log_loss": true,
	"accuracy": false,
	"rmse":     true,
	"mae":      true,
	"rmsle":    true,
	"f1_macro": false,
	"qwk":      false,
	"map_at_k": false,
}

// CustomMetrics lists the metric kinds a CustomTask may use, sorted.
func CustomMetrics() []string {
	return slices.Sorted(maps.Keys(customMetrics))
}

// MetricDirection reports whether lower is better for a metric kind, and
// whether the kind is known.
func MetricDirection(kind string) (lowerIsBetter bool, ok bool) {
	base, _ := metricK(kind)
	lower, ok := customMetrics[base]
	return lower, ok
}

// metricK splits "map_at_12" into ("map_at_k", 12).
func metricK(kind string) (string, int) {
	if rest, ok := strings.CutPrefix(kind, "map_at_"); ok && rest != "k" {
		if k, err := strconv.Atoi(rest); err == nil && k > 0 {
			return "map_at_k", k
		}
	}
	return kind, 0
}

func resolveCustom(req Request) (target, error) {
	ct := *req.Custom
	base, k := metricK(ct.Metric)
	lower, ok := customMetrics[base]
	if !ok {
		return target{}, fmt.Errorf("custom task %s: unknown metric %q (known: %s)", ct.ID, ct.Metric, strings.Join(CustomMetrics(), ", "))
	}
	if ct.IDColumn == "" || len(ct.TargetColumns) == 0 {
		return target{}, fmt.Errorf("custom task %s: id column and target columns are required", ct.ID)
	}
	if base == "map_at_k" && k == 0 {
		k = ct.K
		if k <= 0 {
			k = 5
		}
	}
	if ct.LowerIsBetter != nil {
		lower = *ct.LowerIsBetter
	}
	answers := ct.AnswersPath
	if !filepath.IsAbs(answers) {
		answers = filepath.Join(req.DataDir, answers)
	}
	if err := checkPrepared(ct.ID, answers); err != nil {
		return target{}, err
	}
	var th Thresholds
	switch {
	case ct.Thresholds != nil:
		th = *ct.Thresholds
	case req.LeaderboardPath != "":
		var err error
		if th, err = ThresholdsFromLeaderboard(req.LeaderboardPath); err != nil {
			return target{}, err
		}
	default:
		nan := math.NaN()
		th = Thresholds{Gold: nan, Silver: nan, Bronze: nan, Median: nan}
	}
	if ct.Thresholds == nil && req.LeaderboardPath == "" {
		th.LowerIsBetter = lower
	}
	var warnings []string
	if ct.Thresholds == nil {
		if w := directionWarning(req.LeaderboardPath, th, lower, ct.ID+" ("+ct.Metric+")"); w != "" {
			warnings = append(warnings, w)
		}
	}
	g := &customGrader{kind: base, k: k, id: ct.IDColumn, targets: ct.TargetColumns}
	sample := ct.SampleSubmissionPath
	if sample != "" && !filepath.IsAbs(sample) {
		sample = filepath.Join(req.DataDir, sample)
	}
	return target{id: ct.ID, grader: g, answers: answers, sample: sample, thresholds: th, warnings: warnings}, nil
}

type customGrader struct {
	kind    string
	k       int
	id      string
	targets []string
}

func (g *customGrader) Grade(sub, ans *Table) (float64, error) {
	perm, err := alignAfterColumns(sub, ans, g.id, append([]string{g.id}, g.targets...)...)
	if err != nil {
		return 0, err
	}
	switch g.kind {
	case "roc_auc":
		return meanColumnAUC(sub, ans, perm, g.targets, true)
	case "log_loss":
		if len(g.targets) == 1 {
			return binaryLogLossColumns(sub, ans, perm, g.targets[0])
		}
		return multiLogLoss(sub, ans, perm, g.targets, rowSumAbs(1e-6))
	case "accuracy", "f1_macro", "qwk":
		y, p, err := alignedLabels(sub, ans, perm, g.targets[0])
		if err != nil {
			return 0, err
		}
		switch g.kind {
		case "accuracy":
			return accuracy(y, p), nil
		case "f1_macro":
			return f1Macro(y, p)
		default:
			return quadraticKappa(y, p)
		}
	case "rmse", "mae", "rmsle":
		fn := map[string]func(y, p []float64) (float64, error){"rmse": rmse, "mae": mae, "rmsle": rmsle}[g.kind]
		return meanOver(g.targets, func(col string) (float64, error) { return columnScore(sub, ans, perm, col, fn) })
	case "map_at_k":
		col := g.targets[0]
		sc, _ := sub.Column(col)
		ac, err := ans.Column(col)
		if err != nil {
			return 0, fmt.Errorf("answers: %w", err)
		}
		var sum float64
		for i, j := range perm {
			actual := map[string]bool{}
			for _, f := range strings.Fields(ac.String(i)) {
				actual[f] = true
			}
			sum += apAtK(actual, strings.Fields(sc.String(j)), g.k)
		}
		return sum / float64(len(perm)), nil
	}
	return 0, fmt.Errorf("unknown metric %q", g.kind)
}
