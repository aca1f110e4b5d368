package llm

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mlbench/mlbench/search"
)

// Task is what the coder and the reviewer know of the task they work on.
// Paths are as the generated code sees them inside the sandbox.
type Task struct {
	ID    string
	Title string
	// Description is the task's description.md.
	Description string
	// DataPreview describes the public data (see Preview).
	DataPreview string
	// InputDir is the read-only directory holding the public data.
	InputDir string
	// SubmissionPath is where the program must write its submission.
	SubmissionPath string
	// WorkingDir is a writable scratch directory.
	WorkingDir string
	// Metric names the competition metric; LowerIsBetter is its direction,
	// nil when unknown (the search's direction is used then).
	Metric        string
	LowerIsBetter *bool
	// TimeLimit is the wall-clock limit of one execution.
	TimeLimit time.Duration
	// GPU says whether the program may use a GPU.
	GPU bool
	// GPUs describe the GPUs one run sees ("NVIDIA A100-SXM4-80GB, 81920
	// MiB"), when known.
	GPUs []string
	// Packages are the Python packages installed where the program runs,
	// as "name version" (the item's environment probe); nil when unknown.
	Packages []string
}

// ContextBuilder renders the memory context of one expansion. For improve
// and debug requests the text must include the parent's code, output and
// review (the prompt does not repeat them); package memory's Context is the
// intended implementation, wired by the harness. Called concurrently.
type ContextBuilder interface {
	Context(req search.Request) string
}

// ContextFunc adapts a function to ContextBuilder.
type ContextFunc func(req search.Request) string

// Context calls f.
func (f ContextFunc) Context(req search.Request) string { return f(req) }

// DefaultContext is the context builder used when the harness wires none:
// it renders the request's snapshots itself within budget characters
// (0: no limit): for drafts the existing drafts, for improvements the
// parent (plan, code, output tail, review) and its earlier improvement
// attempts, for debugging the buggy parent and the earlier attempts of its
// debug chain; then the task knowledge and, for drafts, the cross-task
// wisdom from the given suppliers (either may be nil).
func DefaultContext(budget int, knowledge, wisdom func() string) ContextBuilder {
	return ContextFunc(func(req search.Request) string {
		var b strings.Builder
		lower := req.LowerIsBetter
		b.WriteString("### L1 (this search)\n")
		switch req.Stage {
		case search.StageDraft:
			if len(req.Drafts) == 0 {
				b.WriteString("No solution has been written yet. Start with a simple, reliable baseline.\n")
			} else {
				fmt.Fprintf(&b, "%d drafts exist; write one whose approach differs from all of them:\n", len(req.Drafts))
				for _, d := range req.Drafts {
					fmt.Fprintf(&b, "- node %s: %s (result: %s)\n", d.ID, oneLine(d.Plan, 300), outcome(d, lower))
				}
			}
		case search.StageImprove, search.StageDebug:
			if p := req.Parent; p != nil {
				what := "Solution to improve"
				if req.Stage == search.StageDebug {
					what = "Buggy solution to fix"
				}
				fmt.Fprintf(&b, "### %s (node %s: %s)\n", what, p.ID, outcome(*p, lower))
				if p.Plan != "" {
					fmt.Fprintf(&b, "Plan: %s\n", oneLine(p.Plan, 1500))
				}
				fmt.Fprintf(&b, "```python\n%s\n```\n", elideMiddle(p.Code, budgetPart(budget, 2)))
				fmt.Fprintf(&b, "Output (tail):\n```\n%s\n```\n", tail(p.Output, budgetPart(budget, 6)))
				if p.Summary != "" {
					fmt.Fprintf(&b, "Review: %s\n", oneLine(p.Summary, 1500))
				}
			}
			history := req.Siblings
			title := "Earlier improvement attempts of this solution (do not repeat them)"
			if req.Stage == search.StageDebug {
				history = req.DebugChain
				title = "Earlier fixes of this bug that did not work (try something else)"
			}
			if len(history) > 0 {
				fmt.Fprintf(&b, "\n### %s\n", title)
				for _, h := range history {
					fmt.Fprintf(&b, "- node %s: %s (result: %s)\n", h.ID, oneLine(h.Plan, 300), outcome(h, lower))
				}
			}
			if req.Best != nil && (req.Parent == nil || req.Best.ID != req.Parent.ID) && req.Stage == search.StageImprove {
				fmt.Fprintf(&b, "\nBest solution so far (node %s): %s\n", req.Best.ID, outcome(*req.Best, lower))
			}
		}
		if knowledge != nil {
			if k := strings.TrimSpace(knowledge()); k != "" {
				fmt.Fprintf(&b, "\n### L2 (task knowledge): what this task has taught so far\n%s\n", k)
			}
		}
		if wisdom != nil && req.Stage == search.StageDraft {
			if w := strings.TrimSpace(wisdom()); w != "" {
				fmt.Fprintf(&b, "\n### L3 (wisdom): lessons from earlier tasks\n%s\n", w)
			}
		}
		if budget > 0 {
			return cutLines(b.String(), budget)
		}
		return b.String()
	})
}

