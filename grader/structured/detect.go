package structured

import (
	"context"
	"io"
	"strings"

	"github.com/mlbench/mlbench/grader/boxes"
	"github.com/mlbench/mlbench/grader/csvscan"
)

// textScan streams a submission row by row, collecting whole cells of a
// few columns (detection rows are small; nothing else is kept).
type textScan struct {
	cr     *csvscan.Reader
	cols   []string
	pos    []int
	cells  []string
	kinds  []csvscan.KindTracker
	numRow []int // per column: first row whose cell is a present number
	buf    []byte
}

func newTextScan(cr *csvscan.Reader, cols ...string) (*textScan, error) {
	s := &textScan{cr: cr, cols: cols, cells: make([]string, len(cols)), kinds: make([]csvscan.KindTracker, len(cols)), numRow: make([]int, len(cols))}
	for _, c := range cols {
		j := cr.Index(c)
		if j < 0 {
			return nil, invalidf(0, c, "column '%s' not found; columns are: %v", c, cr.Header())
		}
		s.pos = append(s.pos, j)
	}
	return s, nil
}

func (s *textScan) each(ctx context.Context, fn func(row int, cells []string) error) error {
	cr := s.cr
	return eachRecord(ctx, cr, func(row int) error {
		clear(s.cells)
		for j, err := range cr.Fields() {
			if err != nil {
				return subErr(err)
			}
			for i, pj := range s.pos {
				if pj == j {
					if s.buf, err = cr.Bytes(s.buf[:0]); err != nil {
						return subErr(err)
					}
					s.cells[i] = string(s.buf)
				}
			}
		}
		for i, c := range s.cells {
			s.kinds[i].Observe(c)
			if s.numRow[i] == 0 && !csvscan.IsNA(c) && csvscan.IsNumber(c) {
				s.numRow[i] = row
			}
		}
		return fn(row, s.cells)
	})
}

// notStrings reports a column that pandas reads as numbers although its
// cells must be strings.
func (s *textScan) notStrings(col int) error {
	if s.kinds[col].Kind() == csvscan.KindNumeric && s.numRow[col] > 0 {
		return invalidf(s.numRow[col], s.cols[col], "every cell of this column is a number or empty, so pandas reads it as numbers, not strings")
	}
	return nil
}

func parseProblem(row int, col string, err error) error {
	return invalidf(row, col, "cannot parse the prediction string: %v", err)
}

// eachByID streams a submission whose rows are matched to the answers by
// the id column idCol (ansIDs are the answers' ids), calling fn with the
// answers row i each row claims and the row's cell of the prediction
// column predCol. After the last row it checks that every answers id had
// its row and that pandas reads predCol as strings.
func eachByID(ctx context.Context, submission io.Reader, ansIDs []string, idCol, predCol string, fn func(i, row int, pred string) error) error {
	keys, err := newIDs(ansIDs, idCol)
	if err != nil {
		return err
	}
	cr, err := csvscan.NewReader(submission)
	if err != nil {
		return subErr(err)
	}
	scan, err := newTextScan(cr, idCol, predCol)
	if err != nil {
		return err
	}
	n := len(ansIDs)
	err = scan.each(ctx, func(row int, cells []string) error {
		if err := beyond(row, n); err != nil {
			return err
		}
		i, err := keys.claim(cells[0], row, idCol)
		if err != nil {
			return err
		}
		return fn(i, row, cells[1])
	})
	if err != nil {
		return err
	}
	if err := keys.complete(cr.Row(), n, idCol, ansIDs); err != nil {
		return err
	}
	return scan.notStrings(1)
}

