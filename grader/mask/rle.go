// Package mask decodes and encodes the run-length encodings of MLE-Bench's
// segmentation competitions and computes their metrics on runs of pixels,
// never on whole images, so that masks of a billion pixels cost only the
// memory of their runs.
//
// Decoding follows the reference's rle_decode (mlebench/competitions/
// utils.py): whitespace-separated integers read as (start, length) pairs,
// 1-indexed starts counted down the columns (column-major), starts sorted
// (non-decreasing) and every value positive, no run overlapping an earlier
// one. Like the reference (which slices a NumPy array), a run reaching past
// the image is cut at its end and a run starting past it sets nothing. An
// odd count of values goes through the reference's NumPy broadcast of
// starts + lengths: one value sets nothing, three make two runs of the one
// length, five or more cannot be broadcast (invalid).
package mask

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mlbench/mlbench/grader/internal/pyref"
)

// Run is a run of set pixels: the half-open range [Start, End) of 0-based
// flat pixel indices in the reference's column-major order.
type Run struct{ Start, End int64 }

// Len is the number of pixels of the run.
func (r Run) Len() int64 { return r.End - r.Start }

var (
	// ErrNotInteger: a value is not a base-10 integer as Python's int()
	// reads it (or has more than 4300 digits), or the text is not UTF-8.
	ErrNotInteger = errors.New("mask: RLE value is not an integer")
	// ErrUnsorted: a start is smaller than the start before it.
	ErrUnsorted = errors.New("mask: RLE starts are not sorted")
	// ErrNotPositive: a start or a length is zero or negative.
	ErrNotPositive = errors.New("mask: RLE values must be positive integers")
	// ErrOverlap: a run covers a pixel an earlier run covered.
	ErrOverlap = errors.New("mask: RLE runs overlap")
	// ErrUnpaired: an odd count of five or more values, which the
	// reference's starts + lengths cannot broadcast.
	ErrUnpaired = errors.New("mask: RLE has a start without a length")
)

// RLEError says which value of an RLE string is wrong and why.
type RLEError struct {
	Pair  int    // 1-based index of the (start, length) pair
	Value string // the offending value, shortened
	Err   error  // ErrNotInteger, ErrUnsorted, ErrNotPositive or ErrOverlap
}

func (e *RLEError) Error() string {
	return fmt.Sprintf("RLE pair %d, value %q: %s", e.Pair, e.Value, strings.TrimPrefix(e.Err.Error(), "mask: "))
}

// Unwrap returns the sentinel error.
func (e *RLEError) Unwrap() error { return e.Err }

// num is a parsed integer: v when it fits in int64, else big.
type num struct {
	v   int64
	big *big.Int
}

func (n num) positive() bool {
	if n.big != nil {
		return n.big.Sign() > 0
	}
	return n.v > 0
}

func (n num) String() string {
	if n.big != nil {
		return n.big.String()
	}
	return strconv.FormatInt(n.v, 10)
}

func cmpNum(a, b num) int {
	switch {
	case a.big == nil && b.big == nil:
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	case a.big != nil && b.big != nil:
		return a.big.Cmp(b.big)
	case a.big != nil:
		return a.big.Sign()
	default:
		return -b.big.Sign()
	}
}

// maxTokenBytes bounds a token: 4300 digits of up to 4 UTF-8 bytes each,
// underscores between them and a sign. Anything longer is not an int.
const maxTokenBytes = 5*pyref.MaxIntDigits + 8

// Decoder decodes one RLE string written to it in pieces of any size and
// hands each run to a callback, in increasing order, as soon as it is
// known. It holds at most one token of the string. Use Reset to decode the
// next string with the same buffers.
type Decoder struct {
	size int64
	emit func(Run)

	tok   []byte // bytes of the current token not in the current chunk
	inTok bool
	fast  bool // the token so far is ASCII digits with a small value
	acc   int64
	ndig  int
	rb    [utf8.UTFMax]byte
	rn    int

	ntok    int64
	start   num
	first   num // the first length: NumPy broadcasts it to a third start
	prev    num
	hasPrev bool
	maxEnd  int64
	err     error
}

// NewDecoder returns a decoder for an image of size pixels that calls emit
// with each run (emit may be nil).
func NewDecoder(size int64, emit func(Run)) *Decoder {
	d := &Decoder{}
	d.Reset(size, emit)
	return d
}

