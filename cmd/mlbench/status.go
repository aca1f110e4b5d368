package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
)

var statusCommand = &cli.Command{
	Name:      "status",
	Usage:     "show a run's progress: its items' states, the Slurm queue, a progress bar",
	ArgsUsage: "RUN",
	Description: `Reads every item's status.json in the run directory and asks squeue once
about the run's arrays (none for a local run). The run directory is the truth
once elements leave the queue; no accounting database is needed.

States: done, failed, cancelled; running; queued (waiting, never started);
requeued (waiting after an interrupted attempt); suspended; lost (the run
directory says running but its element left the queue: killed by the OOM
killer, a node failure or the time limit); unqueued (pending with no element
in the queue); interrupted (the run directory says running but the worker
that held the item on this machine is gone: killed with SIGKILL or by the
OOM killer); pending (not started, and no queue to ask: a local run, or
squeue failed).

Examples:
  mlbench status 20260101-120000-abcdef
  mlbench status --watch --interval 30s runs/20260101-120000-abcdef`,
	Flags: append(globalFlags(),
		&cli.StringFlag{Name: "results", Usage: "`DIR` to find a run id in (results.dir)"},
		&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "refresh until no item is queued or running"},
		&cli.DurationFlag{Name: "interval", Value: 15 * time.Second, Usage: "refresh interval of --watch (at least 2s: squeue load matters on a shared cluster)"},
		&cli.BoolFlag{Name: "all", Usage: "list every item, not only the first unfinished ones"},
	),
	Action: statusAction,
}

// statusRows caps the item table without --all.
const statusRows = 25

func statusAction(c *cli.Context) error {
	run, err := openRunArg(c, "status")
	if err != nil {
		return err
	}
	sched, err := scheduler.ForRun(run.Dir, run.Config)
	if err != nil {
		return err
	}
	interval := max(c.Duration("interval"), 2*time.Second)
	tty := false
	if f, ok := c.App.Writer.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		tty = true
	}
	for {
		snap, err := sched.Observe(c.Context, run.Dir, run.Manifest)
		if err != nil {
			return err
		}
		if c.Bool("watch") && tty {
			fmt.Fprint(c.App.Writer, "\033[H\033[2J")
		}
		printStatus(c.App.Writer, run, snap, c.Bool("all"))
		if !c.Bool("watch") || !snap.InFlight() {
			return nil
		}
		if !tty {
			fmt.Fprintln(c.App.Writer)
		}
		select {
		case <-c.Context.Done():
			return nil
		case <-time.After(interval):
		}
	}
}

