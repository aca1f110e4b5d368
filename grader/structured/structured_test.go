package structured_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader/structured"
)

// grade runs a grader on CSV texts.
func grade(t *testing.T, fn structured.Func, sub, ans string) (float64, error) {
	t.Helper()
	return fn(context.Background(), strings.NewReader(sub), strings.NewReader(ans))
}

type gradeCase struct {
	name string
	sub  string
	want float64 // NaN for a NaN score
}

func runValid(t *testing.T, fn structured.Func, ans string, cases []gradeCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := grade(t, fn, tc.sub, ans)
			if err != nil {
				t.Fatalf("grade: %v", err)
			}
			if !(got == tc.want || math.IsNaN(got) && math.IsNaN(tc.want)) {
				t.Fatalf("score = %v, want %v", got, tc.want)
			}
		})
	}
}

type invalidCase struct {
	name string
	sub  string
	row  int // expected row of the *Invalid, -1 to not check
}

func runInvalid(t *testing.T, fn structured.Func, ans string, cases []invalidCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := grade(t, fn, tc.sub, ans)
			var inv *structured.Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("score %v, error %v; want *Invalid", got, err)
			}
			if tc.row >= 0 && inv.Row != tc.row {
				t.Fatalf("invalid at row %d, want %d: %v", inv.Row, tc.row, err)
			}
		})
	}
}

// Record 1 is the first column of a 4x4 image, record 2 is empty. The
// global Dice pools every pixel: predicting pixels 1-2 of record 1 and
// pixels 3-4 of record 2 gives 2*2 / (4 + 4) = 0.5.
const contrailsAnswers = "record_id,encoded_pixels,height,width\n1,1 4,4,4\n2,-,4,4\n"

func TestContrails(t *testing.T) {
	runValid(t, structured.Contrails, contrailsAnswers, []gradeCase{
		{"half", "record_id,encoded_pixels\n2,3 2\n1,1 2\n", 0.5},
		{"perfect", "record_id,encoded_pixels\n1,1 4\n2,-\n", 1},
		{"nothing predicted", "record_id,encoded_pixels\n1,-\n2,-\n", 0},
		{"numeric ids compare as numbers", "record_id,encoded_pixels,extra\n1.0,1 4,x\n2,-,y\n", 1},
	})
	runValid(t, structured.Contrails, "record_id,encoded_pixels,height,width\n1,-,4,4\n", []gradeCase{
		{"both empty everywhere is NaN", "record_id,encoded_pixels\n1,-\n", math.NaN()},
	})
	runInvalid(t, structured.Contrails, contrailsAnswers, []invalidCase{
		{"empty cell is NaN", "record_id,encoded_pixels\n1,1 4\n2,\n", 2},
		{"unknown id", "record_id,encoded_pixels\n1,1 4\n3,-\n", 2},
		{"duplicate id", "record_id,encoded_pixels\n1,1 4\n1,-\n", 2},
		{"missing row", "record_id,encoded_pixels\n1,1 4\n", 0},
		{"extra row", "record_id,encoded_pixels\n1,1 4\n2,-\n1,-\n", 0},
		{"unsorted runs", "record_id,encoded_pixels\n1,5 1 1 1\n2,-\n", 1},
		{"overlapping runs", "record_id,encoded_pixels\n1,1 3 2 1\n2,-\n", 1},
		{"zero length", "record_id,encoded_pixels\n1,1 0\n2,-\n", 1},
		{"not integers", "record_id,encoded_pixels\n1,1.5 2\n2,-\n", 1},
		{"missing column", "record_id,pixels\n1,1 4\n2,-\n", 0},
		{"more fields than header", "record_id,encoded_pixels\n1,1 4,9\n2,-\n", 1},
	})
}

// Three 2x2 images: a (true pixels 1-2, predicted pixel 1: Dice 2/3),
// b (true and predicted pixel 4: Dice 1), c (both empty: 1). Mean 8/9.
const hubmapAnswers = "id,encoding,width_pixels,height_pixels\na,1 2,2,2\nc, ,2,2\nb,4 1,2,2\n"

