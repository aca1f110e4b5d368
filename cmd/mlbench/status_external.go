package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
)

// externalProgress is the PROGRESS of an external agent's item: how long
// it has run, its validation calls and, after a requeue, that it restarted
// from scratch. ok is false for items of our own agent.
func externalProgress(run *harness.Run, it *scheduler.ItemState) (string, bool) {
	dir := run.ItemDir(it.Index)
	st, ok := harness.ReadExternalState(dir)
	if !ok {
		return "", false
	}
	end := st.FinishedAt
	if end.IsZero() {
		end = time.Now()
	}
	s := "agent " + end.Sub(st.StartedAt).Round(time.Second).String()
	n, valid, _ := harness.ReadValidationCalls(dir)
	s += fmt.Sprintf(", %d validations", n)
	if n > 0 {
		if valid {
			s += " (last valid)"
		} else {
			s += " (last invalid)"
		}
	}
	if p := results.ReadProgress(dir); p.Nodes > 0 {
		s += fmt.Sprintf(", %d journal nodes", p.Nodes)
	}
	if st.Restart != "" {
		s += ", attempt " + fmt.Sprint(st.Attempt) + " from scratch"
	}
	return s, true
}

// externalTailLines is how much of a running external agent's output
// status shows.
const externalTailLines = 3

// printExternalTails shows the last lines of output of the external
// agents that are running.
func printExternalTails(w io.Writer, run *harness.Run, s *scheduler.Snapshot) {
	for i := range s.Items {
		it := &s.Items[i]
		if it.Show != scheduler.ShowRunning {
			continue
		}
		dir := run.ItemDir(it.Index)
		st, ok := harness.ReadExternalState(dir)
		if !ok {
			continue
		}
		tail := strings.TrimRight(harness.ExternalOutputTail(dir, 4096), "\n")
		if tail == "" {
			continue
		}
		lines := strings.Split(tail, "\n")
		if len(lines) > externalTailLines {
			lines = lines[len(lines)-externalTailLines:]
		}
		fmt.Fprintf(w, "item %d (external agent, attempt %d", it.Index, st.Attempt)
		if st.Restart != "" {
			fmt.Fprint(w, ", "+st.Restart)
		}
		fmt.Fprintln(w, "), output ends:")
		for _, l := range lines {
			fmt.Fprintln(w, "  "+truncateLine(l, 160))
		}
	}
}

func truncateLine(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}
