package results

import (
	"encoding/json"
	"math"
	"sort"
	"strings"
)

// Split names of the medal tables, in print order. SplitAll counts every
// task of the run whatever its split.
const (
	SplitLow    = "low"
	SplitMedium = "medium"
	SplitHigh   = "high"
	SplitAll    = "all"
)

// Splits lists the medal-table splits in print order.
var Splits = []string{SplitLow, SplitMedium, SplitHigh, SplitAll}

// ReportOptions selects what a Report contains.
type ReportOptions struct {
	// By groups each run's items by the value of this dotted config key:
	// the item's sweep params first, else the run's config.yaml. Empty: no
	// grouping.
	By string
	// PadMissing counts missing runs as zero reports, as MLE-Bench's
	// aggregate_grading_reports.py --pad-missing: the seed count is the
	// largest number of runs planned for a task (the manifest knows them)
	// instead of the smallest number finished (complete seeds only).
	PadMissing bool
	// NumSeeds, when positive, caps the number of seeds counted.
	NumSeeds int
	// Tasks adds the per-task table.
	Tasks bool
}

// Stat is a percentage (or other figure) over seeds: the mean and the
// standard error of the mean (sample standard deviation with ddof=1 over
// sqrt(n); 0 for one seed; NaN mean for none).
type Stat struct {
	Mean float64 `json:"mean"`
	SEM  float64 `json:"sem"`
}

// MarshalJSON writes NaN as null.
func (s Stat) MarshalJSON() ([]byte, error) {
	if math.IsNaN(s.Mean) {
		return []byte(`{"mean":null,"sem":null}`), nil
	}
	return json.Marshal(struct {
		Mean float64 `json:"mean"`
		SEM  float64 `json:"sem"`
	}{round(s.Mean, 6), round(s.SEM, 6)})
}

// MedalRow is one line of a medal table: one run (and sweep group) on one
// split.
type MedalRow struct {
	Run   string `json:"run"`
	Group string `json:"group,omitempty"`
	Split string `json:"split"`
	// Tasks is the number of distinct tasks of the split in the group, the
	// denominator of every percentage.
	Tasks int `json:"tasks"`
	// Seeds is the number of seeds counted.
	Seeds int `json:"seeds"`
	// Runs is the number of work items in the split; Finished of them are
	// done or failed; Counted of those entered the table. Padded runs were
	// missing and counted as zero (--pad-missing); Dropped finished runs
	// were left out because another task lacks that seed.
	Runs     int `json:"runs"`
	Finished int `json:"finished"`
	Counted  int `json:"counted"`
	Padded   int `json:"padded"`
	Dropped  int `json:"dropped"`
	// Ungraded counts finished runs without grade.json (counted as no
	// submission).
	Ungraded int `json:"ungraded"`

	AnyMedal         Stat `json:"any_medal_pct"`
	Gold             Stat `json:"gold_pct"`
	Silver           Stat `json:"silver_pct"`
	Bronze           Stat `json:"bronze_pct"`
	ValidSubmission  Stat `json:"valid_submission_pct"`
	SubmissionExists Stat `json:"submission_exists_pct"`
	AboveMedian      Stat `json:"above_median_pct"`

	// Recovered counts finished runs whose nodes were partly read from the
	// checkpoint; IncompleteNodes and IncompleteCost count finished runs
	// whose node figures (or only cost) are known to be short (see
	// ResultRow.Incomplete). Text formats mark the cells and add a note.
	Recovered       int `json:"recovered,omitempty"`
	IncompleteNodes int `json:"incomplete_nodes,omitempty"`
	IncompleteCost  int `json:"incomplete_cost,omitempty"`

	// Means per finished run.
	WallHours float64 `json:"wall_hours"`
	Nodes     float64 `json:"nodes"`
	Tokens    float64 `json:"tokens"`
	CostUSD   float64 `json:"cost_usd"`
}

