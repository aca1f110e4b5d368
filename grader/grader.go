package grader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoGrader is returned for a known competition that has no grader yet.
var ErrNoGrader = errors.New("grader: no grader for competition")

// ErrNotPrepared is returned when a competition's answers are not on disk.
var ErrNotPrepared = errors.New("grader: dataset not prepared")

// InvalidSubmission says what is wrong with a submission, precisely enough
// to fix it. Row is the 1-based data row (the header is not counted) or 0;
// Column is the column concerned or "".
type InvalidSubmission struct {
	Reason string
	Row    int
	Column string
}

func (e *InvalidSubmission) Error() string {
	switch {
	case e.Row > 0 && e.Column != "":
		return fmt.Sprintf("row %d, column '%s': %s", e.Row, e.Column, e.Reason)
	case e.Row > 0:
		return fmt.Sprintf("row %d: %s", e.Row, e.Reason)
	default:
		return e.Reason
	}
}

// invalidf builds an *InvalidSubmission about the whole submission.
func invalidf(format string, args ...any) error {
	return &InvalidSubmission{Reason: fmt.Sprintf(format, args...)}
}

// CompetitionGrader validates and scores one competition's submission
// against its answers, both read as tables. It returns an *InvalidSubmission
// (or any error: the reference treats every exception as an invalid
// submission) when the submission is not gradable. Implementations must be
// safe for concurrent use and must not modify the tables.
type CompetitionGrader interface {
	Grade(sub, answers *Table) (float64, error)
}

// GraderFunc adapts a function to CompetitionGrader.
type GraderFunc func(sub, answers *Table) (float64, error)

// Grade calls f.
func (f GraderFunc) Grade(sub, answers *Table) (float64, error) { return f(sub, answers) }

// FileGrader is implemented by graders that read the files themselves (to
// stream huge files, or for answers that are not CSV). When a registered
// grader implements it, Grade and Validate call GradeFiles instead of
// parsing both files into Tables.
type FileGrader interface {
	GradeFiles(ctx context.Context, submissionPath, answersPath string) (float64, error)
}

// HasGrader reports whether the competition has a registered grader.
func HasGrader(id string) bool {
	_, ok := graders[id]
	return ok
}

// Graded lists the ids of every competition with a grader, sorted.
func Graded() []string {
	return slices.Sorted(maps.Keys(graders))
}

// Request asks for one submission to be graded or validated.
type Request struct {
	CompetitionID  string
	SubmissionPath string
	// DataDir is the root of prepared data: <DataDir>/<id>/prepared/{public,private}.
	DataDir string
	// LeaderboardPath is a Kaggle leaderboard.csv to take thresholds from.
	LeaderboardPath string
	// LeaderboardsDir holds <dir>/<id>/leaderboard.csv (the mle-bench
	// checkout's mlebench/competitions); used when LeaderboardPath is empty.
	// Without either, the built-in thresholds table is used.
	LeaderboardsDir string
	// Custom, when set, grades a user's own task instead of a registered
	// competition; CompetitionID is then ignored.
	Custom *CustomTask
}

// Report is the reference's CompetitionReport plus Reason, which says why a
// submission is invalid (or why a valid score is not finite). It is the one
// JSON type of a grade: grade.json, `mlbench grade` and grading reports
// (see MarshalJSON for how non-finite numbers are written).
type Report struct {
	CompetitionID    string    `json:"competition_id"`
	Score            *float64  `json:"score"`
	GoldThreshold    float64   `json:"gold_threshold"`
	SilverThreshold  float64   `json:"silver_threshold"`
	BronzeThreshold  float64   `json:"bronze_threshold"`
	MedianThreshold  float64   `json:"median_threshold"`
	AnyMedal         bool      `json:"any_medal"`
	GoldMedal        bool      `json:"gold_medal"`
	SilverMedal      bool      `json:"silver_medal"`
	BronzeMedal      bool      `json:"bronze_medal"`
	AboveMedian      bool      `json:"above_median"`
	SubmissionExists bool      `json:"submission_exists"`
	ValidSubmission  bool      `json:"valid_submission"`
	IsLowerBetter    bool      `json:"is_lower_better"`
	CreatedAt        time.Time `json:"created_at"`
	SubmissionPath   string    `json:"submission_path"`
	Reason           string    `json:"reason,omitempty"`
	// Warnings are facts about the grading a user should know, such as a
	// leaderboard ordered against the metric's direction.
	Warnings []string `json:"warnings,omitempty"`
}

