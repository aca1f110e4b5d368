package harness

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/memory"
	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

// KnowledgeFile holds an item's distilled task knowledge.
const KnowledgeFile = "knowledge.json"

// Memory is one work item's view of the three memory tiers: it renders the
// context of each expansion (immediate), keeps the task knowledge current
// (every memory.task_knowledge.every nodes and when a branch ends) and
// carries cross-task wisdom in (retrieved at the start) and out (an entry
// written at the end). Safe for concurrent use.
type Memory struct {
	cfg   configs.Memory
	info  memory.TaskInfo
	lower bool
	tk    *memory.TaskKnowledge // nil when disabled
	store *memory.Store         // nil when disabled
	log   io.Writer
	// runID and item name this work item in its wisdom entries.
	runID, item string
	// now reads the clock for the periodic full refresh.
	now func() time.Time

	wmu      sync.Mutex // guards the retrieval below
	hits     []memory.Hit
	lastList time.Time
	warned   string

	mu    sync.Mutex
	nodes []memory.Node
	// provisional is the best metric of the last provisional wisdom entry
	// (nil: none written yet).
	provisional *float64
}

// MemoryOptions names the work item whose memory is opened.
type MemoryOptions struct {
	RunID string
	Item  int
	// Refine rewrites distilled task knowledge (the feedback model when
	// memory.task_knowledge.refine is on); nil leaves it as distilled.
	Refine memory.RefineFunc
}

func openMemory(cfg configs.Memory, t task.Task, itemDir string, log io.Writer, o MemoryOptions) (*Memory, error) {
	m := &Memory{cfg: cfg, info: taskInfo(t), lower: t.LowerIsBetter, log: log,
		runID: o.RunID, item: strconv.Itoa(o.Item), now: time.Now}
	if cfg.TaskKnowledge.Enabled {
		tk, err := memory.OpenTaskKnowledge(filepath.Join(itemDir, KnowledgeFile), memory.KnowledgeOptions{
			Distil: memory.DistilOptions{TaskID: t.ID, LowerIsBetter: t.LowerIsBetter},
			Every:  cfg.TaskKnowledge.Every,
		})
		if err != nil {
			return nil, err
		}
		m.tk = tk
	}
	if cfg.Wisdom.Enabled && cfg.Wisdom.Dir != "" {
		m.store = memory.Open(configs.ExpandPath(cfg.Wisdom.Dir))
		m.retrieve()
	}
	return m, nil
}

// SetRefine makes the task knowledge refined by f from now on (the agent
// builds the feedback model after the memory is open).
func (m *Memory) SetRefine(f memory.RefineFunc) {
	if m != nil && m.tk != nil && m.cfg.TaskKnowledge.Refine {
		m.tk.SetRefine(f)
	}
}

// retrieve brings the retrieved lessons up to date with the shared store:
// other items of this run and other runs write entries while this one
// runs. The store re-reads only when its directory changed (and parses
// only new files); every memory.wisdom.refresh it lists regardless, since
// NFS attribute caches can hide a change.
func (m *Memory) retrieve() []memory.Hit {
	if m == nil || m.store == nil {
		return nil
	}
	m.wmu.Lock()
	defer m.wmu.Unlock()
	var err error
	if now := m.now(); m.cfg.Wisdom.Refresh > 0 && now.Sub(m.lastList) >= m.cfg.Wisdom.Refresh {
		m.lastList = now
		_, err = m.store.Refresh()
	}
	q := m.info.Query(m.cfg.Wisdom.TopK, m.cfg.Wisdom.IncludeSameTask)
	q.RunID, q.Item = m.runID, m.item
	var hits []memory.Hit
	if err == nil {
		hits, err = m.store.Search(q)
	}
	warn := ""
	if err != nil {
		// The wisdom tier is advisory: a broken shared store must not
		// stop the task, but it must be said (once per distinct problem).
		warn = fmt.Sprintf("wisdom store %s: %v", m.store.Dir(), err)
	} else {
		m.hits = hits
		warn = m.store.Report().Warning()
	}
	if warn != "" && warn != m.warned {
		fmt.Fprintf(m.log, "warning: %s\n", warn)
	}
	m.warned = warn
	return m.hits
}

