package memory

import (
	"fmt"
	"sort"
	"strings"
)

// Request describes one expansion whose memory context is wanted.
//
// Slices are taken in the order given, which must be oldest first: the
// truncation order (see [Context]) cuts the oldest material first.
type Request struct {
	// Stage is the stage of the node about to be written.
	Stage Stage
	// Target is the parent to improve (StageImprove) or the buggy node to
	// fix (StageDebug). Unused for StageDraft.
	Target Node
	// Drafts are the drafts that already exist (StageDraft).
	Drafts []Node
	// Siblings are Target's earlier children: the improvement attempts
	// already made on it (StageImprove).
	Siblings []Node
	// Attempts are the earlier nodes of the same debug chain, excluding
	// Target: the original buggy node and the fixes that did not work
	// (StageDebug). ML-Master omits them and models repeat failed fixes.
	Attempts []Node
	// Review is the reviewer's account of Target (its bug, for StageDebug);
	// empty means Target.Summary.
	Review string
	// Knowledge is the task-knowledge text (see [Knowledge.Text]); empty
	// when the tier is disabled.
	Knowledge string
	// Wisdom is the cross-task text (see [FormatWisdom]); empty when the
	// tier is disabled or for expansions after the first drafts.
	Wisdom string
	// LowerIsBetter is the metric's direction, used to compare attempts.
	LowerIsBetter bool
	// Budget is the maximum length of the context in bytes (characters for
	// ASCII text); zero or less means no limit.
	Budget int
}

// Truncation phases, in the order Context applies them. Phase 0 is never cut.
const (
	phaseNever = iota
	phaseHistoryOutput
	phaseHistoryCode
	phaseWisdom
	phaseKnowledge
	phaseHistoryPlan
	phaseTargetOutput
	phaseHistoryEntry
	phaseTargetPlan
	phaseReview
	phaseTargetCode
)

// piece is one truncatable part of a context: pre and post frame body and
// are kept as long as the piece is not omitted.
type piece struct {
	pre, body, post string
	phase           int
	// headShare is the fraction of kept body taken from its head.
	headShare float64
	// omit replaces the whole piece when too little of body would remain.
	omit string
	// line marks a one-line body, which is shortened in place ("...")
	// rather than elided across lines.
	line bool
}

func (p *piece) len() int { return len(p.pre) + len(p.body) + len(p.post) }

// builder accumulates the pieces of a context in output order.
type builder struct{ pieces []*piece }

// line adds a one-line piece, shortened with "..." and then dropped.
func (b *builder) line(phase int, pre, body string) {
	b.pieces = append(b.pieces, &piece{pre: pre, body: body, phase: phase, line: true})
}

// fixed adds text that is never cut.
func (b *builder) fixed(format string, args ...any) {
	b.pieces = append(b.pieces, &piece{body: fmt.Sprintf(format, args...)})
}

// cut adds a truncatable piece.
func (b *builder) cut(phase int, pre, body, post, omit string, headShare float64) {
	b.pieces = append(b.pieces, &piece{pre: pre, body: body, post: post, phase: phase, headShare: headShare, omit: omit})
}

