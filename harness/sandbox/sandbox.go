package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"
)

// Executor runs one script at a time per call to Run, under isolation and
// limits.
//
// Call order: build it (New, NewBwrap, NewProcess, NewApptainer), call Run
// any number of times, then Close once the last Run has returned. Info and
// Paths may be called at any time before Close.
//
// Concurrency: Run is safe to call from many goroutines at once; each call
// is independent (its own processes, cgroup and private /tmp). Give
// parallel workers disjoint Limits.CPUs and GPUs (see Slots).
//
// Cleanup: Run leaves no process of its run behind when it returns and
// removes what it created (except files the code wrote into the working and
// submission directories). Close releases what the executor holds (its
// cgroup parent); it is idempotent and safe to call more than once.
type Executor interface {
	// Info describes the backend and what it can enforce on this node.
	Info() Info
	// Paths returns where the code sees the directories of spec.
	Paths(spec Spec) Paths
	// Run executes spec and waits until every process of the run is gone
	// (the process backend, without a cgroup, loses track of processes
	// that start a new session; see Info.Warnings).
	// A script that fails, times out or runs out of memory is reported in
	// the Result, not as an error. The error is for what stopped the
	// sandbox from doing its job (invalid spec, missing binary, setup
	// failure) and for ctx ending, in which case the run is killed and the
	// partial Result is returned with ctx's error.
	Run(ctx context.Context, spec Spec) (*Result, error)
	// Close releases the executor's resources. Idempotent.
	Close() error
}

// Fixed paths inside the apptainer and bwrap sandboxes.
const (
	DataPath       = "/home/data"
	WorkPath       = "/home/work"
	SubmissionPath = "/home/submission"
	codePath       = "/home/code"
	tmpPath        = "/tmp"
)

// Environment variables every backend sets for the code.
const (
	EnvDataDir       = "MLBENCH_DATA_DIR"
	EnvWorkDir       = "MLBENCH_WORK_DIR"
	EnvSubmissionDir = "MLBENCH_SUBMISSION_DIR"
)

// CodeFile is the name Run gives Spec.Code inside the working directory.
const CodeFile = "runfile.py"

// Spec is one execution: what to run, which host directories it gets, and
// its limits. Zero limits fall back to the executor's defaults (from
// configs.Exec).
type Spec struct {
	// Script is the host path of the Python file to run. If it lies inside
	// WorkDir it runs from there; otherwise it is mounted read-only.
	Script string
	// Code is Python source to run when Script is empty; it is written to
	// WorkDir/runfile.py first.
	Code string
	// Args are passed to the script after its path.
	Args []string
	// WorkDir is the host directory the code runs in, read-write. Required.
	WorkDir string
	// SubmissionDir is the host directory for submission files, read-write.
	// Empty means WorkDir/submission (created).
	SubmissionDir string
	// DataDir is the host directory of the task's public data, mounted
	// read-only. Empty means none.
	DataDir string
	// Hide lists host paths that must never be visible to the code, such as
	// the task's private answers. They are not mounted; if one lies under a
	// mounted system directory it is covered by an empty read-only tmpfs.
	// The process backend cannot hide anything (see Info.HidesFiles).
	Hide []string
	// Env adds variables to the code's environment (after the allow-list).
	// Names that look like secrets are refused.
	Env map[string]string
	// Timeout is the wall-clock limit; 0 means the executor's default.
	Timeout time.Duration
	// Grace is how long processes have between SIGTERM and SIGKILL; 0 means
	// the executor's default.
	Grace time.Duration
	// Limits bound resources; zero fields mean the executor's default.
	Limits Limits
	// OutputMax is how many bytes of each of stdout, stderr and the combined
	// output are kept (half from the start, half from the end); 0 means the
	// executor's default.
	OutputMax int
	// TmpDir is the host directory mounted as the private /tmp. Empty means
	// a fresh directory under os.TempDir, removed after the run.
	TmpDir string

	// Command, when set, runs this argv (paths as the sandbox shows them)
	// instead of Python on Script or Code: an external agent's start script.
	Command []string
	// Mounts show more host paths at fixed places (bwrap, apptainer).
	Mounts []Mount
	// Forwards are the only ways out of the sandbox's network namespace
	// (see Forward); Command only.
	Forwards []Forward
	// Secrets are variables that may carry credentials (an agent's API
	// key), given to Command through its environment only; refused for
	// Script and Code.
	Secrets map[string]string
}

// Limits bound the resources of one run.
type Limits struct {
	// Memory is the address-space (or data, with GPUs) limit in bytes of
	// every process of the run; 0 means the executor's default, negative
	// means none.
	Memory int64
	// MaxProcs bounds processes and threads; 0 means the executor's
	// default, negative means none.
	MaxProcs int
	// Disk caps, in bytes, what the run writes into its working,
	// submission and /tmp directories together (and any one file, through
	// RLIMIT_FSIZE); a run over it is killed (Result.DiskExceeded). 0
	// means the executor's default, negative means none.
	Disk int64
	// CPUs pins the run to these CPU ids; empty means no pinning.
	CPUs []int
	// GPUs are the GPU ids the run may use (CUDA_VISIBLE_DEVICES). Empty
	// means none are exposed by apptainer and bwrap; for the process
	// backend the allow-listed CUDA_VISIBLE_DEVICES, if any, passes through.
	GPUs []string
}

