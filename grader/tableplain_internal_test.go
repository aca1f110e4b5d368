package grader

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// parseBoth parses b with the compact parser (in chunks of a few bytes,
// so that every split point is tried) and with the serial one.
func parseBoth(tb testing.TB, b []byte) (plain, serial *Table, perr, serr error) {
	tb.Helper()
	defer func(c int64) { plainChunk.Store(c); plainOff.Store(false) }(plainChunk.Load())
	plainChunk.Store(4)
	plain, perr = ParseTable(bytes.Clone(b))
	plainOff.Store(true)
	serial, serr = ParseTable(bytes.Clone(b))
	return
}

// sameTable requires the two parsers to agree on every fact a grader sees.
func sameTable(tb testing.TB, in []byte) {
	tb.Helper()
	p, s, perr, serr := parseBoth(tb, in)
	if fmt.Sprint(perr) != fmt.Sprint(serr) {
		tb.Fatalf("%q: errors differ: compact %v, serial %v", in, perr, serr)
	}
	if perr != nil {
		return
	}
	if p.Len() != s.Len() || strings.Join(p.Columns(), "|") != strings.Join(s.Columns(), "|") {
		tb.Fatalf("%q: shape %d %v, serial %d %v", in, p.Len(), p.Columns(), s.Len(), s.Columns())
	}
	// Cells found by walking rows, then by the offsets built for them.
	for pass := range 2 {
		if pass == 1 {
			if p.cells != nil {
				return
			}
			p.buildOffsets()
		}
		row := make([]float64, p.ncol)
		for i := range p.Len() {
			if p.Line(i) != s.Line(i) {
				tb.Fatalf("%q: row %d on line %d, serial %d", in, i, p.Line(i), s.Line(i))
			}
			p.rowFloats(i, row)
			for j := range p.ncol {
				if a, b := p.str(i, j), s.str(i, j); a != b {
					tb.Fatalf("%q: cell (%d, %d) %q, serial %q (pass %d)", in, i, j, a, b, pass)
				}
				v, err := s.float(i, j)
				if !math.IsNaN(row[j]) && (err != nil || v != row[j]) {
					tb.Fatalf("%q: rowFloats cell (%d, %d) %v, float %v (%v)", in, i, j, row[j], v, err)
				}
			}
		}
	}
}

func TestCompactParserMatchesSerial(t *testing.T) {
	for _, in := range []string{
		"id,p\n1,0.5\n2,0.25\n",
		"id,p\r\n1,0.5\r\n2,0.25",
		"id,p\n1\n2,\n3,x\n",
		"id,p\n1,2,\n",
		"id,p,q\n1,2,\n",
		"id,p\n1,0.5\n\n2,0.25\n",
		"id,p\n1,0.5\r2,0.25\n",
		"\nid,p\n1,2\n",
		"id,p\n\"1\",2\n",
		"id,p\n1,2\n\n\n",
		"id,p\n \n1,2\n",
		"id\n\x00\x00\n\x00",
		"a,b,c\n" + strings.Repeat("1,2,3\n", 100),
		"a,b\n" + strings.Repeat("x", 70000) + ",1\n",
		"a,b\n" + strings.Repeat("x", maxPlainRow-2) + ",1\n" + strings.Repeat("y", maxPlainRow-1) + ",1\n",
		"0\n\n0",
		// Delimiters and line ends next to each other and at the ends of rows.
		"a,b\n1234567,\n123456,7\r\n12345678,9\n1,2\n",
		"a,b\n1234567\r,1\n",
		"a,b\n123456\r\n\r\n1,2\n",
		"a,b,c\n,,\n,\n\n",
	} {
		sameTable(t, []byte(in))
	}
}

func FuzzCompactParserMatchesSerial(f *testing.F) {
	f.Add([]byte("id,p\n1,0.5\n2,0.25\n"))
	f.Add([]byte("id,p,q\r\n1,,\r\n2\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sameTable(t, b)
	})
}