// Context renders the memory context of one expansion, within the
// configured budget.
func (m *Memory) Context(req search.Request) string {
	r := memory.Request{
		Stage: memory.Stage(req.Stage), LowerIsBetter: m.lower, Budget: m.cfg.ContextBudget,
		Drafts: memNodes(req.Drafts), Siblings: memNodes(req.Siblings), Attempts: memNodes(req.DebugChain),
	}
	if req.LowerIsBetter != nil {
		r.LowerIsBetter = *req.LowerIsBetter
	}
	if req.Parent != nil {
		r.Target = memNode(*req.Parent)
	}
	if m.tk != nil && req.Stage != search.StageDebug {
		r.Knowledge = m.tk.Text()
	}
	// Wisdom informs the first drafts only: later nodes have the task's
	// own evidence.
	if req.Stage == search.StageDraft && len(req.Drafts) < 2*max(1, m.cfg.Wisdom.TopK) {
		r.Wisdom = memory.FormatWisdom(m.retrieve())
	}
	return memory.Context(r)
}

// Knowledge is the current task-knowledge text ("" when disabled).
func (m *Memory) Knowledge() string {
	if m.tk == nil {
		return ""
	}
	return m.tk.Text()
}

// Wisdom is the retrieved cross-task text ("" when disabled or empty),
// refreshed from the shared store.
func (m *Memory) Wisdom() string { return memory.FormatWisdom(m.retrieve()) }

// Lessons returns the retrieved wisdom entries, most similar first,
// refreshed from the shared store (nil when the tier is disabled).
func (m *Memory) Lessons() []memory.Entry {
	hits := m.retrieve()
	out := make([]memory.Entry, len(hits))
	for i, h := range hits {
		out[i] = h.Entry
	}
	return out
}

// BaselinePrior is what the memory tiers tell the offline baseline coder:
// the recipes of the most similar tasks' best designs (L3, refreshed from
// the shared store) and of the improvements that worked in this task so
// far (L2). A disabled tier contributes nothing.
func (m *Memory) BaselinePrior() baseline.Prior {
	var p baseline.Prior
	for _, e := range m.Lessons() {
		if e.Recipe != "" {
			p.Similar = append(p.Similar, e.Recipe)
		}
	}
	if m.cfg.TaskKnowledge.Enabled {
		for _, c := range m.knowledge().Helpful {
			if c.Recipe != "" {
				p.Worked = append(p.Worked, c.Recipe)
			}
		}
	}
	return p
}

// TaskKnowledge returns the current task knowledge (nil when disabled).
func (m *Memory) TaskKnowledge() *memory.Knowledge {
	if m == nil || m.tk == nil {
		return nil
	}
	return m.tk.Knowledge()
}

func memNode(n search.NodeSnapshot) memory.Node {
	return memory.Node{
		ID: n.ID, ParentID: n.ParentID, Step: n.Step, Stage: memory.Stage(n.Stage), Plan: n.Plan, Code: n.Code,
		Output: n.Output, Summary: n.Summary, Metric: n.Metric, IsBuggy: n.IsBuggy,
		Error: nodeError(n.Error, n.TimedOut, n.OOM, n.FormatError),
	}
}

// nodeError folds the executor's facts into the error text that memory
// groups recurring errors by.
func nodeError(err string, timedOut, oom bool, format string) string {
	var parts []string
	if timedOut {
		parts = append(parts, "timed out")
	}
	if oom {
		parts = append(parts, "killed: out of memory")
	}
	if format != "" {
		parts = append(parts, "invalid submission: "+format)
	}
	if err != "" {
		parts = append(parts, err)
	}
	return strings.Join(parts, "; ")
}

func memNodes(ns []search.NodeSnapshot) []memory.Node {
	out := make([]memory.Node, len(ns))
	for i, n := range ns {
		out[i] = memNode(n)
	}
	return out
}

// nodeDone records a finished node, refreshes the knowledge when due and
// writes a provisional wisdom entry at the first working solution, so
// that items running at the same time learn from this one before it ends.
func (m *Memory) nodeDone(ctx context.Context, n memory.Node) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.nodes = append(m.nodes, n)
	due := m.tk != nil && m.tk.Due(len(m.nodes))
	first := m.provisional == nil && !n.IsBuggy && n.Metric != nil
	m.mu.Unlock()
	if due {
		m.updateKnowledge(ctx)
	} else if first {
		m.putProvisional()
	}
}

func (m *Memory) updateKnowledge(ctx context.Context) {
	if m == nil {
		return
	}
	m.saveKnowledge(ctx)
	m.putProvisional()
}

// saveKnowledge updates the persisted task knowledge with every node so
// far; a failure is a warning (the search goes on without fresh L2).
func (m *Memory) saveKnowledge(ctx context.Context) {
	if m.tk == nil {
		return
	}
	m.mu.Lock()
	nodes := append([]memory.Node(nil), m.nodes...)
	m.mu.Unlock()
	if _, err := m.tk.Update(ctx, nodes); err != nil {
		fmt.Fprintf(m.log, "warning: task knowledge: %v\n", err)
	}
}

