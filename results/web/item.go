package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search/coder/llm"
)

// Caps on what one response carries from an item's files.
const (
	codeLimit    = 256 << 10 // code.py
	outputLimit  = 32 << 10  // tail of stdout.txt and stderr.txt
	logLimit     = 64 << 10  // tail of worker.log
	messageLimit = 64 << 10  // one prompt message or reply
	// transcriptLineLimit skips transcript lines longer than this (a
	// hostile node's output in a prompt) instead of reading them whole.
	transcriptLineLimit = 16 << 20
	maxDetails          = 16 // item trees cached per run
)

// Transcript is an item's LLM transcript (search/coder/llm writes it).
const Transcript = "llm-transcript.jsonl"

// NodeView is one node of an item's tree: what the tree needs to draw it.
type NodeView struct {
	ID       string   `json:"id"`
	Parent   string   `json:"parent,omitempty"`
	Step     int64    `json:"step"`
	Stage    string   `json:"stage"`
	Worker   int64    `json:"worker"`
	Buggy    bool     `json:"buggy"`
	TimedOut bool     `json:"timed_out,omitempty"`
	ExitCode int64    `json:"exit_code"`
	Metric   *float64 `json:"metric"`
	Test     *float64 `json:"test_score,omitempty"`
	Medal    string   `json:"medal,omitempty"`
	Best     bool     `json:"best,omitempty"`
	// FromCheckpoint: the trace lacks this node (a part still open or
	// damaged); it was read from the checkpoint.
	FromCheckpoint bool `json:"from_checkpoint,omitempty"`
}

// ItemDetail is an item page's data: the item, its state, its grade and
// its tree.
type ItemDetail struct {
	Run      string               `json:"run"`
	Item     results.ManifestItem `json:"item"`
	Status   results.ItemStatus   `json:"status"`
	State    string               `json:"state"`
	Progress progress             `json:"progress"`
	// Grade is grade.json decoded (nil: not graded); GradeJSON is the file
	// as written (Python's NaN and Infinity included, which JSON proper
	// cannot carry), GradeSummary says in words how it did.
	Grade        *results.Grade `json:"-"`
	GradeJSON    string         `json:"grade_json,omitempty"`
	GradeSummary string         `json:"grade,omitempty"`
	BestID       string         `json:"best_node"`
	Lower        bool           `json:"lower_is_better"`
	Nodes        []NodeView     `json:"nodes"`
	// Notes say what could not be read (damaged parts, checkpoint).
	Notes []string `json:"notes,omitempty"`
	// Resume is the command that continues an interrupted item.
	Resume  string `json:"resume,omitempty"`
	Version string `json:"version"`
	rows    map[string]*results.NodeRow
}

type itemDetail struct {
	sig     itemSig
	ckpt    int64
	detail  *ItemDetail
	touched time.Time
}

// errNoItem is an item index the manifest does not have.
var errNoItem = errors.New("no such item in this run")

