package boxes_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader/boxes"
)

func TestParseSIIM(t *testing.T) {
	got, err := boxes.ParseSIIM(" opacity 0.5 1 2 3 4\tnone 1 0 0 1 1 ")
	if err != nil {
		t.Fatal(err)
	}
	want := []boxes.Box{{"opacity", 0.5, 1, 2, 3, 4}, {"none", 1, 0, 0, 1, 1}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("ParseSIIM = %v, want %v", got, want)
	}
	for _, bad := range []string{"opacity 0.5 1 2 3", "opacity x 1 2 3 4", "opacity 0.5 1 2 3 4 extra"} {
		if _, err := boxes.ParseSIIM(bad); err == nil {
			t.Errorf("ParseSIIM(%q) accepted", bad)
		}
	}
	if got, err := boxes.ParseSIIM("   "); err != nil || len(got) != 0 {
		t.Errorf("blank string: %v, %v", got, err)
	}
}

func TestParseSingleSpace(t *testing.T) {
	tests := []struct {
		name string
		fn   func(string) error
		in   string
		ok   bool
	}{
		{"vin ok", vin, "14 1 0 0 1 1", true},
		{"vin float class", vin, "2.7 0.5 1 2 3 4", true},
		{"vin double space", vin, "14 1  0 0 1 1", false},
		{"vin short", vin, "14 1 0 0 1", false},
		{"vin nan class", vin, "nan 1 0 0 1 1", false},
		{"vin empty", vin, "", false},
		{"lyft ok", lyft, "0.9 1 2 3 2 4 1.5 0.1 car", true},
		{"lyft blank", lyft, "  ", true},
		{"lyft eight tokens", lyft, "1 2 3 2 4 1.5 0.1 car", false},
		{"lyft trailing space", lyft, "0.9 1 2 3 2 4 1.5 0.1 car ", false},
		{"lyft infinite yaw", lyft, "0.9 1 2 3 2 4 1.5 inf car", false},
		{"lyft nan yaw parses", lyft, "0.9 1 2 3 2 4 1.5 nan car", true},
		{"kuzushiji ok", kuz, "U+3042 1.5 2 U+3044 3 4", true},
		{"kuzushiji bad x", kuz, "U+3042 x 2", false},
		{"kuzushiji two tokens", kuz, "U+3042 1", false},
		{"kuzushiji empty label", kuz, " 1 2", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fn(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("parse(%q) error = %v, want ok=%v", tc.in, err, tc.ok)
			}
			var pe *boxes.ParseError
			if err != nil && !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
		})
	}
	d, _ := boxes.ParseVinBigData("-2.7 0.5 1 2 3 4")
	if d[0].Class != -2 || !d[0].ClassInRange {
		t.Fatalf("int(-2.7) should be -2, got %+v", d[0])
	}
}

func vin(s string) error  { _, err := boxes.ParseVinBigData(s); return err }
func lyft(s string) error { _, err := boxes.ParseLyft(s); return err }
func kuz(s string) error  { _, err := boxes.ParseKuzushiji(s); return err }

func TestIoU2D(t *testing.T) {
	a := boxes.Box{XMin: 0, YMin: 0, XMax: 10, YMax: 10}
	b := boxes.Box{XMin: 5, YMin: 0, XMax: 15, YMax: 10}
	if got := boxes.IoU2D(a, b); got != 50.0/150 {
		t.Fatalf("IoU2D = %v, want 1/3", got)
	}
	n := boxes.Box{XMin: math.NaN(), YMin: 0, XMax: 10, YMax: 10}
	if got := boxes.IoU2D(n, a); got != 0 {
		t.Fatalf("IoU2D with NaN = %v, want 0", got)
	}
}

