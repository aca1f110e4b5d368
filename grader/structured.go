package grader

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/mlbench/mlbench/grader/structured"
)

// The nine structured-output competitions (segmentation masks as
// run-length encodings, detection boxes and character points as
// prediction strings) are graded by package grader/structured, which reads
// the submission as a stream: a segmentation submission of several
// gigabytes grades in memory bounded by the answers, not by the file.

// streamGrader adapts a structured.Func: it is a FileGrader, so Grade and
// Validate hand it the files and never build Tables of them.
type streamGrader struct {
	id string
	fn structured.Func
}

var _ FileGrader = streamGrader{}

// GradeFiles streams the submission and the answers through the grader.
func (g streamGrader) GradeFiles(ctx context.Context, submissionPath, answersPath string) (float64, error) {
	sub, err := os.Open(submissionPath)
	if err != nil {
		return 0, fmt.Errorf("open submission: %w", err)
	}
	defer sub.Close()
	ans, err := os.Open(answersPath)
	if err != nil {
		return 0, fmt.Errorf("open answers: %w", err)
	}
	defer ans.Close()
	return g.grade(ctx, sub, ans)
}

// Grade grades Tables already in memory by writing them back as CSV.
func (g streamGrader) Grade(sub, answers *Table) (float64, error) {
	return g.grade(context.Background(), tableCSV(sub), tableCSV(answers))
}

func (g streamGrader) grade(ctx context.Context, sub, ans io.Reader) (float64, error) {
	score, err := g.fn(ctx, sub, ans)
	var inv *structured.Invalid
	if errors.As(err, &inv) {
		return 0, &InvalidSubmission{Reason: inv.Reason, Row: inv.Row, Column: inv.Column}
	}
	if err != nil {
		return 0, fmt.Errorf("grade %s: %w", g.id, err)
	}
	return score, nil
}

// tableCSV writes a Table as CSV text (missing cells become empty ones,
// which read back the same).
func tableCSV(t *Table) io.Reader {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	cols := t.Columns()
	if len(cols) == 0 {
		return &b
	}
	_ = w.Write(cols)
	row := make([]string, len(cols))
	for i := range t.Len() {
		for j := range cols {
			row[j] = t.ColumnAt(j).String(i)
		}
		_ = w.Write(row)
	}
	w.Flush()
	return &b
}
