package memory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/mlbench/mlbench/internal/atomicfile"
)

// knowledgeVersion is the version of the persisted Knowledge JSON.
const knowledgeVersion = 1

// DistilOptions tunes [Distil]. Zero limits take the defaults in brackets.
type DistilOptions struct {
	// TaskID names the task; it is copied into the result.
	TaskID string
	// LowerIsBetter is the direction of the validation metric.
	LowerIsBetter bool
	// TopDesigns is how many best designs to keep [3].
	TopDesigns int
	// MaxErrors is how many recurring errors to keep [5].
	MaxErrors int
	// MinRecurrence is how often an error must occur to count as recurring [2].
	MinRecurrence int
	// MaxNotHelpful is how many unhelpful changes to keep, the latest [5].
	MaxNotHelpful int
	// MaxHelpful is how many helpful changes to keep, the latest [5].
	MaxHelpful int
}

func (o DistilOptions) withDefaults() DistilOptions {
	if o.TopDesigns <= 0 {
		o.TopDesigns = 3
	}
	if o.MaxErrors <= 0 {
		o.MaxErrors = 5
	}
	if o.MinRecurrence <= 0 {
		o.MinRecurrence = 2
	}
	if o.MaxNotHelpful <= 0 {
		o.MaxNotHelpful = 5
	}
	if o.MaxHelpful <= 0 {
		o.MaxHelpful = 5
	}
	return o
}

// Knowledge is what one task-run has learned so far. Its JSON form is what
// [TaskKnowledge] persists; [Knowledge.Text] is what prompts receive.
type Knowledge struct {
	Version       int    `json:"version"`
	TaskID        string `json:"task_id,omitempty"`
	LowerIsBetter bool   `json:"lower_is_better"`
	// Nodes, Valid and Buggy count the nodes the knowledge was distilled from.
	Nodes int `json:"nodes"`
	Valid int `json:"valid"`
	Buggy int `json:"buggy"`
	// BestDesigns are the best valid nodes, best first.
	BestDesigns []Design `json:"best_designs"`
	// RecurringErrors are error shapes seen at least MinRecurrence times,
	// most frequent first.
	RecurringErrors []RecurringError `json:"recurring_errors"`
	// NotHelpful are improvements that did not beat their parent, oldest
	// first.
	NotHelpful []Change `json:"not_helpful"`
	// Helpful are improvements that beat their parent, oldest first.
	Helpful []Change `json:"helpful,omitempty"`
	// Refined is the refine hook's rewrite of the distilled text, if any.
	Refined string `json:"refined,omitempty"`
	// RefineError records why the last refinement failed, if it did.
	RefineError string `json:"refine_error,omitempty"`
}

// Design is one good solution: what it did and how well.
type Design struct {
	NodeID        string   `json:"node_id"`
	Stage         Stage    `json:"stage"`
	Design        string   `json:"design"`
	Metric        float64  `json:"metric"`
	ModelFamilies []string `json:"model_families,omitempty"`
	// Recipe is the design's machine-readable form, when its code has one
	// (see [Recipe]).
	Recipe string `json:"recipe,omitempty"`
}

// RecurringError is one error shape (see [NormalizeError]) and where it
// occurred.
type RecurringError struct {
	Signature string   `json:"signature"`
	Count     int      `json:"count"`
	Example   string   `json:"example"`
	NodeIDs   []string `json:"node_ids"`
}

// Change is an improvement attempt that did not help: it was no better
// than its parent, or it broke the code.
type Change struct {
	NodeID       string   `json:"node_id"`
	ParentID     string   `json:"parent_id"`
	Change       string   `json:"change"`
	ParentMetric float64  `json:"parent_metric"`
	Metric       *float64 `json:"metric,omitempty"`
	Error        string   `json:"error,omitempty"`
	// Recipe is the changed node's machine-readable design, when its code
	// has one (see [Recipe]).
	Recipe string `json:"recipe,omitempty"`
}

