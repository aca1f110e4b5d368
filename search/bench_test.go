package search_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"testing"
	"time"

	"github.com/mlbench/mlbench/search"
)

// instant is a Coder, Executor and Reviewer that answers at once (or after
// fixed sleeps), deciding bug and metric from a hash of the node id: the
// least a collaborator can cost, so the benchmark measures the search.
type instant struct {
	coderDelay, execDelay time.Duration
}

func (f instant) write(ctx context.Context, req search.Request) (search.Proposal, error) {
	if f.coderDelay > 0 {
		if err := sleep(ctx, f.coderDelay); err != nil {
			return search.Proposal{}, err
		}
	}
	return search.Proposal{Plan: "plan", Code: "print(1)\n"}, nil
}

func (f instant) Draft(ctx context.Context, req search.Request) (search.Proposal, error) {
	return f.write(ctx, req)
}

func (f instant) Improve(ctx context.Context, req search.Request) (search.Proposal, error) {
	return f.write(ctx, req)
}

func (f instant) Debug(ctx context.Context, req search.Request) (search.Proposal, error) {
	return f.write(ctx, req)
}

func (f instant) Execute(ctx context.Context, _ search.NodeSnapshot) (search.ExecResult, error) {
	if f.execDelay > 0 {
		if err := sleep(ctx, f.execDelay); err != nil {
			return search.ExecResult{}, err
		}
	}
	return search.ExecResult{SubmissionExists: true, FormatValid: true}, nil
}

func (f instant) Review(_ context.Context, n search.NodeSnapshot, _ search.ExecResult) (search.Review, error) {
	h := fnv.New64a()
	h.Write([]byte(n.ID))
	v := h.Sum64()
	if v%3 == 0 {
		return search.Review{IsBug: true}, nil
	}
	m := float64(v%1000) / 1000
	return search.Review{Metric: &m}, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// BenchmarkSearchOverhead measures the search's own cost per node with
// collaborators that answer at once: whole 500-node searches (the default
// budget), reported as nodes per second.
func BenchmarkSearchOverhead(b *testing.B) {
	for _, workers := range []int{1, 3, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cfg := defaults(b)
			cfg.Workers = workers
			f := instant{}
			nodes := 0
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				res, err := search.Run(context.Background(), search.Options{Config: cfg, Coder: f, Executor: f, Reviewer: f})
				if err != nil {
					b.Fatal(err)
				}
				if res.Nodes != cfg.Steps {
					b.Fatalf("%d nodes (%s), want %d", res.Nodes, res.Reason, cfg.Steps)
				}
				nodes += res.Nodes
			}
			b.ReportMetric(float64(nodes)/time.Since(start).Seconds(), "nodes/s")
		})
	}
}

// BenchmarkUtilisation runs 3 workers over 60 nodes whose coder takes L =
// 20ms and whose execution takes E = 30ms (real sleeps, real clock), and
// reports the throughput as a fraction of the ideal 3/(L+E).
func BenchmarkUtilisation(b *testing.B) {
	const (
		workers = 3
		steps   = 60
		coder   = 20 * time.Millisecond
		exec    = 30 * time.Millisecond
	)
	cfg := defaults(b)
	cfg.Workers = workers
	cfg.Steps = steps
	f := instant{coderDelay: coder, execDelay: exec}
	nodes := 0
	var spent time.Duration
	for b.Loop() {
		start := time.Now()
		res, err := search.Run(context.Background(), search.Options{Config: cfg, Coder: f, Executor: f, Reviewer: f})
		spent += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		nodes += res.Nodes
	}
	rate := float64(nodes) / spent.Seconds()
	ideal := workers / (coder + exec).Seconds()
	b.ReportMetric(rate, "nodes/s")
	b.ReportMetric(rate/ideal, "utilisation")
}
