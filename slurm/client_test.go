package slurm_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/slurm"
)

// fakeSlurm answers commands from a script of replies and records calls.
type fakeSlurm struct {
	mu      sync.Mutex
	calls   []string
	replies []reply
}

type reply struct {
	stdout, stderr string
	err            error
}

func (f *fakeSlurm) run(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.Join(append([]string{name}, args...), " "))
	if len(f.replies) == 0 {
		return nil, []byte("fake: no reply left"), errors.New("exit status 99")
	}
	r := f.replies[0]
	f.replies = f.replies[1:]
	return []byte(r.stdout), []byte(r.stderr), r.err
}

func newClient(f *fakeSlurm, waits *[]time.Duration) *slurm.Client {
	return &slurm.Client{Run: f.run, Sleep: func(_ context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return nil
	}}
}

var exit1 = errors.New("exit status 1")

func TestClientRetriesTransientFailures(t *testing.T) {
	f := &fakeSlurm{replies: []reply{
		{stderr: "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation", err: exit1},
		{stderr: "sbatch: error: Batch job submission failed: Resource temporarily unavailable", err: exit1},
		{stdout: "4242\n"},
	}}
	var waits []time.Duration
	id, err := newClient(f, &waits).Submit(context.Background(), "/runs/r/slurm/array.sbatch")
	if err != nil || id != "4242" {
		t.Fatalf("got %q, %v", id, err)
	}
	if len(f.calls) != 3 || f.calls[0] != "sbatch --parsable /runs/r/slurm/array.sbatch" {
		t.Errorf("calls %q", f.calls)
	}
	if fmt.Sprint(waits) != "[1s 2s]" {
		t.Errorf("waits %v, want doubling backoff [1s 2s]", waits)
	}
}

func TestClientGivesUpAfterRetries(t *testing.T) {
	var rs []reply
	for range 10 {
		rs = append(rs, reply{stderr: "squeue: error: Unable to contact slurm controller (connect failure)", err: exit1})
	}
	f := &fakeSlurm{replies: rs}
	var waits []time.Duration
	c := newClient(f, &waits)
	c.Retries = 3
	_, err := c.Queue(context.Background(), []string{"1"})
	var ce *slurm.CommandError
	if !errors.As(err, &ce) || !ce.Transient() || !strings.Contains(ce.Stderr, "Unable to contact") {
		t.Fatalf("want a transient *CommandError, got %v", err)
	}
	if len(f.calls) != 4 {
		t.Errorf("%d calls, want 1 + 3 retries", len(f.calls))
	}
}

func TestClientPermanentErrorCarriesStderr(t *testing.T) {
	f := &fakeSlurm{replies: []reply{{stderr: "sbatch: error: invalid partition specified: gpu\nsbatch: error: Batch job submission failed: Invalid partition name specified", err: exit1}}}
	var waits []time.Duration
	_, err := newClient(f, &waits).Submit(context.Background(), "/x.sbatch")
	var ce *slurm.CommandError
	if !errors.As(err, &ce) {
		t.Fatalf("want *CommandError, got %v", err)
	}
	if len(f.calls) != 1 || len(waits) != 0 {
		t.Errorf("retried a permanent error: %q", f.calls)
	}
	for _, want := range []string{"sbatch --parsable /x.sbatch", "exit status 1", "Invalid partition name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if !errors.Is(err, exit1) {
		t.Error("CommandError does not unwrap to the exit error")
	}
}

func TestClientMissingCommand(t *testing.T) {
	c := &slurm.Client{Run: func(context.Context, string, ...string) ([]byte, []byte, error) {
		return nil, nil, &exec.Error{Name: "sbatch", Err: exec.ErrNotFound}
	}}
	_, err := c.Submit(context.Background(), "/x")
	if !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), "slurm-local.sh") {
		t.Errorf("want a not-found error with advice, got %v", err)
	}
}