// decimalPrefixWant is what decimalPrefix must return for b, from a
// regular expression and strconv: the longest [-+]digits[.digits] prefix
// and its value, or n == 0 where that prefix has no digit or is not one
// that converts exactly (over 19 digits, 2^53 or more, 23+ decimals).
func decimalPrefixWant(tb testing.TB, b string) (float64, int) {
	m := decimalShape.FindString(b)
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, m)
	frac := 0
	if k := strings.IndexByte(m, '.'); k >= 0 {
		frac = len(m) - k - 1
	}
	if digits == "" || len(digits) > 19 || frac >= 23 {
		return 0, 0
	}
	if mant, _ := strconv.ParseUint(digits, 10, 64); mant >= 1<<53 {
		return 0, 0
	}
	v, err := strconv.ParseFloat(m, 64)
	if err != nil {
		tb.Fatalf("%q: %v", m, err)
	}
	return v, len(m)
}

var decimalShape = regexp.MustCompile(`^[-+]?[0-9]*(\.[0-9]*)?`)

func checkDecimalPrefix(tb testing.TB, s string) {
	wv, wn := decimalPrefixWant(tb, s)
	sv, sn := decimalPrefix(s)
	bv, bn := decimalPrefix([]byte(s))
	if sn != wn || bn != wn || (wn > 0 && (sv != wv || bv != wv)) {
		tb.Fatalf("decimalPrefix(%q) = %v, %d (string), %v, %d ([]byte); want %v, %d", s, sv, sn, bv, bn, wv, wn)
	}
}

// TestDecimalPrefixAgreesWithStrconv tries numbers of every digit count
// around the eight-byte steps, with every kind of byte after them.
func TestDecimalPrefixAgreesWithStrconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789012345678901234567890123456789.-+e,x \n"
	for range 200_000 {
		b := make([]byte, rng.IntN(32))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		checkDecimalPrefix(t, string(b))
	}
	for d := range 21 {
		for f := range 21 {
			for _, tail := range []string{"", ",", "5", "/", ":", "\x00", "\xff", ",0.1"} {
				checkDecimalPrefix(t, strings.Repeat("7", d)+"."+strings.Repeat("3", f)+tail)
				checkDecimalPrefix(t, "-"+strings.Repeat("9", d)+tail)
			}
		}
	}
}

func FuzzDecimalPrefix(f *testing.F) {
	f.Add("0.00134567,1")
	f.Add("123456789012345678.5")
	f.Fuzz(func(t *testing.T, s string) { checkDecimalPrefix(t, s) })
}

// TestCompactTableBuildsOffsetsWhenWalksAddUp reads a far column of every
// row: the table walks rows at first, then builds its offsets, and every
// cell comes out the same either way, from many goroutines at once.
func TestCompactTableBuildsOffsetsWhenWalksAddUp(t *testing.T) {
	// Walking to column 5 of every row costs 5/6 of the offsets; a
	// second column more than makes up the rest.
	var b strings.Builder
	b.WriteString("a,b,c,d,e,f\n")
	const rows = 30_000
	for i := range rows {
		fmt.Fprintf(&b, "%d,1,2,3,4,%d\n", i, i*7)
	}
	tab, err := ParseTable([]byte(b.String()))
	if err != nil || tab.cells != nil {
		t.Fatalf("not a compact table: %v", err)
	}
	err = parallelCells(rows, 1<<16, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if got, want := tab.str(i, 5), strconv.Itoa(i*7); got != want {
				return fmt.Errorf("cell (%d, 5) = %q, want %q", i, got, want)
			}
			if got := tab.str(i, 4); got != "4" {
				return fmt.Errorf("cell (%d, 4) = %q, want 4", i, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if tab.offs.Load() == nil {
		t.Errorf("%d walks and no offsets built", rows)
	}
}
