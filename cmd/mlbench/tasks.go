package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/task"
)

var tasksCommand = group("tasks", "list tasks and suites, make the demo tasks",
	&cli.Command{
		Name:  "list",
		Usage: "list the tasks of a suite with their split, metric, direction, grader and data status",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "suite", Value: "mle-bench-full", Usage: "suite: mle-bench-full, mle-bench-lite (low), medium, high, dev, demo or file:PATH"},
			dataDirFlag),
		Action: withConfig(dataDirFlagKeys, tasksList),
	},
	&cli.Command{
		Name:  "check",
		Usage: "check that each task's prepared data is complete (public files, answers, medals); exit 1 naming what is missing",
		Description: `For each task of the suite (or each --task): the public dir with its
description.md and sample submission, the private answers the grader reads,
where medal thresholds come from, and the size of the public data. Exit 1
lists what is missing with the mlebench prepare command to run. submit and
run do this check before planning (--skip-missing plans the complete tasks).

Examples:
  mlbench tasks check --suite mle-bench-lite --data-dir /scratch/mle-bench/data
  mlbench tasks check --task spaceship-titanic`,
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "suite", Usage: "suite: mle-bench-full, mle-bench-lite (low), medium, high, dev, demo or file:PATH"},
			&cli.StringSliceFlag{Name: "task", Aliases: []string{"t"}, Usage: "task `ID` (repeatable)"},
			dataDirFlag),
		Action: withConfig(dataDirFlagKeys, tasksCheck),
	},
	&cli.Command{
		Name:  "make-demo",
		Usage: "write the synthetic demo tasks (deterministic for a seed)",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "out", Usage: "output `DIR` (default data.demo_dir)"},
			&cli.Int64Flag{Name: "seed", Usage: "generator seed (default data.demo_seed)"}),
		Action: withConfig(map[string]string{"out": "data.demo_dir", "seed": "data.demo_seed"}, tasksMakeDemo),
	},
)

func tasksList(c *cli.Context, cfg *configs.Config) error {
	reg := harness.RegistryFrom(cfg)
	tasks, err := reg.Suite(c.String("suite"))
	if err != nil {
		return cli.Exit(err.Error(), 2)
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSPLIT\tMETRIC\tBETTER\tGRADER\tPREPARED")
	graded, prepared := 0, 0
	for _, t := range tasks {
		better := "higher"
		if t.LowerIsBetter {
			better = "lower"
		}
		hasGrader := t.Kind == task.KindCustom || grader.HasGrader(t.ID)
		if hasGrader {
			graded++
		}
		if t.Prepared() {
			prepared++
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Split, t.Metric, better, yesNo(hasGrader), yesNo(t.Prepared()))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "%d tasks: %d with a grader, %d prepared in %s\n", len(tasks), graded, prepared, reg.DataDir)
	return nil
}

func tasksCheck(c *cli.Context, cfg *configs.Config) error {
	tasks, err := namedTasks(c, harness.RegistryFrom(cfg))
	if err != nil {
		return err
	}
	checks := task.CheckAll(tasks)
	w := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tSPLIT\tPUBLIC\tFILES\tANSWERS\tMEDALS\tSTATUS")
	var bad []task.Check
	for _, ck := range checks {
		size, files, status := "-", "-", "ok"
		if ck.PublicFiles > 0 {
			size, files = humanBytes(ck.PublicBytes), fmt.Sprint(ck.PublicFiles)
			if ck.SizeCapped {
				size, files = ">="+size, ">="+files
			}
		}
		answers := "yes"
		for _, m := range ck.Missing {
			if strings.HasPrefix(m, "answers") {
				answers = "no"
			}
		}
		if !ck.OK() {
			status = fmt.Sprintf("missing %d", len(ck.Missing))
			bad = append(bad, ck)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ck.Task.ID, ck.Task.Split, size, files, answers, ck.Medals, status)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return cli.Exit((&task.IncompleteError{Checks: bad, Total: len(checks)}).Error(), 1)
	}
	fmt.Fprintf(c.App.ErrWriter, "%d tasks: all prepared\n", len(checks))
	return nil
}

// humanBytes renders n as 1.2G, 340M, 12K or 512B.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	v, suffix := float64(n), "B"
	for _, s := range []string{"K", "M", "G", "T"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f%s", v, suffix)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func tasksMakeDemo(c *cli.Context, cfg *configs.Config) error {
	dir := configs.ExpandPath(cfg.Data.DemoDir)
	if err := task.MakeDemo(dir, cfg.Data.DemoSeed); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %d demo tasks to %s (seed %d): %v\n", len(task.DemoIDs()), dir, cfg.Data.DemoSeed, task.DemoIDs())
	return nil
}
