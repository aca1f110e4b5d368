// Package task is the task registry: MLE-Bench competitions in the prepared
// data-dir layout (<data.dir>/<id>/prepared/{public,private}), custom tasks
// in the same layout described by a task.yaml, the synthetic demo tasks, and
// the suites that name groups of them.
package task

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mlbench/mlbench/grader"
)

// Kind says where a task comes from.
type Kind string

// Task kinds.
const (
	KindMLEBench Kind = "mle-bench"
	KindCustom   Kind = "custom"
)

// Task is one task an agent can be run on.
type Task struct {
	ID    string
	Name  string
	Split string // low, medium, high, dev, or "custom"
	Kind  Kind
	// Root is the task folder: <data.dir>/<id> for MLE-Bench tasks, the
	// folder holding task.yaml for custom ones.
	Root       string
	PublicDir  string
	PrivateDir string
	// Metric is the reference grader name (MLE-Bench) or the metric kind of
	// a custom task.
	Metric        string
	LowerIsBetter bool
	// Leaderboard is the leaderboard.csv used for medals; "" means the
	// grader's built-in thresholds.
	Leaderboard string
	// Spec is the task.yaml of a custom task; nil for MLE-Bench tasks.
	Spec *Spec
}

// Prepared reports whether the task's data is in place: a non-empty public
// dir and the answers the grader needs.
func (t Task) Prepared() bool {
	if !nonEmptyDir(t.PublicDir) {
		return false
	}
	return fileExists(t.AnswersPath())
}

// AnswersPath is the private answers file the grader reads.
func (t Task) AnswersPath() string {
	return t.path(func(s *Spec) string { return s.Answers }, func(c grader.Competition) string { return c.Answers })
}

// SampleSubmissionPath is the public sample submission.
func (t Task) SampleSubmissionPath() string {
	return t.path(func(s *Spec) string { return s.SampleSubmission }, func(c grader.Competition) string { return c.SampleSubmission })
}

// path resolves a file named by the task's spec (relative to its root) or
// else by its MLE-Bench competition (relative to the data root); "" when
// neither knows the task.
func (t Task) path(inSpec func(*Spec) string, inCompetition func(grader.Competition) string) string {
	if t.Spec != nil {
		return filepath.Join(t.Root, inSpec(t.Spec))
	}
	if c, err := grader.Lookup(t.ID); err == nil {
		return filepath.Join(filepath.Dir(t.Root), inCompetition(c))
	}
	return ""
}

// DataDir is the data root the grader resolves answer paths against.
func (t Task) DataDir() string { return filepath.Dir(t.Root) }

// Description reads the task's description.md from the public dir.
func (t Task) Description() (string, error) {
	b, err := os.ReadFile(filepath.Join(t.PublicDir, "description.md"))
	if err != nil {
		return "", fmt.Errorf("read task description: %w", err)
	}
	return string(b), nil
}

// ErrNotPrepared says a task's data is missing from the data dir.
var ErrNotPrepared = errors.New("task: data not prepared")

// NotPreparedError names the task and where its data was expected.
type NotPreparedError struct {
	Task Task
}

func (e *NotPreparedError) Error() string {
	if e.Task.Kind == KindMLEBench {
		return fmt.Sprintf("task %s is not prepared in %s (expected %s and %s); run `mlebench prepare -c %s --data-dir %s` or point --data-dir / data.dir at your prepared data",
			e.Task.ID, e.Task.DataDir(), e.Task.PublicDir, e.Task.AnswersPath(), e.Task.ID, e.Task.DataDir())
	}
	return fmt.Sprintf("task %s is not prepared: expected a non-empty %s and %s", e.Task.ID, e.Task.PublicDir, e.Task.AnswersPath())
}

func (e *NotPreparedError) Unwrap() error { return ErrNotPrepared }

// Registry resolves task ids and suites against the configured directories.
type Registry struct {
	// DataDir is the MLE-Bench prepared-data root (and where custom tasks
	// may live as <DataDir>/<id>/task.yaml).
	DataDir string
	// Leaderboards is an optional mle-bench checkout's competitions dir:
	// <Leaderboards>/<id>/leaderboard.csv.
	Leaderboards string
	// DemoDir holds the demo tasks; DemoSeed seeds them when they are made.
	DemoDir  string
	DemoSeed int64
}

