package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Files the search writes into an item directory besides the trace: the
// checkpoint (the whole search state, rewritten atomically after every
// node) and progress.json (counts for status and the web view).
const (
	CheckpointDir  = "checkpoint"
	CheckpointFile = "state.json"
	ProgressFile   = "progress.json"
)

// CheckpointPath returns the checkpoint file of an item directory.
func CheckpointPath(itemDir string) string {
	return filepath.Join(itemDir, CheckpointDir, CheckpointFile)
}

// checkpointNode is the part of a search checkpoint node (search.NodeState)
// that a trace row can be rebuilt from. results does not import search: the
// JSON field names are the contract.
type checkpointNode struct {
	ID          string    `json:"id"`
	ParentID    string    `json:"parent_id"`
	Stage       string    `json:"stage"`
	Step        int64     `json:"step"`
	Worker      int64     `json:"worker"`
	Plan        string    `json:"plan"`
	Summary     string    `json:"summary"`
	Metric      *float64  `json:"metric"`
	IsBuggy     bool      `json:"is_buggy"`
	FormatValid bool      `json:"format_valid"`
	ExitCode    int64     `json:"exit_code"`
	TimedOut    bool      `json:"timed_out"`
	ExecSeconds float64   `json:"exec_seconds"`
	Error       string    `json:"error"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	FinishedAt  time.Time `json:"finished_at"`
	CodeSHA256  string    `json:"code_sha256"`
	Visits      int64     `json:"visits"`
	Reward      float64   `json:"reward"`
	UCTC        float64   `json:"uct_c"`
	Usage       struct {
		PromptTokens     int64   `json:"prompt_tokens"`
		CompletionTokens int64   `json:"completion_tokens"`
		ReasoningTokens  int64   `json:"reasoning_tokens"`
		LLMSeconds       float64 `json:"llm_seconds"`
	} `json:"usage"`
}

type checkpointState struct {
	Nodes         []checkpointNode `json:"nodes"`
	LowerIsBetter *bool            `json:"lower_is_better"`
}

// ErrNoCheckpoint is returned by CheckpointNodes for an item without one.
var ErrNoCheckpoint = errors.New("results: item has no checkpoint")

// CheckpointNodes rebuilds the node rows of an item from its checkpoint:
// every finished node (in flight and lost ones are not part of the tree),
// in creation order. The rows lack what only the trace knows: cost, test
// grades and the item's identity columns (run, task, seed, params).
func CheckpointNodes(itemDir string) ([]NodeRow, error) {
	path := CheckpointPath(itemDir)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoCheckpoint
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	var st checkpointState
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	lower := st.LowerIsBetter != nil && *st.LowerIsBetter
	rows := make([]NodeRow, 0, len(st.Nodes))
	for i := range st.Nodes {
		n := &st.Nodes[i]
		if n.Status != "done" {
			continue
		}
		rows = append(rows, NodeRow{
			NodeID: n.ID, ParentID: n.ParentID, Step: n.Step, Stage: n.Stage, Worker: n.Worker,
			CreatedAt: n.CreatedAt, FinishedAt: n.FinishedAt, LLMSeconds: n.Usage.LLMSeconds,
			ExecSeconds: n.ExecSeconds, PromptTokens: n.Usage.PromptTokens, CompletionTokens: n.Usage.CompletionTokens,
			ExitCode: n.ExitCode, TimedOut: n.TimedOut, IsBuggy: n.IsBuggy, FormatValid: n.FormatValid,
			Metric: n.Metric, LowerIsBetter: lower, UCTC: n.UCTC, Visits: n.Visits, Reward: n.Reward,
			Plan: n.Plan, Summary: n.Summary, CodeSHA256: n.CodeSHA256, Error: n.Error,
		})
	}
	return rows, nil
}

// MergeCheckpoint returns the trace rows plus the checkpoint's finished
// nodes that the trace lacks (a damaged part, a part still open while the
// item runs), and how many were added. Trace rows win: they carry cost and
// grades.
func MergeCheckpoint(trace, checkpoint []NodeRow) ([]NodeRow, int) {
	have := make(map[string]bool, len(trace))
	for i := range trace {
		have[trace[i].NodeID] = true
	}
	out := trace
	added := 0
	for _, r := range checkpoint {
		if !have[r.NodeID] {
			out = append(out, r)
			added++
		}
	}
	return out, added
}

// readProgressNodes returns the node count of an item's progress.json (0
// when absent or unreadable).
func readProgressNodes(itemDir string) int64 {
	b, err := os.ReadFile(filepath.Join(itemDir, ProgressFile))
	if err != nil {
		return 0
	}
	var p struct {
		Nodes int64 `json:"nodes"`
	}
	if json.Unmarshal(b, &p) != nil {
		return 0
	}
	return p.Nodes
}
