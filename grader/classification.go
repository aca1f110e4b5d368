package grader

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Classification competitions: accuracy, macro/micro F1 on single labels,
// quadratic weighted kappa, Matthews correlation.

// classKeys returns a column's labels as sklearn's classification metrics
// see them (see labelKeys), refusing what sklearn refuses: missing values
// and non-integer numbers (a "continuous" target).
func classKeys(c Column) ([]string, error) {
	keys := labelKeys(c)
	for i, k := range keys {
		if k == naKey {
			return nil, &InvalidSubmission{Row: i + 1, Column: c.Name, Reason: "label is missing"}
		}
		if k[0] == 'n' {
			v, _ := strconv.ParseFloat(k[2:], 64)
			if v != math.Trunc(v) || math.IsInf(v, 0) {
				return nil, &InvalidSubmission{Row: i + 1, Column: c.Name, Reason: fmt.Sprintf("label %s is not a class: non-integer numbers make the column continuous, which classification metrics refuse", k[2:])}
			}
		}
	}
	return keys, nil
}

// alignedClasses returns the class labels of answers and submission (in
// answer order), with sklearn's target checks (type_of_target: no missing
// labels, no non-integer numbers); the label kinds are checked by the
// metric (checkAccuracyTypes, or strictClasses).
func alignedClasses(sub, ans *Table, perm []int, col string) (y, p []string, err error) {
	ac, err := ans.Column(col)
	if err != nil {
		return nil, nil, fmt.Errorf("answers: %w", err)
	}
	if y, err = classKeys(ac); err != nil {
		return nil, nil, fmt.Errorf("answers: %w", err)
	}
	sc, err := sub.Column(col)
	if err != nil {
		return nil, nil, err
	}
	raw, err := classKeys(sc)
	if err != nil {
		return nil, nil, err
	}
	return y, gather(raw, perm), nil
}

// strictClasses is alignedClasses for the metrics that refuse to compare a
// string label with a number (sklearn's unique_labels: F1, kappa, MCC).
func strictClasses(sub, ans *Table, perm []int, col string) (y, p []string, err error) {
	if y, p, err = alignedClasses(sub, ans, perm, col); err != nil {
		return nil, nil, err
	}
	return y, p, checkLabelTypes(y, p)
}

// accuracyGrader is prepare_for_accuracy_metric + accuracy_score: equal row
// count, target and id columns, the same ids.
type accuracyGrader struct{ id, target string }

func (g accuracyGrader) Grade(sub, ans *Table) (float64, error) {
	perm, err := alignChecked(sub, ans, g.id, g.target, g.id)
	if err != nil {
		return 0, err
	}
	y, p, err := alignedClasses(sub, ans, perm, g.target)
	if err != nil {
		return 0, err
	}
	if err := checkAccuracyTypes(y, p); err != nil {
		return 0, err
	}
	return accuracy(y, p), nil
}

// textAccuracyGrader compares the target as strings after pandas'
// astype(str) of each whole column: a missing cell is "nan", a column
// pandas reads as floats writes "1" as "1.0", a boolean one writes "true"
// as "True".
type textAccuracyGrader struct{ id, target string }

func (g textAccuracyGrader) Grade(sub, ans *Table) (float64, error) {
	perm, err := alignChecked(sub, ans, g.id, g.target, g.id)
	if err != nil {
		return 0, err
	}
	ps, ys, err := pyStringPair(sub, ans, g.target, nil)
	if err != nil {
		return 0, err
	}
	hit := 0
	for i, j := range perm {
		if ps[j] == ys[i] {
			hit++
		}
	}
	return float64(hit) / float64(len(perm)), nil
}

// pythonInts converts a column the way `int(y) for y in column` does in
// the reference: an integer column as is, a float column truncated toward
// zero (NaN and infinity fail), a text column parsed with Python's int()
// (surrounding spaces allowed; "3.0" and missing cells fail). first, when
// set, applies to text cells: only the first whitespace-separated token is
// parsed.
func pythonInts(c Column, first bool) ([]int64, error) {
	out := make([]int64, c.Len())
	allInt := true
	for i := range out {
		v, err := strconv.ParseInt(strings.TrimSpace(c.String(i)), 10, 64)
		if err != nil {
			allInt = false
			break
		}
		out[i] = v
	}
	if allInt {
		return out, nil
	}
	if c.IsNumeric() {
		if first {
			// The reference calls .split() on the float: AttributeError.
			return nil, &InvalidSubmission{Column: c.Name, Reason: fmt.Sprintf("column '%s' holds non-integer numbers (or missing cells); predictions must be integer class ids", c.Name)}
		}
		v, err := c.Floats()
		if err != nil {
			return nil, err
		}
		for i, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, &InvalidSubmission{Row: i + 1, Column: c.Name, Reason: fmt.Sprintf("%s is not an integer", quoteCell(c.String(i)))}
			}
			out[i] = int64(math.Trunc(x))
		}
		return out, nil
	}
	for i := range out {
		s := c.String(i)
		tok := s
		if first {
			f := strings.Fields(s)
			if len(f) == 0 {
				tok = ""
			} else {
				tok = f[0]
			}
		}
		v, ok := pythonInt(tok)
		if !ok || isNA(s) {
			return nil, &InvalidSubmission{Row: i + 1, Column: c.Name, Reason: fmt.Sprintf("%s is not an integer", quoteCell(s))}
		}
		out[i] = v
	}
	return out, nil
}

// pythonInt parses like Python's int(str): optional spaces and sign,
// decimal digits with single underscores between them.
func pythonInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "_") || strings.HasSuffix(s, "_") || strings.Contains(s, "__") {
		return 0, false
	}
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || strings.HasPrefix(body, "_") {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64)
	return v, err == nil
}

