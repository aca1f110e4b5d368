package structured

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mlbench/mlbench/grader/csvscan"
	"github.com/mlbench/mlbench/grader/mask"
)

// maxKeyCell bounds the id-like cells kept per row; a longer one cannot
// be any answers id.
const maxKeyCell = 1 << 20

// subErr turns malformed CSV into an invalid submission.
func subErr(err error) error {
	var fe *csvscan.FormatError
	if errors.As(err, &fe) {
		return &Invalid{Row: fe.Row, Reason: fmt.Sprintf("malformed CSV (line %d): %s", fe.Line, fe.Reason)}
	}
	return err
}

// eachRecord calls fn(row) with cr at the start of each record, up to the
// end of the submission; malformed CSV becomes an *Invalid.
func eachRecord(ctx context.Context, cr *csvscan.Reader, fn func(row int) error) error {
	for {
		ok, err := nextRow(ctx, cr)
		if err != nil || !ok {
			return subErr(err)
		}
		if err := fn(cr.Row()); err != nil {
			return err
		}
	}
}

// rleCell streams one RLE cell into a decoder and remembers enough of it
// to tell what pandas makes of it (missing, a number, or a string).
type rleCell struct {
	dec      mask.Decoder
	noDecode bool // only look at the cell (a row the reference never decodes)
	prefix   []byte
	n        int64
	err      error
}

func (c *rleCell) reset(size int64, emit func(mask.Run)) {
	c.dec.Reset(size, emit)
	c.noDecode = false
	c.prefix = c.prefix[:0]
	c.n = 0
	c.err = nil
}

// look prepares c to only look at a cell, not decode it.
func (c *rleCell) look() {
	c.reset(0, nil)
	c.noDecode = true
}

func (c *rleCell) write(p []byte) {
	if room := csvscan.MaxNumberLen + 1 - len(c.prefix); room > 0 {
		c.prefix = append(c.prefix, p[:min(room, len(p))]...)
	}
	c.n += int64(len(p))
	if c.err == nil && !c.noDecode {
		_, c.err = c.dec.Write(p)
	}
}

func (c *rleCell) close() {
	if c.err == nil && !c.noDecode {
		c.err = c.dec.Close()
	}
}

// isNA reports a cell pandas reads as missing.
func (c *rleCell) isNA() bool {
	return c.n <= csvscan.MaxNALen && csvscan.IsNA(string(c.prefix))
}

// text is the cell when short (for messages and kind tracking); long cells
// give their prefix, which is enough to classify them as text.
func (c *rleCell) text() string { return string(c.prefix) }

// rleScan streams a submission: per row, the cells of a few key columns
// are collected and the RLE column is streamed to a sink chosen by open.
// When a key column comes after the RLE column and keysFirst is set, the
// RLE cell is buffered (rare; costs the cell's size).
type rleScan struct {
	cr      *csvscan.Reader
	rleJ    int
	keyJ    []int
	buffer  bool // a key comes after the RLE column: buffer the cell
	cells   [][]byte
	present []bool
	buf     []byte
	kind    csvscan.KindTracker // of the RLE column
	numRow  int                 // first considered row whose cell is a number
}

func newRLEScan(cr *csvscan.Reader, rleCol string, keyCols []string, keysFirst bool) *rleScan {
	s := &rleScan{cr: cr, rleJ: cr.Index(rleCol), cells: make([][]byte, len(keyCols)), present: make([]bool, len(keyCols))}
	for _, k := range keyCols {
		j := cr.Index(k)
		s.keyJ = append(s.keyJ, j)
		if j > s.rleJ && keysFirst {
			s.buffer = true
		}
	}
	return s
}

// each calls open(row) to get the sink of the row's RLE cell (nil to skip
// the cell), then done(row, cell) after the record. Keys are in s.cells.
func (s *rleScan) each(ctx context.Context, open func(row int) (*rleCell, error), done func(row int, cell *rleCell) error) error {
	cr := s.cr
	return eachRecord(ctx, cr, func(row int) error {
		for i := range s.present {
			s.present[i] = false
			s.cells[i] = s.cells[i][:0]
		}
		var cell *rleCell
		opened, buffered := false, false
		for j, err := range cr.Fields() {
			if err != nil {
				return subErr(err)
			}
			for i, kj := range s.keyJ {
				if kj == j {
					s.cells[i], err = cr.BytesLimit(s.cells[i][:0], maxKeyCell)
					if errors.Is(err, csvscan.ErrFieldTooLong) {
						return invalidf(row, cr.Header()[j], "cell is longer than %d bytes", maxKeyCell)
					} else if err != nil {
						return subErr(err)
					}
					s.present[i] = true
				}
			}
			if j != s.rleJ {
				continue
			}
			if s.buffer {
				if s.buf, err = cr.Bytes(s.buf[:0]); err != nil {
					return subErr(err)
				}
				buffered = true
				continue
			}
			if cell, err = open(row); err != nil {
				return err
			}
			opened = true
			if err := streamField(ctx, cr, cell); err != nil {
				return err
			}
		}
		if !opened {
			var err error
			if cell, err = open(row); err != nil {
				return err
			}
			if cell != nil && buffered {
				cell.write(s.buf)
			}
		}
		if cell != nil {
			cell.close()
		}
		return done(row, cell)
	})
}

// streamField writes the field cr is at to cell (nil: skips it), saying
// every 1024 chunks whether ctx is done.
func streamField(ctx context.Context, cr *csvscan.Reader, cell *rleCell) error {
	for n := 0; ; n++ {
		c, err := cr.Chunk()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return subErr(err)
		}
		if cell == nil {
			continue
		}
		cell.write(c)
		if n&1023 == 1023 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
}

// observe records a considered RLE cell for the column's dtype.
func (s *rleScan) observe(row int, cell *rleCell) {
	if cell.n > csvscan.MaxNumberLen {
		s.kind.Observe("x") // long: text
		return
	}
	t := cell.text()
	s.kind.Observe(t)
	if s.numRow == 0 && !cell.noDecode && !csvscan.IsNA(t) && csvscan.IsNumber(t) {
		s.numRow = row
	}
}

// numericError reports considered non-missing cells that pandas reads as
// numbers (the whole column is numeric): they are not strings.
func (s *rleScan) numericError(col string) error {
	if s.kind.Kind() == csvscan.KindNumeric && s.numRow > 0 {
		return numericColumn(s.numRow, col)
	}
	return nil
}

// key returns key column i of the current row as pandas sees it
// ("" for a missing cell, which pandas reads as NaN).
func (s *rleScan) key(i int) string {
	if !s.present[i] {
		return ""
	}
	return string(s.cells[i])
}

// rleProblem explains a decoding error of a row's cell.
func rleProblem(row int, col string, err error) error {
	return invalidf(row, col, "cannot decode the run-length encoding: %v", err)
}

// numericColumn is the error for an RLE column pandas reads as numbers.
func numericColumn(row int, col string) error {
	return invalidf(row, col, "every cell of this column is a number or empty, so pandas reads it as numbers, not RLE strings (this cell is a number)")
}