func TestHuBMAP(t *testing.T) {
	runValid(t, structured.HuBMAP, hubmapAnswers, []gradeCase{
		{"mixed", "id,predicted\nb,4 1\na,1 1\nc,\n", (2.0/3 + 1 + 1) / 3},
		{"all wrong", "id,predicted\na,3 2\nb,1 1\nc,1 1\n", 0},
		{"NaN markers are empty masks", "id,predicted\na,1 2\nb,4 1\nc,nan\n", 1},
		{"run past the image is cut", "id,predicted\na,1 2\nb,4 100\nc,\n", 1},
	})
	runInvalid(t, structured.HuBMAP, hubmapAnswers, []invalidCase{
		{"ids differ", "id,predicted\na,1 2\nb,4 1\nd,\n", 3},
		{"bad rle", "id,predicted\na,1 2\nb,x\nc,\n", 2},
		{"numeric column is not strings", "id,predicted\na,1\nb,4\nc,\n", 1},
		{"too few rows", "id,predicted\na,1 2\nb,4 1\n", 0},
	})
}

// tgs images are 101x101. x1 has 100 salt pixels, predicted 60 of them
// (IoU 0.6 > 0.5, 0.55: 0.2); x2 is empty, predicted empty (1); x3 is
// 7345/10201 = 72% salt, predicted empty: the reference's histogram quirk
// scores it as IoU 0.72 (0.5). Mean 1.7/3.
const tgsAnswers = "id,rle_mask\nx1,1 100\nx2,\nx3,1 7345\n"

func TestTGSSalt(t *testing.T) {
	runValid(t, structured.TGSSalt, tgsAnswers, []gradeCase{
		{"known", "id,rle_mask\nx1,1 60\nx2,\nx3,\n", (0.2 + 1 + 0.5) / 3},
		{"perfect", "rle_mask,id\n1 100,x1\n,x2\n1 7345,x3\n", 1},
		{"salt on an empty image", "id,rle_mask\nx1,1 100\nx2,5 5\nx3,1 7345\n", 2.0 / 3},
	})
	runInvalid(t, structured.TGSSalt, tgsAnswers, []invalidCase{
		{"extra column", "id,rle_mask,score\nx1,1 100,1\nx2,,1\nx3,,1\n", 0},
		{"duplicate column", "id,rle_mask,id\nx1,1 100,x1\nx2,,x2\nx3,,x3\n", 0},
		{"negative start", "id,rle_mask\nx1,-1 100\nx2,\nx3,\n", 1},
		{"ids differ", "id,rle_mask\nx1,1 100\nx2,\nx4,\n", 3},
	})
}

// uw-madison: one case-day of two 2x2 slices. Rows are positional; Dice
// over rows (2/3, skipped, 0, skipped) is 1/3; the volumes are truth
// {(0,0,0),(0,1,0)} and prediction {(0,0,0),(1,1,1)}, whose symmetric
// Hausdorff distance after dividing coordinates by (2,2,2) is sqrt(0.5),
// normalised by sqrt(3).
const uwAnswers = "id,class,predicted,image_height,image_width\n" +
	"case1_day1_slice_0001,stomach,1 2,2,2\n" +
	"case1_day1_slice_0001,large_bowel,,2,2\n" +
	"case1_day1_slice_0002,stomach,,2,2\n" +
	"case1_day1_slice_0002,large_bowel,,2,2\n"

func TestUWMadison(t *testing.T) {
	want := 0.4*(1.0/3) + 0.6*(1-math.Sqrt(0.5)/math.Sqrt(3))
	runValid(t, structured.UWMadison, uwAnswers, []gradeCase{
		{"known", "id,class,predicted\n" +
			"case1_day1_slice_0001,stomach,1 1\n" +
			"case1_day1_slice_0001,large_bowel,\n" +
			"case1_day1_slice_0002,stomach,4 1\n" +
			"case1_day1_slice_0002,large_bowel,\n", want},
		// The class column must exist but is not used, and rows past the
		// answers are never decoded.
		{"class ignored, extra rows ignored", "predicted,class,id\n" +
			"1 1,x,case1_day1_slice_0001\n" +
			",x,case1_day1_slice_0001\n" +
			"4 1,x,case1_day1_slice_0002\n" +
			",x,case1_day1_slice_0002\n" +
			"not an rle,x,whatever\n", want},
		{"perfect", "id,class,predicted\n" +
			"case1_day1_slice_0001,stomach,1 2\n" +
			"case1_day1_slice_0001,large_bowel,\n" +
			"case1_day1_slice_0002,stomach,\n" +
			"case1_day1_slice_0002,large_bowel,\n", 1},
		// Fewer rows: only those are compared (no row-count check).
		{"short submission", "id,class,predicted\ncase1_day1_slice_0001,stomach,1 2\n", 1},
	})
	runInvalid(t, structured.UWMadison, uwAnswers, []invalidCase{
		{"no class column", "id,predicted\ncase1_day1_slice_0001,1 2\n", 0},
		{"missing id", "id,class,predicted\n,stomach,1 2\n", 1},
		{"bad rle", "id,class,predicted\ncase1_day1_slice_0001,stomach,2 1 1 1\n", 1},
	})
}

