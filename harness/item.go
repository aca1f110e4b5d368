package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/internal/atomicfile"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search"
)

// Files of an item directory that the harness owns (results owns the rest).
const (
	CheckpointDir  = "checkpoint"
	CheckpointFile = "state.json"
	ProgressFile   = "progress.json"
	lockFile       = results.LockFile
)

// ErrCancelled is returned by RunItem when its context ended the search;
// the item is marked cancelled and resumes from its checkpoint.
var ErrCancelled = errors.New("harness: item cancelled")

// ErrBusy is returned when another worker holds the item.
var ErrBusy = errors.New("harness: item is being run by another worker")

// Agent is what solves one task: the coder and reviewer of a search, built
// per item. Close releases what they hold (idempotent).
type Agent struct {
	Coder    search.Coder
	Reviewer search.Reviewer
	// Describe names the agent in logs, e.g. "baseline" or "llm gpt-4o".
	Describe string
	// Usage returns the LLM cost in USD of a usage (nil: free).
	Cost  func(search.Usage) float64
	Close func() error
}

// AgentFactory builds the agent for one item.
type AgentFactory func(ctx context.Context, env AgentEnv) (*Agent, error)

// AgentEnv is what an AgentFactory knows about the item.
type AgentEnv struct {
	Config  *configs.Config
	Task    task.Task
	Seed    int
	ItemDir string
	// InputDir and SubmissionPath are where generated code finds the public
	// data and must write its submission, as the code sees them.
	InputDir       string
	SubmissionPath string
	// Memory renders memory context for prompts.
	Memory *Memory
	// XGBoost says whether xgboost imports in the sandbox.
	XGBoost  bool
	Executor sandbox.Executor
	Log      io.Writer
}

// ItemOptions are RunItem's collaborators beyond the config.
type ItemOptions struct {
	// Agent builds the coder and reviewer. Required.
	Agent AgentFactory
	// Sandbox builds the executor; nil means sandbox.New(cfg.Exec).
	Sandbox func(cfg configs.Exec, warn io.Writer) (sandbox.Executor, error)
	// Log receives progress lines; nil means io.Discard.
	Log io.Writer
	// Clock is the search's clock; nil means the system clock.
	Clock search.Clock
}

// Outcome is what one RunItem did.
type Outcome struct {
	Index  int
	Status results.ItemStatus
	Grade  *grader.Report
	Search search.Result
}

