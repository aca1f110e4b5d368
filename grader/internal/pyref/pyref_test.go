package pyref_test

import (
	"math"
	"slices"
	"testing"

	"github.com/mlbench/mlbench/grader/internal/pyref"
)

// checkParser runs inputs through parse (named name in messages): each of
// accepts must parse to its value, each of rejects must fail.
func checkParser[T comparable](t *testing.T, name string, parse func(string) (T, error), accepts map[string]T, rejects []string) {
	t.Helper()
	for in, want := range accepts {
		t.Run(in, func(t *testing.T) {
			got, err := parse(in)
			if err != nil {
				t.Fatalf("%s(%q) error = %v, want ok=true", name, in, err)
			}
			if got != want {
				t.Fatalf("%s(%q) = %v, want %v", name, in, got, want)
			}
		})
	}
	for _, in := range rejects {
		t.Run(in, func(t *testing.T) {
			if _, err := parse(in); err == nil {
				t.Fatalf("%s(%q) error = nil, want ok=false", name, in)
			}
		})
	}
}

func TestParseFloat(t *testing.T) {
	checkParser(t, "ParseFloat", pyref.ParseFloat, map[string]float64{
		"1_000.5":    1000.5,
		"  -3e2 ":    -300,
		"٣.٥":        3.5,
		"inf":        math.Inf(1),
		"-Infinity":  math.Inf(-1),
		"1e400":      math.Inf(1),
		"1e-400":     0,
		".5":         0.5,
		"5.":         5,
		"١٢":         12,
		"\u3000 7\t": 7,
	}, []string{"0x10", "1__0", "1_", "_1", "1e", "", "1 2", "--1", "infinit"})
	if v, err := pyref.ParseFloat("-nan"); err != nil || !math.IsNaN(v) {
		t.Fatalf("ParseFloat(-nan) = %v, %v", v, err)
	}
}

func TestParseInt(t *testing.T) {
	parse := func(s string) (string, error) {
		v, err := pyref.ParseInt(s)
		if err != nil {
			return "", err
		}
		return v.String(), nil
	}
	checkParser(t, "ParseInt", parse, map[string]string{
		"007":                            "7",
		"+5":                             "5",
		"-0":                             "0",
		"1_000":                          "1000",
		"٣":                              "3",
		"  12  ":                         "12",
		"123456789012345678901234567890": "123456789012345678901234567890",
	}, []string{"1__0", "1.0", "", "1e3", "+", "٣x"})
	long := make([]byte, pyref.MaxIntDigits+1)
	for i := range long {
		long[i] = '1'
	}
	if _, err := pyref.ParseInt(string(long)); err != pyref.ErrTooManyDigits {
		t.Fatalf("ParseInt(4301 digits) error = %v, want ErrTooManyDigits", err)
	}
}

func TestFields(t *testing.T) {
	got := pyref.Fields(" a\tb\x1cc\u00a0d  ")
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(got, want) {
		t.Fatalf("Fields = %q, want %q", got, want)
	}
	if got := pyref.Fields(" \n "); len(got) != 0 {
		t.Fatalf("Fields(blank) = %q, want none", got)
	}
}

// The expected values were printed by NumPy 1.24 (np.sum, np.mean,
// np.nanmean with repr), which sums pairwise in blocks of 8192.
func TestSumMatchesNumPy(t *testing.T) {
	tenths := make([]float64, 10000)
	for i := range tenths {
		tenths[i] = 0.1
	}
	harmonic := make([]float64, 20000)
	for i := range harmonic {
		harmonic[i] = 1 / float64(i+1)
	}
	alt := make([]float64, 300)
	for i := range alt {
		v := 1.0 + float64(i)/7
		if i%3 == 0 {
			v = 1e16
		}
		if i%2 == 1 {
			v = -v
		}
		alt[i] = v
	}
	tests := []struct {
		name string
		got  float64
		want float64
	}{
		{"ten thousand tenths", pyref.Sum(tenths), 1000.0000000000002},
		{"harmonic 20000", pyref.Sum(harmonic), 10.480728217229329},
		{"alternating large", pyref.Sum(alt), -0.1428571428571459},
		{"mean of 130 sevenths", pyref.Mean(slices.Repeat([]float64{0.7}, 130)), 0.7000000000000001},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Fatalf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
	x := slices.Repeat([]float64{0.1}, 9)
	x[3] = math.NaN()
	if got := pyref.NanMean(x); got != 0.1 {
		t.Fatalf("NanMean = %v, want 0.1", got)
	}
	if !math.IsNaN(pyref.NanMean([]float64{math.NaN()})) || !math.IsNaN(pyref.Mean(nil)) {
		t.Fatal("all-NaN or empty means must be NaN")
	}
}

func TestMaxMinLikePython(t *testing.T) {
	nan := math.NaN()
	if !math.IsNaN(pyref.Max(nan, 1)) || pyref.Max(1, nan) != 1 {
		t.Fatal("Max must keep its first argument unless the second is greater")
	}
	if !math.IsNaN(pyref.Min(nan, 1)) || pyref.Min(1, nan) != 1 {
		t.Fatal("Min must keep its first argument unless the second is smaller")
	}
}
