package boxes

import (
	"errors"
	"math"
	"sort"

	"github.com/mlbench/mlbench/grader/internal/pyref"
)

// IoU2D is siim-covid19-detection's calculate_iou of two (xmin, ymin,
// xmax, ymax) boxes, with Python's max/min (so a NaN coordinate gives 0).
func IoU2D(a, b Box) float64 {
	ix0 := pyref.Max(a.XMin, b.XMin)
	iy0 := pyref.Max(a.YMin, b.YMin)
	ix1 := pyref.Min(a.XMax, b.XMax)
	iy1 := pyref.Min(a.YMax, b.YMax)
	iw := pyref.Max(0, ix1-ix0)
	ih := pyref.Max(0, iy1-iy0)
	inter := iw * ih
	areaA := (a.XMax - a.XMin) * (a.YMax - a.YMin)
	areaB := (b.XMax - b.XMin) * (b.YMax - b.YMin)
	union := areaA + areaB - inter
	if union > 0 {
		return inter / union
	}
	return 0
}

// scored is one (y_true, y_score) pair of the siim metric.
type scored struct {
	positive bool
	score    float64
}

// VOC accumulates siim-covid19-detection's mean average precision: per
// class of the answers, every image contributes (1, confidence) for a
// prediction matching an unused true box at IoU > 0.5 (greedy, highest
// confidence first, best IoU), (0, confidence) for any other prediction,
// (1, 0) for each unmatched true box, and a single (0, 0) when it has
// neither; the class's AP is scikit-learn's average_precision_score of
// those pairs and the score is their mean.
type VOC struct {
	classes []string
	index   map[string]int
	pairs   [][]scored
}

// NewVOC starts a VOC metric over the given classes (the labels found in
// the answers; order does not matter).
func NewVOC(classes []string) *VOC {
	cs := append([]string(nil), classes...)
	sort.Strings(cs)
	cs = compactStrings(cs)
	v := &VOC{classes: cs, index: map[string]int{}, pairs: make([][]scored, len(cs))}
	for i, c := range cs {
		v.index[c] = i
	}
	return v
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// Classes returns the sorted classes.
func (v *VOC) Classes() []string { return v.classes }

// AddImage adds one image's predictions and true boxes.
func (v *VOC) AddImage(preds, truth []Box) {
	for ci, cls := range v.classes {
		var gts []Box
		for _, g := range truth {
			if g.Label == cls {
				gts = append(gts, g)
			}
		}
		var ps []Box
		for _, p := range preds {
			if p.Label == cls {
				ps = append(ps, p)
			}
		}
		// Python's stable sort, highest confidence first.
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Conf > ps[j].Conf })
		used := make([]bool, len(gts))
		added := 0
		for _, p := range ps {
			best, bestIoU := -1, 0.0
			for gi, g := range gts {
				if used[gi] {
					continue
				}
				iou := IoU2D(p, g)
				if iou > bestIoU && iou > 0.5 {
					best, bestIoU = gi, iou
				}
			}
			if best >= 0 {
				used[best] = true
			}
			v.pairs[ci] = append(v.pairs[ci], scored{best >= 0, p.Conf})
			added++
		}
		for _, u := range used {
			if !u {
				v.pairs[ci] = append(v.pairs[ci], scored{true, 0})
				added++
			}
		}
		if added == 0 {
			v.pairs[ci] = append(v.pairs[ci], scored{false, 0})
		}
	}
}

var (
	// ErrNotFinite: a scored confidence is NaN or infinite, which
	// scikit-learn's input checks reject.
	ErrNotFinite = errors.New("boxes: confidence is NaN or infinite")
	// ErrAllPositive: every pair of a class is positive (the reference
	// asserts this never happens, because the AP would be undefined).
	ErrAllPositive = errors.New("boxes: every pair of a class is a true positive or a missed box")
)

// ClassError says which class failed.
type ClassError struct {
	Class string
	Err   error
}

func (e *ClassError) Error() string { return "class " + e.Class + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *ClassError) Unwrap() error { return e.Err }

// MAP returns the mean over classes of their average precision (0 without
// classes).
func (v *VOC) MAP() (float64, error) {
	if len(v.classes) == 0 {
		return 0, nil
	}
	aps := make([]float64, len(v.classes))
	for ci, ps := range v.pairs {
		allPos := true
		for _, p := range ps {
			if !p.positive {
				allPos = false
				break
			}
		}
		if allPos {
			return 0, &ClassError{v.classes[ci], ErrAllPositive}
		}
		labels := make([]bool, len(ps))
		scores := make([]float64, len(ps))
		for i, p := range ps {
			labels[i], scores[i] = p.positive, p.score
		}
		ap, err := AveragePrecision(labels, scores)
		if err != nil {
			return 0, &ClassError{v.classes[ci], err}
		}
		aps[ci] = ap
	}
	return pyref.Mean(aps), nil
}

// AveragePrecision is scikit-learn's binary average_precision_score: the
// step integral sum (R_k - R_{k-1}) P_k over distinct score thresholds,
// highest first, computed in the same order and with the same NumPy sums.
// Scores must be finite; without positives it is 0 (recall is then taken
// as 1 everywhere, as scikit-learn does).
func AveragePrecision(labels []bool, scores []float64) (float64, error) {
	n := len(scores)
	for _, s := range scores {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			return 0, ErrNotFinite
		}
	}
	if n == 0 {
		return math.NaN(), nil
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return scores[idx[a]] > scores[idx[b]] })
	// Cumulative true and false positives at the last index of each run of
	// equal scores.
	var tps, fps []float64
	tp := 0.0
	for k, i := range idx {
		if labels[i] {
			tp++
		}
		if k == n-1 || scores[idx[k+1]] != scores[i] {
			tps = append(tps, tp)
			fps = append(fps, float64(k+1)-tp)
		}
	}
	m := len(tps)
	precision := make([]float64, m)
	recall := make([]float64, m)
	for k := range tps {
		precision[k] = tps[k] / (tps[k] + fps[k])
		if tps[m-1] == 0 {
			recall[k] = 1
		} else {
			recall[k] = tps[k] / tps[m-1]
		}
	}
	// Reversed curves with recall 0 appended; -sum(diff(recall) * precision).
	terms := make([]float64, m)
	for k := range m {
		hi := recall[m-1-k]
		lo := 0.0
		if m-2-k >= 0 {
			lo = recall[m-2-k]
		}
		terms[k] = (lo - hi) * precision[m-1-k]
	}
	return -pyref.Sum(terms), nil
}
