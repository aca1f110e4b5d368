package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/internal/atomicfile"
)

// gradeFlagKeys maps grade's flags to their config keys.
var gradeFlagKeys = map[string]string{"data-dir": "data.dir", "leaderboards": "data.leaderboards"}

var gradeCommand = &cli.Command{
	Name:  "grade",
	Usage: "grade submissions exactly as MLE-Bench's reference grader does",
	Description: `Prints one JSON object with the reference's CompetitionReport fields (plus
"reason" when the submission is invalid) and exits 0 whether or not the
submission is valid; usage errors (unknown competition, data not prepared)
exit 2. With --jsonl, grades every {"competition_id", "submission_path"}
line and writes <output-dir>/<timestamp>_grading_report.json.

Medal thresholds come from --leaderboard, else <leaderboards>/<id>/leaderboard.csv
(data.leaderboards: the mle-bench checkout's mlebench/competitions), else
the built-in table.`,
	Flags: append(globalFlags(),
		&cli.StringFlag{Name: "competition", Usage: "competition or task `ID` (custom under --data-dir, demo), or a task folder with task.yaml"},
		&cli.StringFlag{Name: "submission", Usage: "submission CSV `FILE`"},
		dataDirFlag,
		&cli.StringFlag{Name: "leaderboard", Usage: "Kaggle leaderboard.csv `FILE` for the thresholds"},
		&cli.StringFlag{Name: "leaderboards", Usage: "`DIR` of <id>/leaderboard.csv files (data.leaderboards)"},
		&cli.StringFlag{Name: "jsonl", Usage: "grade every submission listed in this JSONL `FILE`"},
		&cli.StringFlag{Name: "output-dir", Usage: "with --jsonl: `DIR` for the aggregate grading report"},
	),
	Action: gradeAction,
	Subcommands: []*cli.Command{{
		Name:  "medals",
		Usage: "say which medal a score earns on a competition (built-in thresholds or a leaderboard)",
		Flags: append(globalFlags(),
			&cli.StringFlag{Name: "competition", Usage: "competition `ID` (built-in thresholds)"},
			&cli.StringFlag{Name: "leaderboard", Usage: "Kaggle leaderboard.csv `FILE` (wins over --competition)"},
			&cli.Float64Flag{Name: "score", Usage: "the score `X`", Required: true},
		),
		Action: gradeMedalsAction,
	}},
}

func gradeAction(c *cli.Context) error {
	if c.Args().Len() > 0 {
		return cli.Exit(fmt.Sprintf("grade: unexpected argument %q (use --competition and --submission)", c.Args().First()), 2)
	}
	cfg, err := loadConfig(c, gradeFlagKeys)
	if err != nil {
		return err
	}
	lbDir := configs.ExpandPath(cfg.Data.Leaderboards)
	if path := c.String("jsonl"); path != "" {
		out := c.String("output-dir")
		if out == "" {
			return cli.Exit("grade: --jsonl needs --output-dir", 2)
		}
		return gradeJSONL(c, path, out, harness.RegistryFrom(cfg), lbDir)
	}
	id, sub := c.String("competition"), c.String("submission")
	if id == "" || sub == "" {
		return cli.Exit("grade: give --competition ID and --submission FILE (or --jsonl FILE --output-dir DIR)", 2)
	}
	t, err := harness.RegistryFrom(cfg).Task(id)
	if err != nil {
		return gradeUsageError(err)
	}
	req := t.GradeRequest(sub, lbDir)
	if lb := c.String("leaderboard"); lb != "" {
		req.LeaderboardPath = lb
	}
	rep, err := grader.Grade(c.Context, req)
	if err != nil {
		return gradeUsageError(err)
	}
	gradeWarn(c, rep)
	return gradePrintJSON(c.App.Writer, rep)
}

// gradeWarn repeats a report's warnings on stderr, where people look.
func gradeWarn(c *cli.Context, rep grader.Report) {
	for _, w := range rep.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "mlbench: warning: %s\n", w)
	}
}

// gradeUsageError maps grading errors (an unknown competition, data not
// prepared, an unreadable leaderboard) to exit status 2; an interrupt
// stays an interrupt.
func gradeUsageError(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return cli.Exit(err.Error(), 2)
}

