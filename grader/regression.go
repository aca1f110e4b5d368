package grader

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Regression and correlation competitions.

func init() {
	register("denoising-dirty-documents", GraderFunc(gradeDenoising))
	register("new-york-city-taxi-fare-prediction", GraderFunc(gradeTaxiFare))
	register("petfinder-pawpularity-score", GraderFunc(gradePawpularity))
	register("stanford-covid-vaccine", GraderFunc(gradeCovidVaccine))
	register("nomad2018-predict-transparent-conductors", GraderFunc(gradeNomad))
	register("ventilator-pressure-prediction", GraderFunc(gradeVentilator))
	register("predict-volcanic-eruptions-ingv-oe", GraderFunc(gradeVolcano))
	register("champs-scalar-coupling", GraderFunc(gradeChamps))
	register("icecube-neutrinos-in-deep-ice", GraderFunc(gradeIceCube))
	register("smartphone-decimeter-2022", GraderFunc(gradeSmartphone))
	register("osic-pulmonary-fibrosis-progression", GraderFunc(gradeOSIC))
	register("us-patent-phrase-to-phrase-matching", GraderFunc(gradePatent))
	register("google-quest-challenge", GraderFunc(gradeGoogleQuest))
	register("AI4Code", GraderFunc(gradeAI4Code))
}

// sortedRows returns row indices ordered by a column as pandas sorts it:
// numbers by value (missing last) when the column is numeric, text
// otherwise; equal keys keep file order.
func sortedRows(c Column) []int {
	idx := make([]int, c.Len())
	for i := range idx {
		idx[i] = i
	}
	if c.IsNumeric() {
		v, _ := c.Floats()
		sort.SliceStable(idx, func(a, b int) bool {
			x, y := v[idx[a]], v[idx[b]]
			if math.IsNaN(y) {
				return !math.IsNaN(x)
			}
			return x < y
		})
		return idx
	}
	sort.SliceStable(idx, func(a, b int) bool { return c.String(idx[a]) < c.String(idx[b]) })
	return idx
}

// idKey returns the key function for matching ids of two columns: numbers
// when both are numeric, text otherwise.
func idKey(sc, ac Column) func(Column, int) string {
	if sc.IsNumeric() && ac.IsNumeric() {
		return func(c Column, i int) string { return numberKey(c.String(i)) }
	}
	return func(c Column, i int) string { return c.String(i) }
}

// sameIDSet is the reference's set(submission[id]) == set(answers[id]).
func sameIDSet(sub, ans *Table, col string) error {
	sc, err := sub.Column(col)
	if err != nil {
		return err
	}
	ac, err := ans.Column(col)
	if err != nil {
		return fmt.Errorf("answers: %w", err)
	}
	key := idKey(sc, ac)
	want := make(map[string]bool, ac.Len())
	for i := range ac.Len() {
		want[key(ac, i)] = true
	}
	have := make(map[string]bool, sc.Len())
	extra, firstExtra, firstExtraRow := 0, "", 0
	for i := range sc.Len() {
		k := key(sc, i)
		if have[k] {
			continue
		}
		have[k] = true
		if !want[k] {
			if extra == 0 {
				firstExtra, firstExtraRow = sc.String(i), i+1
			}
			extra++
		}
	}
	missing, firstMissing := 0, ""
	for i := range ac.Len() {
		k := key(ac, i)
		if !have[k] {
			if missing == 0 {
				firstMissing = ac.String(i)
			}
			missing++
			have[k] = true // count each missing id once
		}
	}
	switch {
	case missing > 0 && extra > 0:
		return &InvalidSubmission{Column: col, Reason: fmt.Sprintf("ids in column '%s' do not match the answers: missing %d ids (first: %s), %d unexpected ids (first: %s, row %d)", col, missing, quoteCell(firstMissing), extra, quoteCell(firstExtra), firstExtraRow)}
	case missing > 0:
		return &InvalidSubmission{Column: col, Reason: fmt.Sprintf("ids in column '%s' do not match the answers: missing %d ids (first: %s)", col, missing, quoteCell(firstMissing))}
	case extra > 0:
		return &InvalidSubmission{Row: firstExtraRow, Column: col, Reason: fmt.Sprintf("%d ids are not in the answers (first: %s)", extra, quoteCell(firstExtra))}
	}
	return nil
}