func printStatus(w io.Writer, run *harness.Run, s *scheduler.Snapshot, all bool) {
	total := len(s.Items)
	var parts []string
	for _, k := range scheduler.ShowOrder {
		if n := s.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	fmt.Fprintf(w, "run %s: %d items: %s\n", s.RunID, total, strings.Join(parts, ", "))
	if ids := s.Jobs.JobIDs(); len(ids) > 0 {
		fmt.Fprintf(w, "slurm arrays: %s (%d queue lines now)", strings.Join(ids, ", "), s.Active)
		if s.Cancelled {
			fmt.Fprint(w, "; cancelled with mlbench cancel")
		}
		fmt.Fprintln(w)
	}
	if s.QueueErr != nil {
		fmt.Fprintf(w, "warning: squeue failed, showing the run directory alone: %v\n", firstLine(s.QueueErr.Error()))
	}
	fmt.Fprintln(w, progressBar(s.Finished(), total, 30))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nITEM\tTASK\tSEED\tPARAMS\tSTATE\tSLURM\tATTEMPTS\tPROGRESS\tNOTE")
	shown, hidden := 0, 0
	for i := range s.Items {
		it := &s.Items[i]
		if !all && (it.Show == scheduler.ShowDone || shown >= statusRows) {
			if it.Show != scheduler.ShowDone {
				hidden++
			}
			continue
		}
		shown++
		m := run.Manifest.Items[it.Index]
		slurmCol := "-"
		if it.Element != "" {
			slurmCol = it.Element + " " + it.Queue
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", it.Index, shortID(m.TaskID), m.Seed, paramsText(m.Params),
			it.Show, slurmCol, it.Status.Attempts, progressText(run, it), statusNote(it))
	}
	if shown > 0 {
		tw.Flush()
	}
	if hidden > 0 {
		fmt.Fprintf(w, "… %d more unfinished items; --all lists every item\n", hidden)
	}
	printExternalTails(w, run, s)
	if shown == 0 && !all {
		fmt.Fprintln(w, "every item is done")
	}
	if hint := statusHint(s); hint != "" {
		fmt.Fprintln(w, hint+" "+runRef(run))
	}
}

// progressBar draws "[#####.....] 12/40 finished (30%)".
func progressBar(done, total, width int) string {
	if total <= 0 {
		return "[" + strings.Repeat(".", width) + "] 0/0 finished"
	}
	fill := done * width / total
	return fmt.Sprintf("[%s%s] %d/%d finished (%d%%)", strings.Repeat("#", fill), strings.Repeat(".", width-fill), done, total, done*100/total)
}

func paramsText(p map[string]string) string {
	if len(p) == 0 {
		return "-"
	}
	s := results.ParamsJSON(p)
	s = strings.NewReplacer(`"`, "", "{", "", "}", "", "search.", "").Replace(s)
	if len(s) > 32 {
		s = s[:31] + "…"
	}
	return s
}

// progressText reads progress.json for items that are running or have
// nodes; others show "-".
func progressText(run *harness.Run, it *scheduler.ItemState) string {
	if it.Show != scheduler.ShowRunning && it.Status.Attempts == 0 {
		return "-"
	}
	if s, ok := externalProgress(run, it); ok {
		return s
	}
	p := results.ReadProgress(run.ItemDir(it.Index))
	if p.Nodes == 0 && it.Show != scheduler.ShowRunning {
		return "-"
	}
	steps := p.Steps
	if steps == 0 {
		steps = run.Config.Search.Steps
	}
	s := strconv.Itoa(p.Nodes) + "/" + strconv.Itoa(steps) + " nodes"
	if p.BestMetric != nil {
		s += fmt.Sprintf(", best %.4g", *p.BestMetric)
	}
	return s
}

func statusNote(it *scheduler.ItemState) string {
	note := ""
	switch it.Show {
	case scheduler.ShowQueued, scheduler.ShowRequeued, scheduler.ShowSuspended:
		note = it.Explain
		if it.Show == scheduler.ShowRequeued && it.Status.Error != "" {
			note = strings.TrimPrefix(note+"; "+firstLine(it.Status.Error), "; ")
		}
	case scheduler.ShowLost:
		note = "its element left the queue without finishing"
		if it.Log != "" {
			note += "; see " + it.Log
		}
	case scheduler.ShowInterrupted:
		note = "its worker is gone (killed); resume continues from the checkpoint"
	case scheduler.ShowUnqueued:
		note = "no element in the queue"
		if it.Status.Error != "" {
			note += "; " + firstLine(it.Status.Error)
		}
	case scheduler.ShowFailed, scheduler.ShowCancelled:
		note = firstLine(it.Status.Error)
	}
	if len(note) > 140 {
		note = note[:139] + "…"
	}
	return note
}

func statusHint(s *scheduler.Snapshot) string {
	stuck := s.Counts[scheduler.ShowLost] + s.Counts[scheduler.ShowInterrupted] + s.Counts[scheduler.ShowUnqueued] + s.Counts[scheduler.ShowFailed] + s.Counts[scheduler.ShowCancelled]
	switch {
	case stuck == 0:
		return ""
	case len(s.Jobs.Submissions) > 0:
		return "continue the unfinished items (a new array) with: mlbench resume"
	default:
		return "continue the unfinished items with: mlbench resume"
	}
}
