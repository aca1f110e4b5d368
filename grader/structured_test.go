package grader

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/mlbench/mlbench/grader/csvscan"
)

func TestFullSuiteHasGraders(t *testing.T) {
	ids, err := Suite("mle-bench-full")
	if err != nil {
		t.Fatal(err)
	}
	graded := 0
	for _, id := range ids {
		if HasGrader(id) {
			graded++
		} else {
			t.Errorf("%s has no grader", id)
		}
	}
	if len(ids) != 75 || graded != 75 {
		t.Fatalf("%d of %d competitions of mle-bench-full have a grader, want 75 of 75", graded, len(ids))
	}
}

func TestStructuredGradeReports(t *testing.T) {
	tests := []struct {
		id, answers, sub string
		valid            bool
		score            float64
		reason           string
	}{
		{"tgs-salt-identification-challenge", "id,rle_mask\nx1,1 100\nx2,\n", "id,rle_mask\nx1,1 100\nx2,\n", true, 1, ""},
		{"tgs-salt-identification-challenge", "id,rle_mask\nx1,1 100\nx2,\n", "id,rle_mask\nx1,3 1 1 1\nx2,\n", false, 0, "row 1, column 'rle_mask'"},
		{"hubmap-kidney-segmentation", "id,encoding,width_pixels,height_pixels\na,1 2,2,2\n", "id,predicted\na,1 1\n", true, 0.66667, ""},
		{"kuzushiji-recognition", "image_id,labels\np1,A 0 0 10 10\n", "image_id,labels\np1,A 5 5 A 5 5\n", true, 0.66667, ""},
		{"kuzushiji-recognition", "image_id,labels\np1,A 0 0 10 10\n", "image_id,labels\np2,A 5 5\n", false, 0, "not among the answers' ids"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			dataDir := PrepareTask(t, tc.id, tc.answers)
			sub := filepath.Join(t.TempDir(), "submission.csv")
			if err := os.WriteFile(sub, []byte(tc.sub), 0o644); err != nil {
				t.Fatal(err)
			}
			req := Request{CompetitionID: tc.id, SubmissionPath: sub, DataDir: dataDir}
			rep, err := Grade(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if rep.ValidSubmission != tc.valid {
				t.Fatalf("valid = %v (%s), want %v", rep.ValidSubmission, rep.Reason, tc.valid)
			}
			if tc.valid && (rep.Score == nil || *rep.Score != tc.score) {
				t.Fatalf("score = %v, want %v", rep.Score, tc.score)
			}
			if !strings.Contains(rep.Reason, tc.reason) {
				t.Fatalf("reason %q does not say %q", rep.Reason, tc.reason)
			}
			valid, _, err := Validate(context.Background(), req)
			if err != nil || valid != tc.valid {
				t.Fatalf("Validate = %v, %v; want %v", valid, err, tc.valid)
			}
		})
	}
}

// The in-memory path (Grade on Tables) must agree with the file path.
func TestStructuredGradeOnTables(t *testing.T) {
	ans, err := ParseTable([]byte("id,rle_mask\nx1,1 100\nx2,\nx3,1 7345\n"))
	if err != nil {
		t.Fatal(err)
	}
	sub, err := ParseTable([]byte("id,rle_mask\nx1,\" 1 60\"\nx2,\nx3,\n"))
	if err != nil {
		t.Fatal(err)
	}
	dataDir := PrepareTask(t, "tgs-salt-identification-challenge", "id,rle_mask\nx1,1 100\nx2,\nx3,1 7345\n")
	subPath := filepath.Join(t.TempDir(), "s.csv")
	os.WriteFile(subPath, []byte("id,rle_mask\nx1,\" 1 60\"\nx2,\nx3,\n"), 0o644)
	rep, err := Grade(context.Background(), Request{CompetitionID: "tgs-salt-identification-challenge", SubmissionPath: subPath, DataDir: dataDir})
	if err != nil || rep.Score == nil {
		t.Fatalf("Grade: %v %+v", err, rep)
	}
	g := gradeTablesFor(t, "tgs-salt-identification-challenge")
	got, err := g.Grade(sub, ans)
	if err != nil {
		t.Fatal(err)
	}
	if Round5(got) != *rep.Score {
		t.Fatalf("tables %v, files %v", got, *rep.Score)
	}
	bad, _ := ParseTable([]byte("id,rle_mask\nx1,1 0\nx2,\nx3,\n"))
	var inv *InvalidSubmission
	if _, err := g.Grade(bad, ans); !errors.As(err, &inv) || inv.Row != 1 || inv.Column != "rle_mask" {
		t.Fatalf("invalid RLE on tables: %#v", err)
	}
}

// gradeTablesFor returns the registered grader of a competition.
func gradeTablesFor(t *testing.T, id string) CompetitionGrader {
	t.Helper()
	g, ok := graders[id]
	if !ok {
		t.Fatalf("%s is not registered", id)
	}
	return g
}

// streamRecords reads the records of cr, each as one cell per header
// column, up to the end or the first error.
func streamRecords(cr *csvscan.Reader) ([][]string, error) {
	var recs [][]string
	for {
		ok, err := cr.Next()
		if err != nil || !ok {
			return recs, err
		}
		rec := make([]string, len(cr.Header()))
		for {
			more, err := cr.Field()
			if err != nil {
				return recs, err
			}
			if !more {
				break
			}
			b, err := cr.Bytes(nil)
			if err != nil {
				return recs, err
			}
			rec[cr.FieldIndex()] = string(b)
		}
		recs = append(recs, rec)
	}
}

// FuzzStreamingMatchesTable checks that the streaming reader used for the
// nine structured competitions reads every CSV as Table does.
func FuzzStreamingMatchesTable(f *testing.F) {
	for _, s := range []string{"id,x\na,1\n", "a,b\n\"q\"\"x\"y,2\r\n\n3\n", "\xef\xbb\xbfid,,id\n1,2,3\n", "x\n\"open\n", "a,b\n1,2,3\n", "a\r\rb\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tab, terr := ParseTable([]byte(in))
		cr, serr := csvscan.NewReaderSize(iotest.OneByteReader(strings.NewReader(in)), 16)
		var recs [][]string
		if serr == nil {
			recs, serr = streamRecords(cr)
		}
		if (terr == nil) != (serr == nil) {
			t.Fatalf("Table error %v, stream error %v", terr, serr)
		}
		if terr != nil {
			return
		}
		if !reflect.DeepEqual(tab.Columns(), append([]string{}, cr.Header()...)) && !(len(tab.Columns()) == 0 && len(cr.Header()) == 0) {
			t.Fatalf("headers differ: %q vs %q", tab.Columns(), cr.Header())
		}
		if tab.Len() != len(recs) {
			t.Fatalf("rows differ: %d vs %d", tab.Len(), len(recs))
		}
		for i, rec := range recs {
			for j := range rec {
				if got := tab.ColumnAt(j).String(i); got != rec[j] {
					t.Fatalf("cell (%d,%d): table %q, stream %q", i, j, got, rec[j])
				}
			}
		}
	})
}
