package results

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mlbench/mlbench/internal/atomicfile"
)

// Tree is the search tree of one work item, rebuilt from its trace.
type Tree struct {
	RunID  string
	Item   ManifestItem
	Status ItemStatus
	Grade  *Grade
	// BestID is the node whose submission was graded ("" if none yet).
	BestID string
	// Roots are the draft nodes (and orphans whose parent row is missing,
	// e.g. lost with a killed job's open part), in step order.
	Roots []*TreeNode
	Nodes int
	dir   string
}

// TreeNode is one node and its children in step order.
type TreeNode struct {
	Row      NodeRow
	Children []*TreeNode
	// Orphan marks a node whose parent is not in the trace.
	Orphan bool
}

// LoadTree reads the trace of item index of runDir and builds its tree.
// Damaged parts are skipped (see r.Skipped).
func LoadTree(ctx context.Context, runDir string, index int, r *Reader) (*Tree, error) {
	if r == nil {
		r = NewReader(nil)
	}
	m, err := ReadManifest(runDir)
	if err != nil {
		return nil, err
	}
	var item *ManifestItem
	for i := range m.Items {
		if m.Items[i].Index == index {
			item = &m.Items[i]
		}
	}
	if item == nil {
		return nil, fmt.Errorf("%w: run %s has %d items; no item %d", ErrNoItem, m.RunID, len(m.Items), index)
	}
	dir := ItemDir(runDir, index)
	t := &Tree{RunID: m.RunID, Item: *item, dir: dir}
	if t.Status, err = ReadItemStatus(dir); err != nil {
		return nil, err
	}
	if g, err := ReadGrade(dir); err == nil {
		t.Grade = &g
	}
	if t.BestID, err = ReadBestNodeID(dir); err != nil {
		return nil, err
	}
	var rows []NodeRow
	if _, err := os.Stat(dir); err == nil {
		if rows, err = r.Nodes(ctx, dir); err != nil {
			return nil, err
		}
	}
	t.build(rows)
	return t, nil
}

// ErrNoItem is returned for an item index the manifest does not have.
var ErrNoItem = errors.New("results: no such item")

func (t *Tree) build(rows []NodeRow) {
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Step < rows[j].Step })
	nodes := make(map[string]*TreeNode, len(rows))
	for i := range rows {
		nodes[rows[i].NodeID] = &TreeNode{Row: rows[i]}
	}
	for i := range rows {
		n := nodes[rows[i].NodeID]
		if n.Row.ParentID == "" {
			t.Roots = append(t.Roots, n)
			continue
		}
		if parent, ok := nodes[n.Row.ParentID]; ok && parent != n {
			parent.Children = append(parent.Children, n)
			continue
		}
		n.Orphan = true
		t.Roots = append(t.Roots, n)
	}
	t.Nodes = len(rows)
}

