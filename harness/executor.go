package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search"
)

// nodeExecutor runs a node's code in the sandbox and establishes the facts
// of its run: exit, limits, whether a submission exists and whether its
// format is valid. The format check uses the grader in-process; no score
// ever reaches the agent.
type nodeExecutor struct {
	sb      sandbox.Executor
	run     *Run
	itemDir string
	task    task.Task
	cfg     *configs.Config
	// relative: the process backend cannot remap paths, so the code sees
	// its data through ./input and writes ./submission/ in its work dir.
	relative bool
	// slots are the CPUs and GPUs of each search worker (exec.cpus,
	// exec.gpus), so parallel workers do not fight over one GPU.
	slots []sandbox.Slot
	// gpus are all GPUs of the item (exec.gpus resolved), shared out by
	// slots.
	gpus []string
}

var _ search.Executor = (*nodeExecutor)(nil)

// keepInvalidSubmission is the largest invalid submission kept in the
// node's directory.
const keepInvalidSubmission = 1 << 20

func newNodeExecutor(sb sandbox.Executor, run *Run, index int, t task.Task, cfg *configs.Config) (*nodeExecutor, error) {
	gpus, err := sandbox.ParseGPUs(cfg.Exec.GPUs)
	if err != nil {
		return nil, &configs.FieldError{Field: "exec.gpus", Value: cfg.Exec.GPUs, Err: err}
	}
	slots, err := sandbox.Slots(cfg.Search.Workers, cfg.Exec.CPUs, gpus)
	if err != nil {
		return nil, err
	}
	return &nodeExecutor{sb: sb, run: run, itemDir: run.ItemDir(index), task: t, cfg: cfg,
		relative: sb.Info().Backend == "process", slots: slots, gpus: gpus}, nil
}

// runGPUs describes the GPUs one run sees (the first slot's; slots differ
// at most by one GPU), for the prompt. The error says why nvidia-smi facts
// are missing and is only worth a log line.
func (e *nodeExecutor) runGPUs(ctx context.Context) ([]sandbox.GPU, error) {
	if len(e.slots) == 0 {
		return nil, nil
	}
	return sandbox.DescribeGPUs(ctx, e.slots[0].GPUs)
}

func (e *nodeExecutor) codeInputDir() string {
	if e.relative {
		return "./input"
	}
	return sandbox.DataPath
}

func (e *nodeExecutor) codeSubmissionPath() string {
	if e.relative {
		return "./submission/" + results.SubmissionFile
	}
	return sandbox.SubmissionPath + "/" + results.SubmissionFile
}

// hidden are host paths the code must never see: the private answers. (The
// rest of the run directory, with other nodes' grades, is outside every
// mount of the bwrap and apptainer sandboxes already.)
func (e *nodeExecutor) hidden() []string {
	return []string{e.task.PrivateDir}
}

func (e *nodeExecutor) spec(dir string) sandbox.Spec {
	work := filepath.Join(dir, "work")
	sub := filepath.Join(dir, "submission")
	if e.relative {
		sub = filepath.Join(work, "submission")
	}
	return sandbox.Spec{
		WorkDir: work, SubmissionDir: sub, DataDir: e.task.PublicDir, Hide: e.hidden(),
		Timeout: e.cfg.Exec.Timeout,
	}
}