// Vesuvius: a is 4x2 with true pixels 1-4, b 4x2 with 2-4. Predicting
// pixels 1-2 of a: F0.5 = 1.25*2/(0.25*4+2) = 5/6; pixels 5-8 of b: 0.
const vesuviusAnswers = "Id,Predicted,width,height\na,1 4,4,2\nb,2 3,4,2\n"

func TestVesuvius(t *testing.T) {
	runValid(t, structured.Vesuvius, vesuviusAnswers, []gradeCase{
		{"known", "Id,Predicted\na,1 2\nb,5 4\n", (1.25 * 2 / 3) / 2},
		{"perfect", "Predicted,Id\n1 4,a\n2 3,b\n", 1},
	})
	runInvalid(t, structured.Vesuvius, vesuviusAnswers, []invalidCase{
		{"rows out of order", "Id,Predicted\nb,2 3\na,1 4\n", 1},
		{"extra column", "Id,Predicted,x\na,1 4,1\nb,2 3,1\n", 0},
		{"empty cell", "Id,Predicted\na,1 4\nb,\n", 2},
		{"row count", "Id,Predicted\na,1 4\n", 0},
	})
}

// Lyft: s1 has a car predicted 1 m off along its length (IoU 0.6: AP 1 at
// 0.5 and 0.55, 0 above: mean 0.2); s2 has a car (predicted exactly: AP 1)
// and a pedestrian (not predicted: AP 0), mean 0.5. Overall 0.35.
const lyftAnswers = "Id,PredictionString\n" +
	"s1,1.0 0 0 0 2 4 2 0 car\n" +
	"s2,1.0 10 10 0 2 4 2 0 car 1.0 20 20 0 1 1 2 0 pedestrian\n"

func TestLyft3D(t *testing.T) {
	runValid(t, structured.Lyft3D, lyftAnswers, []gradeCase{
		{"known", "Id,PredictionString\ns2,0.8 10 10 0 2 4 2 0 car\ns1,0.9 1 0 0 2 4 2 0 car\n", 0.35},
		{"empty prediction", "Id,PredictionString\ns1,0.9 1 0 0 2 4 2 0 car\ns2,\n", 0.1},
		{"bad box of an unscored class", "Id,PredictionString\ns1,0.9 1 0 0 2 4 2 0 car 0.5 nan 0 0 1 1 1 0 bus\ns2,\n", 0.1},
	})
	runInvalid(t, structured.Lyft3D, lyftAnswers, []invalidCase{
		{"eight tokens", "Id,PredictionString\ns1,1 0 0 2 4 2 0 car\ns2,\n", 1},
		{"double space", "Id,PredictionString\ns1,0.9 1 0 0 2 4 2 0  car\ns2,\n", 1},
		{"zero size car", "Id,PredictionString\ns1,0.9 1 0 0 0 4 2 0 car\ns2,\n", 1},
		{"ids differ", "Id,PredictionString\ns1,\ns3,\n", 2},
	})
}

// siim: opacity pairs (0,.9) (1,.3) (1,0) and two (0,0)/(0,.1) negatives
// give AP 0.5, "none" AP 1: mean 0.75 (scikit-learn agrees).
const siimAnswers = "id,PredictionString\n" +
	"A_image,opacity 1 0 0 10 10\n" +
	"B_image,none 1 0 0 1 1\n" +
	"C_image,opacity 1 0 0 4 4\n"

