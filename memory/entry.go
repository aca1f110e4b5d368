package memory

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors of the wisdom store.
var (
	// ErrInvalidEntry marks an entry that lacks what the store needs.
	ErrInvalidEntry = errors.New("memory: invalid wisdom entry")
	// ErrNotFound means no entry has the given ID.
	ErrNotFound = errors.New("memory: wisdom entry not found")
)

// AmbiguousIDError reports an ID prefix that matches several entries.
type AmbiguousIDError struct {
	Prefix  string
	Matches int
}

func (e *AmbiguousIDError) Error() string {
	return fmt.Sprintf("memory: wisdom ID prefix %q matches %d entries; give more characters", e.Prefix, e.Matches)
}

// idLen is the number of hex digits of an entry ID (128 bits of SHA-256).
const idLen = 32

// Entry is what one finished work item teaches later tasks. Entries are
// immutable: an entry's ID is the hash of its content, and its file is
// named after the ID.
type Entry struct {
	// ID is the content address, filled in by [Store.Put].
	ID     string `json:"id"`
	TaskID string `json:"task_id"`
	// DataModality is e.g. "tabular", "image", "text", "audio".
	DataModality  string `json:"data_modality,omitempty"`
	Metric        string `json:"metric,omitempty"`
	LowerIsBetter bool   `json:"lower_is_better"`
	// Keywords are the task description's keywords (see [Keywords]).
	Keywords []string `json:"keywords,omitempty"`
	// ColumnTypes describe the input data, e.g. "numeric", "categorical",
	// "text", "image_path", "datetime".
	ColumnTypes []string `json:"column_types,omitempty"`
	// BestDesign is the plan of the best valid node; BestMetric its
	// validation metric, nil when no node was valid.
	BestDesign string   `json:"best_design,omitempty"`
	BestMetric *float64 `json:"best_metric,omitempty"`
	// Medal is "gold", "silver", "bronze", "none", or empty when ungraded.
	Medal string `json:"medal,omitempty"`
	// WhatFailed lists designs or errors that did not work.
	WhatFailed    []string `json:"what_failed,omitempty"`
	ModelFamilies []string `json:"model_families,omitempty"`
	// Recipe is the machine-readable form of the best design when the
	// coder embeds one in its code (see [Recipe]); coders that understand
	// it start from it on similar tasks.
	Recipe string `json:"recipe,omitempty"`
	// Worked lists the improvement steps that beat their parent in this
	// task (see [Knowledge.Helpful]), oldest first.
	Worked []string `json:"worked,omitempty"`
	RunID  string   `json:"run_id,omitempty"`
	// Item names the work item within its run; with RunID it says which
	// entries describe the same item, so that the item's final entry
	// supersedes its provisional ones.
	Item string `json:"item,omitempty"`
	// Provisional marks an entry written while the item was still running
	// (after its first working solution); the item's later entries
	// supersede it.
	Provisional bool      `json:"provisional,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// source identifies the work item an entry describes ("" when the entry
// names none: every such entry stands alone).
func (e *Entry) source() string {
	if e.Item == "" {
		return ""
	}
	return e.RunID + "\x00" + e.Item
}

// supersedes reports whether e replaces o, an entry of the same item: a
// final entry replaces provisional ones, and otherwise the newer wins
// (ties by ID, so every reader picks the same one).
func (e *Entry) supersedes(o *Entry) bool {
	if e.Provisional != o.Provisional {
		return !e.Provisional
	}
	if !e.CreatedAt.Equal(o.CreatedAt) {
		return e.CreatedAt.After(o.CreatedAt)
	}
	return e.ID > o.ID
}

// validate checks the fields retrieval and naming depend on.
func (e *Entry) validate() error {
	switch {
	case strings.TrimSpace(e.TaskID) == "":
		return fmt.Errorf("%w: task_id is empty", ErrInvalidEntry)
	case e.CreatedAt.IsZero():
		return fmt.Errorf("%w: created_at is missing", ErrInvalidEntry)
	case e.BestMetric != nil && !finite(*e.BestMetric):
		return fmt.Errorf("%w: best_metric is %v", ErrInvalidEntry, *e.BestMetric)
	}
	return nil
}

// contentID computes the entry's content address: the SHA-256 of its JSON
// encoding with ID empty and CreatedAt in UTC.
func (e Entry) contentID() (string, error) {
	e.ID = ""
	e.CreatedAt = e.CreatedAt.UTC()
	data, err := marshalJSON(e, false)
	if err != nil {
		return "", fmt.Errorf("encode wisdom entry: %w", err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])[:idLen], nil
}

// searchText is what retrieval matches a new task against: description
// keywords, metric, column types and data modality.
func (e *Entry) searchText() string {
	parts := append([]string{e.DataModality, e.Metric}, e.Keywords...)
	parts = append(parts, e.ColumnTypes...)
	return strings.Join(parts, " ")
}

// fileName is the name of the entry's file in the store directory.
func fileName(id string) string { return id + ".json" }

// TaskInfo describes a task the way the wisdom store needs it: to retrieve
// lessons for it at its start and to record them at its end.
type TaskInfo struct {
	TaskID        string
	Description   string
	DataModality  string
	Metric        string
	LowerIsBetter bool
	ColumnTypes   []string
}

// keywordsPerEntry is how many description keywords an entry keeps.
const keywordsPerEntry = 24

// Query is the retrieval query for this task (memory.wisdom.top_k and
// memory.wisdom.include_same_task).
func (t TaskInfo) Query(k int, includeSameTask bool) Query {
	return Query{TaskID: t.TaskID, IncludeSameTask: includeSameTask, Description: t.Description,
		Metric: t.Metric, ColumnTypes: t.ColumnTypes, DataModality: t.DataModality, K: k}
}

// NewEntry makes the wisdom entry of a finished work item from its task and
// its final task knowledge: the best design and metric, what failed
// (recurring errors, then changes that did not help) and the model
// families of the best designs. Item and Provisional are the caller's. medal is "gold", "silver", "bronze",
// "none", or "" when ungraded. CreatedAt is left for [Store.Put] to stamp.
func NewEntry(t TaskInfo, k *Knowledge, medal, runID string) Entry {
	e := Entry{
		TaskID: t.TaskID, DataModality: t.DataModality, Metric: t.Metric, LowerIsBetter: t.LowerIsBetter,
		Keywords: Keywords(t.Description, keywordsPerEntry), ColumnTypes: t.ColumnTypes,
		Medal: medal, RunID: runID,
	}
	if k == nil {
		return e
	}
	if len(k.BestDesigns) > 0 {
		best := k.BestDesigns[0]
		m := best.Metric
		e.BestDesign, e.BestMetric, e.Recipe = best.Design, &m, best.Recipe
	}
	for _, c := range k.Helpful {
		e.Worked = append(e.Worked, c.Change)
	}
	seen := map[string]bool{}
	for _, d := range k.BestDesigns {
		for _, f := range d.ModelFamilies {
			if !seen[f] {
				seen[f] = true
				e.ModelFamilies = append(e.ModelFamilies, f)
			}
		}
	}
	for _, r := range k.RecurringErrors {
		e.WhatFailed = append(e.WhatFailed, fmt.Sprintf("%s (%dx)", r.Signature, r.Count))
	}
	for _, c := range k.NotHelpful {
		if c.Metric != nil {
			e.WhatFailed = append(e.WhatFailed, fmt.Sprintf("%s (%s -> %s)", c.Change, formatMetric(c.ParentMetric), formatMetric(*c.Metric)))
		} else {
			e.WhatFailed = append(e.WhatFailed, fmt.Sprintf("%s (broke it: %s)", c.Change, c.Error))
		}
	}
	return e
}
