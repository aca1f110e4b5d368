package memory

import (
	"fmt"
	"math"
	"strings"
)

// FormatWisdom renders retrieved entries for the first drafts' prompt, or
// "" when there are none.
func FormatWisdom(hits []Hit) string {
	if len(hits) == 0 {
		return ""
	}
	var b strings.Builder
	if len(hits) == 1 {
		b.WriteString("What worked on a similar earlier task. Its data differ from this task's: adapt what fits, do not copy.\n")
	} else {
		fmt.Fprintf(&b, "What worked on %d similar earlier tasks, most similar first. Their data differ from this task's: adapt what fits, do not copy.\n", len(hits))
	}
	for i, h := range hits {
		e := h.Entry
		fmt.Fprintf(&b, "%d. %s", i+1, e.TaskID)
		var facts []string
		if e.DataModality != "" {
			facts = append(facts, e.DataModality)
		}
		if e.Metric != "" {
			dir := "higher is better"
			if e.LowerIsBetter {
				dir = "lower is better"
			}
			facts = append(facts, fmt.Sprintf("metric %s, %s", e.Metric, dir))
		}
		if len(facts) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(facts, "; "))
		}
		b.WriteString(":")
		if e.BestDesign != "" {
			fmt.Fprintf(&b, " best design: %s", strings.TrimSuffix(firstParagraph(e.BestDesign, 400), "."))
			var res []string
			if e.BestMetric != nil {
				res = append(res, "metric "+formatMetric(*e.BestMetric))
			}
			if e.Medal != "" {
				res = append(res, "medal "+e.Medal)
			}
			if len(res) > 0 {
				fmt.Fprintf(&b, " (%s)", strings.Join(res, ", "))
			}
			b.WriteString(".")
		} else {
			b.WriteString(" no valid solution was found.")
		}
		if len(e.ModelFamilies) > 0 {
			fmt.Fprintf(&b, " Models: %s.", strings.Join(e.ModelFamilies, ", "))
		}
		if len(e.WhatFailed) > 0 {
			failed := make([]string, 0, len(e.WhatFailed))
			for _, f := range e.WhatFailed[:min(len(e.WhatFailed), 5)] {
				failed = append(failed, strings.TrimSuffix(firstParagraph(f, 200), "."))
			}
			fmt.Fprintf(&b, " What failed: %s.", strings.Join(failed, "; "))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// finite reports whether f is neither NaN nor infinite.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
