// Package slurm is the Slurm scheduler backend: a run's work items go to
// the cluster as job arrays (one sbatch call per chunk of MaxArraySize),
// each element running `mlbench worker --run DIR --index N`. The run
// directory stays the single source of truth; the queue only adds what is
// waiting or running right now. It registers itself as scheduler.kind
// "slurm" (door.go); commands reach it only through package scheduler. It
// must not call Slurm's commands itself (package slurm does) nor decide
// run-directory paths (package results does).
package slurm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/internal/atomicfile"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
	sl "github.com/mlbench/mlbench/slurm"
)

// Slurm is the Slurm backend. Set the fields before the first call; Submit
// is for one caller at a time, Cancel is idempotent.
type Slurm struct {
	// Client runs the Slurm commands; nil means a default client.
	Client *sl.Client
	// Config is the run's effective config (slurm, exec.apptainer, data,
	// results and memory.wisdom sections are read).
	Config *configs.Config
	// Binary is the mlbench executable the elements run; "" means this
	// process's own (symlinks resolved).
	Binary string
	// WorkDir is the elements' working directory; "" means the current one.
	WorkDir string
	// MaxArraySize overrides the controller's MaxArraySize (0: ask it).
	MaxArraySize int
	// Reason is recorded with each submission ("submit" when empty).
	Reason string
	// DryRun writes the scripts without submitting them.
	DryRun bool
	// Now stamps submissions; nil means time.Now.
	Now func() time.Time

	// OnSubmit, when set, is told about each array as it is queued (or,
	// in a dry run, written).
	OnSubmit func(scheduler.Submitted)

	// Submitted lists what the last Submit submitted (or, in a dry run,
	// would have; JobID empty).
	Submitted []results.JobSubmission
}

var _ scheduler.Scheduler = (*Slurm)(nil)

func (s *Slurm) client() *sl.Client {
	if s.Client == nil {
		s.Client = &sl.Client{}
	}
	return s.Client
}

// Submit writes one array script per chunk of items into <runDir>/slurm/
// and submits each with sbatch, recording the job ids in jobs.json. It
// returns once the arrays are queued. A failure after some chunks were
// submitted leaves those recorded (and running).
func (s *Slurm) Submit(ctx context.Context, runDir string, items []int) error {
	s.Submitted = nil
	if s.Config == nil {
		return errors.New("submit to slurm: no config")
	}
	if len(items) == 0 {
		return errors.New("submit to slurm: no work items")
	}
	m, err := results.ReadManifest(runDir)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it < 0 || it >= len(m.Items) {
			return fmt.Errorf("submit to slurm: run %s has items 0..%d; no item %d", m.RunID, len(m.Items)-1, it)
		}
	}
	base, err := s.scriptBase(runDir, m.RunID)
	if err != nil {
		return err
	}
	maxArray := s.MaxArraySize
	if maxArray <= 0 && !s.DryRun {
		if maxArray, err = s.client().MaxArraySize(ctx); err != nil {
			return fmt.Errorf("submit to slurm: %w", err)
		}
	}
	if maxArray <= 0 {
		maxArray = sl.DefaultMaxArraySize
	}
	if !s.DryRun {
		if err := results.ClearCancelled(runDir); err != nil {
			return err
		}
	}
	jobs, err := results.ReadJobs(runDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(results.LogDir(runDir), 0o755); err != nil {
		return fmt.Errorf("submit to slurm: %w", err)
	}
	reason := s.Reason
	if reason == "" {
		reason = "submit"
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	n := len(jobs.Submissions)
	for _, chunk := range sl.Chunks(items, maxArray) {
		script := base
		script.Chunk = chunk
		body, err := sl.RenderScript(script)
		if err != nil {
			return fmt.Errorf("render sbatch script: %w", err)
		}
		rel := results.ScriptPath(n)
		path := filepath.Join(runDir, rel)
		if err := atomicfile.WriteFile(path, body, 0o644); err != nil {
			return fmt.Errorf("write sbatch script: %w", err)
		}
		sub := results.JobSubmission{Kind: Kind, Script: rel, Base: chunk.Base, Array: script.Array(), Items: len(chunk.Indices), Reason: reason, SubmittedAt: now().UTC()}
		if s.DryRun {
			s.Submitted = append(s.Submitted, sub)
			s.submitted(sub)
			n++
			continue
		}
		id, err := s.client().Submit(ctx, path)
		if err != nil {
			if len(s.Submitted) > 0 {
				return fmt.Errorf("%w (arrays submitted before this one keep running: %s)", err, strings.Join(jobIDs(s.Submitted), ", "))
			}
			return err
		}
		sub.JobID = id
		if err := results.RecordSubmission(runDir, sub); err != nil {
			return fmt.Errorf("job %s was submitted but not recorded: %w", id, err)
		}
		s.Submitted = append(s.Submitted, sub)
		s.submitted(sub)
		n++
	}
	return nil
}

func jobIDs(subs []results.JobSubmission) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.JobID
	}
	return out
}