// RunItem runs work item index of run to completion, resuming from its
// checkpoint: a done item is a no-op. Its status.json is kept truthful at
// every step. A cancelled context leaves the item cancelled with its
// checkpoint (ErrCancelled); a failure of the infrastructure marks it failed
// and is returned. Nodes that fail are data in the traces, not errors.
func RunItem(ctx context.Context, run *Run, index int, opts ItemOptions) (*Outcome, error) {
	if opts.Agent == nil {
		return nil, errors.New("run item: no agent factory")
	}
	log := opts.Log
	if log == nil {
		log = io.Discard
	}
	item, err := run.Item(index)
	if err != nil {
		return nil, err
	}
	dir := run.ItemDir(index)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("run item %d: %w", index, err)
	}
	unlock, err := lockItem(dir)
	if err != nil {
		return nil, fmt.Errorf("run item %d: %w", index, err)
	}
	defer unlock()

	st, err := results.ReadItemStatus(dir)
	if err != nil {
		return nil, err
	}
	out := &Outcome{Index: index, Status: st}
	if st.State == results.StateDone {
		return out, nil // idempotent: a done item is never rerun
	}
	st.State, st.Attempts, st.StartedAt, st.FinishedAt, st.Error = results.StateRunning, st.Attempts+1, time.Now().UTC(), time.Time{}, ""
	if err := writeStatus(dir, st); err != nil {
		return nil, err
	}
	// cancelled marks an interrupted item: nothing is wrong with it, it
	// resumes from its checkpoint.
	cancelled := func() (*Outcome, error) {
		st.State, st.FinishedAt, st.Error = results.StateCancelled, time.Now().UTC(), "interrupted; resume continues from the checkpoint"
		if err := writeStatus(dir, st); err != nil {
			return out, err
		}
		out.Status = st
		return out, ErrCancelled
	}
	fail := func(err error) (*Outcome, error) {
		if ctx.Err() != nil {
			return cancelled() // interrupted while setting up or tearing down
		}
		st.State, st.FinishedAt, st.Error = results.StateFailed, time.Now().UTC(), err.Error()
		if werr := writeStatus(dir, st); werr != nil {
			err = errors.Join(err, werr)
		}
		out.Status = st
		return out, err
	}

	cfg, err := run.ItemConfig(index)
	if err != nil {
		return fail(err)
	}
	reg := RegistryFrom(cfg)
	t, err := reg.Task(item.TaskID)
	if err != nil {
		return fail(err)
	}
	if !t.Prepared() {
		return fail(&task.NotPreparedError{Task: t})
	}
	newSandbox := opts.Sandbox
	if newSandbox == nil {
		newSandbox = sandbox.New
	}
	sb, err := newSandbox(cfg.Exec, log)
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "python") {
			err = fmt.Errorf("%w; %s", err, pythonHint)
		}
		return fail(fmt.Errorf("set up sandbox: %w", err))
	}
	defer sb.Close()
	ex, err := newNodeExecutor(sb, run, index, t, cfg)
	if err != nil {
		return fail(err)
	}
	facts, err := ex.preflight(ctx)
	if err != nil {
		return fail(err)
	}
	mem, err := openMemory(cfg.Memory, t, dir, log)
	if err != nil {
		return fail(err)
	}
	agent, err := opts.Agent(ctx, AgentEnv{
		Config: cfg, Task: t, Seed: item.Seed, ItemDir: dir, Executor: sb, Log: log, Memory: mem,
		InputDir: ex.codeInputDir(), SubmissionPath: ex.codeSubmissionPath(), XGBoost: facts.XGBoost,
	})
	if err != nil {
		return fail(fmt.Errorf("set up agent: %w", err))
	}
	if agent.Close != nil {
		defer agent.Close()
	}

	resume, err := loadCheckpoint(dir)
	if err != nil {
		return fail(err)
	}
	tw, err := results.NewTraceWriter(dir, results.TraceOptions{})
	if err != nil {
		return fail(err)
	}
	tr := &tracer{w: tw, run: run, item: item, dir: dir, cfg: cfg, lower: t.LowerIsBetter, cost: agent.Cost, steps: cfg.Search.Steps, log: log, mem: mem}
	if resume != nil {
		if err := tr.backfill(ctx, resume); err != nil {
			tw.Close()
			return fail(err)
		}
	}
	scfg := search.ConfigFrom(cfg.Search)
	lower := t.LowerIsBetter
	scfg.LowerIsBetter = &lower
	scfg.Seed = uint64(item.Seed)
	clock := opts.Clock
	if clock == nil {
		clock = search.SystemClock{}
	}
	fmt.Fprintf(log, "item %d: %s seed %d, agent %s, sandbox %s%s\n", index, t.ID, item.Seed, agent.Describe, sb.Info().Backend, resumeNote(resume))
	res, serr := search.Run(ctx, search.Options{
		Config: scfg, Coder: agent.Coder, Executor: ex, Reviewer: agent.Reviewer,
		Tracer: tr, Best: &bestSink{dir: dir, itemDir: dir}, Checkpointer: &checkpointer{dir: dir},
		Clock: clock, Resume: resume,
	})
	out.Search = res
	if cerr := tw.Close(); cerr != nil && serr == nil {
		serr = fmt.Errorf("close traces: %w", cerr)
	}
	if serr != nil {
		return fail(serr)
	}
	if res.Reason == search.StopCancelled || ctx.Err() != nil {
		return cancelled()
	}

	rep, err := gradeBest(ctx, dir, t, cfg)
	if err != nil {
		return fail(err)
	}
	out.Grade = rep
	mem.finish(ctx, medalOf(rep), run.Manifest.RunID)
	st.State, st.FinishedAt = results.StateDone, time.Now().UTC()
	if err := writeStatus(dir, st); err != nil {
		return out, err
	}
	out.Status = st
	fmt.Fprintf(log, "item %d: %s done: %d nodes (%d buggy), stopped by %s, %s\n", index, t.ID, res.Nodes, res.Buggy, res.Reason, rep.Summary())
	return out, nil
}

func resumeNote(st *search.State) string {
	if st == nil {
		return ""
	}
	done := 0
	for _, n := range st.Nodes {
		if n.Status == search.StatusDone {
			done++
		}
	}
	return fmt.Sprintf(", resuming from a checkpoint of %d nodes", done)
}

