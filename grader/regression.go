package grader

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Regression competitions scored by an error of the predicted values
// (RMSE, RMSLE, MAE and their variants) and OSIC's Laplace likelihood.

func gradeDenoising(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "id", "value"); err != nil {
		return 0, err
	}
	if _, err := submissionFloats(sub, "value"); err != nil {
		return 0, err
	}
	y, p, perm, err := byID(sub, ans, alignChecked, alignedFloats, "id", "value")
	if err != nil {
		return 0, err
	}
	v, err := rmse(y, p)
	return v, withColumn(err, "value", perm)
}

// sortedPairs returns both files' values of a numeric column, each sorted
// by its own key column: the reference's "sort both by the key, compare by
// position", which checks neither the keys nor their order.
func sortedPairs(sub, ans *Table, keyCol, col string) (y, p []float64, subRows []int, err error) {
	_, _, so, ao, err := sortedByKey(sub, ans, keyCol)
	if err != nil {
		return nil, nil, nil, err
	}
	y, p, err = columnFloats(sub, ans, col)
	if err != nil {
		return nil, nil, nil, err
	}
	return gather(y, ao), gather(p, so), so, nil
}

// gradeTaxiFare sorts both files by key and compares fares by position;
// the reference checks neither the ids nor the row count (a different row
// count fails inside sklearn).
func gradeTaxiFare(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "fare_amount", "key"); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	y, p, so, err := sortedPairs(sub, ans, "key", "fare_amount")
	if err != nil {
		return 0, err
	}
	v, err := rmse(y, p)
	return v, withColumn(err, "fare_amount", so)
}

func gradePawpularity(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "Id", "Pawpularity"); err != nil {
		return 0, err
	}
	p, err := submissionFloats(sub, "Pawpularity")
	if err != nil {
		return 0, err
	}
	for i, x := range p {
		if !(x >= 1 && x <= 100) {
			return 0, &InvalidSubmission{Row: i + 1, Column: "Pawpularity", Reason: fmt.Sprintf("value %v outside [1, 100]", x)}
		}
	}
	y, pp, _, err := byID(sub, ans, alignChecked, alignedFloats, "Id", "Pawpularity")
	if err != nil {
		return 0, err
	}
	return rmse(y, pp)
}

var covidTargets = []string{"reactivity", "deg_Mg_pH10", "deg_Mg_50C"}

// gradeCovidVaccine is MCRMSE over the scored positions. The reference
// applies the answers' keep mask to the submission by row label, i.e. by
// file position: submission row j is kept when answers row j is. That is
// the sane behaviour when both files list the rows in the same order, and
// it is reproduced as is otherwise.
func gradeCovidVaccine(sub, ans *Table) (float64, error) {
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	if err := requireColumns(sub, append(append([]string{"id_seqpos"}, covidTargets...), "deg_pH10", "deg_50C")...); err != nil {
		return 0, err
	}
	sk, ak, so, ao, err := sortedByKey(sub, ans, "id_seqpos")
	if err != nil {
		return 0, err
	}
	key := idKey(sk, ak)
	for i := range so {
		if key(sk, so[i]) != key(ak, ao[i]) {
			return 0, &InvalidSubmission{Row: so[i] + 1, Column: "id_seqpos", Reason: fmt.Sprintf("expected the same id_seqpos values as the answers: %s sorts where %s belongs", quoteCell(sk.String(so[i])), quoteCell(ak.String(ao[i])))}
		}
	}
	kc, err := ans.Column("keep")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	keep := make([]bool, ans.Len())
	for i := range keep {
		s := kc.String(i)
		keep[i] = s == "True" || s == "true" || s == "TRUE" || s == "1" || s == "1.0"
	}
	var subRows, ansRows []int
	for i := range so {
		if keep[so[i]] {
			subRows = append(subRows, so[i])
		}
		if keep[ao[i]] {
			ansRows = append(ansRows, ao[i])
		}
	}
	if len(subRows) != len(ansRows) {
		return 0, invalidf("the answers' keep mask, applied by row position, selects %d submission rows and %d answer rows; list the rows in the answers' order", len(subRows), len(ansRows))
	}
	return meanOver(covidTargets, func(col string) (float64, error) {
		yv, pv, err := columnFloats(sub, ans, col)
		if err != nil {
			return 0, err
		}
		v, err := rmse(gather(yv, ansRows), gather(pv, subRows))
		return v, withColumn(err, col, subRows)
	})
}

// gradeNomad is the mean of two RMSLEs, compared by position (the
// reference neither sorts nor checks ids).
func gradeNomad(sub, ans *Table) (float64, error) {
	cols := []string{"formation_energy_ev_natom", "bandgap_energy_ev"}
	if err := requireColumns(sub, cols...); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	return meanOver(cols, func(col string) (float64, error) { return columnScore(sub, ans, nil, col, rmsle) })
}

// gradeVentilator is MAE over the inspiratory phase (answers' u_out == 0).
func gradeVentilator(sub, ans *Table) (float64, error) {
	perm, err := alignAfterColumns(sub, ans, "id", "id", "pressure")
	if err != nil {
		return 0, err
	}
	u, err := answerFloats(ans, "u_out")
	if err != nil {
		return 0, err
	}
	y, p, err := alignedFloats(sub, ans, perm, "pressure")
	if err != nil {
		return 0, err
	}
	var ys, ps []float64
	var rows []int
	for i := range u {
		if u[i] == 0 {
			ys = append(ys, y[i])
			ps = append(ps, p[i])
			rows = append(rows, perm[i])
		}
	}
	v, err := mae(ys, ps)
	return v, withColumn(err, "pressure", rows)
}

