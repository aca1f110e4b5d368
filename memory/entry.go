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
	WhatFailed    []string  `json:"what_failed,omitempty"`
	ModelFamilies []string  `json:"model_families,omitempty"`
	RunID         string    `json:"run_id,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
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
