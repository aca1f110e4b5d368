package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/internal/atomicfile"
)

// File and directory names inside a run directory. The harness writes them;
// Collect and the reports read them.
const (
	ManifestFile = "manifest.json"
	ResultsFile  = "results.parquet"
	ItemsDir     = "items"
	StatusFile   = "status.json"
	GradeFile    = "grade.json"
	// EnvFile is the item's environment probe: the sandbox's Python
	// packages and accelerators (harness/sandbox.Environment).
	EnvFile  = "env.json"
	NodesDir = "nodes"
	BestDir  = "best"
	// BestNodeIDFile (inside BestDir) holds the id of the graded node.
	BestNodeIDFile = "node_id"
	// Files inside NodesDir/<node-id>/.
	CodeFile       = "code.py"
	StdoutFile     = "stdout.txt"
	StderrFile     = "stderr.txt"
	SubmissionFile = "submission.csv"
)

// ItemDir returns the directory of work item index in runDir.
func ItemDir(runDir string, index int) string {
	return filepath.Join(runDir, ItemsDir, strconv.Itoa(index))
}

// NodeDir returns the directory of one node's files inside an item directory.
func NodeDir(itemDir, nodeID string) string {
	return filepath.Join(itemDir, NodesDir, nodeID)
}

// Manifest is manifest.json: the work items of a run. The harness writes it
// once when it plans the run; it never changes afterwards.
type Manifest struct {
	RunID     string         `json:"run_id"`
	CreatedAt time.Time      `json:"created_at,omitzero"`
	Items     []ManifestItem `json:"items"`
}

// ManifestItem is one work item: a task, a seed and a sweep point.
type ManifestItem struct {
	Index  int    `json:"index"`
	TaskID string `json:"task_id"`
	// Split is the task's MLE-Bench split (low, medium, high) from the
	// competition registry, "" when the task is not in it.
	Split string `json:"split"`
	Seed  int    `json:"seed"`
	// Params maps dotted config keys of the sweep point to their values as
	// strings, e.g. {"search.uct_c": "0.5"}; empty outside a sweep.
	Params map[string]string `json:"params,omitempty"`
}

// ParamsJSON returns the item's Params as the JSON object stored in the
// params column: keys sorted, "{}" when empty.
func (m ManifestItem) ParamsJSON() string {
	return ParamsJSON(m.Params)
}

// ParamsJSON encodes params as a JSON object with sorted keys ("{}" for none).
func ParamsJSON(params map[string]string) string {
	if len(params) == 0 {
		return "{}"
	}
	b, err := json.Marshal(params) // map keys are sorted by encoding/json
	if err != nil {
		return "{}" // unreachable: map[string]string always encodes
	}
	return string(b)
}

// Item states of ItemStatus.State.
const (
	StatePending   = "pending"
	StateRunning   = "running"
	StateDone      = "done"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// ItemStatus is items/<i>/status.json, rewritten atomically by the worker
// on every state change. A missing file means pending.
type ItemStatus struct {
	State      string    `json:"state"`
	Attempts   int       `json:"attempts"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Error      string    `json:"error,omitempty"`
	// Modality is what the task's examples are (tabular, image, text,
	// audio, other), as the agent read them; "" when unknown.
	Modality string `json:"modality,omitempty"`
	// Fallback says why the graded submission models nothing (a
	// valid-format best guess); "" when a model made it.
	Fallback string `json:"fallback,omitempty"`
}

// Finished reports whether the item reached a final state that counts as a
// run in the medal tables: done, or failed (a failed item is a run without
// a valid submission). Cancelled, pending and running items are missing.
func (s ItemStatus) Finished() bool {
	return s.State == StateDone || s.State == StateFailed
}

// Grade is items/<i>/grade.json: the grader's report (MLE-Bench's
// CompetitionReport), the same JSON type everywhere a grade is written or
// read. Its score may be NaN or infinite for a valid submission, written
// as Python's json writes them.
type Grade = grader.Report

// MedalOf returns the medal of g as a Medal* constant (MedalNone for none).
func MedalOf(g Grade) string {
	switch {
	case g.GoldMedal:
		return MedalGold
	case g.SilverMedal:
		return MedalSilver
	case g.BronzeMedal:
		return MedalBronze
	}
	return MedalNone
}

// ErrNoManifest is returned when a directory has no manifest.json.
var ErrNoManifest = errors.New("results: no manifest.json (not a run directory)")

// ReadManifest reads runDir/manifest.json.
func ReadManifest(runDir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(runDir, ManifestFile))
	if errors.Is(err, os.ErrNotExist) {
		return m, fmt.Errorf("read manifest in %s: %w", runDir, ErrNoManifest)
	}
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("parse %s: %w", filepath.Join(runDir, ManifestFile), err)
	}
	return m, nil
}

// ReadItemStatus reads itemDir/status.json; a missing file is pending.
func ReadItemStatus(itemDir string) (ItemStatus, error) {
	var s ItemStatus
	b, err := os.ReadFile(filepath.Join(itemDir, StatusFile))
	if errors.Is(err, os.ErrNotExist) {
		return ItemStatus{State: StatePending}, nil
	}
	if err != nil {
		return s, fmt.Errorf("read status: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("parse %s: %w", filepath.Join(itemDir, StatusFile), err)
	}
	if s.State == "" {
		s.State = StatePending
	}
	return s, nil
}

// ReadGrade reads itemDir/grade.json. It returns an error wrapping
// os.ErrNotExist when the item was not graded.
func ReadGrade(itemDir string) (Grade, error) {
	var g Grade
	path := filepath.Join(itemDir, GradeFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return g, fmt.Errorf("read grade: %w", err)
	}
	if err := grader.DecodeJSON(b, &g); err != nil {
		return g, fmt.Errorf("parse %s: %w", path, err)
	}
	return g, nil
}

// ResolveRunDir turns a RUN argument into a run directory: ref itself
// when it holds a manifest, else the run id ref under resultsDir
// (results.dir, "" to skip). Every command that takes RUN asks this, so
// they all accept the same spellings and fail with the same messages.
func ResolveRunDir(ref, resultsDir string) (string, error) {
	if isFile(filepath.Join(ref, ManifestFile)) {
		return ref, nil
	}
	if resultsDir != "" {
		alt := filepath.Join(configs.ExpandPath(resultsDir), ref)
		if isFile(filepath.Join(alt, ManifestFile)) {
			return alt, nil
		}
	}
	if st, err := os.Stat(ref); err == nil && st.IsDir() {
		return "", fmt.Errorf("%s is not a run directory (no %s)", ref, ManifestFile)
	}
	if resultsDir == "" {
		return "", fmt.Errorf("no run %q: not a run directory (with %s)", ref, ManifestFile)
	}
	return "", fmt.Errorf("no run %q: neither a run directory (with %s) nor a run id under %s (results.dir)", ref, ManifestFile, resultsDir)
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// ReadBestNodeID reads itemDir/best/node_id ("" when absent).
func ReadBestNodeID(itemDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(itemDir, BestDir, BestNodeIDFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read best node id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// WriteJSON writes v as indented JSON to path atomically (temp file in the
// same directory, fsync, rename). The harness uses it for manifest.json,
// status.json and grade.json (Python's NaN and Infinity included).
func WriteJSON(path string, v any) error {
	b, err := grader.MarshalIndent(v) // a Grade's score may be NaN or infinite
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	b = append(b, '\n')
	return atomicfile.Write(path, 0o644, func(f io.Writer) error {
		_, err := f.Write(b)
		return err
	})
}
