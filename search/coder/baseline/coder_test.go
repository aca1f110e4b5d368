package baseline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

func TestConcurrentDraftsDiffer(t *testing.T) {
	c := newCoder(t, "binary", baseline.Task{})
	// Three workers draft before any draft has finished: the requests list
	// no drafts, yet the families must differ.
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		p, err := c.Draft(context.Background(), search.Request{Stage: search.StageDraft, NodeID: fmt.Sprintf("n%04d", i+1)})
		if err != nil {
			t.Fatal(err)
		}
		s, err := baseline.ParseSpec(p.Code)
		if err != nil {
			t.Fatal(err)
		}
		if seen[s.Family] {
			t.Errorf("draft %d repeats family %s", i+1, s.Family)
		}
		seen[s.Family] = true
	}
}
