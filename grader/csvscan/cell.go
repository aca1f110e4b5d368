package csvscan

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// naStrings are pandas.read_csv's default missing-value markers.
var naStrings = map[string]bool{
	"": true, "#N/A": true, "#N/A N/A": true, "#NA": true, "-1.#IND": true, "-1.#QNAN": true,
	"-NaN": true, "-nan": true, "1.#IND": true, "1.#QNAN": true, "<NA>": true, "N/A": true,
	"NA": true, "NULL": true, "NaN": true, "None": true, "n/a": true, "nan": true, "null": true,
}

// MaxNALen is the length of the longest missing-value marker.
const MaxNALen = 8

// IsNA reports whether pandas reads the cell as missing (NaN).
func IsNA(cell string) bool {
	return len(cell) <= MaxNALen && naStrings[cell]
}

// Number parses a cell the way pandas' float conversion does when it infers
// a numeric column: surrounding spaces allowed, missing markers are NaN,
// "inf"/"infinity" accepted, overflow is ±Inf; hex floats and digit
// underscores are not numbers.
func Number(cell string) (float64, bool) {
	t := strings.TrimSpace(cell)
	if IsNA(cell) || IsNA(t) {
		return math.NaN(), true
	}
	if hexPrefixed(t) || strings.ContainsRune(t, '_') {
		return 0, false
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return v, true
		}
		return 0, false
	}
	return v, true
}

// IsNumber reports whether Number accepts the cell.
func IsNumber(cell string) bool {
	_, ok := Number(cell)
	return ok
}

func hexPrefixed(s string) bool {
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
}

// Kind is what pandas makes of a column once it has seen every cell.
type Kind uint8

const (
	// KindEmpty: no cells, or every cell missing (a float column of NaN).
	KindEmpty Kind = iota
	// KindNumeric: every present cell is a number (int or float dtype).
	KindNumeric
	// KindText: at least one cell is not a number (object dtype: present
	// cells are strings, missing ones NaN).
	KindText
)

// KindTracker infers a column's pandas dtype from its cells as they stream
// by. The zero value is ready to use.
type KindTracker struct {
	present bool
	text    bool
}

// Observe records one cell; long cells (which can never be numbers) may be
// passed as their first MaxNumberLen+1 bytes.
func (k *KindTracker) Observe(cell string) {
	if k.text {
		return
	}
	if IsNA(cell) {
		return
	}
	k.present = true
	if len(cell) > MaxNumberLen || !IsNumber(cell) {
		k.text = true
	}
}

// MaxNumberLen bounds the length of a cell that is considered as a possible
// number; a longer one is text. (No float literal pandas writes or reads
// for these competitions is that long.)
const MaxNumberLen = 400

// Kind reports the inferred kind so far.
func (k *KindTracker) Kind() Kind {
	switch {
	case k.text:
		return KindText
	case k.present:
		return KindNumeric
	}
	return KindEmpty
}
