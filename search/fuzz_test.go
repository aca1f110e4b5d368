package search_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/searchtest"
)

// FuzzResume feeds arbitrary checkpoint JSON to Run: it must either reject
// the state with ErrBadState or resume and finish, never panic or hang.
func FuzzResume(f *testing.F) {
	cfg := defaults(f)
	cfg.Steps = 12
	seed := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: positional}}
	res := seed.mustRun(f)
	b, err := json.Marshal(res.State)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"version":1,"nodes":[{"id":"n0001","status":"in_flight"}],"workers":[{"worker":0,"pending":true}]}`))
	f.Add([]byte(`{"version":1,"seq":-5,"nodes":[{"id":"n0001","status":"done","visits":-3,"debug_depth":-1}],"workers":[{"worker":7,"pending":true,"parent":"n0001"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var st search.State
		if json.Unmarshal(data, &st) != nil {
			return
		}
		cfg := defaults(t)
		cfg.Steps = len(st.Nodes) + 3
		sc := &scenario{cfg: cfg, fake: &searchtest.Fake{Script: randomScript}, resume: &st}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := sc.run(t, ctx)
		if err != nil && !errors.Is(err, search.ErrBadState) {
			t.Fatalf("resume: %v", err)
		}
		if err == nil && res.Reason == search.StopCancelled {
			t.Fatalf("resumed search hung")
		}
	})
}