// Distil summarises finished nodes deterministically: the same set of nodes
// gives the same Knowledge whatever their order.
func Distil(nodes []Node, opts DistilOptions) *Knowledge {
	opts = opts.withDefaults()
	nodes = sortNodes(nodes)
	k := &Knowledge{Version: knowledgeVersion, TaskID: opts.TaskID, LowerIsBetter: opts.LowerIsBetter, Nodes: len(nodes)}
	byID := make(map[string]Node, len(nodes))
	var valid []Node
	type errGroup struct {
		RecurringError
		first int
	}
	groups := map[string]*errGroup{}
	for i, n := range nodes {
		byID[n.ID] = n
		switch {
		case n.valid():
			k.Valid++
			valid = append(valid, n)
		case n.IsBuggy:
			k.Buggy++
			sig := errorSignature(n)
			g := groups[sig]
			if g == nil {
				g = &errGroup{RecurringError: RecurringError{Signature: sig, Example: shorten(errorLine(n), 300)}, first: i}
				groups[sig] = g
			}
			g.Count++
			g.NodeIDs = append(g.NodeIDs, n.ID)
		}
	}

	sort.SliceStable(valid, func(i, j int) bool {
		a, b := *valid[i].Metric, *valid[j].Metric
		return a != b && better(a, b, opts.LowerIsBetter)
	})
	for _, n := range valid[:min(len(valid), opts.TopDesigns)] {
		k.BestDesigns = append(k.BestDesigns, Design{
			NodeID: n.ID, Stage: n.Stage, Design: lineage(n, byID),
			Metric: *n.Metric, ModelFamilies: ModelFamilies(n.Code), Recipe: Recipe(n.Code),
		})
	}

	var errs []*errGroup
	for _, g := range groups {
		if g.Count >= opts.MinRecurrence {
			errs = append(errs, g)
		}
	}
	sort.Slice(errs, func(i, j int) bool {
		if errs[i].Count != errs[j].Count {
			return errs[i].Count > errs[j].Count
		}
		return errs[i].first < errs[j].first
	})
	for _, g := range errs[:min(len(errs), opts.MaxErrors)] {
		k.RecurringErrors = append(k.RecurringErrors, g.RecurringError)
	}

	var changes, helped []Change
	for _, n := range nodes {
		p, ok := byID[n.ParentID]
		if n.Stage != StageImprove || !ok || !p.valid() {
			continue
		}
		c := Change{NodeID: n.ID, ParentID: p.ID, Change: strings.TrimSuffix(design(n), "."), ParentMetric: *p.Metric}
		switch {
		case n.IsBuggy:
			c.Error = shorten(errorLine(n), 200)
		case n.Metric == nil:
			c.Error = "no validation metric"
		case better(*n.Metric, *p.Metric, opts.LowerIsBetter):
			m := *n.Metric
			c.Metric, c.Recipe = &m, Recipe(n.Code)
			helped = append(helped, c)
			continue
		default:
			m := *n.Metric
			c.Metric = &m
		}
		changes = append(changes, c)
	}
	k.NotHelpful = changes[max(0, len(changes)-opts.MaxNotHelpful):]
	if len(k.NotHelpful) == 0 {
		k.NotHelpful = nil
	}
	k.Helpful = helped[max(0, len(helped)-opts.MaxHelpful):]
	if len(k.Helpful) == 0 {
		k.Helpful = nil
	}
	return k
}

// lineage describes the design of n as the plan of its draft followed by
// the improvements on the way to n (debug fixes are left out: they repair,
// they do not design).
func lineage(n Node, byID map[string]Node) string {
	var steps []string
	seen := map[string]bool{}
	for cur, ok := n, true; ok && !seen[cur.ID]; cur, ok = byID[cur.ParentID] {
		seen[cur.ID] = true
		if cur.Stage != StageDebug {
			steps = append(steps, strings.TrimSuffix(design(cur), "."))
		}
		if cur.ParentID == "" {
			break
		}
	}
	for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
		steps[i], steps[j] = steps[j], steps[i]
	}
	return shorten(strings.Join(steps, "; then: "), 600)
}

