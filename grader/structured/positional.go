package structured

import (
	"context"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/mlbench/mlbench/grader/csvscan"
	"github.com/mlbench/mlbench/grader/internal/pyref"
	"github.com/mlbench/mlbench/grader/mask"
)

// UWMadison grades uw-madison-gi-tract-image-segmentation as the
// reference does: 0.4 x Dice + 0.6 x (1 - Hausdorff).
//
//   - Rows are compared by position with the answers (no sort, no id
//     check, no row-count check): only the first min(rows, answers) rows
//     count, and their masks take the answers row's image_height and
//     image_width. The class column must exist but is not used.
//   - Dice is averaged over rows, leaving out rows where both masks are
//     empty (np.nanmean).
//   - Hausdorff works on 3D volumes: each side's rows are grouped by id
//     (the masks of one slice id OR-ed, slices stacked in sorted order,
//     one volume per "<case>_<day>", the part of the id before
//     "_slice_"); the submission's volumes are paired with the answers'
//     in order (the order of first appearance among sorted slice ids)
//     and mask.Hausdorff is averaged over pairs, leaving out NaN.
//
// A considered id must be a string (a missing or numeric id is invalid),
// and the slices of a volume must share a shape.
func UWMadison(ctx context.Context, submission, answers io.Reader) (float64, error) {
	ans, err := readTable(ctx, answers, []string{"id", "predicted", "image_height", "image_width"})
	if err != nil {
		return 0, answersError("%w", err)
	}
	hs, ws, err := sizes(ans, "image_height", "image_width")
	if err != nil {
		return 0, err
	}
	n := ans.rows
	truth := make([]truthMask, n)
	ansSlices := newSliceSet()
	for i, rle := range ans.cols["predicted"] {
		if csvscan.IsNA(rle) {
			rle = ""
		}
		if truth[i], err = decodeTruth(rle, hs[i], ws[i], i+1); err != nil {
			return 0, err
		}
		id := ans.cols["id"][i]
		if csvscan.IsNA(id) {
			return 0, answersError("row %d: id is missing", i+1)
		}
		if err := ansSlices.add(id, int(hs[i]), int(ws[i]), truth[i].runs); err != nil {
			return 0, answersError("row %d: %v", i+1, err)
		}
	}
	if kindOf(ans.cols["id"]) == csvscan.KindNumeric && n > 0 {
		return 0, answersError("every id is a number")
	}

	cr, err := csvscan.NewReader(submission)
	if err != nil {
		return 0, subErr(err)
	}
	for _, c := range []string{"id", "class", "predicted"} {
		if cr.Index(c) < 0 {
			return 0, invalidf(0, "", "the submission must have columns id, class and predicted; columns are: %v", cr.Header())
		}
	}
	scan := newRLEScan(cr, "predicted", []string{"id"}, false)
	subSlices := newSliceSet()
	var idKind csvscan.KindTracker
	dice := make([]float64, 0, n)
	var cell rleCell
	var ov mask.Overlap
	var runs []mask.Run
	open := func(row int) (*rleCell, error) {
		if row > n {
			cell.look()
			return &cell, nil
		}
		i := row - 1
		ov = mask.Overlap{Truth: truth[i].runs}
		runs = runs[:0]
		cell.reset(truth[i].size, func(r mask.Run) {
			ov.Add(r)
			runs = append(runs, r)
		})
		return &cell, nil
	}
	done := func(row int, c *rleCell) error {
		scan.observe(row, c)
		id := scan.key(0)
		idKind.Observe(id)
		if row > n {
			return nil
		}
		if c.isNA() {
			ov.Pred, ov.Inter, runs = 0, 0, runs[:0]
		} else if c.err != nil {
			return rleProblem(row, "predicted", c.err)
		}
		if csvscan.IsNA(id) {
			return invalidf(row, "id", "the id is missing (NaN to pandas); ids group the slices into volumes")
		}
		i := row - 1
		dice = append(dice, mask.Dice(mask.Counts{Pred: ov.Pred, True: mask.Count(truth[i].runs), Inter: ov.Inter}, math.NaN()))
		if err := subSlices.add(id, int(hs[i]), int(ws[i]), runs); err != nil {
			return invalidf(row, "id", "%v", err)
		}
		return nil
	}
	if err := scan.each(ctx, open, done); err != nil {
		return 0, err
	}
	if err := scan.numericError("predicted"); err != nil {
		return 0, err
	}
	if len(dice) > 0 && idKind.Kind() == csvscan.KindNumeric {
		return 0, invalidf(0, "id", "every id is a number, so pandas reads them as numbers, not slice ids")
	}
	subVols, err := subSlices.volumes()
	if err != nil {
		return 0, &Invalid{Column: "id", Reason: err.Error()}
	}
	ansVols, err := ansSlices.volumes()
	if err != nil {
		return 0, answersError("%w", err)
	}
	hd := make([]float64, 0, min(len(subVols), len(ansVols)))
	for i := range min(len(subVols), len(ansVols)) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		hd = append(hd, mask.Hausdorff(subVols[i], ansVols[i]))
	}
	return 0.4*pyref.NanMean(dice) + 0.6*(1-pyref.NanMean(hd)), nil
}