func TestClientStopsRetryingWhenCancelled(t *testing.T) {
	f := &fakeSlurm{replies: []reply{{stderr: "Socket timed out", err: exit1}, {stdout: "1"}}}
	ctx, cancel := context.WithCancel(context.Background())
	c := &slurm.Client{Run: f.run, Sleep: func(context.Context, time.Duration) error { cancel(); return context.Canceled }}
	if _, err := c.Submit(ctx, "/x"); err == nil {
		t.Fatal("want an error")
	}
	if len(f.calls) != 1 {
		t.Errorf("calls %q", f.calls)
	}
}

func TestClientQueue(t *testing.T) {
	f := &fakeSlurm{replies: []reply{
		{stdout: "9|2-3|9|PENDING|Resources\n9|0|11|RUNNING|None\n"},
		{stderr: "slurm_load_jobs error: Invalid job id specified", err: exit1},
	}}
	var waits []time.Duration
	c := newClient(f, &waits)
	els, err := c.Queue(context.Background(), []string{"9", "12"})
	if err != nil || len(els) != 2 {
		t.Fatalf("got %v, %v", els, err)
	}
	if want := "squeue --noheader --jobs=9,12 --format=" + slurm.QueueFormat; f.calls[0] != want {
		t.Errorf("call %q, want %q", f.calls[0], want)
	}
	els, err = c.Queue(context.Background(), []string{"9"})
	if err != nil || len(els) != 0 {
		t.Errorf("jobs gone from the queue: got %v, %v; want none, nil", els, err)
	}
	if els, err := c.Queue(context.Background(), nil); err != nil || els != nil || len(f.calls) != 2 {
		t.Errorf("no jobs: got %v, %v after %d calls", els, err, len(f.calls))
	}
}

func TestClientCancelIsIdempotent(t *testing.T) {
	f := &fakeSlurm{replies: []reply{
		{},
		{stderr: "scancel: error: Kill job error on job id 9: Job/step already completing or completed", err: exit1},
		{stderr: "scancel: error: Kill job error on job id 9: Access/permission denied", err: exit1},
	}}
	var waits []time.Duration
	c := newClient(f, &waits)
	for i, wantErr := range []bool{false, false, true} {
		err := c.Cancel(context.Background(), "9", "12")
		if (err != nil) != wantErr {
			t.Errorf("call %d: err %v, want error %v", i, err, wantErr)
		}
	}
	if f.calls[0] != "scancel 9 12" {
		t.Errorf("call %q", f.calls[0])
	}
}

func TestClientMaxArraySize(t *testing.T) {
	cfg := "Configuration data as of 2026-11-25T18:27:50\nAccountingStorageType   = accounting_storage/none\nMaxArraySize            = 10001\nAuthInfo                = cred_expire=20\n\nSlurmctld(primary) at vm is UP\n"
	f := &fakeSlurm{replies: []reply{{stdout: cfg}, {stdout: "MaxArraySize = none\n"}, {stdout: "ClusterName = x\n"}}}
	var waits []time.Duration
	c := newClient(f, &waits)
	if n, err := c.MaxArraySize(context.Background()); err != nil || n != 10001 {
		t.Errorf("got %d, %v", n, err)
	}
	if _, err := c.MaxArraySize(context.Background()); err == nil {
		t.Error("want an error for a non-number")
	}
	if n, err := c.MaxArraySize(context.Background()); err != nil || n != slurm.DefaultMaxArraySize {
		t.Errorf("absent: got %d, %v", n, err)
	}
	if got := slurm.ParseConfig([]byte(cfg))["AuthInfo"]; got != "cred_expire=20" {
		t.Errorf("AuthInfo %q", got)
	}
}

func TestParseJobID(t *testing.T) {
	cases := map[string]string{"123\n": "123", "123;cluster\n": "123", "sbatch: warning: x\n77\n": "77"}
	for in, want := range cases {
		if got, err := slurm.ParseJobID([]byte(in)); err != nil || got != want {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "Submitted batch job 12\n", "x;y"} {
		if _, err := slurm.ParseJobID([]byte(in)); err == nil {
			t.Errorf("%q: want an error", in)
		}
	}
}
