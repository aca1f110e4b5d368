package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/internal/atomicfile"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search"
)

// ErrCancelled is returned by RunItem when its context ended the search;
// the item is marked cancelled and resumes from its checkpoint.
var ErrCancelled = errors.New("harness: item cancelled")

// ErrBusy is returned when another worker holds the item.
var ErrBusy = results.ErrBusy

// ItemOptions are RunItem's collaborators beyond the config.
type ItemOptions struct {
	// Coders builds the coder and reviewer of the mlbench agent; nil
	// means DefaultCoders (search.coder decides).
	Coders CoderFactory
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
	Agent  AgentResult
}

// RunItem runs work item index of run to completion, resuming from its
// checkpoint: a done item is a no-op. Its status.json is kept truthful at
// every step. A cancelled context leaves the item cancelled with its
// checkpoint (ErrCancelled); a failure of the infrastructure marks it failed
// and is returned. Nodes that fail are data in the traces, not errors.
func RunItem(ctx context.Context, run *Run, index int, opts ItemOptions) (*Outcome, error) {
	it, err := claimItem(run, index, opts.Log)
	if err != nil {
		return nil, err
	}
	defer it.unlock()
	if it.st.State == results.StateDone {
		return it.out, nil // idempotent: a done item is never rerun
	}
	if err := it.markRunning(); err != nil {
		return nil, err
	}
	env, err := it.resolve()
	if err != nil {
		return it.fail(ctx, err)
	}
	sb, err := openSandbox(opts, env.Config, it.log)
	if err != nil {
		return it.fail(ctx, err)
	}
	defer sb.Close()
	env.Sandbox = sb
	agent, err := NewAgent(env.Config, opts)
	if err != nil {
		return it.fail(ctx, err)
	}
	defer agent.Close()
	res, err := agent.Solve(ctx, env)
	it.out.Agent = res
	switch {
	case errors.Is(err, ErrCancelled):
		return it.cancelled()
	case err != nil:
		return it.fail(ctx, err)
	case ctx.Err() != nil:
		return it.cancelled()
	}
	rep, err := gradeBest(ctx, it.dir, it.submission(res), env.Task, env.Config)
	if err != nil {
		return it.fail(ctx, err)
	}
	it.out.Grade = rep
	agent.Graded(ctx, rep)
	it.st.Modality, it.st.Fallback = res.Modality, res.Fallback
	if err := it.done(); err != nil {
		return it.out, err
	}
	fallback := ""
	if res.Fallback != "" {
		fallback = " [fallback, no model: " + res.Fallback + "]"
	}
	fmt.Fprintf(it.log, "item %d: %s done: %d nodes (%d buggy), stopped by %s, %s%s\n", index, env.Task.ID, res.Nodes, res.Buggy, res.Stop, rep.Summary(), fallback)
	return it.out, nil
}

// itemRun is one attempt at an item while its worker holds the lock: the
// status it keeps truthful and the outcome it returns.
type itemRun struct {
	run    *Run
	index  int
	dir    string
	log    io.Writer
	st     results.ItemStatus
	out    *Outcome
	unlock func()
}

// claimItem locks the item (ErrBusy when another worker has it) and reads
// its status.
func claimItem(run *Run, index int, log io.Writer) (*itemRun, error) {
	if log == nil {
		log = io.Discard
	}
	if _, err := run.Item(index); err != nil {
		return nil, err
	}
	dir := run.ItemDir(index)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("run item %d: %w", index, err)
	}
	unlock, err := results.LockItem(dir)
	if err != nil {
		return nil, fmt.Errorf("run item %d: %w", index, err)
	}
	st, err := results.ReadItemStatus(dir)
	if err != nil {
		unlock()
		return nil, err
	}
	return &itemRun{run: run, index: index, dir: dir, log: log, st: st, out: &Outcome{Index: index, Status: st}, unlock: unlock}, nil
}

// markRunning counts a new attempt.
func (it *itemRun) markRunning() error {
	st := &it.st
	st.State, st.Attempts, st.StartedAt, st.FinishedAt, st.Error = results.StateRunning, st.Attempts+1, time.Now().UTC(), time.Time{}, ""
	return writeStatus(it.dir, it.st)
}

