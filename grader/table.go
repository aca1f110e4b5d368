package grader

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mlbench/mlbench/grader/csvscan"
)

// Table is a CSV file held column by column: the whole file in one buffer
// and, per column, the byte span of every cell. It reads files the way the
// reference's pandas.read_csv does where it matters for grading: a header
// row, RFC 4180 quoting, blank lines skipped, short rows padded with missing
// cells, duplicate header names mangled to "name.1", empty header names
// named "Unnamed: i", a UTF-8 byte-order mark ignored.
//
// A Table is immutable once built and safe for concurrent readers. Strings
// it returns alias its buffer (no copy); they stay valid as long as the
// strings are reachable.
type Table struct {
	buf    []byte
	header []string
	index  map[string]int
	cells  []span // row-major: cell (i, j) is cells[i*ncol+j]; nil when compact
	ncol   int
	rows   int
	lines  []int32 // 1-based file line of each data row, only when it differs from row+1
	// A table without quotes, blank lines or rows over 64 KiB is compact
	// (see parsePlain): rowStart[i] is where row i starts in buf, and the
	// data ends at dataEnd. A cell is found by walking its row until the
	// walks have cost (walked: commas) what offs cost (see cellStart):
	// offs[i*ncol+j] is where
	// cell j of row i starts, from the row's start (missingCell for
	// padding); a cell ends at the next delimiter. That is 4 bytes a row,
	// then 2 bytes a cell, instead of 8 a cell, and it parses in parallel.
	rowStart []uint32
	dataEnd  int
	offs     atomic.Pointer[[]uint16]
	offsOnce sync.Once
	walked   atomic.Int64
}

// span is one cell: buf[off:off+n]. Missing cells (short rows) have n == 0.
type span struct {
	off uint32
	n   uint32
}

// maxTableBytes is the largest file a Table can hold (offsets are 32-bit).
const maxTableBytes = math.MaxUint32

// ReadTableFile reads and parses a CSV file. A file that cannot be read is an
// ordinary error; a file that is not a well-formed CSV is an
// *InvalidSubmission.
func ReadTableFile(path string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	b := largeBuffer(int(min(st.Size(), maxTableBytes)) + 1)
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read csv: %w", err)
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // the file grew: make room
		}
	}
	return ParseTable(b)
}

// ParseTable parses a whole CSV file. The Table takes ownership of b (quoted
// cells are unescaped in place). An empty file gives an empty Table with no
// columns, as the reference's read_csv does.
func ParseTable(b []byte) (*Table, error) {
	if len(b) > maxTableBytes {
		return nil, &InvalidSubmission{Reason: fmt.Sprintf("file of %d bytes is too large (limit %d)", len(b), maxTableBytes)}
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	p := parser{buf: b, line: 1}
	if len(b) == maxTableBytes {
		// missingCell and offsets need one value to spare.
		return nil, &InvalidSubmission{Reason: fmt.Sprintf("file of %d bytes is too large (limit %d)", len(b), maxTableBytes-1)}
	}
	t := &Table{buf: b, index: map[string]int{}}

	// Header: the first non-blank record.
	var head []span
	for p.pos < len(b) {
		p.skipBlankLines()
		if p.pos >= len(b) {
			break
		}
		rec, err := p.record(nil)
		if err != nil {
			return nil, err
		}
		head = rec
		break
	}
	if head == nil {
		return t, nil
	}
	t.header = make([]string, len(head))
	for j, s := range head {
		t.header[j] = string(b[s.off : s.off+s.n])
	}
	csvscan.PandasNames(t.header)
	for j, name := range t.header {
		t.index[name] = j
	}

	ncol := len(head)
	t.ncol = ncol
	budget := cellBudget(len(b), ncol)
	if p.line == 2 && parsePlain(t, p.pos, budget) {
		return t, nil
	}
	// Estimate rows from the newline count to size the cells once. Cells
	// are row-major so that graders that walk rows read memory in order.
	est := bytes.Count(b[p.pos:], []byte{'\n'}) + 1
	t.cells = make([]span, 0, min(est*ncol, budget))
	rec := make([]span, 0, ncol)
	for {
		p.skipBlankLines()
		if p.pos >= len(b) {
			break
		}
		startLine := p.line
		var err error
		rec, err = p.record(rec[:0])
		if err != nil {
			return nil, err
		}
		row := t.rows + 1
		if len(rec) > ncol {
			return nil, &InvalidSubmission{Row: row, Reason: fmt.Sprintf("has %d fields, the header has %d (line %d)", len(rec), ncol, startLine)}
		}
		if len(t.cells)+ncol > budget {
			return nil, &InvalidSubmission{Row: row, Reason: fmt.Sprintf(
				"too many short rows: padded to the header's %d columns, the file would hold over %d cells (line %d has %d)", ncol, budget, startLine, len(rec))}
		}
		t.cells = append(t.cells, rec...)
		for range ncol - len(rec) {
			t.cells = append(t.cells, span{})
		}
		if startLine != row+1 || t.lines != nil {
			if t.lines == nil {
				t.lines = make([]int32, t.rows, max(est, t.rows+1))
				for i := range t.lines {
					t.lines[i] = int32(i + 2)
				}
			}
			t.lines = append(t.lines, int32(startLine))
		}
		t.rows++
	}
	return t, nil
}

// cellBudget bounds the cells of a table read from n bytes with ncol
// columns. A full row has at least one byte per cell (a delimiter), so
// only rows shorter than the header, padded with missing cells as pandas
// pads them, can go over; a few such rows are fine, but a file of short
// rows under a wide header would take many times its size in memory.
func cellBudget(n, ncol int) int {
	return n + 64*ncol + 1024
}

// delim marks the bytes that end an unquoted cell.
var delim = [256]bool{',': true, '\n': true, '\r': true}

// parser scans records out of a buffer, unescaping quoted cells in place.
type parser struct {
	buf  []byte
	pos  int
	line int
}

func (p *parser) skipBlankLines() {
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case '\n':
			p.pos++
			p.line++
		case '\r':
			p.pos++
			if p.pos < len(p.buf) && p.buf[p.pos] == '\n' {
				p.pos++
			}
			p.line++
		default:
			return
		}
	}
}

