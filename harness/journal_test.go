package harness_test

import (
	"strings"
	"testing"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
)

// aideJournal is a journal as AIDE's serializer writes it: parents only in
// node2parent, MetricValue objects, a worst metric with null value.
const aideJournal = `{"nodes": [
 {"code": "print(1)", "plan": "draft a model", "step": 0, "id": "a1", "ctime": 1700000000.5, "_term_out": ["ok"],
  "exec_time": 2.5, "exc_type": null, "analysis": "works", "metric": {"value": 0.8, "maximize": true}, "is_buggy": false},
 {"code": "raise", "plan": "improve it", "step": 1, "id": "b2", "ctime": 1700000010, "exec_time": 0.1,
  "exc_type": "ValueError", "analysis": "crashed", "metric": {"value": null, "maximize": null}, "is_buggy": true},
 {"code": "print(2)", "plan": "fix the bug", "step": 2, "id": "c3", "ctime": 1700000020, "exec_time": 1,
  "exc_type": null, "analysis": "fixed", "metric": {"value": 0.85, "maximize": true}, "is_buggy": false}
], "node2parent": {"b2": "a1", "c3": "b2"}, "__version": "2"}`

func TestParseJournal(t *testing.T) {
	base := results.NodeRow{RunID: "r", Item: 3, TaskID: "t", LowerIsBetter: true}
	rows, code, err := harness.ParseJournal([]byte(aideJournal), base)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || len(code) != 3 || code[0] != "print(1)" {
		t.Fatalf("rows %+v code %q", rows, code)
	}
	a, b, c := rows[0], rows[1], rows[2]
	if a.Stage != "draft" || a.ParentID != "" || a.Metric == nil || *a.Metric != 0.8 || a.LowerIsBetter || a.IsBuggy || a.ExecSeconds != 2.5 || a.Step != 1 {
		t.Errorf("draft row: %+v", a)
	}
	if a.RunID != "r" || a.Item != 3 || a.CreatedAt.Unix() != 1700000000 || a.FinishedAt.Sub(a.CreatedAt).Seconds() != 2.5 || a.CodeSHA256 == "" {
		t.Errorf("draft row columns: %+v", a)
	}
	if b.Stage != "improve" || b.ParentID != "a1" || b.Metric != nil || !b.IsBuggy || b.Error != "ValueError" || b.ExitCode != 1 {
		t.Errorf("buggy row: %+v", b)
	}
	if c.Stage != "debug" || c.ParentID != "b2" || c.Summary != "fixed" {
		t.Errorf("debug row: %+v", c)
	}
}

// ML-Master's nodes name their stage and may carry the parent id inline;
// bare metrics and missing steps are accepted.
func TestParseJournalVariants(t *testing.T) {
	j := `{"nodes": [{"id": "r", "stage": "draft", "metric": 1.5, "is_buggy": false},
	 {"id": "s", "parent": "r", "stage": "improve", "metric": 1.2},
	 {"id": "../../etc", "parent_id": "s", "metric": null}]}`
	rows, _, err := harness.ParseJournal([]byte(j), results.NodeRow{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1].ParentID != "r" || rows[1].Stage != "improve" || *rows[1].Metric != 1.2 || rows[1].IsBuggy {
		t.Fatalf("rows %+v", rows)
	}
	if id := rows[2].NodeID; strings.ContainsAny(id, "/.") || rows[2].ParentID != "s" || !rows[2].IsBuggy {
		t.Errorf("hostile id kept as %q: %+v", id, rows[2])
	}
	for _, bad := range []string{"", "[]", `{"nodes": 3}`, "{"} {
		if _, _, err := harness.ParseJournal([]byte(bad), results.NodeRow{}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParseJournal(f *testing.F) {
	f.Add([]byte(aideJournal))
	f.Add([]byte(`{"nodes": [{"id": "x", "parent": {"id": "y"}, "metric": {"value": "NaN"}}], "node2parent": {"x": "x"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rows, code, err := harness.ParseJournal(b, results.NodeRow{})
		if err != nil {
			return
		}
		if len(rows) != len(code) {
			t.Fatalf("%d rows, %d code", len(rows), len(code))
		}
		for _, r := range rows {
			if r.NodeID == "" || strings.Contains(r.NodeID, "/") || strings.Contains(r.ParentID, "/") || r.NodeID == ".." {
				t.Fatalf("unsafe id %q parent %q", r.NodeID, r.ParentID)
			}
		}
	})
}