// Text is the knowledge as prompts receive it: the refined text when a
// refinement succeeded, else [Knowledge.Distilled].
func (k *Knowledge) Text() string {
	if k == nil {
		return ""
	}
	if k.Refined != "" {
		return k.Refined
	}
	return k.Distilled()
}

// Distilled renders the deterministic summary as text.
func (k *Knowledge) Distilled() string {
	if k == nil || k.Nodes == 0 {
		return ""
	}
	var b strings.Builder
	dir := "higher is better"
	if k.LowerIsBetter {
		dir = "lower is better"
	}
	fmt.Fprintf(&b, "After %d nodes (%d valid, %d buggy); metric: %s.\n", k.Nodes, k.Valid, k.Buggy, dir)
	if len(k.BestDesigns) > 0 {
		b.WriteString("Best designs so far:\n")
		for i, d := range k.BestDesigns {
			fmt.Fprintf(&b, "%d. node %s (%s), metric %s: %s.", i+1, d.NodeID, d.Stage, formatMetric(d.Metric), d.Design)
			if len(d.ModelFamilies) > 0 {
				fmt.Fprintf(&b, " Models: %s.", strings.Join(d.ModelFamilies, ", "))
			}
			b.WriteString("\n")
		}
	}
	if len(k.RecurringErrors) > 0 {
		b.WriteString("Recurring errors (avoid them):\n")
		for _, e := range k.RecurringErrors {
			fmt.Fprintf(&b, "- %dx %s (nodes %s)\n", e.Count, e.Signature, strings.Join(e.NodeIDs, ", "))
		}
	}
	if len(k.Helpful) > 0 {
		b.WriteString("Changes that helped:\n")
		for _, c := range k.Helpful {
			fmt.Fprintf(&b, "- node %s on %s: %s (%s -> %s)\n", c.NodeID, c.ParentID, c.Change, formatMetric(c.ParentMetric), formatMetric(*c.Metric))
		}
	}
	if len(k.NotHelpful) > 0 {
		b.WriteString("Changes that did not help:\n")
		for _, c := range k.NotHelpful {
			fmt.Fprintf(&b, "- node %s on %s: %s (", c.NodeID, c.ParentID, c.Change)
			if c.Metric != nil {
				fmt.Fprintf(&b, "%s -> %s", formatMetric(c.ParentMetric), formatMetric(*c.Metric))
			} else {
				fmt.Fprintf(&b, "broke it: %s", c.Error)
			}
			b.WriteString(")\n")
		}
	}
	return b.String()
}

// RefineFunc rewrites distilled task knowledge, e.g. by asking the feedback
// model for a tighter summary. It receives [Knowledge.Distilled] and returns
// the text prompts should see instead.
type RefineFunc func(ctx context.Context, distilled string) (string, error)

// RefineError reports that the refine hook failed; the deterministic
// knowledge was still saved and is in use.
type RefineError struct {
	Path string
	Err  error
}

func (e *RefineError) Error() string {
	return fmt.Sprintf("memory: refine task knowledge for %s: %v", e.Path, e.Err)
}

func (e *RefineError) Unwrap() error { return e.Err }

// KnowledgeOptions configures a [TaskKnowledge].
type KnowledgeOptions struct {
	Distil DistilOptions
	// Every is the number of new nodes after which [TaskKnowledge.Due]
	// reports that an update is due (memory.task_knowledge.every); zero
	// means never by count.
	Every int
	// Refine, when set, rewrites each distillation (memory.task_knowledge.refine).
	Refine RefineFunc
}

// TaskKnowledge is the persisted knowledge of one task-run. The caller
// decides when to update (every N nodes, see Due, and when a branch
// terminates). Its methods are safe for concurrent use.
type TaskKnowledge struct {
	path string
	opts KnowledgeOptions

	mu sync.Mutex
	k  *Knowledge
}

