package search_test

import (
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/searchtest"
)

// TestHostileExecutorFactsAreBounded: a node whose submission is megabytes
// of NUL bytes, quoted whole in its format error, and whose output is
// megabytes more, must reach the reviewer, the trace and the checkpoint
// cut short and printable.
func TestHostileExecutorFactsAreBounded(t *testing.T) {
	cfg := defaults(t)
	cfg.NumDrafts = 1
	cfg.Steps = 2
	huge := strings.Repeat("\x00", 5<<20)
	sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: func(search.Request) searchtest.Outcome {
		return searchtest.Outcome{Output: "start\n" + huge + "\nend", FormatError: "column 'id' not found; columns are: " + huge}
	}}}
	sc.mustRun(t)
	check := func(where string, output, formatError string) {
		t.Helper()
		if len(output) > search.MaxOutputBytes+100 || !strings.HasSuffix(output, "end") || strings.ContainsRune(output, 0) {
			t.Errorf("%s: output of %d bytes (tail %q)", where, len(output), output[max(0, len(output)-20):])
		}
		if len(formatError) > search.MaxFormatErrorBytes+3 || strings.ContainsRune(formatError, 0) || !strings.HasPrefix(formatError, "column 'id'") {
			t.Errorf("%s: format error of %d bytes", where, len(formatError))
		}
	}
	reviewed := sc.fake.Reviewed()
	if len(reviewed) == 0 {
		t.Fatal("nothing reviewed")
	}
	for _, r := range reviewed {
		check("reviewer", r.Output, r.FormatError)
	}
	for _, r := range sc.rec.Records() {
		check("trace", r.Output, "column 'id'")
	}
	st, err := sc.rec.LastState()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range st.Nodes {
		check("checkpoint", n.Output, n.FormatError)
	}
}
