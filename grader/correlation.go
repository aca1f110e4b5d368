package grader

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

// Competitions scored by a correlation between predictions and answers:
// Pearson (patents), column-wise Spearman (Google QUEST) and the pooled
// Kendall tau of cell orders (AI4Code).

// pearson is scipy's pearsonr statistic: NaN for constant input.
func pearson(x, y []float64) (float64, error) {
	if len(x) < 2 {
		return 0, invalidf("pearson correlation needs at least 2 rows")
	}
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN(), nil
	}
	r := sxy / (math.Sqrt(sxx) * math.Sqrt(syy))
	return max(-1, min(1, r)), nil
}

func gradePatent(sub, ans *Table) (float64, error) {
	y, p, _, err := byID(sub, ans, alignChecked, alignedFloats, "id", "score")
	if err != nil {
		return 0, err
	}
	return pearson(y, p)
}

var googleQuestTargets = []string{
	"question_asker_intent_understanding", "question_body_critical", "question_conversational",
	"question_expect_short_answer", "question_fact_seeking", "question_has_commonly_accepted_answer",
	"question_interestingness_others", "question_interestingness_self", "question_multi_intent",
	"question_not_really_a_question", "question_opinion_seeking", "question_type_choice",
	"question_type_compare", "question_type_consequence", "question_type_definition",
	"question_type_entity", "question_type_instructions", "question_type_procedure",
	"question_type_reason_explanation", "question_type_spelling", "question_well_written",
	"answer_helpful", "answer_level_of_information", "answer_plausible", "answer_relevance",
	"answer_satisfaction", "answer_type_instructions", "answer_type_procedure",
	"answer_type_reason_explanation", "answer_well_written",
}

// gradeGoogleQuest is the mean column-wise Spearman correlation. The
// reference sorts both files by qa_id and compares by position without
// checking that the ids agree; a constant column gives NaN.
func gradeGoogleQuest(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "qa_id"); err != nil {
		return 0, err
	}
	if err := requireColumns(sub, googleQuestTargets...); err != nil {
		return 0, err
	}
	if n := len(sub.Columns()); n != len(googleQuestTargets)+1 {
		return 0, invalidf("submission has %d prediction columns, expected %d (qa_id and the %d targets only)", n-1, len(googleQuestTargets), len(googleQuestTargets))
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	_, _, so, ao, err := sortedByKey(sub, ans, "qa_id")
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, col := range googleQuestTargets {
		y, p, err := columnFloats(sub, ans, col)
		if err != nil {
			return 0, err
		}
		sum += spearman(gather(p, so), gather(y, ao))
	}
	return sum / float64(len(googleQuestTargets)), nil
}

// spearman is scipy's spearmanr correlation: Pearson of average ranks,
// NaN when an input has a NaN or is constant.
func spearman(x, y []float64) float64 {
	for i := range x {
		if math.IsNaN(x[i]) || math.IsNaN(y[i]) {
			return math.NaN()
		}
	}
	r, err := pearson(averageRanks(x), averageRanks(y))
	if err != nil {
		return math.NaN()
	}
	return r
}

// averageRanks is scipy's rankdata(method="average"), 1-based.
func averageRanks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && v[idx[j]] == v[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			r[idx[k]] = avg
		}
		i = j
	}
	return r
}

// gradeAI4Code is the pooled Kendall tau of cell orders. As in the
// reference, the submission's order plays the ground truth and the
// answers' order the prediction: each answer cell is ranked by its first
// position in the submission's list (a cell the submission lacks makes it
// invalid).
func gradeAI4Code(sub, ans *Table) (float64, error) {
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	if err := requireColumns(sub, "id", "cell_order"); err != nil {
		return 0, err
	}
	perm, err := alignSameIDs(sub, ans, "id")
	if err != nil {
		return 0, err
	}
	sc, ac, err := columns(sub, ans, "cell_order")
	if err != nil {
		return 0, err
	}
	var inversions, max2 float64
	for i, j := range perm {
		gt := strings.Fields(sc.Text(j))
		pred := strings.Fields(ac.Text(i))
		if len(gt) != len(pred) {
			return 0, &InvalidSubmission{Row: j + 1, Column: "cell_order", Reason: fmt.Sprintf("lists %d cells, the notebook has %d", len(gt), len(pred))}
		}
		pos := make(map[string]int, len(gt))
		for k := len(gt) - 1; k >= 0; k-- {
			pos[gt[k]] = k
		}
		ranks := make([]int, len(pred))
		for k, cell := range pred {
			r, ok := pos[cell]
			if !ok {
				return 0, &InvalidSubmission{Row: j + 1, Column: "cell_order", Reason: fmt.Sprintf("cell %s of the notebook is missing", quoteCell(cell))}
			}
			ranks[k] = r
		}
		inversions += float64(countInversions(ranks))
		n := float64(len(gt))
		max2 += n * (n - 1)
	}
	if max2 == 0 {
		// Python's 4 * 0 / 0 raises ZeroDivisionError: no score.
		return 0, invalidf("every notebook has at most one cell: Kendall tau divides by zero")
	}
	return 1 - 4*inversions/max2, nil
}

// countInversions counts pairs i < j with a[i] > a[j] (merge sort).
func countInversions(a []int) int64 {
	buf := make([]int, len(a))
	work := slices.Clone(a)
	var rec func(lo, hi int) int64
	rec = func(lo, hi int) int64 {
		if hi-lo < 2 {
			return 0
		}
		mid := (lo + hi) / 2
		n := rec(lo, mid) + rec(mid, hi)
		i, j, k := lo, mid, lo
		for i < mid && j < hi {
			if work[j] < work[i] {
				n += int64(mid - i)
				buf[k] = work[j]
				j++
			} else {
				buf[k] = work[i]
				i++
			}
			k++
		}
		for ; i < mid; i++ {
			buf[k] = work[i]
			k++
		}
		for ; j < hi; j++ {
			buf[k] = work[j]
			k++
		}
		copy(work[lo:hi], buf[lo:hi])
		return n
	}
	return rec(0, len(a))
}
