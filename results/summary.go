package results

import (
	"context"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// nodeSummary is what Collect needs of an item's trace.
type nodeSummary struct {
	nodes, buggy             int64
	prompt, completion       int64
	cost                     float64
	roles                    RoleUsage
	bestStage                string
	firstCreated, lastFinish time.Time
	// damaged counts the parts that could not be read.
	damaged int64
}

// summaryColumns are the node columns summarize reads, in slot order.
var summaryColumns = knownNodeColumns(append(summaryBase, roleColumns...))

// knownNodeColumns returns names after checking that each is a node column:
// scanFile reads a name the file lacks as nil, so a misspelt one would sum
// to zero without a word.
func knownNodeColumns(names []string) []string {
	if err := checkColumns(nodeSetters, names); err != nil {
		panic("results: the trace summary reads " + err.Error())
	}
	return names
}

var summaryBase = []string{"node_id", "stage", "is_buggy", "prompt_tokens", "completion_tokens", "cost_usd", "created_at", "finished_at"}

// summarize tallies the trace parts of itemDir straight from Arrow memory,
// without building rows. Damaged parts are skipped and recorded as in Nodes.
func (r *Reader) summarize(ctx context.Context, itemDir, bestID string) (nodeSummary, error) {
	var s nodeSummary
	parts, err := TraceParts(itemDir)
	if err != nil {
		return s, err
	}
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		part := nodeSummary{}
		err := scanFile(ctx, r.mem, p, summaryColumns, func(n int, arrs []arrow.Array) error {
			return part.add(n, arrs, bestID)
		})
		if err != nil {
			r.skip(p, err)
			s.damaged++
			continue
		}
		s.merge(part)
	}
	return s, nil
}

// add tallies one record batch (arrays in summaryColumns order, nil when
// the file lacks the column).
func (s *nodeSummary) add(n int, arrs []arrow.Array, bestID string) error {
	s.nodes += int64(n)
	if a := arrs[2]; a != nil {
		b, ok := a.(*array.Boolean)
		if !ok {
			return typeError{a.DataType()}
		}
		for i := range n {
			if b.Value(i) {
				s.buggy++
			}
		}
	}
	if err := sumInt64(arrs[3], &s.prompt); err != nil {
		return err
	}
	if err := sumInt64(arrs[4], &s.completion); err != nil {
		return err
	}
	if a := arrs[5]; a != nil {
		v, ok := a.(*array.Float64)
		if !ok {
			return typeError{a.DataType()}
		}
		for _, x := range v.Float64Values() {
			s.cost += x
		}
	}
	if ids, stages := arrs[0], arrs[1]; bestID != "" && ids != nil && stages != nil {
		iv, ok1 := ids.(stringValues)
		sv, ok2 := stages.(stringValues)
		if !ok1 || !ok2 {
			return typeError{ids.DataType()}
		}
		for i := range n {
			if iv.Value(i) == bestID {
				s.bestStage = strings.Clone(sv.Value(i))
			}
		}
	}
	if err := timeRange(arrs[6], &s.firstCreated, nil); err != nil {
		return err
	}
	if err := timeRange(arrs[7], nil, &s.lastFinish); err != nil {
		return err
	}
	return s.roles.addColumns(arrs[len(summaryBase):])
}

func sumInt64(a arrow.Array, dst *int64) error {
	if a == nil {
		return nil
	}
	v, ok := a.(*array.Int64)
	if !ok {
		return typeError{a.DataType()}
	}
	for _, x := range v.Int64Values() {
		*dst += x
	}
	return nil
}

// timeRange folds a timestamp column into the earliest (first) and latest
// (last) non-null value; either may be nil.
func timeRange(a arrow.Array, first, last *time.Time) error {
	if a == nil {
		return nil
	}
	ts, ok := a.(*array.Timestamp)
	if !ok {
		return typeError{a.DataType()}
	}
	unit := ts.DataType().(*arrow.TimestampType).Unit
	for i := range ts.Len() {
		if ts.IsNull(i) {
			continue
		}
		t := ts.Value(i).ToTime(unit)
		if first != nil && (first.IsZero() || t.Before(*first)) {
			*first = t
		}
		if last != nil && t.After(*last) {
			*last = t
		}
	}
	return nil
}

func (s *nodeSummary) merge(o nodeSummary) {
	s.nodes += o.nodes
	s.buggy += o.buggy
	s.prompt += o.prompt
	s.completion += o.completion
	s.cost += o.cost
	s.roles = s.roles.Add(o.roles)
	if o.bestStage != "" {
		s.bestStage = o.bestStage
	}
	if !o.firstCreated.IsZero() && (s.firstCreated.IsZero() || o.firstCreated.Before(s.firstCreated)) {
		s.firstCreated = o.firstCreated
	}
	if o.lastFinish.After(s.lastFinish) {
		s.lastFinish = o.lastFinish
	}
}
