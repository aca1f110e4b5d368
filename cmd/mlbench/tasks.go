package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/task"
)

var dataDirFlag = &cli.StringFlag{Name: "data-dir", Usage: "prepared MLE-Bench data `DIR` (data.dir)"}

var tasksCommand = &cli.Command{
	Name:  "tasks",
	Usage: "list tasks and suites, make the demo tasks",
	Subcommands: []*cli.Command{
		{
			Name:  "list",
			Usage: "list the tasks of a suite with their split, metric, direction, grader and data status",
			Flags: append(globalFlags(),
				&cli.StringFlag{Name: "suite", Value: "mle-bench-full", Usage: "suite: mle-bench-full, mle-bench-lite (low), medium, high, dev, demo or file:PATH"},
				dataDirFlag),
			Action: tasksList,
		},
		{
			Name:  "make-demo",
			Usage: "write the synthetic demo tasks (deterministic for a seed)",
			Flags: append(globalFlags(),
				&cli.StringFlag{Name: "out", Usage: "output `DIR` (default data.demo_dir)"},
				&cli.Int64Flag{Name: "seed", Usage: "generator seed (default data.demo_seed)"}),
			Action: tasksMakeDemo,
		},
	},
}

func tasksList(c *cli.Context) error {
	cfg, err := loadConfig(c, map[string]string{"data-dir": "data.dir"})
	if err != nil {
		return err
	}
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

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func tasksMakeDemo(c *cli.Context) error {
	cfg, err := loadConfig(c, map[string]string{"out": "data.demo_dir", "seed": "data.demo_seed"})
	if err != nil {
		return err
	}
	dir := configs.ExpandPath(cfg.Data.DemoDir)
	if err := task.MakeDemo(dir, cfg.Data.DemoSeed); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "wrote %d demo tasks to %s (seed %d): %v\n", len(task.DemoIDs()), dir, cfg.Data.DemoSeed, task.DemoIDs())
	return nil
}