func budgetPart(budget, div int) int {
	if budget <= 0 {
		return 0
	}
	return budget / div
}

// outcome says how a node ended, in a few words.
func outcome(n search.NodeSnapshot, lower *bool) string {
	switch {
	case n.Error != "":
		return "failed: " + oneLine(n.Error, 200)
	case n.IsBuggy:
		s := "buggy"
		if n.TimedOut {
			s += " (timed out)"
		} else if n.ExitCode != 0 {
			s += fmt.Sprintf(" (exit code %d)", n.ExitCode)
		} else if !n.SubmissionExists {
			s += " (no submission written)"
		} else if !n.FormatValid {
			s += " (invalid submission: " + oneLine(n.FormatError, 120) + ")"
		}
		if n.Summary != "" {
			s += ": " + oneLine(n.Summary, 200)
		}
		return s
	case n.Metric != nil:
		s := "validation metric " + strconv.FormatFloat(*n.Metric, 'g', 6, 64)
		if lower != nil {
			if *lower {
				s += " (lower is better)"
			} else {
				s += " (higher is better)"
			}
		}
		return s
	}
	return "ran, but reported no validation metric"
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "..."
	}
	return s
}

// tail keeps the last n bytes of s (0: all), at a line start.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if n <= 0 || len(s) <= n {
		return s
	}
	t := s[len(s)-n:]
	if i := strings.IndexByte(t, '\n'); i >= 0 && i < len(t)-1 {
		t = t[i+1:]
	}
	return "[... earlier output cut ...]\n" + t
}

// elideMiddle keeps the head and tail of s within n bytes (0: all).
func elideMiddle(s string, n int) string {
	if n <= 0 || len(s) <= n {
		return s
	}
	const mark = "\n# [... middle of the code cut for length ...]\n"
	h := (n - len(mark)) / 2
	if h <= 0 {
		return s[:n]
	}
	return s[:h] + mark + s[len(s)-h:]
}

// systemPrompt is the coder's standing instruction.
const systemPrompt = `You are a senior machine-learning engineer competing in a Kaggle-style competition. You write complete, runnable Python programs that train a model, check it on held-out data and write a submission file. You work step by step: each program you write is run as it is, and you see its output before writing the next.`

