package baseline_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

const debianPython = "/usr/bin/python3"

// python returns Debian's interpreter, or skips when it (or scikit-learn)
// is missing.
func python(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("runs generated code with python; skipped in -short mode")
	}
	if _, err := os.Stat(debianPython); err != nil {
		tb.Skipf("%s not found: install python3-sklearn python3-pandas to run the generated-code tests", debianPython)
	}
	if err := exec.Command(debianPython, "-c", "import sklearn, pandas, numpy").Run(); err != nil {
		tb.Skipf("%s cannot import sklearn/pandas/numpy (%v): install python3-sklearn python3-pandas", debianPython, err)
	}
	return debianPython
}

var nodeSeq atomic.Int64

// runner executes proposals the way the harness would: each node in its own
// working directory, the code reading the data dir and writing
// submission/submission.csv relative to it.
type runner struct {
	tb     testing.TB
	python string
	public string
	coder  *baseline.Coder
	rev    *baseline.Reviewer
	// lastSubmission is the submission of the latest run (nil if none).
	lastSubmission []byte
}

func newRunner(tb testing.TB, kind string, n int, task baseline.Task) *runner {
	tb.Helper()
	py := python(tb)
	dir := tb.TempDir()
	public := filepath.Join(dir, "public")
	if err := os.Mkdir(public, 0o755); err != nil {
		tb.Fatal(err)
	}
	switch kind {
	case "multilabel", "multiregression", "noid":
		layoutTask(tb, public, kind, n)
	default:
		synthTask{kind: kind, n: n}.write(tb, public)
	}
	task.ID, task.PublicDir = kind, public
	c, err := baseline.New(task, 42)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return &runner{tb: tb, python: py, public: public, coder: c, rev: c.Reviewer()}
}

// run executes a proposal as node id and returns its snapshot after review.
func (r *runner) run(stage search.Stage, p search.Proposal, parent *search.NodeSnapshot) search.NodeSnapshot {
	r.tb.Helper()
	id := "n" + strconv.FormatInt(nodeSeq.Add(1), 10)
	work := filepath.Join(r.tb.TempDir(), id)
	if err := os.MkdirAll(work, 0o755); err != nil {
		r.tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "solution.py"), []byte(p.Code), 0o644); err != nil {
		r.tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.python, "solution.py")
	cmd.Dir = work
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	res := search.ExecResult{Output: out.String(), Seconds: time.Since(start).Seconds(), TimedOut: ctx.Err() != nil}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	case err != nil:
		r.tb.Fatalf("run %s: %v", id, err)
	}
	sub := filepath.Join(work, "submission", "submission.csv")
	r.lastSubmission, _ = os.ReadFile(sub)
	if _, err := os.Stat(sub); err == nil {
		res.SubmissionExists = true
		res.FormatValid = r.checkSubmission(sub) == nil
		if !res.FormatValid {
			res.FormatError = r.checkSubmission(sub).Error()
		}
	}
	node := search.NodeSnapshot{ID: id, Stage: stage, Plan: p.Plan, Code: p.Code, Output: res.Output,
		ExitCode: res.ExitCode, TimedOut: res.TimedOut, ExecSeconds: res.Seconds,
		SubmissionExists: res.SubmissionExists, FormatValid: res.FormatValid, FormatError: res.FormatError}
	if parent != nil {
		node.ParentID = parent.ID
	}
	rv, err := r.rev.Review(context.Background(), node, res)
	if err != nil {
		r.tb.Fatalf("review %s: %v", id, err)
	}
	node.IsBuggy = rv.IsBug || res.Failed()
	node.Summary = rv.Summary
	node.Metric = rv.Metric
	r.tb.Logf("%s %s: %s", id, stage, rv.Summary)
	return node
}

// checkSubmission checks the submission against the sample submission:
// same header, same ids in the same order, sane values for the output.
func (r *runner) checkSubmission(path string) error {
	sample := readAll(r.tb, filepath.Join(r.public, "sample_submission.csv"))
	sub := readAll(r.tb, path)
	if strings.Join(sub[0], ",") != strings.Join(sample[0], ",") {
		return errors.New("header " + strings.Join(sub[0], ",") + " != " + strings.Join(sample[0], ","))
	}
	if len(sub) != len(sample) {
		return errors.New("row count " + strconv.Itoa(len(sub)) + " != " + strconv.Itoa(len(sample)))
	}
	p := r.coder.Profile()
	labels := map[string]bool{}
	if p.Output == baseline.OutputLabel {
		for _, row := range readAll(r.tb, filepath.Join(r.public, "train.csv"))[1:] {
			labels[row[len(row)-1]] = true
		}
	}
	first := 1 // the first prediction column
	if p.IDColumn == "" {
		first = 0
	}
	for i := 1; i < len(sub); i++ {
		if first == 1 && sub[i][0] != sample[i][0] {
			return errors.New("row " + strconv.Itoa(i) + ": id " + sub[i][0] + " != " + sample[i][0])
		}
		sum := 0.0
		for _, v := range sub[i][first:] {
			switch p.Output {
			case baseline.OutputLabel:
				if !labels[v] {
					return errors.New("row " + strconv.Itoa(i) + ": label " + v + " not a train label")
				}
				continue
			}
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || x != x {
				return errors.New("row " + strconv.Itoa(i) + ": value " + v + " is not a number")
			}
			if (p.Output == baseline.OutputProba || p.Output == baseline.OutputClassProba) && (x < 0 || x > 1) {
				return errors.New("row " + strconv.Itoa(i) + ": probability " + v + " out of [0,1]")
			}
			sum += x
		}
		if p.Output == baseline.OutputClassProba && (sum < 1-1e-6 || sum > 1+1e-6) {
			return errors.New("row " + strconv.Itoa(i) + ": class probabilities sum to " + strconv.FormatFloat(sum, 'g', -1, 64))
		}
	}
	return nil
}

func readAll(tb testing.TB, path string) [][]string {
	tb.Helper()
	fh, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		tb.Fatalf("read %s: %v", path, err)
	}
	return rows
}