// resolve loads the item's config and task; the task must be prepared.
func (it *itemRun) resolve() (AgentEnv, error) {
	item, err := it.run.Item(it.index)
	if err != nil {
		return AgentEnv{}, err
	}
	cfg, err := it.run.ItemConfig(it.index)
	if err != nil {
		return AgentEnv{}, err
	}
	t, err := RegistryFrom(cfg).Task(item.TaskID)
	if err != nil {
		return AgentEnv{}, err
	}
	if !t.Prepared() {
		return AgentEnv{}, &task.NotPreparedError{Task: t}
	}
	return AgentEnv{Config: cfg, Run: it.run, Index: it.index, Task: t, Seed: item.Seed, ItemDir: it.dir, Log: it.log}, nil
}

// submission is where the agent left its best submission.
func (it *itemRun) submission(res AgentResult) string {
	if res.Submission != "" {
		return res.Submission
	}
	return filepath.Join(it.dir, results.BestDir, results.SubmissionFile)
}

// cancelled marks an interrupted item: nothing is wrong with it, it
// resumes from its checkpoint.
func (it *itemRun) cancelled() (*Outcome, error) {
	st := &it.st
	st.State, st.FinishedAt, st.Error = results.StateCancelled, time.Now().UTC(), "interrupted; resume continues from the checkpoint"
	if err := writeStatus(it.dir, it.st); err != nil {
		return it.out, err
	}
	it.out.Status = it.st
	return it.out, ErrCancelled
}

// fail marks the item failed with err, or cancelled when ctx ended (then
// err is a consequence of the interruption, in setting up or tearing down).
func (it *itemRun) fail(ctx context.Context, err error) (*Outcome, error) {
	if ctx.Err() != nil {
		return it.cancelled()
	}
	st := &it.st
	st.State, st.FinishedAt, st.Error = results.StateFailed, time.Now().UTC(), err.Error()
	if werr := writeStatus(it.dir, it.st); werr != nil {
		err = errors.Join(err, werr)
	}
	it.out.Status = it.st
	return it.out, err
}

// done marks the item done.
func (it *itemRun) done() error {
	it.st.State, it.st.FinishedAt = results.StateDone, time.Now().UTC()
	if err := writeStatus(it.dir, it.st); err != nil {
		return err
	}
	it.out.Status = it.st
	return nil
}

// openSandbox builds the item's sandbox, pointing at the Python setting
// when that is what failed.
func openSandbox(opts ItemOptions, cfg *configs.Config, log io.Writer) (sandbox.Executor, error) {
	newSandbox := opts.Sandbox
	if newSandbox == nil {
		newSandbox = sandbox.New
	}
	sb, err := newSandbox(cfg.Exec, log)
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "python") {
			err = fmt.Errorf("%w; %s", err, pythonHint)
		}
		return nil, fmt.Errorf("set up sandbox: %w", err)
	}
	return sb, nil
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
// on task t's public data the way nodes run. It opens its own sandbox
// (openSandbox, as RunItem does) because items run in other processes
// (local workers, Slurm elements) that cannot share it.
func Preflight(ctx context.Context, cfg *configs.Config, t task.Task) error {
	sb, err := openSandbox(ItemOptions{}, cfg, io.Discard)
	if err != nil {
		return err
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

// gradeBest grades submission sub and writes the item's grade.json.
func gradeBest(ctx context.Context, dir, sub string, t task.Task, cfg *configs.Config) (*grader.Report, error) {
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

// checkpointer writes the search state atomically after every change.
type checkpointer struct{ dir string }

func (c *checkpointer) Save(_ context.Context, st *search.State) error {
	path := results.CheckpointPath(c.dir)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return results.WriteJSON(path, st)
}

// loadCheckpoint is the item's search state to resume from, nil for a
// fresh start.
func loadCheckpoint(dir string) (*search.State, error) {
	st, err := results.ReadCheckpoint(dir)
	if errors.Is(err, results.ErrNoCheckpoint) {
		return nil, nil
	}
	return st, err
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
