package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/results"
)

var sweepCommand = &cli.Command{
	Name:  "sweep",
	Usage: "run a grid of config values as sweep points of one run (here, or on Slurm)",
	Description: `Plans one run whose work items are tasks x seeds x every combination of the
--grid values (each item records its sweep point in the manifest and in its
trace rows), then runs it here (the local scheduler, like 'mlbench run') or
submits it to Slurm (like 'mlbench submit'). Compare the points with
'mlbench report RUN --by KEY'.

Examples:
  mlbench sweep --suite demo --grid search.uct_c=0.5,1.414 --steps 5
  mlbench sweep --suite mle-bench-lite --grid search.uct_c=0.5,1.414 --grid search.workers=1,3 --scheduler slurm --slurm.gres gpu:1`,
	Flags: clusterFlags(
		&cli.StringFlag{Name: "scheduler", Usage: "local or slurm (default: scheduler.kind)"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "work items run at once by the local scheduler (scheduler.jobs)"},
		dryRunFlag,
	),
	Action: sweepAction,
}

func sweepAction(c *cli.Context) error {
	if len(c.StringSlice("grid")) == 0 {
		return cli.Exit("a sweep needs at least one --grid key=v1,v2 (e.g. --grid search.uct_c=0.5,1.414)", 2)
	}
	kind := c.String("scheduler")
	if kind == "" {
		cfg, err := loadConfig(c, nil)
		if err != nil {
			return err
		}
		kind = cfg.Scheduler.Kind
	}
	kind, err := schedulerKind(kind)
	if err != nil {
		return err
	}
	if kind != localKind {
		return planAndSubmit(c, "sweep", kind)
	}
	if c.Bool("dry-run") {
		return cli.Exit("--dry-run needs --scheduler slurm", 2)
	}
	req, err := planRequest(c, runFlagKeys, localKind)
	if err != nil {
		return err
	}
	run, err := plan(c, req, true)
	if err != nil {
		return err
	}
	grid := req.Grid
	err = executeRun(c, run, allItems(run))
	for _, a := range grid {
		if perr := printRunReport(c.App.Writer, run.Dir, "By "+a.Key, results.ReportOptions{By: a.Key}); perr != nil {
			fmt.Fprintf(c.App.ErrWriter, "mlbench: report by %s: %v\n", a.Key, perr)
		}
	}
	return err
}