// Summary says in a few words how the submission did, for logs: "no
// submission", "invalid submission: <reason>", "score 0.82212, bronze
// medal", "score 0.8, above median", "score 0.7, no medal".
func (r Report) Summary() string {
	switch {
	case !r.SubmissionExists:
		return "no submission"
	case !r.ValidSubmission:
		return "invalid submission: " + r.Reason
	case r.Score == nil:
		return "no score"
	}
	s := "score " + strconv.FormatFloat(*r.Score, 'g', -1, 64)
	switch {
	case r.GoldMedal:
		return s + ", gold medal"
	case r.SilverMedal:
		return s + ", silver medal"
	case r.BronzeMedal:
		return s + ", bronze medal"
	case r.AboveMedian:
		return s + ", above median"
	}
	return s + ", no medal"
}

// target is what a request resolves to: the grader, the answers and the
// thresholds.
type target struct {
	id         string
	grader     CompetitionGrader
	answers    string
	sample     string // the sample submission, "" when unknown; bounds the size
	thresholds Thresholds
	warnings   []string
}

// resolve finds the grader, answers and thresholds of a request. Its errors
// are usage or infrastructure errors, never an invalid submission.
func resolve(req Request) (target, error) {
	if req.Custom != nil {
		return resolveCustom(req)
	}
	c, err := Lookup(req.CompetitionID)
	if err != nil {
		return target{}, err
	}
	g, ok := graders[c.ID]
	if !ok {
		return target{}, fmt.Errorf("grade %s: %w", c.ID, ErrNoGrader)
	}
	answers := filepath.Join(req.DataDir, filepath.FromSlash(c.Answers))
	if err := checkPrepared(c.ID, answers); err != nil {
		return target{}, err
	}
	t, lb, err := thresholdsFor(c.ID, req)
	if err != nil {
		return target{}, err
	}
	var warnings []string
	if w := directionWarning(lb, t, c.LowerIsBetter, c.ID+" ("+c.GraderName+")"); w != "" {
		warnings = append(warnings, w)
	}
	sample := ""
	if c.SampleSubmission != "" {
		sample = filepath.Join(req.DataDir, filepath.FromSlash(c.SampleSubmission))
	}
	return target{id: c.ID, grader: g, answers: answers, sample: sample, thresholds: t, warnings: warnings}, nil
}

func checkPrepared(id, answers string) error {
	st, err := os.Stat(answers)
	if err != nil || st.IsDir() {
		return fmt.Errorf("%w: answers of %s not found at %s (run `mlebench prepare -c %s` and point --data-dir at its data dir)", ErrNotPrepared, id, answers, id)
	}
	return nil
}

// thresholdsFor picks the medal thresholds: an explicit leaderboard file,
// then <LeaderboardsDir>/<id>/leaderboard.csv, then the built-in table. It
// returns the leaderboard used, if any.
func thresholdsFor(id string, req Request) (Thresholds, string, error) {
	path := req.LeaderboardPath
	if path == "" && req.LeaderboardsDir != "" {
		p := filepath.Join(req.LeaderboardsDir, id, "leaderboard.csv")
		if _, err := os.Stat(p); err == nil {
			path = p
		}
	}
	if path != "" {
		t, err := ThresholdsFromLeaderboard(path)
		return t, path, err
	}
	t, ok := BuiltinThresholds(id)
	if !ok {
		nan := math.NaN()
		return Thresholds{Gold: nan, Silver: nan, Bronze: nan, Median: nan}, "", nil
	}
	return t, "", nil
}