// Three images: A has one opacity box, predicted twice (the higher
// confidence one misses); B has a "none" box, predicted; C has an opacity
// box nobody predicted. Opacity pairs (0,.9) (1,.3) (0,0) (1,0) give AP 0.5,
// "none" pairs (0,0) (1,.8) (0,0) give AP 1, mean 0.75 (checked with
// scikit-learn's average_precision_score).
func TestVOC(t *testing.T) {
	v := boxes.NewVOC([]string{"opacity", "none", "opacity"})
	v.AddImage(
		[]boxes.Box{{"opacity", 0.9, 50, 50, 60, 60}, {"opacity", 0.3, 0, 0, 10, 10}},
		[]boxes.Box{{"opacity", 1, 0, 0, 10, 10}})
	v.AddImage([]boxes.Box{{"none", 0.8, 0, 0, 1, 1}}, []boxes.Box{{"none", 1, 0, 0, 1, 1}})
	v.AddImage(nil, []boxes.Box{{"opacity", 1, 0, 0, 4, 4}})
	got, err := v.MAP()
	if err != nil {
		t.Fatal(err)
	}
	if got != 0.75 {
		t.Fatalf("MAP = %v, want 0.75", got)
	}
}

func TestVOCErrors(t *testing.T) {
	v := boxes.NewVOC([]string{"opacity"})
	v.AddImage([]boxes.Box{{"opacity", 1, 0, 0, 10, 10}}, []boxes.Box{{"opacity", 1, 0, 0, 10, 10}})
	if _, err := v.MAP(); !errors.Is(err, boxes.ErrAllPositive) {
		t.Fatalf("all-positive class: error = %v", err)
	}
	v = boxes.NewVOC([]string{"opacity"})
	v.AddImage([]boxes.Box{{"opacity", math.Inf(1), 0, 0, 1, 1}}, nil)
	if _, err := v.MAP(); !errors.Is(err, boxes.ErrNotFinite) {
		t.Fatalf("infinite confidence: error = %v", err)
	}
	v = boxes.NewVOC([]string{"opacity"})
	v.AddImage([]boxes.Box{{"other", math.NaN(), 0, 0, 1, 1}}, []boxes.Box{{"opacity", 1, 0, 0, 1, 1}})
	v.AddImage(nil, nil)
	if _, err := v.MAP(); err != nil {
		t.Fatalf("NaN confidence of an unscored class must be ignored: %v", err)
	}
}

func TestAveragePrecision(t *testing.T) {
	// scikit-learn: average_precision_score([1,0,1,0,1], [.5,.5,.2,.9,.2]).
	got, err := boxes.AveragePrecision([]bool{true, false, true, false, true}, []float64{.5, .5, .2, .9, .2})
	if err != nil {
		t.Fatal(err)
	}
	if got != 0.5111111111111111 {
		t.Fatalf("AP = %v, want 0.5111111111111111", got)
	}
}

// cocoCase builds the vinbigdata setup: images a, b, c; a and c are "No
// finding" (class 14, box 0 0 1 1), b has a class-0 box.
func cocoCase() *boxes.COCO {
	c := boxes.NewCOCO(0.4)
	a, b, cc := c.AddImage(), c.AddImage(), c.AddImage()
	c.AddTruth(a, 14, 0, 0, 1, 1) // id 0: the quirk's victim
	c.AddTruth(b, 0, 10, 10, 20, 20)
	c.AddTruth(cc, 14, 0, 0, 1, 1)
	return c
}

func det(class int64, score, x0, y0, x1, y1 float64) boxes.Detection {
	return boxes.Detection{Class: class, ClassInRange: true, Score: score, XMin: x0, YMin: y0, XMax: x1, YMax: y1}
}