// instructions renders what is the same in every coder prompt of one
// task: the task, the data, the environment, the implementation
// guidelines and the reply format. It comes first, so that the calls of a
// task share a long prompt prefix that providers cache (and bill at a
// fraction); what changes between calls (memory, budget, the request)
// follows it.
func instructions(t Task) string {
	var b strings.Builder
	b.WriteString("# Task\n")
	if t.Title != "" {
		fmt.Fprintf(&b, "%s\n\n", t.Title)
	}
	b.WriteString(strings.TrimSpace(t.Description))
	b.WriteString("\n")
	if p := strings.TrimSpace(t.DataPreview); p != "" {
		b.WriteString("\n# Data overview\n")
		b.WriteString(p)
		b.WriteString("\n")
	}
	b.WriteString("\n# Environment\n")
	if len(t.Packages) > 0 {
		fmt.Fprintf(&b, "- Installed Python packages (you cannot install others): %s.\n", strings.Join(t.Packages, ", "))
	} else {
		b.WriteString("- A standard data-science Python environment (numpy, pandas, scikit-learn, and whatever else imports); you cannot install packages.\n")
	}
	if len(t.GPUs) > 0 {
		fmt.Fprintf(&b, "- %s visible to the program (CUDA): %s.\n", plural(len(t.GPUs), "CUDA GPU"), strings.Join(t.GPUs, "; "))
	} else if t.GPU {
		b.WriteString("- A CUDA GPU is available.\n")
	} else {
		b.WriteString("- No GPU is available: everything runs on the CPU.\n")
	}
	b.WriteString("- There is no network access: no downloads of data, models or weights.\n")

	b.WriteString("\n# Implementation guidelines\n")
	b.WriteString("- Write one self-contained Python 3 file. It is run unattended from start to end with no arguments; it cannot ask anything. Skip nothing: no placeholders, no \"rest as before\".\n")
	fmt.Fprintf(&b, "- The data is in `%s` (read-only). Read it from there; do not unzip into it or write there.\n", t.InputDir)
	fmt.Fprintf(&b, "- Write the predictions for the test set to `%s`, in exactly the format the task asks for (see the sample submission if there is one). A run without this file counts as failed.\n", t.SubmissionPath)
	if t.WorkingDir != "" {
		fmt.Fprintf(&b, "- Put any other files (caches, checkpoints) in `%s`.\n", t.WorkingDir)
	}
	metric := "the competition metric"
	if t.Metric != "" {
		metric = "the competition metric (" + t.Metric + ")"
	}
	dir := ""
	if t.LowerIsBetter != nil {
		if *t.LowerIsBetter {
			dir = " Lower is better."
		} else {
			dir = " Higher is better."
		}
	}
	fmt.Fprintf(&b, "- Hold out part of the training data (or use cross-validation), compute %s on it, and print it on its own line exactly as `validation_metric: <number>`. Without it the run cannot be scored.%s\n", metric, dir)
	if t.TimeLimit > 0 {
		fmt.Fprintf(&b, "- One run may take at most %s; a run that takes longer is killed and counts as failed. Size the model, the data and the number of epochs to fit.\n", roundDuration(t.TimeLimit))
	}
	if len(t.GPUs) > 0 || t.GPU {
		b.WriteString("- Use the GPU for deep-learning models and GPU-capable libraries (move models and batches to `cuda`).\n")
	}
	b.WriteString("- Print short progress messages; avoid printing large tables or per-iteration logs.\n")
	b.WriteString("\n")
	b.WriteString(replyFormat)
	b.WriteString("\n")
	return b.String()
}

// budget renders the time and attempts left, or "" when unknown.
func budget(req search.Request) string {
	var left []string
	if req.TimeLeft > 0 {
		left = append(left, roundDuration(req.TimeLeft)+" of search time")
	}
	if req.StepsLeft > 0 {
		left = append(left, fmt.Sprintf("%d attempts", req.StepsLeft))
	}
	if len(left) == 0 {
		return ""
	}
	return fmt.Sprintf("About %s remain for the whole search.", strings.Join(left, " and "))
}

// bestNote tells an improvement where the best solution so far stands.
func bestNote(req search.Request) string {
	best, p := req.Best, req.Parent
	if req.Stage != search.StageImprove || best == nil {
		return ""
	}
	if p != nil && best.ID == p.ID {
		return fmt.Sprintf("The solution to improve (node %s) is the best so far: %s.", p.ID, outcome(*best, req.LowerIsBetter))
	}
	s := fmt.Sprintf("The best solution so far is node %s: %s", best.ID, outcome(*best, req.LowerIsBetter))
	if best.Plan != "" {
		s += "; its plan: " + strings.TrimSuffix(oneLine(best.Plan, 600), ".")
	}
	return s + "."
}

