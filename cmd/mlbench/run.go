package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
)

// runFlagKeys map the run flags onto config keys; set flags win over
// everything else.
var runFlagKeys = map[string]string{
	"jobs":       "scheduler.jobs",
	"steps":      "search.steps",
	"time-limit": "search.time_limit",
	"workers":    "search.workers",
	"data-dir":   "data.dir",
	"sandbox":    "exec.sandbox",
	"coder":      "search.coder",
	"results":    "results.dir",
}

func runFlags() []cli.Flag {
	return append(globalFlags(),
		&cli.StringSliceFlag{Name: "task", Aliases: []string{"t"}, Usage: "task `ID` (repeatable): an MLE-Bench id, a custom task id or folder, or a demo task"},
		&cli.StringFlag{Name: "suite", Aliases: []string{"s"}, Usage: "suite: mle-bench-full, mle-bench-lite, medium, high, dev, demo or file:PATH"},
		&cli.IntFlag{Name: "seeds", Value: 1, Usage: "seeds per task"},
		&cli.StringSliceFlag{Name: "grid", Usage: "sweep a config key: key=v1,v2 (repeatable; the cartesian product)"},
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "work items run at once (scheduler.jobs)"},
		&cli.IntFlag{Name: "steps", Usage: "node budget per task (search.steps)"},
		&cli.StringFlag{Name: "time-limit", Usage: "wall-clock budget per task, e.g. 30m or 12h (search.time_limit)"},
		&cli.IntFlag{Name: "workers", Usage: "parallel search workers per task (search.workers)"},
		&cli.StringFlag{Name: "sandbox", Usage: "auto, apptainer, bwrap or process (exec.sandbox)"},
		&cli.StringFlag{Name: "coder", Usage: "auto, llm or baseline (search.coder)"},
		&cli.StringFlag{Name: "results", Usage: "`DIR` for run directories (results.dir)"},
		dataDirFlag,
		&cli.BoolFlag{Name: "skip-missing", Usage: "plan only the tasks whose prepared data is complete, naming those left out (default: refuse)"},
	)
}

var runCommand = &cli.Command{
	Name:  "run",
	Usage: "run the agent on tasks here and now (local scheduler), then print the medal table",
	Description: `Plans a run (tasks x seeds x sweep points), executes every work item in its
own worker process with the local scheduler, shows progress, and prints the
MLE-Bench medal table. Ctrl-C stops cleanly (items are marked cancelled and
keep their checkpoints; 'mlbench resume RUN' continues); a second Ctrl-C kills.

Examples:
  mlbench run --suite demo
  mlbench run --task spaceship-titanic --steps 50 --time-limit 2h
  mlbench run --suite mle-bench-lite --seeds 3 --jobs 4 --set search.coder=llm`,
	Flags:  runFlags(),
	Action: runAction,
}

func runAction(c *cli.Context) error {
	req, err := planRequest(c, runFlagKeys, "")
	if err != nil {
		return err
	}
	if err := harness.Preflight(c.Context, req.Config, req.Tasks[0]); err != nil {
		return cli.Exit(err.Error(), 2)
	}
	run, err := plan(c, req, false)
	if err != nil {
		return err
	}
	return executeRun(c, run, allItems(run))
}

// planRequest is what run, sweep and submit share: the config from the
// flags (keys maps flags onto config keys; a non-empty kind sets
// scheduler.kind), the tasks of --task/--suite and the --grid axes.
func planRequest(c *cli.Context, keys map[string]string, kind string) (harness.PlanRequest, error) {
	cfg, err := loadConfig(c, keys)
	if err != nil {
		return harness.PlanRequest{}, err
	}
	if kind != "" {
		cfg.Scheduler.Kind = kind
	}
	tasks, err := resolveTasks(c, cfg)
	if err != nil {
		return harness.PlanRequest{}, err
	}
	grid, err := parseGrid(c)
	if err != nil {
		return harness.PlanRequest{}, err
	}
	return harness.PlanRequest{Tasks: tasks, Seeds: c.Int("seeds"), Grid: grid, Config: cfg}, nil
}

// plan writes the run directory of req and says where it is (and, for a
// sweep, how many points it has).
func plan(c *cli.Context, req harness.PlanRequest, sweep bool) (*harness.Run, error) {
	run, err := harness.Plan(req)
	if err != nil {
		return nil, cli.Exit(err.Error(), 2)
	}
	fmt.Fprintf(c.App.ErrWriter, "run %s: %d work items", run.Manifest.RunID, len(run.Manifest.Items))
	if sweep {
		fmt.Fprintf(c.App.ErrWriter, " (%d sweep points)", len(harness.Points(req.Grid)))
	}
	fmt.Fprintf(c.App.ErrWriter, " in %s\n", run.Dir)
	return run, nil
}

