package mask_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader/mask"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		rle  string
		h, w int
		want []mask.Run
	}{
		{"empty", "", 4, 4, nil},
		{"blank", " \t\n", 4, 4, nil},
		{"two runs", "1 3 10 2", 4, 4, []mask.Run{{0, 3}, {9, 11}}},
		{"adjacent runs", "1 2 3 2", 4, 4, []mask.Run{{0, 2}, {2, 4}}},
		{"run cut at the image end", "15 10", 4, 4, []mask.Run{{14, 16}}},
		{"run past the image sets nothing", "2 1 17 3 40 1", 4, 4, []mask.Run{{1, 2}}},
		{"duplicate starts past the image are not an overlap", "20 1 20 1", 4, 4, nil},
		// Odd counts follow rle_decode's np.array(starts) - 1 + lengths.
		{"three values: two starts share the one length", "1 2 5", 4, 4, []mask.Run{{0, 2}, {4, 6}}},
		{"one value: a start alone sets nothing", "3", 4, 4, nil},
		{"python int forms", "+1 0_2 ٥ 1", 4, 4, []mask.Run{{0, 2}, {4, 5}}},
		{"leading zeros", "0001 002", 4, 4, []mask.Run{{0, 2}}},
		{"unicode whitespace", "1\u00a02\u30003\x1c1", 4, 4, []mask.Run{{0, 2}, {2, 3}}},
		{"huge length", "3 99999999999999999999999999", 4, 4, []mask.Run{{2, 16}}},
		{"huge start", "3 1 99999999999999999999999999 1", 4, 4, []mask.Run{{2, 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mask.Decode(tc.rle, tc.h, tc.w)
			if err != nil {
				t.Fatalf("Decode(%q): %v", tc.rle, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Decode(%q) = %v, want %v", tc.rle, got, tc.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		rle  string
		want error
		pair int
	}{
		{"unsorted", "5 1 3 1", mask.ErrUnsorted, 2},
		{"unsorted trailing start", "5 1 3", mask.ErrUnsorted, 2},
		{"zero start", "0 1", mask.ErrNotPositive, 1},
		{"negative start", "-1 1", mask.ErrNotPositive, 1},
		{"zero length", "1 0", mask.ErrNotPositive, 1},
		{"negative length", "1 -3", mask.ErrNotPositive, 1},
		{"zero trailing start", "0", mask.ErrNotPositive, 1},
		{"overlap", "1 3 2 1", mask.ErrOverlap, 2},
		{"three values overlap through the shared length", "1 2 2", mask.ErrOverlap, 2},
		{"five values do not broadcast", "1 2 5 1 9", mask.ErrUnpaired, 3},
		{"seven values do not broadcast", "1 1 3 1 5 1 7", mask.ErrUnpaired, 4},
		{"equal starts overlap", "1 1 1 1", mask.ErrOverlap, 2},
		{"float", "1.0 2", mask.ErrNotInteger, 1},
		{"exponent", "1e3 2", mask.ErrNotInteger, 1},
		{"letters", "1 2 x 4", mask.ErrNotInteger, 2},
		{"double underscore", "1__0 1", mask.ErrNotInteger, 1},
		{"comma", "1,2", mask.ErrNotInteger, 1},
		{"invalid utf-8", "1 \xff", mask.ErrNotInteger, 1},
		{"too many digits", strings.Repeat("0", 4301) + "1 1", mask.ErrNotInteger, 1},
		{"huge unsorted", "99999999999999999999999 1 99999999999999999999998 1", mask.ErrUnsorted, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mask.Decode(tc.rle, 4, 4)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Decode(%q) error = %v, want %v", tc.rle, err, tc.want)
			}
			var re *mask.RLEError
			if !errors.As(err, &re) || re.Pair != tc.pair {
				t.Fatalf("Decode(%q) error = %#v, want pair %d", tc.rle, err, tc.pair)
			}
		})
	}
}

// The reference decodes column-major: pixel 2 of a 4x4 image is row 1 of
// column 0, pixel 5 is row 0 of column 1.
func TestColumnMajor(t *testing.T) {
	runs, err := mask.Decode("2 1 5 1", 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	b := mask.NewBitmap(4, 4)
	for _, r := range runs {
		b.SetRun(r)
	}
	if !b.Get(1, 0) || !b.Get(0, 1) || b.Count() != 2 {
		t.Fatalf("pixels (1,0) and (0,1) should be the only ones set")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		pix := make([]bool, rng.IntN(300))
		p := rng.Float64()
		for i := range pix {
			pix[i] = rng.Float64() < p
		}
		runs := mask.RunsOf(pix)
		got, err := mask.Decode(mask.Encode(runs), len(pix), 1)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, runs) {
			t.Fatalf("round trip: got %v, want %v", got, runs)
		}
	}
}

// decodeChunked writes s to a decoder in random pieces.
func decodeChunked(s string, size int64, rng *rand.Rand) ([]mask.Run, error) {
	var runs []mask.Run
	d := mask.NewDecoder(size, func(r mask.Run) { runs = append(runs, r) })
	b := []byte(s)
	for len(b) > 0 {
		n := 1 + rng.IntN(len(b))
		if rng.IntN(2) == 0 {
			n = min(n, 3)
		}
		if _, err := d.Write(b[:n]); err != nil {
			return nil, err
		}
		b = b[n:]
	}
	if err := d.Close(); err != nil {
		return nil, err
	}
	return runs, nil
}

func TestDecoderChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []string{"1 3 10 2", "  12\u3000 4 ٥٠ 3", "1 2 x", "3 1 2 1", "1_0 2 20 \u00a01"} {
		want, werr := mask.Decode(s, 10, 10)
		for range 50 {
			got, err := decodeChunked(s, 100, rng)
			if (err == nil) != (werr == nil) || (err == nil && !reflect.DeepEqual(got, want)) {
				t.Fatalf("%q in pieces: %v, %v; whole: %v, %v", s, got, err, want, werr)
			}
		}
	}
}

func TestCounts(t *testing.T) {
	truth := []mask.Run{{2, 6}, {10, 12}}
	pred := []mask.Run{{0, 4}, {5, 11}}
	o := mask.Overlap{Truth: truth}
	for _, r := range pred {
		o.Add(r)
	}
	c := o.Counts()
	if want := (mask.Counts{Pred: 10, True: 6, Inter: 4}); c != want {
		t.Fatalf("Counts = %+v, want %+v", c, want)
	}
	if got := mask.Intersect(pred, truth); got != 4 {
		t.Fatalf("Intersect = %d, want 4", got)
	}
}

func TestMetrics(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"dice half", mask.Dice(mask.Counts{Pred: 4, True: 4, Inter: 2}, nan), 0.5},
		{"dice both empty hubmap", mask.Dice(mask.Counts{}, 1), 1},
		{"dice one empty", mask.Dice(mask.Counts{Pred: 3}, 1), 0},
		{"tgs perfect", mask.TGSPrecision(mask.Counts{Pred: 100, True: 100, Inter: 100}, 10201), 1},
		{"tgs both empty", mask.TGSPrecision(mask.Counts{}, 10201), 1},
		{"tgs false salt", mask.TGSPrecision(mask.Counts{Pred: 5}, 10201), 0},
		// IoU 60/100 = 0.6 exceeds 0.5 and 0.55 only.
		{"tgs iou 0.6", mask.TGSPrecision(mask.Counts{Pred: 60, True: 100, Inter: 60}, 10201), 0.2},
		// IoU 0.96 exceeds all ten thresholds.
		{"tgs iou 0.96", mask.TGSPrecision(mask.Counts{Pred: 96, True: 100, Inter: 96}, 10201), 1},
		// The histogram quirk: an empty prediction on a 72% salt image.
		{"tgs empty prediction quirk", mask.TGSPrecision(mask.Counts{True: 7345}, 10201), 0.5},
		{"f0.5", mask.FBeta(mask.Counts{Pred: 4, True: 4, Inter: 2}, 0.5), 0.5},
		// tp=3, |T|=4, |P|=3: 1.25*3 / (0.25*4 + 3) = 0.9375.
		{"f0.5 precise", mask.FBeta(mask.Counts{Pred: 3, True: 4, Inter: 3}, 0.5), 0.9375},
		{"f0.5 both empty", mask.FBeta(mask.Counts{}, 0.5), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	if !math.IsNaN(mask.Dice(mask.Counts{}, nan)) {
		t.Fatal("dice of two empty masks must be the both-empty value")
	}
}

// volume builds a volume of z slices of h x w from voxel coordinates.
func volume(z, h, w int, voxels ...[3]int) mask.Volume {
	v := mask.Volume{}
	for range z {
		v.Slices = append(v.Slices, mask.NewBitmap(h, w))
	}
	for _, p := range voxels {
		i := int64(p[2]*h + p[1])
		v.Slices[p[0]].SetRun(mask.Run{Start: i, End: i + 1})
	}
	return v
}

func TestHausdorff(t *testing.T) {
	tests := []struct {
		name        string
		pred, truth mask.Volume
		want        float64
	}{
		{"equal", volume(2, 2, 2, [3]int{0, 1, 1}), volume(2, 2, 2, [3]int{0, 1, 1}), 0},
		{"pred empty", volume(2, 2, 2), volume(2, 2, 2, [3]int{0, 1, 1}), 1},
		{"truth empty", volume(2, 2, 2, [3]int{0, 1, 1}), volume(2, 2, 2), 1},
		{"pred ten times too big", volume(1, 4, 4, [3]int{0, 0, 0}, [3]int{0, 0, 1}, [3]int{0, 0, 2}, [3]int{0, 0, 3},
			[3]int{0, 1, 0}, [3]int{0, 1, 1}, [3]int{0, 1, 2}, [3]int{0, 1, 3}, [3]int{0, 2, 0}, [3]int{0, 2, 1}, [3]int{0, 2, 2}),
			volume(1, 4, 4, [3]int{0, 3, 3}), 1},
		// Opposite corners of a 2x2x2 volume: coordinates / (2,2,2) differ by
		// 0.5 on each axis, distance sqrt(0.75), normalised by sqrt(3): 0.5.
		{"opposite corners", volume(2, 2, 2, [3]int{1, 1, 1}), volume(2, 2, 2, [3]int{0, 0, 0}), math.Sqrt(0.75) / math.Sqrt(3)},
		// Truth {(0,0,0)}, prediction {(0,0,0),(0,0,3)} in 1x1x4: the extra
		// voxel is 3/4 away, so 0.75/sqrt(3).
		{"one extra voxel", volume(1, 1, 4, [3]int{0, 0, 0}, [3]int{0, 0, 3}), volume(1, 1, 4, [3]int{0, 0, 0}), 0.75 / math.Sqrt(3)},
		// Shapes differ (prediction has a third slice): coordinates are
		// normalised by the true shape (2, 1, 1), so slice 2 is at z = 1.
		{"extra slice", volume(3, 1, 1, [3]int{0, 0, 0}, [3]int{2, 0, 0}), volume(2, 1, 1, [3]int{0, 0, 0}), 1 / math.Sqrt(3)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := mask.Hausdorff(tc.pred, tc.truth); got != tc.want {
				t.Fatalf("Hausdorff = %v, want %v", got, tc.want)
			}
		})
	}
	if !math.IsNaN(mask.Hausdorff(volume(1, 2, 2), volume(1, 2, 2))) {
		t.Fatal("two empty volumes must give NaN")
	}
}