func (e *nodeExecutor) prepare(dir string, spec sandbox.Spec) error {
	for _, d := range []string{spec.WorkDir, spec.SubmissionDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if e.relative {
		link := filepath.Join(spec.WorkDir, "input")
		if _, err := os.Lstat(link); errors.Is(err, os.ErrNotExist) {
			if err := os.Symlink(e.task.PublicDir, link); err != nil {
				return err
			}
		}
	}
	return nil
}

// Execute runs one node. Its files land in nodes/<id>/: code.py,
// stdout.txt, stderr.txt and, when the code wrote one, submission.csv.
// The scratch work directory is removed afterwards.
func (e *nodeExecutor) Execute(ctx context.Context, n search.NodeSnapshot) (search.ExecResult, error) {
	dir := results.NodeDir(e.itemDir, n.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return search.ExecResult{}, fmt.Errorf("execute node: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, results.CodeFile), []byte(n.Code), 0o644); err != nil {
		return search.ExecResult{}, fmt.Errorf("execute node: %w", err)
	}
	spec := e.spec(dir)
	spec.Script = filepath.Join(spec.WorkDir, sandbox.CodeFile)
	if len(e.slots) > 0 {
		slot := e.slots[n.Worker%len(e.slots)]
		spec.Limits.CPUs, spec.Limits.GPUs = slot.CPUs, slot.GPUs
	}
	if err := e.prepare(dir, spec); err != nil {
		return search.ExecResult{}, fmt.Errorf("execute node: %w", err)
	}
	if err := os.WriteFile(spec.Script, []byte(n.Code), 0o644); err != nil {
		return search.ExecResult{}, fmt.Errorf("execute node: %w", err)
	}
	defer os.RemoveAll(spec.WorkDir)
	if !e.relative {
		defer os.RemoveAll(spec.SubmissionDir)
	}
	res, err := e.sb.Run(ctx, spec)
	if err != nil {
		return search.ExecResult{}, err
	}
	_ = os.WriteFile(filepath.Join(dir, results.StdoutFile), []byte(res.Stdout), 0o644)
	_ = os.WriteFile(filepath.Join(dir, results.StderrFile), []byte(res.Stderr), 0o644)
	out := search.ExecResult{
		ExitCode: res.ExitCode, TimedOut: res.TimedOut, OOM: res.OOM,
		Output: res.Output, Seconds: res.WallSeconds(),
	}
	if res.Status() != "ok" && res.ExitCode == 0 {
		out.ExitCode = -1 // killed by a signal
	}
	sub := filepath.Join(spec.SubmissionDir, results.SubmissionFile)
	if st, err := os.Lstat(sub); err == nil && st.Mode().IsRegular() {
		out.SubmissionExists = true
		// Validate where the code wrote it, then keep it: a valid one, or
		// an invalid one small enough to look at (an invalid submission
		// may be gigabytes of anything).
		valid, msg, err := grader.Validate(ctx, e.task.GradeRequest(sub, ""))
		if err != nil {
			return out, fmt.Errorf("validate submission: %w", err)
		}
		out.FormatValid = valid
		if !valid {
			out.FormatError = msg
		}
		if valid || st.Size() <= keepInvalidSubmission {
			if err := copyFile(sub, filepath.Join(dir, results.SubmissionFile)); err != nil {
				return out, fmt.Errorf("keep node submission: %w", err)
			}
		}
	} else {
		out.FormatError = "no submission file at " + e.codeSubmissionPath()
	}
	return out, nil
}

// preflight runs a tiny script the way nodes run, so that a missing
// interpreter or library is one clear error instead of a tree of buggy
// nodes.
func (e *nodeExecutor) preflight(ctx context.Context) (facts preflightFacts, err error) {
	dir, err := os.MkdirTemp("", "mlbench-preflight-")
	if err != nil {
		return facts, err
	}
	defer os.RemoveAll(dir)
	spec := sandbox.Spec{
		Code:    preflightCode,
		WorkDir: filepath.Join(dir, "work"), SubmissionDir: filepath.Join(dir, "submission"),
		DataDir: e.task.PublicDir, Hide: e.hidden(), Timeout: e.cfg.Exec.Timeout,
		Limits: sandbox.Limits{GPUs: e.gpus},
	}
	if err := e.prepare(dir, spec); err != nil {
		return facts, err
	}
	res, err := e.sb.Run(ctx, spec)
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "python") {
			return facts, fmt.Errorf("%w; %s", err, pythonHint)
		}
		return facts, fmt.Errorf("preflight: %w", err)
	}
	if res.OK() && strings.Contains(res.Stdout, "mlbench-ok") {
		env, err := sandbox.ParseProbe(res.Stdout)
		if err != nil {
			return facts, fmt.Errorf("preflight: %w", err)
		}
		facts.Env = env
		return facts, nil
	}
	py := e.cfg.Exec.Python
	switch {
	case res.ExitCode == 127 || strings.Contains(res.Output, "No such file") || strings.Contains(res.Output, "not found"):
		return facts, fmt.Errorf("%s is missing in the %s sandbox: install it (apt-get install python3 python3-numpy python3-pandas python3-sklearn) or set exec.python to an interpreter path", py, e.sb.Info().Backend)
	case strings.Contains(res.Output, "ModuleNotFoundError"):
		return facts, fmt.Errorf("%s in the %s sandbox lacks numpy/pandas/scikit-learn (%s): apt-get install python3-numpy python3-pandas python3-sklearn, or set exec.python to an interpreter that has them",
			py, e.sb.Info().Backend, lastLine(res.Output))
	}
	return facts, fmt.Errorf("preflight of %s in the %s sandbox failed (%s): %s", py, e.sb.Info().Backend, res.Status(), lastLine(res.Output))
}

// pythonHint says how to get a usable interpreter.
const pythonHint = "install python3 with python3-numpy, python3-pandas and python3-sklearn (apt-get install python3-sklearn python3-pandas), or set exec.python to an interpreter that has them"

// preflightFacts are what the preflight learned about the sandbox.
type preflightFacts struct {
	// Env is the environment probe's report (packages, accelerators).
	Env sandbox.Environment
}

// preflightCode checks the packages every solution needs, then probes the
// environment (sandbox.ProbeCode).
var preflightCode = "import numpy, pandas, sklearn\n" + sandbox.ProbeCode + "print(\"mlbench-ok\")\n"

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return truncate(s, 300)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}