// manifestItem finds item index in the run's manifest.
func (rs *runState) manifestItem(ctx context.Context, index int) (results.ManifestItem, error) {
	if err := rs.refresh(ctx); err != nil {
		return results.ManifestItem{}, err
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, mi := range rs.manifest.Items {
		if mi.Index == index {
			return mi, nil
		}
	}
	return results.ManifestItem{}, errNoItem
}

// item returns an item's detail, rebuilt only when its files changed.
func (rs *runState) item(ctx context.Context, index int) (*ItemDetail, error) {
	mi, err := rs.manifestItem(ctx, index)
	if err != nil {
		return nil, err
	}
	dir := results.ItemDir(rs.dir, index)
	sig := statSig(dir)
	var ckpt int64
	if st, err := os.Stat(results.CheckpointPath(dir)); err == nil {
		ckpt = st.ModTime().UnixNano()
	}
	rs.detailMu.Lock()
	defer rs.detailMu.Unlock()
	if d, ok := rs.details[index]; ok && d.sig == sig && d.ckpt == ckpt {
		d.touched = time.Now()
		// A copy: the cached detail is shared by concurrent requests, and a
		// worker can die without touching a file.
		cp := *d.detail
		rs.interrupted(&cp, dir)
		return &cp, nil
	}
	d, err := rs.loadItem(ctx, mi, dir)
	if err != nil {
		return nil, err
	}
	d.Version = fmt.Sprintf("%x.%x", sig.dir^sig.status^sig.progress, ckpt)
	if len(rs.details) >= maxDetails {
		var oldest int
		var at time.Time
		for k, v := range rs.details {
			if at.IsZero() || v.touched.Before(at) {
				oldest, at = k, v.touched
			}
		}
		delete(rs.details, oldest)
	}
	rs.details[index] = &itemDetail{sig: sig, ckpt: ckpt, detail: d, touched: time.Now()}
	cp := *d
	return &cp, nil
}

// interrupted sets the detail's state from the owner check (a worker can
// die without touching a file).
func (rs *runState) interrupted(d *ItemDetail, dir string) {
	d.State, d.Resume = d.Status.State, ""
	if results.ItemInterrupted(dir, d.Status) {
		d.State = stateInterrupted
		d.Resume = "mlbench resume " + rs.dir
	}
}

func (rs *runState) loadItem(ctx context.Context, mi results.ManifestItem, dir string) (*ItemDetail, error) {
	d := &ItemDetail{Run: rs.name, Item: mi, rows: map[string]*results.NodeRow{}}
	var err error
	if d.Status, err = results.ReadItemStatus(dir); err != nil {
		d.Notes = append(d.Notes, err.Error())
		d.Status = results.ItemStatus{State: results.StatePending}
	}
	rs.interrupted(d, dir)
	if b, err := os.ReadFile(filepath.Join(dir, results.ProgressFile)); err == nil {
		_ = jsonUnmarshal(b, &d.Progress)
	}
	if g, err := results.ReadGrade(dir); err == nil {
		d.Grade, d.GradeSummary = &g, g.Summary()
		d.GradeJSON = results.HeadText(filepath.Join(dir, results.GradeFile), logLimit)
	} else if !errors.Is(err, os.ErrNotExist) {
		d.Notes = append(d.Notes, err.Error())
	}
	if d.BestID, err = results.ReadBestNodeID(dir); err != nil {
		d.Notes = append(d.Notes, err.Error())
	}
	reader := results.NewReader(nil)
	var rows []results.NodeRow
	if _, err := os.Stat(dir); err == nil {
		if rows, err = reader.Nodes(ctx, dir); err != nil {
			return nil, err
		}
	}
	for _, sk := range reader.Skipped() {
		d.Notes = append(d.Notes, fmt.Sprintf("trace part %s could not be read: %v", filepath.Base(sk.Path), sk.Err))
	}
	ck, err := results.CheckpointNodes(dir)
	if err != nil && !errors.Is(err, results.ErrNoCheckpoint) {
		d.Notes = append(d.Notes, "checkpoint: "+err.Error())
	}
	rows, _ = results.MergeCheckpoint(rows, ck)
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Step < rows[j].Step })
	for i := range rows {
		r := &rows[i]
		d.rows[r.NodeID] = r
		d.Lower = d.Lower || r.LowerIsBetter
		nv := NodeView{
			ID: r.NodeID, Parent: r.ParentID, Step: r.Step, Stage: r.Stage, Worker: r.Worker, Buggy: r.IsBuggy,
			TimedOut: r.TimedOut, ExitCode: r.ExitCode, Metric: results.Finite(r.Metric), Test: results.Finite(r.TestScore),
			// Only the trace writes the run id column.
			Best: r.NodeID == d.BestID, FromCheckpoint: r.RunID == "",
		}
		if r.Medal != nil {
			nv.Medal = *r.Medal
		}
		d.Nodes = append(d.Nodes, nv)
	}
	return d, nil
}

