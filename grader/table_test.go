package grader_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

// cells returns every column of a table, by position.
func cells(t *grader.Table) [][]string {
	out := make([][]string, len(t.Columns()))
	for j := range out {
		out[j] = t.ColumnAt(j).Strings()
	}
	return out
}

func TestParseTable(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		columns []string
		cells   [][]string
	}{
		{"plain", "a,b\n1,2\n3,4\n", []string{"a", "b"}, [][]string{{"1", "3"}, {"2", "4"}}},
		{"no final newline", "a,b\n1,2", []string{"a", "b"}, [][]string{{"1"}, {"2"}}},
		{"crlf and bom", "\xef\xbb\xbfa,b\r\n1,2\r\n", []string{"a", "b"}, [][]string{{"1"}, {"2"}}},
		{"blank lines skipped", "a,b\n\n1,2\n\n\n3,4\n", []string{"a", "b"}, [][]string{{"1", "3"}, {"2", "4"}}},
		{"quotes, commas and newlines", "a,b\n\"x, \"\"y\"\"\",\"l1\nl2\"\n", []string{"a", "b"}, [][]string{{`x, "y"`}, {"l1\nl2"}}},
		{"short rows are padded", "a,b,c\n1\n", []string{"a", "b", "c"}, [][]string{{"1"}, {""}, {""}}},
		{"trailing empty field", "a,b\n1,", []string{"a", "b"}, [][]string{{"1"}, {""}}},
		{"duplicate and empty names", "a,,a,a.1\n1,2,3,4\n", []string{"a", "Unnamed: 1", "a.1", "a.1.1"}, [][]string{{"1"}, {"2"}, {"3"}, {"4"}}},
		{"header only", "a,b\n", []string{"a", "b"}, [][]string{{}, {}}},
		{"empty", "", nil, [][]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb, err := grader.ParseTable([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if cols := tb.Columns(); !reflect.DeepEqual(cols, tc.columns) && !(len(cols) == 0 && len(tc.columns) == 0) {
				t.Errorf("columns = %q, want %q", cols, tc.columns)
			}
			if got := cells(tb); !reflect.DeepEqual(got, tc.cells) {
				t.Errorf("cells = %q, want %q", got, tc.cells)
			}
		})
	}
}

