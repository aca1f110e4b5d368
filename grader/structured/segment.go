package structured

import (
	"context"
	"io"
	"math"
	"slices"

	"github.com/mlbench/mlbench/grader/csvscan"
	"github.com/mlbench/mlbench/grader/internal/pyref"
	"github.com/mlbench/mlbench/grader/mask"
)

// truthMask is one answers image: its size and true runs.
type truthMask struct {
	size int64
	runs []mask.Run
}

// keyedRLE describes a segmentation task whose rows are matched to the
// answers by id (the reference sorts both by id and compares).
type keyedRLE struct {
	idCol, rleCol string
	exact         []string // the submission's columns must be exactly these
	dashIsEmpty   bool     // "-" is an empty mask (contrails)
	naInvalid     bool     // a missing cell is NaN, not a string: invalid (contrails)
	idMustBeText  bool     // every id cell must be a string (tgs)
}

// grade streams the submission and returns the counts of every answers
// image, by answers row.
func (k keyedRLE) grade(ctx context.Context, sub io.Reader, ansIDs []string, truth []truthMask) ([]mask.Counts, error) {
	cr, err := csvscan.NewReader(sub)
	if err != nil {
		return nil, subErr(err)
	}
	if k.exact != nil {
		if !sameSet(cr.Header(), k.exact) {
			return nil, invalidf(0, "", "the columns must be exactly %v, got %v", k.exact, cr.Header())
		}
	}
	for _, c := range []string{k.idCol, k.rleCol} {
		if cr.Index(c) < 0 {
			return nil, invalidf(0, c, "column '%s' not found; columns are: %v", c, cr.Header())
		}
	}
	keys, err := newIDs(ansIDs, k.idCol)
	if err != nil {
		return nil, err
	}
	n := len(ansIDs)
	counts := make([]mask.Counts, n)
	scan := newRLEScan(cr, k.rleCol, []string{k.idCol}, true)
	var idKind csvscan.KindTracker
	var cell rleCell
	var ov mask.Overlap
	target := -1
	open := func(row int) (*rleCell, error) {
		if err := beyond(row, n); err != nil {
			return nil, err
		}
		id := scan.key(0)
		idKind.Observe(id)
		i, err := keys.claim(id, row, k.idCol)
		if err != nil {
			return nil, err
		}
		target = i
		ov = mask.Overlap{Truth: truth[i].runs}
		cell.reset(truth[i].size, ov.Add)
		return &cell, nil
	}
	done := func(row int, c *rleCell) error {
		scan.observe(row, c)
		switch {
		case c.isNA():
			if k.naInvalid {
				return invalidf(row, k.rleCol, "the cell is empty, which pandas reads as NaN (not a string); write '-' for an empty mask")
			}
			ov.Pred, ov.Inter = 0, 0
		case k.dashIsEmpty && c.n == 1 && c.text() == "-":
			ov.Pred, ov.Inter = 0, 0
		case c.err != nil:
			return rleProblem(row, k.rleCol, c.err)
		}
		counts[target] = mask.Counts{Pred: ov.Pred, True: mask.Count(truth[target].runs), Inter: ov.Inter}
		return nil
	}
	if err := scan.each(ctx, open, done); err != nil {
		return nil, err
	}
	if err := keys.complete(cr.Row(), n, k.idCol, ansIDs); err != nil {
		return nil, err
	}
	if err := scan.numericError(k.rleCol); err != nil {
		return nil, err
	}
	if k.idMustBeText && idKind.Kind() == csvscan.KindNumeric {
		return nil, invalidf(0, k.idCol, "every id is a number, so pandas reads them as numbers, not strings")
	}
	return counts, nil
}

// sameSet reports whether a and b hold the same names (as Python sets).
func sameSet(a, b []string) bool {
	as := slices.Compact(slices.Sorted(slices.Values(a)))
	bs := slices.Compact(slices.Sorted(slices.Values(b)))
	return slices.Equal(as, bs)
}

// decodeTruth decodes an answers RLE for an image of h x w pixels.
func decodeTruth(rle string, h, w int64, row int) (truthMask, error) {
	var runs []mask.Run
	d := mask.NewDecoder(h*w, func(r mask.Run) { runs = append(runs, r) })
	_, err := d.Write([]byte(rle))
	if err == nil {
		err = d.Close()
	}
	if err != nil {
		return truthMask{}, answersError("row %d: cannot decode its RLE: %v", row, err)
	}
	return truthMask{size: h * w, runs: runs}, nil
}

