package grader

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// ROC-AUC competitions.

// aurocGrader is the reference's prepare_for_auroc_metric + roc_auc_score:
// id and target columns, equal row count, a numeric target in [0, 1], the
// same ids.
type aurocGrader struct{ id, target string }

func (g aurocGrader) Grade(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, g.id, g.target); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	p, err := probabilities(sub, g.target)
	if err != nil {
		return 0, err
	}
	perm, err := alignByID(sub, ans, g.id)
	if err != nil {
		return 0, err
	}
	y, err := binaryLabels(ans, g.target)
	if err != nil {
		return 0, err
	}
	v, err := rocAUC(y, gather(p, perm))
	if err != nil {
		return 0, withColumn(err, g.target, perm)
	}
	return v, nil
}

func (g aurocGrader) lockstepColumns() (id, target string) { return g.id, g.target }

// gradeColumns is Grade after alignment, for lockstep grading.
func (g aurocGrader) gradeColumns(y, p []float64) (float64, error) {
	if err := checkUnit(p, g.target); err != nil {
		return 0, err
	}
	labels, ok := twoValueLabels(len(y), func(i int) (float64, bool) { return y[i], true })
	if !ok {
		return 0, errNeedsTable
	}
	return rocAUC(labels, p)
}

var ranzcrClasses = []string{
	"ETT - Abnormal", "ETT - Borderline", "ETT - Normal",
	"NGT - Abnormal", "NGT - Borderline", "NGT - Incompletely Imaged", "NGT - Normal",
	"CVC - Abnormal", "CVC - Borderline",
}

// gradeRanzcr averages the AUC of 9 of the 11 classes (the reference omits
// "CVC - Normal" and "Swan Ganz Catheter Present", mle-bench issue #30).
func gradeRanzcr(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, ranzcrClasses...); err != nil {
		return 0, err
	}
	g := aurocGrader{id: "StudyInstanceUID"}
	if err := requireColumns(sub, g.id); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	for _, c := range ranzcrClasses {
		if _, err := probabilities(sub, c); err != nil {
			return 0, err
		}
	}
	perm, err := alignByID(sub, ans, g.id)
	if err != nil {
		return 0, err
	}
	return meanColumnAUC(sub, ans, perm, ranzcrClasses, true)
}

var plantPathologyClasses = []string{"healthy", "multiple_diseases", "rust", "scab"}

// gradePlantPathology2020 wants exactly the id and four class columns
// (any order); scores need not be probabilities.
func gradePlantPathology2020(sub, ans *Table) (float64, error) {
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	want := append([]string{"image_id"}, plantPathologyClasses...)
	if err := requireExactColumnSet(sub, want); err != nil {
		return 0, err
	}
	perm, err := alignByID(sub, ans, "image_id")
	if err != nil {
		return 0, err
	}
	return meanColumnAUC(sub, ans, perm, plantPathologyClasses, false)
}

// requireExactColumnSet checks the submission's columns as a set.
func requireExactColumnSet(sub *Table, want []string) error {
	have := sub.Columns()
	var missing, extra []string
	for _, w := range want {
		if !sub.Has(w) {
			missing = append(missing, w)
		}
	}
	for _, h := range have {
		if !slices.Contains(want, h) {
			extra = append(extra, h)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		return nil
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+quoteList(missing))
	}
	if len(extra) > 0 {
		parts = append(parts, "unexpected "+quoteList(extra))
	}
	return invalidf("columns must be exactly %s; %s", strings.Join(want, ", "), strings.Join(parts, ", "))
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + x + "'"
	}
	return strings.Join(q, ", ")
}

var jigsawToxicClasses = []string{"toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"}

