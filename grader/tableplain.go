package grader

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
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
	o := t.offs[i*t.ncol+j]
	if o == missingCell {
		return nil
	}
	start := int(t.rowStart[i]) + int(o)
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
	if plainOff.Load() || t.ncol == 0 || t.ncol > maxPlainRow || bytes.IndexByte(data, '"') >= 0 {
		return false
	}
	// Trailing line ends only make blank lines: no rows.
	data = bytes.TrimRight(data, "\r\n")
	if len(data) == 0 {
		t.rowStart, t.offs = []uint32{}, []uint16{}
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
	// (data ends without a newline now).
	rows := make([]int, k)
	var wg sync.WaitGroup
	for c := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[c] = bytes.Count(data[bounds[c]:bounds[c+1]], []byte{'\n'})
		}()
	}
	wg.Wait()
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
	offs := make([]uint16, total*t.ncol)
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
			ok[c] = plainRows(data[bounds[c]:bounds[c+1]], pos+bounds[c], t.ncol,
				rowStart[base[c]:base[c]+rows[c]], offs[base[c]*t.ncol:(base[c]+rows[c])*t.ncol])
		}()
	}
	wg.Wait()
	for _, good := range ok {
		if !good {
			return false
		}
	}
	t.rowStart, t.offs, t.rows = rowStart, offs, total
	return true
}

// plainRows fills rowStart and offs for the lines of chunk (which starts
// at byte at of the buffer); it reports false on anything parsePlain
// leaves to the serial parser, and when the chunk's line count is not
// len(rowStart). It finds the delimiters eight bytes at a time: a cell of
// a numeric submission is a few bytes, so a byte loop spends most of its
// time on bytes that are not delimiters.
func plainRows(chunk []byte, at, ncol int, rowStart []uint32, offs []uint16) bool {
	r, j := 0, 1 // row, next cell
	start := 0   // where row r starts in chunk
	cr := -2     // where the last '\r' was (none: not right before any byte)
	if len(rowStart) == 0 {
		return len(chunk) == 0
	}
	rowStart[0] = uint32(at)
	offs[0] = 0
	// endRow closes row r at the line break at i (a '\r' right before
	// it belongs to the break) and opens the next.
	endRow := func(i int) bool {
		end := i
		if cr == i-1 {
			end--
		}
		if end == start || end-start > maxPlainRow {
			return false // a blank line, or a row too long for 16 bits
		}
		for ; j < ncol; j++ {
			offs[r*ncol+j] = missingCell
		}
		r++
		start, j = i+1, 1
		if start < len(chunk) {
			if r >= len(rowStart) {
				return false
			}
			rowStart[r] = uint32(at + start)
			offs[r*ncol] = 0
		}
		return true
	}
	// delimAt handles the delimiter at i.
	delimAt := func(i int) bool {
		switch chunk[i] {
		case ',':
			if j == ncol {
				return false // more fields than the header
			}
			offs[r*ncol+j] = uint16(min(i+1-start, maxPlainRow))
			j++
			return true
		case '\n':
			return endRow(i)
		default: // '\r': only as the first half of "\r\n"
			cr = i
			return i+1 < len(chunk) && chunk[i+1] == '\n'
		}
	}
	i := 0
	for ; i+8 <= len(chunk); i += 8 {
		for m := delimMask(binary.LittleEndian.Uint64(chunk[i:])); m != 0; m &= m - 1 {
			if !delimAt(i + bits.TrailingZeros64(m)>>3) {
				return false
			}
		}
	}
	for ; i < len(chunk); i++ {
		if delim[chunk[i]] && !delimAt(i) {
			return false
		}
	}
	if start < len(chunk) && !endRow(len(chunk)) {
		return false // the last row, which no newline ends
	}
	return r == len(rowStart)
}

// delimMask has the high bit of each byte of w that is ',', '\n' or '\r'
// set (an exact test per byte: the additions cannot carry across bytes).
func delimMask(w uint64) uint64 {
	const ones, low7, high = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	zero := func(x uint64) uint64 { return ^(((x & low7) + low7) | x) & high }
	return zero(w^(','*ones)) | zero(w^('\n'*ones)) | zero(w^('\r'*ones))
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
// wrap: the caller bounds the digit count) and returns where they end.
// Where eight bytes remain it takes them eight at a time (most numbers in
// a submission have six to nine digits after the point).
func appendDigits[T string | []byte](b T, i int, mant uint64) (int, uint64) {
	for i+8 <= len(b) {
		w := load8(b, i)
		n := leadingDigits(w)
		if n == 0 {
			return i, mant
		}
		mant = mant*pow10u[n] + eightDigits((w-0x3030303030303030)<<(64-8*n))
		i += n
		if n < 8 {
			return i, mant
		}
	}
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			break
		}
		mant = mant*10 + uint64(d)
	}
	return i, mant
}

// load8 reads b[i:i+8] as a little-endian word (the compiler makes one
// load of it).
func load8[T string | []byte](b T, i int) uint64 {
	b = b[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// leadingDigits counts the ASCII digits at the start of the little-endian
// word w: a byte is a digit when its high nibble is 3 and its low nibble
// plus 6 stays below 16 (neither test carries across bytes).
func leadingDigits(w uint64) int {
	const lowNibbles, highNibbles, threes, sixes, sixteens = 0x0f0f0f0f0f0f0f0f, 0xf0f0f0f0f0f0f0f0, 0x3030303030303030, 0x0606060606060606, 0x1010101010101010
	notDigit := (w&highNibbles ^ threes) | ((w&lowNibbles + sixes) & sixteens)
	// The high bit of each byte that is not zero, i.e. not a digit.
	const low7, high = 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	nz := (notDigit | (notDigit&low7 + low7)) & high
	return bits.TrailingZeros64(nz) >> 3
}

// eightDigits is the value of the eight digits 0-9 held in the bytes of
// w, the first (most significant) in the lowest byte: pairs, then
// quadruples, then the whole, each step one multiply.
func eightDigits(w uint64) uint64 {
	w = (w * 10) + (w >> 8)
	w = (w&0x000000ff000000ff)*(100+(1000000<<32)) + (w>>16&0x000000ff000000ff)*(1+(10000<<32))
	return w >> 32
}

// pow10u are the powers of ten up to 10^8 as integers.
var pow10u = [...]uint64{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000}
