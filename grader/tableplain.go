package grader

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/mlbench/mlbench/grader/csvscan"
)

// missingCell marks a padded cell of a short row in a compact Table.
const missingCell = 0xffff

// maxPlainRow is the longest row a compact Table holds (cell offsets are
// 16-bit and missingCell must stay free).
const maxPlainRow = missingCell - 1

// plainChunk is the least data worth a goroutine of its own; plainOff
// turns the compact parser off (tests compare the two parsers). They are
// atomics because a test sets them while a grade that an earlier test
// abandoned at cancellation may still be parsing.
var (
	plainChunk atomic.Int64
	plainOff   atomic.Bool
)

func init() { plainChunk.Store(1 << 20) }

// cell returns cell (i, j) of the table; it aliases the buffer.
func (t *Table) cell(i, j int) []byte {
	if t.cells != nil {
		s := t.cells[i*t.ncol+j]
		return t.buf[s.off : s.off+s.n : s.off+s.n]
	}
	start := t.cellStart(i, j)
	if start < 0 {
		return nil
	}
	end := start + cellEnd(t.buf[start:])
	return t.buf[start:end:end]
}

// str returns cell (i, j) as a string without copying.
func (t *Table) str(i, j int) string {
	b := t.cell(i, j)
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// cellEnd returns the length of the unquoted cell at the start of b: up to
// the first ',', '\n' or '\r', or all of b.
func cellEnd(b []byte) int {
	if e := csvscan.Delim(b); e >= 0 {
		return e
	}
	return len(b)
}

// parsePlain parses the data rows of t.buf from pos into a compact table,
// in parallel on chunks that end at newlines, and reports whether it could.
// It can when the data has no quote at all (so a record is a line), no
// blank line, no lone '\r', no row over maxPlainRow bytes and no row with
// more fields than the header; otherwise, and when padding short rows
// would go over budget cells, the serial parser reads the table (and
// names the first fault exactly). It never modifies the buffer.
func parsePlain(t *Table, pos, budget int) bool {
	data := t.buf[pos:]
	if plainOff.Load() || t.ncol == 0 || t.ncol > maxPlainRow {
		return false
	}
	// Trailing line ends only make blank lines: no rows.
	data = bytes.TrimRight(data, "\r\n")
	if len(data) == 0 {
		t.rowStart = []uint32{}
		return true
	}
	k := min(runtime.GOMAXPROCS(0), max(1, len(data)/int(plainChunk.Load())))
	bounds := make([]int, 0, k+1)
	bounds = append(bounds, 0)
	for c := 1; c < k; c++ {
		at := max(bounds[len(bounds)-1], c*len(data)/k)
		i := bytes.IndexByte(data[at:], '\n')
		if i < 0 {
			break
		}
		bounds = append(bounds, at+i+1)
	}
	bounds = append(bounds, len(data))
	k = len(bounds) - 1
	// Each chunk's rows: one per newline, and one more for the last row
	// (data ends without a newline now). Meanwhile, whether it holds a
	// quote (then the serial parser reads the table) or a '\r' (most
	// files hold none: their lines need no look for a lone one).
	rows := make([]int, k)
	quote, cr := make([]bool, k), make([]bool, k)
	var wg sync.WaitGroup
	for c := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chunk := data[bounds[c]:bounds[c+1]]
			rows[c] = bytes.Count(chunk, []byte{'\n'})
			quote[c] = bytes.IndexByte(chunk, '"') >= 0
			cr[c] = bytes.IndexByte(chunk, '\r') >= 0
		}()
	}
	wg.Wait()
	if slices.Contains(quote, true) {
		return false
	}
	hasCR := slices.Contains(cr, true)
	rows[k-1]++
	total := 0
	base := make([]int, k)
	for c := range k {
		base[c] = total
		total += rows[c]
	}
	if total > budget/t.ncol {
		return false
	}
	rowStart := make([]uint32, total)
	ok := make([]bool, k)
	for c := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A bug here must not take the process down: the serial
			// parser reads the table instead.
			defer func() {
				if recover() != nil {
					ok[c] = false
				}
			}()
			ok[c] = plainRowStarts(data[bounds[c]:bounds[c+1]], pos+bounds[c], t.ncol, hasCR,
				rowStart[base[c]:base[c]+rows[c]])
		}()
	}
	wg.Wait()
	for _, good := range ok {
		if !good {
			return false
		}
	}
	t.rowStart, t.rows, t.dataEnd = rowStart, total, pos+len(data)
	return true
}

// plainRowStarts fills rowStart for the lines of chunk (which starts at byte
// at of the buffer) and checks each line; it reports false on anything
// parsePlain leaves to the serial parser, and when the chunk's line count
// is not len(rowStart). Its scans are the runtime's vector ones: a line
// and its commas are counted, not walked.
func plainRowStarts(chunk []byte, at, ncol int, hasCR bool, rowStart []uint32) bool {
	r := 0
	for len(chunk) > 0 {
		n := bytes.IndexByte(chunk, '\n')
		line := chunk
		if n >= 0 {
			line, chunk = chunk[:n], chunk[n+1:]
		} else {
			chunk = nil
		}
		if hasCR {
			line = bytes.TrimSuffix(line, []byte("\r"))
			if bytes.IndexByte(line, '\r') >= 0 {
				return false // a lone '\r' ends a record
			}
		}
		if len(line) == 0 || len(line) > maxPlainRow || r >= len(rowStart) || bytes.Count(line, []byte(",")) >= ncol {
			return false // blank, too long for 16-bit offsets, or too many fields
		}
		rowStart[r] = uint32(at)
		at += n + 1
		r++
	}
	return r == len(rowStart)
}

