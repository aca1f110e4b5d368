package mask_test

import (
	"strconv"
	"testing"

	"github.com/mlbench/mlbench/grader/mask"
)

// BenchmarkDecoder decodes a 16 MB RLE string in 64 KiB pieces against a
// truth of 10000 runs.
func BenchmarkDecoder(b *testing.B) {
	const pixels = 1 << 34
	var s []byte
	for start := int64(1); len(s) < 16<<20; start += 1000 {
		s = strconv.AppendInt(s, start, 10)
		s = append(s, ' ')
		s = strconv.AppendInt(s, 500, 10)
		s = append(s, ' ')
	}
	truth := make([]mask.Run, 10000)
	for i := range truth {
		truth[i] = mask.Run{Start: int64(i) * 137000, End: int64(i)*137000 + 7000}
	}
	b.SetBytes(int64(len(s)))
	d := mask.NewDecoder(pixels, nil)
	for range b.N {
		o := mask.Overlap{Truth: truth}
		d.Reset(pixels, o.Add)
		for p := s; len(p) > 0; {
			n := min(len(p), 64<<10)
			if _, err := d.Write(p[:n]); err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
		if err := d.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// ball sets the voxels of an ellipsoid in a volume of z slices of h x w.
func ball(z, h, w int, cz, cy, cx, r float64) mask.Volume {
	v := mask.Volume{}
	for k := range z {
		s := mask.NewBitmap(h, w)
		for x := range w {
			for y := range h {
				dz, dy, dx := (float64(k)-cz)*3, float64(y)-cy, float64(x)-cx
				if dz*dz+dy*dy+dx*dx <= r*r {
					i := int64(x*h + y)
					s.SetRun(mask.Run{Start: i, End: i + 1})
				}
			}
		}
		v.Slices = append(v.Slices, s)
	}
	return v
}

// BenchmarkHausdorff compares two offset organ-sized blobs (about 130000
// voxels each) in a 144 x 266 x 266 case-day, the uw-madison scale.
func BenchmarkHausdorff(b *testing.B) {
	truth := ball(144, 266, 266, 72, 130, 130, 50)
	pred := ball(144, 266, 266, 70, 136, 128, 48)
	b.ResetTimer()
	for range b.N {
		if h := mask.Hausdorff(pred, truth); !(h > 0 && h < 1) {
			b.Fatalf("Hausdorff = %v", h)
		}
	}
}
