package grader

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"hash/maphash"
	"io"
	"math"
	"os"
	"sync/atomic"
)

// Lockstep grading is a fast path for the most common submission: an id
// column and one numeric column. Both files stream past and only a few
// numbers a row are kept, instead of both files and their cell tables: a
// 1M-row ROC AUC submission costs a little over its size in memory this
// way, and about four times its size on the Table path.
//
// In the answers' order (the usual case) the two files are read side by
// side. In another order the answers are read first, each id kept as 96
// bits of two independently seeded hashes (two ids of a million share them
// with odds of about 1e-17), and the submission's rows are placed by
// theirs.
//
// Like the compact parser, it is a fast path with a fallback: it takes only
// files whose meaning is plain (no quote, no '\r', no blank line, a header
// of exactly the two columns, each number a plain decimal, the same ids
// once each, ids the Table path matches as text, which it does unless both
// columns are all numbers), where the Table path would pair the same rows
// and parse the same numbers, and it grades them with the grader's own
// checks and metric (gradeColumns). On anything else, an error of the
// grader included, the Table path grades the file from its start and gives
// its exact verdict.

// A lockstepGrader grades a submission by aligning one target column to
// the answers by id and then grading the two columns.
type lockstepGrader interface {
	// lockstepColumns names the id and target columns (the same names in
	// both files).
	lockstepColumns() (id, target string)
	// gradeColumns grades the answers' target values y and the
	// submission's p, both in the answers' row order, with the checks the
	// Table path makes after alignment; any error sends the file to the
	// Table path.
	gradeColumns(y, p []float64) (float64, error)
}

// errNeedsTable is a gradeColumns error for input the fast path leaves to
// the Table path (e.g. labels that are not two numbers).
var errNeedsTable = errors.New("needs the table path")

// lockstepOff turns lockstep grading off (tests compare the two paths).
var lockstepOff atomic.Bool

// lockstepBuffer is each file's read buffer; a longer line sends the file
// to the Table path.
const lockstepBuffer = 1 << 20

// gradeLockstep grades sub against the answers file in lockstep. It
// reports ok == false, with no error, when the files need the Table path;
// the caller then rewinds sub. err is only ctx's.
func gradeLockstep(ctx context.Context, g lockstepGrader, sub io.ReadSeeker, answersPath string) (score float64, ok bool, err error) {
	af, err := os.Open(answersPath)
	if err != nil {
		return 0, false, nil // the Table path says what is wrong
	}
	defer af.Close()
	sr, sok := openPairs(sub, g, true)
	ar, aok := openPairs(af, g, false)
	if !sok || !aok {
		return 0, false, nil
	}
	var y, p []float64
	for n := 0; ; n++ {
		if n%(1<<16) == 0 && ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		sid, pv, sok := sr.next()
		aid, yv, aok := ar.next()
		if !sok || !aok {
			if sok || aok || !sr.clean() || !ar.clean() || n == 0 {
				return 0, false, nil
			}
			break
		}
		if !bytes.Equal(sid, aid) {
			return gradeHashed(ctx, g, sub, af)
		}
		if n == 0 {
			rows := rowsHint(af, len(aid))
			y, p = make([]float64, 0, rows), make([]float64, 0, rows)
		}
		p = append(p, pv)
		y = append(y, yv)
	}
	return gradePairs(g, y, p)
}

// gradeHashed grades sub (rows in another order than the answers') by
// hashed ids; it rewinds both files.
func gradeHashed(ctx context.Context, g lockstepGrader, sub io.ReadSeeker, af *os.File) (float64, bool, error) {
	if _, err := sub.Seek(0, io.SeekStart); err != nil {
		return 0, false, nil
	}
	if _, err := af.Seek(0, io.SeekStart); err != nil {
		return 0, false, nil
	}
	ar, aok := openPairs(af, g, false)
	if !aok {
		return 0, false, nil
	}
	var keys idKeys
	var y []float64
	numeric := true // every answers id is a number (see below)
	for n := 0; ; n++ {
		if n%(1<<16) == 0 && ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		aid, yv, ok := ar.next()
		if !ok {
			if !ar.clean() || n == 0 {
				return 0, false, nil
			}
			break
		}
		if n == 0 {
			rows := rowsHint(af, len(aid))
			keys = newIDKeys(rows)
			y = make([]float64, 0, rows)
		}
		numeric = numeric && isNumberCell(aid)
		keys.add(aid)
		y = append(y, yv)
	}
	index, ok := indexKeys(&keys)
	if !ok {
		return 0, false, nil // a repeated id: the Table path pairs those
	}
	sr, sok := openPairs(sub, g, true)
	if !sok {
		return 0, false, nil
	}
	p := make([]float64, len(y)) // NaN: not seen yet (no plain decimal is NaN)
	for i := range p {
		p[i] = math.NaN()
	}
	got := 0
	for n := 0; ; n++ {
		if n%(1<<16) == 0 && ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		sid, pv, ok := sr.next()
		if !ok {
			if !sr.clean() {
				return 0, false, nil
			}
			break
		}
		numeric = numeric && isNumberCell(sid)
		h1, h2 := keys.hash(sid)
		a := index.find(h1, h2)
		if a < 0 || !math.IsNaN(p[a]) {
			return 0, false, nil // missing, extra or repeated ids
		}
		p[a] = pv
		got++
	}
	// Both id columns all numbers: the Table path matches them as numbers
	// ("1" is "1.0"), which text hashes do not.
	if got != len(y) || numeric {
		return 0, false, nil
	}
	return gradePairs(g, y, p)
}

// gradePairs grades aligned values; an error leaves the file to the Table
// path.
func gradePairs(g lockstepGrader, y, p []float64) (float64, bool, error) {
	score, err := g.gradeColumns(y, p)
	if err != nil {
		return 0, false, nil
	}
	return score, true, nil
}

