package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mlbench/mlbench/results"
)

// JournalFile is the name an external agent's tree search journal has:
// AIDE's journal.json, or ML-Master's, which keeps AIDE's format.
const JournalFile = "journal.json"

// Bounds on what an agent's journal may cost us.
const (
	maxJournalBytes = 256 << 20
	maxJournalNodes = 100000
	maxJournalDepth = 6
)

// journalNode is one node of an AIDE (or ML-Master) journal. Unknown
// fields are ignored; missing ones stay zero.
type journalNode struct {
	ID       string          `json:"id"`
	Step     *int            `json:"step"`
	CTime    float64         `json:"ctime"`
	Plan     string          `json:"plan"`
	Code     string          `json:"code"`
	ExecTime *float64        `json:"exec_time"`
	ExcType  *string         `json:"exc_type"`
	Analysis string          `json:"analysis"`
	Metric   json.RawMessage `json:"metric"`
	IsBuggy  *bool           `json:"is_buggy"`
	// ML-Master and other AIDE descendants.
	Stage    string `json:"stage"`
	Parent   any    `json:"parent"`
	ParentID string `json:"parent_id"`
}

// journal is AIDE's serialized Journal: nodes and node2parent.
type journal struct {
	Nodes       []journalNode     `json:"nodes"`
	Node2Parent map[string]string `json:"node2parent"`
}

// metricOf reads AIDE's MetricValue ({"value": v, "maximize": b}) or a
// bare number. ok is false for a missing or worst metric.
func metricOf(raw json.RawMessage) (value float64, maximize *bool, ok bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil, false
	}
	var mv struct {
		Value    *float64 `json:"value"`
		Maximize *bool    `json:"maximize"`
	}
	if json.Unmarshal(raw, &mv) == nil {
		if mv.Value == nil || math.IsNaN(*mv.Value) || math.IsInf(*mv.Value, 0) {
			return 0, mv.Maximize, false
		}
		return *mv.Value, mv.Maximize, true
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return f, nil, true
	}
	return 0, nil, false
}

// ParseJournal turns an AIDE-format journal into node rows, with each
// node's code beside its row. base carries
// the item's columns (run, item, task, seed, params, lower_is_better) and
// is copied into every row. Stages follow AIDE: a root is a draft, a child
// of a buggy node a debug, any other child an improvement, unless the
// journal names the stage itself (ML-Master).
func ParseJournal(b []byte, base results.NodeRow) ([]results.NodeRow, []string, error) {
	var j journal
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, nil, fmt.Errorf("parse journal: %w", err)
	}
	if len(j.Nodes) > maxJournalNodes {
		return nil, nil, fmt.Errorf("parse journal: %d nodes, more than the %d imported", len(j.Nodes), maxJournalNodes)
	}
	nodes := make([]journalNode, 0, len(j.Nodes))
	byID := map[string]*journalNode{}
	for i, n := range j.Nodes {
		if n.ID == "" {
			n.ID = fmt.Sprintf("node-%d", i)
		}
		n.ID = safeNodeID(n.ID)
		if n.Step == nil {
			s := i
			n.Step = &s
		}
		nodes = append(nodes, n)
	}
	sort.SliceStable(nodes, func(a, b int) bool { return *nodes[a].Step < *nodes[b].Step })
	for i := range nodes {
		byID[nodes[i].ID] = &nodes[i]
	}
	node2parent := make(map[string]string, len(j.Node2Parent))
	for c, p := range j.Node2Parent {
		node2parent[safeNodeID(c)] = safeNodeID(p)
	}
	parentOf := func(n journalNode) string {
		if p := node2parent[n.ID]; p != "" {
			return p
		}
		if n.ParentID != "" {
			return safeNodeID(n.ParentID)
		}
		if s, ok := n.Parent.(string); ok && s != "" {
			return safeNodeID(s)
		}
		if m, ok := n.Parent.(map[string]any); ok {
			if s, ok := m["id"].(string); ok && s != "" {
				return safeNodeID(s)
			}
		}
		return ""
	}
	rows := make([]results.NodeRow, 0, len(nodes))
	code := make([]string, 0, len(nodes))
	for i, n := range nodes {
		r := base
		r.NodeID, r.ParentID, r.Step = n.ID, parentOf(n), int64(i+1)
		r.Plan, r.Summary = n.Plan, n.Analysis
		if n.Code != "" {
			sum := sha256.Sum256([]byte(n.Code))
			r.CodeSHA256 = hex.EncodeToString(sum[:])
		}
		if n.CTime > 0 {
			sec, frac := math.Modf(n.CTime)
			r.CreatedAt = time.Unix(int64(sec), int64(frac*1e9)).UTC()
			r.FinishedAt = r.CreatedAt
		}
		if n.ExecTime != nil && *n.ExecTime >= 0 {
			r.ExecSeconds = *n.ExecTime
			if !r.CreatedAt.IsZero() {
				r.FinishedAt = r.CreatedAt.Add(time.Duration(*n.ExecTime * float64(time.Second)))
			}
		}
		if n.ExcType != nil && *n.ExcType != "" {
			r.Error, r.ExitCode = *n.ExcType, 1
		}
		v, maximize, ok := metricOf(n.Metric)
		if ok {
			r.Metric = &v
		}
		if maximize != nil {
			r.LowerIsBetter = !*maximize
		}
		r.IsBuggy = !ok
		if n.IsBuggy != nil {
			r.IsBuggy = *n.IsBuggy
		}
		r.Stage = n.Stage
		if r.Stage == "" {
			switch p := byID[r.ParentID]; {
			case p == nil:
				r.Stage = "draft"
			case p.IsBuggy != nil && *p.IsBuggy:
				r.Stage = "debug"
			default:
				r.Stage = "improve"
			}
		}
		rows, code = append(rows, r), append(code, n.Code)
	}
	return rows, code, nil
}

// safeNodeID keeps ids that are safe as a directory name (nodes/<id>/)
// and replaces any other by a digest of it, so that a journal can never
// point a path outside the item.
func safeNodeID(id string) string {
	ok := len(id) <= 128 && id != "." && id != ".."
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			ok = false
			break
		}
	}
	if ok {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "j" + hex.EncodeToString(sum[:12])
}

// findJournal returns the newest journal.json under dirs (searched a few
// levels deep: AIDE writes logs/<exp>/journal.json), or "".
func findJournal(dirs ...string) string {
	var best string
	var bestTime time.Time
	for _, root := range dirs {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() {
				if rel, _ := filepath.Rel(root, p); strings.Count(rel, string(filepath.Separator)) >= maxJournalDepth {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Name() != JournalFile || !d.Type().IsRegular() {
				return nil
			}
			if info, err := d.Info(); err == nil && info.ModTime().After(bestTime) {
				best, bestTime = p, info.ModTime()
			}
			return nil
		})
	}
	return best
}

// readJournal reads and parses the journal at path, bounded in size.
func readJournal(path string, base results.NodeRow) ([]results.NodeRow, []string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if st.Size() > maxJournalBytes {
		return nil, nil, fmt.Errorf("journal %s is %d bytes, over the %d imported", path, st.Size(), maxJournalBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	return ParseJournal(b, base)
}