// OpenTaskKnowledge returns the task knowledge persisted at path, or an
// empty one when the file does not exist yet (a fresh task-run). A file
// that exists but cannot be read is an error: resuming would lose it.
func OpenTaskKnowledge(path string, opts KnowledgeOptions) (*TaskKnowledge, error) {
	k, err := LoadKnowledge(path)
	if errors.Is(err, fs.ErrNotExist) {
		k = &Knowledge{Version: knowledgeVersion, TaskID: opts.Distil.TaskID, LowerIsBetter: opts.Distil.LowerIsBetter}
	} else if err != nil {
		return nil, err
	}
	return &TaskKnowledge{path: path, opts: opts, k: k}, nil
}

// LoadKnowledge reads Knowledge JSON written by [SaveKnowledge].
func LoadKnowledge(path string) (*Knowledge, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read task knowledge: %w", err)
	}
	var k Knowledge
	if err := json.Unmarshal(data, &k); err != nil {
		return nil, fmt.Errorf("parse task knowledge %s: %w", path, err)
	}
	if k.Version != knowledgeVersion {
		return nil, fmt.Errorf("parse task knowledge %s: version %d, want %d", path, k.Version, knowledgeVersion)
	}
	return &k, nil
}

// SaveKnowledge writes k to path atomically (temporary file, fsync, rename).
func SaveKnowledge(path string, k *Knowledge) error {
	data, err := marshalJSON(k, true)
	if err != nil {
		return fmt.Errorf("encode task knowledge: %w", err)
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("save task knowledge: %w", err)
	}
	return nil
}

// Due reports whether at least Every nodes have finished since the last
// update, given the number finished so far.
func (t *TaskKnowledge) Due(finished int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.opts.Every > 0 && finished-t.k.Nodes >= t.opts.Every
}

// Update distils nodes (all finished nodes of the task-run), refines the
// text when a hook is set, and saves the result. The hook runs without
// holding the lock; an update from fewer nodes than the current knowledge
// is discarded, so concurrent updates never move it backwards. A failing
// hook is reported as a *RefineError after the deterministic knowledge is
// saved; any other error means nothing was saved.
func (t *TaskKnowledge) Update(ctx context.Context, nodes []Node) (*Knowledge, error) {
	k := Distil(nodes, t.opts.Distil)
	var refineErr error
	t.mu.Lock()
	refine := t.opts.Refine
	t.mu.Unlock()
	if refine != nil && k.Nodes > 0 {
		text, err := refine(ctx, k.Distilled())
		switch {
		case err != nil:
			k.RefineError = err.Error()
			refineErr = &RefineError{Path: t.path, Err: err}
		case strings.TrimSpace(text) == "":
			k.RefineError = "refine hook returned empty text"
			refineErr = &RefineError{Path: t.path, Err: errors.New(k.RefineError)}
		default:
			k.Refined = ensureNL(strings.TrimSpace(text))
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if k.Nodes < t.k.Nodes {
		return cloneKnowledge(t.k), refineErr
	}
	if err := SaveKnowledge(t.path, k); err != nil {
		return nil, err
	}
	t.k = k
	return cloneKnowledge(k), refineErr
}

// SetRefine sets (or, with nil, clears) the refine hook for later updates.
func (t *TaskKnowledge) SetRefine(f RefineFunc) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.opts.Refine = f
}

// Knowledge returns a copy of the current knowledge.
func (t *TaskKnowledge) Knowledge() *Knowledge {
	t.mu.Lock()
	defer t.mu.Unlock()
	return cloneKnowledge(t.k)
}

// Text is the current knowledge as prompts receive it.
func (t *TaskKnowledge) Text() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.k.Text()
}

func cloneKnowledge(k *Knowledge) *Knowledge {
	c := *k
	c.BestDesigns = append([]Design(nil), k.BestDesigns...)
	c.RecurringErrors = append([]RecurringError(nil), k.RecurringErrors...)
	c.NotHelpful = append([]Change(nil), k.NotHelpful...)
	c.Helpful = append([]Change(nil), k.Helpful...)
	return &c
}
