package web_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/results/web"
)

// benchItems items, the first benchTraces of them with a trace part
// (writing 10,000 Parquet files would make the set up the slow part).
const (
	benchItems  = 10_000
	benchTraces = 1_000
)

var (
	benchOnce sync.Once
	benchRoot string
)

// bigRun is a 10,000-item run (a quarter each done, running, pending and
// failed; the done ones graded; every started item with a two-node trace
// part), made once per test binary.
func bigRun(b *testing.B) string {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mlbench-web-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchRoot = dir
		fixtureTraces(b, dir, "big", benchItems, benchTraces)
	})
	return benchRoot
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchRoot != "" {
		os.RemoveAll(benchRoot)
	}
	os.Exit(code)
}

// getRunPage fetches the run page as a browser does (gzip accepted) and
// checks it is whole.
func getRunPage(b *testing.B, srv *web.Server) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/runs/big", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	srv.ServeHTTP(rec, req)
	if rec.Code != 200 || rec.Body.Len() < 1_000 || rec.Header().Get("Content-Encoding") != "gzip" {
		b.Fatalf("run page: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	b.ReportMetric(float64(rec.Body.Len()), "page-bytes")
}

// BenchmarkFirstPaint10k: a fresh server (cold cache) renders the run page
// of a 10,000-item run: every item's small files read, the medal table
// built and the first rows rendered. The server is closed after each page
// so that its background trace reads do not run into the next one.
func BenchmarkFirstPaint10k(b *testing.B) {
	root := bigRun(b)
	b.ResetTimer()
	for range b.N {
		srv, err := web.New(web.Options{Root: root})
		if err != nil {
			b.Fatal(err)
		}
		getRunPage(b, srv)
		b.StopTimer()
		srv.Close()
		b.StartTimer()
	}
}

// BenchmarkFirstPaintWarm10k: the run page of a 10,000-item run as a
// person gets it from `mlbench serve`, which warms its cache at start:
// every item's files are stat'ed (none changed), the medal table built and
// the first rows rendered.
func BenchmarkFirstPaintWarm10k(b *testing.B) {
	root := bigRun(b)
	srv, err := web.New(web.Options{Root: root, MinRefresh: time.Nanosecond})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	srv.Warm(context.Background())
	waitTraces(b, srv, "big")
	b.ResetTimer()
	for range b.N {
		getRunPage(b, srv)
	}
}

// BenchmarkUpdate10k: one update cycle of a live page on a warm server
// while 10 of the 10,000 items change: every item's files are stat'ed,
// the 10 changed ones read again, and only they are sent.
func BenchmarkUpdate10k(b *testing.B) {
	root := bigRun(b)
	srv, _ := web.New(web.Options{Root: root, MinRefresh: time.Nanosecond})
	defer srv.Close()
	poll := func(since int64) web.ItemsResponse {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/api/runs/big/items?since="+strconv.FormatInt(since, 10), nil))
		var resp web.ItemsResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			b.Fatal(err)
		}
		return resp
	}
	waitTraces(b, srv, "big")
	v := poll(0).Version
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for k := range 10 {
			idx := (i*10+k)*4%benchItems + 1 // running items
			st := results.ItemStatus{State: results.StateRunning, Attempts: 1 + i, StartedAt: time.Now()}
			results.WriteJSON(filepath.Join(results.ItemDir(filepath.Join(root, "big"), idx), results.StatusFile), st)
		}
		b.StartTimer()
		resp := poll(v)
		if len(resp.Items) == 0 {
			b.Fatalf("no change seen")
		}
		v = resp.Version
	}
}
