package results

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Output formats of Report.Render.
const (
	FormatTable    = "table"
	FormatMarkdown = "markdown"
	FormatCSV      = "csv"
	FormatJSON     = "json"
)

// Formats lists the formats Render accepts.
var Formats = []string{FormatTable, FormatMarkdown, FormatCSV, FormatJSON}

// ErrFormat is returned for an unknown output format.
var ErrFormat = errors.New("results: unknown format")

// Render writes the report in format: an aligned text table, GitHub
// markdown, CSV (one table after another, separated by a blank line, each
// with its own header) or JSON (the Report itself). Warnings are not part
// of the text formats; callers print them to stderr.
func (r *Report) Render(w io.Writer, format string) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case FormatTable, FormatMarkdown, FormatCSV:
	default:
		return fmt.Errorf("%w %q (want one of %s)", ErrFormat, format, strings.Join(Formats, ", "))
	}
	var tables []table
	if format != FormatCSV {
		tables = append(tables, r.runsTable())
	}
	tables = append(tables, r.medalTable(format == FormatCSV))
	if len(r.Tasks) > 0 {
		tables = append(tables, r.tasksTable(format == FormatCSV))
	}
	if len(r.Anytime) > 0 {
		tables = append(tables, r.anytimeTable(format == FormatCSV))
	}
	if len(r.Modalities) > 0 {
		tables = append(tables, r.modalityTable())
	}
	if len(r.Usage) > 0 {
		tables = append(tables, r.usageTable(format == FormatCSV))
	}
	for i, t := range tables {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		var err error
		switch format {
		case FormatTable:
			err = t.text(w)
		case FormatMarkdown:
			err = t.markdown(w)
		case FormatCSV:
			err = t.csv(w)
		}
		if err != nil {
			return fmt.Errorf("render %s: %w", format, err)
		}
	}
	return nil
}

// table is a titled grid of cells; right marks numeric columns.
type table struct {
	title  string
	header []string
	right  []bool
	rows   [][]string
	notes  []string
}

func (r *Report) runsTable() table {
	t := table{
		title:  "Runs",
		header: []string{"Run", "Source", "Items", "Done", "Failed", "Running", "Pending", "Cancelled", "Missing", "Skipped files"},
		right:  []bool{false, false, true, true, true, true, true, true, true, true},
	}
	for _, ri := range r.Runs {
		t.rows = append(t.rows, []string{ri.Label, ri.Source, itoa(ri.Items), itoa(ri.Done), itoa(ri.Failed),
			itoa(ri.Running), itoa(ri.Pending), itoa(ri.Cancelled), itoa(ri.Missing()), itoa(ri.Skipped)})
		if m := ri.Missing(); m > 0 {
			t.notes = append(t.notes, fmt.Sprintf("run %s is incomplete: %d of %d items not finished; tables count what is done.",
				ri.Label, m, ri.Items))
		}
	}
	return t
}

// statNames are the seven MLE-Bench percentages in column order.
var statNames = []struct{ title, csv string }{
	{"Any medal %", "any_medal_pct"},
	{"Gold %", "gold_pct"},
	{"Silver %", "silver_pct"},
	{"Bronze %", "bronze_pct"},
	{"Valid %", "valid_submission_pct"},
	{"Submitted %", "submission_exists_pct"},
	{"Above median %", "above_median_pct"},
}

func (m *MedalRow) stats() []Stat {
	return []Stat{m.AnyMedal, m.Gold, m.Silver, m.Bronze, m.ValidSubmission, m.SubmissionExists, m.AboveMedian}
}

func (r *Report) medalTable(machine bool) table {
	seedRule := "complete seeds only"
	if r.options.PadMissing {
		seedRule = "missing runs padded as zero"
	}
	t := table{title: fmt.Sprintf("Medal table (mean ± SEM over seeds; %s)", seedRule)}
	t.header = r.keyed("Run", r.By, "Split", "Tasks", "Seeds", "Runs")
	for _, s := range statNames {
		if machine {
			t.header = append(t.header, s.csv+"_mean", s.csv+"_sem")
		} else {
			t.header = append(t.header, s.title)
		}
	}
	t.header = append(t.header, "Wall h", "Nodes", "Tokens", "Cost $")
	if machine {
		t.header = r.keyed("run", r.By, "split", "tasks", "seeds", "runs", "finished", "counted", "padded", "dropped", "ungraded")
		for _, s := range statNames {
			t.header = append(t.header, s.csv+"_mean", s.csv+"_sem")
		}
		t.header = append(t.header, "wall_hours", "nodes", "tokens", "cost_usd")
	}
	for _, m := range r.Medals {
		row := r.keyed(m.Run, m.Group)
		row = append(row, m.Split, itoa(m.Tasks), itoa(m.Seeds))
		if machine {
			row = append(row, itoa(m.Runs), itoa(m.Finished), itoa(m.Counted), itoa(m.Padded), itoa(m.Dropped), itoa(m.Ungraded))
			for _, s := range m.stats() {
				row = append(row, num(s.Mean, 4), num(s.SEM, 4))
			}
			row = append(row, num(m.WallHours, 4), num(m.Nodes, 2), num(m.Tokens, 1), num(m.CostUSD, 4))
		} else {
			row = append(row, fmt.Sprintf("%d/%d", m.Finished, m.Runs))
			for _, s := range m.stats() {
				row = append(row, pm(s))
			}
			row = append(row, num(m.WallHours, 2), num(m.Nodes, 1)+mark(m.IncompleteNodes), compact(m.Tokens)+mark(m.IncompleteNodes),
				num(m.CostUSD, 2)+mark(m.IncompleteNodes+m.IncompleteCost))
		}
		t.rows = append(t.rows, row)
		if !machine {
			t.notes = append(t.notes, medalNotes(r.By, m)...)
		}
	}
	r.alignNumbers(&t, 1) // Split is text too
	return t
}

