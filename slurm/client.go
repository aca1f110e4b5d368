package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/mlbench/mlbench/internal/ctxtime"
)

// Runner runs one Slurm command and returns what it printed. A non-zero
// exit is an error (an *exec.ExitError for the default runner).
type Runner func(ctx context.Context, name string, args ...string) (stdout, stderr []byte, err error)

// ExecRunner runs the command with os/exec.
func ExecRunner(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}

// CommandError is a Slurm command that failed: the command line, what it
// printed on stderr, and the underlying error.
type CommandError struct {
	Cmd    string
	Stderr string
	Err    error
}

func (e *CommandError) Error() string {
	msg := fmt.Sprintf("%s: %v", e.Cmd, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + tail(s, 600)
	}
	if errors.Is(e.Err, exec.ErrNotFound) {
		msg += " (Slurm's commands are not on PATH: run mlbench on a Slurm login node, or start a local cluster with scripts/slurm-local.sh up)"
	}
	return msg
}

func (e *CommandError) Unwrap() error { return e.Err }

// Transient reports whether the failure is one a retry may cure: the
// controller was busy or briefly unreachable.
func (e *CommandError) Transient() bool { return isTransient(e.Stderr) }

var transientMarks = []string{
	"Socket timed out",
	"Resource temporarily unavailable",
	"Unable to contact slurm controller",
	"temporarily unable to accept job",
	"Zero Bytes were transmitted or received",
	"Connection refused",
}

func isTransient(stderr string) bool {
	for _, m := range transientMarks {
		if strings.Contains(stderr, m) {
			return true
		}
	}
	return false
}

// Client calls sbatch, squeue, scancel and scontrol. Transient failures are
// retried with exponential backoff. The zero value is ready to use; a
// Client is safe for concurrent use.
type Client struct {
	// Run runs commands; nil means ExecRunner.
	Run Runner
	// Retries is how often a transient failure is retried (0: the default
	// of 4; negative: never).
	Retries int
	// Backoff is the first wait before a retry (default 1s); it doubles
	// each time, up to 30s.
	Backoff time.Duration
	// Sleep waits between retries; nil sleeps unless ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
}

func (c *Client) command(ctx context.Context, name string, args ...string) ([]byte, error) {
	run := c.Run
	if run == nil {
		run = ExecRunner
	}
	retries := c.Retries
	switch {
	case retries == 0:
		retries = 4
	case retries < 0:
		retries = 0
	}
	wait := c.Backoff
	if wait <= 0 {
		wait = time.Second
	}
	sleep := c.Sleep
	if sleep == nil {
		sleep = ctxtime.Sleep
	}
	for attempt := 0; ; attempt++ {
		out, errb, err := run(ctx, name, args...)
		if err == nil {
			return out, nil
		}
		cerr := &CommandError{Cmd: strings.Join(append([]string{name}, args...), " "), Stderr: string(errb), Err: err}
		if attempt >= retries || !cerr.Transient() || ctx.Err() != nil {
			return out, cerr
		}
		if serr := sleep(ctx, wait); serr != nil {
			return out, cerr
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// Submit submits an sbatch script and returns its job id.
func (c *Client) Submit(ctx context.Context, script string) (string, error) {
	out, err := c.command(ctx, "sbatch", "--parsable", script)
	if err != nil {
		return "", fmt.Errorf("submit array: %w", err)
	}
	return ParseJobID(out)
}

// ParseJobID reads sbatch --parsable output: "JOBID" or "JOBID;CLUSTER".
func ParseJobID(out []byte) (string, error) {
	s := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:] // sbatch may print warnings first
	}
	id, _, _ := strings.Cut(s, ";")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil || id == "" {
		return "", fmt.Errorf("sbatch printed %q, not a job id", strings.TrimSpace(string(out)))
	}
	return id, nil
}

// QueueFormat is the squeue --format the parser reads: array job id, array
// task ids (a range spec for pending elements), job id, state, reason.
const QueueFormat = "%F|%K|%A|%T|%r"

// Queue lists the queued, running and completing elements of the given
// array jobs with one squeue call. Jobs that left the queue are simply
// absent.
func (c *Client) Queue(ctx context.Context, jobIDs []string) ([]Element, error) {
	if len(jobIDs) == 0 {
		return nil, nil
	}
	out, err := c.command(ctx, "squeue", "--noheader", "--jobs="+strings.Join(jobIDs, ","), "--format="+QueueFormat)
	if err != nil {
		var ce *CommandError
		if errors.As(err, &ce) && strings.Contains(ce.Stderr, "Invalid job id specified") {
			return nil, nil // every job has left the queue
		}
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return ParseQueue(out)
}

// Cancel cancels whole array jobs; jobs that already ended are no error.
func (c *Client) Cancel(ctx context.Context, jobIDs ...string) error {
	if len(jobIDs) == 0 {
		return nil
	}
	if _, err := c.command(ctx, "scancel", jobIDs...); err != nil && !finishedJobError(err) {
		return fmt.Errorf("cancel jobs: %w", err)
	}
	return nil
}

// CancelName cancels every job of this user named name (what a lost
// submission reply may have left behind).
func (c *Client) CancelName(ctx context.Context, name string) error {
	if _, err := c.command(ctx, "scancel", "--name="+name); err != nil && !finishedJobError(err) {
		return fmt.Errorf("cancel jobs named %s: %w", name, err)
	}
	return nil
}

func finishedJobError(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && (strings.Contains(ce.Stderr, "Invalid job id specified") ||
		strings.Contains(ce.Stderr, "already completing or completed"))
}

// Requeue puts a running or finished batch job (or array element,
// "123_4") back into the queue.
func (c *Client) Requeue(ctx context.Context, jobID string) error {
	if _, err := c.command(ctx, "scontrol", "requeue", jobID); err != nil {
		return fmt.Errorf("requeue job %s: %w", jobID, err)
	}
	return nil
}

// Config returns `scontrol show config` as key/value pairs.
func (c *Client) Config(ctx context.Context) (map[string]string, error) {
	out, err := c.command(ctx, "scontrol", "show", "config")
	if err != nil {
		return nil, fmt.Errorf("read slurm config: %w", err)
	}
	return ParseConfig(out), nil
}

// ParseConfig reads `scontrol show config` output ("Key = Value" lines).
func ParseConfig(out []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		m[k] = strings.TrimSpace(v)
	}
	return m
}

// DefaultMaxArraySize is Slurm's default MaxArraySize.
const DefaultMaxArraySize = 1001

// MaxArraySize reads MaxArraySize from the controller's config.
func (c *Client) MaxArraySize(ctx context.Context) (int, error) {
	cfg, err := c.Config(ctx)
	if err != nil {
		return 0, err
	}
	v, ok := cfg["MaxArraySize"]
	if !ok {
		return DefaultMaxArraySize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("read slurm config: MaxArraySize is %q, not a positive number", v)
	}
	return n, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
