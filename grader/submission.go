package grader

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"unicode/utf8"
	"unsafe"
)

// Submissions come from generated code and from uploads: they may be a
// gigabyte of NUL bytes, one endless line, a million columns, a symlink to
// a secret or a FIFO that never ends. These limits keep every verdict
// bounded in time and memory, and every reason short and printable.
const (
	// sizeFactor and sizeSlack bound a submission's size by the larger of
	// its answers and sample submission: a real one is within a small
	// factor of those (more digits, more boxes per image); one far larger
	// is invalid before a byte of it is read.
	sizeFactor = 64
	sizeSlack  = 8 << 20
	// maxHeaderBytes bounds the header record: no real header comes near.
	maxHeaderBytes = 1 << 20
	// maxColumns bounds the header's column count (MLE-Bench's widest
	// submission has a few hundred).
	maxColumns = 1 << 14
	// MaxReasonLen bounds the reason of an invalid submission, in bytes.
	MaxReasonLen = 400
	// readChunk is how much of a submission is read between checks of the
	// context.
	readChunk = 8 << 20
)

// SizeLimit returns the largest submission worth reading against answers
// of answersSize bytes and a sample submission of sampleSize bytes (either
// may be 0 when unknown).
func SizeLimit(answersSize, sampleSize int64) int64 {
	return max(answersSize, sampleSize)*sizeFactor + sizeSlack
}

// sizeLimit is SizeLimit for a resolved target.
func (tg target) sizeLimit() int64 {
	return SizeLimit(fileSize(tg.answers), fileSize(tg.sample))
}

func fileSize(path string) int64 {
	if path == "" {
		return 0
	}
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return 0
	}
	return st.Size()
}

// notRegular says what a file that is not a regular file is, or "".
func notRegular(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return ""
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link (grading reads regular files only; copy the file itself)"
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case mode&fs.ModeDevice != 0:
		return "a device"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// openSubmission opens a submission for reading. Anything but a regular
// file (a symlink included, even to a regular file) and anything larger
// than limit is an *InvalidSubmission; the check and the open see the same
// file (O_NOFOLLOW, and O_NONBLOCK so that a FIFO swapped in between cannot
// block the open).
func openSubmission(path string, limit int64) (*os.File, int64, error) {
	st, err := os.Lstat(path)
	if err != nil {
		return nil, 0, &InvalidSubmission{Reason: "cannot read the submission: " + errors.Unwrap(err).Error()}
	}
	if what := notRegular(st.Mode()); what != "" {
		return nil, 0, &InvalidSubmission{Reason: "the submission is " + what}
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, &InvalidSubmission{Reason: "cannot open the submission: " + errors.Unwrap(err).Error()}
	}
	fst, err := f.Stat()
	if err == nil && !os.SameFile(st, fst) {
		err = errors.New("it changed while being opened")
	}
	if err == nil {
		if what := notRegular(fst.Mode()); what != "" {
			err = errors.New("it is " + what)
		}
	}
	if err != nil {
		f.Close()
		return nil, 0, &InvalidSubmission{Reason: "cannot read the submission: " + err.Error()}
	}
	if size := fst.Size(); size > limit {
		f.Close()
		return nil, 0, &InvalidSubmission{Reason: fmt.Sprintf(
			"the submission is %s, far larger than the answers it is checked against (limit %s): not read",
			humanBytes(size), humanBytes(limit))}
	}
	return f, fst.Size(), nil
}

// checkHeader looks at the first record of a CSV (b is the file's start,
// at least maxHeaderBytes of it unless the file is shorter) and refuses a
// header longer than maxHeaderBytes or with more than maxColumns columns.
func checkHeader(b []byte) error {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	b = bytes.TrimLeft(b, "\r\n")
	cols, quoted := 1, false
	for i, c := range b {
		if i >= maxHeaderBytes {
			return &InvalidSubmission{Reason: fmt.Sprintf(
				"the header line is longer than %s: not a CSV header (it starts with %s)", humanBytes(maxHeaderBytes), quoteCell(string(b[:min(len(b), 40)])))}
		}
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == ',':
			cols++
			if cols > maxColumns {
				return &InvalidSubmission{Reason: fmt.Sprintf("the header has more than %d columns: not a submission", maxColumns)}
			}
		case c == '\n' || c == '\r':
			return nil
		}
	}
	return nil
}

// humanBytes writes a size for people: "1.0 GB", "512 kB", "12 bytes".
func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return strconv.FormatFloat(float64(n)/1e9, 'f', 1, 64) + " GB"
	case n >= 1e6:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	case n >= 1e3:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + " kB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// Printable cuts s to at most n bytes of printable text: control
// characters and invalid UTF-8 are written as Go escapes (\x00, \n), and a
// cut text ends with "...". Every reason that leaves the grader goes
// through it, since reasons quote the submission.
func Printable(s string, n int) string {
	var b []byte
	cut := 0 // the longest prefix of b that leaves room for "..."
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		var piece string
		switch {
		case r == utf8.RuneError && size <= 1:
			piece = `\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:]
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029:
			piece = strconv.QuoteRune(r)
			piece = piece[1 : len(piece)-1]
		default:
			piece = s[i : i+size]
		}
		if len(b)+len(piece) > n {
			return string(b[:cut]) + "..."
		}
		b = append(b, piece...)
		if len(b) <= n-3 {
			cut = len(b)
		}
		i += size
	}
	return string(b)
}

// largeBuffer allocates a buffer for a whole file. Large ones ask for huge
// pages: reading 100 MB into fresh memory otherwise takes a page fault per
// 4 KiB, which is most of the system time of grading a big file.
func largeBuffer(n int) []byte {
	b := make([]byte, 0, n)
	const huge = 2 << 20
	if n >= 4*huge {
		base := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		start := int((base+huge-1)&^(huge-1) - base)
		end := int((base+uintptr(n))&^(huge-1) - base)
		if end > start {
			_ = syscall.Madvise(b[:n][start:end], madvHugepage) // advice only
		}
	}
	return b
}

// madvHugepage is Linux's MADV_HUGEPAGE.
const madvHugepage = 14
