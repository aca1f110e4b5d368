package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/mlbench/mlbench/results"
)

// Item states the view shows: the status.json states, plus interrupted (a
// running item whose owner is gone; see results.ItemInterrupted) and what
// Options.States adds (queued, lost, ...).
const stateInterrupted = "interrupted"

// errGone is a run whose directory was deleted while it was viewed.
var errGone = errors.New("the run directory is gone (deleted or moved)")

// halfWritten is a run directory whose manifest cannot be read yet.
type halfWritten struct{ err error }

func (h *halfWritten) Error() string {
	return "the run is not readable yet (being created, or damaged): " + h.err.Error()
}

// itemSig is what changes when an item changes: every file of an item is
// replaced by a rename in its directory, which moves the directory's
// mtime; status.json and progress.json are checked too because a rename
// within the same clock tick may leave the directory's mtime as it was.
type itemSig struct {
	dir, status, progress int64
	statusSize            int64
	exists                bool
}

func statSig(dir string) itemSig {
	var s itemSig
	st, err := os.Stat(dir)
	if err != nil {
		return s
	}
	s.exists, s.dir = true, st.ModTime().UnixNano()
	if st, err := os.Stat(filepath.Join(dir, results.StatusFile)); err == nil {
		s.status, s.statusSize = st.ModTime().UnixNano(), st.Size()
	}
	if st, err := os.Stat(filepath.Join(dir, results.ProgressFile)); err == nil {
		s.progress = st.ModTime().UnixNano()
	}
	return s
}

// progress is the part of progress.json the view shows.
type progress struct {
	Nodes      int      `json:"nodes"`
	Steps      int      `json:"steps"`
	BestMetric *float64 `json:"best_metric"`
	Lower      bool     `json:"lower_is_better"`
}

// itemState is the cached view of one item.
type itemState struct {
	sig      itemSig
	seen     bool
	row      results.ResultRow
	progress progress
	started  time.Time
	state    string
	skipped  int
	ver      int64
	// light: row comes from the small files only; the trace (tokens,
	// cost, nodes as traced) is still to be read by fill.
	light bool
}

// runState caches one run: its manifest (written once) and a view of every
// item, refreshed incrementally.
type runState struct {
	name, dir string
	opts      *Options
	ctx       context.Context // the server's: ends background fills

	mu       sync.Mutex // held for a refresh and while reading the fields below
	loaded   bool
	manifest results.Manifest
	items    []itemState
	version  int64
	scanned  time.Time
	err      error
	states   map[int]string
	statesAt time.Time

	filling bool // a fill goroutine is reading traces

	detailMu sync.Mutex
	details  map[int]*itemDetail
	anytime  *anytimeCache
}

func newRunState(ctx context.Context, name, dir string, opts *Options) *runState {
	return &runState{ctx: ctx, name: name, dir: dir, opts: opts, details: map[int]*itemDetail{}}
}

// refresh brings the cached view up to date, at most once per MinRefresh.
// Only items whose files changed are read again.
func (rs *runState) refresh(ctx context.Context) error {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.loaded && time.Since(rs.scanned) < rs.opts.MinRefresh {
		return rs.err
	}
	rs.scanned = time.Now()
	rs.err = rs.scan(ctx)
	return rs.err
}

func (rs *runState) scan(ctx context.Context) error {
	if _, err := os.Stat(rs.dir); errors.Is(err, os.ErrNotExist) {
		return errGone
	}
	if !rs.loaded {
		m, err := results.ReadManifest(rs.dir)
		if err != nil {
			return &halfWritten{err}
		}
		rs.manifest, rs.items, rs.loaded = m, make([]itemState, len(m.Items)), true
	}
	n := len(rs.items)
	changed := make([]bool, n)
	workers := min(max(8*runtime.GOMAXPROCS(0), 16), 64) // file reads: mostly waiting
	results.ForEachItem(n, workers, func(i int) { changed[i] = rs.scanItem(ctx, i) })
	rs.applyStates()
	if !rs.filling {
		for i := range rs.items {
			if rs.items[i].light {
				rs.filling = true
				go rs.fill()
				break
			}
		}
	}
	bumped := false
	for i := range changed {
		if changed[i] {
			if !bumped {
				rs.version++
				bumped = true
			}
			rs.items[i].ver = rs.version
		}
	}
	return ctx.Err()
}

// scanItem refreshes item i when its files changed; it reports a change.
func (rs *runState) scanItem(ctx context.Context, i int) bool {
	it := &rs.items[i]
	mi := rs.manifest.Items[i]
	dir := results.ItemDir(rs.dir, mi.Index)
	sig := statSig(dir)
	if it.seen && sig == it.sig {
		// Nothing was written; a running item may still have lost its owner.
		if it.row.Status == results.StateRunning {
			st := results.ItemStatus{State: it.row.Status}
			state := results.StateRunning
			if results.ItemInterrupted(dir, st) {
				state = stateInterrupted
			}
			if state != it.state {
				it.state = state
				return true
			}
		}
		return false
	}
	// The small files now; the trace later (fill), so that a first paint
	// of a big run reads 3 small files per item, not its trace parts.
	f := results.CollectItemFiles(rs.dir, rs.manifest.RunID, mi, time.Now())
	st, p := f.Status, f.Progress
	it.sig, it.seen, it.row, it.skipped, it.started, it.light = sig, true, f.Row, len(f.Skipped), st.StartedAt, f.Started
	it.progress = progress{Nodes: p.Nodes, Steps: p.Steps, BestMetric: p.BestMetric, Lower: p.Lower}
	it.state = f.Row.Status
	if results.ItemInterrupted(dir, st) {
		it.state = stateInterrupted
	}
	return true
}

