package grader

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
)

// The metric functions here compute what the reference's scikit-learn and
// scipy calls compute, on plain slices. They return an error where the
// library raises (the reference then scores the submission as invalid).

// errOneClass is sklearn's "Only one class present in y_true".
var errOneClass = errors.New("only one class present in the answers; ROC AUC is not defined")

// rocAUC is sklearn's binary roc_auc_score: the area under the ROC curve,
// tied scores counting one half. y holds 0/1 labels (1 = positive).
func rocAUC(y []bool, s []float64) (float64, error) {
	if len(y) != len(s) {
		return 0, fmt.Errorf("roc auc: %d labels, %d scores", len(y), len(s))
	}
	for i, v := range s {
		if math.IsNaN(v) {
			return 0, &InvalidSubmission{Row: i + 1, Reason: "score is NaN"}
		}
		if math.IsInf(v, 0) {
			return 0, &InvalidSubmission{Row: i + 1, Reason: "score is infinite"}
		}
	}
	keys := make([]uint64, len(s))
	vals := make([]uint8, len(s))
	var pos int
	for i, v := range s {
		keys[i] = sortableBits(v)
		if y[i] {
			vals[i] = 1
			pos++
		}
	}
	neg := len(s) - pos
	if pos == 0 || neg == 0 {
		return 0, errOneClass
	}
	radixSortPairs(keys, vals)
	// Walk from the lowest score: each positive beats every negative below
	// it and ties half of those at its score.
	var area float64
	var negBelow float64
	for i := 0; i < len(keys); {
		j := i
		var p, n float64
		for j < len(keys) && keys[j] == keys[i] {
			if vals[j] == 1 {
				p++
			} else {
				n++
			}
			j++
		}
		area += p * (negBelow + n/2)
		negBelow += n
		i = j
	}
	return area / (float64(pos) * float64(neg)), nil
}

// sortableBits maps a float64 to a uint64 with the same order (-0 == +0).
func sortableBits(f float64) uint64 {
	if f == 0 {
		f = 0
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// radixSortPairs sorts keys ascending in place, carrying vals along (LSD,
// 16-bit digits, skipping digits that are equal in every key).
func radixSortPairs(keys []uint64, vals []uint8) {
	n := len(keys)
	if n < 256 {
		sort.Stable(pairSorter{keys, vals})
		return
	}
	srcK, srcV := keys, vals
	dstK, dstV := make([]uint64, n), make([]uint8, n)
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		clear(count[:])
		for _, k := range srcK {
			count[(k>>shift)&0xffff]++
		}
		if count[(srcK[0]>>shift)&0xffff] == n {
			continue // every key has this digit
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for i, k := range srcK {
			d := (k >> shift) & 0xffff
			p := count[d]
			count[d]++
			dstK[p] = k
			dstV[p] = srcV[i]
		}
		srcK, dstK = dstK, srcK
		srcV, dstV = dstV, srcV
	}
	if &srcK[0] != &keys[0] {
		copy(keys, srcK)
		copy(vals, srcV)
	}
}

type pairSorter struct {
	k []uint64
	v []uint8
}

func (p pairSorter) Len() int           { return len(p.k) }
func (p pairSorter) Less(i, j int) bool { return p.k[i] < p.k[j] }
func (p pairSorter) Swap(i, j int) {
	p.k[i], p.k[j] = p.k[j], p.k[i]
	p.v[i], p.v[j] = p.v[j], p.v[i]
}

// logLossTerm is -log of a probability clipped the way sklearn >= 1.5 clips:
// to [eps, 1-eps] with eps the float64 machine epsilon.
func logLossTerm(p float64) float64 {
	const eps = 0x1p-52
	if p < eps {
		p = eps
	} else if p > 1-eps {
		p = 1 - eps
	}
	return -math.Log(p)
}

// binaryLogLoss is sklearn's log_loss for 0/1 labels and P(label = 1).
func binaryLogLoss(y []bool, p []float64) (float64, error) {
	var pos int
	for _, v := range y {
		if v {
			pos++
		}
	}
	if pos == 0 || pos == len(y) {
		return 0, errors.New("the answers contain only one label; log loss needs two")
	}
	var sum float64
	for i, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, &InvalidSubmission{Row: i + 1, Reason: "probability is not a finite number"}
		}
		if y[i] {
			sum += logLossTerm(v)
		} else {
			sum += logLossTerm(1 - v)
		}
	}
	return sum / float64(len(p)), nil
}

// rmse is the root mean squared error.
func rmse(y, p []float64) (float64, error) {
	v, err := mse(y, p)
	return math.Sqrt(v), err
}

func mse(y, p []float64) (float64, error) {
	return meanError(y, p, func(d float64) float64 { return d * d })
}