// TestFloatsCorrectlyRounded compares the fast decimal path with strconv
// on decimals of every length around the fast path's limits.
func TestFloatsCorrectlyRounded(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var b strings.Builder
	b.WriteString("x\n")
	var cellsIn []string
	for range 20000 {
		intDigits, fracDigits := rng.IntN(8), rng.IntN(24)
		var s strings.Builder
		if rng.IntN(4) == 0 {
			s.WriteByte('-')
		}
		for range intDigits {
			s.WriteByte(byte('0' + rng.IntN(10)))
		}
		if fracDigits > 0 || intDigits == 0 {
			s.WriteByte('.')
			for range max(fracDigits, 1) {
				s.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		cellsIn = append(cellsIn, s.String())
		b.WriteString(s.String() + "\n")
	}
	v := columnX(t, b.String())
	for i, s := range cellsIn {
		want, _ := strconv.ParseFloat(s, 64)
		if math.Float64bits(v[i]) != math.Float64bits(want) {
			t.Errorf("%q parsed as %v, want %v", s, v[i], want)
		}
	}
}

// columnX parses text and returns its column x as numbers.
func columnX(t *testing.T, text string) []float64 {
	t.Helper()
	tb, err := grader.ParseTable([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	c, err := tb.Column("x")
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Floats()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestColumnNumbers(t *testing.T) {
	v := columnX(t, "x\n1.5\n -2 \nNaN\n\n1e3\ninf\n")
	if v[0] != 1.5 || v[1] != -2 || !math.IsNaN(v[2]) || v[3] != 1000 || !math.IsInf(v[4], 1) {
		t.Errorf("floats = %v", v)
	}
	for _, bad := range []string{"0x1p-2", "1_000", "abc", "1.2.3"} {
		tb, _ := grader.ParseTable([]byte("id,x\n1,0\n2," + bad + "\n"))
		c, _ := tb.Column("x")
		_, err := c.Floats()
		var inv *grader.InvalidSubmission
		if !errors.As(err, &inv) || inv.Row != 2 || inv.Column != "x" {
			t.Errorf("%q: err = %#v", bad, err)
		}
	}
}

// FuzzParseTable: no input panics; every error is an *InvalidSubmission;
// where encoding/csv reads a well-formed file, the cells agree.
func FuzzParseTable(f *testing.F) {
	for _, s := range []string{
		"id,target\n1,0.5\n2,0.25\n", "a,b\n\"x\"\"y\",\"1\n2\"\n", "a\n\"unterminated\n", "a,b\n1,2,3\n",
		"\xef\xbb\xbfa;b\r\n1;2\r\n", "", ",\n,\n", "a,a,a\n1,2,3\n", "a,b\n\"q\"x,1\n", "a\r1\r2\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		orig := append([]byte(nil), data...)
		tb, err := grader.ParseTable(data)
		if err != nil {
			var inv *grader.InvalidSubmission
			if !errors.As(err, &inv) || inv.Reason == "" {
				t.Fatalf("error %v is not an InvalidSubmission with a reason", err)
			}
			return
		}
		for j := range tb.Columns() {
			c := tb.ColumnAt(j)
			if c.Len() != tb.Len() {
				t.Fatalf("column %d has %d cells, table %d rows", j, c.Len(), tb.Len())
			}
			v, err := c.Floats()
			if err != nil {
				var inv *grader.InvalidSubmission
				if !errors.As(err, &inv) || inv.Row < 1 || inv.Row > tb.Len() {
					t.Fatalf("Floats error %#v", err)
				}
				continue
			}
			for i, x := range v {
				want, perr := strconv.ParseFloat(c.String(i), 64)
				if perr == nil && !math.IsNaN(want) && math.Float64bits(x) != math.Float64bits(want) {
					t.Fatalf("cell %q parsed as %v, strconv says %v", c.String(i), x, want)
				}
			}
		}
		// Differential check against encoding/csv on the files both read.
		if bytes.ContainsAny(orig, "\r") || bytes.HasPrefix(orig, []byte("\xef\xbb\xbf")) {
			return
		}
		r := csv.NewReader(bytes.NewReader(orig))
		r.FieldsPerRecord = -1
		recs, err := r.ReadAll()
		if err != nil || len(recs) == 0 {
			return
		}
		for _, rec := range recs[1:] {
			if len(rec) != len(recs[0]) {
				return
			}
		}
		got := cells(tb)
		if len(got) != len(recs[0]) || tb.Len() != len(recs)-1 {
			t.Fatalf("shape %dx%d, encoding/csv %dx%d", tb.Len(), len(got), len(recs)-1, len(recs[0]))
		}
		for i, rec := range recs[1:] {
			for j, want := range rec {
				if got[j][i] != want {
					t.Fatalf("cell (%d,%d) = %q, encoding/csv %q", i, j, got[j][i], want)
				}
			}
		}
	})
}

// FuzzGradeSubmission: any submission file gives a report (valid or
// invalid with a reason), never an error or an internal failure.
func FuzzGradeSubmission(f *testing.F) {
	comps := []struct{ id, answers string }{
		{"aerial-cactus-identification", "id,has_cactus\na,1\nb,0\nc,1\n"},
		{"spooky-author-identification", "id,EAP,HPL,MWS\nx,1,0,0\ny,0,1,0\n"},
		{"whale-categorization-playground", "Image,Id\n1.jpg,w1\n2.jpg,new_whale\n"},
		{"tweet-sentiment-extraction", "textID,selected_text\na,hi there\nb,bye\n"},
		{"aptos2019-blindness-detection", "id_code,diagnosis\na,0\nb,4\n"},
		{"AI4Code", "id,cell_order\nn1,a b c\nn2,x y\n"},
	}
	dirs := make([]string, len(comps))
	for i, c := range comps {
		dirs[i] = prepare(f, c.id, c.answers)
	}
	for _, s := range []string{
		"id,has_cactus\nc,0.2\nb,0.3\na,0.9\n", "id,EAP,HPL,MWS\nx,0.2,0.3,0.5\ny,1,0,0\n", "Image,Id\n1.jpg,w1 w2\n2.jpg,\n",
		"textID,selected_text\na,\"hi, there\"\nb,\n", "id_code,diagnosis\na,1.5\nb,4\n", "id,cell_order\nn1,c b a\nn2,y\n",
		"", "\"", "id\n\n\n", "x,y,z\n1,2\n",
	} {
		for i := range comps {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		k := int(which) % len(comps)
		sub := filepath.Join(t.TempDir(), "submission.csv")
		if err := os.WriteFile(sub, data, 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := grader.Grade(context.Background(), grader.Request{CompetitionID: comps[k].id, SubmissionPath: sub, DataDir: dirs[k]})
		if err != nil {
			t.Fatalf("Grade error: %v", err)
		}
		if strings.Contains(rep.Reason, "internal grader error") {
			t.Fatalf("grader panicked: %s", rep.Reason)
		}
		if !rep.ValidSubmission && (rep.Reason == "" || rep.Score != nil) {
			t.Fatalf("invalid without a reason: %+v", rep)
		}
		if rep.ValidSubmission && rep.Score == nil {
			t.Fatalf("valid without a score: %+v", rep)
		}
	})
}