// directionWarning says when a leaderboard's order (best first) contradicts
// the metric's direction; medals follow the leaderboard, as the
// reference's do, so the user should know. what names the task and metric.
func directionWarning(leaderboard string, t Thresholds, metricLowerIsBetter bool, what string) string {
	if leaderboard == "" || t.LowerIsBetter == metricLowerIsBetter || t.Gold == t.Median {
		return ""
	}
	return fmt.Sprintf("leaderboard %s is ordered %s first, but the metric of %s is %s: medals follow the leaderboard's order; check the leaderboard",
		filepath.Base(filepath.Dir(leaderboard))+"/"+filepath.Base(leaderboard), direction(t.LowerIsBetter, "lowest", "highest"),
		what, direction(metricLowerIsBetter, "lower-is-better", "higher-is-better"))
}

func direction(lower bool, ifLower, ifHigher string) string {
	if lower {
		return ifLower
	}
	return ifHigher
}

// submissionExists is the reference's test: a regular file with a .csv suffix.
func submissionExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && strings.EqualFold(filepath.Ext(path), ".csv")
}

// Grade grades a submission the way the reference's grade_csv does. An
// invalid submission is a Report with ValidSubmission false and a Reason,
// not an error; errors are for unknown competitions, unprepared data,
// unreadable leaderboards and a cancelled ctx.
func Grade(ctx context.Context, req Request) (Report, error) {
	tg, err := resolve(req)
	if err != nil {
		return Report{}, err
	}
	rep := Report{
		Warnings:        tg.warnings,
		CompetitionID:   tg.id,
		GoldThreshold:   tg.thresholds.Gold,
		SilverThreshold: tg.thresholds.Silver,
		BronzeThreshold: tg.thresholds.Bronze,
		MedianThreshold: tg.thresholds.Median,
		IsLowerBetter:   tg.thresholds.LowerIsBetter,
		SubmissionPath:  req.SubmissionPath,
		CreatedAt:       time.Now(),
	}
	rep.SubmissionExists = submissionExists(req.SubmissionPath)
	if !rep.SubmissionExists {
		rep.Reason = Printable(fmt.Sprintf("submission file %s does not exist or is not a .csv file", req.SubmissionPath), MaxReasonLen)
		return rep, nil
	}
	score, err := runBounded(ctx, tg, req.SubmissionPath)
	if err != nil {
		if ctx.Err() != nil {
			return Report{}, fmt.Errorf("grade %s: %w", tg.id, ctx.Err())
		}
		rep.Reason = Printable(err.Error(), MaxReasonLen)
		return rep, nil
	}
	score = Round5(score)
	rep.Score = &score
	rep.ValidSubmission = true
	if math.IsNaN(score) {
		rep.Reason = "score is NaN (e.g. constant predictions): valid, but it earns nothing"
	}
	m := MedalsFor(score, tg.thresholds)
	rep.GoldMedal, rep.SilverMedal, rep.BronzeMedal = m.Gold, m.Silver, m.Bronze
	rep.AnyMedal, rep.AboveMedian = m.Any, m.AboveMedian
	return rep, nil
}

// Validate checks a submission's format by grading it, and says only
// whether it is valid, never the score. err is for infrastructure problems
// (unknown competition, unprepared data, cancelled ctx).
func Validate(ctx context.Context, req Request) (valid bool, message string, err error) {
	if st, err := os.Stat(req.SubmissionPath); err != nil || !st.Mode().IsRegular() {
		return false, fmt.Sprintf("Submission invalid! Submission file %s does not exist.", req.SubmissionPath), nil
	}
	if !strings.EqualFold(filepath.Ext(req.SubmissionPath), ".csv") {
		return false, "Submission invalid! Submission file must be a CSV file.", nil
	}
	tg, err := resolve(req)
	if err != nil {
		return false, "", err
	}
	if _, err := runBounded(ctx, tg, req.SubmissionPath); err != nil {
		if ctx.Err() != nil {
			return false, "", fmt.Errorf("validate %s: %w", tg.id, ctx.Err())
		}
		return false, "Submission invalid! The attempt to grade the submission has resulted in the following error message:\n" + Printable(err.Error(), MaxReasonLen), nil
	}
	return true, "Submission is valid.", nil
}