// NodeDetail is everything about one node: the tree's facts plus its plan,
// review, code, output and, for LLM runs, its exchanges.
type NodeDetail struct {
	NodeView
	Created          string     `json:"created,omitempty"`
	Finished         string     `json:"finished,omitempty"`
	LLMSeconds       float64    `json:"llm_seconds"`
	ExecSeconds      float64    `json:"exec_seconds"`
	PromptTokens     int64      `json:"prompt_tokens"`
	CompletionTokens int64      `json:"completion_tokens"`
	CostUSD          float64    `json:"cost_usd"`
	FormatValid      bool       `json:"format_valid"`
	Lower            bool       `json:"lower_is_better"`
	Visits           int64      `json:"visits"`
	Reward           float64    `json:"reward"`
	UCTC             float64    `json:"uct_c"`
	Plan             string     `json:"plan"`
	Review           string     `json:"review"`
	Error            string     `json:"error,omitempty"`
	Why              string     `json:"why_buggy,omitempty"`
	Code             string     `json:"code"`
	Stdout           string     `json:"stdout"`
	Stderr           string     `json:"stderr"`
	Exchanges        []Exchange `json:"exchanges,omitempty"`
	TranscriptNote   string     `json:"transcript_note,omitempty"`
	Children         []string   `json:"children,omitempty"`
	Item             int        `json:"item"`
}

