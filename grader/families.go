package grader

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// This file holds the column-level building blocks that the competition
// graders share: aligned columns, probability checks, the ROC-AUC and
// log-loss families.

// withColumn puts the column name on an *InvalidSubmission and turns a row
// in answer order (aligned by perm) into the submission's own row.
func withColumn(err error, col string, perm []int) error {
	var inv *InvalidSubmission
	if !errors.As(err, &inv) {
		return err
	}
	out := *inv
	if out.Column == "" {
		out.Column = col
	}
	if out.Row > 0 && perm != nil && out.Row <= len(perm) {
		out.Row = perm[out.Row-1] + 1
	}
	return &out
}

// alignedLabels returns label keys (see labelKeys) of a column of both
// tables, the submission's in answer order.
func alignedLabels(sub, ans *Table, perm []int, col string) (y, p []string, err error) {
	ac, err := ans.Column(col)
	if err != nil {
		return nil, nil, fmt.Errorf("answers: %w", err)
	}
	sc, err := sub.Column(col)
	if err != nil {
		return nil, nil, err
	}
	return labelKeys(ac), gather(labelKeys(sc), perm), nil
}

// probabilities parses a submission column and requires every value in
// [0, 1] (NaN fails, as pandas' comparisons do).
func probabilities(sub *Table, col string) ([]float64, error) {
	v, err := submissionFloats(sub, col)
	if err != nil {
		return nil, err
	}
	if err := checkUnit(v, col); err != nil {
		return nil, err
	}
	return v, nil
}

func checkUnit(v []float64, col string) error {
	for i, x := range v {
		if !(x >= 0 && x <= 1) {
			return &InvalidSubmission{Row: i + 1, Column: col, Reason: fmt.Sprintf("probability %v outside [0, 1]", x)}
		}
	}
	return nil
}

// binaryLabels parses an answers column of 0/1 (or two-class) labels into
// booleans, true for the greater label as sklearn's pos_label.
func binaryLabels(ans *Table, col string) ([]bool, error) {
	ac, err := ans.Column(col)
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	if y, ok := numericBinaryLabels(ac); ok {
		return y, nil
	}
	keys := labelKeys(ac)
	set := map[string]bool{}
	for _, k := range keys {
		set[k] = true
		if len(set) > 2 {
			return nil, fmt.Errorf("answers column '%s' has more than two classes", col)
		}
	}
	labels := sortedLabels(set)
	pos := labels[len(labels)-1]
	out := make([]bool, len(keys))
	for i, k := range keys {
		out[i] = k == pos
	}
	if len(labels) < 2 {
		// One class: every label is "positive"; rocAUC reports it.
		for i := range out {
			out[i] = true
		}
	}
	return out, nil
}

// numericBinaryLabels is binaryLabels' fast path for a numeric column
// without missing cells holding at most two values.
func numericBinaryLabels(ac Column) ([]bool, bool) {
	return twoValueLabels(ac.Len(), func(i int) (float64, bool) {
		x, err := ac.t.float(i, ac.j)
		return x, err == nil
	})
}

// twoValueLabels is n numbers (at(i) false: not a number) as labels, true
// for the greater of at most two values; false when a number is missing,
// NaN or a third value.
func twoValueLabels(n int, at func(i int) (float64, bool)) ([]bool, bool) {
	lo, hi := math.NaN(), math.NaN()
	for i := range n {
		x, ok := at(i)
		switch {
		case !ok || math.IsNaN(x):
			return nil, false
		case math.IsNaN(lo) || x == lo:
			lo = x
		case math.IsNaN(hi) || x == hi:
			hi = x
		default:
			return nil, false
		}
	}
	out := make([]bool, n)
	if math.IsNaN(hi) {
		for i := range out {
			out[i] = true // one class: rocAUC reports it
		}
		return out, true
	}
	pos := max(lo, hi)
	for i := range out {
		x, _ := at(i)
		out[i] = x == pos
	}
	return out, true
}

// aucColumn is the binary ROC AUC of one column, optionally requiring
// probabilities in [0, 1] (prepare_for_auroc_metric does; others don't).
func aucColumn(sub, ans *Table, perm []int, col string, unit bool) (float64, error) {
	y, err := binaryLabels(ans, col)
	if err != nil {
		return 0, err
	}
	s, err := submissionFloats(sub, col)
	if err != nil {
		return 0, err
	}
	if unit {
		if err := checkUnit(s, col); err != nil {
			return 0, err
		}
	}
	v, err := rocAUC(y, gather(s, perm))
	if err != nil {
		return 0, withColumn(err, col, perm)
	}
	return v, nil
}