// fill reads the traces of the items scanned light, a batch at a time,
// with the code of mlbench report (results.CollectItem), and publishes
// each batch as a new version. One fill runs per run at a time.
func (rs *runState) fill() {
	const batch = 256
	for {
		rs.mu.Lock()
		var todo []int
		var sigs []itemSig
		for i := range rs.items {
			if rs.items[i].light {
				todo = append(todo, i)
				sigs = append(sigs, rs.items[i].sig)
				if len(todo) == batch {
					break
				}
			}
		}
		if len(todo) == 0 || !rs.loaded || rs.ctx.Err() != nil {
			rs.filling = false
			rs.mu.Unlock()
			return
		}
		m := rs.manifest
		rs.mu.Unlock()

		rows := make([]results.ResultRow, len(todo))
		skipped := make([]int, len(todo))
		var wg sync.WaitGroup
		next := make(chan int)
		for range max(runtime.GOMAXPROCS(0), 2) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for k := range next {
					row, sk, _ := results.CollectItem(rs.ctx, rs.dir, m.RunID, m.Items[todo[k]], results.CollectOptions{Workers: 1})
					rows[k], skipped[k] = row, len(sk)
				}
			}()
		}
		for k := range todo {
			next <- k
		}
		close(next)
		wg.Wait()
		if rs.ctx.Err() != nil {
			continue // rows are incomplete: drop them, and stop above
		}

		rs.mu.Lock()
		rs.version++
		for k, i := range todo {
			it := &rs.items[i]
			if it.sig != sigs[k] || !it.light {
				continue // changed meanwhile: the next scan reads it again
			}
			it.row, it.skipped, it.light, it.ver = rows[k], skipped[k], false, rs.version
		}
		rs.mu.Unlock()
	}
}

// applyStates asks Options.States (the queue) at most every StatesEvery,
// while the run has unfinished items, and lets it refine their states.
func (rs *runState) applyStates() {
	if rs.opts.States == nil {
		return
	}
	open := false
	for i := range rs.items {
		if s := rs.items[i].row.Status; s != results.StateDone && s != results.StateFailed {
			open = true
			break
		}
	}
	if open && time.Since(rs.statesAt) >= rs.opts.StatesEvery {
		rs.statesAt = time.Now()
		if st, err := rs.opts.States(rs.dir, rs.manifest); err == nil {
			rs.states = st
		}
	}
	for i := range rs.items {
		it := &rs.items[i]
		if s, ok := rs.states[rs.manifest.Items[i].Index]; ok && s != "" && it.state != s &&
			it.row.Status != results.StateDone && it.state != stateInterrupted {
			it.state = s
			it.ver = -1 // marked changed below
		}
	}
	for i := range rs.items {
		if rs.items[i].ver == -1 {
			rs.version++
			rs.items[i].ver = rs.version
		}
	}
}

// ItemView is one item as the JSON API and the run page show it.
type ItemView struct {
	Index    int               `json:"index"`
	Task     string            `json:"task"`
	Split    string            `json:"split"`
	Seed     int               `json:"seed"`
	Params   map[string]string `json:"params,omitempty"`
	State    string            `json:"state"`
	Attempts int64             `json:"attempts"`
	Nodes    int64             `json:"nodes"`
	Steps    int               `json:"steps"`
	Buggy    int64             `json:"buggy"`
	// Best is the best validation metric so far (progress.json).
	Best  *float64 `json:"best_metric"`
	Lower bool     `json:"lower_is_better"`
	Medal string   `json:"medal"` // gold, silver, bronze, none; "" not graded
	Score *float64 `json:"score"`
	// Started is when the current attempt started (RFC 3339, "" never);
	// Elapsed the item's wall seconds so far.
	Started    string  `json:"started,omitempty"`
	Elapsed    float64 `json:"elapsed"`
	Tokens     int64   `json:"tokens"`
	Cost       float64 `json:"cost_usd"`
	Incomplete string  `json:"incomplete,omitempty"`
	Skipped    int     `json:"skipped_files,omitempty"`
	// Version is the run version at which the item last changed.
	Version int64 `json:"v"`
}