// gradeJigsawToxic is the column-wise mean AUC of the reference, which
// pairs every non-id submission column, in file order, with every non-id
// answers column, in file order (extra or reordered submission columns
// change the score or make it invalid), after dropping answer rows marked
// -1.
func gradeJigsawToxic(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "id"); err != nil {
		return 0, err
	}
	perm, err := alignAfterColumns(sub, ans, "id", jigsawToxicClasses...)
	if err != nil {
		return 0, err
	}
	// Rows to keep: the answers' class sum is >= 0.
	keep := make([]bool, ans.Len())
	sums := make([]float64, ans.Len())
	for _, c := range jigsawToxicClasses {
		v, err := answerFloats(ans, c)
		if err != nil {
			return 0, err
		}
		for i, x := range v {
			sums[i] += x
		}
	}
	for i, s := range sums {
		keep[i] = s >= 0
	}
	subCols := nonIDColumns(sub, "id")
	ansCols := nonIDColumns(ans, "id")
	if len(subCols) != len(ansCols) {
		return 0, invalidf("submission has %d prediction columns (%s), the answers have %d (%s); the reference pairs them by position", len(subCols), strings.Join(subCols, ", "), len(ansCols), strings.Join(ansCols, ", "))
	}
	var sum float64
	for j := range subCols {
		s, err := submissionFloats(sub, subCols[j])
		if err != nil {
			return 0, err
		}
		yv, err := answerFloats(ans, ansCols[j])
		if err != nil {
			return 0, err
		}
		var ys []bool
		var ss []float64
		var rows []int
		for i := range yv {
			if !keep[i] {
				continue
			}
			if yv[i] != 0 && yv[i] != 1 {
				return 0, fmt.Errorf("answers column '%s' is not 0/1", ansCols[j])
			}
			ys = append(ys, yv[i] == 1)
			ss = append(ss, s[perm[i]])
			rows = append(rows, perm[i])
		}
		v, err := rocAUC(ys, ss)
		if err != nil {
			return 0, withColumn(err, subCols[j], rows)
		}
		sum += v
	}
	return sum / float64(len(subCols)), nil
}

// nonIDColumns lists a table's columns other than the id, in file order.
func nonIDColumns(t *Table, id string) []string {
	var out []string
	for _, c := range t.Columns() {
		if c != id {
			out = append(out, c)
		}
	}
	return out
}

// gradePlaygroundS3E18 is the macro AUC over EC1 and EC2.
func gradePlaygroundS3E18(sub, ans *Table) (float64, error) {
	perm, err := alignAfterColumns(sub, ans, "id", "id", "EC1", "EC2")
	if err != nil {
		return 0, err
	}
	return meanColumnAUC(sub, ans, perm, []string{"EC1", "EC2"}, false)
}

// gradeAlaska2 is the competition's weighted AUC.
func gradeAlaska2(sub, ans *Table) (float64, error) {
	y, p, perm, err := byID(sub, ans, alignChecked, alignedFloats, "Id", "Label")
	if err != nil {
		return 0, err
	}
	for i, v := range p {
		if math.IsNaN(v) {
			return 0, &InvalidSubmission{Row: perm[i] + 1, Column: "Label", Reason: "label is missing (NaN)"}
		}
	}
	pos := make([]bool, len(y))
	for i, v := range y {
		pos[i] = v == 1
	}
	return weightedAUC(pos, p)
}

// rocCurve returns sklearn's roc_curve points (fpr, tpr) from (0, 0), one
// per distinct score from the highest down.
func rocCurve(y []bool, s []float64) (fpr, tpr []float64, err error) {
	idx := make([]int, len(s))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s[idx[a]] > s[idx[b]] })
	fpr, tpr = []float64{0}, []float64{0}
	var tp, fp float64
	for k := 0; k < len(idx); {
		j := k
		for j < len(idx) && s[idx[j]] == s[idx[k]] {
			if y[idx[j]] {
				tp++
			} else {
				fp++
			}
			j++
		}
		fpr = append(fpr, fp)
		tpr = append(tpr, tp)
		k = j
	}
	if tp == 0 || fp == 0 {
		return nil, nil, errOneClass
	}
	for i := range fpr {
		fpr[i] /= fp
		tpr[i] /= tp
	}
	return fpr, tpr, nil
}

