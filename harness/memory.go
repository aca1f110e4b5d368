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

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/memory"
	"github.com/mlbench/mlbench/search"
)

// KnowledgeFile holds an item's distilled task knowledge.
const KnowledgeFile = "knowledge.json"

// Memory is one work item's view of the three memory tiers: it renders the
// context of each expansion (immediate), keeps the task knowledge current
// (every memory.task_knowledge.every nodes and when a branch ends) and
// carries cross-task wisdom in (retrieved at the start) and out (an entry
// written at the end). Safe for concurrent use.
type Memory struct {
	cfg    configs.Memory
	info   memory.TaskInfo
	lower  bool
	tk     *memory.TaskKnowledge // nil when disabled
	store  *memory.Store         // nil when disabled
	wisdom string                // retrieved lessons for the first drafts
	log    io.Writer

	mu    sync.Mutex
	nodes []memory.Node
}

func openMemory(cfg configs.Memory, t task.Task, itemDir string, log io.Writer) (*Memory, error) {
	m := &Memory{cfg: cfg, info: taskInfo(t), lower: t.LowerIsBetter, log: log}
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
		hits, err := m.store.Search(m.info.Query(cfg.Wisdom.TopK, cfg.Wisdom.IncludeSameTask))
		if err != nil {
			// The wisdom tier is advisory: a broken shared store must not
			// stop the task, but it must be said.
			fmt.Fprintf(log, "warning: wisdom store %s: %v\n", m.store.Dir(), err)
		} else {
			m.wisdom = memory.FormatWisdom(hits)
		}
		if w := m.store.Report().Warning(); w != "" {
			fmt.Fprintf(log, "warning: %s\n", w)
		}
	}
	return m, nil
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
		r.Wisdom = m.wisdom
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

// Wisdom is the retrieved cross-task text ("" when disabled or empty).
func (m *Memory) Wisdom() string { return m.wisdom }

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

// nodeDone records a finished node and refreshes the knowledge when due.
func (m *Memory) nodeDone(ctx context.Context, n memory.Node) {
	if m == nil {
		return
	}
	m.mu.Lock()
	m.nodes = append(m.nodes, n)
	due := m.tk != nil && m.tk.Due(len(m.nodes))
	m.mu.Unlock()
	if due {
		m.updateKnowledge(ctx)
	}
}

func (m *Memory) updateKnowledge(ctx context.Context) {
	if m == nil || m.tk == nil {
		return
	}
	m.mu.Lock()
	nodes := append([]memory.Node(nil), m.nodes...)
	m.mu.Unlock()
	if _, err := m.tk.Update(ctx, nodes); err != nil {
		fmt.Fprintf(m.log, "warning: task knowledge: %v\n", err)
	}
}

// finish distils the final knowledge and writes the wisdom entry.
func (m *Memory) finish(ctx context.Context, medal, runID string) {
	if m == nil {
		return
	}
	m.updateKnowledge(ctx)
	if m.store == nil {
		return
	}
	var k *memory.Knowledge
	if m.tk != nil {
		k = m.tk.Knowledge()
	} else {
		m.mu.Lock()
		k = memory.Distil(m.nodes, memory.DistilOptions{TaskID: m.info.TaskID, LowerIsBetter: m.lower})
		m.mu.Unlock()
	}
	if _, err := m.store.Put(memory.NewEntry(m.info, k, medal, runID)); err != nil {
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