// keyed is a header or row led by the run and, when the report is grouped,
// the group.
func (r *Report) keyed(run, group string, rest ...string) []string {
	out := make([]string, 0, 2+len(rest))
	out = append(out, run)
	if r.By != "" {
		out = append(out, group)
	}
	return append(out, rest...)
}

// alignNumbers right-aligns every column of t after the run, the group
// (when grouped) and text more text columns, and returns the first
// right-aligned column.
func (r *Report) alignNumbers(t *table, text int) int {
	first := 1 + text
	if r.By != "" {
		first++
	}
	t.right = make([]bool, len(t.header))
	for i := first; i < len(t.right); i++ {
		t.right[i] = true
	}
	return first
}

// mark flags a figure known to be incomplete (see the table's notes).
func mark(n int) string {
	if n > 0 {
		return "*"
	}
	return ""
}

func medalNotes(by string, m MedalRow) []string {
	name := m.Run
	if by != "" {
		name += " " + by + "=" + m.Group
	}
	name += " " + m.Split
	var notes []string
	if m.Seeds == 0 {
		notes = append(notes, fmt.Sprintf("%s: no complete seed yet (a task has no finished run); use --pad-missing to count missing runs as zero.", name))
	}
	// Each count below names runs of the row that a figure treats specially.
	for _, c := range []struct {
		n      int
		format string // of the row name and n
	}{
		{m.Dropped, "%s: %d finished run(s) not counted: other tasks lack that seed."},
		{m.Padded, "%s: %d missing run(s) counted as zero."},
		{m.Ungraded, "%s: %d finished run(s) have no grade.json (counted as no submission)."},
		{m.IncompleteNodes, "* %s: %d finished run(s) have unreadable trace parts and no checkpoint to recover from: Nodes, Tokens and Cost count only what was readable."},
		{m.IncompleteCost, "* %s: cost of %d finished run(s) misses nodes recovered from the checkpoint (it keeps tokens, not prices)."},
		{m.Recovered, "%s: nodes of %d finished run(s) recovered from the checkpoint (trace parts damaged or lost)."},
	} {
		if c.n > 0 {
			notes = append(notes, fmt.Sprintf(c.format, name, c.n))
		}
	}
	return notes
}

func (r *Report) tasksTable(machine bool) table {
	t := table{title: "Tasks"}
	if machine {
		t.header = r.keyed("run", r.By, "task", "split", "runs", "finished", "graded", "scores", "medals",
			"gold_threshold", "silver_threshold", "bronze_threshold", "median_threshold", "lower_is_better",
			"nodes", "buggy_pct", "best_stage")
	} else {
		t.header = r.keyed("Run", r.By, "Task", "Split", "Runs", "Scores", "Medals", "Gold", "Silver", "Bronze",
			"Median", "Nodes", "Buggy %", "Best stage")
	}
	for _, tr := range r.Tasks {
		row := r.keyed(tr.Run, tr.Group)
		scores := make([]string, len(tr.Scores))
		for i, s := range tr.Scores {
			scores[i] = scoreText(s)
		}
		split := tr.Split
		if split == "" && !machine {
			split = "-"
		}
		if machine {
			row = append(row, tr.Task, tr.Split, itoa(tr.Runs), itoa(tr.Finished), itoa(tr.Graded),
				strings.Join(scores, " "), tr.Medals, optNum(tr.GoldThreshold), optNum(tr.SilverThreshold),
				optNum(tr.BronzeThreshold), optNum(tr.MedianThreshold), strconv.FormatBool(tr.LowerIsBetter),
				num(tr.Nodes, 2), num(tr.BuggyPct, 2), tr.BestStage)
		} else {
			medals := tr.Medals
			if medals == "" {
				medals = "-"
			}
			stage := tr.BestStage
			if stage == "" {
				stage = "-"
			}
			row = append(row, tr.Task, split, fmt.Sprintf("%d/%d", tr.Finished, tr.Runs), orDash(strings.Join(scores, " ")),
				medals, optNum(tr.GoldThreshold), optNum(tr.SilverThreshold), optNum(tr.BronzeThreshold),
				optNum(tr.MedianThreshold), num(tr.Nodes, 1)+mark(tr.IncompleteNodes), num(tr.BuggyPct, 1), stage)
			if tr.IncompleteNodes > 0 {
				t.notes = append(t.notes, fmt.Sprintf("* %s %s: %d finished run(s) have unreadable trace parts and no checkpoint: Nodes counts only what was readable.",
					tr.Run, tr.Task, tr.IncompleteNodes))
			}
		}
		t.rows = append(t.rows, row)
	}
	first := r.alignNumbers(&t, 2)
	if !machine {
		t.right[first+1], t.right[first+2] = false, false // scores, medals: lists
		t.notes = append(t.notes, "Scores and Medals list finished runs in seed order: G gold, S silver, B bronze, - none, ? not graded.")
	}
	t.right[len(t.right)-1] = false
	return t
}