func gradePrintJSON(w io.Writer, v any) error {
	b, err := grader.MarshalIndent(v) // Python's NaN and Infinity scores
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// gradeJSONL grades every line of a JSONL file like the reference's
// grade_jsonl (lines starting with # or // are skipped) and writes the
// aggregate report.
func gradeJSONL(c *cli.Context, path, outDir string, reg task.Registry, lbDir string) error {
	f, err := os.Open(path)
	if err != nil {
		return cli.Exit(fmt.Sprintf("grade: %v", err), 2)
	}
	defer f.Close()
	var reports []grader.Report
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") || strings.HasPrefix(text, "//") {
			continue
		}
		var entry struct {
			CompetitionID  string `json:"competition_id"`
			SubmissionPath any    `json:"submission_path"`
		}
		if err := json.Unmarshal([]byte(text), &entry); err != nil {
			return cli.Exit(fmt.Sprintf("grade: %s:%d: %v", path, line, err), 2)
		}
		if entry.CompetitionID == "" {
			return cli.Exit(fmt.Sprintf("grade: %s:%d: no competition_id", path, line), 2)
		}
		sub := fmt.Sprint(entry.SubmissionPath)
		if entry.SubmissionPath == nil {
			sub = "None"
		}
		var rep grader.Report
		t, err := reg.Task(entry.CompetitionID)
		if err == nil {
			rep, err = grader.Grade(c.Context, t.GradeRequest(sub, lbDir))
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			return cli.Exit(fmt.Sprintf("grade: %s:%d: %v", path, line, err), 2)
		}
		gradeWarn(c, rep)
		reports = append(reports, rep)
		fmt.Fprintf(c.App.ErrWriter, "graded %s: %s\n", entry.CompetitionID, rep.Summary())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	agg := grader.AggregateReports(reports)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("create output dir: %w", err)
	}
	name := time.Now().UTC().Format("2006-01-02T15-04-05-MST") + "_grading_report.json"
	dst := filepath.Join(outDir, name)
	b, err := grader.MarshalIndent(agg)
	if err != nil {
		return fmt.Errorf("encode grading report: %w", err)
	}
	if err := atomicfile.WriteFile(dst, append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "saved grading report to %s\n", dst)
	// The summary: the aggregate without the per-competition reports.
	var summary map[string]any
	if err := grader.DecodeJSON(b, &summary); err != nil {
		return fmt.Errorf("summarise grading report: %w", err)
	}
	delete(summary, "competition_reports")
	summary["report_path"] = dst
	return gradePrintJSON(c.App.Writer, summary)
}

// medalsReport is the answer of `grade medals`.
type medalsReport struct {
	CompetitionID string `json:"competition_id,omitempty"`
	Leaderboard   string `json:"leaderboard,omitempty"`
	Score         float64
	Thresholds    grader.Thresholds
	Medals        grader.Medals
}

func (m medalsReport) MarshalJSON() ([]byte, error) {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		CompetitionID string   `json:"competition_id,omitempty"`
		Leaderboard   string   `json:"leaderboard,omitempty"`
		Score         *float64 `json:"score"`
		Gold          *float64 `json:"gold_threshold"`
		Silver        *float64 `json:"silver_threshold"`
		Bronze        *float64 `json:"bronze_threshold"`
		Median        *float64 `json:"median_threshold"`
		grader.Medals
		LowerIsBetter bool `json:"is_lower_better"`
	}{
		m.CompetitionID, m.Leaderboard, num(m.Score),
		num(m.Thresholds.Gold), num(m.Thresholds.Silver), num(m.Thresholds.Bronze), num(m.Thresholds.Median),
		m.Medals, m.Thresholds.LowerIsBetter,
	})
}

func gradeMedalsAction(c *cli.Context) error {
	id, lb := c.String("competition"), c.String("leaderboard")
	rep := medalsReport{CompetitionID: id, Leaderboard: lb, Score: c.Float64("score")}
	switch {
	case lb != "":
		t, err := grader.ThresholdsFromLeaderboard(lb)
		if err != nil {
			return cli.Exit(fmt.Sprintf("grade medals: %v", err), 2)
		}
		rep.Thresholds = t
	case id != "":
		comp, err := grader.Lookup(id)
		if err != nil {
			return cli.Exit(fmt.Sprintf("grade medals: %v", err), 2)
		}
		t, ok := grader.BuiltinThresholds(comp.ID)
		if !ok {
			return cli.Exit(fmt.Sprintf("grade medals: no built-in thresholds for %s; give --leaderboard", comp.ID), 2)
		}
		rep.Thresholds = t
	default:
		return cli.Exit("grade medals: give --competition ID or --leaderboard FILE", 2)
	}
	rep.Medals = grader.MedalsFor(rep.Score, rep.Thresholds)
	return gradePrintJSON(c.App.Writer, rep)
}