func TestCOCO(t *testing.T) {
	c := cocoCase()
	c.AddDetection(0, det(14, 1, 0, 0, 1, 1))          // id 0, matches truth id 0: counted as a false positive
	c.AddDetection(1, det(0, 0.9, 10, 10, 20, 20))     // true positive
	c.AddDetection(1, det(0, 0.5, 100, 100, 110, 110)) // false positive
	c.AddDetection(1, det(3, 0.99, 10, 10, 20, 20))    // category not in the truth: ignored
	c.AddDetection(2, det(14, 1, 0, 0, 1, 1))          // true positive
	// Class 0: precision 1/(1+eps) at every recall threshold. Class 14:
	// detections (FP, TP) at score 1 give recall 0.5 with precision
	// 1/(2+eps) for the 51 thresholds 0..0.5 and 0 above.
	eps := math.Nextafter(1, 2) - 1
	want := (101*(1/(1+eps)) + 51*(1/(2+eps))) / 202
	if got := c.Evaluate(); math.Abs(got-want) > 1e-15 {
		t.Fatalf("Evaluate = %v, want %v", got, want)
	}
}

func TestCOCOQuirks(t *testing.T) {
	// Without the id-0 quirk, detection 0 of image a would be a true
	// positive and class 14 would score 1: here it is a false positive.
	c := cocoCase()
	c.AddDetection(2, det(14, 1, 0, 0, 1, 1))
	c.AddDetection(1, det(0, 0.9, 10, 10, 20, 20))
	c.AddDetection(0, det(14, 0.5, 0, 0, 1, 1))
	// Class 14: TP (c, score 1) then FP (a, 0.5): recall 0.5 at precision
	// 1/(1+eps) for thresholds 0..0.5. Class 0: detection id 1 is a TP.
	eps := math.Nextafter(1, 2) - 1
	want := (101*(1/(1+eps)) + 51*(1/(1+eps))) / 202
	if got := c.Evaluate(); math.Abs(got-want) > 1e-15 {
		t.Fatalf("Evaluate = %v, want %v", got, want)
	}

	// Detection id 0 does not use up its true box: a second detection of
	// the same box also matches, so both are true positives.
	c = boxes.NewCOCO(0.4)
	x, y := c.AddImage(), c.AddImage()
	c.AddTruth(x, 1, 0, 0, 5, 5)
	c.AddTruth(y, 1, 0, 0, 5, 5) // id 1
	c.AddDetection(y, det(1, 0.9, 0, 0, 5, 5))
	c.AddDetection(y, det(1, 0.8, 0, 0, 5, 5))
	// Sorted: 0.9 (TP on id 1, gtm = 0: free again), 0.8 (TP on id 1).
	// npig 2, tp [1, 2], recall [0.5, 1], precision 1/(1+eps), 2/(2+eps).
	eps = math.Nextafter(1, 2) - 1
	want = (51*(1/(1+eps)) + 50*(2/(2+eps))) / 101
	if got := c.Evaluate(); math.Abs(got-want) > 1e-15 {
		t.Fatalf("Evaluate = %v, want %v", got, want)
	}
}

func TestCOCOMaxDets(t *testing.T) {
	c := boxes.NewCOCO(0.4)
	img := c.AddImage()
	c.AddTruth(img, 0, 50, 50, 10, 10) // id 0 (never a TP)
	c.AddTruth(img, 0, 0, 0, 10, 10)   // id 1
	// 150 false positives with higher scores push the true positive out of
	// the 100 kept detections.
	for i := range 150 {
		c.AddDetection(img, det(0, 0.9, float64(1000+i), 1000, 1, 1))
	}
	c.AddDetection(img, det(0, 0.1, 0, 0, 10, 10))
	if got := c.Evaluate(); got != 0 {
		t.Fatalf("Evaluate = %v, want 0 (the true positive is the 151st detection)", got)
	}
}

func obj(name string, conf, x, y, z, w, l, h, yaw float64) boxes.Object3D {
	return boxes.Object3D{Conf: conf, X: x, Y: y, Z: z, Width: w, Length: l, Height: h, Yaw: yaw, Name: name}
}

