package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
)

// monitor shows a run's progress: on a terminal, one progress bar of items
// done whose description lists the running items (nodes/steps and best
// metric); elsewhere (CI logs), a line per finished item and a periodic
// status line.
type monitor struct {
	w     io.Writer
	run   *harness.Run
	items []int
	tty   bool

	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	done    int
	stopped chan struct{}
	wg      sync.WaitGroup
}

func newMonitor(w io.Writer, run *harness.Run, items []int) *monitor {
	m := &monitor{w: w, run: run, items: items, stopped: make(chan struct{})}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		m.tty = true
	}
	return m
}

func (m *monitor) start(ctx context.Context) {
	if m.tty {
		m.bar = progressbar.NewOptions(len(m.items),
			progressbar.OptionSetWriter(m.w),
			progressbar.OptionSetWidth(16),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionSetElapsedTime(true),
			progressbar.OptionFullWidth(),
			progressbar.OptionSetDescription("items"),
		)
		_ = m.bar.RenderBlank()
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		last := time.Now()
		for {
			select {
			case <-m.stopped:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				line := m.runningLine()
				m.mu.Lock()
				if m.tty {
					m.bar.Describe(line)
				} else if time.Since(last) >= 30*time.Second && line != "" {
					fmt.Fprintf(m.w, "[%d/%d items] %s\n", m.done, len(m.items), line)
					last = time.Now()
				}
				m.mu.Unlock()
			}
		}
	}()
}

// runningLine summarises the running items from their progress files.
func (m *monitor) runningLine() string {
	var parts []string
	for _, i := range m.items {
		dir := m.run.ItemDir(i)
		st, err := results.ReadItemStatus(dir)
		if err != nil || st.State != results.StateRunning {
			continue
		}
		p := results.ReadProgress(dir)
		steps := m.run.Config.Search.Steps
		if cfg, err := m.run.ItemConfig(i); err == nil {
			steps = cfg.Search.Steps
		}
		s := fmt.Sprintf("%s %d/%d nodes", shortID(m.run.Manifest.Items[i].TaskID), p.Nodes, steps)
		if p.BestMetric != nil {
			s += fmt.Sprintf(" best %.4g", *p.BestMetric)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

func shortID(id string) string {
	if i := strings.LastIndexByte(id, '/'); i >= 0 {
		id = id[i+1:]
	}
	if len(id) > 28 {
		return id[:27] + "…"
	}
	return id
}

// itemExited is the scheduler's OnExit callback.
func (m *monitor) itemExited(idx int, _ error) {
	dir := m.run.ItemDir(idx)
	st, _ := results.ReadItemStatus(dir)
	line := fmt.Sprintf("item %d %s: %s", idx, shortID(m.run.Manifest.Items[idx].TaskID), st.State)
	if g, err := results.ReadGrade(dir); err == nil {
		line += ", " + gradeSummary(g)
	} else if st.Error != "" {
		line += ": " + firstLine(st.Error)
	}
	p := results.ReadProgress(dir)
	line += fmt.Sprintf(" (%d nodes, %d buggy)", p.Nodes, p.Buggy)
	if st.Fallback != "" {
		line += " [fallback: no model]"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done++
	if m.tty {
		_ = m.bar.Clear()
		fmt.Fprintln(m.w, line)
		_ = m.bar.Add(1)
	} else {
		fmt.Fprintf(m.w, "[%d/%d items] %s\n", m.done, len(m.items), line)
	}
}

func gradeSummary(g results.Grade) string {
	switch {
	case !g.SubmissionExists:
		return "no submission"
	case !g.ValidSubmission:
		return "invalid submission"
	case g.Score == nil:
		return "no score"
	}
	s := fmt.Sprintf("score %.5g", *g.Score)
	if m := results.MedalOf(g); m != results.MedalNone {
		return s + ", " + m + " medal"
	}
	if g.AboveMedian {
		return s + ", above median"
	}
	return s + ", no medal"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (m *monitor) stop() {
	close(m.stopped)
	m.wg.Wait()
	if m.tty {
		m.mu.Lock()
		_ = m.bar.Finish()
		fmt.Fprintln(m.w)
		m.mu.Unlock()
	}
}
