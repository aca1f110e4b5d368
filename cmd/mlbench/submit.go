package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
)

// slurmFlagKeys map the --slurm.* flags onto config keys.
var slurmFlagKeys = map[string]string{
	"slurm.partition":      "slurm.partition",
	"slurm.account":        "slurm.account",
	"slurm.qos":            "slurm.qos",
	"slurm.gres":           "slurm.gres",
	"slurm.time":           "slurm.time",
	"slurm.cpus-per-task":  "slurm.cpus_per_task",
	"slurm.mem":            "slurm.mem",
	"slurm.array-throttle": "slurm.array_throttle",
	"slurm.signal-grace":   "slurm.signal_grace",
	"slurm.max-attempts":   "slurm.max_attempts",
	"slurm.extra":          "slurm.extra",
	"slurm.container":      "slurm.container",
}

func slurmFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "slurm.partition", Usage: "`PARTITION` (slurm.partition)"},
		&cli.StringFlag{Name: "slurm.account", Usage: "`ACCOUNT` (slurm.account)"},
		&cli.StringFlag{Name: "slurm.qos", Usage: "`QOS` (slurm.qos)"},
		&cli.StringFlag{Name: "slurm.gres", Usage: "generic resources per element, e.g. gpu:1 (slurm.gres)"},
		&cli.StringFlag{Name: "slurm.time", Usage: "time limit per element, e.g. 24:00:00 (slurm.time)"},
		&cli.IntFlag{Name: "slurm.cpus-per-task", Usage: "CPUs per element (slurm.cpus_per_task)"},
		&cli.StringFlag{Name: "slurm.mem", Usage: "memory per element, e.g. 64G (slurm.mem)"},
		&cli.IntFlag{Name: "slurm.array-throttle", Usage: "elements running at once, 0 = no cap (slurm.array_throttle)"},
		&cli.StringFlag{Name: "slurm.signal-grace", Usage: "USR1 this long before the time limit, e.g. 5m (slurm.signal_grace)"},
		&cli.IntFlag{Name: "slurm.max-attempts", Usage: "starts per element, the first included (slurm.max_attempts)"},
		&cli.StringSliceFlag{Name: "slurm.extra", Usage: "extra #SBATCH directive, e.g. --constraint=a100 (repeatable; slurm.extra)"},
		&cli.StringFlag{Name: "slurm.container", Usage: "Apptainer `IMAGE` to run each worker in (slurm.container)"},
	}
}

// clusterFlags are the flags of a command that plans and submits a run:
// the run flags (less the local --jobs) and the --slurm.* flags.
func clusterFlags(extra ...cli.Flag) []cli.Flag {
	var out []cli.Flag
	for _, f := range runFlags() {
		if f.Names()[0] != "jobs" {
			out = append(out, f)
		}
	}
	out = append(out, slurmFlags()...)
	return append(out, extra...)
}

