package results

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	"github.com/sourcegraph/conc/pool"
)

// BatchGCPercent is the GOGC value the report and collect commands run
// with: reading thousands of trace parts makes short-lived garbage, and a
// few times more heap buys a quarter less CPU while peak memory stays far
// below a GiB on the largest runs.
const BatchGCPercent = 400

// Run is one run directory loaded for a report: its manifest, one result
// row per manifest item, and what could not be read.
type Run struct {
	// Dir is the run directory; Label names the run in tables (the run id,
	// or the directory name when the manifest has none).
	Dir      string
	Label    string
	Manifest Manifest
	// Rows has one row per manifest item, ordered by item index.
	Rows []ResultRow
	// Source says where Rows came from: ResultsFile, or "items" when they
	// were recomputed from the item directories.
	Source string
	// Skipped lists files that could not be read (damaged trace parts,
	// malformed status.json or grade.json); their items count as far as
	// the rest allows.
	Skipped []SkippedPart
}

// Counts tallies the run's items by state.
func (r *Run) Counts() map[string]int {
	c := map[string]int{}
	for _, row := range r.Rows {
		c[row.Status]++
	}
	return c
}

// CollectOptions tunes Collect and LoadRun.
type CollectOptions struct {
	// Reader reads trace parts; nil uses NewReader(nil).
	Reader *Reader
	// Workers is the number of items read at once (default GOMAXPROCS).
	Workers int
	// Recompute ignores results.parquet in LoadRun.
	Recompute bool
	// Now is the clock used for the wall time of running items
	// (default time.Now).
	Now func() time.Time
}