func lowerIsBetter(t Task, req search.Request) *bool {
	if t.LowerIsBetter != nil {
		return t.LowerIsBetter
	}
	return req.LowerIsBetter
}

func roundDuration(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Minute:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}

// stageAsk is what the model is asked to do for a stage.
func stageAsk(stage search.Stage) string {
	switch stage {
	case search.StageImprove:
		return "Improve the current solution (its code, output and review are in the memory) with one focused change (a better model, features, tuning, or training procedure) that should raise its validation score. Keep what works; change one thing and say why it should help."
	case search.StageDebug:
		return "The current solution failed (its code, output and review are in the memory). Find the cause in its output and fix it, changing as little else as possible. Make sure the fixed program writes the submission file and prints the validation metric."
	}
	return "Write a first solution for this task. Prefer a sound, fast approach that surely finishes within the time limit over an ambitious one; later steps will improve it."
}

// replyFormat tells the model how to answer.
const replyFormat = "# Reply format\nFirst a short plan: three to six sentences in prose saying what the program does and why. Then the complete program in a single ```python code block. Write nothing after the code block."

// reminder is sent after a reply without usable code.
func reminder(truncated bool) string {
	if truncated {
		return "Your reply was cut off before the program ended (the length limit was reached). Reply again: a plan of at most three sentences, then a shorter but complete program in a single ```python code block."
	}
	return "Your reply did not contain the program. Reply again: a short plan, then the complete program in a single ```python code block, and nothing after it."
}

// coderPrompt builds the user message: the unchanging instructions, then
// the memory (unless it goes into the pre-filled thinking of steerable
// reasoning), then the budget and the request.
func coderPrompt(t Task, req search.Request, memory string, inPrompt bool) string {
	var b strings.Builder
	b.WriteString(instructions(t))
	if inPrompt && strings.TrimSpace(memory) != "" {
		b.WriteString("\n# Memory\n")
		b.WriteString(memoryLegend)
		b.WriteString(strings.TrimSpace(memory))
		b.WriteString("\n")
	}
	b.WriteString("\n# Your job now\n")
	if s := budget(req); s != "" {
		b.WriteString(s + "\n")
	}
	if s := bestNote(req); s != "" {
		b.WriteString(s + "\n")
	}
	b.WriteString(stageAsk(req.Stage))
	b.WriteString("\n")
	return b.String()
}

// memoryLegend says what the memory's tier labels mean.
const memoryLegend = "Memory comes in three tiers, each part labelled with its tier: L1 is this search's own nodes, L2 the knowledge distilled from them so far, L3 lessons from earlier, similar tasks.\n\n"

// thinkingPrefill opens the model's thinking with the evidence: the memory
// context and the parent's results, so its reasoning starts from them.
func thinkingPrefill(req search.Request, memory string) string {
	var b strings.Builder
	b.WriteString("Before planning, let me go over what I already know from earlier attempts.\n\n")
	if m := strings.TrimSpace(memory); m != "" {
		b.WriteString(m)
		b.WriteString("\n\n")
	}
	if p := req.Parent; p != nil {
		fmt.Fprintf(&b, "The solution I start from (node %s) ended as: %s.\n", p.ID, outcome(*p, req.LowerIsBetter))
		if req.Stage == search.StageDebug {
			b.WriteString("So I need to find what in its output points to the bug, and fix that.\n")
		} else {
			b.WriteString("So I need one change that should beat that score without breaking what works.\n")
		}
	} else {
		b.WriteString("So I need a solid first solution that differs from what was already tried.\n")
	}
	return b.String()
}

// plural renders "1 GPU" or "2 GPUs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
