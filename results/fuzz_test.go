package results_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/results"
)

// FuzzReadGrade feeds grade.json files such as Python tools write. It must
// never panic; Python's NaN and Infinity tokens outside strings read as those numbers; and
// input that is plain JSON reads exactly as encoding/json reads it.
func FuzzReadGrade(f *testing.F) {
	f.Add(`{"competition_id":"a","score":0.5,"gold_threshold":NaN,"any_medal":true}`)
	f.Add(`{"score":-Infinity,"submission_path":"NaN Infinity \"NaN\""}`)
	f.Add(`{"score":null,"median_threshold":1e308}`)
	f.Add(`{"competition_id":"x\\"NaN","score":Infinity}`)
	f.Add(`[NaN]`)
	f.Fuzz(func(t *testing.T, doc string) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, results.GradeFile), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := results.ReadGrade(dir)
		if strings.Contains(doc, "NaN") || strings.Contains(doc, "Infinity") {
			return // the tokens were quoted first; no panic is the property
		}
		var want results.Grade
		wantErr := json.Unmarshal([]byte(doc), &want)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("ReadGrade err %v, encoding/json err %v", err, wantErr)
		}
		if err == nil && !sameGrade(got, want) {
			t.Fatalf("ReadGrade %+v, encoding/json %+v", got, want)
		}
	})
}
