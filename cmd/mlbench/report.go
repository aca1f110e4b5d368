package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/results"
)

var reportCommand = &cli.Command{
	Name:      "report",
	Usage:     "print MLE-Bench medal tables for one or more runs",
	ArgsUsage: "RUN [RUN...]",
	Description: `Medal tables per split (low, medium, high, all): any medal, gold, silver,
bronze, valid submission, submission exists and above median, each in % as
mean ± SEM over seeds, plus mean wall time, nodes, tokens and cost per run.
Seeds are counted the MLE-Bench way: seed i of a task is its i-th finished
run, and only seeds every task of the split has finished are counted;
--pad-missing counts missing runs as zero instead. Several RUNs print side
by side; --by groups each run by a config key (a sweep parameter or a key
of the run's config.yaml).

A RUN is a run directory or a run id under results.dir. Its results.parquet
is used when every item in it is finished; otherwise the items are read
directly, so runs still in progress are reported with what is done (the
Runs table says how much is missing). Trace parts that cannot be read are
skipped with a warning that counts them.

--anytime adds any-medal % against elapsed hours, choosing at each time the
node with the best validation metric so far; it needs node test results
from 'mlbench collect RUN --grade-nodes'.

Examples:
  mlbench report runs/20260101-120000-abcdef
  mlbench report --by search.uct_c --format markdown SWEEP_RUN
  mlbench report --tasks --format csv RUN_A RUN_B > tasks.csv
  mlbench report --anytime --at 3h,6h,12h,24h --plot anytime.svg RUN`,
	Flags: append(globalFlags(),
		&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: results.FormatTable, Usage: "output `FORMAT`: " + strings.Join(results.Formats, ", ")},
		&cli.StringFlag{Name: "by", Usage: "group by config `KEY` (e.g. search.uct_c), one row per value"},
		&cli.BoolFlag{Name: "tasks", Usage: "add the per-task table (scores, medals, thresholds, nodes, buggy %, best stage)"},
		&cli.BoolFlag{Name: "pad-missing", Usage: "count missing runs as zero instead of keeping complete seeds only"},
		&cli.IntFlag{Name: "num-seeds", Usage: "count at most `N` seeds"},
		&cli.BoolFlag{Name: "anytime", Usage: "add any-medal % as a function of elapsed hours"},
		&cli.StringFlag{Name: "at", Usage: "with --anytime: elapsed `TIMES` such as 3h,6h,12h (default: a round grid up to the longest run)"},
		&cli.StringFlag{Name: "plot", Usage: "also draw the medal chart (and anytime curves) to `FILE` (.svg, .png or .pdf)"},
		&cli.BoolFlag{Name: "recompute", Usage: "ignore results.parquet and read the item directories"},
	),
	Action: reportAction,
}

func reportAction(c *cli.Context) error {
	refs, err := commandArgs(c, 1, -1, "RUN [RUN...] (run directories or ids)")
	if err != nil {
		return err
	}
	format := c.String("format")
	if !slices.Contains(results.Formats, format) {
		return cli.Exit(fmt.Sprintf("report: unknown --format %q (want one of %s)", format, strings.Join(results.Formats, ", ")), 2)
	}
	if c.Int("num-seeds") < 0 {
		return cli.Exit("report: --num-seeds must be positive", 2)
	}
	var at []time.Duration
	if s := c.String("at"); s != "" {
		if !c.Bool("anytime") {
			return cli.Exit("report: --at needs --anytime", 2)
		}
		if at, err = parseDurations(s); err != nil {
			return cli.Exit(fmt.Sprintf("report: --at: %v", err), 2)
		}
	}
	if p := c.String("plot"); p != "" {
		switch strings.ToLower(filepath.Ext(p)) {
		case ".svg", ".png", ".pdf":
		default:
			return cli.Exit(fmt.Sprintf("report: --plot %s: the file must end in .svg, .png or .pdf", p), 2)
		}
	}
	cfg, err := loadConfig(c, nil)
	if err != nil {
		return err
	}
	batchGC()
	reader := results.NewReader(nil)
	var runs []*results.Run
	for _, ref := range refs {
		dir, err := results.ResolveRunDir(ref, cfg.Results.Dir)
		if err != nil {
			return cli.Exit(err.Error(), 2)
		}
		run, err := results.LoadRun(c.Context, dir, results.CollectOptions{Reader: reader, Recompute: c.Bool("recompute")})
		if err != nil {
			return fmt.Errorf("report %s: %w", ref, err)
		}
		runs = append(runs, run)
	}
	opts := results.ReportOptions{
		By: c.String("by"), PadMissing: c.Bool("pad-missing"), NumSeeds: c.Int("num-seeds"), Tasks: c.Bool("tasks"),
	}
	rep, err := results.BuildReport(runs, opts)
	if err != nil {
		return err
	}
	if c.Bool("anytime") {
		if rep.Anytime, err = results.BuildAnytime(c.Context, runs, opts, at, reader); err != nil {
			return err
		}
	}
	if err := rep.Render(c.App.Writer, format); err != nil {
		return err
	}
	if p := c.String("plot"); p != "" {
		if err := results.SavePlot(p, rep); err != nil {
			return fmt.Errorf("report: plot: %w", err)
		}
		fmt.Fprintf(c.App.ErrWriter, "wrote %s\n", p)
	}
	printWarnings(c.App.ErrWriter, rep.Warnings)
	return nil
}

// parseDurations parses "3h,6h,90m" (a bare number means hours).
func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := time.ParseDuration(part)
		if err != nil {
			h, ferr := strconv.ParseFloat(part, 64)
			if ferr != nil {
				return nil, fmt.Errorf("%q is not a duration (e.g. 6h, 90m)", part)
			}
			d = time.Duration(h * float64(time.Hour))
		}
		if d < 0 {
			return nil, fmt.Errorf("%q is negative", part)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, errors.New("no times given")
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// batchGC trades heap for less garbage-collection CPU in the commands that
// read thousands of trace parts, unless the user set GOGC.
func batchGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(results.BatchGCPercent)
	}
}

// printWarnings prints report warnings to stderr, one per line.
func printWarnings(w io.Writer, warnings []string) {
	for _, msg := range warnings {
		fmt.Fprintln(w, "warning:", msg)
	}
}
