package grader

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Column is one column of a Table.
type Column struct {
	t    *Table
	j    int
	Name string
}

// Len is the number of cells (the table's row count).
func (c Column) Len() int { return c.t.rows }

// Bytes returns cell i (0-based row); the slice aliases the table's buffer
// and must not be modified.
func (c Column) Bytes(i int) []byte { return c.t.cell(i, c.j) }

// String returns cell i as a string without copying.
func (c Column) String(i int) string { return c.t.str(i, c.j) }

// Strings returns every cell as a string (the strings alias the buffer).
func (c Column) Strings() []string {
	out := make([]string, c.t.rows)
	for i := range out {
		out[i] = c.String(i)
	}
	return out
}

// IsNA reports whether cell i is one that pandas reads as missing (empty,
// "NA", "nan", "null", "None", ...).
func (c Column) IsNA(i int) bool { return isNA(c.String(i)) }

// naStrings are pandas' default missing-value markers.
var naStrings = map[string]bool{
	"": true, "#N/A": true, "#N/A N/A": true, "#NA": true, "-1.#IND": true, "-1.#QNAN": true,
	"-NaN": true, "-nan": true, "1.#IND": true, "1.#QNAN": true, "<NA>": true, "N/A": true,
	"NA": true, "NULL": true, "NaN": true, "None": true, "n/a": true, "nan": true, "null": true,
}

func isNA(s string) bool {
	if len(s) > 8 {
		return false
	}
	return naStrings[s]
}

// Text returns cell i as pandas would present a string cell after
// .astype(str): missing markers become "nan".
func (c Column) Text(i int) string {
	s := c.String(i)
	if isNA(s) {
		return "nan"
	}
	return s
}

// Float parses cell i as a number. Missing cells are NaN. Leading and
// trailing spaces are allowed, as pandas allows them.
func (c Column) Float(i int) (float64, error) {
	s := c.String(i)
	v, ok := parseNumber(s)
	if !ok {
		return 0, &InvalidSubmission{Row: i + 1, Column: c.Name, Reason: fmt.Sprintf("%s is not a number", quoteCell(s))}
	}
	return v, nil
}

// Floats parses the whole column as numbers (missing cells are NaN); the
// first cell that is not a number gives an *InvalidSubmission naming it.
func (c Column) Floats() ([]float64, error) {
	out := make([]float64, c.t.rows)
	if err := c.FloatsInto(out); err != nil {
		return nil, err
	}
	return out, nil
}

// FloatsInto is Floats writing into dst, which must have Len() elements.
// Long columns are parsed in parallel; the error is the first bad cell's.
func (c Column) FloatsInto(dst []float64) error {
	return parallelRows(c.t.rows, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			v, err := c.t.float(i, c.j)
			if err != nil {
				return err
			}
			dst[i] = v
		}
		return nil
	})
}

// float parses cell (i, j) as a number, fast for plain decimals.
func (t *Table) float(i, j int) (float64, error) {
	if t.cells == nil {
		// Compact: parse the digits where they stand and check that a
		// delimiter ends them, in one pass.
		if start := t.cellStart(i, j); start >= 0 {
			if v, n := decimalPrefix(t.buf[start:]); n > 0 && (start+n == len(t.buf) || delim[t.buf[start+n]]) {
				return v, nil
			}
		}
	}
	str := t.str(i, j)
	if str == "" {
		return math.NaN(), nil
	}
	if v, ok := fastDecimal(str); ok {
		return v, nil
	}
	v, err := strconv.ParseFloat(str, 64)
	if err != nil || goOnlySyntax(str) {
		var ok bool
		if v, ok = parseNumber(str); !ok {
			return 0, &InvalidSubmission{Row: i + 1, Column: t.header[j], Reason: fmt.Sprintf("%s is not a number", quoteCell(str))}
		}
	}
	return v, nil
}

