package baseline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

// BenchmarkGeneratedCode runs each family's draft on a 10k-row binary task
// with Debian's Python: one op is one full run (read, hold-out fit and
// score, refit on all rows, write the submission).
//
//	go test ./search/coder/baseline -run '^$' -bench GeneratedCode -benchtime 1x
func BenchmarkGeneratedCode(b *testing.B) {
	r := newRunner(b, "binary", 10000, baseline.Task{XGBoost: true})
	var drafts []search.NodeSnapshot
	for range 6 {
		p, err := r.coder.Draft(context.Background(), search.Request{Stage: search.StageDraft, Drafts: drafts})
		if err != nil {
			b.Fatal(err)
		}
		drafts = append(drafts, search.NodeSnapshot{Code: p.Code})
		fam := mustSpec(b, p.Code).Family
		b.Run(fam, func(b *testing.B) {
			for b.Loop() {
				if n := r.run(search.StageDraft, p, nil); n.IsBuggy {
					b.Fatalf("%s: %s\n%s", fam, n.Summary, n.Output)
				}
			}
		})
	}
}

// BenchmarkImprove measures choosing and rendering an improvement for a
// parent with many tried siblings (the Go side of a step).
func BenchmarkImprove(b *testing.B) {
	c := newCoder(b, "binary", baseline.Task{})
	d1 := draftNode(b, c, "d1", 0.8, nil)
	parent := draftNode(b, c, "d2", 0.7, []search.NodeSnapshot{d1})
	var sibs []search.NodeSnapshot
	for i := range 15 {
		p, err := c.Improve(context.Background(), search.Request{Stage: search.StageImprove, NodeID: fmt.Sprint(i), Parent: &parent, Siblings: sibs})
		if err != nil {
			b.Fatal(err)
		}
		sibs = append(sibs, search.NodeSnapshot{ID: fmt.Sprint(i), Code: p.Code})
	}
	req := search.Request{Stage: search.StageImprove, NodeID: "x", Parent: &parent, Siblings: sibs, Drafts: []search.NodeSnapshot{d1, parent}, Best: &d1}
	for b.Loop() {
		if _, err := c.Improve(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