// WriteText prints the tree for a terminal: one line per node with its
// stage, validation metric or bug, test medal when graded, and a star on
// the graded best node.
func (t *Tree) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s item %d: %s (split %s, seed %d", t.RunID, t.Item.Index, t.Item.TaskID, orDash(t.Item.Split), t.Item.Seed)
	if len(t.Item.Params) > 0 {
		fmt.Fprintf(&b, ", %s", t.Item.ParamsJSON())
	}
	fmt.Fprintf(&b, ") %s, %d nodes", t.Status.State, t.Nodes)
	if t.Grade != nil {
		fmt.Fprintf(&b, ", graded: %s", gradeText(*t.Grade))
	}
	b.WriteString("\n")
	if t.Nodes == 0 {
		b.WriteString("(no nodes in the trace yet)\n")
	}
	var walk func(n *TreeNode, prefix string, last bool)
	walk = func(n *TreeNode, prefix string, last bool) {
		branch, next := "├─ ", "│  "
		if last {
			branch, next = "└─ ", "   "
		}
		b.WriteString(prefix + branch + t.nodeText(n) + "\n")
		for i, c := range n.Children {
			walk(c, prefix+next, i == len(n.Children)-1)
		}
	}
	for i, r := range t.Roots {
		walk(r, "", i == len(t.Roots)-1)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t *Tree) nodeText(n *TreeNode) string {
	r := &n.Row
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-7s", r.NodeID, r.Stage)
	switch {
	case r.IsBuggy && r.TimedOut:
		b.WriteString(" BUG timeout")
	case r.IsBuggy:
		fmt.Fprintf(&b, " BUG exit %d", r.ExitCode)
	case r.Metric != nil:
		fmt.Fprintf(&b, " metric %s", strconv.FormatFloat(*r.Metric, 'g', 6, 64))
	default:
		b.WriteString(" no metric")
	}
	if r.Medal != nil {
		fmt.Fprintf(&b, " test %s", *r.Medal)
		if r.TestScore != nil {
			fmt.Fprintf(&b, " (%s)", strconv.FormatFloat(*r.TestScore, 'g', 6, 64))
		}
	}
	if r.NodeID == t.BestID {
		b.WriteString(" ★ best")
	}
	if n.Orphan {
		fmt.Fprintf(&b, " (parent %s not in trace)", r.ParentID)
	}
	return b.String()
}

func gradeText(g Grade) string {
	switch {
	case !g.SubmissionExists:
		return "no submission"
	case !g.ValidSubmission:
		return "invalid submission"
	}
	score := "-"
	if g.Score != nil {
		score = strconv.FormatFloat(*g.Score, 'g', 6, 64)
	}
	return fmt.Sprintf("score %s, medal %s", score, MedalOf(g))
}

// htmlFileLimit caps each code or output file embedded in the HTML page.
const htmlFileLimit = 256 << 10

//go:embed tree.html.tmpl
var treeHTML string

var treeTemplate = template.Must(template.New("tree").Parse(treeHTML))

// htmlNode is what the page's script knows of a node.
type htmlNode struct {
	ID       string     `json:"id"`
	Parent   string     `json:"parent,omitempty"`
	Children []string   `json:"children,omitempty"`
	Step     int64      `json:"step"`
	Stage    string     `json:"stage"`
	Worker   int64      `json:"worker"`
	Buggy    bool       `json:"buggy"`
	TimedOut bool       `json:"timed_out"`
	ExitCode int64      `json:"exit_code"`
	Metric   *float64   `json:"metric"`
	Lower    bool       `json:"lower_is_better"`
	Test     *float64   `json:"test_score"`
	Medal    *string    `json:"medal"`
	Best     bool       `json:"best"`
	Orphan   bool       `json:"orphan,omitempty"`
	Created  string     `json:"created"`
	Seconds  [2]float64 `json:"seconds"` // llm, exec
	Tokens   [2]int64   `json:"tokens"`  // prompt, completion
	Visits   int64      `json:"visits"`
	Reward   float64    `json:"reward"`
	Plan     string     `json:"plan"`
	Summary  string     `json:"summary"`
	Error    string     `json:"error,omitempty"`
	Code     string     `json:"code,omitempty"`
	Stdout   string     `json:"stdout,omitempty"`
	Stderr   string     `json:"stderr,omitempty"`
}

// WriteHTML writes a self-contained interactive page (no network, no
// external files): the tree on the left; clicking a node shows its plan,
// code, output and review. Code and output come from the node's files
// (code.py, stdout.txt, stderr.txt), each capped at 256 KiB.
func (t *Tree) WriteHTML(w io.Writer) error {
	var nodes []htmlNode
	var roots []string
	var walk func(n *TreeNode)
	walk = func(n *TreeNode) {
		r := &n.Row
		hn := htmlNode{
			ID: r.NodeID, Parent: r.ParentID, Step: r.Step, Stage: r.Stage, Worker: r.Worker,
			Buggy: r.IsBuggy, TimedOut: r.TimedOut, ExitCode: r.ExitCode, Metric: Finite(r.Metric),
			Lower: r.LowerIsBetter, Test: Finite(r.TestScore), Medal: r.Medal, Best: r.NodeID == t.BestID,
			Orphan: n.Orphan, Seconds: [2]float64{r.LLMSeconds, r.ExecSeconds},
			Tokens: [2]int64{r.PromptTokens, r.CompletionTokens}, Visits: r.Visits, Reward: r.Reward,
			Plan: r.Plan, Summary: r.Summary, Error: r.Error,
		}
		if !r.CreatedAt.IsZero() {
			hn.Created = r.CreatedAt.UTC().Format(time.RFC3339)
		}
		nd := NodeDir(t.dir, r.NodeID)
		hn.Code = HeadText(filepath.Join(nd, CodeFile), htmlFileLimit)
		hn.Stdout = HeadText(filepath.Join(nd, StdoutFile), htmlFileLimit)
		hn.Stderr = HeadText(filepath.Join(nd, StderrFile), htmlFileLimit)
		for _, c := range n.Children {
			hn.Children = append(hn.Children, c.Row.NodeID)
		}
		nodes = append(nodes, hn)
		for _, c := range n.Children {
			walk(c)
		}
	}
	for _, r := range t.Roots {
		roots = append(roots, r.Row.NodeID)
		walk(r)
	}
	var title strings.Builder
	fmt.Fprintf(&title, "%s — item %d (seed %d)", t.Item.TaskID, t.Item.Index, t.Item.Seed)
	summary := fmt.Sprintf("run %s · split %s · %s · %d nodes", t.RunID, orDash(t.Item.Split), t.Status.State, t.Nodes)
	if len(t.Item.Params) > 0 {
		summary += " · " + t.Item.ParamsJSON()
	}
	if t.Grade != nil {
		summary += " · graded: " + gradeText(*t.Grade)
	}
	return treeTemplate.Execute(w, map[string]any{
		"Title":   title.String(),
		"Summary": summary,
		"Data":    map[string]any{"nodes": nodes, "roots": roots, "best": t.BestID},
	})
}

// WriteHTMLFile writes the WriteHTML page to path atomically.
func (t *Tree) WriteHTMLFile(path string) error {
	return atomicfile.Write(path, 0o644, func(f io.Writer) error { return t.WriteHTML(f) })
}
