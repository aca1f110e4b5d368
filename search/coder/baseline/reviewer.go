package baseline

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/mlbench/mlbench/search"
)

// Reviewer reads an executed baseline (or any) solution without an LLM: the
// last "validation_metric: <v>" line of its output and the execution
// facts. It is safe for concurrent use.
type Reviewer struct {
	// LowerIsBetter is the metric direction; nil takes it from the output's
	// "lower_is_better: true|false" line when there is one.
	LowerIsBetter *bool
	// Metric names the metric in summaries; "" takes it from the output's
	// "validation_metric_name:" line.
	Metric Metric
}

var _ search.Reviewer = (*Reviewer)(nil)

// Review says bug or not, the metric and a one-line summary. A node is a
// bug when it exited non-zero, timed out, was killed for memory, printed no
// finite validation metric, or left no (valid) submission.
func (r *Reviewer) Review(ctx context.Context, node search.NodeSnapshot, res search.ExecResult) (search.Review, error) {
	if err := ctx.Err(); err != nil {
		return search.Review{}, err
	}
	var rv search.Review
	rv.LowerIsBetter = r.LowerIsBetter
	if rv.LowerIsBetter == nil {
		if v, ok := lastValue(res.Output, "lower_is_better:"); ok {
			if b, err := strconv.ParseBool(v); err == nil {
				rv.LowerIsBetter = &b
			}
		}
	}
	metric, ok := ParseValidationMetric(res.Output)
	var bugs []string
	switch {
	case res.TimedOut:
		bugs = append(bugs, fmt.Sprintf("timed out after %.0fs", res.Seconds))
	case res.OOM:
		bugs = append(bugs, "killed for lack of memory")
	case res.ExitCode != 0:
		msg := fmt.Sprintf("exit code %d", res.ExitCode)
		if l := lastErrorLine(res.Output); l != "" {
			msg += ": " + l
		}
		bugs = append(bugs, msg)
	}
	if !ok && res.ExitCode == 0 && !res.TimedOut && !res.OOM {
		bugs = append(bugs, "no finite validation_metric line in the output")
	}
	switch {
	case !res.SubmissionExists:
		if res.ExitCode == 0 && !res.TimedOut && !res.OOM {
			bugs = append(bugs, "no submission written")
		}
	case !res.FormatValid:
		msg := "invalid submission"
		if res.FormatError != "" {
			msg += ": " + res.FormatError
		}
		bugs = append(bugs, msg)
	}
	if len(bugs) > 0 {
		rv.IsBug = true
		rv.Summary = clip("bug: "+strings.Join(bugs, "; "), 300)
		return rv, nil
	}
	rv.Metric = &metric
	name := string(r.Metric)
	if name == "" {
		name, _ = lastValue(res.Output, "validation_metric_name:")
	}
	if name == "" {
		name = "metric"
	}
	what := "solution"
	if s, err := ParseSpec(node.Code); err == nil {
		what = s.Family
		if s.Move != "" {
			what += " after " + s.Move
		}
	}
	dir := ""
	if rv.LowerIsBetter != nil {
		dir = fmt.Sprintf(" (%s is better)", direction(*rv.LowerIsBetter))
	}
	rv.Summary = clip(fmt.Sprintf("%s: validation %s %.6g%s in %.1fs", what, name, metric, dir, res.Seconds), 300)
	return rv, nil
}

// ParseValidationMetric returns the value of the last line of out that
// starts with "validation_metric:" (after optional spaces), and whether it
// is a finite number.
func ParseValidationMetric(out string) (float64, bool) {
	v, ok := lastValue(out, "validation_metric:")
	if !ok {
		return 0, false
	}
	if f := strings.Fields(v); len(f) > 0 {
		v = f[0]
	}
	x, err := strconv.ParseFloat(strings.TrimRight(v, ",;"), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

// lastValue returns the rest of the last line of out that starts with
// prefix (after optional spaces), trimmed.
func lastValue(out, prefix string) (string, bool) {
	lines := strings.Split(out, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), prefix); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return "", false
}

func clip(s string, n int) string {
	s = oneLine(s)
	if len(s) <= n {
		return s
	}
	cut := n - 3
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