// Preflight checks, before a run is planned, that the sandbox starts here
// and its Python has numpy, pandas and scikit-learn, running a tiny script
// on task t's public data the way nodes run.
func Preflight(ctx context.Context, cfg *configs.Config, t task.Task) error {
	sb, err := sandbox.New(cfg.Exec, io.Discard)
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "python") {
			return fmt.Errorf("%w; %s", err, pythonHint)
		}
		return fmt.Errorf("set up sandbox: %w", err)
	}
	defer sb.Close()
	ex := &nodeExecutor{sb: sb, task: t, cfg: cfg, relative: sb.Info().Backend == "process"}
	_, err = ex.preflight(ctx)
	return err
}

// RegistryFrom builds the task registry from a config.
func RegistryFrom(cfg *configs.Config) task.Registry {
	return task.Registry{
		DataDir:      configs.ExpandPath(cfg.Data.Dir),
		Leaderboards: configs.ExpandPath(cfg.Data.Leaderboards),
		DemoDir:      configs.ExpandPath(cfg.Data.DemoDir),
		DemoSeed:     cfg.Data.DemoSeed,
	}
}

// gradeBest grades best/submission.csv and writes grade.json.
func gradeBest(ctx context.Context, dir string, t task.Task, cfg *configs.Config) (*grader.Report, error) {
	sub := filepath.Join(dir, results.BestDir, results.SubmissionFile)
	rep, err := grader.Grade(ctx, t.GradeRequest(sub, configs.ExpandPath(cfg.Data.Leaderboards)))
	if err != nil {
		return nil, fmt.Errorf("grade best submission: %w", err)
	}
	if err := results.WriteJSON(filepath.Join(dir, results.GradeFile), rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

func writeStatus(dir string, st results.ItemStatus) error {
	if err := results.WriteJSON(filepath.Join(dir, results.StatusFile), st); err != nil {
		return fmt.Errorf("write item status: %w", err)
	}
	return nil
}

// lockItem takes an exclusive flock on the item's lock file so that two
// workers (a local one and a requeued Slurm element, say) never run the
// same item at once. The lock dies with the process.
func lockItem(dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("lock item: %w", err)
	}
	// Who holds the item, for status and the web view: a dead owner of a
	// running item means it was killed and needs a resume. Best effort: the
	// lock itself is what keeps two workers apart.
	if b, err := json.Marshal(results.SelfOwner()); err == nil {
		_ = f.Truncate(0)
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// checkpointer writes the search state atomically after every change.
type checkpointer struct{ dir string }

func (c *checkpointer) Save(_ context.Context, st *search.State) error {
	cp := filepath.Join(c.dir, CheckpointDir)
	if err := os.MkdirAll(cp, 0o755); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return results.WriteJSON(filepath.Join(cp, CheckpointFile), st)
}

func loadCheckpoint(dir string) (*search.State, error) {
	path := filepath.Join(dir, CheckpointDir, CheckpointFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	var st search.State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("checkpoint %s is damaged (%v); move it away to restart the item from scratch", path, err)
	}
	return &st, nil
}

// bestSink keeps best/ current: submission.csv, solution.py and node_id,
// each replaced atomically as soon as a new best node appears.
type bestSink struct{ dir, itemDir string }

func (b *bestSink) OnNewBest(_ context.Context, n search.NodeSnapshot) error {
	best := filepath.Join(b.itemDir, results.BestDir)
	if err := os.MkdirAll(best, 0o755); err != nil {
		return fmt.Errorf("update best: %w", err)
	}
	src := filepath.Join(results.NodeDir(b.itemDir, n.ID), results.SubmissionFile)
	sub, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("update best: %w", err)
	}
	for name, body := range map[string][]byte{results.SubmissionFile: sub, "solution.py": []byte(n.Code)} {
		if err := atomicfile.WriteFile(filepath.Join(best, name), body, 0o644); err != nil {
			return fmt.Errorf("update best: %w", err)
		}
	}
	// node_id last: it names a submission that is already in place.
	return atomicfile.WriteFile(filepath.Join(best, results.BestNodeIDFile), []byte(n.ID+"\n"), 0o644)
}

// truncate shortens s to n bytes, keeping valid UTF-8 boundaries loosely.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}
