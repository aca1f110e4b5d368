package results_test

import (
	"sync/atomic"
	"testing"

	"github.com/mlbench/mlbench/results"
)

// Every index is visited exactly once, whatever the count and workers.
func TestForEachItem(t *testing.T) {
	for _, tc := range []struct{ n, workers int }{{0, 4}, {1, 1}, {63, 3}, {64, 2}, {1000, 16}, {130, 0}} {
		seen := make([]atomic.Int32, tc.n)
		results.ForEachItem(tc.n, tc.workers, func(i int) { seen[i].Add(1) })
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("n=%d workers=%d: index %d visited %d times", tc.n, tc.workers, i, c)
			}
		}
	}
}