func (o CollectOptions) withDefaults() CollectOptions {
	if o.Reader == nil {
		o.Reader = NewReader(nil)
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Collect builds one ResultRow per manifest item of runDir from the item
// directories:
//
//   - manifest.json gives task, split, seed and params;
//   - items/<i>/status.json gives the state, attempts and wall time
//     (finished_at - started_at; for a running item, the last node's end);
//   - items/<i>/grade.json (an MLE-Bench CompetitionReport) gives the score,
//     medal flags and thresholds; without it the item is not graded;
//   - items/<i>/best/node_id names the graded node (its stage is BestStage);
//   - the trace parts give nodes, buggy nodes, tokens and cost.
//
// Unreadable files are skipped and returned in Run.Skipped; only a missing
// or malformed manifest, or a cancelled ctx, is an error.
func Collect(ctx context.Context, runDir string, opts CollectOptions) (*Run, error) {
	opts = opts.withDefaults()
	m, err := ReadManifest(runDir)
	if err != nil {
		return nil, err
	}
	run := &Run{Dir: runDir, Label: runLabel(runDir, m), Manifest: m, Source: "items"}

	// The reader records damaged parts; remember what it had so this run
	// reports only its own.
	before := len(opts.Reader.Skipped())
	type out struct {
		row     ResultRow
		skipped []SkippedPart
	}
	p := pool.NewWithResults[out]().WithContext(ctx).WithMaxGoroutines(opts.Workers)
	for _, it := range m.Items {
		p.Go(func(ctx context.Context) (out, error) {
			row, skipped, err := collectItem(ctx, runDir, m.RunID, it, opts)
			return out{row, skipped}, err
		})
	}
	outs, err := p.Wait()
	if err != nil {
		return nil, fmt.Errorf("collect %s: %w", runDir, err)
	}
	sort.Slice(outs, func(i, j int) bool { return outs[i].row.Item < outs[j].row.Item })
	run.Rows = make([]ResultRow, len(outs))
	for i, o := range outs {
		run.Rows[i] = o.row
		run.Skipped = append(run.Skipped, o.skipped...)
	}
	run.Skipped = append(run.Skipped, opts.Reader.Skipped()[before:]...)
	sort.Slice(run.Skipped, func(i, j int) bool { return run.Skipped[i].Path < run.Skipped[j].Path })
	return run, nil
}

// CollectItem builds the result row of one manifest item of runDir exactly
// as Collect does for each (the web view refreshes changed items with it),
// with the files it could not read.
func CollectItem(ctx context.Context, runDir, runID string, it ManifestItem, opts CollectOptions) (ResultRow, []SkippedPart, error) {
	return collectItem(ctx, runDir, runID, it, opts.withDefaults())
}

// ItemFiles is what an item's small files say (see CollectItemFiles).
type ItemFiles struct {
	Row      ResultRow
	Status   ItemStatus
	Progress Progress
	Skipped  []SkippedPart
	// Started says the item directory exists (else the item never ran).
	Started bool
}

// CollectItemFiles builds an item's result row from its small files only:
// status.json, grade.json, best/node_id and progress.json (nodes and buggy
// nodes as the worker counted them), without reading the trace: no tokens,
// cost or best stage. The web view paints with it and completes the rows
// with CollectItem.
func CollectItemFiles(runDir, runID string, it ManifestItem, now time.Time) ItemFiles {
	var f ItemFiles
	f.Row, f.Status, f.Skipped, f.Started = itemFiles(runDir, runID, it)
	if !f.Started {
		return f
	}
	f.Progress = ReadProgress(ItemDir(runDir, it.Index))
	f.Row.Nodes, f.Row.BuggyNodes = int64(f.Progress.Nodes), int64(f.Progress.Buggy)
	st := f.Status
	end := st.FinishedAt
	if end.IsZero() && st.State == StateRunning {
		end = now
	}
	if !st.StartedAt.IsZero() && end.After(st.StartedAt) {
		f.Row.WallSeconds = end.Sub(st.StartedAt).Seconds()
	}
	return f
}

// collectItem builds the result row of one item.
func collectItem(ctx context.Context, runDir, runID string, it ManifestItem, opts CollectOptions) (ResultRow, []SkippedPart, error) {
	dir := ItemDir(runDir, it.Index)
	row, st, skipped, ok := itemFiles(runDir, runID, it)
	if !ok {
		return row, skipped, nil // never started
	}

	sum, err := opts.Reader.summarize(ctx, dir, row.BestNodeID)
	if err != nil {
		if ctx.Err() != nil {
			return row, nil, ctx.Err()
		}
		skipped = append(skipped, SkippedPart{dir, err})
	}
	recoverNodes(dir, &row, &sum, &skipped)
	row.Nodes, row.BuggyNodes = sum.nodes, sum.buggy
	row.PromptTokens, row.CompletionTokens, row.CostUSD = sum.prompt, sum.completion, sum.cost
	row.RoleUsage = sum.roles
	row.BestStage = sum.bestStage
	first, last := sum.firstCreated, sum.lastFinish
	start, end := st.StartedAt, st.FinishedAt
	if start.IsZero() {
		start = first
	}
	if end.IsZero() {
		if st.State == StateRunning {
			end = opts.Now()
		} else {
			end = last
		}
	}
	if !start.IsZero() && end.After(start) {
		row.WallSeconds = end.Sub(start).Seconds()
	}
	return row, skipped, nil
}

// recoverNodes completes an item's trace summary from its checkpoint when
// the trace lacks nodes: a part could not be read, or progress.json counts
// more nodes than the trace holds (a part lost with a killed job, or still
// open while the item runs). What cannot be recovered is named in
// row.Incomplete, so that reports mark it rather than show a short figure
// as if it were whole.
func recoverNodes(dir string, row *ResultRow, sum *nodeSummary, skipped *[]SkippedPart) {
	row.DamagedParts = sum.damaged
	progress := readProgressNodes(dir)
	if sum.damaged == 0 && progress <= sum.nodes {
		return
	}
	ck, err := CheckpointNodes(dir)
	if err != nil && !errors.Is(err, ErrNoCheckpoint) {
		*skipped = append(*skipped, SkippedPart{CheckpointPath(dir), err})
	}
	if err != nil || int64(len(ck)) <= sum.nodes {
		// Nothing to recover from. A running item's open part is not lost.
		if err != nil && (sum.damaged > 0 || (row.Status != StateRunning && progress > sum.nodes)) {
			row.Incomplete = "nodes,cost"
		}
		return
	}
	var rec nodeSummary
	for i := range ck {
		r := &ck[i]
		rec.nodes++
		if r.IsBuggy {
			rec.buggy++
		}
		rec.prompt += r.PromptTokens
		rec.completion += r.CompletionTokens
		if r.NodeID == row.BestNodeID {
			rec.bestStage = r.Stage
		}
		if !r.CreatedAt.IsZero() && (rec.firstCreated.IsZero() || r.CreatedAt.Before(rec.firstCreated)) {
			rec.firstCreated = r.CreatedAt
		}
		if r.FinishedAt.After(rec.lastFinish) {
			rec.lastFinish = r.FinishedAt
		}
	}
	row.NodesRecovered = rec.nodes - sum.nodes
	// The checkpoint has no prices: the trace's cost covers its own nodes.
	// Tokens the trace did not see mean cost it did not see.
	rec.cost, rec.damaged = sum.cost, sum.damaged
	if rec.bestStage == "" {
		rec.bestStage = sum.bestStage
	}
	if rec.prompt+rec.completion > sum.prompt+sum.completion {
		row.Incomplete = "cost"
	}
	*sum = rec
}

// runLabel names a run in tables.
func runLabel(dir string, m Manifest) string {
	if m.RunID != "" {
		return m.RunID
	}
	return filepath.Base(filepath.Clean(dir))
}

// LoadRun loads a run for a report: from results.parquet when it exists,
// is readable, covers every manifest item, every row is final (done or
// failed) and no item's status.json or grade.json is newer than it;
// otherwise by Collect. A results file written while the run was still
// going, or before an item was resumed or regraded, is therefore never
// trusted over the live item directories.
func LoadRun(ctx context.Context, runDir string, opts CollectOptions) (*Run, error) {
	opts = opts.withDefaults()
	if !opts.Recompute {
		if run, ok := loadResultsFile(ctx, runDir, opts); ok {
			return run, nil
		}
	}
	return Collect(ctx, runDir, opts)
}

func loadResultsFile(ctx context.Context, runDir string, opts CollectOptions) (*Run, bool) {
	path := filepath.Join(runDir, ResultsFile)
	st, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	m, err := ReadManifest(runDir)
	if err != nil {
		return nil, false
	}
	// An item that changed since (resumed, regraded) makes the file stale.
	for _, it := range m.Items {
		dir := ItemDir(runDir, it.Index)
		for _, name := range []string{StatusFile, GradeFile} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && fi.ModTime().After(st.ModTime()) {
				return nil, false
			}
		}
	}
	rows, err := opts.Reader.Results(ctx, path)
	if err != nil || len(rows) != len(m.Items) {
		return nil, false
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Item < rows[j].Item })
	indices := make([]int, len(m.Items))
	for i, it := range m.Items {
		indices[i] = it.Index
	}
	sort.Ints(indices)
	for i, r := range rows {
		if r.Item != int64(indices[i]) || (r.Status != StateDone && r.Status != StateFailed) {
			return nil, false
		}
	}
	return &Run{Dir: runDir, Label: runLabel(runDir, m), Manifest: m, Rows: rows, Source: ResultsFile}, true
}