// resolveTasks reads --task/--suite and checks that every task's data is
// complete (task.CheckTask), so a run never starts half-prepared: it
// refuses, or with --skip-missing keeps the complete tasks and says which
// were left out.
func resolveTasks(c *cli.Context, cfg *configs.Config) ([]task.Task, error) {
	tasks, err := namedTasks(c, harness.RegistryFrom(cfg))
	if err != nil {
		return nil, err
	}
	ok, err := task.Complete(tasks)
	var inc *task.IncompleteError
	switch {
	case err == nil:
		return tasks, nil
	case !errors.As(err, &inc):
		return nil, err
	case c.Bool("skip-missing") && len(ok) > 0:
		var ids []string
		for _, ck := range inc.Checks {
			ids = append(ids, ck.Task.ID)
		}
		fmt.Fprintf(c.App.ErrWriter, "--skip-missing: left out %d of %d tasks whose data is incomplete: %s (see mlbench tasks check)\n", len(ids), len(tasks), strings.Join(ids, ", "))
		return ok, nil
	case len(inc.Checks) == 1 && len(tasks) == 1:
		return nil, cli.Exit((&task.NotPreparedError{Task: tasks[0]}).Error()+"\nmissing: "+strings.Join(inc.Checks[0].Missing, "; "), 2)
	}
	hint := "prepare them, or pass --skip-missing to plan only the complete tasks"
	if len(ok) == 0 {
		hint = "prepare them or point --data-dir / data.dir at your prepared data"
	}
	return nil, cli.Exit(inc.Error()+"\n"+hint, 2)
}

// namedTasks resolves --task (repeatable) or --suite.
func namedTasks(c *cli.Context, reg task.Registry) ([]task.Task, error) {
	ids, suite := c.StringSlice("task"), c.String("suite")
	switch {
	case len(ids) > 0 && suite != "":
		return nil, cli.Exit("give --task or --suite, not both", 2)
	case suite != "":
		ts, err := reg.Suite(suite)
		if err != nil {
			return nil, cli.Exit(err.Error(), 2)
		}
		return ts, nil
	case len(ids) > 0:
		var tasks []task.Task
		for _, id := range ids {
			t, err := reg.Task(id)
			if err != nil {
				return nil, cli.Exit(err.Error(), 2)
			}
			tasks = append(tasks, t)
		}
		return tasks, nil
	}
	return nil, cli.Exit("say which tasks: --suite demo, --suite mle-bench-lite, --task ID ...", 2)
}

// openRunArg opens the one RUN argument of a command (a run directory, or
// a run id under results.dir).
func openRunArg(c *cli.Context, command string) (*harness.Run, error) {
	if c.NArg() != 1 {
		return nil, cli.Exit(fmt.Sprintf("usage: mlbench %s [flags] RUN (a run directory or id; flags go before RUN)", command), 2)
	}
	cfg, err := loadConfig(c, map[string]string{"results": "results.dir"})
	if err != nil {
		return nil, err
	}
	run, err := harness.Open(c.Args().First(), cfg.Results.Dir)
	if err != nil {
		return nil, cli.Exit(err.Error(), 2)
	}
	return run, nil
}

// The scheduler kinds commands pick by default: local runs here, and
// submit (or a sweep or resume sent to a cluster) defaults to Slurm.
const (
	localKind          = "local"
	defaultClusterKind = "slurm"
)

// schedulerKind checks that kind is a registered scheduler backend.
func schedulerKind(kind string) (string, error) {
	if kind == "" {
		return localKind, nil
	}
	kinds := scheduler.Kinds()
	if !slices.Contains(kinds, kind) {
		return "", cli.Exit(fmt.Sprintf("--scheduler %q: use %s", kind, strings.Join(kinds, " or ")), 2)
	}
	return kind, nil
}

func allItems(run *harness.Run) []int {
	items := make([]int, len(run.Manifest.Items))
	for i := range items {
		items[i] = i
	}
	return items
}

// executeRun runs items with the local scheduler, shows progress and
// prints the medal table.
func executeRun(c *cli.Context, run *harness.Run, items []int) error {
	ctx := c.Context
	mon := newMonitor(c.App.ErrWriter, run, items)
	sched, err := scheduler.NewKind(localKind, run.Config, scheduler.Options{OnExit: mon.itemExited})
	if err != nil {
		return err
	}
	mon.start(ctx)
	err = sched.Submit(ctx, run.Dir, items)
	mon.stop()
	interrupted := errors.Is(err, context.Canceled) || ctx.Err() != nil
	if err != nil && !interrupted {
		return err
	}
	if perr := printRunReport(c.App.Writer, run.Dir, "", results.ReportOptions{Tasks: true}); perr != nil {
		fmt.Fprintf(c.App.ErrWriter, "mlbench: report: %v\n", perr)
	}
	if interrupted {
		return cli.Exit(fmt.Sprintf("interrupted: items keep their checkpoints; continue with: mlbench resume %s", run.Dir), 130)
	}
	return summarizeFailures(c.App.ErrWriter, run, items)
}