// Context assembles the memory context for one expansion, at most
// req.Budget bytes long.
//
// Draft: one line per existing draft (its validation metric or bug, then its
// design) and the instruction to write a draft that differs from all of them.
// Improve: the parent's plan, code, output and review, then each earlier improvement
// attempt on it (plan, code, output, and whether it beat the parent). Debug:
// the buggy code, its output and the review, then every earlier attempt of
// the same debug chain with its outcome, so the model does not repeat a fix
// that failed. Wisdom (L3) and task knowledge (L2) come before these (L1),
// each under a heading naming its tier.
//
// When the context is over budget it is cut in this order, each step only as
// far as needed, oldest material first within a step:
//
//  1. outputs of earlier attempts (siblings, debug-chain attempts),
//  2. code of earlier attempts (middle elided, then omitted),
//  3. the wisdom text (its tail first),
//  4. the task-knowledge text (its tail first),
//  5. plans of earlier attempts,
//  6. the target's output (its middle, keeping more of the tail, where
//     tracebacks are),
//  7. the one-line outcome entries of earlier attempts and drafts,
//  8. the target's plan,
//  9. the review,
//  10. the target's code (middle elided).
//
// The one-line entries outlive the distilled tiers because they are what
// keeps the model from repeating an attempt, and cost little.
//
// Instruction lines and headings are never cut, so a budget smaller than
// they need yields a context longer than the budget.
func Context(req Request) string {
	// The tiers that change least come first (wisdom, then knowledge,
	// then this expansion's nodes), so that successive prompts of a task
	// share a longer prefix, which providers cache.
	var b builder
	if req.Wisdom != "" {
		b.fixed("## L3 (wisdom): lessons from earlier tasks\n")
		b.cut(phaseWisdom, "", ensureNL(req.Wisdom), "", "(lessons omitted for length)\n", 1)
		b.fixed("\n")
	}
	if req.Knowledge != "" {
		b.fixed("## L2 (task knowledge): what this task has taught so far\n")
		b.cut(phaseKnowledge, "", ensureNL(req.Knowledge), "", "(task knowledge omitted for length)\n", 1)
		b.fixed("\n")
	}
	switch req.Stage {
	case StageDraft:
		draftContext(&b, req)
	case StageImprove:
		improveContext(&b, req)
	case StageDebug:
		debugContext(&b, req)
	default:
		b.fixed("## L1 (this search)\n(no memory for stage %q)\n", req.Stage)
	}
	truncate(b.pieces, req.Budget)
	var sb strings.Builder
	for _, p := range b.pieces {
		sb.WriteString(p.pre)
		sb.WriteString(p.body)
		sb.WriteString(p.post)
	}
	return sb.String()
}

func draftContext(b *builder, req Request) {
	b.fixed("## L1 (this search): existing drafts\n")
	if len(req.Drafts) == 0 {
		b.fixed("No drafts exist yet. Write a simple, solid first solution.\n")
		return
	}
	b.fixed("%d drafts exist. Write a new draft whose design differs from every one below; do not resubmit a listed design, and avoid the listed bugs.\n", len(req.Drafts))
	for _, d := range req.Drafts {
		line := fmt.Sprintf("- draft %s (%s): %s\n", d.ID, outcome(d, nil, req.LowerIsBetter), design(d))
		b.line(phaseHistoryEntry, "", line)
	}
}

func improveContext(b *builder, req Request) {
	id := req.Target.ID
	expandContext(b, req, expansion{
		doing:    "improving",
		ask:      "Improve the solution below with one focused change. Its earlier improvement attempts follow it; do not repeat a change that was already tried, and build on what helped.\n",
		target:   "Solution to improve",
		earlier:  "Earlier improvement attempts of node " + id,
		none:     "None yet.",
		attempts: req.Siblings,
		base:     req.Target.Metric,
	})
}

func debugContext(b *builder, req Request) {
	expandContext(b, req, expansion{
		doing:    "debugging",
		ask:      "Fix the bug in the code below. The earlier attempts of this debug chain follow it and did not work; do not repeat their fixes, try a different one.\n",
		target:   "Buggy code",
		earlier:  "Earlier attempts in this debug chain",
		none:     "None: this is the first fix.",
		attempts: req.Attempts,
	})
}

// expansion is what an improve or a debug prompt says around the node
// being expanded and its earlier attempts.
type expansion struct {
	doing, ask    string // "improving", and what the model is to do
	target        string // the title of the expanded node's section
	earlier, none string // the title of the attempts' section, and its text when there are none
	attempts      []Node
	base          *float64 // the metric attempts are compared with (nil: none)
}

func expandContext(b *builder, req Request, e expansion) {
	t := req.Target
	b.fixed("## L1 (this search): %s node %s\n", e.doing, t.ID)
	b.fixed("%s", e.ask)
	b.fixed("\n### %s (node %s, %s)\n", e.target, t.ID, outcome(t, nil, req.LowerIsBetter))
	targetBody(b, t)
	review(b, req)
	if len(e.attempts) == 0 {
		b.fixed("\n### %s\n%s\n", e.earlier, e.none)
		return
	}
	b.fixed("\n### %s (oldest first)\n", e.earlier)
	for _, a := range e.attempts {
		history(b, a, e.base, req.LowerIsBetter)
	}
}