// TaskRow is one task of one run (and sweep group) over its seeds.
type TaskRow struct {
	Run      string `json:"run"`
	Group    string `json:"group,omitempty"`
	Task     string `json:"task"`
	Split    string `json:"split"`
	Runs     int    `json:"runs"`
	Finished int    `json:"finished"`
	Graded   int    `json:"graded"`
	// Scores holds each finished run's score in seed order (nil: none).
	Scores []*Number `json:"scores"`
	// Medals has one letter per finished run in seed order: G, S, B, or
	// "-" for none, "?" when not graded.
	Medals          string  `json:"medals"`
	GoldThreshold   *Number `json:"gold_threshold"`
	SilverThreshold *Number `json:"silver_threshold"`
	BronzeThreshold *Number `json:"bronze_threshold"`
	MedianThreshold *Number `json:"median_threshold"`
	LowerIsBetter   bool    `json:"lower_is_better"`
	Nodes           float64 `json:"nodes"`
	BuggyPct        float64 `json:"buggy_pct"`
	// BestStage is the most common stage of the graded nodes.
	BestStage string `json:"best_stage"`
	// IncompleteNodes counts finished runs whose nodes could not all be
	// read (see ResultRow.Incomplete).
	IncompleteNodes int `json:"incomplete_nodes,omitempty"`
}

// Number is a score or threshold in a report. A nil *Number is none
// (JSON null); a non-finite one (a valid submission whose metric is NaN or
// infinite, as the reference's) is written as the string "NaN", "Infinity"
// or "-Infinity", so the report stays JSON that every parser reads.
type Number float64

// MarshalJSON implements json.Marshaler.
func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	switch {
	case math.IsNaN(f):
		return []byte(`"NaN"`), nil
	case math.IsInf(f, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(f, -1):
		return []byte(`"-Infinity"`), nil
	}
	return json.Marshal(f)
}

// RunInfo summarises one loaded run.
type RunInfo struct {
	Label     string `json:"run"`
	Source    string `json:"source"`
	Items     int    `json:"items"`
	Done      int    `json:"done"`
	Failed    int    `json:"failed"`
	Running   int    `json:"running"`
	Pending   int    `json:"pending"`
	Cancelled int    `json:"cancelled"`
	Skipped   int    `json:"skipped_files"`
}

// Missing is the number of items not finished yet (or never to be).
func (ri RunInfo) Missing() int { return ri.Items - ri.Done - ri.Failed }

