package sandbox_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness/sandbox"
)

// python is the interpreter the integration tests use: Debian's, which has
// numpy, pandas and scikit-learn.
const python = "/usr/bin/python3"

// testOptions are short limits that keep every integration test quick.
func testOptions() sandbox.Options {
	return sandbox.Options{
		Python:    python,
		Timeout:   5 * time.Second,
		Grace:     500 * time.Millisecond,
		MaxProcs:  256,
		EnvAllow:  []string{"PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES"},
		OutputMax: 4096,
		Warn:      io.Discard,
	}
}

func needPython(tb testing.TB) {
	tb.Helper()
	if _, err := os.Stat(python); err != nil {
		tb.Skipf("integration test needs %s: %v", python, err)
	}
}

// newBwrap returns a bwrap executor or skips when bubblewrap cannot run here.
func newBwrap(tb testing.TB, o sandbox.Options) *sandbox.Bwrap {
	tb.Helper()
	needPython(tb)
	b, err := sandbox.NewBwrap(o, "")
	if errors.Is(err, sandbox.ErrUnavailable) {
		tb.Skipf("bubblewrap is not usable here: %v", err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	return b
}

func newProcess(tb testing.TB, o sandbox.Options) *sandbox.Process {
	tb.Helper()
	needPython(tb)
	p, err := sandbox.NewProcess(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = p.Close() })
	return p
}

// task is an MLE-Bench-shaped task directory with public and private data,
// and a node's working and submission directories.
type task struct {
	public, private, answers string
	secret                   string // content of the private answers
	work, submission         string
}

func newTask(tb testing.TB) task {
	tb.Helper()
	root := tb.TempDir()
	t := task{
		public:     filepath.Join(root, "spaceship", "prepared", "public"),
		private:    filepath.Join(root, "spaceship", "prepared", "private"),
		work:       filepath.Join(root, "node", "work"),
		submission: filepath.Join(root, "node", "submission"),
		secret:     "SECRET-ANSWER-" + randomHex(tb),
	}
	for _, d := range []string{t.public, t.private, t.work, t.submission} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	t.answers = filepath.Join(t.private, "answers.csv")
	writeFile(tb, t.answers, "id,label\n1,"+t.secret+"\n")
	writeFile(tb, filepath.Join(t.public, "train.csv"), "id,x,label\n1,0.5,a\n2,0.7,b\n")
	return t
}

// spec runs code in the task with the private directory hidden.
func (t task) spec(code string, args ...string) sandbox.Spec {
	return sandbox.Spec{
		Code:          code,
		Args:          args,
		WorkDir:       t.work,
		SubmissionDir: t.submission,
		DataDir:       t.public,
		Hide:          []string{t.private},
	}
}

func writeFile(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func randomHex(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// run executes spec and fails the test on an infrastructure error.
func run(tb testing.TB, e sandbox.Executor, spec sandbox.Spec) *sandbox.Result {
	tb.Helper()
	res, err := e.Run(context.Background(), spec)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return res
}

// runOK runs spec and fails the test unless the run succeeded.
func runOK(tb testing.TB, e sandbox.Executor, spec sandbox.Spec) *sandbox.Result {
	tb.Helper()
	res := run(tb, e, spec)
	if !res.OK() {
		tb.Fatalf("status %s; output:\n%s", res.Status(), res.Output)
	}
	return res
}

// processesWith lists live processes whose command line contains marker.
func processesWith(marker string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(marker)) {
			out = append(out, pid)
		}
	}
	return out
}

// requireNoProcesses fails if a process carrying marker is still alive,
// and kills it so one failure does not leak into other tests.
func requireNoProcesses(tb testing.TB, marker string) {
	tb.Helper()
	if pids := processesWith(marker); len(pids) > 0 {
		for _, p := range pids {
			if proc, err := os.FindProcess(p); err == nil {
				_ = proc.Kill()
			}
		}
		tb.Fatalf("processes of the run survived it: %v", pids)
	}
}