func mergeKeys(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

var dryRunFlag = &cli.BoolFlag{Name: "dry-run", Usage: "plan the run and write its sbatch scripts, but submit nothing"}

var submitCommand = &cli.Command{
	Name:  "submit",
	Usage: "plan a run and submit it to Slurm as one job array (per MaxArraySize chunk)",
	Description: `Plans a run exactly like 'mlbench run' (tasks x seeds x sweep points, the
same run directory and manifest), writes <run>/slurm/array.sbatch and submits
it with one sbatch call (one per chunk when the run has more items than the
cluster's MaxArraySize). Each array element runs 'mlbench worker' for one
item; on SIGUSR1 (slurm.signal_grace before the time limit) or SIGTERM
(preemption, scontrol requeue) it checkpoints and is requeued, up to
slurm.max_attempts starts. The run directory and mlbench itself must be on a
filesystem the compute nodes share.

Prints the run id on stdout and the commands to follow it on stderr.

Examples:
  mlbench submit --suite mle-bench-full --seeds 3 --slurm.partition gpu --slurm.gres gpu:1
  mlbench submit --task spaceship-titanic --grid search.uct_c=0.5,1.414 --slurm.time 12:00:00
  mlbench submit --suite demo --steps 5 --slurm.cpus-per-task 1 --slurm.mem 2G --dry-run`,
	Flags:  clusterFlags(dryRunFlag),
	Action: func(c *cli.Context) error { return planAndSubmit(c, "submit", "") },
}

// planAndSubmit is submit (and sweep --scheduler slurm): plan the run from
// the flags, then submit every item to the cluster backend kind ("": the
// config's scheduler.kind, or slurm when that is local).
func planAndSubmit(c *cli.Context, reason, kind string) error {
	req, err := planRequest(c, mergeKeys(runFlagKeys, slurmFlagKeys), kind)
	if err != nil {
		return err
	}
	cfg := req.Config
	if cfg.Scheduler.Kind == "" || cfg.Scheduler.Kind == localKind {
		cfg.Scheduler.Kind = defaultClusterKind
	}
	kind = cfg.Scheduler.Kind
	dry := c.Bool("dry-run")
	// A bad grid is a usage error, reported before the cluster is asked.
	for _, a := range req.Grid {
		for _, v := range a.Values {
			probe := *cfg
			if err := probe.Set(a.Key, v); err != nil {
				return cli.Exit(fmt.Sprintf("grid: %v", err), 2)
			}
		}
	}
	var subs []scheduler.Submitted
	sched, err := scheduler.New(cfg, scheduler.Options{Reason: reason, DryRun: dry, OnSubmit: func(s scheduler.Submitted) { subs = append(subs, s) }})
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	// Check the options and the cluster before a run directory exists.
	if err := checkScheduler(c, sched); err != nil {
		return err
	}
	run, err := plan(c, req, false)
	if err != nil {
		return err
	}
	if err := sched.Submit(c.Context, run.Dir, allItems(run)); err != nil {
		return cli.Exit(fmt.Sprintf("%v\nthe run is planned in %s but not (fully) submitted; after fixing the cause submit it with: mlbench resume --scheduler %s [--slurm.* flags] %s", err, run.Dir, kind, runRef(run)), 1)
	}
	printSubmitted(c.App.ErrWriter, run, subs, dry)
	fmt.Fprintln(c.App.Writer, run.Manifest.RunID)
	return nil
}

func parseGrid(c *cli.Context) ([]harness.Axis, error) {
	var grid []harness.Axis
	for _, g := range c.StringSlice("grid") {
		a, err := harness.ParseAxis(g)
		if err != nil {
			return nil, cli.Exit(err.Error(), 2)
		}
		grid = append(grid, a)
	}
	return grid, nil
}

// printSubmitted says what was submitted and what to type next.
func printSubmitted(w io.Writer, run *harness.Run, subs []scheduler.Submitted, dry bool) {
	for _, s := range subs {
		items := fmt.Sprintf("items %d-%d", s.Base, s.Last)
		if s.Items == 1 {
			items = fmt.Sprintf("item %d", s.Last)
		}
		if dry {
			fmt.Fprintf(w, "wrote %s (array %s, %d %s); not submitted (--dry-run): sbatch --parsable %s\n", s.Script, s.Array, s.Items, items, run.Dir+"/"+s.Script)
			continue
		}
		fmt.Fprintf(w, "submitted job array %s: %d elements (%s, array %s) from %s\n", s.JobID, s.Items, items, s.Array, s.Script)
	}
	if dry {
		return
	}
	id := runRef(run)
	fmt.Fprintf(w, "\nnext:\n")
	fmt.Fprintf(w, "  mlbench status --watch %s    # progress: the queue and the run directory\n", id)
	fmt.Fprintf(w, "  mlbench report %s            # medal table (finished items so far)\n", id)
	fmt.Fprintf(w, "  mlbench cancel %s            # stop every element\n", id)
	fmt.Fprintf(w, "  mlbench resume %s            # resubmit the unfinished items as a new array\n", id)
	fmt.Fprintf(w, "logs: %s/slurm/logs/<job>_<element>.{out,err}\n", id)
}

// runRef names a run for the commands to type next: its directory relative
// to the working directory when it is below it, else the absolute path.
func runRef(run *harness.Run) string {
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, run.Dir); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return rel
		}
	}
	return run.Dir
}