func TestSIIMCovid(t *testing.T) {
	runValid(t, structured.SIIMCovid, siimAnswers, []gradeCase{
		{"known", "id,PredictionString\n" +
			"A_image,opacity 0.9 50 50 60 60 opacity 0.3 0 0 10 10\n" +
			"C_image,none 0.1 0 0 1 1\n" +
			"B_image,none 0.8 0 0 1 1\n", 0.75},
	})
	runInvalid(t, structured.SIIMCovid, siimAnswers, []invalidCase{
		{"empty cell", "id,PredictionString\nA_image,\nB_image,none 1 0 0 1 1\nC_image,none 1 0 0 1 1\n", 1},
		{"five tokens", "id,PredictionString\nA_image,none 1 0 0 1\nB_image,none 1 0 0 1 1\nC_image,none 1 0 0 1 1\n", 1},
		{"infinite confidence", "id,PredictionString\nA_image,opacity inf 0 0 1 1\nB_image,none 1 0 0 1 1\nC_image,none 1 0 0 1 1\n", 0},
	})
	// Every image has an opacity box and all are found: every opacity pair
	// is positive, and the reference's assertion fails.
	runInvalid(t, structured.SIIMCovid, "id,PredictionString\nA_image,opacity 1 0 0 10 10\nB_image,opacity 1 0 0 4 4\n", []invalidCase{
		{"all positive", "id,PredictionString\nA_image,opacity 1 0 0 10 10\nB_image,opacity 0.5 0 0 4 4\n", 0},
	})
}

// vinbigdata: see boxes.TestCOCO for the hand computation; image a's
// "No finding" box is the first answers row (id 0), so predicting it is a
// false positive.
const vinAnswers = "image_id,class_name,class_id,rad_id,x_min,y_min,x_max,y_max\n" +
	"a,No finding,14,R1,0,0,1,1\n" +
	"b,Aortic enlargement,0,R2,10,10,20,20\n" +
	"c,No finding,14,R1,0,0,1,1\n"

func TestVinBigData(t *testing.T) {
	eps := math.Nextafter(1, 2) - 1
	want := (101*(1/(1+eps)) + 51*(1/(2+eps))) / 202
	got, err := grade(t, structured.VinBigData, "image_id,PredictionString\n"+
		"a,14 1 0 0 1 1\n"+
		"b,0 0.9 10 10 20 20 0 0.5 100 100 110 110 3 0.99 10 10 20 20\n"+
		"c,14 1 0 0 1 1\n", vinAnswers)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-15 {
		t.Fatalf("score = %v, want %v", got, want)
	}
	// Rows of one image add up and order does not matter for the set check.
	got2, err := grade(t, structured.VinBigData, "image_id,PredictionString\n"+
		"a,14 1 0 0 1 1\n"+
		"b,0 0.9 10 10 20 20\n"+
		"c,14 1 0 0 1 1\n"+
		"b,0 0.5 100 100 110 110\n", vinAnswers)
	if err != nil || math.Abs(got2-want) > 1e-15 {
		t.Fatalf("split rows: %v, %v; want %v", got2, err, want)
	}
	runInvalid(t, structured.VinBigData, vinAnswers, []invalidCase{
		{"image missing", "image_id,PredictionString\na,14 1 0 0 1 1\nb,14 1 0 0 1 1\n", 0},
		{"unknown image", "image_id,PredictionString\na,14 1 0 0 1 1\nb,14 1 0 0 1 1\nc,14 1 0 0 1 1\nd,14 1 0 0 1 1\n", 4},
		{"empty cell", "image_id,PredictionString\na,\nb,14 1 0 0 1 1\nc,14 1 0 0 1 1\n", 1},
		{"five numbers", "image_id,PredictionString\na,14 1 0 0 1\nb,14 1 0 0 1 1\nc,14 1 0 0 1 1\n", 1},
		{"nan class", "image_id,PredictionString\na,nan 1 0 0 1 1\nb,14 1 0 0 1 1\nc,14 1 0 0 1 1\n", 1},
	})
}

// Kuzushiji: page p1 has A and B, predicted A, B and an extra A (2 TP, 1
// FP); page p2 has no characters (NaN) and one prediction (1 FP).
// Precision 0.5, recall 1, F1 2/3.
const kuzushijiAnswers = "image_id,labels\np1,A 0 0 10 10 B 20 20 5 5\np2,\n"