func (rs *runState) view(i int) ItemView {
	it := &rs.items[i]
	mi := rs.manifest.Items[i]
	r := &it.row
	v := ItemView{
		Index: mi.Index, Task: mi.TaskID, Split: mi.Split, Seed: mi.Seed, Params: mi.Params, State: it.state,
		Attempts: r.Attempts, Nodes: r.Nodes, Steps: it.progress.Steps, Buggy: r.BuggyNodes,
		Best: results.Finite(it.progress.BestMetric), Lower: it.progress.Lower, Score: results.Finite(r.Score),
		Elapsed: r.WallSeconds, Tokens: r.PromptTokens + r.CompletionTokens, Cost: r.CostUSD,
		Incomplete: r.Incomplete, Skipped: it.skipped, Version: it.ver,
	}
	if v.State == "" {
		v.State = results.StatePending
	}
	if int64(it.progress.Nodes) > v.Nodes {
		v.Nodes = int64(it.progress.Nodes) // the trace part of a running item is still open
	}
	if r.Graded {
		v.Medal = "none"
		switch {
		case r.GoldMedal:
			v.Medal = "gold"
		case r.SilverMedal:
			v.Medal = "silver"
		case r.BronzeMedal:
			v.Medal = "bronze"
		}
	}
	if !it.started.IsZero() {
		v.Started = it.started.UTC().Format(time.RFC3339)
	}
	return v
}

// snapshot is a consistent copy of what the pages need from a run.
type snapshot struct {
	Name     string
	Dir      string
	Manifest results.Manifest
	Items    []ItemView
	Rows     []results.ResultRow
	Version  int64
	Counts   map[string]int
	Skipped  int
	Pending  int
}

// snap refreshes the run and copies its view; since > 0 keeps only items
// changed after that version (Rows are always complete).
func (rs *runState) snap(ctx context.Context, since int64) (*snapshot, error) {
	if err := rs.refresh(ctx); err != nil {
		return nil, err
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	s := &snapshot{Name: rs.name, Dir: rs.dir, Manifest: rs.manifest, Version: rs.version, Counts: map[string]int{}}
	s.Rows = make([]results.ResultRow, len(rs.items))
	for i := range rs.items {
		s.Rows[i] = rs.items[i].row
		s.Counts[rs.items[i].stateOr()]++
		s.Skipped += rs.items[i].skipped
		if rs.items[i].light {
			s.Pending++
		}
		if rs.items[i].ver > since {
			s.Items = append(s.Items, rs.view(i))
		}
	}
	return s, nil
}

func (it *itemState) stateOr() string {
	if it.state == "" {
		return results.StatePending
	}
	return it.state
}

// run builds the results.Run the report code takes.
func (s *snapshot) run() *results.Run {
	label := s.Manifest.RunID
	if label == "" {
		label = s.Name
	}
	return &results.Run{Dir: s.Dir, Label: label, Manifest: s.Manifest, Rows: s.Rows, Source: "items"}
}

// RunSummary is one run on the runs page and in /api/runs.
type RunSummary struct {
	Name    string         `json:"name"`
	RunID   string         `json:"run_id"`
	Created string         `json:"created,omitempty"`
	Items   int            `json:"items"`
	Counts  map[string]int `json:"counts"`
	// WallHours is the time from the first start to the last finish (to
	// now while items run).
	WallHours float64 `json:"wall_hours"`
	Tokens    int64   `json:"tokens"`
	CostUSD   float64 `json:"cost_usd"`
	Skipped   int     `json:"skipped_files"`
	// TracesPending counts items whose traces are still being read: until
	// it is 0, tokens, cost and the mean nodes count only the others.
	TracesPending int    `json:"traces_pending,omitempty"`
	Version       int64  `json:"version"`
	Error         string `json:"error,omitempty"`
}

func (s *snapshot) summary() RunSummary {
	sum := RunSummary{Name: s.Name, RunID: s.Manifest.RunID, Items: len(s.Rows), Counts: s.Counts, Skipped: s.Skipped,
		TracesPending: s.Pending, Version: s.Version}
	if !s.Manifest.CreatedAt.IsZero() {
		sum.Created = s.Manifest.CreatedAt.UTC().Format(time.RFC3339)
	}
	var first, last time.Time
	running := false
	for i := range s.Rows {
		r := &s.Rows[i]
		sum.Tokens += r.PromptTokens + r.CompletionTokens
		sum.CostUSD += r.CostUSD
		running = running || r.Status == results.StateRunning
	}
	for _, v := range s.Items {
		if v.Started == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v.Started)
		if err != nil {
			continue
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if end := t.Add(time.Duration(v.Elapsed * float64(time.Second))); end.After(last) {
			last = end
		}
	}
	if running {
		last = time.Now()
	}
	if !first.IsZero() && last.After(first) {
		sum.WallHours = math.Round(last.Sub(first).Hours()*1000) / 1000
	}
	sum.CostUSD = math.Round(sum.CostUSD*1e4) / 1e4
	return sum
}

// errorSummary is a run that cannot be shown (gone, half-written).
func errorSummary(name string, err error) RunSummary {
	return RunSummary{Name: name, Counts: map[string]int{}, Error: err.Error()}
}

// firstLine cuts s at its first newline and at n bytes.
func firstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

func itemLabel(mi results.ManifestItem) string {
	s := fmt.Sprintf("%s seed %d", mi.TaskID, mi.Seed)
	if len(mi.Params) > 0 {
		s += " " + mi.ParamsJSON()
	}
	return s
}