// record reads one record (up to and including its line end).
func (p *parser) record(dst []span) ([]span, error) {
	b := p.buf
	for {
		if p.pos < len(b) && b[p.pos] == '"' {
			s, err := p.quoted()
			if err != nil {
				return nil, err
			}
			dst = append(dst, s)
		} else {
			start := p.pos
			i := start
			for i < len(b) && !delim[b[i]] {
				i++
			}
			dst = append(dst, span{off: uint32(start), n: uint32(i - start)})
			p.pos = i
		}
	sep:
		if p.pos >= len(b) {
			return dst, nil
		}
		switch b[p.pos] {
		case ',':
			p.pos++
			if p.pos >= len(b) {
				// "a,b," at EOF: a trailing empty field.
				dst = append(dst, span{off: uint32(p.pos)})
				return dst, nil
			}
		case '\n':
			p.pos++
			p.line++
			return dst, nil
		case '\r':
			p.pos++
			if p.pos < len(b) && b[p.pos] == '\n' {
				p.pos++
			}
			p.line++
			return dst, nil
		default:
			// Text after a closing quote, e.g. "ab"c: keep it, as pandas does.
			start := p.pos
			for p.pos < len(b) && b[p.pos] != ',' && b[p.pos] != '\n' && b[p.pos] != '\r' {
				p.pos++
			}
			last := &dst[len(dst)-1]
			// Move the trailing text right after the unescaped content.
			end := int(last.off + last.n)
			n := copy(b[end:], b[start:p.pos])
			last.n += uint32(n)
			// The cell goes on to the next delimiter: read that, not a
			// new (empty) field.
			goto sep
		}
	}
}

// quoted reads a quoted cell starting at p.pos (on the opening quote) and
// leaves p.pos after the closing quote. The content is unescaped in place.
func (p *parser) quoted() (span, error) {
	b := p.buf
	startLine := p.line
	p.pos++ // opening quote
	start := p.pos
	w := start
	for p.pos < len(b) {
		c := b[p.pos]
		if c == '"' {
			if p.pos+1 < len(b) && b[p.pos+1] == '"' {
				b[w] = '"'
				w++
				p.pos += 2
				continue
			}
			p.pos++ // closing quote
			return span{off: uint32(start), n: uint32(w - start)}, nil
		}
		if c == '\n' {
			p.line++
		}
		b[w] = c
		w++
		p.pos++
	}
	return span{}, &InvalidSubmission{Reason: fmt.Sprintf("unterminated quoted field starting on line %d", startLine)}
}

// Len is the number of data rows.
func (t *Table) Len() int { return t.rows }

// Columns returns the column names in file order.
func (t *Table) Columns() []string { return append([]string(nil), t.header...) }

// Has reports whether the table has a column of that name.
func (t *Table) Has(name string) bool {
	_, ok := t.index[name]
	return ok
}

// Line returns the 1-based line of the file on which data row i (0-based)
// starts.
func (t *Table) Line(i int) int {
	if t.lines != nil {
		return int(t.lines[i])
	}
	return i + 2
}

// Column returns the named column, or an *InvalidSubmission that lists the
// columns the table has.
func (t *Table) Column(name string) (Column, error) {
	j, ok := t.index[name]
	if !ok {
		return Column{}, &InvalidSubmission{Column: name, Reason: fmt.Sprintf("column '%s' not found; columns are: %s", name, t.columnList())}
	}
	return Column{t: t, j: j, Name: name}, nil
}

// ColumnAt returns the j-th column in file order.
func (t *Table) ColumnAt(j int) Column { return Column{t: t, j: j, Name: t.header[j]} }

// columnList names the table's columns for an error message: at most 20,
// each cut short, since the header may be anything a submission holds.
func (t *Table) columnList() string {
	if len(t.header) == 0 {
		return "(none: the file is empty)"
	}
	const most = 20
	names := make([]string, 0, min(len(t.header), most+1))
	for _, h := range t.header[:min(len(t.header), most)] {
		if len(h) > 40 {
			h = h[:37] + "..."
		}
		names = append(names, h)
	}
	if len(t.header) > most {
		names = append(names, fmt.Sprintf("and %d more", len(t.header)-most))
	}
	return strings.Join(names, ", ")
}