func (r *Report) anytimeTable(machine bool) table {
	t := table{title: "Anytime any-medal % (node with the best validation metric so far)"}
	if machine {
		t.header = r.keyed("run", r.By, "split", "hours", "tasks", "seeds", "any_medal_pct_mean", "any_medal_pct_sem", "chosen", "ungraded")
	} else {
		t.header = r.keyed("Run", r.By, "Split", "Hours", "Tasks", "Seeds", "Any medal %", "Chosen", "Ungraded")
	}
	ungraded := 0
	for _, a := range r.Anytime {
		row := r.keyed(a.Run, a.Group)
		if machine {
			row = append(row, a.Split, num(a.Hours, 4), itoa(a.Tasks), itoa(a.Seeds), num(a.AnyMedal.Mean, 4),
				num(a.AnyMedal.SEM, 4), itoa(a.Chosen), itoa(a.Ungraded))
		} else {
			row = append(row, a.Split, num(a.Hours, 3), itoa(a.Tasks), itoa(a.Seeds), pm(a.AnyMedal), itoa(a.Chosen), itoa(a.Ungraded))
		}
		ungraded += a.Ungraded
		t.rows = append(t.rows, row)
	}
	r.alignNumbers(&t, 1)
	if ungraded > 0 && !machine {
		t.notes = append(t.notes, "Some chosen nodes have no test result; run `mlbench collect RUN --grade-nodes` first.")
	}
	return t
}

func (t table) text(w io.Writer) error {
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	b.WriteString(t.title + "\n")
	line := func(row []string) {
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if t.right[i] {
				b.WriteString(pad + c)
			} else if i < len(row)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		b.WriteString("\n")
	}
	line(t.header)
	rule := make([]string, len(widths))
	for i, n := range widths {
		rule[i] = strings.Repeat("-", n)
	}
	line(rule)
	for _, row := range t.rows {
		line(row)
	}
	for _, n := range t.notes {
		b.WriteString("note: " + n + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t table) markdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("### " + t.title + "\n\n")
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("|")
	for _, h := range t.header {
		b.WriteString(" " + esc(h) + " |")
	}
	b.WriteString("\n|")
	for i := range t.header {
		if t.right[i] {
			b.WriteString("---:|")
		} else {
			b.WriteString("---|")
		}
	}
	b.WriteString("\n")
	for _, row := range t.rows {
		b.WriteString("|")
		for _, c := range row {
			b.WriteString(" " + esc(c) + " |")
		}
		b.WriteString("\n")
	}
	if len(t.notes) > 0 {
		b.WriteString("\n")
		for _, n := range t.notes {
			b.WriteString("- " + n + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t table) csv(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.header); err != nil {
		return err
	}
	if err := cw.WriteAll(t.rows); err != nil {
		return err
	}
	return cw.Error()
}

func itoa(n int) string { return strconv.Itoa(n) }

// num formats x with up to digits decimals, "" for NaN (machine formats)
// or "-" in text via pm/optNum callers.
func num(x float64, digits int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(round(x, digits), 'f', -1, 64)
}

// pm formats a Stat as "mean ± sem" with one decimal, "-" when undefined.
func pm(s Stat) string {
	if math.IsNaN(s.Mean) {
		return "-"
	}
	return fmt.Sprintf("%.1f ± %.1f", s.Mean, s.SEM)
}

func optNum(p *Number) string {
	if p == nil || math.IsNaN(float64(*p)) {
		return "-"
	}
	return strconv.FormatFloat(float64(*p), 'g', 6, 64)
}

// scoreText is a run's score: "-" for none, NaN, +Inf or -Inf for a valid
// submission whose metric is not finite (the reference's value).
func scoreText(p *Number) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(float64(*p), 'g', 6, 64)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// compact formats large counts as 1.2k, 3.4M.
func compact(x float64) string {
	switch {
	case math.IsNaN(x):
		return "-"
	case x >= 1e6:
		return strconv.FormatFloat(round(x/1e6, 1), 'f', -1, 64) + "M"
	case x >= 1e4:
		return strconv.FormatFloat(round(x/1e3, 1), 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(round(x, 0), 'f', -1, 64)
}