// Paths are directories as the code sees them.
type Paths struct {
	Data       string `json:"data"`
	Work       string `json:"work"`
	Submission string `json:"submission"`
	Script     string `json:"script"`
}

// Info describes a backend on this node.
type Info struct {
	// Backend is "apptainer", "bwrap" or "process".
	Backend string `json:"backend"`
	// Binary is the resolved sandbox binary ("" for process).
	Binary string `json:"binary,omitempty"`
	// Version is the binary's version line, when known.
	Version string `json:"version,omitempty"`
	// Network reports whether the code can reach the network.
	Network bool `json:"network"`
	// HidesFiles reports whether host files outside the mounts are hidden.
	HidesFiles bool `json:"hides_files"`
	// MaxProcs reports whether the process limit is enforced on this node.
	MaxProcs bool `json:"max_procs"`
	// Cgroup names the per-run cgroup controllers in use ("" for none).
	Cgroup string `json:"cgroup,omitempty"`
	// Warnings explain weaker isolation.
	Warnings []string `json:"warnings,omitempty"`
}

// Result is what one run did.
type Result struct {
	// Backend is the executor that ran the code.
	Backend string `json:"backend"`
	// ExitCode is the script's exit status, or -1 when a signal killed it.
	ExitCode int `json:"exit_code"`
	// Signal is the signal that killed the script, 0 if none.
	Signal syscall.Signal `json:"signal,omitempty"`
	// TimedOut is set when the wall timeout killed the run.
	TimedOut bool `json:"timed_out"`
	// OOM is set when the run ran out of memory: a MemoryError or similar
	// allocation failure, a SIGKILL under a memory limit that we did not
	// send, or a cgroup OOM kill.
	OOM bool `json:"oom"`
	// DiskExceeded is set when the run was killed for writing more than
	// Limits.Disk.
	DiskExceeded bool `json:"disk_exceeded,omitempty"`
	// Canceled is set when the caller's context ended the run.
	Canceled bool `json:"canceled,omitempty"`
	// Wall is the run's wall-clock duration.
	Wall time.Duration `json:"wall_ns"`
	// Stdout, Stderr and Output (both, interleaved as they arrived) keep the
	// head and tail of what was written; an elided middle is replaced by a
	// line such as "[... 1234 bytes elided ...]".
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Output string `json:"output"`
	// StdoutBytes and StderrBytes count everything written.
	StdoutBytes int64 `json:"stdout_bytes"`
	StderrBytes int64 `json:"stderr_bytes"`
	// Files are the files in the submission directory after the run.
	Files []File `json:"files"`
}

// File is one entry of the submission directory after a run.
type File struct {
	// Path is relative to the submission directory, slash-separated.
	Path string `json:"path"`
	Size int64  `json:"size"`
	// Symlink marks a symbolic link: the code may point it anywhere on the
	// host, so never follow it outside the sandbox.
	Symlink bool `json:"symlink,omitempty"`
}

// WallSeconds is Wall in seconds, as traces record it.
func (r *Result) WallSeconds() float64 { return r.Wall.Seconds() }

// OK reports whether the script exited 0 within its limits.
func (r *Result) OK() bool {
	return r.ExitCode == 0 && r.Signal == 0 && !r.TimedOut && !r.OOM && !r.Canceled && !r.DiskExceeded
}

// Status says in a few words how the run ended: "ok", "exit status 1",
// "killed: timeout after 5s", "killed: out of memory", "killed: signal
// killed", "canceled".
func (r *Result) Status() string {
	switch {
	case r.Canceled:
		return "canceled"
	case r.TimedOut:
		return fmt.Sprintf("killed: timeout after %s", r.Wall.Round(time.Second))
	case r.DiskExceeded:
		return "killed: disk limit exceeded (exec.disk)"
	case r.OOM:
		return "killed: out of memory"
	case r.Signal != 0:
		return "killed: signal " + r.Signal.String()
	case r.ExitCode != 0:
		return fmt.Sprintf("exit status %d", r.ExitCode)
	}
	return "ok"
}

// ErrUnavailable is wrapped when a backend cannot run on this node.
var ErrUnavailable = errors.New("sandbox: backend unavailable")

// ErrSecretEnv is wrapped when an allow-listed or added environment
// variable looks like a secret.
var ErrSecretEnv = errors.New("sandbox: environment variable looks like a secret")

// SpecError says which field of a Spec is wrong.
type SpecError struct {
	Field string
	Value string
	Err   error
}

func (e *SpecError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("sandbox spec: %s %q: %v", e.Field, e.Value, e.Err)
	}
	return fmt.Sprintf("sandbox spec: %s: %v", e.Field, e.Err)
}

func (e *SpecError) Unwrap() error { return e.Err }

// SetupError is a sandbox that failed before the code ran, with what the
// sandbox binary said.
type SetupError struct {
	Backend string
	Stderr  string
	Err     error
}

func (e *SetupError) Error() string {
	msg := fmt.Sprintf("%s sandbox setup: %v", e.Backend, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

func (e *SetupError) Unwrap() error { return e.Err }