func TestLyftSample(t *testing.T) {
	mean := func(v []float64) float64 {
		s := 0.0
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	tests := []struct {
		name        string
		truth, pred []boxes.Object3D
		want        float64
	}{
		{"exact", []boxes.Object3D{obj("car", 1, 0, 0, 0, 2, 4, 2, 0)}, []boxes.Object3D{obj("car", 0.9, 0, 0, 0, 2, 4, 2, 0)}, 1},
		// Shifted 1 m along its length: 3x2 of 4x2 overlap, IoU 12/20 = 0.6,
		// which exceeds only the thresholds 0.5 and 0.55.
		{"shifted", []boxes.Object3D{obj("car", 1, 0, 0, 0, 2, 4, 2, 0)}, []boxes.Object3D{obj("car", 0.9, 1, 0, 0, 2, 4, 2, 0)}, 0.2},
		// A 2x2 square against itself turned 45 degrees: the overlap is an
		// octagon, IoU 1/sqrt(2) = 0.707, above 0.5..0.7: five of ten.
		{"rotated 45", []boxes.Object3D{obj("car", 1, 0, 0, 0, 2, 2, 1, 0)}, []boxes.Object3D{obj("car", 0.9, 0, 0, 0, 2, 2, 1, math.Pi/4)}, 0.5},
		{"wrong class", []boxes.Object3D{obj("car", 1, 0, 0, 0, 2, 4, 2, 0)}, []boxes.Object3D{obj("bus", 0.9, 0, 0, 0, 2, 4, 2, 0)}, 0},
		// Vertical offset of half the height: IoU (16/2)/(32-8) = 1/3.
		{"lifted", []boxes.Object3D{obj("car", 1, 0, 0, 0, 2, 4, 2, 0)}, []boxes.Object3D{obj("car", 0.9, 0, 0, 1, 2, 4, 2, 0)}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := boxes.LyftSample(tc.truth, tc.pred, boxes.LyftThresholds)
			if err != nil {
				t.Fatal(err)
			}
			if m := mean(got); math.Abs(m-tc.want) > 1e-12 {
				t.Fatalf("mAP over thresholds = %v (%v), want %v", m, got, tc.want)
			}
		})
	}

	// Two cars and a pedestrian; car predictions TP(.9), FP(.8), TP(.7):
	// recall (.5,.5,1), precision (1,.5,2/3), enveloped AP = .5 + .5*2/3;
	// the pedestrian, not predicted, scores 0; mean (5/6)/2 = 5/12.
	truth := []boxes.Object3D{obj("car", 1, 0, 0, 0, 2, 4, 2, 0), obj("car", 1, 20, 0, 0, 2, 4, 2, 0), obj("pedestrian", 1, 50, 50, 0, 1, 1, 2, 0)}
	pred := []boxes.Object3D{obj("car", 0.7, 20, 0, 0, 2, 4, 2, 0), obj("car", 0.9, 0, 0, 0, 2, 4, 2, 0), obj("car", 0.8, -30, 0, 0, 2, 4, 2, 0)}
	got, err := boxes.LyftSample(truth, pred, []float64{0.5})
	if err != nil {
		t.Fatal(err)
	}
	if want := (0.5 + 0.5*(2.0/3)) / 2; math.Abs(got[0]-want) > 1e-15 {
		t.Fatalf("mAP = %v, want %v", got[0], want)
	}

	if got, _ := boxes.LyftSample(nil, pred, []float64{0.5}); !math.IsNaN(got[0]) {
		t.Fatalf("a sample without truth gives NaN, got %v", got)
	}
}