// isNumberCell is parseNumber's verdict on an id cell (its first byte
// settles most ids: a letter is not a number).
func isNumberCell(b []byte) bool {
	_, ok := parseNumber(string(b))
	return ok
}

// rowsHint is the row count a file's size suggests from one line's
// length: room to append into without copying over and over.
func rowsHint(f *os.File, lineLen int) int {
	rows := 1024
	if st, err := f.Stat(); err == nil {
		rows = max(rows, int(st.Size()/int64(lineLen+2)))
	}
	return rows
}

// idKeys are ids kept as a 64-bit and a 32-bit hash of two seeds, in
// rows (12 bytes an id).
type idKeys struct {
	seeds [2]maphash.Seed
	h1    []uint64
	h2    []uint32
}

func newIDKeys(rows int) idKeys {
	return idKeys{
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
		h1:    make([]uint64, 0, rows),
		h2:    make([]uint32, 0, rows),
	}
}

func (k *idKeys) hash(id []byte) (uint64, uint32) {
	return maphash.Bytes(k.seeds[0], id), uint32(maphash.Bytes(k.seeds[1], id))
}

func (k *idKeys) add(id []byte) {
	h1, h2 := k.hash(id)
	k.h1, k.h2 = append(k.h1, h1), append(k.h2, h2)
}

// keyIndex finds a row by its id's hashes: open addressing over the rows,
// a slot holding row+1 (0: empty).
type keyIndex struct {
	keys  *idKeys
	slots []int32
	mask  uint64
}

// indexKeys indexes keys; false when two rows share their hashes.
func indexKeys(keys *idKeys) (keyIndex, bool) {
	size := 16
	for size < 2*len(keys.h1) {
		size <<= 1
	}
	ix := keyIndex{keys: keys, slots: make([]int32, size), mask: uint64(size - 1)}
	for row, h1 := range keys.h1 {
		if ix.find(h1, keys.h2[row]) >= 0 {
			return ix, false
		}
		pos := h1 & ix.mask
		for ix.slots[pos] != 0 {
			pos = (pos + 1) & ix.mask
		}
		ix.slots[pos] = int32(row + 1)
	}
	return ix, true
}

// find returns the row whose id has hashes h1 and h2, or -1.
func (ix keyIndex) find(h1 uint64, h2 uint32) int {
	for pos := h1 & ix.mask; ix.slots[pos] != 0; pos = (pos + 1) & ix.mask {
		if row := int(ix.slots[pos] - 1); ix.keys.h1[row] == h1 && ix.keys.h2[row] == h2 {
			return row
		}
	}
	return -1
}

// idValues reads (id, number) rows from a plain CSV: the id and target
// columns of a lockstepGrader. It stops at the end and at the first line
// the fast path cannot take (clean tells the two apart).
type idValues struct {
	r       *bufio.Reader
	bad     bool
	id, val int
	cells   [][]byte
}

// openPairs reads r's header; twoColumns asks for exactly the id and
// target columns (a submission), else they may stand among others (the
// answers). False: the header is not one the fast path takes.
func openPairs(r io.Reader, g lockstepGrader, twoColumns bool) (*idValues, bool) {
	id, target := g.lockstepColumns()
	l := &idValues{r: bufio.NewReaderSize(r, lockstepBuffer)}
	head := l.line()
	if head == nil {
		return nil, false
	}
	cols := bytes.Split(head, []byte(","))
	l.id, l.val = columnPair(cols, id, target)
	l.cells = make([][]byte, len(cols))
	return l, l.id >= 0 && l.val >= 0 && (!twoColumns || len(cols) == 2)
}

// next returns the next row's id and number; false at the end and where
// the fast path stops.
func (l *idValues) next() ([]byte, float64, bool) {
	line := l.line()
	if line == nil {
		return nil, 0, false
	}
	if !splitCells(line, l.cells) {
		l.bad = true
		return nil, 0, false
	}
	v, ok := fastDecimal(l.cells[l.val])
	if !ok {
		l.bad = true
		return nil, 0, false
	}
	return l.cells[l.id], v, true
}

// line returns the next line without its '\n': nil at the end, and at a
// line the fast path cannot take (blank, too long, holding a quote, a
// '\r' or a NUL), which makes the reader bad.
func (l *idValues) line() []byte {
	if l.bad {
		return nil
	}
	line, err := l.r.ReadSlice('\n')
	switch {
	case err == io.EOF && len(line) == 0:
		return nil
	case err != nil && err != io.EOF:
		l.bad = true // too long, or a read error
		return nil
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	if len(line) == 0 || bytes.IndexByte(line, '"') >= 0 || bytes.IndexByte(line, '\r') >= 0 || bytes.IndexByte(line, 0) >= 0 {
		l.bad = true
		return nil
	}
	return line
}

// clean reports whether next stopped at the end of the file.
func (l *idValues) clean() bool { return !l.bad }

// columnPair finds the id and target columns in a header (-1 when absent
// or when a name repeats, which the Table path mangles).
func columnPair(cols [][]byte, id, target string) (int, int) {
	at := func(name string) int {
		found := -1
		for j, c := range cols {
			if string(c) == name {
				if found >= 0 {
					return -1
				}
				found = j
			}
		}
		return found
	}
	return at(id), at(target)
}

// splitCells splits a line into exactly len(cells) cells.
func splitCells(line []byte, cells [][]byte) bool {
	for j := range cells[:len(cells)-1] {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			return false
		}
		cells[j], line = line[:i], line[i+1:]
	}
	cells[len(cells)-1] = line
	return bytes.IndexByte(line, ',') < 0
}
