// Package structured grades MLE-Bench's nine structured-output
// competitions (segmentation masks as run-length encodings, detection
// boxes and character points as prediction strings) exactly as the
// reference graders in mlebench/competitions/<id>/grade.py do: the same
// validation (columns, row counts, ids, value formats, pandas' reading of
// empty and numeric-looking cells) and the same scores, with the quirks
// documented on each grader.
//
// Submissions are read as a stream (package csvscan) and masks are
// compared run by run (package mask), so a segmentation submission of
// several gigabytes is graded in memory bounded by the answers, not by the
// submission.
//
// The package knows nothing of the grader framework: package grader
// registers these functions and turns *Invalid into its own
// *InvalidSubmission.
package structured

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/mlbench/mlbench/grader/csvscan"
)

// Func grades a submission against answers, both CSV streams. A submission
// the reference would reject (score None) gives an *Invalid or, when the
// answers themselves are unusable, another error.
type Func func(ctx context.Context, submission, answers io.Reader) (float64, error)

// Graders are the structured-output competitions by id.
var Graders = map[string]Func{
	"google-research-identify-contrails-reduce-global-warming": Contrails,
	"hubmap-kidney-segmentation":                               HuBMAP,
	"tgs-salt-identification-challenge":                        TGSSalt,
	"uw-madison-gi-tract-image-segmentation":                   UWMadison,
	"vesuvius-challenge-ink-detection":                         Vesuvius,
	"3d-object-detection-for-autonomous-vehicles":              Lyft3D,
	"siim-covid19-detection":                                   SIIMCovid,
	"vinbigdata-chest-xray-abnormalities-detection":            VinBigData,
	"kuzushiji-recognition":                                    Kuzushiji,
}

// Invalid says why a submission is not gradable, precisely enough to fix
// it. Row is the 1-based data row of the submission (0 when about the
// whole file) and Column the column concerned ("" when none).
type Invalid struct {
	Reason string
	Row    int
	Column string
}

func (e *Invalid) Error() string {
	switch {
	case e.Row > 0 && e.Column != "":
		return fmt.Sprintf("row %d, column '%s': %s", e.Row, e.Column, e.Reason)
	case e.Row > 0:
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	case e.Column != "":
		return fmt.Sprintf("column '%s': %s", e.Column, e.Reason)
	}
	return e.Reason
}

func invalidf(row int, col, format string, args ...any) error {
	return &Invalid{Row: row, Column: col, Reason: fmt.Sprintf(format, args...)}
}

// answersError marks a problem of the answers file (not the submission's
// fault; the reference fails with an exception, i.e. no score).
func answersError(format string, args ...any) error {
	return fmt.Errorf("answers: "+format, args...)
}

// nextRow moves cr to its next record (ok false at the end), and every
// 1024 rows says whether ctx is done.
func nextRow(ctx context.Context, cr *csvscan.Reader) (ok bool, err error) {
	if ok, err = cr.Next(); !ok || err != nil {
		return false, err
	}
	if cr.Row()&1023 == 0 {
		if err := ctx.Err(); err != nil {
			return false, err
		}
	}
	return true, nil
}

// readExact reads answers that must have exactly the columns cols (in
// any order).
func readExact(ctx context.Context, answers io.Reader, cols ...string) (*table, error) {
	ans, err := readTable(ctx, answers, cols)
	if err != nil {
		return nil, answersError("%w", err)
	}
	if !sameSet(ans.header, cols) {
		return nil, answersError("columns are %v, want %s", ans.header, strings.Join(cols, ", "))
	}
	return ans, nil
}

// sizes parses the answers' image heights and widths.
func sizes(ans *table, hCol, wCol string) (hs, ws []int64, err error) {
	if hs, err = ints(ans.cols[hCol], hCol); err != nil {
		return nil, nil, err
	}
	if ws, err = ints(ans.cols[wCol], wCol); err != nil {
		return nil, nil, err
	}
	return hs, ws, nil
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