// rowEnd is where row i of a compact table ends in buf (its line break,
// or the data's end).
func (t *Table) rowEnd(i int) int {
	end := t.dataEnd
	if i+1 < t.rows {
		end = int(t.rowStart[i+1]) - 1
	}
	if end > int(t.rowStart[i]) && t.buf[end-1] == '\r' {
		end--
	}
	return end
}

// A compact table finds a cell by walking its row (a comma at a time)
// until the walks have cost what building every cell's offset costs, then
// builds the offsets: graders that read a column or two (an id, a target,
// one cell of a row here and there) never pay for offsets, and one that
// reads every cell by column pays at most twice the least it could. Walks
// to the first few cells cost next to nothing and are not counted (the
// count is shared by every goroutine).
const uncountedWalk = 4

// cellStart returns where cell (i, j) of a compact table starts in buf,
// or -1 for a cell the row lacks (a short row's padding).
func (t *Table) cellStart(i, j int) int {
	row := int(t.rowStart[i])
	if offs := t.offs.Load(); offs != nil {
		o := (*offs)[i*t.ncol+j]
		if o == missingCell {
			return -1
		}
		return row + int(o)
	}
	if j >= uncountedWalk && t.walked.Add(int64(j)) > int64(t.rows)*int64(t.ncol) {
		t.buildOffsets()
		return t.cellStart(i, j)
	}
	pos, end := row, t.rowEnd(i)
	for range j {
		c := bytes.IndexByte(t.buf[pos:end], ',')
		if c < 0 {
			return -1
		}
		pos += c + 1
	}
	return pos
}

// buildOffsets builds the 2-byte offset of every cell, once, in parallel.
func (t *Table) buildOffsets() {
	t.offsOnce.Do(func() {
		offs := make([]uint16, t.rows*t.ncol)
		_ = parallelCells(t.rows, t.ncol, func(lo, hi int) error {
			for i := lo; i < hi; i++ {
				row, end := int(t.rowStart[i]), t.rowEnd(i)
				cells := offs[i*t.ncol : (i+1)*t.ncol]
				cells[0] = 0
				j, pos := 1, row
				for {
					c := bytes.IndexByte(t.buf[pos:end], ',')
					if c < 0 {
						break
					}
					pos += c + 1
					cells[j] = uint16(pos - row)
					j++
				}
				for ; j < t.ncol; j++ {
					cells[j] = missingCell
				}
			}
			return nil
		})
		t.offs.Store(&offs)
	})
}

// parallelRows runs f over [0, n) in contiguous ranges, one per CPU when n
// is large, and returns the error of the lowest range that failed (each
// range stops at its first error, so that is the first bad row overall).
func parallelRows(n int, f func(lo, hi int) error) error {
	return parallelCells(n, 1, f)
}

// parallelCells is parallelRows for rows of width cells each: a range
// gets at least 1<<16 cells, so wide tables split at fewer rows.
func parallelCells(n, width int, f func(lo, hi int) error) error {
	const least = 1 << 16
	k := min(runtime.GOMAXPROCS(0), n*max(width, 1)/least)
	if k <= 1 {
		return f(0, n)
	}
	errs := make([]error, k)
	var wg sync.WaitGroup
	for c := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Graders run in goroutines of their own here: a panic is the
			// failed grade that run() makes of panics, not a crash.
			defer func() {
				if p := recover(); p != nil {
					errs[c] = fmt.Errorf("internal grader error: %v", p)
				}
			}()
			errs[c] = f(c*n/k, (c+1)*n/k)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// decimalPrefix is fastDecimal on the longest prefix of b that looks like
// [-+]digits[.digits]: it returns the value and the prefix's length, or
// n == 0 when the prefix is not one that converts exactly.
func decimalPrefix[T string | []byte](b T) (v float64, n int) {
	// One digit alone (0/1 labels, one-hot answers) needs no loop.
	if len(b) > 0 && b[0]-'0' <= 9 && (len(b) == 1 || (b[1]-'0' > 9 && b[1] != '.')) {
		return float64(b[0] - '0'), 1
	}
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i = 1
	}
	start := i
	i, mant := appendDigits(b, i, 0)
	digits, frac := i-start, 0
	if i < len(b) && b[i] == '.' {
		fs := i + 1
		i, mant = appendDigits(b, fs, mant)
		frac = i - fs
	}
	if digits+frac == 0 || digits+frac > 19 || frac >= len(pow10) || mant >= 1<<53 {
		return 0, 0
	}
	v = float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, i
}

// appendDigits reads the decimal digits of b from i onto mant (which may
// wrap: the caller bounds the digit count) and returns where they end. (A
// word-at-a-time version measured slower on submission numbers: their
// runs of digits are short.)
func appendDigits[T string | []byte](b T, i int, mant uint64) (int, uint64) {
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		mant = mant*10 + uint64(d)
	}
	return i, mant
}