// mae is the mean absolute error.
func mae(y, p []float64) (float64, error) {
	return meanError(y, p, math.Abs)
}

// meanError is the mean of loss(y - p) over the rows (summed in row
// order); a prediction that is NaN or infinite is refused.
func meanError(y, p []float64, loss func(d float64) float64) (float64, error) {
	if err := checkFinite(p); err != nil {
		return 0, err
	}
	var s float64
	for i := range y {
		s += loss(y[i] - p[i])
	}
	return s / float64(len(y)), nil
}

// rmsle is sklearn's root_mean_squared_log_error, which refuses negative
// values.
func rmsle(y, p []float64) (float64, error) {
	if err := checkFinite(p); err != nil {
		return 0, err
	}
	var s float64
	for i := range y {
		if p[i] < 0 {
			return 0, &InvalidSubmission{Row: i + 1, Reason: fmt.Sprintf("value %v is negative; RMSLE cannot be used with negative values", p[i])}
		}
		if y[i] < 0 {
			return 0, errors.New("answers contain negative values; RMSLE is not defined")
		}
		d := math.Log1p(y[i]) - math.Log1p(p[i])
		s += d * d
	}
	return math.Sqrt(s / float64(len(y))), nil
}

// checkFinite is sklearn's check_array: NaN and infinity are refused.
func checkFinite(v []float64) error {
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return &InvalidSubmission{Row: i + 1, Reason: "value is missing or not finite"}
		}
	}
	return nil
}

// accuracy is the fraction of equal labels; labels are keys from labelKeys.
func accuracy(y, p []string) float64 {
	var hit int
	for i := range y {
		if y[i] == p[i] && y[i] != naKey {
			hit++
		}
	}
	return float64(hit) / float64(len(y))
}

// naKey is the label of a missing cell: it equals nothing, as NaN in pandas.
const naKey = "\x00nan"

// labelKeys turns a column into comparable labels the way pandas dtypes
// compare: a numeric column's cells compare as numbers ("1" == "1.0"), a
// boolean column's as the numbers 1 and 0 (numpy's True == 1 and
// False == 0.0: a 0/1 submission matches True/False answers), text as
// text; a number never equals a text; missing cells equal nothing.
func labelKeys(c Column) []string {
	out := make([]string, c.Len())
	switch {
	case isBoolColumn(c):
		for i := range out {
			s := c.String(i)
			switch {
			case isNA(s):
				out[i] = naKey
			case s == "True" || s == "true" || s == "TRUE":
				out[i] = "n:1"
			default:
				out[i] = "n:0"
			}
		}
	case c.IsNumeric():
		for i := range out {
			v, _ := parseNumber(c.String(i))
			if math.IsNaN(v) {
				out[i] = naKey
				continue
			}
			out[i] = "n:" + canonicalNumber(v)
		}
	default:
		for i := range out {
			s := c.String(i)
			if isNA(s) {
				out[i] = naKey
				continue
			}
			out[i] = "s:" + s
		}
	}
	return out
}