// mergeOnID is pandas' answers.merge(submission, on=id): every pair of an
// answer row and a submission row with the same id, in answer order
// (duplicated submission ids give several pairs).
func mergeOnID(sub, ans *Table, col string) (ansRows, subRows []int, err error) {
	sc, err := sub.Column(col)
	if err != nil {
		return nil, nil, err
	}
	ac, err := ans.Column(col)
	if err != nil {
		return nil, nil, fmt.Errorf("answers: %w", err)
	}
	key := idKey(sc, ac)
	bySub := make(map[string][]int, sc.Len())
	for i := range sc.Len() {
		k := key(sc, i)
		bySub[k] = append(bySub[k], i)
	}
	for i := range ac.Len() {
		for _, j := range bySub[key(ac, i)] {
			ansRows = append(ansRows, i)
			subRows = append(subRows, j)
		}
	}
	return ansRows, subRows, nil
}

func gradeDenoising(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "id", "value"); err != nil {
		return 0, err
	}
	sc, _ := sub.Column("value")
	if _, err := sc.Floats(); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	perm, err := alignByID(sub, ans, "id")
	if err != nil {
		return 0, err
	}
	y, p, err := alignedFloats(sub, ans, perm, "value")
	if err != nil {
		return 0, err
	}
	v, err := rmse(y, p)
	return v, withColumn(err, "value", perm)
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
	sk, _ := sub.Column("key")
	ak, err := ans.Column("key")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	so, ao := sortedRows(sk), sortedRows(ak)
	sf, _ := sub.Column("fare_amount")
	pv, err := sf.Floats()
	if err != nil {
		return 0, err
	}
	af, err := ans.Column("fare_amount")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	yv, err := af.Floats()
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	v, err := rmse(gather(yv, ao), gather(pv, so))
	return v, withColumn(err, "fare_amount", so)
}

func gradePawpularity(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "Id", "Pawpularity"); err != nil {
		return 0, err
	}
	sc, _ := sub.Column("Pawpularity")
	p, err := sc.Floats()
	if err != nil {
		return 0, err
	}
	for i, x := range p {
		if !(x >= 1 && x <= 100) {
			return 0, &InvalidSubmission{Row: i + 1, Column: "Pawpularity", Reason: fmt.Sprintf("value %v outside [1, 100]", x)}
		}
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	perm, err := alignByID(sub, ans, "Id")
	if err != nil {
		return 0, err
	}
	y, pp, err := alignedFloats(sub, ans, perm, "Pawpularity")
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
	sk, _ := sub.Column("id_seqpos")
	ak, err := ans.Column("id_seqpos")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	so, ao := sortedRows(sk), sortedRows(ak)
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
	var sum float64
	for _, col := range covidTargets {
		sc, _ := sub.Column(col)
		pv, err := sc.Floats()
		if err != nil {
			return 0, err
		}
		ac, err := ans.Column(col)
		if err != nil {
			return 0, fmt.Errorf("answers: %w", err)
		}
		yv, err := ac.Floats()
		if err != nil {
			return 0, fmt.Errorf("answers: %w", err)
		}
		v, err := rmse(gather(yv, ansRows), gather(pv, subRows))
		if err != nil {
			return 0, withColumn(err, col, subRows)
		}
		sum += v
	}
	return sum / float64(len(covidTargets)), nil
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
	var sum float64
	for _, col := range cols {
		sc, _ := sub.Column(col)
		p, err := sc.Floats()
		if err != nil {
			return 0, err
		}
		ac, err := ans.Column(col)
		if err != nil {
			return 0, fmt.Errorf("answers: %w", err)
		}
		y, err := ac.Floats()
		if err != nil {
			return 0, fmt.Errorf("answers: %w", err)
		}
		v, err := rmsle(y, p)
		if err != nil {
			return 0, withColumn(err, col, nil)
		}
		sum += v
	}
	return sum / 2, nil
}

