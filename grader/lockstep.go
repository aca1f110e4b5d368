package grader

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"sync/atomic"
)

// Lockstep grading is a fast path for the most common submission: an id
// column and one numeric column, rows in the answers' order. Both files
// stream past side by side and only two numbers a row are kept, instead of
// both files and their cell tables: a 1M-row ROC AUC submission costs
// about a third of its size in memory this way, and over three times its
// size on the Table path.
//
// Like the compact parser, it is a fast path with a fallback: it takes only
// files whose meaning is plain (no quote, no '\r', no blank line, a
// header of exactly the two columns, each id byte-equal to the answers' id
// in the same row, each number a plain decimal), where the Table path would find the ids in
// the same order and parse the same numbers, and it grades them with the
// grader's own checks and metric (gradeColumns). On anything else, an
// error of the grader included, the Table path grades the file from its
// start and gives its exact verdict.

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
func gradeLockstep(ctx context.Context, g lockstepGrader, sub io.Reader, answersPath string) (score float64, ok bool, err error) {
	af, err := os.Open(answersPath)
	if err != nil {
		return 0, false, nil // the Table path says what is wrong
	}
	defer af.Close()
	id, target := g.lockstepColumns()
	sr := plainLines{r: bufio.NewReaderSize(sub, lockstepBuffer)}
	ar := plainLines{r: bufio.NewReaderSize(af, lockstepBuffer)}
	sh, ah := sr.next(), ar.next()
	if sh == nil || ah == nil {
		return 0, false, nil
	}
	sCols, aCols := bytes.Split(sh, []byte(",")), bytes.Split(ah, []byte(","))
	sID, sVal := columnPair(sCols, id, target)
	aID, aVal := columnPair(aCols, id, target)
	if len(sCols) != 2 || sID < 0 || sVal < 0 || aID < 0 || aVal < 0 {
		return 0, false, nil
	}
	sCells := make([][]byte, 2)
	aCells := make([][]byte, len(aCols))
	var y, p []float64
	for n := 0; ; n++ {
		if n%(1<<16) == 0 && ctx.Err() != nil {
			return 0, false, ctx.Err()
		}
		sl, al := sr.next(), ar.next()
		if sl == nil || al == nil {
			if sl != nil || al != nil || !sr.clean() || !ar.clean() || n == 0 {
				return 0, false, nil
			}
			break
		}
		if !splitCells(sl, sCells) || !splitCells(al, aCells) || !bytes.Equal(sCells[sID], aCells[aID]) {
			return 0, false, nil
		}
		pv, pn := decimalPrefix(sCells[sVal])
		yv, yn := decimalPrefix(aCells[aVal])
		if pn == 0 || pn != len(sCells[sVal]) || yn == 0 || yn != len(aCells[aVal]) {
			return 0, false, nil
		}
		if n == 0 {
			// Room for the rows the answers' size suggests, so that
			// appending does not copy them over and over.
			rows := 1024
			if st, err := af.Stat(); err == nil {
				rows = max(rows, int(st.Size()/int64(len(al)+1)))
			}
			y, p = make([]float64, 0, rows), make([]float64, 0, rows)
		}
		p = append(p, pv)
		y = append(y, yv)
	}
	score, err = g.gradeColumns(y, p)
	if err != nil {
		return 0, false, nil
	}
	return score, true, nil
}

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

// plainLines reads lines that the fast path can take: next returns nil at
// the end and at the first line it cannot (blank, too long, holding a
// quote, a '\r' or a NUL); clean tells the two apart.
type plainLines struct {
	r   *bufio.Reader
	bad bool
}

func (l *plainLines) next() []byte {
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
func (l *plainLines) clean() bool { return !l.bad }
