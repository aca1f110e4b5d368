package main

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/results"
)

var collectCommand = &cli.Command{
	Name:      "collect",
	Usage:     "write a run's results.parquet (one row per item); optionally grade every node",
	ArgsUsage: "RUN",
	Description: `Rebuilds one result row per work item from the run directory (manifest,
status.json, grade.json, trace parts) and writes RUN/results.parquet
atomically; pandas, polars and duckdb read it directly.

--grade-nodes first grades the submission of every node of every finished
item (items/<i>/nodes/<node-id>/submission.csv) in parallel with the same
grader as grade.json, and records test_score and medal in the node rows.
That is what 'mlbench report --anytime' needs. Running items are left
alone; nodes already graded are kept unless --regrade. Grader failures are
counted and reported after the rest is saved; rerunning grades only what is
left.

Examples:
  mlbench collect runs/20260101-120000-abcdef
  mlbench collect --grade-nodes --workers 8 20260101-120000-abcdef`,
	Flags: append(globalFlags(),
		&cli.BoolFlag{Name: "grade-nodes", Usage: "grade every node's submission (for anytime curves)"},
		&cli.BoolFlag{Name: "regrade", Usage: "with --grade-nodes: grade nodes that already have a result again"},
		&cli.IntFlag{Name: "workers", Aliases: []string{"j"}, Usage: "grade `N` submissions at once (default: CPU count)"},
	),
	Action: collectAction,
}

func collectAction(c *cli.Context) error {
	args, err := commandArgs(c, 1, 1, "RUN [--grade-nodes] (a run directory or id)")
	if err != nil {
		return err
	}
	if c.Bool("regrade") && !c.Bool("grade-nodes") {
		return cli.Exit("collect: --regrade needs --grade-nodes", 2)
	}
	dir, err := runDirArg(c, args[0])
	if err != nil {
		return err
	}
	batchGC()
	var gradeErr error
	if c.Bool("grade-nodes") {
		gradeErr = collectGradeNodes(c, dir)
		if gradeErr != nil && c.Context.Err() != nil {
			return gradeErr
		}
	}
	run, err := results.Collect(c.Context, dir, results.CollectOptions{})
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	if err := results.WriteResults(dir, run.Rows); err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	counts := run.Counts()
	fmt.Fprintf(c.App.Writer, "wrote %s/%s: %d items (%d done, %d failed, %d running, %d pending, %d cancelled)\n",
		dir, results.ResultsFile, len(run.Rows), counts[results.StateDone], counts[results.StateFailed],
		counts[results.StateRunning], counts[results.StatePending], counts[results.StateCancelled])
	if len(run.Skipped) > 0 {
		printWarnings(c.App.ErrWriter, []string{fmt.Sprintf("skipped %d unreadable file(s); first: %s: %v",
			len(run.Skipped), run.Skipped[0].Path, run.Skipped[0].Err)})
	}
	return gradeErr
}

// collectGradeNodes grades every node of the run with the task's grader.
func collectGradeNodes(c *cli.Context, dir string) error {
	run, err := harness.Open(dir, "")
	if err != nil {
		return cli.Exit(fmt.Sprintf("collect: %v", err), 2)
	}
	registry := harness.RegistryFrom(run.Config)
	leaderboards := configs.ExpandPath(run.Config.Data.Leaderboards)
	grade := nodeGrader(registry, leaderboards)

	var bar *progressbar.ProgressBar
	if f, ok := c.App.ErrWriter.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar = progressbar.NewOptions(-1, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("grading nodes"),
			progressbar.OptionShowCount(), progressbar.OptionSetWidth(24), progressbar.OptionClearOnFinish())
	}
	var once sync.Once
	st, err := results.GradeNodes(c.Context, dir, grade, results.GradeNodesOptions{
		Workers: c.Int("workers"),
		Regrade: c.Bool("regrade"),
		Progress: func(done, total int) {
			if bar == nil {
				return
			}
			once.Do(func() { bar.ChangeMax(total) })
			_ = bar.Set(done)
		},
	})
	if bar != nil {
		_ = bar.Finish()
	}
	fmt.Fprintf(c.App.Writer, "graded %d node(s) in %d item(s): %d newly graded, %d already graded, %d without submission, %d failed; %d part(s) rewritten",
		st.Nodes, st.Items, st.Graded, st.AlreadyGraded, st.NoSubmission, st.Failed, st.Parts)
	if st.SkippedRunning > 0 {
		fmt.Fprintf(c.App.Writer, "; %d running item(s) left alone", st.SkippedRunning)
	}
	fmt.Fprintln(c.App.Writer)
	if len(st.Skipped) > 0 {
		printWarnings(c.App.ErrWriter, []string{fmt.Sprintf("skipped %d unreadable trace part(s); first: %s: %v",
			len(st.Skipped), st.Skipped[0].Path, st.Skipped[0].Err)})
	}
	if err != nil {
		return fmt.Errorf("collect: %w", err)
	}
	return nil
}

// nodeGrader grades a node's submission like the harness grades the best
// one: resolve the task (MLE-Bench competition, custom or demo task), then
// grader.Grade. Tasks are resolved once.
func nodeGrader(registry task.Registry, leaderboards string) results.NodeGrader {
	var mu sync.Mutex
	tasks := map[string]task.Task{}
	errs := map[string]error{}
	return func(ctx context.Context, taskID, path string) (results.Grade, error) {
		mu.Lock()
		t, ok := tasks[taskID]
		terr := errs[taskID]
		if !ok && terr == nil {
			t, terr = registry.Task(taskID)
			if terr != nil {
				errs[taskID] = terr
			} else {
				tasks[taskID] = t
			}
		}
		mu.Unlock()
		if terr != nil {
			return results.Grade{}, terr
		}
		rep, err := grader.Grade(ctx, t.GradeRequest(path, leaderboards))
		if err != nil {
			return results.Grade{}, err
		}
		return rep, nil
	}
}