// mergedFloats is the reference's set check on the id column followed by
// answers.merge(submission, on=id): the answers' and the submission's
// values of col for every merged pair, with the pairs' rows.
func mergedFloats(sub, ans *Table, idCol, col string) (y, p []float64, ansRows, subRows []int, err error) {
	if err := sameIDSet(sub, ans, idCol); err != nil {
		return nil, nil, nil, nil, err
	}
	ar, sr, err := mergeOnID(sub, ans, idCol)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	yv, pv, err := columnFloats(sub, ans, col)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return gather(yv, ar), gather(pv, sr), ar, sr, nil
}

// gradeVolcano is MAE over the merge on segment_id, rounded to an integer
// (Python's round: halves to even).
func gradeVolcano(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "time_to_eruption", "segment_id"); err != nil {
		return 0, err
	}
	y, p, _, sr, err := mergedFloats(sub, ans, "segment_id", "time_to_eruption")
	if err != nil {
		return 0, err
	}
	v, err := mae(y, p)
	if err != nil {
		return 0, withColumn(err, "time_to_eruption", sr)
	}
	return math.RoundToEven(v), nil
}

// gradeChamps is the mean over coupling types of log(MAE of the type).
func gradeChamps(sub, ans *Table) (float64, error) {
	const target = "scalar_coupling_constant"
	if err := requireColumns(sub, target, "id"); err != nil {
		return 0, err
	}
	y, p, ar, sr, err := mergedFloats(sub, ans, "id", target)
	if err != nil {
		return 0, err
	}
	tc, err := ans.Column("type")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	type group struct {
		y, p []float64
		rows []int
	}
	groups := map[string]*group{}
	for k, i := range ar {
		t := tc.String(i)
		g := groups[t]
		if g == nil {
			g = &group{}
			groups[t] = g
		}
		g.y = append(g.y, y[k])
		g.p = append(g.p, p[k])
		g.rows = append(g.rows, sr[k])
	}
	types := slices.Sorted(maps.Keys(groups))
	var sum float64
	for _, t := range types {
		g := groups[t]
		v, err := mae(g.y, g.p)
		if err != nil {
			return 0, withColumn(err, target, g.rows)
		}
		sum += math.Log(v)
	}
	return sum / float64(len(types)), nil
}

// gradeOSIC is the modified Laplace log-likelihood over each patient's
// last three measured weeks. Submission rows for other weeks are ignored;
// weeks missing from the submission are simply not scored (as in the
// reference).
func gradeOSIC(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "Patient_Week", "FVC", "Confidence"); err != nil {
		return 0, err
	}
	spw, _ := sub.Column("Patient_Week")
	apw, err := ans.Column("Patient_Week")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	known := make(map[string]bool, apw.Len())
	for i := range apw.Len() {
		known[apw.Text(i)] = true
	}
	for i := range spw.Len() {
		if !known[spw.Text(i)] {
			return 0, &InvalidSubmission{Row: i + 1, Column: "Patient_Week", Reason: fmt.Sprintf("Patient_Week %s does not exist in the answers", quoteCell(spw.String(i)))}
		}
	}
	fvc, err := submissionFloats(sub, "FVC")
	if err != nil {
		return 0, err
	}
	conf, err := submissionFloats(sub, "Confidence")
	if err != nil {
		return 0, err
	}
	for i, c := range conf {
		if math.IsNaN(c) {
			conf[i] = 0
		}
	}
	afvc, err := answerFloats(ans, "FVC")
	if err != nil {
		return 0, err
	}
	pc, err := ans.Column("Patient")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	// The last three weeks of each patient among rows with an FVC.
	type wk struct {
		row  int
		week int
	}
	byPatient := map[string][]wk{}
	for i := range apw.Len() {
		if math.IsNaN(afvc[i]) {
			continue
		}
		s := apw.String(i)
		w, err := strconv.Atoi(s[strings.LastIndexByte(s, '_')+1:])
		if err != nil {
			return 0, fmt.Errorf("answers: row %d: week of %q: %w", i+1, s, err)
		}
		byPatient[pc.String(i)] = append(byPatient[pc.String(i)], wk{i, w})
	}
	scored := map[string]int{} // Patient_Week -> answers row
	for _, ws := range byPatient {
		sort.SliceStable(ws, func(a, b int) bool { return ws[a].week < ws[b].week })
		if len(ws) > 3 {
			ws = ws[len(ws)-3:]
		}
		for _, w := range ws {
			scored[apw.Text(w.row)] = w.row
		}
	}
	var subRows []int
	seen := map[string]bool{}
	for i := range spw.Len() {
		if _, ok := scored[spw.Text(i)]; ok {
			subRows = append(subRows, i)
			seen[spw.Text(i)] = true
		}
	}
	if len(subRows) != len(seen) {
		return 0, &InvalidSubmission{Column: "Patient_Week", Reason: "a scored Patient_Week appears more than once"}
	}
	if len(subRows) == 0 {
		return math.NaN(), nil
	}
	var sum float64
	for _, j := range subRows {
		a := scored[spw.Text(j)]
		sd := math.Max(conf[j], 70)
		delta := math.Min(math.Abs(afvc[a]-fvc[j]), 1000)
		if math.IsNaN(fvc[j]) {
			delta = math.NaN()
		}
		sum += -math.Sqrt2*delta/sd - math.Log(math.Sqrt2*sd)
	}
	return sum / float64(len(subRows)), nil
}