// resumeOnCluster resubmits a run's unfinished items (or with failedOnly its
// failed ones) to cluster backend kind as a new array; items still queued
// or running are left to their elements.
//
// The --slurm.* flags override the run's Slurm options for the new array
// (a longer --slurm.time, another partition).
func resumeOnCluster(c *cli.Context, run *harness.Run, kind string, failedOnly bool) error {
	for flag, key := range slurmFlagKeys {
		if c.IsSet(flag) {
			if err := run.Config.Set(key, flagValue(c, flag)); err != nil {
				return cli.Exit(fmt.Sprintf("--%s: %v", flag, err), 2)
			}
		}
	}
	var subs []scheduler.Submitted
	sched, err := scheduler.NewKind(kind, run.Config, scheduler.Options{Reason: "resume", OnSubmit: func(s scheduler.Submitted) { subs = append(subs, s) }})
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	snap, err := sched.Observe(c.Context, run.Dir, run.Manifest)
	if err != nil {
		return err
	}
	if snap.QueueErr != nil && len(snap.Jobs.Submissions) > 0 {
		return cli.Exit(fmt.Sprintf("cannot see the queue, so cannot tell which items still have elements: %v", snap.QueueErr), 1)
	}
	items, busy, skipped := scheduler.Resumable(snap, failedOnly)
	if len(items) == 0 {
		if skipped > 0 {
			fmt.Fprintf(c.App.ErrWriter, "run %s: no failed items to resubmit; %d unfinished items are not failed (resume without --failed-only resubmits them)\n", run.Manifest.RunID, skipped)
			return nil
		}
		if busy > 0 {
			fmt.Fprintf(c.App.ErrWriter, "run %s: nothing to resubmit; %d items are still queued or running (mlbench status %s)\n", run.Manifest.RunID, busy, runRef(run))
			return nil
		}
		fmt.Fprintf(c.App.ErrWriter, "run %s: every item is done\n", run.Manifest.RunID)
		return printRunReport(c.App.Writer, run.Dir, "", results.ReportOptions{Tasks: true})
	}
	if err := checkScheduler(c, sched); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "run %s: resubmitting %d of %d items", run.Manifest.RunID, len(items), len(snap.Items))
	if busy > 0 {
		fmt.Fprintf(c.App.ErrWriter, " (%d still queued or running are left alone)", busy)
	}
	fmt.Fprintln(c.App.ErrWriter)
	if err := sched.Submit(c.Context, run.Dir, items); err != nil {
		return cli.Exit(err.Error(), 1)
	}
	printSubmitted(c.App.ErrWriter, run, subs, false)
	fmt.Fprintln(c.App.Writer, run.Manifest.RunID)
	return nil
}

// elementWorker is `mlbench worker` inside a Slurm array element: USR1 and
// TERM stop the search gracefully, the item keeps its checkpoint and is
// requeued (see harness.RunElement).
func elementWorker(c *cli.Context) error {
	// First: SIGUSR1's default action would kill the process.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM)
	defer signal.Stop(sigs)
	el, err := scheduler.CurrentElement(defaultClusterKind)
	if err != nil {
		return cli.Exit("worker --slurm: "+err.Error(), 2)
	}
	run, err := harness.Open(c.String("run"), "")
	if err != nil {
		return err
	}
	index := c.Int("index")
	maxAttempts := run.Config.Slurm.MaxAttempts
	if c.IsSet("max-attempts") {
		maxAttempts = c.Int("max-attempts")
	}
	fmt.Fprintf(c.App.ErrWriter, "mlbench worker: item %d of run %s as Slurm element %s, attempt %d of %d\n",
		index, run.Manifest.RunID, el.Name, el.Attempt, maxAttempts)
	// Only our handler ends the search on TERM: it must know the signal.
	ctx := context.WithoutCancel(c.Context)
	_, err = harness.RunElement(ctx, run, index, harness.ItemOptions{Log: c.App.ErrWriter}, harness.ElementOptions{
		Attempt: el.Attempt, MaxAttempts: maxAttempts, Requeueable: c.Bool("requeue"),
		Requeue:   el.Requeue,
		Cancelled: func() bool { return results.Cancelled(run.Dir) },
		Signals:   sigs, Log: c.App.ErrWriter,
	})
	var gu *harness.GaveUpError
	switch {
	case errors.Is(err, harness.ErrRequeued):
		return cli.Exit(fmt.Sprintf("item %d: interrupted, checkpoint kept, requeued", index), 0)
	case errors.Is(err, harness.ErrCancelled):
		return cli.Exit(fmt.Sprintf("item %d: cancelled; its checkpoint is kept", index), 130)
	case errors.As(err, &gu):
		return cli.Exit(gu.Error(), 1)
	}
	return err
}

// checkScheduler asks the backend whether it can run the request: a wrong
// request exits 2, an unreachable backend 1; a warning is printed.
func checkScheduler(c *cli.Context, sched scheduler.Scheduler) error {
	warn, err := sched.Check(c.Context)
	var re *scheduler.RequestError
	switch {
	case errors.As(err, &re):
		return cli.Exit(err.Error(), 2)
	case err != nil:
		return cli.Exit(err.Error(), 1)
	}
	if warn != "" {
		fmt.Fprintln(c.App.ErrWriter, warn)
	}
	return nil
}
