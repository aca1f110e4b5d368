package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlbench/mlbench/search"
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

// ErrNoCheckpoint is returned by CheckpointNodes for an item without one.
var ErrNoCheckpoint = errors.New("results: item has no checkpoint")

// ReadCheckpoint reads an item's checkpoint: the search state to resume
// from. It returns ErrNoCheckpoint when the item has none.
func ReadCheckpoint(itemDir string) (*search.State, error) {
	path := CheckpointPath(itemDir)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoCheckpoint
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	var st search.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("checkpoint %s is damaged (%w); move it away to restart the item from scratch", path, err)
	}
	return &st, nil
}

// CheckpointNodes rebuilds the node rows of an item from its checkpoint:
// every finished node (in flight and lost ones are not part of the tree),
// in creation order. The rows lack what only the trace knows: cost, test
// grades and the item's identity columns (run, task, seed, params).
func CheckpointNodes(itemDir string) ([]NodeRow, error) {
	st, err := ReadCheckpoint(itemDir)
	if err != nil {
		return nil, err
	}
	rows := make([]NodeRow, 0, len(st.Nodes))
	for i := range st.Nodes {
		n := &st.Nodes[i]
		if n.Status == search.StatusDone {
			rows = append(rows, NodeRowOf(n.Record(st.LowerIsBetter)))
		}
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