// weightedAUC is alaska2's metric as the reference computes it: TPR
// thresholds 0, 0.4, 1 inserted into the ROC curve by linear interpolation,
// the band [0, 0.4] weighted 2 and [0.4, 1] weighted 1, each band's area
// closed by a horizontal line to FPR 1, normalised by 1.4.
func weightedAUC(y []bool, s []float64) (float64, error) {
	fpr, tpr, err := rocCurve(y, s)
	if err != nil {
		return 0, err
	}
	thresholds := []float64{0, 0.4, 1}
	weights := []float64{2, 1}
	for _, th := range thresholds {
		if slices.Contains(tpr, th) {
			continue
		}
		for i, t := range tpr {
			if t > th {
				f := fpr[i-1] + (fpr[i]-fpr[i-1])*(th-tpr[i-1])/(tpr[i]-tpr[i-1])
				tpr = slices.Insert(tpr, i, th)
				fpr = slices.Insert(fpr, i, f)
				break
			}
		}
	}
	var metric, norm float64
	for k, w := range weights {
		lo, hi := thresholds[k], thresholds[k+1]
		norm += (hi - lo) * w
		var xs, ys []float64
		for i, t := range tpr {
			if lo <= t && t <= hi {
				xs = append(xs, fpr[i])
				ys = append(ys, t-lo)
			}
		}
		if len(xs) == 0 {
			continue
		}
		xs = append(xs, 1)
		ys = append(ys, hi-lo)
		metric += trapezoid(xs, ys) * w
	}
	return metric / norm, nil
}

// trapezoid is numpy's trapz.
func trapezoid(x, y []float64) float64 {
	var a float64
	for i := 1; i < len(x); i++ {
		a += (x[i] - x[i-1]) * (y[i] + y[i-1]) / 2
	}
	return a
}

var jigsawIdentities = []string{
	"male", "female", "homosexual_gay_or_lesbian", "christian", "jewish",
	"muslim", "black", "white", "psychiatric_or_mental_illness",
}

// gradeJigsawBias is the reference's version of the Jigsaw bias metric:
// predictions, targets and identities are all binarised at 0.5 (so the
// AUCs are of 0/1 predictions), then 0.25 * overall AUC + 0.25 * the power
// mean (p = -5) over identities of each of the subgroup, BPSN and BNSP
// AUCs. A subset with a single class makes the submission invalid, as
// sklearn raises there.
func gradeJigsawBias(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "id"); err != nil {
		return 0, err
	}
	predCol := "prediction"
	if !sub.Has(predCol) {
		if !sub.Has("toxicity") {
			return 0, &InvalidSubmission{Column: "prediction", Reason: fmt.Sprintf("column 'prediction' not found; columns are: %s", sub.columnList())}
		}
		predCol = "toxicity"
	}
	perm, err := alignChecked(sub, ans, "id")
	if err != nil {
		return 0, err
	}
	raw, err := submissionFloats(sub, predCol)
	if err != nil {
		return 0, err
	}
	binarise := func(v []float64) []bool {
		out := make([]bool, len(v))
		for i, x := range v {
			out[i] = x >= 0.5
		}
		return out
	}
	pred := binarise(gather(raw, perm))
	tv, err := answerFloats(ans, "toxicity")
	if err != nil {
		return 0, err
	}
	tox := binarise(tv)
	score := func(sel func(i int) bool) (float64, error) {
		var y []bool
		var s []float64
		for i := range tox {
			if sel(i) {
				y = append(y, tox[i])
				s = append(s, b2f(pred[i]))
			}
		}
		return rocAUC(y, s)
	}
	overall, err := score(func(int) bool { return true })
	if err != nil {
		return 0, err
	}
	var powSums [3]float64
	for _, idc := range jigsawIdentities {
		v, err := answerFloats(ans, idc)
		if err != nil {
			return 0, err
		}
		in := binarise(v)
		subsets := [3]func(i int) bool{
			func(i int) bool { return in[i] },
			func(i int) bool { return (!tox[i] && in[i]) || (tox[i] && !in[i]) },
			func(i int) bool { return (tox[i] && in[i]) || (!tox[i] && !in[i]) },
		}
		for k, sel := range subsets {
			a, err := score(sel)
			if err != nil {
				return 0, fmt.Errorf("identity %s: %w", idc, err)
			}
			powSums[k] += math.Pow(a, -5)
		}
	}
	total := 0.25 * overall
	for _, ps := range powSums {
		total += 0.25 * math.Pow(ps/float64(len(jigsawIdentities)), -1.0/5)
	}
	return total, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
