package grader

import (
	"errors"
	"fmt"
	"math"
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

// alignedFloats returns the answers' and the submission's values of a
// numeric column, the submission's reordered to answer order.
func alignedFloats(sub, ans *Table, perm []int, col string) (y, p []float64, err error) {
	ac, err := ans.Column(col)
	if err != nil {
		return nil, nil, fmt.Errorf("answers: %w", err)
	}
	if y, err = ac.Floats(); err != nil {
		return nil, nil, fmt.Errorf("answers: %w", err)
	}
	sc, err := sub.Column(col)
	if err != nil {
		return nil, nil, err
	}
	raw, err := sc.Floats()
	if err != nil {
		return nil, nil, err
	}
	return y, gather(raw, perm), nil
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
	sc, err := sub.Column(col)
	if err != nil {
		return nil, err
	}
	v, err := sc.Floats()
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

// aucColumn is the binary ROC AUC of one column, optionally requiring
// probabilities in [0, 1] (prepare_for_auroc_metric does; others don't).
func aucColumn(sub, ans *Table, perm []int, col string, unit bool) (float64, error) {
	y, err := binaryLabels(ans, col)
	if err != nil {
		return 0, err
	}
	sc, err := sub.Column(col)
	if err != nil {
		return 0, err
	}
	s, err := sc.Floats()
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

// meanColumnAUC is the mean of per-column binary ROC AUCs.
func meanColumnAUC(sub, ans *Table, perm []int, cols []string, unit bool) (float64, error) {
	var sum float64
	for _, c := range cols {
		v, err := aucColumn(sub, ans, perm, c, unit)
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

// multiLogLoss is sklearn's multi-class log loss over one probability
// column per class: every probability in [0, 1], every row summing to 1 by
// the rule (nil: no check), answers' class columns as 0/1 (or weights).
// It works column by column so that a 100k x 120 file never becomes a
// matrix.
func multiLogLoss(sub, ans *Table, perm []int, classes []string, rule rowSumRule) (float64, error) {
	if err := requireColumns(sub, classes...); err != nil {
		return 0, err
	}
	n := ans.Len()
	p := make([]float64, sub.Len())
	y := make([]float64, n)
	rowSum := make([]float64, sub.Len())
	loss := make([]float64, n)
	for _, c := range classes {
		sc, _ := sub.Column(c)
		if err := sc.FloatsInto(p); err != nil {
			return 0, err
		}
		if err := checkUnit(p, c); err != nil {
			return 0, err
		}
		for i, v := range p {
			rowSum[i] += v
		}
		ac, err := ans.Column(c)
		if err != nil {
			return 0, fmt.Errorf("answers: %w", err)
		}
		if err := ac.FloatsInto(y); err != nil {
			return 0, fmt.Errorf("answers: %w", err)
		}
		for i, yv := range y {
			if yv != 0 {
				loss[i] += yv * logLossTerm(p[perm[i]])
			}
		}
	}
	if rule != nil {
		for i, s := range rowSum {
			if !rule(s) {
				return 0, &InvalidSubmission{Row: i + 1, Reason: fmt.Sprintf("probabilities sum to %.6g, not 1", s)}
			}
		}
	}
	var total float64
	for _, l := range loss {
		total += l
	}
	return total / float64(n), nil
}