// summarizeFailures names failed items with the last line of their error.
func summarizeFailures(w io.Writer, run *harness.Run, items []int) error {
	var failed []string
	for _, i := range items {
		st, err := results.ReadItemStatus(run.ItemDir(i))
		if err != nil || st.State == results.StateDone {
			continue
		}
		msg := st.Error
		if msg == "" {
			msg = "worker exited without finishing; see " + filepath.Join(run.ItemDir(i), results.WorkerLogFile)
		}
		failed = append(failed, fmt.Sprintf("item %d (%s): %s: %s", i, run.Manifest.Items[i].TaskID, st.State, msg))
	}
	if len(failed) == 0 {
		fmt.Fprintf(w, "\nrun directory: %s\n", run.Dir)
		return nil
	}
	for _, f := range failed {
		fmt.Fprintln(w, "mlbench:", f)
	}
	return cli.Exit(fmt.Sprintf("%d of %d items did not finish; fix the cause and continue with: mlbench resume %s", len(failed), len(items), run.Dir), 1)
}

// printRunReport prints the medal table of the run in dir after a blank
// line and heading (none when empty), as `mlbench report` would.
func printRunReport(w io.Writer, dir, heading string, opts results.ReportOptions) error {
	r, err := results.Collect(context.Background(), dir, results.CollectOptions{})
	if err != nil {
		return err
	}
	rep, err := results.BuildReport([]*results.Run{r}, opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	if heading != "" {
		fmt.Fprintln(w, heading)
	}
	return rep.Render(w, "table")
}

var resumeCommand = &cli.Command{
	Name:      "resume",
	Usage:     "continue an interrupted or failed run: here (local scheduler) or as a new Slurm array",
	ArgsUsage: "RUN",
	Flags: append(append(globalFlags(),
		&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "work items run at once (default: the run's scheduler.jobs)"},
		&cli.BoolFlag{Name: "failed-only", Usage: "rerun only failed items (not cancelled or pending ones)"},
		&cli.StringFlag{Name: "scheduler", Usage: "local (run here) or slurm (resubmit as a new array); default: the run's scheduler.kind"}),
		slurmFlags()...),
	Action: func(c *cli.Context) error {
		run, err := openRunArg(c, "resume")
		if err != nil {
			return err
		}
		kind, err := schedulerKind(cmp.Or(c.String("scheduler"), run.Config.Scheduler.Kind))
		if err != nil {
			return err
		}
		if kind != localKind {
			return resumeOnCluster(c, run, kind, c.Bool("failed-only"))
		}
		if c.IsSet("jobs") {
			run.Config.Scheduler.Jobs = max(1, c.Int("jobs"))
		}
		sts, err := run.Statuses()
		if err != nil {
			return err
		}
		var items []int
		for i, st := range sts {
			if st.State == results.StateDone || (c.Bool("failed-only") && st.State != results.StateFailed) {
				continue
			}
			items = append(items, i)
		}
		if len(items) == 0 {
			fmt.Fprintf(c.App.ErrWriter, "run %s: every item is done\n", run.Manifest.RunID)
			return printRunReport(c.App.Writer, run.Dir, "", results.ReportOptions{Tasks: true})
		}
		fmt.Fprintf(c.App.ErrWriter, "run %s: resuming %d of %d items\n", run.Manifest.RunID, len(items), len(sts))
		return executeRun(c, run, items)
	},
}

var workerCommand = &cli.Command{
	Name:  "worker",
	Usage: "run one work item of a run (what schedulers and Slurm array elements call)",
	Flags: append(globalFlags(),
		&cli.StringFlag{Name: "run", Required: true, Usage: "run `DIR`"},
		&cli.IntFlag{Name: "index", Required: true, Usage: "work item `N`"},
		&cli.BoolFlag{Name: "slurm", Usage: "run as a Slurm array element: on USR1/TERM checkpoint and requeue (the sbatch script sets it)"},
		&cli.BoolFlag{Name: "requeue", Usage: "with --slurm: the job was submitted with --requeue"},
		&cli.IntFlag{Name: "max-attempts", Usage: "with --slurm: starts of the element allowed (default: the run's slurm.max_attempts)"}),
	Action: func(c *cli.Context) error {
		if c.Bool("slurm") {
			return elementWorker(c)
		}
		run, err := harness.Open(c.String("run"), "")
		if err != nil {
			return err
		}
		_, err = harness.RunItem(c.Context, run, c.Int("index"), harness.ItemOptions{Log: c.App.ErrWriter})
		if errors.Is(err, harness.ErrCancelled) {
			return cli.Exit("item cancelled; its checkpoint is kept", 130)
		}
		return err
	},
}
