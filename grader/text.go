package grader

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Text competitions (edit distance, word Jaccard) and the pandas/Python
// string conversions their reference graders rely on.

// colKind is the dtype pandas infers for a CSV column.
type colKind int

const (
	kindObject colKind = iota
	kindInt
	kindFloat
	kindBool
)

func columnKind(c Column) colKind {
	n := c.Len()
	allInt, allBool, allNum, anyNA := true, true, true, false
	for i := range n {
		s := c.String(i)
		if isNA(s) {
			anyNA = true
			allInt, allBool = false, false
			continue
		}
		if allInt {
			if _, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err != nil {
				allInt = false
			}
		}
		if allBool && !isBoolWord(s) {
			allBool = false
		}
		if allNum && !allInt {
			if _, ok := parseNumber(s); !ok {
				allNum = false
			}
		}
		if !allInt && !allBool && !allNum {
			return kindObject
		}
	}
	switch {
	case n == 0:
		return kindObject
	case allBool && !anyNA:
		return kindBool
	case allInt:
		return kindInt
	case allNum:
		return kindFloat
	}
	return kindObject
}

// pyStrings is pandas' column.fillna(fill).astype(str) (no fillna when
// fill is nil): ints canonical, floats as Python's repr ("3.0"), booleans
// "True"/"False", missing cells "nan", text as is.
func pyStrings(c Column, fill *string) []string {
	kind := columnKind(c)
	out := make([]string, c.Len())
	for i := range out {
		s := c.String(i)
		if isNA(s) {
			if fill != nil {
				out[i] = *fill
			} else {
				out[i] = "nan"
			}
			continue
		}
		switch kind {
		case kindInt:
			v, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			out[i] = strconv.FormatInt(v, 10)
		case kindFloat:
			v, _ := parseNumber(s)
			out[i] = pyFloatRepr(v)
		case kindBool:
			if s[0] == 'T' || s[0] == 't' {
				out[i] = "True"
			} else {
				out[i] = "False"
			}
		default:
			out[i] = s
		}
	}
	return out
}

// pyFloatRepr is Python's repr of a float.
func pyFloatRepr(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(v); a >= 1e16 || a < 1e-4 {
		return strconv.FormatFloat(v, 'e', -1, 64)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsRune(s, '.') {
		s += ".0"
	}
	return s
}

// pyFields is Python's str.split() with no argument.
func pyFields(s string) []string {
	return strings.FieldsFunc(s, isPySpace)
}

func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// requireText rejects a column that pandas would not read as text, for
// graders that call string methods on each cell (a number or a missing
// cell makes them raise).
func requireText(c Column, allowNA bool) error {
	kind := columnKind(c)
	for i := range c.Len() {
		s := c.String(i)
		if isNA(s) {
			if allowNA {
				continue
			}
			return &InvalidSubmission{Row: i + 1, Column: c.Name, Reason: "value is missing"}
		}
		if kind != kindObject {
			return &InvalidSubmission{Column: c.Name, Reason: fmt.Sprintf("column '%s' holds only numbers or booleans; it must hold text", c.Name)}
		}
	}
	return nil
}

// levenshtein counts single-character edits between two sequences.
func levenshteinSeq[T comparable](a, b []T) int {
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	if len(a) == 0 {
		return len(b)
	}
	if len(b) == 0 {
		return len(a)
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		prev := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			cur := row[j]
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			row[j] = min(row[j]+1, row[j-1]+1, prev+cost)
			prev = cur
		}
	}
	return row[len(b)]
}

func levenshteinStr(a, b string) int {
	if isASCII(a) && isASCII(b) {
		return levenshteinSeq([]byte(a), []byte(b))
	}
	return levenshteinSeq([]rune(a), []rune(b))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// textStrings aligns a text column (see alignChecked) and returns both sides
// as pandas' astype(str) writes them: p in the submission's row order, y
// in the answers'.
func textStrings(sub, ans *Table, id, target string) (perm []int, p, y []string, err error) {
	if perm, err = alignChecked(sub, ans, id, id, target); err != nil {
		return nil, nil, nil, err
	}
	if p, y, err = pyStringPair(sub, ans, target, nil); err != nil {
		return nil, nil, nil, err
	}
	return perm, p, y, nil
}

// gradeBillionWord is the mean Levenshtein distance of the sentences (the
// reference does not convert to text: a missing sentence is invalid).
func gradeBillionWord(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "id", "sentence"); err != nil {
		return 0, err
	}
	perm, err := alignChecked(sub, ans, "id", "id", "sentence")
	if err != nil {
		return 0, err
	}
	sc, _ := sub.Column("sentence")
	if err := requireText(sc, false); err != nil {
		return 0, err
	}
	ac, err := ans.Column("sentence")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	var sum float64
	for i, j := range perm {
		sum += float64(levenshteinStr(ac.String(i), sc.String(j)))
	}
	return sum / float64(len(perm)), nil
}