// TestHausdorffBruteForce compares the k-d tree with an exhaustive search
// on random volumes.
func TestHausdorffBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		z, h, w := 1+rng.IntN(4), 1+rng.IntN(9), 1+rng.IntN(9)
		var pv, tv [][3]int
		pp, tp := rng.Float64(), rng.Float64()*0.6
		for a := range z {
			for y := range h {
				for x := range w {
					if rng.Float64() < pp {
						pv = append(pv, [3]int{a, y, x})
					}
					if rng.Float64() < tp {
						tv = append(tv, [3]int{a, y, x})
					}
				}
			}
		}
		got := mask.Hausdorff(volume(z, h, w, pv...), volume(z, h, w, tv...))
		want := bruteHausdorff(pv, tv, [3]float64{float64(z), float64(h), float64(w)})
		if !(got == want || math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("Hausdorff = %v, brute force %v (pred %v truth %v)", got, want, pv, tv)
		}
	}
}

func bruteHausdorff(pv, tv [][3]int, norm [3]float64) float64 {
	switch {
	case len(pv) == 0 && len(tv) == 0:
		return math.NaN()
	case reflect.DeepEqual(sorted(pv), sorted(tv)):
		return 0
	case len(pv) == 0 || len(tv) == 0 || len(pv) > 10*len(tv):
		return 1
	}
	dir := func(a, b [][3]int) float64 {
		worst := 0.0
		for _, p := range a {
			best := math.Inf(1)
			for _, q := range b {
				d := 0.0
				for k := range 3 {
					e := float64(p[k])/norm[k] - float64(q[k])/norm[k]
					d += e * e
				}
				best = min(best, d)
			}
			worst = max(worst, best)
		}
		return math.Sqrt(worst)
	}
	return max(dir(tv, pv), dir(pv, tv)) / math.Sqrt(3)
}