// Report is everything `mlbench report` prints.
type Report struct {
	By      string       `json:"by,omitempty"`
	Runs    []RunInfo    `json:"runs"`
	Medals  []MedalRow   `json:"medals"`
	Tasks   []TaskRow    `json:"tasks,omitempty"`
	Anytime []AnytimeRow `json:"anytime,omitempty"`
	// Modalities counts modelled and fallback items per modality.
	Modalities []ModalityRow `json:"modalities,omitempty"`
	// Usage is the LLM usage per role of each run (and group); empty
	// when no item used an LLM.
	Usage    []UsageRow    `json:"usage,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
	options  ReportOptions // kept for rendering
}

// group is the rows of one run and sweep value.
type group struct {
	run   string
	value string
	rows  []ResultRow
}

// BuildReport computes the medal tables (and the per-task table when asked)
// of runs, side by side in the given order.
func BuildReport(runs []*Run, opts ReportOptions) (*Report, error) {
	rep := &Report{By: opts.By, options: opts}
	labels := uniqueLabels(runs)
	var groups []group
	for i, run := range runs {
		c := run.Counts()
		rep.Runs = append(rep.Runs, RunInfo{
			Label: labels[i], Source: run.Source, Items: len(run.Rows),
			Done: c[StateDone], Failed: c[StateFailed], Running: c[StateRunning],
			Pending: c[StatePending], Cancelled: c[StateCancelled], Skipped: len(run.Skipped),
		})
		if n := len(run.Skipped); n > 0 {
			rep.Warnings = append(rep.Warnings, skippedWarning(labels[i], run))
		}
		gs, err := groupRows(run, labels[i], opts.By)
		if err != nil {
			return nil, err
		}
		groups = append(groups, gs...)
	}
	for _, split := range Splits {
		for _, g := range groups {
			if row, ok := medalRow(g, split, opts); ok {
				rep.Medals = append(rep.Medals, row)
			}
		}
	}
	rep.Modalities = modalityRows(runs, labels)
	if opts.Tasks {
		for _, g := range groups {
			rep.Tasks = append(rep.Tasks, taskRows(g)...)
		}
	}
	for _, g := range groups {
		rep.Usage = append(rep.Usage, usageRows(g)...)
	}
	return rep, nil
}

// medalRow computes one medal-table line the MLE-Bench way: seed i of a
// task is its i-th finished run (in seed order); the seed count is the
// smallest number of finished runs over the split's tasks, or with
// PadMissing the largest number of planned runs, missing runs counting as
// all-false reports; each seed gives a percentage over the split's tasks;
// the line shows mean ± SEM over seeds.
func medalRow(g group, split string, opts ReportOptions) (MedalRow, bool) {
	row := MedalRow{Run: g.run, Group: g.value, Split: split}
	perTask := map[string][]*ResultRow{}
	planned := map[string]int{}
	var tasks []string
	var wall, nodes, tokens, cost float64
	for i := range g.rows {
		r := &g.rows[i]
		if !inSplit(r, split) {
			continue
		}
		row.Runs++
		planned[r.TaskID]++
		if _, ok := perTask[r.TaskID]; !ok {
			tasks = append(tasks, r.TaskID)
			perTask[r.TaskID] = nil
		}
		if !finished(r) {
			continue
		}
		row.Finished++
		if !r.Graded {
			row.Ungraded++
		}
		perTask[r.TaskID] = append(perTask[r.TaskID], r)
		countIncomplete(r, &row)
		wall += r.WallSeconds / 3600
		nodes += float64(r.Nodes)
		tokens += float64(r.PromptTokens + r.CompletionTokens)
		cost += r.CostUSD
	}
	if row.Runs == 0 {
		return row, false
	}
	row.Tasks = len(tasks)
	if row.Finished > 0 {
		f := float64(row.Finished)
		// Rounded so that summation order never shows in the output.
		row.WallHours, row.Nodes = round(wall/f, 6), round(nodes/f, 4)
		row.Tokens, row.CostUSD = round(tokens/f, 2), round(cost/f, 6)
	}

	// Complete seeds only: the fewest finished runs of any task. Padded:
	// the most runs planned for any task (the manifest knows what is
	// missing, even when no task has finished it).
	seeds := -1
	for _, t := range tasks {
		bySeed(perTask[t])
		n := len(perTask[t])
		if opts.PadMissing {
			seeds = max(seeds, planned[t])
		} else if seeds < 0 || n < seeds {
			seeds = n
		}
	}
	if opts.NumSeeds > 0 && seeds > opts.NumSeeds {
		seeds = opts.NumSeeds
	}
	row.Seeds = seeds

	metrics := []struct {
		stat *Stat
		flag func(*ResultRow) bool
	}{
		{&row.AnyMedal, func(r *ResultRow) bool { return r.AnyMedal }},
		{&row.Gold, func(r *ResultRow) bool { return r.GoldMedal }},
		{&row.Silver, func(r *ResultRow) bool { return r.SilverMedal }},
		{&row.Bronze, func(r *ResultRow) bool { return r.BronzeMedal }},
		{&row.ValidSubmission, func(r *ResultRow) bool { return r.ValidSubmission }},
		{&row.SubmissionExists, func(r *ResultRow) bool { return r.SubmissionExists }},
		{&row.AboveMedian, func(r *ResultRow) bool { return r.AboveMedian }},
	}
	for _, t := range tasks {
		n := len(perTask[t])
		row.Counted += min(n, seeds)
		row.Padded += max(0, seeds-n)
		row.Dropped += max(0, n-seeds)
	}
	for _, m := range metrics {
		pct := make([]float64, seeds)
		for s := range seeds {
			hits := 0
			for _, t := range tasks {
				if rs := perTask[t]; s < len(rs) && m.flag(rs[s]) {
					hits++
				}
			}
			pct[s] = 100 * float64(hits) / float64(len(tasks))
		}
		*m.stat = meanSEM(pct)
	}
	return row, true
}

// countIncomplete tallies a finished run's recovered or missing figures.
func countIncomplete(r *ResultRow, row *MedalRow) {
	if r.NodesRecovered > 0 {
		row.Recovered++
	}
	switch {
	case incompleteHas(r.Incomplete, "nodes"):
		row.IncompleteNodes++ // and cost with them
	case incompleteHas(r.Incomplete, "cost"):
		row.IncompleteCost++
	}
}

// incompleteHas reports whether a ResultRow.Incomplete list names figure.
func incompleteHas(list, figure string) bool {
	for _, f := range strings.Split(list, ",") {
		if f == figure {
			return true
		}
	}
	return false
}

// meanSEM returns the mean and standard error (ddof=1) of xs.
func meanSEM(xs []float64) Stat {
	n := float64(len(xs))
	if len(xs) == 0 {
		return Stat{Mean: math.NaN(), SEM: math.NaN()}
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / n
	if len(xs) == 1 {
		return Stat{Mean: mean}
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return Stat{Mean: mean, SEM: math.Sqrt(ss/(n-1)) / math.Sqrt(n)}
}

// taskRows builds the per-task table of a group, tasks in name order.
func taskRows(g group) []TaskRow {
	perTask := map[string][]*ResultRow{}
	var tasks []string
	for i := range g.rows {
		r := &g.rows[i]
		if _, ok := perTask[r.TaskID]; !ok {
			tasks = append(tasks, r.TaskID)
		}
		perTask[r.TaskID] = append(perTask[r.TaskID], r)
	}
	sort.Strings(tasks)
	out := make([]TaskRow, 0, len(tasks))
	for _, t := range tasks {
		rs := perTask[t]
		bySeed(rs)
		tr := TaskRow{Run: g.run, Group: g.value, Task: t, Split: rs[0].Split, Runs: len(rs)}
		var medals strings.Builder
		var nodes, buggy int64
		stages := map[string]int{}
		for _, r := range rs {
			if !finished(r) {
				continue
			}
			tr.Finished++
			tr.Scores = append(tr.Scores, (*Number)(r.Score))
			nodes += r.Nodes
			buggy += r.BuggyNodes
			if incompleteHas(r.Incomplete, "nodes") {
				tr.IncompleteNodes++
			}
			if !r.Graded {
				medals.WriteByte('?')
				continue
			}
			tr.Graded++
			switch {
			case r.GoldMedal:
				medals.WriteByte('G')
			case r.SilverMedal:
				medals.WriteByte('S')
			case r.BronzeMedal:
				medals.WriteByte('B')
			default:
				medals.WriteByte('-')
			}
			if tr.GoldThreshold == nil {
				tr.GoldThreshold, tr.SilverThreshold = (*Number)(r.GoldThreshold), (*Number)(r.SilverThreshold)
				tr.BronzeThreshold, tr.MedianThreshold = (*Number)(r.BronzeThreshold), (*Number)(r.MedianThreshold)
				tr.LowerIsBetter = r.IsLowerBetter
			}
			if r.BestStage != "" {
				stages[r.BestStage]++
			}
		}
		tr.Medals = medals.String()
		if tr.Finished > 0 {
			tr.Nodes = float64(nodes) / float64(tr.Finished)
		}
		if nodes > 0 {
			tr.BuggyPct = 100 * float64(buggy) / float64(nodes)
		}
		tr.BestStage = modeStage(stages)
		out = append(out, tr)
	}
	return out
}

// modeStage returns the most common stage, ties broken by name.
func modeStage(stages map[string]int) string {
	best, bestN := "", 0
	for s, n := range stages {
		if n > bestN || (n == bestN && s < best) {
			best, bestN = s, n
		}
	}
	return best
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}