// sliceSet collects the OR-ed mask of every slice id.
type sliceSet struct {
	byID map[string]*mask.Bitmap
}

func newSliceSet() *sliceSet { return &sliceSet{byID: map[string]*mask.Bitmap{}} }

func (s *sliceSet) add(id string, h, w int, runs []mask.Run) error {
	b, ok := s.byID[id]
	if !ok {
		b = mask.NewBitmap(h, w)
		s.byID[id] = b
	} else if b.H != h || b.W != w {
		return errorf("slice %s has masks of shapes %dx%d and %dx%d, which cannot be OR-ed", quote(id), b.H, b.W, h, w)
	}
	for _, r := range runs {
		b.SetRun(r)
	}
	return nil
}

// volumes stacks the slices by case-day, in the reference's order.
func (s *sliceSet) volumes() ([]mask.Volume, error) {
	ids := slices.Sorted(func(yield func(string) bool) {
		for id := range s.byID {
			if !yield(id) {
				return
			}
		}
	})
	var order []string
	byDay := map[string]*mask.Volume{}
	for _, id := range ids {
		day, _, _ := strings.Cut(id, "_slice_")
		v, ok := byDay[day]
		if !ok {
			v = &mask.Volume{}
			byDay[day] = v
			order = append(order, day)
		}
		b := s.byID[id]
		if len(v.Slices) > 0 && !v.Slices[0].SameShape(b) {
			return nil, errorf("volume %s stacks slices of shapes %dx%d and %dx%d", quote(day), v.Slices[0].H, v.Slices[0].W, b.H, b.W)
		}
		v.Slices = append(v.Slices, b)
	}
	out := make([]mask.Volume, len(order))
	for i, day := range order {
		out[i] = *byDay[day]
	}
	return out, nil
}

