package harness

import (
	"context"
	"fmt"
	"io"
	"math"
	"sync"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/memory"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search"
)

// tracer turns finished nodes into trace rows and keeps progress.json.
type tracer struct {
	w     *results.TraceWriter
	run   *Run
	item  results.ManifestItem
	dir   string
	cfg   *configs.Config
	lower bool
	cost  func(coder, reviewer search.Usage) (float64, float64)
	steps int
	log   io.Writer
	mem   *Memory

	mu       sync.Mutex
	progress results.Progress
}

var (
	_ search.Tracer       = (*tracer)(nil)
	_ search.BranchTracer = (*tracer)(nil)
)

// BranchDone refreshes the task knowledge when a trajectory ends.
func (t *tracer) BranchDone(ctx context.Context, _ search.NodeSnapshot) error {
	t.mem.updateKnowledge(ctx)
	return nil
}

func recNode(rec search.NodeRecord) memory.Node {
	return memory.Node{
		ID: rec.NodeID, ParentID: rec.ParentID, Step: rec.Step, Stage: memory.Stage(rec.Stage), Plan: rec.Plan,
		Code: rec.Code, Output: rec.Output, Summary: rec.Summary, Metric: rec.Metric, IsBuggy: rec.IsBuggy,
		Error: nodeError(rec.Error, rec.TimedOut, rec.OOM, ""),
	}
}

func (t *tracer) row(rec search.NodeRecord) results.NodeRow {
	r := results.NodeRow{
		RunID: t.run.Manifest.RunID, Item: int64(t.item.Index), TaskID: t.item.TaskID, Seed: int64(t.item.Seed),
		Params: t.item.ParamsJSON(), NodeID: rec.NodeID, ParentID: rec.ParentID, Step: int64(rec.Step),
		Stage: string(rec.Stage), Worker: int64(rec.Worker), CreatedAt: rec.CreatedAt, FinishedAt: rec.FinishedAt,
		LLMSeconds: rec.LLMSeconds, ExecSeconds: rec.ExecSeconds, PromptTokens: rec.PromptTokens,
		CompletionTokens: rec.CompletionTokens, ExitCode: int64(rec.ExitCode), TimedOut: rec.TimedOut,
		IsBuggy: rec.IsBuggy, FormatValid: rec.FormatValid, LowerIsBetter: t.lower,
		UCTC: rec.UCTC, Visits: int64(rec.Visits), Reward: rec.Reward,
		Plan: rec.Plan, Summary: rec.Summary, CodeSHA256: rec.CodeSHA256, Error: rec.Error,
	}
	if rec.Metric != nil && !math.IsNaN(*rec.Metric) && !math.IsInf(*rec.Metric, 0) {
		m := *rec.Metric
		r.Metric = &m
	}
	if rec.LowerIsBetter != nil {
		r.LowerIsBetter = *rec.LowerIsBetter
	}
	r.ReasoningTokens, r.CachedPromptTokens = rec.ReasoningTokens, rec.CachedPromptTokens
	r.Code, r.OutputTail = rec.Code, rec.Output
	c, v := rec.Coder, rec.Reviewer
	if c == (search.Usage{}) && v == (search.Usage{}) {
		// A record restored from an older checkpoint has no split: count
		// it all as the coder's.
		c = search.Usage{PromptTokens: rec.PromptTokens, CachedPromptTokens: rec.CachedPromptTokens,
			CompletionTokens: rec.CompletionTokens, ReasoningTokens: rec.ReasoningTokens}
	}
	r.RoleUsage = results.RoleUsage{
		CoderPromptTokens: c.PromptTokens, CoderCachedPromptTokens: c.CachedPromptTokens,
		CoderCompletionTokens: c.CompletionTokens, CoderReasoningTokens: c.ReasoningTokens,
		ReviewerPromptTokens: v.PromptTokens, ReviewerCachedPromptTokens: v.CachedPromptTokens,
		ReviewerCompletionTokens: v.CompletionTokens, ReviewerReasoningTokens: v.ReasoningTokens,
	}
	if t.cost != nil {
		r.CoderCostUSD, r.ReviewerCostUSD = t.cost(c, v)
		r.CostUSD = r.CoderCostUSD + r.ReviewerCostUSD
	}
	return r
}