// node returns one node's detail; the id must be a node of the item's
// tree, so no path is ever built from an arbitrary string.
func (rs *runState) node(ctx context.Context, index int, id string) (*NodeDetail, error) {
	d, err := rs.item(ctx, index)
	if err != nil {
		return nil, err
	}
	r, ok := d.rows[id]
	if !ok || id == "" || strings.ContainsAny(id, `/\`) || id == "." || id == ".." {
		return nil, errNoNode
	}
	var nv NodeView
	for _, n := range d.Nodes {
		if n.ID == id {
			nv = n
		}
	}
	nd := &NodeDetail{
		NodeView: nv, LLMSeconds: r.LLMSeconds, ExecSeconds: r.ExecSeconds, PromptTokens: r.PromptTokens,
		CompletionTokens: r.CompletionTokens, CostUSD: r.CostUSD, FormatValid: r.FormatValid, Lower: r.LowerIsBetter,
		Visits: r.Visits, Reward: r.Reward, UCTC: r.UCTC, Plan: r.Plan, Review: r.Summary, Error: r.Error, Item: index,
	}
	if !r.CreatedAt.IsZero() {
		nd.Created = r.CreatedAt.UTC().Format(time.RFC3339)
	}
	if !r.FinishedAt.IsZero() {
		nd.Finished = r.FinishedAt.UTC().Format(time.RFC3339)
	}
	for _, n := range d.Nodes {
		if n.Parent == id {
			nd.Children = append(nd.Children, n.ID)
		}
	}
	dir := results.ItemDir(rs.dir, index)
	ndir := results.NodeDir(dir, id)
	nd.Code = results.HeadText(filepath.Join(ndir, results.CodeFile), codeLimit)
	nd.Stdout = readTail(filepath.Join(ndir, results.StdoutFile), outputLimit)
	nd.Stderr = readTail(filepath.Join(ndir, results.StderrFile), outputLimit)
	nd.Why = whyBuggy(r, nd.Stderr)
	nd.Exchanges, nd.TranscriptNote = readExchanges(ctx, filepath.Join(dir, Transcript), id)
	return nd, nil
}

var errNoNode = errors.New("no such node in this item's tree")

// whyBuggy says in one line why a node counts as buggy.
func whyBuggy(r *results.NodeRow, stderr string) string {
	if !r.IsBuggy {
		return ""
	}
	switch {
	case r.Error != "":
		return firstLine(r.Error, 300)
	case r.TimedOut:
		return "the code ran past its time limit"
	case r.ExitCode != 0:
		why := fmt.Sprintf("the code exited with status %d", r.ExitCode)
		if last := lastLine(stderr); last != "" {
			why += ": " + firstLine(last, 300)
		}
		return why
	case !r.FormatValid:
		return "the submission is missing or not in the expected format"
	case r.Summary != "":
		return "the reviewer found a bug: " + firstLine(r.Summary, 300)
	}
	return "the reviewer marked it buggy"
}

func lastLine(s string) string {
	s = strings.TrimRight(s, "\n ")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// readTail returns the last limit bytes of a text file ("" when absent).
func readTail(path string, limit int64) string {
	tail, size := results.TailFile(path, limit)
	s := strings.ToValidUTF8(tail, "\uFFFD")
	if size > limit {
		s = fmt.Sprintf("… (last %d KiB of %d KiB)\n", limit>>10, size>>10) + s
	}
	return s
}

// Exchange is one LLM call made for a node: the exact messages sent and
// the reply, from the item's transcript.
type Exchange struct {
	Role     string    `json:"role"`
	Call     string    `json:"call"`
	Seq      int       `json:"seq"`
	Attempt  int       `json:"attempt"`
	Model    string    `json:"model"`
	Status   int       `json:"status"`
	Seconds  float64   `json:"seconds"`
	Messages []Message `json:"messages"`
	Reply    string    `json:"reply"`
	Error    string    `json:"error,omitempty"`
}

// Message is one chat message of a prompt.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// readExchanges streams an item's transcript and keeps the exchanges of
// node id. Lines longer than transcriptLineLimit are skipped and said so.
func readExchanges(ctx context.Context, path, id string) ([]Exchange, string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ""
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	needle := []byte(`"node":"` + id + `"`)
	var out []Exchange
	skipped := 0
	var line []byte
	for ctx.Err() == nil {
		chunk, err := br.ReadSlice('\n')
		if len(line)+len(chunk) <= transcriptLineLimit {
			line = append(line, chunk...)
		} else {
			line = line[:0]
			skipped++
			for errors.Is(err, bufio.ErrBufferFull) { // drop the rest of the line
				_, err = br.ReadSlice('\n')
			}
			if err != nil {
				break
			}
			continue
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if bytes.Contains(line, needle) {
			if ex, ok := parseExchange(line, id); ok {
				out = append(out, ex)
			}
		}
		line = line[:0]
		if err != nil {
			break
		}
	}
	note := ""
	if skipped > 0 {
		note = fmt.Sprintf("%d transcript line(s) over %d MiB were skipped", skipped, transcriptLineLimit>>20)
	}
	return out, note
}

func parseExchange(line []byte, id string) (Exchange, bool) {
	var rec struct {
		Role, Node, Call, Model, Error, ResponseText string
		Seq, Attempt, Status                         int
		Seconds                                      float64
		Request, Response                            json.RawMessage
	}
	if json.Unmarshal(line, &rec) != nil || rec.Node != id {
		return Exchange{}, false
	}
	if rec.ResponseText == "" {
		var rt struct {
			ResponseText string `json:"response_text"`
		}
		_ = json.Unmarshal(line, &rt)
		rec.ResponseText = rt.ResponseText
	}
	ex := Exchange{Role: rec.Role, Call: rec.Call, Seq: rec.Seq, Attempt: rec.Attempt, Model: rec.Model,
		Status: rec.Status, Seconds: rec.Seconds, Error: rec.Error}
	var req struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	_ = json.Unmarshal(rec.Request, &req)
	for _, m := range req.Messages {
		ex.Messages = append(ex.Messages, Message{Role: m.Role, Content: capText(llm.ContentText(m.Content), messageLimit)})
	}
	var resp struct {
		Choices []struct {
			Message struct {
				Content   json.RawMessage `json:"content"`
				ToolCalls []struct {
					Function struct {
						Name      string `json:"name"`
						Arguments string `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
		} `json:"choices"`
	}
	if json.Unmarshal(rec.Response, &resp) == nil && len(resp.Choices) > 0 {
		m := resp.Choices[0].Message
		ex.Reply = llm.ContentText(m.Content)
		for _, tc := range m.ToolCalls {
			ex.Reply += "\n[tool call " + tc.Function.Name + "] " + tc.Function.Arguments
		}
	} else if rec.ResponseText != "" {
		ex.Reply = rec.ResponseText
	} else if len(rec.Response) > 0 {
		ex.Reply = string(rec.Response)
	}
	ex.Reply = capText(strings.TrimSpace(ex.Reply), messageLimit)
	return ex, true
}

func capText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + fmt.Sprintf("\n… (cut at %d KiB of %d KiB)", n>>10, len(s)>>10)
}