// runBounded is run that returns as soon as ctx is done: a grader deep in
// a computation that does not look at ctx finishes on its own, unwaited,
// so that an interrupted `mlbench grade` stops at once.
func runBounded(ctx context.Context, tg target, submission string) (float64, error) {
	type result struct {
		score float64
		err   error
	}
	done := make(chan result, 1)
	go func() {
		score, err := run(ctx, tg, submission)
		done <- result{score, err}
	}()
	select {
	case r := <-done:
		return r.score, r.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// run grades one file, turning panics into errors (the reference turns
// every exception into an invalid submission). The submission is refused
// unread when it is not a regular file or far larger than the answers.
func run(ctx context.Context, tg target, submission string) (score float64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal grader error for %s: %v", tg.id, p)
		}
	}()
	f, size, err := openSubmission(submission, tg.sizeLimit())
	if err != nil {
		return 0, err
	}
	if fg, ok := tg.grader.(FileGrader); ok {
		f.Close()
		return fg.GradeFiles(ctx, submission, tg.answers)
	}
	if lg, ok := tg.grader.(lockstepGrader); ok && !lockstepOff.Load() {
		score, ok, err := gradeLockstep(ctx, lg, f, tg.answers)
		if err != nil || ok {
			f.Close()
			return score, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return 0, fmt.Errorf("read submission: %w", err)
		}
	}
	// Once the submission's header passed its checks, the answers are
	// read meanwhile.
	answers := make(chan answersTable, 1)
	b, err := readSubmission(ctx, f, size, fileSize(tg.answers)+sizeSlack, func() {
		go readAnswers(tg.answers, answers)
	})
	f.Close()
	if err != nil {
		return 0, err
	}
	sub, err := ParseTable(b)
	ans := <-answers
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if ans.err != nil {
		// Bad answers are not the submission's fault.
		return 0, fmt.Errorf("read answers %s: %v", tg.answers, ans.err)
	}
	return tg.grader.Grade(sub, ans.t)
}

type answersTable struct {
	t   *Table
	err error
}

// readAnswers reads and parses the answers into out.
func readAnswers(path string, out chan<- answersTable) {
	defer func() {
		if p := recover(); p != nil {
			out <- answersTable{err: fmt.Errorf("internal grader error: %v", p)}
		}
	}()
	t, err := ReadTableFile(path)
	out <- answersTable{t, err}
}

// Round5 rounds to 5 decimals like Python's round(x, 5): to the nearest
// decimal of the exact binary value, ties to even.
func Round5(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	v, err := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 5, 64), 64)
	if err != nil {
		return x
	}
	return v
}

// Aggregate is the reference's aggregate grading report.
type Aggregate struct {
	TotalRuns                int      `json:"total_runs"`
	TotalRunsWithSubmissions int      `json:"total_runs_with_submissions"`
	TotalValidSubmissions    int      `json:"total_valid_submissions"`
	TotalMedals              int      `json:"total_medals"`
	TotalGoldMedals          int      `json:"total_gold_medals"`
	TotalSilverMedals        int      `json:"total_silver_medals"`
	TotalBronzeMedals        int      `json:"total_bronze_medals"`
	TotalAboveMedian         int      `json:"total_above_median"`
	CompetitionReports       []Report `json:"competition_reports"`
}

// AggregateReports sums reports as the reference's aggregate_reports does.
func AggregateReports(reports []Report) Aggregate {
	a := Aggregate{TotalRuns: len(reports), CompetitionReports: append([]Report{}, reports...)}
	for _, r := range reports {
		a.TotalRunsWithSubmissions += b2i(r.SubmissionExists)
		a.TotalValidSubmissions += b2i(r.ValidSubmission)
		a.TotalGoldMedals += b2i(r.GoldMedal)
		a.TotalSilverMedals += b2i(r.SilverMedal)
		a.TotalBronzeMedals += b2i(r.BronzeMedal)
		a.TotalAboveMedian += b2i(r.AboveMedian)
	}
	a.TotalMedals = a.TotalGoldMedals + a.TotalSilverMedals + a.TotalBronzeMedals
	return a
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