// Task resolves one id: an MLE-Bench competition, a custom task under the
// data dir, a path to a custom task folder, or a demo task.
func (r Registry) Task(id string) (Task, error) {
	if c, err := grader.Lookup(id); err == nil {
		return r.mleBench(c), nil
	}
	for _, dir := range []string{filepath.Join(r.DataDir, id), id, filepath.Join(r.DemoDir, id)} {
		if dir == "" || !fileExists(filepath.Join(dir, SpecFile)) {
			continue
		}
		return LoadCustom(dir)
	}
	if isDemoID(id) {
		if err := r.EnsureDemo(); err != nil {
			return Task{}, err
		}
		return LoadCustom(filepath.Join(r.DemoDir, id))
	}
	known := append(competitionIDs(), DemoIDs()...)
	known = append(known, r.customIDs()...)
	return Task{}, &grader.UnknownError{Kind: "task", Name: id, Closest: grader.Closest(id, known)}
}

func (r Registry) mleBench(c grader.Competition) Task {
	root := filepath.Join(r.DataDir, c.ID)
	t := Task{
		ID: c.ID, Name: c.Name, Split: c.Split, Kind: KindMLEBench, Root: root,
		PublicDir:  filepath.Join(root, "prepared", "public"),
		PrivateDir: filepath.Join(root, "prepared", "private"),
		Metric:     c.GraderName, LowerIsBetter: c.LowerIsBetter,
	}
	var candidates []string
	if r.Leaderboards != "" {
		candidates = append(candidates, filepath.Join(r.Leaderboards, c.ID, "leaderboard.csv"))
	}
	candidates = append(candidates, filepath.Join(root, "leaderboard.csv"))
	for _, lb := range candidates {
		if fileExists(lb) {
			t.Leaderboard = lb
			break
		}
	}
	return t
}

// Suite resolves a suite name: mle-bench-full, mle-bench-lite (= low),
// medium, high, dev, demo, or file:PATH (one task id per line, # comments,
// MLE-Bench ids or custom task ids).
func (r Registry) Suite(name string) ([]Task, error) {
	if name == "demo" {
		if err := r.EnsureDemo(); err != nil {
			return nil, err
		}
		var tasks []Task
		for _, id := range DemoIDs() {
			t, err := LoadCustom(filepath.Join(r.DemoDir, id))
			if err != nil {
				return nil, err
			}
			tasks = append(tasks, t)
		}
		return tasks, nil
	}
	if path, ok := strings.CutPrefix(name, "file:"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read suite file: %w", err)
		}
		var tasks []Task
		for i, line := range strings.Split(string(b), "\n") {
			if j := strings.IndexByte(line, '#'); j >= 0 {
				line = line[:j]
			}
			id := strings.TrimSpace(line)
			if id == "" {
				continue
			}
			t, err := r.Task(id)
			if err != nil {
				return nil, fmt.Errorf("suite file %s line %d: %w", path, i+1, err)
			}
			tasks = append(tasks, t)
		}
		if len(tasks) == 0 {
			return nil, fmt.Errorf("suite file %s lists no task ids", path)
		}
		return tasks, nil
	}
	ids, err := grader.Suite(name)
	if err != nil {
		return nil, err
	}
	tasks := make([]Task, 0, len(ids))
	for _, id := range ids {
		c, err := grader.Lookup(id)
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, r.mleBench(c))
	}
	return tasks, nil
}

// SuiteNames lists the suites Suite accepts (besides file:PATH).
func SuiteNames() []string { return append(append([]string(nil), grader.SuiteNames...), "demo") }

func competitionIDs() []string {
	var ids []string
	for _, c := range grader.All() {
		ids = append(ids, c.ID)
	}
	return ids
}

func (r Registry) customIDs() []string {
	entries, err := os.ReadDir(r.DataDir)
	if err != nil {
		return nil
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && fileExists(filepath.Join(r.DataDir, e.Name(), SpecFile)) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids
}

func fileExists(p string) bool {
	if p == "" {
		return false
	}
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func nonEmptyDir(p string) bool {
	entries, err := os.ReadDir(p)
	return err == nil && len(entries) > 0
}

// GraderTask is the grader's description of a custom task (nil for
// MLE-Bench competitions, which the grader knows by id).
func (t Task) GraderTask() *grader.CustomTask {
	if t.Spec == nil {
		return nil
	}
	lower := t.LowerIsBetter
	return &grader.CustomTask{
		ID: t.ID, Metric: t.Spec.Metric, IDColumn: t.Spec.IDColumn, TargetColumns: t.Spec.TargetColumns,
		LowerIsBetter: &lower, AnswersPath: t.AnswersPath(), SampleSubmissionPath: t.SampleSubmissionPath(),
	}
}

// GradeRequest is the grader request for a submission of this task.
func (t Task) GradeRequest(submission, leaderboardsDir string) grader.Request {
	return grader.Request{
		CompetitionID: t.ID, SubmissionPath: submission, DataDir: t.DataDir(),
		LeaderboardPath: t.Leaderboard, LeaderboardsDir: leaderboardsDir, Custom: t.GraderTask(),
	}
}
