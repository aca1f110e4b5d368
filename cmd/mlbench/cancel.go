package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
)

// cancelReason is what a cancelled item's status.json says.
const cancelReason = "cancelled by mlbench cancel; its checkpoint is kept (mlbench resume continues it)"

var cancelCommand = &cli.Command{
	Name:      "cancel",
	Usage:     "cancel a run: scancel its Slurm arrays and mark every unfinished item cancelled",
	ArgsUsage: "RUN",
	Description: `Marks the run cancelled (so interrupted workers do not requeue themselves),
cancels every Slurm array of the run with scancel, then marks each item that
is not done or failed as cancelled. Running workers get SIGTERM, checkpoint
and mark their item themselves; cancel waits for them up to --wait.
Checkpoints are kept: 'mlbench resume RUN' continues. A run without Slurm
arrays only has its unfinished items marked (a local 'mlbench run' stops
with Ctrl-C).

Examples:
  mlbench cancel 20260101-120000-abcdef
  mlbench cancel --wait 5m runs/20260101-120000-abcdef`,
	Flags: append(globalFlags(),
		&cli.StringFlag{Name: "results", Usage: "`DIR` to find a run id in (results.dir)"},
		&cli.DurationFlag{Name: "wait", Value: 2 * time.Minute, Usage: "how long to wait for running workers to stop"},
	),
	Action: cancelAction,
}

func cancelAction(c *cli.Context) error {
	run, err := openRunArg(c, "cancel")
	if err != nil {
		return err
	}
	jobs, err := results.ReadJobs(run.Dir)
	if err != nil {
		return err
	}
	if len(jobs.Submissions) > 0 {
		sched, err := scheduler.ForRun(run.Dir, run.Config)
		if err != nil {
			return err
		}
		if err := sched.Cancel(c.Context, run.Dir); err != nil {
			return cli.Exit(fmt.Sprintf("cancel run %s: %v", run.Manifest.RunID, err), 1)
		}
		fmt.Fprintf(c.App.ErrWriter, "run %s: cancelled Slurm arrays %v\n", run.Manifest.RunID, jobs.JobIDs())
	} else {
		fmt.Fprintf(c.App.ErrWriter, "run %s has no Slurm arrays; a local 'mlbench run' of it stops with Ctrl-C\n", run.Manifest.RunID)
	}

	sts, err := run.Statuses()
	if err != nil {
		return err
	}
	var todo []int
	kept := 0
	for i, st := range sts {
		if st.State == results.StateDone || st.State == results.StateFailed {
			kept++
			continue
		}
		todo = append(todo, i)
	}
	deadline := time.Now().Add(c.Duration("wait"))
	waited := false
	for {
		var busy []int
		for _, i := range todo {
			_, err := harness.CancelItem(run, i, cancelReason)
			switch {
			case errors.Is(err, harness.ErrBusy):
				busy = append(busy, i)
			case err != nil:
				return err
			}
		}
		if len(busy) == 0 {
			break
		}
		if time.Now().After(deadline) || c.Context.Err() != nil {
			return cli.Exit(fmt.Sprintf("run %s: %d items are still running (first: item %d); their workers mark them cancelled when they stop", run.Manifest.RunID, len(busy), busy[0]), 1)
		}
		if !waited {
			fmt.Fprintf(c.App.ErrWriter, "waiting for %d running workers to checkpoint and stop…\n", len(busy))
			waited = true
		}
		todo = busy
		select {
		case <-c.Context.Done():
		case <-time.After(time.Second):
		}
	}
	// Workers that stopped by themselves marked their items: count them all.
	cancelled := 0
	if sts, err = run.Statuses(); err == nil {
		for _, st := range sts {
			if st.State == results.StateCancelled {
				cancelled++
			}
		}
	}
	fmt.Fprintf(c.App.ErrWriter, "run %s: %d items cancelled, %d done or failed kept; continue later with: mlbench resume %s\n", run.Manifest.RunID, cancelled, kept, runRef(run))
	return nil
}