// gradeBMS is the mean Levenshtein distance of InChI strings (as text:
// a missing cell is "nan").
func gradeBMS(sub, ans *Table) (float64, error) {
	perm, ps, ys, err := textStrings(sub, ans, "image_id", "InChI")
	if err != nil {
		return 0, err
	}
	var sum float64
	for i, j := range perm {
		sum += float64(levenshteinStr(ys[i], ps[j]))
	}
	return sum / float64(len(perm)), nil
}

// gradeGestures is the summed edit distance between gesture sequences
// divided by the number of true gestures.
func gradeGestures(sub, ans *Table) (float64, error) {
	perm, ps, ys, err := textStrings(sub, ans, "Id", "Sequence")
	if err != nil {
		return 0, err
	}
	parse := func(s string) ([]int64, bool) {
		f := pyFields(s)
		out := make([]int64, len(f))
		for k, t := range f {
			v, ok := pythonInt(t)
			if !ok {
				return nil, false
			}
			out[k] = v
		}
		return out, true
	}
	var dist, total float64
	for i, j := range perm {
		y, ok := parse(ys[i])
		if !ok {
			return 0, fmt.Errorf("answers: row %d: sequence %q is not integers", i+1, ys[i])
		}
		p, ok := parse(ps[j])
		if !ok {
			return 0, &InvalidSubmission{Row: j + 1, Column: "Sequence", Reason: fmt.Sprintf("%s is not integers separated by spaces", quoteCell(ps[j]))}
		}
		dist += float64(levenshteinSeq(y, p))
		total += float64(len(y))
	}
	return dist / total, nil
}

// wordSet is set(s.lower().split()).
func wordSet(s string) map[string]bool {
	f := pyFields(strings.ToLower(s))
	m := make(map[string]bool, len(f))
	for _, w := range f {
		m[w] = true
	}
	return m
}

// gradeChaii is sklearn's jaccard_score(average="samples") of lower-cased
// word sets; an empty-vs-empty row scores 0.
func gradeChaii(sub, ans *Table) (float64, error) {
	const target = "PredictionString"
	perm, err := alignChecked(sub, ans, "id", target, "id")
	if err != nil {
		return 0, err
	}
	sc, _ := sub.Column(target)
	if err := requireText(sc, true); err != nil {
		return 0, err
	}
	ac, err := ans.Column(target)
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	var sum float64
	for i, j := range perm {
		p, y := "", ""
		if !sc.IsNA(j) {
			p = sc.String(j)
		}
		if !ac.IsNA(i) {
			y = ac.String(i)
		}
		a, b := wordSet(y), wordSet(p)
		inter := 0
		for w := range a {
			if b[w] {
				inter++
			}
		}
		if union := len(a) + len(b) - inter; union > 0 {
			sum += float64(inter) / float64(union)
		}
	}
	return sum / float64(len(perm)), nil
}

// gradeTweetSentiment is the competition's mean word Jaccard. As in the
// reference, a row where both texts are empty divides by zero and makes
// the submission invalid.
func gradeTweetSentiment(sub, ans *Table) (float64, error) {
	perm, err := alignAfterColumns(sub, ans, "textID", "textID", "selected_text")
	if err != nil {
		return 0, err
	}
	sc, ac, err := columns(sub, ans, "selected_text")
	if err != nil {
		return 0, err
	}
	empty := ""
	ps, ys := pyStrings(sc, &empty), pyStrings(ac, &empty)
	var sum float64
	for i, j := range perm {
		a, b := wordSet(ps[j]), wordSet(ys[i])
		inter := 0
		for w := range a {
			if b[w] {
				inter++
			}
		}
		union := len(a) + len(b) - inter
		if union == 0 {
			return 0, &InvalidSubmission{Row: j + 1, Column: "selected_text", Reason: "prediction and answer are both empty (the reference's Jaccard divides by zero)"}
		}
		sum += float64(inter) / float64(union)
	}
	return sum / float64(len(perm)), nil
}
