package grader

import (
	"fmt"
	"math"
	"strings"
)

// Log-loss, KL-divergence and probabilistic-F1 competitions.

// answerClasses are the answers' class columns: every column but the id
// (the reference's class lists, e.g. the 120 breeds, are exactly these).
func answerClasses(ans *Table, id string) []string { return nonIDColumns(ans, id) }

// oneHotLogLoss is the reference's one_hot_dfs_to_log_loss_inputs +
// sklearn log_loss: the submission has every answers column, rows match by
// id, probabilities are taken in the answers' column order.
func oneHotLogLoss(sub, ans *Table, id string, rule rowSumRule) (float64, error) {
	classes := answerClasses(ans, id)
	var missing []string
	for _, c := range classes {
		if !sub.Has(c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return 0, invalidf("submission is missing %d class columns required by the answers (first: '%s')", len(missing), missing[0])
	}
	if err := requireColumns(sub, id); err != nil {
		return 0, err
	}
	perm, err := alignByID(sub, ans, id)
	if err != nil {
		return 0, err
	}
	return multiLogLoss(sub, ans, perm, classes, rule)
}

func gradeDogBreed(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, answerClasses(ans, "id")...); err != nil {
		return 0, err
	}
	if err := requireColumns(sub, "id"); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	return oneHotLogLoss(sub, ans, "id", rowSumAbs(1e-6))
}

func gradeLeaf(sub, ans *Table) (float64, error) {
	if err := requireExactColumnSet(sub, ans.Columns()); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	return oneHotLogLoss(sub, ans, "id", rowSumAbs(1e-6))
}

// gradeSpooky requires an n x 4 submission; its row-sum and range checks
// cover every column but the first.
func gradeSpooky(sub, ans *Table) (float64, error) {
	want := len(answerClasses(ans, "id")) + 1
	if sub.Len() != ans.Len() || len(sub.Columns()) != want {
		return 0, invalidf("submission shape is (%d, %d), expected (%d, %d): the id and the %d class columns", sub.Len(), len(sub.Columns()), ans.Len(), want, want-1)
	}
	cols := sub.Columns()[1:]
	sums := make([]float64, sub.Len())
	for _, c := range cols {
		v, err := submissionFloats(sub, c)
		if err != nil {
			return 0, err
		}
		for i, x := range v {
			if !math.IsNaN(x) {
				sums[i] += x
			}
		}
		if err := checkUnit(v, c); err != nil {
			return 0, err
		}
	}
	rule := rowSumAbs(1e-6)
	for i, s := range sums {
		if !rule(s) {
			return 0, &InvalidSubmission{Row: i + 1, Reason: fmt.Sprintf("probabilities sum to %.6g, not 1", s)}
		}
	}
	return oneHotLogLoss(sub, ans, "id", nil)
}

var lmsysClasses = []string{"winner_model_a", "winner_model_b", "winner_tie"}

func gradeLMSYS(sub, ans *Table) (float64, error) {
	perm, err := alignAfterColumns(sub, ans, "id", append([]string{"id"}, lmsysClasses...)...)
	if err != nil {
		return 0, err
	}
	return multiLogLoss(sub, ans, perm, lmsysClasses, rowSumRounded(6))
}

// binaryLogLossGrader is sklearn's binary log loss of P(target = 1), after
// an id-set check and a [0, 1] range check.
type binaryLogLossGrader struct {
	id, target string
	checkRows  bool
}

func (g binaryLogLossGrader) Grade(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, g.id, g.target); err != nil {
		return 0, err
	}
	if err := sameIDSet(sub, ans, g.id); err != nil {
		return 0, err
	}
	// statoil's reference has no row-count check, but a different count
	// fails inside sklearn all the same.
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	if _, err := probabilities(sub, g.target); err != nil {
		return 0, err
	}
	perm, err := alignByID(sub, ans, g.id)
	if err != nil {
		return 0, err
	}
	return binaryLogLossColumns(sub, ans, perm, g.target)
}

var rsnaVariables = []string{"patient_overall", "C1", "C2", "C3", "C4", "C5", "C6", "C7"}

// gradeRSNA2022 is the competition's weighted multi-label log loss: per
// study, binary log losses (clipped at 1e-15) of patient_overall and C1-C7
// weighted 7/1 for negatives and 14/2 for positives, normalised by the
// weights, averaged over studies.
func gradeRSNA2022(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "row_id", "fractured"); err != nil {
		return 0, err
	}
	p, err := submissionFloats(sub, "fractured")
	if err != nil {
		return 0, err
	}
	if err := checkUnit(p, "fractured"); err != nil {
		return 0, err
	}
	y, pp, _, err := byID(sub, ans, alignChecked, alignedFloats, "row_id", "fractured")
	if err != nil {
		return 0, err
	}
	ids, _ := ans.Column("row_id")
	type study struct{ loss, weight [8]float64 }
	var order []string
	studies := map[string]*study{}
	varIndex := map[string]int{}
	for k, v := range rsnaVariables {
		varIndex[v] = k
	}
	seen := map[string]map[int]bool{}
	for i := range y {
		uid, variable, ok := strings.Cut(ids.String(i), "_")
		k, known := varIndex[variable]
		if !ok || !known {
			return 0, fmt.Errorf("answers: row %d: row_id %q is not <StudyInstanceUID>_<patient_overall|C1..C7>", i+1, ids.String(i))
		}
		s := studies[uid]
		if s == nil {
			s = &study{}
			studies[uid] = s
			order = append(order, uid)
			seen[uid] = map[int]bool{}
		}
		seen[uid][k] = true
		const eps = 1e-15
		q := min(max(pp[i], eps), 1-eps)
		w := [2]float64{1, 2}
		if k == 0 {
			w = [2]float64{7, 14}
		}
		if y[i] == 1 {
			s.loss[k] = -math.Log(q) * w[1]
			s.weight[k] = w[1]
		} else {
			s.loss[k] = -(y[i]*math.Log(q) + (1-y[i])*math.Log(1-q)) * w[0]
			s.weight[k] = w[0]
		}
	}
	var total float64
	for _, uid := range order {
		if len(seen[uid]) != len(rsnaVariables) {
			return 0, fmt.Errorf("answers: study %s lacks some of %s", uid, strings.Join(rsnaVariables, ", "))
		}
		s := studies[uid]
		var l, w float64
		for k := range rsnaVariables {
			l += s.loss[k]
			w += s.weight[k]
		}
		total += l / w
	}
	return total / float64(len(order)), nil
}