// NodeDone writes the node's row and updates progress.json.
func (t *tracer) NodeDone(_ context.Context, rec search.NodeRecord) error {
	if err := t.w.Write(t.row(rec)); err != nil {
		return fmt.Errorf("trace node %s: %w", rec.NodeID, err)
	}
	t.mem.nodeDone(context.Background(), recNode(rec))
	t.mu.Lock()
	defer t.mu.Unlock()
	t.progress.Nodes++
	if rec.IsBuggy {
		t.progress.Buggy++
	}
	if rec.IsBest && rec.Metric != nil {
		m := *rec.Metric
		t.progress.BestMetric, t.progress.BestNode = &m, rec.NodeID
	}
	t.progress.Steps, t.progress.Lower, t.progress.UpdatedAt = t.steps, t.lower, time.Now().UTC()
	return results.WriteProgress(t.dir, t.progress)
}

// backfill writes rows for finished nodes of a checkpoint that the traces
// lack (a killed worker loses its open trace part, never the checkpoint),
// so a resumed item has every node exactly once.
func (t *tracer) backfill(ctx context.Context, st *search.State) error {
	seen := map[string]bool{}
	rd := results.NewReader(nil)
	rows, err := rd.Nodes(ctx, t.dir, "node_id")
	if err != nil {
		return fmt.Errorf("read traces for resume: %w", err)
	}
	for _, r := range rows {
		seen[r.NodeID] = true
	}
	byID := map[string]search.NodeState{}
	for _, n := range st.Nodes {
		byID[n.ID] = n
	}
	var missing []results.NodeRow
	for _, n := range st.Nodes {
		if n.Status != search.StatusDone {
			continue
		}
		t.progress.Nodes++
		if n.IsBuggy {
			t.progress.Buggy++
		}
		if n.ID == st.BestID && n.Metric != nil {
			m := *n.Metric
			t.progress.BestMetric, t.progress.BestNode = &m, n.ID
		}
		rec := search.NodeRecord{
			NodeID: n.ID, ParentID: n.ParentID, Step: n.Step, Stage: n.Stage, Worker: n.Worker,
			CreatedAt: n.CreatedAt, FinishedAt: n.FinishedAt, LLMSeconds: n.Usage.LLMSeconds, ExecSeconds: n.ExecSeconds,
			PromptTokens: n.Usage.PromptTokens, CompletionTokens: n.Usage.CompletionTokens, ReasoningTokens: n.Usage.ReasoningTokens,
			CachedPromptTokens: n.Usage.CachedPromptTokens, Coder: n.Usage.Sub(n.ReviewUsage), Reviewer: n.ReviewUsage,
			ExitCode: n.ExitCode, TimedOut: n.TimedOut, OOM: n.OOM, IsBuggy: n.IsBuggy, SubmissionExists: n.SubmissionExists,
			FormatValid: n.FormatValid, Metric: n.Metric, LowerIsBetter: st.LowerIsBetter, UCTC: n.UCTC, Visits: n.Visits,
			Reward: n.OwnReward, DebugDepth: n.DebugDepth, IsBest: n.IsBest, Plan: n.Plan, Summary: n.Summary, Code: n.Code,
			CodeSHA256: n.CodeSHA256, Error: n.Error, Output: n.Output,
		}
		if t.mem != nil {
			t.mem.mu.Lock()
			t.mem.nodes = append(t.mem.nodes, recNode(rec))
			t.mem.mu.Unlock()
		}
		if seen[n.ID] {
			continue
		}
		missing = append(missing, t.row(rec))
	}
	if len(missing) == 0 {
		return nil
	}
	fmt.Fprintf(t.log, "item %d: restored %d trace rows from the checkpoint\n", t.item.Index, len(missing))
	if err := t.w.Write(missing...); err != nil {
		return err
	}
	return t.w.Flush()
}
