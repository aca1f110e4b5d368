package task

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlbench/mlbench/grader"
)

// sizeWalkLimit bounds how many entries Check walks to size a public dir,
// so a check of 225 image tasks on a network filesystem stays quick; a dir
// with more entries reports its size as a lower bound.
const sizeWalkLimit = 200_000

// Check is what `tasks check` learned about one task's prepared data.
type Check struct {
	Task Task
	// Missing lists what the task lacks, each naming the path expected:
	// "public dir /d/x/prepared/public (empty)", "answers /d/x/...".
	Missing []string
	// Medals says where medal thresholds come from: "leaderboard",
	// "builtin" or "none".
	Medals string
	// PublicBytes is the size of the public dir; PublicFiles counts its
	// files. SizeCapped marks a walk stopped at sizeWalkLimit entries.
	PublicBytes int64
	PublicFiles int
	SizeCapped  bool
}

// OK reports whether nothing is missing.
func (c Check) OK() bool { return len(c.Missing) == 0 }

// Fix is the command that prepares the task: `mlebench prepare -c ID
// --data-dir D` for MLE-Bench tasks, "" for others.
func (c Check) Fix() string {
	if c.Task.Kind != KindMLEBench {
		return ""
	}
	return fmt.Sprintf("mlebench prepare -c %s --data-dir %s", c.Task.ID, c.Task.DataDir())
}

// CheckTask lists what the task's prepare step should have written and is
// not there: the public dir with its description.md and sample submission
// (what agents read), and the private answers (what the grader reads);
// and where its medal thresholds come from.
func CheckTask(t Task) Check {
	c := Check{Task: t, Medals: "none"}
	switch st, err := os.Stat(t.PublicDir); {
	case err != nil:
		c.Missing = append(c.Missing, "public dir "+t.PublicDir)
	case !st.IsDir():
		c.Missing = append(c.Missing, "public dir "+t.PublicDir+" (not a directory)")
	case !nonEmptyDir(t.PublicDir):
		c.Missing = append(c.Missing, "public dir "+t.PublicDir+" (empty)")
	default:
		c.PublicBytes, c.PublicFiles, c.SizeCapped = dirSize(t.PublicDir)
		if d := filepath.Join(t.PublicDir, "description.md"); !fileExists(d) {
			c.Missing = append(c.Missing, "description "+d)
		}
		if s := t.SampleSubmissionPath(); s != "" && !fileExists(s) {
			c.Missing = append(c.Missing, "sample submission "+s)
		}
	}
	switch a := t.AnswersPath(); {
	case a == "":
		c.Missing = append(c.Missing, "answers (no grader knows "+t.ID+")")
	case !fileExists(a):
		c.Missing = append(c.Missing, "answers "+a)
	}
	if t.Kind == KindMLEBench && !grader.HasGrader(t.ID) {
		c.Missing = append(c.Missing, "grader (mlbench has none for "+t.ID+")")
	}
	switch {
	case t.Leaderboard != "":
		c.Medals = "leaderboard"
	case t.Kind == KindMLEBench:
		if _, ok := grader.BuiltinThresholds(t.ID); ok {
			c.Medals = "builtin"
		}
	}
	return c
}

// CheckAll checks every task, in order.
func CheckAll(tasks []Task) []Check {
	out := make([]Check, len(tasks))
	for i, t := range tasks {
		out[i] = CheckTask(t)
	}
	return out
}

// IncompleteError lists the tasks whose prepared data is incomplete and
// how to prepare them.
type IncompleteError struct {
	Checks []Check // the incomplete ones only
	Total  int
}

func (e *IncompleteError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d tasks are not fully prepared:", len(e.Checks), e.Total)
	for _, c := range e.Checks {
		fmt.Fprintf(&b, "\n  %s: missing %s", c.Task.ID, strings.Join(c.Missing, "; "))
		if fix := c.Fix(); fix != "" {
			fmt.Fprintf(&b, "\n    run: %s", fix)
		}
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrNotPrepared) match.
func (e *IncompleteError) Unwrap() error { return ErrNotPrepared }

// Complete splits tasks into those whose data is complete and an
// *IncompleteError for the rest (nil when every task is complete).
func Complete(tasks []Task) ([]Task, error) {
	var ok []Task
	var bad []Check
	for _, c := range CheckAll(tasks) {
		if c.OK() {
			ok = append(ok, c.Task)
		} else {
			bad = append(bad, c)
		}
	}
	if len(bad) == 0 {
		return ok, nil
	}
	return ok, &IncompleteError{Checks: bad, Total: len(tasks)}
}

// dirSize sums the sizes of regular files under dir, stopping after
// sizeWalkLimit entries. Symbolic links are not followed.
func dirSize(dir string) (bytes int64, files int, capped bool) {
	seen := 0
	errStop := errors.New("stop")
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable entry is not a size
		}
		if seen++; seen > sizeWalkLimit {
			capped = true
			return errStop
		}
		if d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				bytes += info.Size()
				files++
			}
		}
		return nil
	})
	return bytes, files, capped
}