func TestLyftBadBoxes(t *testing.T) {
	truth := []boxes.Object3D{obj("car", 1, 0, 0, 0, 2, 4, 2, 0)}
	for _, p := range []boxes.Object3D{
		obj("car", 1, math.NaN(), 0, 0, 2, 4, 2, 0),
		obj("car", 1, 0, 0, 0, 0, 4, 2, 0),
		obj("car", 1, 0, 0, 0, 2, -4, 2, 0),
		obj("car", 1, 0, 0, 0, 2, 4, 2, math.NaN()),
		obj("car", 1, math.Inf(1), 0, 0, 2, 4, 2, 0.3),
		obj("car", 1, 1e12, 0, 0, 2, 4, 2, 0.3),
	} {
		if _, err := boxes.LyftSample(truth, []boxes.Object3D{p}, boxes.LyftThresholds); !errors.Is(err, boxes.ErrBadBox) {
			t.Errorf("%+v: error = %v, want ErrBadBox", p, err)
		}
	}
	// The same bad box in a class the sample does not have is never checked.
	if _, err := boxes.LyftSample(truth, []boxes.Object3D{obj("bus", 1, math.NaN(), 0, 0, 2, 4, 2, 0)}, boxes.LyftThresholds); err != nil {
		t.Errorf("unscored class checked: %v", err)
	}
}

func TestKuzushiji(t *testing.T) {
	truth, _ := boxes.ParseKuzushijiTruth("A 0 0 10 10 B 20 20 5 5 A 0 0 1 1")
	preds, _ := boxes.ParseKuzushiji("A 5 5 B 22 22 A 5 5 C 1 1 A 0 0.5")
	// A(0..10) takes the first A; B takes B; the small A(0..1) box has no
	// unused A strictly inside (0, 0.5 is on its edge).
	c := boxes.KuzushijiPage(preds, truth)
	if want := (boxes.PageCounts{TP: 2, FP: 3, FN: 1}); c != want {
		t.Fatalf("counts = %+v, want %+v", c, want)
	}
	if got, want := boxes.KuzushijiF1(c), 2*0.4*(2.0/3)/(0.4+2.0/3); got != want {
		t.Fatalf("F1 = %v, want %v", got, want)
	}
	if got := boxes.KuzushijiF1(boxes.PageCounts{FP: 3}); got != 0 {
		t.Fatalf("F1 without true positives = %v", got)
	}
}

// FuzzPredictionStrings: every parser returns objects or a *ParseError,
// never panics, and accepted strings round-trip their object count.
func FuzzPredictionStrings(f *testing.F) {
	for _, s := range []string{"opacity 0.5 1 2 3 4", "14 1 0 0 1 1", "0.9 1 2 3 2 4 1.5 0.1 car", "U+3042 1 2", "A 0 0 10 10", "", "nan inf -inf 1_0 ٣ x", "  1  2 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(n, per int, err error) {
			var pe *boxes.ParseError
			if err != nil && !errors.As(err, &pe) {
				t.Fatalf("%q: error %v is not a *ParseError", s, err)
			}
			_ = n
			_ = per
		}
		sb, err := boxes.ParseSIIM(s)
		check(len(sb), 6, err)
		if err == nil && len(sb)*6 != len(strings.Fields(strings.Map(func(r rune) rune {
			if r >= 0x1c && r <= 0x1f {
				return ' '
			}
			return r
		}, s))) {
			t.Fatalf("%q: %d boxes", s, len(sb))
		}
		vb, err := boxes.ParseVinBigData(s)
		check(len(vb), 6, err)
		if err == nil && len(vb)*6 != len(strings.Split(s, " ")) {
			t.Fatalf("%q: %d detections", s, len(vb))
		}
		lb, err := boxes.ParseLyft(s)
		check(len(lb), 9, err)
		kb, err := boxes.ParseKuzushiji(s)
		check(len(kb), 3, err)
		tb, err := boxes.ParseKuzushijiTruth(s)
		check(len(tb), 5, err)
		// Scoring what parsed must not panic either.
		if err == nil {
			boxes.KuzushijiPage(kb, tb)
		}
		if lb != nil {
			boxes.LyftSample(lb, lb, boxes.LyftThresholds)
		}
	})
}
