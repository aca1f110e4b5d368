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