// gradeVentilator is MAE over the inspiratory phase (answers' u_out == 0).
func gradeVentilator(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "id", "pressure"); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	perm, err := alignByID(sub, ans, "id")
	if err != nil {
		return 0, err
	}
	uc, err := ans.Column("u_out")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	u, err := uc.Floats()
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
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

// gradeVolcano is MAE over the merge on segment_id, rounded to an integer
// (Python's round: halves to even).
func gradeVolcano(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "time_to_eruption", "segment_id"); err != nil {
		return 0, err
	}
	if err := sameIDSet(sub, ans, "segment_id"); err != nil {
		return 0, err
	}
	ar, sr, err := mergeOnID(sub, ans, "segment_id")
	if err != nil {
		return 0, err
	}
	sc, _ := sub.Column("time_to_eruption")
	pv, err := sc.Floats()
	if err != nil {
		return 0, err
	}
	ac, err := ans.Column("time_to_eruption")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	yv, err := ac.Floats()
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	v, err := mae(gather(yv, ar), gather(pv, sr))
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
	if err := sameIDSet(sub, ans, "id"); err != nil {
		return 0, err
	}
	ar, sr, err := mergeOnID(sub, ans, "id")
	if err != nil {
		return 0, err
	}
	sc, _ := sub.Column(target)
	pv, err := sc.Floats()
	if err != nil {
		return 0, err
	}
	ac, err := ans.Column(target)
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	yv, err := ac.Floats()
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
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
		g.y = append(g.y, yv[i])
		g.p = append(g.p, pv[sr[k]])
		g.rows = append(g.rows, sr[k])
	}
	types := make([]string, 0, len(groups))
	for t := range groups {
		types = append(types, t)
	}
	sort.Strings(types)
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

