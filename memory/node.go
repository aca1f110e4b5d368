package memory

import (
	"sort"
	"strconv"
)

// Stage is how a node came to be: a fresh draft, an improvement of a working
// parent, or a fix of a buggy parent.
type Stage string

// The stages of the tree search.
const (
	StageDraft   Stage = "draft"
	StageImprove Stage = "improve"
	StageDebug   Stage = "debug"
)

// Node is what memory needs to know about one node of the search tree. It is
// a plain value so that memory does not depend on the search package.
type Node struct {
	// ID identifies the node within its task-run; ParentID is empty for drafts.
	ID       string
	ParentID string
	// Step orders nodes by creation; ties are broken by ID.
	Step  int
	Stage Stage
	// Plan is the coder's natural-language plan, Code the Python it wrote.
	Plan string
	Code string
	// Output is the (tail of the) program's terminal output.
	Output string
	// Summary is the reviewer's short account of the result.
	Summary string
	// Metric is the validation metric; nil when the node is buggy or
	// produced none.
	Metric *float64
	// IsBuggy marks nodes whose run failed or whose output was rejected.
	IsBuggy bool
	// Error is the error text of a buggy node (exception line, timeout, ...).
	Error string
}

// valid reports whether n produced a usable validation metric.
func (n Node) valid() bool { return !n.IsBuggy && n.Metric != nil }

// sortNodes orders nodes by Step, then ID, without touching the caller's slice.
func sortNodes(nodes []Node) []Node {
	out := append([]Node(nil), nodes...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Step != out[j].Step {
			return out[i].Step < out[j].Step
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// better reports whether metric a beats metric b in the given direction.
func better(a, b float64, lowerIsBetter bool) bool {
	if lowerIsBetter {
		return a < b
	}
	return a > b
}

// formatMetric prints a metric compactly and reproducibly.
func formatMetric(m float64) string {
	return strconv.FormatFloat(m, 'g', 6, 64)
}