// readTruth reads the answers of a detection task: the id column idCol
// and the prediction strings of column predCol, parsed by parse (none may
// be missing).
func readTruth[T any](ctx context.Context, answers io.Reader, idCol, predCol string, parse func(string) (T, error)) (*table, []T, error) {
	ans, err := readTable(ctx, answers, []string{idCol, predCol})
	if err != nil {
		return nil, nil, answersError("%w", err)
	}
	truth := make([]T, ans.rows)
	for i, s := range ans.cols[predCol] {
		if csvscan.IsNA(s) {
			return nil, nil, answersError("row %d: %s is missing", i+1, predCol)
		}
		if truth[i], err = parse(s); err != nil {
			return nil, nil, answersError("row %d: %v", i+1, err)
		}
	}
	return ans, truth, nil
}

// Lyft3D grades 3d-object-detection-for-autonomous-vehicles: the organisers'
// 3D mAP (boxes.LyftSample) of every sample, averaged over samples (in Id
// order) and the ten IoU thresholds. Rows are matched by Id; an empty
// PredictionString means no object. A sample without true objects makes
// the score NaN, as in the reference.
func Lyft3D(ctx context.Context, submission, answers io.Reader) (float64, error) {
	ans, truth, err := readTruth(ctx, answers, "Id", "PredictionString", boxes.ParseLyft)
	if err != nil {
		return 0, err
	}
	nt := len(boxes.LyftThresholds)
	maps := make([]float64, ans.rows*nt)
	err = eachByID(ctx, submission, ans.cols["Id"], "Id", "PredictionString", func(i, row int, s string) error {
		if csvscan.IsNA(s) {
			s = ""
		}
		preds, err := boxes.ParseLyft(s)
		if err != nil {
			return parseProblem(row, "PredictionString", err)
		}
		m, err := boxes.LyftSample(truth[i], preds, boxes.LyftThresholds)
		if err != nil {
			return invalidf(row, "PredictionString", "%v", err)
		}
		copy(maps[i*nt:], m)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return meanInIDOrder(ans.cols["Id"], maps), nil
}

// SIIMCovid grades siim-covid19-detection: the reference's VOC mAP@0.5
// (boxes.VOC) over the classes found in the answers, study-level and
// image-level rows alike. Rows are matched by id; every PredictionString
// must be a string of 6-token boxes (an empty cell is invalid: pandas
// reads it as NaN).
func SIIMCovid(ctx context.Context, submission, answers io.Reader) (float64, error) {
	ans, truth, err := readTruth(ctx, answers, "id", "PredictionString", boxes.ParseSIIM)
	if err != nil {
		return 0, err
	}
	var classes []string
	for _, image := range truth {
		for _, b := range image {
			classes = append(classes, b.Label)
		}
	}
	voc := boxes.NewVOC(classes)
	err = eachByID(ctx, submission, ans.cols["id"], "id", "PredictionString", func(i, row int, s string) error {
		if csvscan.IsNA(s) {
			return invalidf(row, "PredictionString", "the cell is empty, which pandas reads as NaN (not a string); predict e.g. 'none 1 0 0 1 1'")
		}
		preds, err := boxes.ParseSIIM(s)
		if err != nil {
			return parseProblem(row, "PredictionString", err)
		}
		voc.AddImage(preds, truth[i])
		return nil
	})
	if err != nil {
		return 0, err
	}
	if ans.rows == 0 {
		return 0, nil
	}
	score, err := voc.MAP()
	if err != nil {
		return 0, &Invalid{Column: "PredictionString", Reason: err.Error()}
	}
	return score, nil
}

// Kuzushiji grades kuzushiji-recognition: the pooled F1 of predicted
// character centres (boxes.KuzushijiPage). Rows are matched by image_id;
// an empty labels cell means no prediction; labels split on single
// spaces into "label x y" triples with numeric x and y.
func Kuzushiji(ctx context.Context, submission, answers io.Reader) (float64, error) {
	ans, err := readTable(ctx, answers, []string{"image_id", "labels"})
	if err != nil {
		return 0, answersError("%w", err)
	}
	var total boxes.PageCounts
	var answersErr error
	err = eachByID(ctx, submission, ans.cols["image_id"], "image_id", "labels", func(i, row int, s string) error {
		predNA := csvscan.IsNA(s)
		var preds []boxes.Point
		if !predNA {
			var err error
			if preds, err = boxes.ParseKuzushiji(s); err != nil {
				return parseProblem(row, "labels", err)
			}
		}
		t := ans.cols["labels"][i]
		switch truthNA := csvscan.IsNA(t); {
		case truthNA && predNA:
		case truthNA:
			total.FP += int64(len(strings.Split(s, " ")) / 3)
		case predNA:
			total.FN += int64(len(strings.Split(t, " ")) / 5)
		default:
			chars, err := boxes.ParseKuzushijiTruth(t)
			if err != nil {
				if answersErr == nil {
					answersErr = answersError("row %d: %v", i+1, err)
				}
				return nil
			}
			total = total.Add(boxes.KuzushijiPage(preds, chars))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if answersErr != nil {
		return 0, answersErr
	}
	return boxes.KuzushijiF1(total), nil
}

// VinBigData grades vinbigdata-chest-xray-abnormalities-detection: COCO
// mAP at IoU 0.4 as pycocotools computes it for the reference's setup
// (boxes.COCO, quirks included). The answers have one row per true box;
// the submission's image_ids must be the same set as the answers' (no row
// count check: an image may have several rows, whose boxes add up), and
// every PredictionString must be "class score xmin ymin xmax ymax ..."
// on single spaces ("14 1 0 0 1 1" for no finding).
func VinBigData(ctx context.Context, submission, answers io.Reader) (float64, error) {
	cols := []string{"class_id", "x_min", "y_min", "x_max", "y_max", "image_id"}
	ans, err := readTable(ctx, answers, cols)
	if err != nil {
		return 0, answersError("%w", err)
	}
	classes, err := ints(ans.cols["class_id"], "class_id")
	if err != nil {
		return 0, err
	}
	var coords [4][]float64
	for k, c := range cols[1:5] {
		if coords[k], err = floats(ans.cols[c], c); err != nil {
			return 0, err
		}
		for i, v := range coords[k] {
			if v != v {
				return 0, answersError("row %d: %s is NaN", i+1, c)
			}
		}
	}
	// Images in first-appearance order; true boxes grouped by image.
	imageIDs := ans.cols["image_id"]
	var unique []string
	rowsOf := map[string][]int{}
	for i, id := range imageIDs {
		if _, ok := rowsOf[id]; !ok {
			unique = append(unique, id)
		}
		rowsOf[id] = append(rowsOf[id], i)
	}
	keys, err := newIDs(unique, "image_id")
	if err != nil {
		return 0, err
	}
	coco := boxes.NewCOCO(0.4)
	for _, id := range unique {
		img := coco.AddImage()
		for _, i := range rowsOf[id] {
			coco.AddTruth(img, classes[i], coords[0][i], coords[1][i], coords[2][i], coords[3][i])
		}
	}
	cr, err := csvscan.NewReader(submission)
	if err != nil {
		return 0, subErr(err)
	}
	scan, err := newTextScan(cr, "PredictionString", "image_id")
	if err != nil {
		return 0, err
	}
	seen := make([]bool, len(unique))
	err = scan.each(ctx, func(row int, cells []string) error {
		img, ok := keys.lookup(cells[1])
		if !ok {
			return invalidf(row, "image_id", "image_id %s is not among the answers' image ids", quote(cells[1]))
		}
		seen[img] = true
		if csvscan.IsNA(cells[0]) {
			return invalidf(row, "PredictionString", "the cell is empty, which pandas reads as NaN (not a string); write '14 1 0 0 1 1' for no finding")
		}
		dets, err := boxes.ParseVinBigData(cells[0])
		if err != nil {
			return parseProblem(row, "PredictionString", err)
		}
		for _, d := range dets {
			coco.AddDetection(img, d)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for i, s := range seen {
		if !s {
			return 0, invalidf(0, "image_id", "image_id %s of the answers has no row", quote(unique[i]))
		}
	}
	if err := scan.notStrings(0); err != nil {
		return 0, err
	}
	return coco.Evaluate(), nil
}
