package results

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"time"

	"github.com/sourcegraph/conc/pool"
)

// AnytimeRow is the any-medal rate of one run (and sweep group) on one
// split had every task-run stopped after Hours: at that time each run
// submits the node the agent would have chosen, the one with the best
// validation metric among the non-buggy nodes finished so far.
type AnytimeRow struct {
	Run   string  `json:"run"`
	Group string  `json:"group,omitempty"`
	Split string  `json:"split"`
	Hours float64 `json:"hours"`
	Tasks int     `json:"tasks"`
	Seeds int     `json:"seeds"`
	// AnyMedal is the any-medal percentage, mean ± SEM over seeds counted
	// as in the medal table.
	AnyMedal Stat `json:"any_medal_pct"`
	// Chosen counts runs that had a node to submit by then; Ungraded
	// those whose chosen node has no medal recorded (run mlbench collect
	// --grade-nodes), counted as no medal.
	Chosen   int `json:"chosen"`
	Ungraded int `json:"ungraded"`
}

// anytimeColumns are the node columns the anytime analysis reads.
var anytimeColumns = []string{"node_id", "created_at", "finished_at", "is_buggy", "metric", "lower_is_better", "medal"}

// bestEvent is a change of the chosen node of one task-run.
type bestEvent struct {
	at       time.Duration // since the run started
	anyMedal bool
	graded   bool
}

// itemTimeline is how the chosen node of one task-run changed over time.
type itemTimeline struct {
	events []bestEvent
	end    time.Duration // when its last node finished
}

// at returns the chosen node's state at elapsed time t.
func (tl itemTimeline) at(t time.Duration) (ev bestEvent, ok bool) {
	i := sort.Search(len(tl.events), func(i int) bool { return tl.events[i].at > t })
	if i == 0 {
		return bestEvent{}, false
	}
	return tl.events[i-1], true
}

// BuildAnytime computes anytime curves for runs: one AnytimeRow per run,
// group, split and time in at (nil: an automatic grid of round steps up to
// the longest run). It reads the trace parts of every finished item; nodes
// need test results (mlbench collect --grade-nodes) to count medals.
func BuildAnytime(ctx context.Context, runs []*Run, opts ReportOptions, at []time.Duration, r *Reader) ([]AnytimeRow, error) {
	if r == nil {
		r = NewReader(nil)
	}
	labels := uniqueLabels(runs)
	timelines := make([]map[int64]itemTimeline, len(runs))
	var longest time.Duration
	for i, run := range runs {
		tls, err := runTimelines(ctx, run, r)
		if err != nil {
			return nil, err
		}
		timelines[i] = tls
		for _, tl := range tls {
			longest = max(longest, tl.end)
		}
	}
	if at == nil {
		at = autoGrid(longest)
	}
	var out []AnytimeRow
	for _, split := range Splits {
		for i, run := range runs {
			// One synthetic copy of the run per time, its medal flags
			// replaced by those of the node chosen at that time, counted
			// by the same rules as the medal table.
			for _, t := range at {
				snap := *run
				snap.Rows = make([]ResultRow, len(run.Rows))
				for k, row := range run.Rows {
					row.AnyMedal = false
					if ev, ok := timelines[i][row.Item].at(t); ok && finished(&row) {
						row.AnyMedal = ev.anyMedal
					}
					snap.Rows[k] = row
				}
				groups, err := groupRows(&snap, labels[i], opts.By)
				if err != nil {
					return nil, err
				}
				for _, g := range groups {
					m, ok := medalRow(g, split, opts)
					if !ok {
						continue
					}
					ar := AnytimeRow{Run: m.Run, Group: m.Group, Split: split, Hours: t.Hours(),
						Tasks: m.Tasks, Seeds: m.Seeds, AnyMedal: m.AnyMedal}
					for k := range g.rows {
						row := &g.rows[k]
						if !inSplit(row, split) || !finished(row) {
							continue
						}
						if ev, ok := timelines[i][row.Item].at(t); ok {
							ar.Chosen++
							if !ev.graded {
								ar.Ungraded++
							}
						}
					}
					out = append(out, ar)
				}
			}
		}
	}
	return out, nil
}

// runTimelines reads the nodes of every finished item of run.
func runTimelines(ctx context.Context, run *Run, r *Reader) (map[int64]itemTimeline, error) {
	type res struct {
		item int64
		tl   itemTimeline
	}
	p := pool.NewWithResults[res]().WithContext(ctx).WithMaxGoroutines(runtime.GOMAXPROCS(0))
	for _, row := range run.Rows {
		if !finished(&row) {
			continue
		}
		p.Go(func(ctx context.Context) (res, error) {
			dir := ItemDir(run.Dir, int(row.Item))
			nodes, err := r.Nodes(ctx, dir, anytimeColumns...)
			if err != nil {
				return res{}, fmt.Errorf("read nodes of item %d: %w", row.Item, err)
			}
			st, _ := ReadItemStatus(dir) // a bad status.json was reported by Collect
			return res{row.Item, timeline(nodes, st.StartedAt)}, nil
		})
	}
	outs, err := p.Wait()
	if err != nil {
		return nil, fmt.Errorf("anytime %s: %w", run.Label, err)
	}
	tls := make(map[int64]itemTimeline, len(outs))
	for _, o := range outs {
		tls[o.item] = o.tl
	}
	return tls, nil
}

// timeline replays the nodes of one task-run in finishing order, keeping
// the best validation metric so far (ties keep the earlier node).
func timeline(nodes []NodeRow, start time.Time) itemTimeline {
	sort.SliceStable(nodes, func(i, j int) bool { return nodes[i].FinishedAt.Before(nodes[j].FinishedAt) })
	if start.IsZero() {
		for _, n := range nodes {
			if !n.CreatedAt.IsZero() && (start.IsZero() || n.CreatedAt.Before(start)) {
				start = n.CreatedAt
			}
		}
	}
	var tl itemTimeline
	var best *NodeRow
	for i := range nodes {
		n := &nodes[i]
		el := max(0, n.FinishedAt.Sub(start))
		tl.end = max(tl.end, el)
		if n.IsBuggy || n.Metric == nil {
			continue
		}
		better := best == nil ||
			(n.LowerIsBetter && *n.Metric < *best.Metric) ||
			(!n.LowerIsBetter && *n.Metric > *best.Metric)
		if !better {
			continue
		}
		best = n
		ev := bestEvent{at: el, graded: n.Medal != nil}
		if n.Medal != nil {
			m := *n.Medal
			ev.anyMedal = m == MedalGold || m == MedalSilver || m == MedalBronze
		}
		tl.events = append(tl.events, ev)
	}
	return tl
}

// autoGrid returns round times up to longest: the smallest step of a fixed
// ladder that gives at most 24 points.
func autoGrid(longest time.Duration) []time.Duration {
	if longest <= 0 {
		return []time.Duration{0}
	}
	steps := []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
		15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour,
		12 * time.Hour, 24 * time.Hour}
	step := steps[len(steps)-1]
	for _, s := range steps {
		if longest/s < 24 || (longest%s == 0 && longest/s == 24) {
			step = s
			break
		}
	}
	var grid []time.Duration
	for t := step; ; t += step {
		grid = append(grid, t)
		if t >= longest {
			break
		}
	}
	return grid
}
