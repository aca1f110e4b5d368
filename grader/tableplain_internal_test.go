package grader

import (
	"bytes"
	"fmt"
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
	for i := range p.Len() {
		if p.Line(i) != s.Line(i) {
			tb.Fatalf("%q: row %d on line %d, serial %d", in, i, p.Line(i), s.Line(i))
		}
		for j := range p.ncol {
			if a, b := p.str(i, j), s.str(i, j); a != b {
				tb.Fatalf("%q: cell (%d, %d) %q, serial %q", in, i, j, a, b)
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