// canonicalNumber is one spelling per number value: integers in decimal
// digits, others in Go's shortest form.
func canonicalNumber(v float64) string {
	if v == 0 {
		return "0"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// numberKey is canonicalNumber of a numeric cell, without allocating when
// the cell is already a canonical integer (the usual numeric id).
func numberKey(s string) string {
	if plainInt(s) {
		return s
	}
	// pandas reads integers that fit an int64 exactly: long ids (19-digit
	// record ids) must not collide through float64 rounding.
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return strconv.FormatInt(n, 10)
	}
	v, _ := parseNumber(s)
	return canonicalNumber(v)
}

// plainInt reports a canonical decimal integer of at most 15 digits.
func plainInt(s string) bool {
	d := s
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 15 || (d[0] == '0' && (len(d) > 1 || len(s) > 1)) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// isBoolColumn is pandas' boolean inference: every non-missing cell is a
// spelling of True or False, and there is at least one.
func isBoolColumn(c Column) bool {
	seen := false
	for i := range c.Len() {
		if s := c.String(i); isBoolWord(s) {
			seen = true
		} else if !isNA(s) {
			return false
		}
	}
	return seen
}

// isBoolWord says whether pandas' read_csv reads s as a bool.
func isBoolWord(s string) bool {
	switch s {
	case "True", "true", "TRUE", "False", "false", "FALSE":
		return true
	}
	return false
}

// labelName shows a label key in messages.
func labelName(k string) string {
	if k == naKey {
		return "nan"
	}
	if len(k) > 2 && k[1] == ':' {
		return k[2:]
	}
	return k
}

// checkLabelTypes is sklearn's "Mix of label input types (string and
// number)" check over the labels of y and p.
func checkLabelTypes(y, p []string) error {
	var num, str bool
	for _, s := range [][]string{y, p} {
		for _, k := range s {
			switch {
			case k == naKey:
				num = true
			case k[0] == 's':
				str = true
			default:
				num = true
			}
		}
	}
	if num && str {
		return invalidf("mix of label input types (string and number): answers and submission labels must be of the same kind")
	}
	return nil
}

// checkAccuracyTypes is accuracy_score's check of label kinds, which is
// looser than the other metrics': it compares strings with numbers (they
// never match, so a text label scores 0 against integer classes) except
// when both sides are binary (at most two distinct labels each), where
// sklearn sorts the union of the labels and Python cannot order a string
// and a number.
func checkAccuracyTypes(y, p []string) error {
	if atMostTwo(y) && atMostTwo(p) {
		return checkLabelTypes(y, p)
	}
	return nil
}

// atMostTwo reports whether keys hold at most two distinct labels.
func atMostTwo(keys []string) bool {
	var a, b string
	n := 0
	for _, k := range keys {
		switch {
		case n > 0 && k == a, n > 1 && k == b:
		case n == 0:
			a, n = k, 1
		case n == 1:
			b, n = k, 2
		default:
			return false
		}
	}
	return true
}

// f1Macro is sklearn's f1_score(average="macro") over the union of labels.
func f1Macro(y, p []string) (float64, error) {
	if err := checkLabelTypes(y, p); err != nil {
		return 0, err
	}
	type counts struct{ tp, fp, fn int }
	m := map[string]*counts{}
	get := func(k string) *counts {
		c := m[k]
		if c == nil {
			c = &counts{}
			m[k] = c
		}
		return c
	}
	for i := range y {
		if y[i] == p[i] && y[i] != naKey {
			get(y[i]).tp++
			continue
		}
		get(y[i]).fn++
		get(p[i]).fp++
	}
	if len(m) == 0 {
		return 0, errors.New("no labels")
	}
	// Sum in sorted label order, as sklearn does.
	keys := slices.Sorted(maps.Keys(m))
	var sum float64
	for _, k := range keys {
		c := m[k]
		if d := 2*c.tp + c.fp + c.fn; d > 0 {
			sum += float64(2*c.tp) / float64(d)
		}
	}
	return sum / float64(len(keys)), nil
}

// quadraticKappa is sklearn's cohen_kappa_score(weights="quadratic"): the
// weights are squared differences of label indices in the sorted union of
// labels.
func quadraticKappa(y, p []string) (float64, error) {
	if err := checkLabelTypes(y, p); err != nil {
		return 0, err
	}
	labels := map[string]bool{}
	for i := range y {
		labels[y[i]] = true
		labels[p[i]] = true
	}
	keys := sortedLabels(labels)
	idx := make(map[string]int, len(keys))
	for i, k := range keys {
		idx[k] = i
	}
	n := len(keys)
	conf := make([]float64, n*n)
	for i := range y {
		conf[idx[y[i]]*n+idx[p[i]]]++
	}
	rows := make([]float64, n)
	cols := make([]float64, n)
	var total float64
	for i := range n {
		for j := range n {
			rows[i] += conf[i*n+j]
			cols[j] += conf[i*n+j]
			total += conf[i*n+j]
		}
	}
	var num, den float64
	for i := range n {
		for j := range n {
			w := float64((i - j) * (i - j))
			num += w * conf[i*n+j]
			den += w * rows[i] * cols[j] / total
		}
	}
	return 1 - num/den, nil
}

// sortedLabels sorts label keys as numpy sorts the labels: numbers by
// value, text lexically.
func sortedLabels(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		ka, kb := keys[a], keys[b]
		if ka[0] == 'n' && kb[0] == 'n' && len(ka) > 2 && len(kb) > 2 {
			va, _ := strconv.ParseFloat(ka[2:], 64)
			vb, _ := strconv.ParseFloat(kb[2:], 64)
			return va < vb
		}
		return ka < kb
	})
	return keys
}

// apAtK is average precision at k of a ranked prediction list: duplicates
// after their first occurrence are ignored, the sum of precisions at hits
// is divided by min(|actual|, k), and no actual items score 0.
func apAtK(actual map[string]bool, predicted []string, k int) float64 {
	if len(actual) == 0 {
		return 0
	}
	if len(predicted) > k {
		predicted = predicted[:k]
	}
	var score float64
	hits := 0
	for i, p := range predicted {
		if !actual[p] {
			continue
		}
		dup := false
		for _, q := range predicted[:i] {
			if q == p {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		hits++
		score += float64(hits) / float64(i+1)
	}
	return score / float64(min(len(actual), k))
}