// meanInIDOrder averages per-image values in the answers' sorted-id order,
// as np.mean does after sort_values (pairwise summation). vals holds the
// same number of values for every image, by answers row.
func meanInIDOrder(ansIDs []string, vals []float64) float64 {
	keys, _ := newIDs(ansIDs, "")
	per := len(vals) / max(len(ansIDs), 1)
	ordered := make([]float64, len(vals))
	for pos, i := range keys.order {
		copy(ordered[pos*per:(pos+1)*per], vals[i*per:])
	}
	return pyref.Mean(ordered)
}

// Contrails grades google-research-identify-contrails-reduce-global-warming:
// the global Dice over every pixel of every record (NaN when no record has
// a pixel, true or predicted). Rows are matched by record_id; masks are
// decoded with the answers' height and width; "-" is an empty mask and an
// empty cell (NaN to pandas) is invalid.
func Contrails(ctx context.Context, submission, answers io.Reader) (float64, error) {
	ans, err := readExact(ctx, answers, "record_id", "encoded_pixels", "height", "width")
	if err != nil {
		return 0, err
	}
	truth, err := rleAnswers(ans, "encoded_pixels", "height", "width", true)
	if err != nil {
		return 0, err
	}
	k := keyedRLE{idCol: "record_id", rleCol: "encoded_pixels", dashIsEmpty: true, naInvalid: true}
	counts, err := k.grade(ctx, submission, ans.cols["record_id"], truth)
	if err != nil {
		return 0, err
	}
	var total mask.Counts
	for _, c := range counts {
		total = total.Add(c)
	}
	return mask.Dice(total, math.NaN()), nil
}

// rleAnswers decodes the answers' masks.
func rleAnswers(ans *table, rleCol, hCol, wCol string, dash bool) ([]truthMask, error) {
	hs, ws, err := sizes(ans, hCol, wCol)
	if err != nil {
		return nil, err
	}
	out := make([]truthMask, ans.rows)
	for i, rle := range ans.cols[rleCol] {
		if dash && rle == "-" {
			rle = ""
		} else if csvscan.IsNA(rle) {
			return nil, answersError("row %d: %s is missing", i+1, rleCol)
		}
		if out[i], err = decodeTruth(rle, hs[i], ws[i], i+1); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// HuBMAP grades hubmap-kidney-segmentation: the mean over images (in id
// order) of the Dice coefficient, 1 when both masks are empty. Rows are
// matched by id; masks use the answers' height_pixels and width_pixels; an
// empty cell is an empty mask.
func HuBMAP(ctx context.Context, submission, answers io.Reader) (float64, error) {
	ans, err := readTable(ctx, answers, []string{"id", "encoding", "width_pixels", "height_pixels"})
	if err != nil {
		return 0, answersError("%w", err)
	}
	truth, err := rleAnswers(ans, "encoding", "height_pixels", "width_pixels", false)
	if err != nil {
		return 0, err
	}
	k := keyedRLE{idCol: "id", rleCol: "predicted"}
	counts, err := k.grade(ctx, submission, ans.cols["id"], truth)
	if err != nil {
		return 0, err
	}
	vals := make([]float64, len(counts))
	for i, c := range counts {
		vals[i] = mask.Dice(c, 1)
	}
	return meanInIDOrder(ans.cols["id"], vals), nil
}

// tgsSide is the side of every tgs-salt image.
const tgsSide = 101

// TGSSalt grades tgs-salt-identification-challenge: the mean over images
// of the precision over IoU thresholds 0.50..0.95 (see mask.TGSPrecision,
// quirk included). The submission must have exactly the columns id and
// rle_mask, every cell a string, ids those of the answers.
func TGSSalt(ctx context.Context, submission, answers io.Reader) (float64, error) {
	ans, err := readExact(ctx, answers, "id", "rle_mask")
	if err != nil {
		return 0, err
	}
	truth := make([]truthMask, ans.rows)
	for i, rle := range ans.cols["rle_mask"] {
		if csvscan.IsNA(rle) {
			rle = ""
		}
		if truth[i], err = decodeTruth(rle, tgsSide, tgsSide, i+1); err != nil {
			return 0, err
		}
	}
	k := keyedRLE{idCol: "id", rleCol: "rle_mask", exact: []string{"id", "rle_mask"}, idMustBeText: true}
	counts, err := k.grade(ctx, submission, ans.cols["id"], truth)
	if err != nil {
		return 0, err
	}
	vals := make([]float64, len(counts))
	for i, c := range counts {
		vals[i] = mask.TGSPrecision(c, tgsSide*tgsSide)
	}
	return meanInIDOrder(ans.cols["id"], vals), nil
}
