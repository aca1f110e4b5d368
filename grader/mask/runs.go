package mask

import "math/bits"

// Count is the number of pixels covered by runs.
func Count(runs []Run) int64 {
	var n int64
	for _, r := range runs {
		n += r.Len()
	}
	return n
}

// Intersect is the number of pixels covered by both a and b, each sorted
// and disjoint.
func Intersect(a, b []Run) int64 {
	o := Overlap{Truth: b}
	for _, r := range a {
		o.Add(r)
	}
	return o.Inter
}

// Counts are the pixel counts a binary segmentation metric needs.
type Counts struct {
	Pred  int64 // predicted pixels
	True  int64 // true pixels
	Inter int64 // pixels both predicted and true
}

// Add sums two sets of counts (for global metrics over many images).
func (c Counts) Add(o Counts) Counts {
	return Counts{c.Pred + o.Pred, c.True + o.True, c.Inter + o.Inter}
}

// Overlap compares predicted runs, added one at a time in increasing
// order, with fixed true runs, without storing the predicted runs.
type Overlap struct {
	Truth []Run // sorted, disjoint
	Pred  int64 // pixels predicted so far
	Inter int64 // of which true
	i     int
}

// Add counts one predicted run; runs must come sorted and disjoint.
func (o *Overlap) Add(r Run) {
	o.Pred += r.Len()
	t := o.Truth
	for o.i < len(t) && t[o.i].End <= r.Start {
		o.i++
	}
	for j := o.i; j < len(t) && t[j].Start < r.End; j++ {
		lo := max(t[j].Start, r.Start)
		hi := min(t[j].End, r.End)
		if hi > lo {
			o.Inter += hi - lo
		}
	}
}

// Counts returns the counts so far.
func (o *Overlap) Counts() Counts {
	return Counts{Pred: o.Pred, True: Count(o.Truth), Inter: o.Inter}
}

// Bitmap is a height x width binary mask stored one bit per pixel in the
// reference's column-major order (pixel (y, x) is bit x*H + y).
type Bitmap struct {
	H, W int
	bits []uint64
}

// NewBitmap returns an empty h x w mask.
func NewBitmap(h, w int) *Bitmap {
	n := int64(h) * int64(w)
	return &Bitmap{H: h, W: w, bits: make([]uint64, (n+63)/64)}
}

// SetRun sets the pixels of a run (which must lie inside the mask).
func (b *Bitmap) SetRun(r Run) {
	for i := r.Start; i < r.End; {
		w, off := i/64, uint(i%64)
		n := min(64-int64(off), r.End-i)
		var m uint64
		if n == 64 {
			m = ^uint64(0)
		} else {
			m = (uint64(1)<<uint(n) - 1) << off
		}
		b.bits[w] |= m
		i += n
	}
}

// Get reports pixel (y, x).
func (b *Bitmap) Get(y, x int) bool {
	i := int64(x)*int64(b.H) + int64(y)
	return b.bits[i/64]>>(uint(i%64))&1 == 1
}

// Or sets every pixel set in o, which must have the same shape.
func (b *Bitmap) Or(o *Bitmap) {
	for i, w := range o.bits {
		b.bits[i] |= w
	}
}

// SameShape reports whether b and o have the same height and width.
func (b *Bitmap) SameShape(o *Bitmap) bool { return b.H == o.H && b.W == o.W }

// Equal reports whether b and o have the same shape and pixels.
func (b *Bitmap) Equal(o *Bitmap) bool {
	if !b.SameShape(o) {
		return false
	}
	for i, w := range b.bits {
		if o.bits[i] != w {
			return false
		}
	}
	return true
}

// Count is the number of set pixels.
func (b *Bitmap) Count() int64 {
	var n int
	for _, w := range b.bits {
		n += bits.OnesCount64(w)
	}
	return int64(n)
}

// each calls f(y, x) for every set pixel, in column-major order.
func (b *Bitmap) each(f func(y, x int)) {
	for wi, w := range b.bits {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			w &= w - 1
			i := wi*64 + t
			f(i%b.H, i/b.H)
		}
	}
}