// Reset prepares d for a new string.
func (d *Decoder) Reset(size int64, emit func(Run)) {
	*d = Decoder{size: size, emit: emit, tok: d.tok[:0]}
}

// Pairs is the number of complete (start, length) pairs read so far.
func (d *Decoder) Pairs() int64 { return d.ntok / 2 }

func (d *Decoder) fail(err error, value string) error {
	if len(value) > 40 {
		value = value[:37] + "..."
	}
	d.err = &RLEError{Pair: int(d.ntok/2) + 1, Value: value, Err: err}
	return d.err
}

func isASCIISpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)
}

// Write decodes the next piece of the string. It returns the first error
// of the string and keeps returning it.
func (d *Decoder) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	i := 0
	tokStart := 0 // where the current token's bytes in p begin
	if d.rn > 0 {
		for !utf8.FullRune(d.rb[:d.rn]) && i < len(p) {
			d.rb[d.rn] = p[i]
			d.rn++
			i++
		}
		if !utf8.FullRune(d.rb[:d.rn]) {
			return len(p), nil
		}
		r, size := utf8.DecodeRune(d.rb[:d.rn])
		if r == utf8.RuneError && size <= 1 {
			return 0, d.fail(ErrNotInteger, string(d.rb[:d.rn]))
		}
		if pyref.IsSpace(r) {
			if d.inTok {
				if err := d.endToken(nil); err != nil {
					return 0, err
				}
			}
		} else {
			if !d.inTok {
				d.beginToken()
			}
			d.fast = false
			if err := d.keep(d.rb[:d.rn]); err != nil {
				return 0, err
			}
		}
		d.rn = 0
		tokStart = i
	}
	// The hot loop keeps the token state in locals; it is written back
	// before any call that reads it.
	inTok, fast, acc, ndig := d.inTok, d.fast, d.acc, d.ndig
	for i < len(p) {
		c := p[i]
		if c-'0' < 10 {
			if !inTok {
				inTok, fast, acc, ndig = true, true, 0, 0
				d.tok = d.tok[:0]
				tokStart = i
			}
			j := i
			for j < len(p) {
				v := p[j] - '0'
				if v >= 10 {
					break
				}
				acc = acc*10 + int64(v) // may wrap: then fast turns false below
				j++
			}
			ndig += j - i
			if ndig > maxFastDigits {
				fast = false
			}
			i = j
			continue
		}
		space, size := isASCIISpace(c), 1
		if c >= utf8.RuneSelf {
			if !utf8.FullRune(p[i:]) {
				d.inTok, d.fast, d.acc, d.ndig = inTok, fast, acc, ndig
				if inTok {
					if err := d.keep(p[tokStart:i]); err != nil {
						return 0, err
					}
				}
				d.rn = copy(d.rb[:], p[i:])
				return len(p), nil
			}
			var r rune
			r, size = utf8.DecodeRune(p[i:])
			if r == utf8.RuneError && size == 1 {
				d.inTok, d.fast, d.acc, d.ndig = inTok, fast, acc, ndig
				return 0, d.fail(ErrNotInteger, string(p[i:i+1]))
			}
			space = pyref.IsSpace(r)
		}
		if space {
			if inTok {
				d.inTok, d.fast, d.acc, d.ndig = inTok, fast, acc, ndig
				if err := d.endToken(p[tokStart:i]); err != nil {
					return 0, err
				}
				inTok = false
			}
		} else {
			if !inTok {
				inTok, fast, acc, ndig = true, true, 0, 0
				d.tok = d.tok[:0]
				tokStart = i
			}
			fast = false
		}
		i += size
	}
	d.inTok, d.fast, d.acc, d.ndig = inTok, fast, acc, ndig
	if inTok {
		if err := d.keep(p[tokStart:]); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// maxFastDigits is the most digits an int64 accumulates without overflow.
const maxFastDigits = 18

// WriteString is Write for a string.
func (d *Decoder) WriteString(s string) (int, error) {
	// The decoder never retains p, so the conversion may share memory.
	return d.Write([]byte(s))
}

func (d *Decoder) beginToken() {
	d.inTok = true
	d.fast = true
	d.acc = 0
	d.ndig = 0
	d.tok = d.tok[:0]
}

// keep saves token bytes that continue beyond the current chunk.
func (d *Decoder) keep(b []byte) error {
	if len(d.tok)+len(b) > maxTokenBytes {
		return d.fail(ErrNotInteger, string(append(d.tok[:len(d.tok):len(d.tok)], b...)))
	}
	d.tok = append(d.tok, b...)
	return nil
}

func (d *Decoder) endToken(tail []byte) error {
	d.inTok = false
	var v num
	if d.fast {
		v.v = d.acc
	} else {
		if len(d.tok)+len(tail) > maxTokenBytes {
			return d.fail(ErrNotInteger, string(d.tok)+string(tail))
		}
		s := string(d.tok) + string(tail)
		b, err := pyref.ParseInt(s)
		if err != nil {
			return d.fail(ErrNotInteger, s)
		}
		if b.IsInt64() {
			v.v = b.Int64()
		} else {
			v.big = b
		}
	}
	return d.push(v)
}

func (d *Decoder) push(v num) error {
	if d.ntok%2 == 0 {
		if d.hasPrev && cmpNum(v, d.prev) < 0 {
			return d.fail(ErrUnsorted, v.String())
		}
		if !v.positive() {
			return d.fail(ErrNotPositive, v.String())
		}
		d.prev, d.hasPrev, d.start = v, true, v
		d.ntok++
		return nil
	}
	if !v.positive() {
		return d.fail(ErrNotPositive, v.String())
	}
	if err := d.run(d.start, v); err != nil {
		return err
	}
	if d.ntok == 1 {
		d.first = v
	}
	d.ntok++
	return nil
}

// run applies one pair the way the reference's NumPy slicing does.
func (d *Decoder) run(start, length num) error {
	if start.big != nil || start.v-1 >= d.size {
		return nil // starts past the image: sets nothing, overlaps nothing
	}
	lo := start.v - 1
	hi := d.size
	if length.big == nil && length.v < d.size-lo {
		hi = lo + length.v
	}
	if d.maxEnd > lo {
		return d.fail(ErrOverlap, start.String())
	}
	d.maxEnd = hi
	if d.emit != nil {
		d.emit(Run{lo, hi})
	}
	return nil
}

// Close ends the string and returns its first error, if any.
func (d *Decoder) Close() error {
	if d.err != nil {
		return d.err
	}
	if d.rn > 0 {
		return d.fail(ErrNotInteger, string(d.rb[:d.rn]))
	}
	if d.inTok {
		if err := d.endToken(nil); err != nil {
			return err
		}
	}
	return d.unpaired()
}

// unpaired finishes an odd count of values as the reference's
// np.array(starts) - 1 + lengths broadcasts them: a single start with no
// length gives no run, two starts share the one length, and more starts
// than lengths (past one length) raise.
func (d *Decoder) unpaired() error {
	switch {
	case d.ntok%2 == 0 || d.ntok == 1:
		return nil
	case d.ntok == 3:
		return d.run(d.start, d.first)
	}
	return d.fail(ErrUnpaired, d.start.String())
}

// Decode decodes a whole RLE string for an image of height x width pixels.
func Decode(s string, height, width int) ([]Run, error) {
	var runs []Run
	d := NewDecoder(int64(height)*int64(width), func(r Run) { runs = append(runs, r) })
	if _, err := d.WriteString(s); err != nil {
		return nil, err
	}
	if err := d.Close(); err != nil {
		return nil, err
	}
	return runs, nil
}

// Encode writes runs as an RLE string ("start length ..." with 1-indexed
// starts), the inverse of Decode for sorted, disjoint, non-empty runs.
func Encode(runs []Run) string {
	var b strings.Builder
	for i, r := range runs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatInt(r.Start+1, 10))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatInt(r.Len(), 10))
	}
	return b.String()
}

// RunsOf returns the runs of a mask given as flat pixels in column-major
// order (adjacent runs merged), like the reference's rle_encode.
func RunsOf(pixels []bool) []Run {
	var runs []Run
	for i := 0; i < len(pixels); i++ {
		if !pixels[i] {
			continue
		}
		j := i
		for j < len(pixels) && pixels[j] {
			j++
		}
		runs = append(runs, Run{int64(i), int64(j)})
		i = j
	}
	return runs
}