// Vesuvius grades vesuvius-challenge-ink-detection: the mean over rows of
// the pixel F0.5 score (scikit-learn's fbeta_score; 0 when both masks are
// empty). Rows are compared by position: the row count must match, each
// Id must equal the answers' Id on the same row, the submission must have
// exactly the two columns Id and Predicted, and every Predicted cell must
// be a string (an empty cell is invalid). Masks take the answers' width
// and height (the RLE runs along rows; only the size matters here).
func Vesuvius(ctx context.Context, submission, answers io.Reader) (float64, error) {
	ans, err := readExact(ctx, answers, "Id", "Predicted", "width", "height")
	if err != nil {
		return 0, err
	}
	// Width first: a bad width is reported before a bad height (only the
	// size width x height matters to the masks).
	ws, hs, err := sizes(ans, "width", "height")
	if err != nil {
		return 0, err
	}
	n := ans.rows
	truth := make([]truthMask, n)
	for i, rle := range ans.cols["Predicted"] {
		if csvscan.IsNA(rle) {
			return 0, answersError("row %d: Predicted is missing", i+1)
		}
		if truth[i], err = decodeTruth(rle, ws[i], hs[i], i+1); err != nil {
			return 0, err
		}
	}
	ansIDs := ans.cols["Id"]
	ansNumeric := kindOf(ansIDs) == csvscan.KindNumeric

	cr, err := csvscan.NewReader(submission)
	if err != nil {
		return 0, subErr(err)
	}
	if n == 0 {
		// No row is ever checked: an empty submission scores np.mean([]).
		if ok, err := cr.Next(); err != nil || ok {
			return 0, invalidf(0, "", "the submission has rows, the answers none")
		}
		return math.NaN(), nil
	}
	if len(cr.Header()) != 2 || cr.Index("Id") < 0 || cr.Index("Predicted") < 0 {
		return 0, invalidf(0, "", "the submission must have exactly the columns Id and Predicted; columns are: %v", cr.Header())
	}
	scan := newRLEScan(cr, "Predicted", []string{"Id"}, false)
	var idKind csvscan.KindTracker
	scores := make([]float64, 0, n)
	strMismatch, numMismatch := 0, 0
	var cell rleCell
	var ov mask.Overlap
	open := func(row int) (*rleCell, error) {
		if err := beyond(row, n); err != nil {
			return nil, err
		}
		ov = mask.Overlap{Truth: truth[row-1].runs}
		cell.reset(truth[row-1].size, ov.Add)
		return &cell, nil
	}
	done := func(row int, c *rleCell) error {
		scan.observe(row, c)
		if c.isNA() {
			return invalidf(row, "Predicted", "the cell is empty, which pandas reads as NaN (not a string)")
		}
		if c.err != nil {
			return rleProblem(row, "Predicted", c.err)
		}
		id, want := scan.key(0), ansIDs[row-1]
		idKind.Observe(id)
		if csvscan.IsNA(id) || id != want {
			if strMismatch == 0 {
				strMismatch = row
			}
		}
		if !numbersEqual(id, want) && numMismatch == 0 {
			numMismatch = row
		}
		scores = append(scores, mask.FBeta(mask.Counts{Pred: ov.Pred, True: mask.Count(truth[row-1].runs), Inter: ov.Inter}, 0.5))
		return nil
	}
	if err := scan.each(ctx, open, done); err != nil {
		return 0, err
	}
	if rows := cr.Row(); rows != n {
		return 0, invalidf(0, "", "the submission has %d rows, the answers %d", rows, n)
	}
	if err := scan.numericError("Predicted"); err != nil {
		return 0, err
	}
	subNumeric := idKind.Kind() == csvscan.KindNumeric
	switch {
	case ansNumeric != subNumeric:
		return 0, invalidf(0, "Id", "pandas reads the answers' ids as %s but these as %s", kindName(ansNumeric), kindName(subNumeric))
	case ansNumeric && numMismatch > 0:
		return 0, invalidf(numMismatch, "Id", "the Id differs from the answers' Id %s on the same row (rows are compared in order)", quote(ansIDs[numMismatch-1]))
	case !ansNumeric && strMismatch > 0:
		return 0, invalidf(strMismatch, "Id", "the Id differs from the answers' Id %s on the same row (rows are compared in order)", quote(ansIDs[strMismatch-1]))
	}
	return pyref.Mean(scores), nil
}

func numbersEqual(a, b string) bool {
	x, ok1 := csvscan.Number(a)
	y, ok2 := csvscan.Number(b)
	return ok1 && ok2 && x == y
}

func kindName(numeric bool) string {
	if numeric {
		return "numbers"
	}
	return "strings"
}