func sorted(v [][3]int) [][3]int {
	out := append([][3]int(nil), v...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			a, b := out[i], out[j]
			if b[0] < a[0] || b[0] == a[0] && (b[1] < a[1] || b[1] == a[1] && b[2] < a[2]) {
				out[i], out[j] = b, a
			}
		}
	}
	return out
}

// FuzzDecode: any string decodes without panic, to sorted, disjoint runs
// inside the image or a typed error, and the same in pieces as whole.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"1 3 10 2", "", "5 1 3 1", "1 2 5", "٣ 1", "1\u00a02", "99999999999999999999 1", "1 99999999999999999999", "-1 2", "1 0", "\xe3\x80"} {
		f.Add(s, uint16(16), uint64(1))
	}
	f.Fuzz(func(t *testing.T, s string, size uint16, seed uint64) {
		runs, err := mask.Decode(s, int(size), 1)
		if err != nil {
			var re *mask.RLEError
			if !errors.As(err, &re) || re.Pair < 1 {
				t.Fatalf("error %v is not a *RLEError with a pair", err)
			}
		}
		var last int64
		for _, r := range runs {
			if r.Start < last || r.End <= r.Start || r.End > int64(size) {
				t.Fatalf("bad run %v after %d in image of %d", r, last, size)
			}
			last = r.End
		}
		got, gerr := decodeChunked(s, int64(size), rand.New(rand.NewPCG(seed, seed)))
		if (gerr == nil) != (err == nil) || (err == nil && !reflect.DeepEqual(got, runs)) {
			t.Fatalf("pieces %v %v, whole %v %v", got, gerr, runs, err)
		}
	})
}