// Validate checks the Slurm options and the results directory's path by
// rendering the script of a placeholder run, so that a bad option fails
// before a run directory exists.
func (s *Slurm) Validate() error {
	if s.Config == nil {
		return errors.New("submit to slurm: no config")
	}
	root, err := filepath.Abs(configs.ExpandPath(s.Config.Results.Dir))
	if err != nil {
		return err
	}
	sc, err := s.scriptBase(filepath.Join(root, "RUN"), "RUN")
	if err != nil {
		return err
	}
	sc.Chunk = sl.Chunk{Indices: []int{0}}
	if _, err = sl.RenderScript(sc); err != nil {
		return err
	}
	if s.Config.Slurm.Container != "" {
		return prepareBinds(containerBinds(s.Config, sc.RunDir, sc.Binary, sc.WorkDir))
	}
	return nil
}

// scriptBase fills everything of the script but the chunk.
func (s *Slurm) scriptBase(runDir, runID string) (sl.Script, error) {
	cfg := s.Config
	bin := s.Binary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return sl.Script{}, fmt.Errorf("find mlbench binary: %w", err)
		}
		bin = exe
	}
	bin, err := absResolved(bin)
	if err != nil {
		return sl.Script{}, fmt.Errorf("find mlbench binary: %w", err)
	}
	wd := s.WorkDir
	if wd == "" {
		if wd, err = os.Getwd(); err != nil {
			return sl.Script{}, fmt.Errorf("find working directory: %w", err)
		}
	}
	runDir, err = filepath.Abs(runDir)
	if err != nil {
		return sl.Script{}, err
	}
	sc := sl.Script{
		RunID: runID, RunDir: runDir, LogDir: results.LogDir(runDir), Binary: bin, WorkDir: wd,
		Throttle: cfg.Slurm.ArrayThrottle, Time: cfg.Slurm.Time, Partition: cfg.Slurm.Partition,
		Account: cfg.Slurm.Account, QOS: cfg.Slurm.QOS, Gres: cfg.Slurm.Gres, CPUsPerTask: cfg.Slurm.CPUsPerTask,
		Mem: cfg.Slurm.Mem, Requeue: true, MaxAttempts: cfg.Slurm.MaxAttempts, SignalGrace: cfg.Slurm.SignalGrace, Extra: cfg.Slurm.Extra,
	}
	if img := cfg.Slurm.Container; img != "" {
		sc.Container = &sl.Container{Binary: cfg.Exec.Apptainer.Binary, Image: configs.ExpandPath(img), Binds: bindPaths(containerBinds(cfg, runDir, bin, wd))}
		if strings.Contains(cfg.Slurm.Gres, "gpu") {
			sc.Container.Args = []string{"--nv"}
		}
	}
	return sc, nil
}

func absResolved(p string) (string, error) {
	p, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r, nil
	}
	return p, nil
}

// Cancel marks the run cancelled (so interrupted workers do not requeue
// themselves) and cancels every array of the run, including any whose
// submission reply was lost (by job name). Marking the items is the
// caller's part (harness.CancelItem). Calling it again is harmless.
func (s *Slurm) Cancel(ctx context.Context, runDir string) error {
	m, err := results.ReadManifest(runDir)
	if err != nil {
		return err
	}
	if err := results.MarkCancelled(runDir, time.Now()); err != nil {
		return err
	}
	jobs, err := results.ReadJobs(runDir)
	if err != nil {
		return err
	}
	if err := s.client().Cancel(ctx, jobs.JobIDs()...); err != nil {
		return err
	}
	return s.client().CancelName(ctx, sl.JobName(m.RunID))
}