// intClasses is the getter (for byID) of int() of a column on both sides
// as label keys, the submission's in answer order; first applies to the
// submission's text cells (see pythonInts).
func intClasses(first bool) func(sub, ans *Table, perm []int, col string) (y, p []string, err error) {
	return func(sub, ans *Table, perm []int, col string) (y, p []string, err error) {
		ac, err := ans.Column(col)
		if err != nil {
			return nil, nil, fmt.Errorf("answers: %w", err)
		}
		yi, err := pythonInts(ac, false)
		if err != nil {
			return nil, nil, fmt.Errorf("answers: %w", err)
		}
		sc, err := sub.Column(col)
		if err != nil {
			return nil, nil, err
		}
		pi, err := pythonInts(sc, first)
		if err != nil {
			return nil, nil, err
		}
		return intKeys(yi), gather(intKeys(pi), perm), nil
	}
}

func intKeys(v []int64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = "n:" + strconv.FormatInt(x, 10)
	}
	return out
}

// gradeINaturalist is the top-1 error: 1 - accuracy of the first predicted
// class.
func gradeINaturalist(sub, ans *Table) (float64, error) {
	y, p, _, err := byID(sub, ans, alignChecked, intClasses(true), "id", "predicted")
	if err != nil {
		return 0, err
	}
	return 1 - accuracy(y, p), nil
}

// gradePaddy is accuracy with missing predictions read as "".
func gradePaddy(sub, ans *Table) (float64, error) {
	for _, c := range []string{"image_id", "label"} {
		if !sub.Has(c) {
			return 0, invalidf("expected columns image_id and label; columns are: %s", sub.columnList())
		}
	}
	perm, err := alignChecked(sub, ans, "image_id")
	if err != nil {
		return 0, err
	}
	ac, err := ans.Column("label")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	y, err := classKeys(ac)
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	sc, _ := sub.Column("label")
	raw := labelKeys(sc)
	for i, k := range raw {
		if k == naKey {
			raw[i] = "s:"
		}
	}
	p := gather(raw, perm)
	for i, k := range p {
		if k[0] == 'n' {
			v, _ := strconv.ParseFloat(k[2:], 64)
			if v != math.Trunc(v) {
				return 0, &InvalidSubmission{Row: perm[i] + 1, Column: "label", Reason: fmt.Sprintf("label %s is not a class", k[2:])}
			}
		}
	}
	if err := checkAccuracyTypes(y, p); err != nil {
		return 0, err
	}
	return accuracy(y, p), nil
}

// gradePlantSeedlings is micro-F1 of single labels, which equals accuracy.
func gradePlantSeedlings(sub, ans *Table) (float64, error) {
	y, p, _, err := byID(sub, ans, alignAfterColumns, strictClasses, "file", "species")
	if err != nil {
		return 0, err
	}
	return accuracy(y, p), nil
}

// macroF1Grader is macro-F1 over int() of the target.
type macroF1Grader struct{ id, target string }

func (g macroF1Grader) Grade(sub, ans *Table) (float64, error) {
	y, p, _, err := byID(sub, ans, alignChecked, intClasses(false), g.id, g.target)
	if err != nil {
		return 0, err
	}
	return f1Macro(y, p)
}

// gradeAptos is QWK on diagnosis; the ids must be the same set.
func gradeAptos(sub, ans *Table) (float64, error) {
	return kappaByID(sub, ans, []string{"diagnosis"}, alignAfterColumns, "id_code", "diagnosis")
}

// gradeEssayScoring is QWK on score.
func gradeEssayScoring(sub, ans *Table) (float64, error) {
	return kappaByID(sub, ans, []string{"score", "essay_id"}, alignChecked, "essay_id", "score")
}

// kappaByID is QWK of col matched by idCol, after the reference's checks:
// the required columns (in its order), at least one row, then open.
func kappaByID(sub, ans *Table, required []string, open opening, idCol, col string) (float64, error) {
	if err := requireColumns(sub, required...); err != nil {
		return 0, err
	}
	if sub.Len() == 0 {
		return 0, invalidf("submission has no rows")
	}
	y, p, _, err := byID(sub, ans, open, strictClasses, idCol, col)
	if err != nil {
		return 0, err
	}
	return quadraticKappa(y, p)
}

// gradeNFLContact is the Matthews correlation on contact.
func gradeNFLContact(sub, ans *Table) (float64, error) {
	y, p, _, err := byID(sub, ans, alignAfterColumns, strictClasses, "contact_id", "contact")
	if err != nil {
		return 0, err
	}
	return matthews(y, p), nil
}

// matthews is sklearn's multiclass matthews_corrcoef (0 when undefined).
func matthews(y, p []string) float64 {
	idx := map[string]int{}
	for _, s := range [][]string{y, p} {
		for _, k := range s {
			if _, ok := idx[k]; !ok {
				idx[k] = len(idx)
			}
		}
	}
	n := len(idx)
	t := make([]float64, n)
	q := make([]float64, n)
	var c, s float64
	for i := range y {
		a, b := idx[y[i]], idx[p[i]]
		t[a]++
		q[b]++
		if a == b {
			c++
		}
		s++
	}
	var tq, qq, tt float64
	for k := range n {
		tq += t[k] * q[k]
		qq += q[k] * q[k]
		tt += t[k] * t[k]
	}
	covYP := c*s - tq
	covPP := s*s - qq
	covYY := s*s - tt
	if covPP*covYY == 0 {
		return 0
	}
	return covYP / math.Sqrt(covYY*covPP)
}