// columnScore is metric of one numeric column of both tables, the
// submission's values aligned to the answers by perm (nil: by position,
// as references that compare files row by row). A complaint of metric
// names the column and the submission's row.
func columnScore(sub, ans *Table, perm []int, col string, metric func(y, p []float64) (float64, error)) (float64, error) {
	y, p, err := columnFloats(sub, ans, col)
	if err != nil {
		return 0, err
	}
	if perm != nil {
		p = gather(p, perm)
	}
	v, err := metric(y, p)
	if err != nil {
		return 0, withColumn(err, col, perm)
	}
	return v, nil
}

// meanColumnAUC is the mean of per-column binary ROC AUCs.
func meanColumnAUC(sub, ans *Table, perm []int, cols []string, unit bool) (float64, error) {
	return meanOver(cols, func(c string) (float64, error) { return aucColumn(sub, ans, perm, c, unit) })
}

// meanOver is the mean of the per-column scores of cols, summed in column
// order as the references do; the first error stops it.
func meanOver(cols []string, score func(col string) (float64, error)) (float64, error) {
	var sum float64
	for _, c := range cols {
		v, err := score(c)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum / float64(len(cols)), nil
}

// binaryLogLossColumns is sklearn's binary log loss of one probability
// column in [0, 1] against 0/1 answers.
func binaryLogLossColumns(sub, ans *Table, perm []int, col string) (float64, error) {
	p, err := probabilities(sub, col)
	if err != nil {
		return 0, err
	}
	y, err := binaryLabels(ans, col)
	if err != nil {
		return 0, err
	}
	v, err := binaryLogLoss(y, gather(p, perm))
	if err != nil {
		return 0, withColumn(err, col, perm)
	}
	return v, nil
}

// rowSumRule says whether a row's probability sum is acceptable.
type rowSumRule func(sum float64) bool

// rowSumAbs accepts sums numpy.isclose(sum, 1, atol=tol) accepts (with its
// default rtol of 1e-5).
func rowSumAbs(tol float64) rowSumRule {
	return func(s float64) bool { return math.Abs(s-1) <= tol+1e-5 }
}

// rowSumRounded accepts sums that pandas' .round(dp) makes exactly 1.
func rowSumRounded(dp int) rowSumRule {
	scale := math.Pow(10, float64(dp))
	return func(s float64) bool { return math.RoundToEven(s*scale)/scale == 1 }
}

// cellNumbers reads one column's cells as numbers. A column pandas reads
// as bool (see isBoolColumn) is 1 and 0, as NumPy and scikit-learn take
// it (a one-hot prediction written True/False is probabilities to the
// reference); other text is refused by float.
type cellNumbers struct {
	t       *Table
	j       int
	boolean bool
}

// numbersOf looks at the first cell that is not missing: only a boolean
// spelling there costs the whole-column check.
func numbersOf(t *Table, j int) cellNumbers {
	c := t.ColumnAt(j)
	for i := range c.Len() {
		if s := c.String(i); !isNA(s) {
			return cellNumbers{t: t, j: j, boolean: isBoolWord(s) && isBoolColumn(c)}
		}
	}
	return cellNumbers{t: t, j: j}
}

// plain is the column's cell in a row that rowFloats parsed: NaN (ask
// at) for a cell rowFloats left, and always for a boolean column, whose
// digits at reads as text.
func (n cellNumbers) plain(row []float64) float64 {
	if n.boolean {
		return math.NaN()
	}
	return row[n.j]
}

// at is cell i as a number (a missing boolean is NaN, as float's).
func (n cellNumbers) at(i int) (float64, error) {
	if !n.boolean {
		return n.t.float(i, n.j)
	}
	switch b := n.t.cell(i, n.j); {
	case len(b) > 0 && b[0]|0x20 == 't':
		return 1, nil
	case len(b) > 0 && b[0]|0x20 == 'f':
		return 0, nil
	}
	return math.NaN(), nil
}

// multiLogLoss is sklearn's multi-class log loss over one probability
// column per class: every probability in [0, 1], every row summing to 1 by
// the rule (nil: no check), answers' class columns as 0/1 (or weights).
// It walks rows (the table is row-major) and keeps no matrix, so a
// 100k x 120 file costs no more than its table.
func multiLogLoss(sub, ans *Table, perm []int, classes []string, rule rowSumRule) (float64, error) {
	if err := requireColumns(sub, classes...); err != nil {
		return 0, err
	}
	sj := make([]cellNumbers, len(classes))
	aj := make([]cellNumbers, len(classes))
	for k, c := range classes {
		sj[k] = numbersOf(sub, sub.index[c])
		j, ok := ans.index[c]
		if !ok {
			return 0, fmt.Errorf("answers: column '%s' not found", c)
		}
		aj[k] = numbersOf(ans, j)
	}
	// The answers' weights first, so that each submission row is read once
	// (its faults still come before the answers').
	weights, ansErr := answerWeights(ans, aj)
	owner := make([]int32, sub.Len()) // the answers row of each submission row
	for i := range owner {
		owner[i] = -1
	}
	for i, p := range perm {
		owner[p] = int32(i)
	}
	rowLoss := make([]float64, len(perm))
	// Ranges and row sums, in the submission's own row order, and each
	// row's loss against its answers row.
	err := parallelCells(sub.Len(), len(classes), func(lo, hi int) error {
		row := make([]float64, sub.ncol)
		probs := make([]float64, len(classes))
		for j := lo; j < hi; j++ {
			sub.rowFloats(j, row)
			var sum float64
			for k, c := range classes {
				v := sj[k].plain(row)
				if math.IsNaN(v) {
					var err error
					if v, err = sj[k].at(j); err != nil {
						return err
					}
				}
				if !(v >= 0 && v <= 1) {
					return &InvalidSubmission{Row: j + 1, Column: c, Reason: fmt.Sprintf("probability %v outside [0, 1]", v)}
				}
				sum += v
				probs[k] = v
			}
			if rule != nil && !rule(sum) {
				return &InvalidSubmission{Row: j + 1, Reason: fmt.Sprintf("probabilities sum to %.6g, not 1", sum)}
			}
			if a := owner[j]; a >= 0 && ansErr == nil {
				var s float64
				for w := weights.start[a]; w < weights.start[a+1]; w++ {
					s += weights.y[w] * logLossTerm(probs[weights.k[w]])
				}
				rowLoss[a] = s
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if ansErr != nil {
		return 0, ansErr
	}
	// Losses summed per fixed block of rows, then the blocks in order: the
	// same total whatever the number of CPUs that computed it.
	const block = 1024
	var total float64
	for lo := 0; lo < len(rowLoss); lo += block {
		var s float64
		for _, l := range rowLoss[lo:min(lo+block, len(rowLoss))] {
			s += l
		}
		total += s
	}
	return total / float64(len(perm)), nil
}

// classWeights are the answers' nonzero class weights, row by row: row
// i's are k[start[i]:start[i+1]] (class indexes) and y[...] (one-hot
// answers have one a row).
type classWeights struct {
	start []int32
	k     []int32
	y     []float64
}

// answerWeights reads the answers' class columns (aj) into classWeights,
// in parallel blocks of rows.
func answerWeights(ans *Table, aj []cellNumbers) (classWeights, error) {
	n := ans.Len()
	const block = 4096
	ks := make([][]int32, (n+block-1)/block)
	ys := make([][]float64, len(ks))
	count := make([]int32, n+1)
	err := parallelCells(len(ks), block*len(aj), func(lo, hi int) error {
		row := make([]float64, ans.ncol)
		for b := lo; b < hi; b++ {
			for i := b * block; i < min((b+1)*block, n); i++ {
				ans.rowFloats(i, row)
				for k := range aj {
					y := aj[k].plain(row)
					if math.IsNaN(y) {
						var err error
						if y, err = aj[k].at(i); err != nil {
							return fmt.Errorf("answers: %w", err)
						}
					}
					if y != 0 {
						ks[b] = append(ks[b], int32(k))
						ys[b] = append(ys[b], y)
						count[i+1]++
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return classWeights{}, err
	}
	for i := range n {
		count[i+1] += count[i]
	}
	return classWeights{start: count, k: slices.Concat(ks...), y: slices.Concat(ys...)}, nil
}