// gradeRSNABreast is the probabilistic F1 (beta = 1) of predictions
// clipped to [0, 1]; a missing prediction makes the sums NaN and the score
// 0, as in the reference.
func gradeRSNABreast(sub, ans *Table) (float64, error) {
	y, p, _, err := byID(sub, ans, alignAfterColumns, alignedFloats, "prediction_id", "cancer")
	if err != nil {
		return 0, err
	}
	var pos, ctp, cfp float64
	for i := range y {
		q := p[i]
		if !math.IsNaN(q) {
			q = min(max(q, 0), 1)
		}
		if y[i] != 0 && !math.IsNaN(y[i]) {
			pos++
			ctp += q
		} else {
			cfp += q
		}
	}
	if pos == 0 {
		return 0, fmt.Errorf("answers have no positive cases; probabilistic F1 divides by zero")
	}
	precision := ctp / (ctp + cfp)
	recall := ctp / pos
	if precision > 0 && recall > 0 {
		return 2 * precision * recall / (precision + recall), nil
	}
	return 0, nil
}

var hmsTargets = []string{"seizure_vote", "lpd_vote", "gpd_vote", "lrda_vote", "grda_vote", "other_vote"}

// gradeHMS is Kaggle's KL divergence (micro average) of the submission
// from the answers' vote shares. Every non-id submission column must be a
// probability and each row must sum to 1 (rounded to 5 decimals, and
// within numpy's allclose).
func gradeHMS(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "eeg_id"); err != nil {
		return 0, err
	}
	if err := requireColumns(sub, hmsTargets...); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	n := sub.Len()
	targetSums := make([]float64, n)
	allSums := make([]float64, n)
	cols := map[string][]float64{}
	for _, c := range nonIDColumns(sub, "eeg_id") {
		v, err := submissionFloats(sub, c)
		isTarget := false
		for _, t := range hmsTargets {
			isTarget = isTarget || t == c
		}
		if err != nil {
			if isTarget {
				return 0, err
			}
			return 0, &InvalidSubmission{Column: c, Reason: fmt.Sprintf("column '%s' is not numeric; every non-id column must be a probability", c)}
		}
		cols[c] = v
		for i, x := range v {
			if math.IsNaN(x) {
				continue
			}
			allSums[i] += x
			if isTarget {
				targetSums[i] += x
			}
		}
	}
	for i, s := range targetSums {
		if math.RoundToEven(s*1e5)/1e5 != 1 {
			return 0, &InvalidSubmission{Row: i + 1, Reason: fmt.Sprintf("probabilities sum to %.6g, not 1", s)}
		}
	}
	if err := sameIDSet(sub, ans, "eeg_id"); err != nil {
		return 0, err
	}
	for c, v := range cols {
		for i, x := range v {
			if x < 0 || x > 1 {
				return 0, &InvalidSubmission{Row: i + 1, Column: c, Reason: fmt.Sprintf("probability %v outside [0, 1]", x)}
			}
		}
	}
	for i, s := range allSums {
		if math.Abs(s-1) > 1e-8+1e-5 {
			return 0, &InvalidSubmission{Row: i + 1, Reason: fmt.Sprintf("the non-id columns sum to %.6g, not 1", s)}
		}
	}
	perm, err := alignByID(sub, ans, "eeg_id")
	if err != nil {
		return 0, err
	}
	votes := make([][]float64, len(hmsTargets))
	voteSums := make([]float64, ans.Len())
	for k, t := range hmsTargets {
		var err error
		if votes[k], err = answerFloats(ans, t); err != nil {
			return 0, err
		}
		for i, v := range votes[k] {
			if !math.IsNaN(v) {
				voteSums[i] += v
			}
		}
	}
	const eps = 1e-15
	var total float64
	for i, j := range perm {
		var row float64
		for k, t := range hmsTargets {
			yv := votes[k][i] / voteSums[i]
			if yv == 0 {
				continue
			}
			q := cols[t][j]
			if math.IsNaN(q) {
				continue // pandas' row sum skips NaN terms
			}
			q = min(max(q, eps), 1-eps)
			term := yv * math.Log(yv/q)
			if !math.IsNaN(term) {
				row += term
			}
		}
		total += row
	}
	return total / float64(len(perm)), nil
}
