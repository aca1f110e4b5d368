package search_test

import (
	"context"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/searchtest"
)

// defaults returns the search config of the embedded default.yaml with one
// worker and no time limit, the base of every scenario.
func defaults(tb testing.TB) search.Config {
	tb.Helper()
	c, err := configs.Default()
	if err != nil {
		tb.Fatalf("load default config: %v", err)
	}
	cfg := search.ConfigFrom(c.Search)
	cfg.Workers = 1
	cfg.TimeLimit = 0
	return cfg
}

// scenario is one scripted search.
type scenario struct {
	cfg    search.Config
	fake   *searchtest.Fake
	rec    *searchtest.Recorder
	clock  search.Clock
	resume *search.State
}

func (sc *scenario) run(tb testing.TB, ctx context.Context) (search.Result, error) {
	tb.Helper()
	if sc.rec == nil {
		sc.rec = &searchtest.Recorder{}
	}
	return search.Run(ctx, search.Options{
		Config:       sc.cfg,
		Coder:        sc.fake,
		Executor:     sc.fake,
		Reviewer:     sc.fake,
		Tracer:       sc.rec,
		Best:         sc.rec,
		Checkpointer: sc.rec,
		Clock:        sc.clock,
		Resume:       sc.resume,
	})
}

// mustRun runs the scenario and fails the test on error.
func (sc *scenario) mustRun(tb testing.TB) search.Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := sc.run(tb, ctx)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}

// resumeAfterKill runs sc, whose recorder kills it, and returns the
// scenario that resumes from its last checkpoint with the same config and
// a fresh fake running script.
func (sc *scenario) resumeAfterKill(tb testing.TB, ctx context.Context, script func(search.Request) searchtest.Outcome) *scenario {
	tb.Helper()
	if _, err := sc.run(tb, ctx); err != nil {
		tb.Fatalf("first run: %v", err)
	}
	st, err := sc.rec.LastState()
	if err != nil {
		tb.Fatal(err)
	}
	return &scenario{cfg: sc.cfg, fake: &searchtest.Fake{Script: script}, resume: st}
}

// tracedOnce reports every node the scenarios traced more than once and
// returns the ids traced.
func tracedOnce(tb testing.TB, scs ...*scenario) map[string]bool {
	tb.Helper()
	traced := map[string]bool{}
	for _, sc := range scs {
		for _, r := range sc.rec.Records() {
			if traced[r.NodeID] {
				tb.Errorf("node %s traced twice", r.NodeID)
			}
			traced[r.NodeID] = true
		}
	}
	return traced
}

// works is a working outcome with metric m.
func works(m float64) searchtest.Outcome { return searchtest.Outcome{Metric: searchtest.M(m)} }

// bug is a buggy outcome.
func bug() searchtest.Outcome { return searchtest.Outcome{Bug: true} }

// draftsFail is a fake whose drafts are buggy and whose other nodes work
// with metric m.
func draftsFail(m float64) *searchtest.Fake {
	return &searchtest.Fake{Script: func(req search.Request) searchtest.Outcome {
		if req.Stage == search.StageDraft {
			return bug()
		}
		return works(m)
	}}
}

// byID indexes records by node id.
func byID(recs []search.NodeRecord) map[string]search.NodeRecord {
	m := make(map[string]search.NodeRecord, len(recs))
	for _, r := range recs {
		m[r.NodeID] = r
	}
	return m
}

// stages lists the records' stages in order.
func stages(recs []search.NodeRecord) []search.Stage {
	out := make([]search.Stage, len(recs))
	for i, r := range recs {
		out[i] = r.Stage
	}
	return out
}