// targetBody writes the plan, code and output of the node being expanded.
func targetBody(b *builder, t Node) {
	if t.Plan != "" {
		b.cut(phaseTargetPlan, "Plan:\n", ensureNL(t.Plan), "", "Plan: (omitted for length)\n", 1)
	}
	b.cut(phaseTargetCode, "Code:\n```python\n", ensureNL(t.Code), "```\n", "Code: (omitted for length)\n", 0.5)
	if t.Output != "" {
		b.cut(phaseTargetOutput, "Output:\n```\n", ensureNL(t.Output), "```\n", "Output: (omitted for length)\n", 1.0/3)
	}
}

// review writes the reviewer's account of the target, if there is one.
func review(b *builder, req Request) {
	text := req.Review
	if text == "" {
		text = req.Target.Summary
	}
	if strings.TrimSpace(text) == "" {
		return
	}
	b.fixed("Review:\n")
	b.cut(phaseReview, "", ensureNL(text), "", "(review omitted for length)\n", 1)
}

// history writes one earlier attempt: its outcome line, then plan, code and
// output, each cut in its own phase.
func history(b *builder, n Node, ref *float64, lowerIsBetter bool) {
	head := fmt.Sprintf("#### node %s (%s): %s\n", n.ID, n.Stage, outcome(n, ref, lowerIsBetter))
	b.line(phaseHistoryEntry, "", head)
	if n.Plan != "" {
		b.line(phaseHistoryPlan, "Plan: ", ensureNL(firstParagraph(n.Plan, 1000)))
	}
	if n.Code != "" {
		b.cut(phaseHistoryCode, "```python\n", ensureNL(n.Code), "```\n", "", 0.5)
	}
	if n.Output != "" {
		b.cut(phaseHistoryOutput, "Output:\n```\n", ensureNL(n.Output), "```\n", "", 1.0/3)
	}
}

// design describes a node's approach in one line.
func design(n Node) string {
	d := firstParagraph(n.Plan, 240)
	if d == "" {
		d = firstParagraph(n.Summary, 240)
	}
	if d == "" {
		return "(no plan recorded)."
	}
	if !strings.HasSuffix(d, ".") {
		d += "."
	}
	return d
}

// outcome describes a node's result in a few words, compared with ref when
// given.
func outcome(n Node, ref *float64, lowerIsBetter bool) string {
	switch {
	case n.IsBuggy:
		return "bug: " + shorten(errorLine(n), 200)
	case n.Metric == nil:
		return "no validation metric"
	case ref == nil:
		return "validation metric " + formatMetric(*n.Metric)
	case better(*n.Metric, *ref, lowerIsBetter):
		return fmt.Sprintf("validation metric %s, better than the parent's %s", formatMetric(*n.Metric), formatMetric(*ref))
	default:
		return fmt.Sprintf("validation metric %s, not better than the parent's %s", formatMetric(*n.Metric), formatMetric(*ref))
	}
}

// truncate shortens pieces in place, in phase order, until their total
// length is at most budget or nothing truncatable is left.
func truncate(pieces []*piece, budget int) {
	if budget <= 0 {
		return
	}
	total := 0
	order := make([]*piece, 0, len(pieces))
	for _, p := range pieces {
		total += p.len()
		if p.phase != phaseNever {
			order = append(order, p)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].phase < order[j].phase })
	for _, p := range order {
		excess := total - budget
		if excess <= 0 {
			return
		}
		before := p.len()
		if p.line {
			if keep := len(p.body) - excess - 1; keep >= minKept {
				p.body = shorten(strings.TrimSuffix(p.body, "\n"), keep) + "\n"
			} else {
				p.pre, p.body = "", ""
			}
		} else if body, ok := elide(p.body, len(p.body)-excess, p.headShare); ok {
			p.body = body
		} else if len(p.omit) < before {
			p.pre, p.body, p.post = "", p.omit, ""
		}
		total += p.len() - before
	}
}

func ensureNL(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}
