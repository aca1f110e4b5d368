package harness

import (
	"context"
	"fmt"
	"io"
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
	r := results.NodeRowOf(rec)
	r.RunID, r.Item, r.TaskID = t.run.Manifest.RunID, int64(t.item.Index), t.item.TaskID
	r.Seed, r.Params = int64(t.item.Seed), t.item.ParamsJSON()
	if rec.LowerIsBetter == nil {
		r.LowerIsBetter = t.lower
	}
	if t.cost != nil {
		r.CoderCostUSD, r.ReviewerCostUSD = t.cost(rec.Roles())
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

// tracedNodes is the set of node ids that an item's traces hold.
func tracedNodes(ctx context.Context, itemDir string) (map[string]bool, error) {
	rows, err := results.NewReader(nil).Nodes(ctx, itemDir, "node_id")
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(rows))
	for _, r := range rows {
		seen[r.NodeID] = true
	}
	return seen, nil
}

// backfill writes rows for finished nodes of a checkpoint that the traces
// lack (a killed worker loses its open trace part, never the checkpoint),
// so a resumed item has every node exactly once.
func (t *tracer) backfill(ctx context.Context, st *search.State) error {
	seen, err := tracedNodes(ctx, t.dir)
	if err != nil {
		return fmt.Errorf("read traces for resume: %w", err)
	}
	var missing []results.NodeRow
	for i := range st.Nodes {
		n := &st.Nodes[i]
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
		rec := n.Record(st.LowerIsBetter)
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