// known is a threshold for an optional column: nil when unknown (NaN).
func known(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	return &x
}

// itemFiles reads what an item's small files say: identity, state,
// attempts, grade and best node. ok is false when the item never started.
func itemFiles(runDir, runID string, it ManifestItem) (row ResultRow, st ItemStatus, skipped []SkippedPart, ok bool) {
	dir := ItemDir(runDir, it.Index)
	row = ResultRow{
		RunID:  runID,
		Item:   int64(it.Index),
		TaskID: it.TaskID,
		Split:  it.Split,
		Seed:   int64(it.Seed),
		Params: it.ParamsJSON(),
	}
	st, err := ReadItemStatus(dir)
	if err != nil {
		skipped = append(skipped, SkippedPart{filepath.Join(dir, StatusFile), err})
		st = ItemStatus{State: StatePending}
	}
	row.Status, row.Attempts = st.State, int64(st.Attempts)
	row.Modality, row.Fallback, row.FallbackReason = st.Modality, st.Fallback != "", st.Fallback

	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return row, st, skipped, false // never started
	}

	g, err := ReadGrade(dir)
	switch {
	case err == nil:
		row.Graded = true
		row.SubmissionExists, row.ValidSubmission = g.SubmissionExists, g.ValidSubmission
		row.Score = g.Score
		row.GoldMedal, row.SilverMedal, row.BronzeMedal = g.GoldMedal, g.SilverMedal, g.BronzeMedal
		row.AnyMedal = g.AnyMedal || g.GoldMedal || g.SilverMedal || g.BronzeMedal
		row.AboveMedian = g.AboveMedian
		row.GoldThreshold, row.SilverThreshold = known(g.GoldThreshold), known(g.SilverThreshold)
		row.BronzeThreshold, row.MedianThreshold = known(g.BronzeThreshold), known(g.MedianThreshold)
		row.IsLowerBetter = g.IsLowerBetter
	case errors.Is(err, os.ErrNotExist):
	default:
		skipped = append(skipped, SkippedPart{filepath.Join(dir, GradeFile), err})
	}
	if row.BestNodeID, err = ReadBestNodeID(dir); err != nil {
		skipped = append(skipped, SkippedPart{filepath.Join(dir, BestDir, BestNodeIDFile), err})
	}

	return row, st, skipped, true
}
