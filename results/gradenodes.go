package results

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/parquet-go/parquet-go"
	"github.com/sourcegraph/conc/panics"
	"github.com/sourcegraph/conc/pool"
)

// NodeGrader grades one submission file of a task the way grade.json is
// made (MLE-Bench's CompetitionReport). An invalid submission is a Grade
// with ValidSubmission false, not an error; errors are for problems with
// the grader itself (unknown task, data not prepared, cancelled ctx). It
// is called from several goroutines at once.
type NodeGrader func(ctx context.Context, taskID, submissionPath string) (Grade, error)

// GradeNodesOptions tunes GradeNodes.
type GradeNodesOptions struct {
	// Workers grade at once (default GOMAXPROCS).
	Workers int
	// Regrade grades nodes that already have a medal recorded.
	Regrade bool
	// Progress, when set, is called after each graded node with the
	// number done and the total to grade (from one goroutine at a time).
	Progress func(done, total int)
}

// GradeNodesStats says what GradeNodes did.
type GradeNodesStats struct {
	// Items with trace parts looked at; running items are left alone
	// (their writer may be compacting) and counted in SkippedRunning.
	Items          int
	SkippedRunning int
	// Parts rewritten with new test results.
	Parts int
	// Nodes seen; Graded by the grader now; AlreadyGraded kept;
	// NoSubmission nodes without submission.csv (recorded as no medal);
	// Failed nodes the grader returned an error for (left ungraded).
	Nodes, Graded, AlreadyGraded, NoSubmission, Failed int
	// Skipped lists trace parts that could not be read (left untouched).
	Skipped []SkippedPart
}

// nodeJob is one node to grade: where its row lives and its submission.
type nodeJob struct {
	part, row int
	task      string
	path      string
}

// GradeNodes grades the submission of every node of every finished item
// of runDir (items/<i>/nodes/<node-id>/submission.csv) in parallel with
// grade, and records each result in the node's row: TestScore and Medal
// (MedalNone for an invalid or missing submission). Each changed trace
// part is rewritten atomically in place, so an interrupted GradeNodes
// loses nothing and a second one grades only what is left. Grader errors
// do not stop the others; they are counted and the first is returned
// after every part has been written.
func GradeNodes(ctx context.Context, runDir string, grade NodeGrader, opts GradeNodesOptions) (GradeNodesStats, error) {
	var st GradeNodesStats
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	m, err := ReadManifest(runDir)
	if err != nil {
		return st, err
	}
	type part struct {
		path  string
		rows  []NodeRow
		dirty bool
	}
	var (
		parts []*part
		jobs  []nodeJob
	)
	for _, it := range m.Items {
		dir := ItemDir(runDir, it.Index)
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			continue
		}
		status, err := ReadItemStatus(dir)
		if err == nil && status.State == StateRunning {
			st.SkippedRunning++
			continue
		}
		paths, err := TraceParts(dir)
		if err != nil {
			return st, err
		}
		if len(paths) > 0 {
			st.Items++
		}
		for _, path := range paths {
			rows, err := parquet.ReadFile[NodeRow](path)
			if err != nil {
				st.Skipped = append(st.Skipped, SkippedPart{path, err})
				continue
			}
			p := &part{path: path, rows: rows}
			parts = append(parts, p)
			for i := range rows {
				r := &rows[i]
				st.Nodes++
				if r.Medal != nil && !opts.Regrade {
					st.AlreadyGraded++
					continue
				}
				sub := filepath.Join(NodeDir(dir, r.NodeID), SubmissionFile)
				if _, err := os.Stat(sub); err != nil {
					none := MedalNone
					r.TestScore, r.Medal = nil, &none
					p.dirty = true
					st.NoSubmission++
					continue
				}
				jobs = append(jobs, nodeJob{part: len(parts) - 1, row: i, task: it.TaskID, path: sub})
			}
		}
	}

	var (
		mu       sync.Mutex
		done     int
		firstErr error
	)
	p := pool.New().WithContext(ctx).WithMaxGoroutines(opts.Workers)
	for _, j := range jobs {
		p.Go(func(ctx context.Context) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var (
				g    Grade
				gerr error
			)
			if r := panics.Try(func() { g, gerr = grade(ctx, j.task, j.path) }); r != nil {
				gerr = r.AsError()
			}
			mu.Lock()
			defer mu.Unlock()
			done++
			if gerr != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				st.Failed++
				if firstErr == nil {
					firstErr = fmt.Errorf("grade %s: %w", j.path, gerr)
				}
			} else {
				row := &parts[j.part].rows[j.row]
				medal := MedalOf(g)
				row.TestScore, row.Medal = g.Score, &medal
				if !g.ValidSubmission {
					row.TestScore = nil
				}
				parts[j.part].dirty = true
				st.Graded++
			}
			if opts.Progress != nil {
				opts.Progress(done, len(jobs))
			}
			return nil
		})
	}
	waitErr := p.Wait()
	// Write what was graded even when interrupted: the work is kept.
	for _, pt := range parts {
		if !pt.dirty {
			continue
		}
		if err := WriteNodesFile(pt.path, pt.rows); err != nil {
			return st, fmt.Errorf("rewrite %s: %w", pt.path, err)
		}
		st.Parts++
	}
	if waitErr != nil {
		return st, waitErr
	}
	if firstErr != nil {
		return st, fmt.Errorf("grade nodes: %d of %d failed; first: %w", st.Failed, len(jobs), firstErr)
	}
	return st, nil
}
