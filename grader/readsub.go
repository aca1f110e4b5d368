package grader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
)

// readSubmission reads a submission of size bytes (as stat saw it) from f
// into one buffer. It reads the head first, into a small buffer, and
// refuses a file without a sane header after at most maxHeaderBytes of it;
// then it calls headerOK (the caller starts reading the answers) and reads
// the rest in parallel, one range per CPU, checking ctx between chunks
// and refusing NUL bytes and lines longer than maxLine as they arrive.
// Reading in parallel matters: filling fresh memory costs the kernel a
// zeroed page per page, which is most of a big file's read time.
func readSubmission(ctx context.Context, f *os.File, size, maxLine int64, headerOK func()) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// One byte over maxHeaderBytes: checkHeader then sees a header too
	// long.
	head := make([]byte, min(size, maxHeaderBytes+1))
	n, err := io.ReadFull(f, head)
	head = head[:n]
	short := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !short {
		return nil, fmt.Errorf("read submission: %w", err)
	}
	lines := lineCheck{max: maxLine}
	if err := lines.check(head); err != nil {
		return nil, err
	}
	if err := checkHeader(head); err != nil {
		return nil, err
	}
	if headerOK != nil {
		headerOK()
	}
	// A file that shrank after stat ends here; one that grew is read no
	// further than stat said.
	if short || int64(n) == size {
		return head, nil
	}
	buf := largeBuffer(int(size))[:size]
	copy(buf, head)
	end, err := readRanges(ctx, f, buf, n, &lines)
	if err != nil {
		return nil, err
	}
	return buf[:end], nil
}

// rangeRead is what one reader of readRanges found in its range.
type rangeRead struct {
	lines lineCheck
	end   int   // where the data ended (the file shrank), or -1
	err   error // the first fault in the range (or a read error)
	errAt int64 // where that fault is, to report the file's first
}

// readRanges fills buf[from:] from f at the same offsets, in parallel
// ranges, and returns where the data ends. Each range checks its own
// bytes; lines that cross ranges are checked once all are in, with
// lines (the state after buf[:from]).
func readRanges(ctx context.Context, f *os.File, buf []byte, from int, lines *lineCheck) (int, error) {
	rest := len(buf) - from
	k := max(1, min(runtime.GOMAXPROCS(0), rest/readChunk))
	parts := make([]rangeRead, k)
	var wg sync.WaitGroup
	for c := range k {
		lo, hi := from+c*rest/k, from+(c+1)*rest/k
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[c] = readRange(ctx, f, buf, lo, hi, lines.max)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	end := len(buf)
	var first error
	firstAt := int64(len(buf))
	for c := range parts {
		p := &parts[c]
		if p.err != nil && p.errAt < firstAt {
			first, firstAt = p.err, p.errAt
		}
		if p.end >= 0 {
			end = min(end, p.end)
		}
	}
	// Lines across ranges, in file order, up to the first fault.
	for c := range parts {
		p := &parts[c].lines
		if int64(from+c*rest/k) >= firstAt {
			break
		}
		if err := lines.join(p); err != nil {
			return 0, err
		}
	}
	if first != nil {
		return 0, first
	}
	return end, nil
}

// readRange reads buf[lo:hi] from the same offsets of f, chunk by chunk.
func readRange(ctx context.Context, f *os.File, buf []byte, lo, hi int, maxLine int64) rangeRead {
	r := rangeRead{lines: lineCheck{max: maxLine, read: int64(lo)}, end: -1}
	for off := lo; off < hi; {
		if err := ctx.Err(); err != nil {
			r.err, r.errAt = err, int64(off)
			return r
		}
		chunk := buf[off:min(hi, off+readChunk)]
		n, err := f.ReadAt(chunk, int64(off))
		if cerr := r.lines.check(chunk[:n]); cerr != nil {
			r.err, r.errAt = cerr, int64(off)
			return r
		}
		off += n
		if errors.Is(err, io.EOF) {
			r.end = off
			return r
		}
		if err != nil {
			r.err, r.errAt = fmt.Errorf("read submission: %w", err), int64(off)
			return r
		}
	}
	return r
}

// lineCheck refuses, chunk by chunk as a file is read, what no CSV
// submission holds: a NUL byte, or a line (between '\n' or '\r') longer
// than max, so that such a file costs what was read of it, not its size.
type lineCheck struct {
	max  int64
	run  int64 // bytes since the last line break
	read int64 // where the next chunk starts in the file
	// lead is how many bytes came before the first line break (all of
	// them while none has come); broke says one has. A range read in
	// parallel joins its predecessor with them.
	lead  int64
	broke bool
}

func (l *lineCheck) check(c []byte) error {
	if i := bytes.IndexByte(c, 0); i >= 0 {
		return &InvalidSubmission{Reason: fmt.Sprintf("the submission holds a NUL byte (at byte %d): not a text CSV file", l.read+int64(i))}
	}
	l.read += int64(len(c))
	// LastIndexByte is a byte loop: ask it only for a break IndexByte
	// found (most files hold no '\r' at all).
	first, last := -1, -1
	for _, b := range []byte{'\n', '\r'} {
		if i := bytes.IndexByte(c, b); i >= 0 {
			if first < 0 || i < first {
				first = i
			}
			last = max(last, bytes.LastIndexByte(c, b))
		}
	}
	if !l.broke {
		if first < 0 {
			l.lead += int64(len(c))
		} else {
			l.lead += int64(first)
			l.broke = true
		}
	}
	if first < 0 {
		l.run += int64(len(c))
	} else {
		// Lines wholly inside c are shorter than c, and c is at most
		// readChunk, which max is not below.
		l.run += int64(first)
	}
	if err := l.tooLong(); err != nil {
		return err
	}
	if first >= 0 {
		l.run = int64(len(c) - last - 1)
	}
	return nil
}

// join continues l with the range that p checked (which started where l
// ends): the bytes before p's first break end l's current line.
func (l *lineCheck) join(p *lineCheck) error {
	l.run += p.lead
	if err := l.tooLong(); err != nil || !p.broke {
		return err
	}
	l.run = p.run
	return nil
}

func (l *lineCheck) tooLong() error {
	if l.max > 0 && l.run > l.max {
		return &InvalidSubmission{Reason: fmt.Sprintf("a line of the submission is longer than %s, longer than the answers it is checked against: not read further", humanBytes(l.max))}
	}
	return nil
}