func TestKuzushiji(t *testing.T) {
	runValid(t, structured.Kuzushiji, kuzushijiAnswers, []gradeCase{
		{"known", "image_id,labels\np2,C 1 1\np1,A 5 5 B 22 22 A 5 5\n", 2 * 0.5 * 1 / 1.5},
		{"perfect", "image_id,labels\np1,A 5 5 B 22 22\np2,\n", 1},
		{"nothing", "image_id,labels\np1,\np2,\n", 0},
	})
	runInvalid(t, structured.Kuzushiji, kuzushijiAnswers, []invalidCase{
		{"two tokens", "image_id,labels\np1,A 5\np2,\n", 1},
		{"x not a number", "image_id,labels\np1,A x 5\np2,\n", 1},
		{"ids differ", "image_id,labels\np1,\np3,\n", 2},
		{"row count", "image_id,labels\np1,\n", 0},
	})
}

func TestGradersCoverNine(t *testing.T) {
	if len(structured.Graders) != 9 {
		t.Fatalf("%d graders, want 9", len(structured.Graders))
	}
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var sb strings.Builder
	sb.WriteString("id,predicted\n")
	ans := "id,encoding,width_pixels,height_pixels\n"
	for i := range 5000 {
		sb.WriteString("i" + itoa(i) + ",1 1\n")
		ans += "i" + itoa(i) + ",1 1,2,2\n"
	}
	_, err := structured.HuBMAP(ctx, strings.NewReader(sb.String()), strings.NewReader(ans))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// Contrails record ids have 19 digits: ids 1 apart must not collide.
func TestLongIntegerIDs(t *testing.T) {
	ans := "record_id,encoded_pixels,height,width\n1000216489776414077,1 1,2,2\n1000216489776414078,-,2,2\n"
	got, err := grade(t, structured.Contrails, "record_id,encoded_pixels\n1000216489776414078,-\n1000216489776414077,1 1\n", ans)
	if err != nil || got != 1 {
		t.Fatalf("score %v, error %v; want 1", got, err)
	}
	got, err = grade(t, structured.Contrails, "record_id,encoded_pixels\n1000216489776414077,-\n1000216489776414078,1 1\n", ans)
	if err != nil || got != 0 {
		t.Fatalf("swapped masks: score %v, error %v; want 0", got, err)
	}
}

// FuzzGraders feeds arbitrary submissions to all nine graders: none may
// panic, and every rejection must be an *Invalid (the answers are fine).
func FuzzGraders(f *testing.F) {
	answers := map[string]string{
		"google-research-identify-contrails-reduce-global-warming": contrailsAnswers,
		"hubmap-kidney-segmentation":                               hubmapAnswers,
		"tgs-salt-identification-challenge":                        tgsAnswers,
		"uw-madison-gi-tract-image-segmentation":                   uwAnswers,
		"vesuvius-challenge-ink-detection":                         vesuviusAnswers,
		"3d-object-detection-for-autonomous-vehicles":              lyftAnswers,
		"siim-covid19-detection":                                   siimAnswers,
		"vinbigdata-chest-xray-abnormalities-detection":            vinAnswers,
		"kuzushiji-recognition":                                    kuzushijiAnswers,
	}
	for _, s := range []string{
		"record_id,encoded_pixels\n2,3 2\n1,1 2\n", "id,predicted\nb,4 1\na,1 1\nc,\n", "id,rle_mask\nx1,1 60\nx2,\nx3,\n",
		"id,class,predicted\ncase1_day1_slice_0001,stomach,1 1\n", "Id,Predicted\na,1 2\nb,5 4\n",
		"Id,PredictionString\ns2,0.8 10 10 0 2 4 2 0 car\ns1,0.9 1 0 0 2 4 2 0 car\n",
		"id,PredictionString\nA_image,opacity 0.9 50 50 60 60\nC_image,none 0.1 0 0 1 1\nB_image,none 0.8 0 0 1 1\n",
		"image_id,PredictionString\na,14 1 0 0 1 1\nb,0 0.9 10 10 20 20\nc,14 1 0 0 1 1\n",
		"image_id,labels\np2,C 1 1\np1,A 5 5 B 22 22 A 5 5\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sub string) {
		for id, fn := range structured.Graders {
			_, err := fn(context.Background(), strings.NewReader(sub), strings.NewReader(answers[id]))
			var inv *structured.Invalid
			if err != nil && !errors.As(err, &inv) {
				t.Fatalf("%s: error %v is not an *Invalid", id, err)
			}
		}
	})
}