// knowledge is the task knowledge of every node so far: the persisted
// one when it is current (it may be refined), else distilled now.
func (m *Memory) knowledge() *memory.Knowledge {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tk != nil {
		if k := m.tk.Knowledge(); k.Nodes == len(m.nodes) {
			return k
		}
	}
	return memory.Distil(m.nodes, memory.DistilOptions{TaskID: m.info.TaskID, LowerIsBetter: m.lower})
}

// putProvisional writes a provisional wisdom entry when the item has a
// working solution better than its last provisional entry's (L2 promoted
// to L3 while running). Entries are immutable: the newer one supersedes
// the older for readers (see memory.Store.Search).
func (m *Memory) putProvisional() {
	if m == nil || m.store == nil {
		return
	}
	k := m.knowledge()
	if k == nil || len(k.BestDesigns) == 0 {
		return
	}
	best := k.BestDesigns[0].Metric
	m.mu.Lock()
	stale := m.provisional == nil || (best != *m.provisional && (best < *m.provisional) == m.lower)
	if stale {
		m.provisional = &best
	}
	m.mu.Unlock()
	if !stale {
		return
	}
	e := memory.NewEntry(m.info, k, "", m.runID)
	e.Item, e.Provisional = m.item, true
	if _, err := m.store.Put(e); err != nil {
		fmt.Fprintf(m.log, "warning: write provisional wisdom entry: %v\n", err)
	}
}

// finish distils the final knowledge and writes the wisdom entry (L2
// promoted to L3), which supersedes the item's provisional ones.
func (m *Memory) finish(ctx context.Context, medal string) {
	if m == nil {
		return
	}
	m.saveKnowledge(ctx)
	if m.store == nil {
		return
	}
	e := memory.NewEntry(m.info, m.knowledge(), medal, m.runID)
	e.Item = m.item
	if _, err := m.store.Put(e); err != nil {
		fmt.Fprintf(m.log, "warning: write wisdom entry: %v\n", err)
	}
}

// medalOf names a grade's medal the way wisdom entries record it.
func medalOf(r *grader.Report) string {
	switch {
	case r == nil || r.Score == nil:
		return ""
	case r.GoldMedal:
		return "gold"
	case r.SilverMedal:
		return "silver"
	case r.BronzeMedal:
		return "bronze"
	}
	return "none"
}

// taskInfo describes a task for wisdom retrieval: its description, metric,
// data modality (from the public files' extensions) and column types (from
// the head of train.csv).
func taskInfo(t task.Task) memory.TaskInfo {
	desc, _ := t.Description()
	info := memory.TaskInfo{TaskID: t.ID, Description: desc, Metric: t.Metric, LowerIsBetter: t.LowerIsBetter}
	info.DataModality = modality(t.PublicDir)
	info.ColumnTypes = columnTypes(filepath.Join(t.PublicDir, "train.csv"))
	return info
}

func modality(dir string) string {
	counts := map[string]int{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".dcm", ".gif":
			counts["image"]++
		case ".wav", ".mp3", ".flac", ".aif", ".aiff":
			counts["audio"]++
		case ".txt", ".json", ".jsonl":
			counts["text"]++
		case ".csv", ".parquet", ".tsv":
			counts["tabular"]++
		}
		return nil
	})
	best, n := "tabular", 0
	for _, k := range []string{"image", "audio", "text", "tabular"} {
		if counts[k] > n {
			best, n = k, counts[k]
		}
	}
	return best
}

// columnTypes reads up to 200 rows of a CSV and types each column as
// numeric, categorical or text.
func columnTypes(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return nil
	}
	numeric := make([]bool, len(header))
	for i := range numeric {
		numeric[i] = true
	}
	long := make([]bool, len(header))
	distinct := make([]map[string]bool, len(header))
	for i := range distinct {
		distinct[i] = map[string]bool{}
	}
	for n := 0; n < 200; n++ {
		rec, err := r.Read()
		if err != nil {
			break
		}
		for i := 0; i < len(header) && i < len(rec); i++ {
			v := rec[i]
			if v == "" {
				continue
			}
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				numeric[i] = false
			}
			if len(v) > 40 {
				long[i] = true
			}
			distinct[i][v] = true
		}
	}
	var out []string
	for i, h := range header {
		typ := "categorical"
		switch {
		case numeric[i]:
			typ = "numeric"
		case long[i] || len(distinct[i]) > 100:
			typ = "text"
		}
		out = append(out, h+":"+typ)
	}
	sort.Strings(out)
	return out
}