// gradeIceCube is the mean angular distance between the true and predicted
// directions.
func gradeIceCube(sub, ans *Table) (float64, error) {
	if err := requireExactColumnSet(sub, []string{"event_id", "azimuth", "zenith"}); err != nil {
		return 0, err
	}
	for _, c := range []string{"azimuth", "zenith"} {
		sc, _ := sub.Column(c)
		if _, err := sc.Finite(); err != nil {
			return 0, err
		}
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	if err := sameIDSet(sub, ans, "event_id"); err != nil {
		return 0, err
	}
	perm, err := alignByID(sub, ans, "event_id")
	if err != nil {
		return 0, err
	}
	azT, azP, err := alignedFloats(sub, ans, perm, "azimuth")
	if err != nil {
		return 0, err
	}
	zeT, zeP, err := alignedFloats(sub, ans, perm, "zenith")
	if err != nil {
		return 0, err
	}
	var sum float64
	for i := range azT {
		sa1, ca1 := math.Sincos(azT[i])
		sz1, cz1 := math.Sincos(zeT[i])
		sa2, ca2 := math.Sincos(azP[i])
		sz2, cz2 := math.Sincos(zeP[i])
		dot := sz1*sz2*(ca1*ca2+sa1*sa2) + cz1*cz2
		dot = max(-1, min(1, dot))
		sum += math.Abs(math.Acos(dot))
	}
	return sum / float64(len(azT)), nil
}

// gradeSmartphone is, per trip of the answers, the mean of the 50th and
// 95th percentiles of the haversine distances between the rows of the trip
// in file order (no timestamp join), averaged over trips.
func gradeSmartphone(sub, ans *Table) (float64, error) {
	cols := []string{"tripId", "UnixTimeMillis", "LatitudeDegrees", "LongitudeDegrees"}
	if err := requireColumns(sub, cols...); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	floats := func(t *Table, c string) ([]float64, error) {
		col, err := t.Column(c)
		if err != nil {
			return nil, err
		}
		return col.Floats()
	}
	sLat, err := floats(sub, "LatitudeDegrees")
	if err != nil {
		return 0, err
	}
	sLng, err := floats(sub, "LongitudeDegrees")
	if err != nil {
		return 0, err
	}
	aLat, err := floats(ans, "LatitudeDegrees")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	aLng, err := floats(ans, "LongitudeDegrees")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	st, _ := sub.Column("tripId")
	at, err := ans.Column("tripId")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	key := idKey(st, at)
	subByTrip := map[string][]int{}
	for i := range st.Len() {
		k := key(st, i)
		subByTrip[k] = append(subByTrip[k], i)
	}
	var order []string
	ansByTrip := map[string][]int{}
	for i := range at.Len() {
		k := key(at, i)
		if _, ok := ansByTrip[k]; !ok {
			order = append(order, k)
		}
		ansByTrip[k] = append(ansByTrip[k], i)
	}
	var sum float64
	for _, trip := range order {
		ar, sr := ansByTrip[trip], subByTrip[trip]
		if len(ar) != len(sr) {
			return 0, &InvalidSubmission{Column: "tripId", Reason: fmt.Sprintf("trip %s has %d rows in the submission and %d in the answers", quoteCell(at.String(ar[0])), len(sr), len(ar))}
		}
		d := make([]float64, len(ar))
		for k := range ar {
			d[k] = haversine(sLat[sr[k]], sLng[sr[k]], aLat[ar[k]], aLng[ar[k]])
		}
		sum += (quantile(d, 0.5) + quantile(d, 0.95)) / 2
	}
	return sum / float64(len(order)), nil
}

// haversine is the notebook's distance in metres on a sphere of radius
// 6,371,000 m between two points in degrees.
func haversine(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371000
	la1, la2 := lat1*math.Pi/180, lat2*math.Pi/180
	dlat := la2 - la1
	dlng := lng2*math.Pi/180 - lng1*math.Pi/180
	s1, s2 := math.Sin(dlat/2), math.Sin(dlng/2)
	a := s1*s1 + math.Cos(la1)*math.Cos(la2)*s2*s2
	return 2 * r * math.Asin(math.Sqrt(a))
}

// quantile is numpy's linear-interpolation quantile (NaN if any is NaN).
func quantile(v []float64, q float64) float64 {
	s := slices.Clone(v)
	for _, x := range s {
		if math.IsNaN(x) {
			return math.NaN()
		}
	}
	if len(s) == 0 {
		return math.NaN()
	}
	sort.Float64s(s)
	pos := q * float64(len(s)-1)
	lo := int(math.Floor(pos))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	t := pos - float64(lo)
	a, b := s[lo], s[lo+1]
	if t >= 0.5 {
		return b - (b-a)*(1-t)
	}
	return a + (b-a)*t
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
	fc, _ := sub.Column("FVC")
	fvc, err := fc.Floats()
	if err != nil {
		return 0, err
	}
	cc, _ := sub.Column("Confidence")
	conf, err := cc.Floats()
	if err != nil {
		return 0, err
	}
	for i, c := range conf {
		if math.IsNaN(c) {
			conf[i] = 0
		}
	}
	afc, err := ans.Column("FVC")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	afvc, err := afc.Floats()
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
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
	perm, err := alignChecked(sub, ans, "id", "id", "score")
	if err != nil {
		return 0, err
	}
	y, p, err := alignedFloats(sub, ans, perm, "score")
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
	sk, _ := sub.Column("qa_id")
	ak, err := ans.Column("qa_id")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	so, ao := sortedRows(sk), sortedRows(ak)
	var sum float64
	for _, col := range googleQuestTargets {
		sc, _ := sub.Column(col)
		p, err := sc.Floats()
		if err != nil {
			return 0, err
		}
		ac, err := ans.Column(col)
		if err != nil {
			return 0, fmt.Errorf("answers: %w", err)
		}
		y, err := ac.Floats()
		if err != nil {
			return 0, fmt.Errorf("answers: %w", err)
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
	if err := sameIDSet(sub, ans, "id"); err != nil {
		return 0, err
	}
	perm, err := alignByID(sub, ans, "id")
	if err != nil {
		return 0, err
	}
	sc, _ := sub.Column("cell_order")
	ac, err := ans.Column("cell_order")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
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