// rowFloats parses the cells of row i that are plain decimals into dst
// (which has a slot per column) in one loop, and sets the others (missing
// cells, text, exponents, every cell of a table that is not compact) to
// NaN, which decimalPrefix never returns: for those the caller asks float,
// which knows every other spelling and the error to give. Wide numeric
// rows (one-hot answers, a probability per class) spend less on calls
// this way than cell by cell.
func (t *Table) rowFloats(i int, dst []float64) {
	if t.cells != nil {
		for j := range dst {
			dst[j] = math.NaN()
		}
		return
	}
	// Walk the row: each cell is a number and its delimiter, or is
	// skipped to the next comma.
	b, pos, end := t.buf, int(t.rowStart[i]), t.rowEnd(i)
	for j := range dst {
		dst[j] = math.NaN()
		if pos > end {
			continue // a short row's padding
		}
		// digits[.digits] with no sign, the shape of nearly every cell,
		// is read here without a call (decimalPrefix's rules: exact
		// below 2^53 and 19 digits).
		k, mant := pos, uint64(0)
		for k < end && b[k]-'0' <= 9 {
			mant = mant*10 + uint64(b[k]-'0')
			k++
		}
		digits, frac := k-pos, 0
		if k < end && b[k] == '.' {
			k++
			fs := k
			for k < end && b[k]-'0' <= 9 {
				mant = mant*10 + uint64(b[k]-'0')
				k++
			}
			frac = k - fs
		}
		if digits+frac > 0 && digits+frac <= 19 && frac < len(pow10) && mant < 1<<53 && (k == end || b[k] == ',') {
			dst[j] = float64(mant) / pow10[frac]
			pos = k + 1
			continue
		}
		if v, n := decimalPrefix(b[pos:end]); n > 0 && (pos+n == end || b[pos+n] == ',') {
			dst[j] = v
			pos += n + 1
			continue
		}
		if c := bytes.IndexByte(b[pos:end], ','); c >= 0 {
			pos += c + 1
		} else {
			pos = end + 1
		}
	}
}

// pow10 are the powers of ten that float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastDecimal parses [-+]digits[.digits] whose digits, as an integer,
// stay below 2^53, with at most 22 decimals: the common shape of
// submission numbers. Both the integer and the power of ten are exact in
// float64, so one division is correctly rounded (Clinger's fast path), as
// strconv and Python round. Anything else reports false.
func fastDecimal[T string | []byte](s T) (float64, bool) {
	v, n := decimalPrefix(s)
	return v, n > 0 && n == len(s)
}

// Finite parses the column and also rejects missing and infinite values.
func (c Column) Finite() ([]float64, error) {
	v, err := c.Floats()
	if err != nil {
		return nil, err
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, &InvalidSubmission{Row: i + 1, Column: c.Name, Reason: fmt.Sprintf("%s is not a finite number", quoteCell(c.String(i)))}
		}
	}
	return v, nil
}

// Ints parses the column as integers; "3.0" is 3 (pandas reads integer
// columns with a float cell as floats), "3.5" and missing cells are errors.
func (c Column) Ints() ([]int64, error) {
	out := make([]int64, c.t.rows)
	for i := range out {
		s := c.String(i)
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			out[i] = v
			continue
		}
		f, ok := parseNumber(s)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, &InvalidSubmission{Row: i + 1, Column: c.Name, Reason: fmt.Sprintf("%s is not an integer", quoteCell(s))}
		}
		out[i] = int64(f)
	}
	return out, nil
}

// IsNumeric reports whether every cell parses as a number (missing cells
// count as numbers, NaN), i.e. whether pandas would give the column a
// numeric dtype.
func (c Column) IsNumeric() bool {
	for i := range c.t.rows {
		if _, ok := parseNumber(c.String(i)); !ok {
			return false
		}
	}
	return true
}

// parseNumber parses s like pandas' float conversion: surrounding spaces are
// allowed, missing markers are NaN, overflow is ±Inf; hex floats and digit
// underscores (which strconv knows and pandas does not) are not numbers.
func parseNumber(s string) (float64, bool) {
	if goOnlySyntax(s) {
		return 0, false
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, true
	} else if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return v, true
	}
	t := strings.TrimSpace(s)
	if isNA(t) {
		return math.NaN(), true
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// goOnlySyntax reports number syntax that strconv accepts and pandas does
// not: hex floats ("0x1p-2") and digit underscores ("1_000").
func goOnlySyntax(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '_' || c == 'x' || c == 'X' {
			return true
		}
	}
	return false
}

// quoteCell shows a cell in an error message, shortened when long.
func quoteCell(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return "'" + s + "'"
}
