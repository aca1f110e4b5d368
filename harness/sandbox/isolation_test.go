package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness/sandbox"
)

// backends returns the executors an integration test runs on: bwrap (when
// usable) and process; isolating tests take only those that hide files
// and block the network.
func backends(t *testing.T, o sandbox.Options, isolating bool) map[string]sandbox.Executor {
	t.Helper()
	out := map[string]sandbox.Executor{}
	needPython(t)
	if b, err := sandbox.NewBwrap(o, ""); err == nil {
		t.Cleanup(func() { _ = b.Close() })
		out["bwrap"] = b
	} else if !errors.Is(err, sandbox.ErrUnavailable) {
		t.Fatal(err)
	} else {
		t.Logf("bwrap unavailable: %v", err)
	}
	if !isolating {
		out["process"] = newProcess(t, o)
	}
	if len(out) == 0 {
		t.Skip("bubblewrap is not usable here and the process backend cannot isolate")
	}
	return out
}

func TestPrivateAnswersAreHidden(t *testing.T) {
	const code = `
import os, sys
data = os.environ["MLBENCH_DATA_DIR"]
for p in [os.path.join(data, "..", "private", "answers.csv"), sys.argv[1], os.path.dirname(sys.argv[1])]:
    try:
        if os.path.isdir(p):
            print("LEAK dir", os.listdir(p))
        else:
            with open(p) as f:
                print("LEAK", f.read())
    except OSError as e:
        print("blocked", type(e).__name__)
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if os.path.join(root, d) not in ("/proc", "/sys", "/usr")]
    if "answers.csv" in files:
        print("LEAK found", root)
print("done")
`
	for name, e := range backends(t, testOptions(), true) {
		t.Run(name, func(t *testing.T) {
			task := newTask(t)
			res := runOK(t, e, task.spec(code, task.answers))
			if strings.Contains(res.Output, task.secret) || strings.Contains(res.Output, "LEAK") {
				t.Fatalf("private answers reached the code:\n%s", res.Output)
			}
			if got := strings.Count(res.Stdout, "blocked"); got != 3 || !strings.Contains(res.Stdout, "done") {
				t.Fatalf("want 3 blocked reads and done; stdout:\n%s", res.Stdout)
			}
		})
	}
}

func TestPrivateAnswersHiddenUnderExtraBind(t *testing.T) {
	const code = `
import os, sys
print(sorted(os.listdir(sys.argv[1])))
try:
    print("LEAK", open(sys.argv[2]).read())
except OSError as e:
    print("blocked", type(e).__name__)
print("public", sorted(os.listdir(sys.argv[3])))
`
	task := newTask(t)
	o := testOptions()
	o.Binds = []string{filepath.Dir(filepath.Dir(task.public))} // the whole task tree
	b := newBwrap(t, o)
	res := runOK(t, b, task.spec(code, task.private, task.answers, task.public))
	if strings.Contains(res.Output, task.secret) || strings.Contains(res.Output, "LEAK") || strings.Contains(res.Output, "answers.csv") {
		t.Fatalf("private answers reached the code:\n%s", res.Output)
	}
	if !strings.Contains(res.Stdout, "public ['train.csv']") {
		t.Fatalf("the rest of the bind should stay visible:\n%s", res.Stdout)
	}
}

func TestSpecRefusesDataOverlappingHidden(t *testing.T) {
	task := newTask(t)
	e := newProcess(t, testOptions())
	spec := task.spec("print(1)")
	link := filepath.Join(t.TempDir(), "data")
	if err := os.Symlink(filepath.Dir(task.public), link); err != nil {
		t.Fatal(err)
	}
	// prepared/, which holds private/, directly and through a link.
	for _, dir := range []string{filepath.Dir(task.public), link} {
		spec.DataDir = dir
		_, err := e.Run(context.Background(), spec)
		var se *sandbox.SpecError
		if !errors.As(err, &se) || se.Field != "DataDir" {
			t.Fatalf("DataDir %s: want a DataDir SpecError, got %v", dir, err)
		}
	}
}

func TestSecretsStayOutOfTheEnvironment(t *testing.T) {
	const code = `
import json, os
print(json.dumps(dict(os.environ)))
try:
    print("INIT", open("/proc/1/environ").read().replace("\0", " "))
except OSError:
    pass
`
	canary := "sk-canary-" + strconv.Itoa(os.Getpid())
	t.Setenv("OPENAI_API_KEY", canary)
	t.Setenv("MLBENCH_TEST_TOKEN", canary)
	t.Setenv("LANG", "C.UTF-8")
	allowed := []string{"PATH", "LANG", "LC_ALL", "HOME", "TMPDIR", "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
		sandbox.EnvDataDir, sandbox.EnvWorkDir, sandbox.EnvSubmissionDir, "PYTHONUNBUFFERED", "MPLBACKEND",
		"PWD"} // set by bwrap --chdir and by sh
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			task := newTask(t)
			res := runOK(t, e, task.spec(code))
			if strings.Contains(res.Output, canary) {
				t.Fatalf("a secret reached the code:\n%s", res.Output)
			}
			line, _, _ := strings.Cut(res.Stdout, "\n")
			var env map[string]string
			if err := json.Unmarshal([]byte(line), &env); err != nil {
				t.Fatalf("decode env: %v\n%s", err, res.Stdout)
			}
			for k := range env {
				if !slices.Contains(allowed, k) {
					t.Errorf("unexpected variable %s in the code's environment", k)
				}
			}
			if env["LANG"] != "C.UTF-8" || env[sandbox.EnvDataDir] != e.Paths(task.spec(code)).Data {
				t.Errorf("allow-listed and own variables missing: %v", env)
			}
		})
	}
}

func TestNetworkIsBlocked(t *testing.T) {
	const code = `
import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    s.sendall(b"LEAK")
    print("connected")
except OSError as e:
    print("blocked", type(e).__name__)
`
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	for name, e := range backends(t, testOptions(), true) {
		t.Run(name, func(t *testing.T) {
			res := run(t, e, newTask(t).spec(code, port))
			if !res.OK() || !strings.Contains(res.Stdout, "blocked") {
				t.Fatalf("status %s; want the connection refused; output:\n%s", res.Status(), res.Output)
			}
		})
	}
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Millisecond))
	if c, err := ln.Accept(); err == nil {
		c.Close()
		t.Fatal("the listener accepted a connection from the sandbox")
	}
}

func TestDataIsReadOnly(t *testing.T) {
	const code = `
import os
d = os.environ["MLBENCH_DATA_DIR"]
for what, f in [("append", lambda: open(os.path.join(d, "train.csv"), "a").write("LEAK\n")),
                ("create", lambda: open(os.path.join(d, "new.txt"), "w").write("LEAK")),
                ("remove", lambda: os.remove(os.path.join(d, "train.csv"))),
                ("chmod", lambda: os.chmod(os.path.join(d, "train.csv"), 0o777))]:
    try:
        f()
        print("wrote", what)
    except OSError as e:
        print("blocked", what, type(e).__name__)
print(open(os.path.join(d, "train.csv")).read().count("\n"), "rows")
`
	for name, e := range backends(t, testOptions(), true) {
		t.Run(name, func(t *testing.T) {
			task := newTask(t)
			before, _ := os.ReadFile(filepath.Join(task.public, "train.csv"))
			res := run(t, e, task.spec(code))
			if !res.OK() || strings.Count(res.Stdout, "blocked") != 4 || !strings.Contains(res.Stdout, "3 rows") {
				t.Fatalf("status %s; want 4 blocked writes; output:\n%s", res.Status(), res.Output)
			}
			after, err := os.ReadFile(filepath.Join(task.public, "train.csv"))
			if err != nil || string(after) != string(before) {
				t.Fatalf("data changed: %q -> %q (%v)", before, after, err)
			}
			if _, err := os.Stat(filepath.Join(task.public, "new.txt")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a file appeared in the data dir: %v", err)
			}
		})
	}
}

// spawnChildren starts sleepers carrying the marker: one plain, one in a new
// session, one double-forked (reparented away from the script).
const spawnChildren = `
import os, signal, subprocess, sys, time
marker = sys.argv[1]
sleeper = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)", marker]
subprocess.Popen(sleeper)
if os.environ.get("SESSIONS") != "no":
    subprocess.Popen(sleeper, start_new_session=True)
    if os.fork() == 0:
        subprocess.Popen(sleeper)
        os._exit(0)
time.sleep(0.3)
print("spawned", flush=True)
`

func TestOrphansDoNotOutliveTheRun(t *testing.T) {
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			marker := "mlbench-orphan-" + randomHex(t)
			spec := newTask(t).spec(spawnChildren+"print('parent exits')\n", marker)
			if name == "process" {
				// A new session escapes a process group; only a cgroup catches
				// it, and the process backend promises neither.
				spec.Env = map[string]string{"SESSIONS": "no"}
			}
			res := run(t, e, spec)
			if !res.OK() || !strings.Contains(res.Stdout, "parent exits") {
				t.Fatalf("status %s; output:\n%s", res.Status(), res.Output)
			}
			requireNoProcesses(t, marker)
		})
	}
}

func TestTimeoutKillsTheWholeTree(t *testing.T) {
	const loop = `
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass
`
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			marker := "mlbench-timeout-" + randomHex(t)
			spec := newTask(t).spec(spawnChildren+loop, marker)
			spec.Timeout = 2 * time.Second
			spec.Grace = 300 * time.Millisecond
			if name == "process" {
				spec.Env = map[string]string{"SESSIONS": "no"}
			}
			res := run(t, e, spec)
			if !res.TimedOut || res.OOM || res.OK() {
				t.Fatalf("want a timeout, got %s; output:\n%s", res.Status(), res.Output)
			}
			if !strings.HasPrefix(res.Status(), "killed: timeout") || !strings.Contains(res.Stdout, "spawned") {
				t.Fatalf("status %q, stdout %q", res.Status(), res.Stdout)
			}
			requireNoProcesses(t, marker)
		})
	}
}

func TestInfiniteLoopTimesOut(t *testing.T) {
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			spec := newTask(t).spec("print('looping', flush=True)\nwhile True:\n    pass\n")
			spec.Timeout = time.Second
			res := run(t, e, spec)
			if !res.TimedOut || res.Status() != "killed: timeout after 1s" || res.Stdout != "looping\n" {
				t.Fatalf("status %q, stdout %q", res.Status(), res.Stdout)
			}
		})
	}
}

func TestMemoryLimit(t *testing.T) {
	cases := []struct{ name, code string }{
		{"bytearray 8GiB", "x = bytearray(8 << 30)\nprint('LEAK allocated')\n"},
		{"numpy 8GiB", "import numpy as np\nx = np.ones((8 << 30) // 8)\nprint('LEAK allocated')\n"},
		{"gradual 8GiB", "chunks = []\nfor i in range(32):\n    chunks.append(bytearray(256 << 20))\nprint('LEAK allocated')\n"},
	}
	o := testOptions()
	o.Memory = 1 << 30
	// Zero-filling a gigabyte takes seconds on a loaded 2-core machine; the
	// verdict under test is out-of-memory, not speed.
	o.Timeout = 60 * time.Second
	for name, e := range backends(t, o, false) {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				res := run(t, e, newTask(t).spec(c.code))
				if !res.OOM || res.Status() != "killed: out of memory" || strings.Contains(res.Stdout, "LEAK") {
					t.Fatalf("want out of memory, got %s; output:\n%s", res.Status(), res.Output)
				}
			})
		}
	}
}

func TestForkBombIsContained(t *testing.T) {
	const code = `
import os, sys
while True:
    try:
        os.fork()
    except OSError:
        pass
`
	withProcessLimit(t, 64, func(t *testing.T, e sandbox.Executor) {
		marker := "mlbench-forkbomb-" + randomHex(t)
		spec := newTask(t).spec(code, marker)
		spec.Timeout = 2 * time.Second
		spec.Grace = 200 * time.Millisecond
		res := run(t, e, spec)
		if res.OK() {
			t.Fatalf("a fork bomb cannot succeed: %s", res.Status())
		}
		requireNoProcesses(t, marker)
	})
}

// withProcessLimit runs test on every backend that enforces a limit of
// maxProcs processes here, and skips the others.
func withProcessLimit(t *testing.T, maxProcs int, test func(t *testing.T, e sandbox.Executor)) {
	o := testOptions()
	o.MaxProcs = maxProcs
	for name, e := range backends(t, o, false) {
		t.Run(name, func(t *testing.T) {
			if !e.Info().MaxProcs {
				t.Skipf("%s cannot enforce a process limit here: %v", name, e.Info().Warnings)
			}
			test(t, e)
		})
	}
}

func TestProcessLimit(t *testing.T) {
	const code = `
import os, time
n = 0
try:
    for i in range(200):
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        n += 1
    print("unlimited", n)
except OSError as e:
    print("limited", n, type(e).__name__)
`
	withProcessLimit(t, 32, func(t *testing.T, e sandbox.Executor) {
		res := run(t, e, newTask(t).spec(code))
		var n int
		if _, err := fmt.Sscanf(res.Stdout, "limited %d BlockingIOError", &n); err != nil || n >= 32 || !res.OK() {
			t.Fatalf("want fork refused below 32 processes, got %s; output:\n%s", res.Status(), res.Output)
		}
		t.Logf("%d children forked before the limit", n)
	})
}

func TestExitStatus(t *testing.T) {
	cases := []struct {
		name, code string
		exit       int
		signal     syscall.Signal
		status     string
	}{
		{"ok", "print('hi')", 0, 0, "ok"},
		{"exit 3", "import sys\nprint('bad', file=sys.stderr)\nsys.exit(3)", 3, 0, "exit status 3"},
		{"exception", "raise ValueError('boom')", 1, 0, "exit status 1"},
		{"segfault", "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", -1, syscall.SIGSEGV, "killed: signal segmentation fault"},
	}
	for name, e := range backends(t, testOptions(), false) {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				res := run(t, e, newTask(t).spec(c.code))
				if res.ExitCode != c.exit || res.Signal != c.signal || res.Status() != c.status {
					t.Fatalf("got exit %d signal %v status %q; output:\n%s", res.ExitCode, res.Signal, res.Status(), res.Output)
				}
			})
		}
	}
}

func TestOutputIsBounded(t *testing.T) {
	const code = `
import sys
print("START")
for i in range(20000):
    print("line %06d of noise" % i)
print("boom", file=sys.stderr)
print("END")
`
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			res := runOK(t, e, newTask(t).spec(code))
			if res.StdoutBytes < 400000 || len(res.Stdout) > 4096+64 {
				t.Fatalf("stdout: %d bytes written, %d kept", res.StdoutBytes, len(res.Stdout))
			}
			if !strings.HasPrefix(res.Stdout, "START\n") || !strings.HasSuffix(res.Stdout, "END\n") || !strings.Contains(res.Stdout, "bytes elided ...]") {
				t.Fatalf("want head, elision marker and tail:\n%s", res.Stdout)
			}
			// The combined stream interleaves by arrival, so "boom" may fall
			// in its elided middle.
			if res.Stderr != "boom\n" || len(res.Output) > 4096+64 || !strings.Contains(res.Output, "END\n") {
				t.Fatalf("stderr %q, combined %d bytes", res.Stderr, len(res.Output))
			}
		})
	}
}

func TestSubmissionFiles(t *testing.T) {
	const code = `
import os
d = os.environ["MLBENCH_SUBMISSION_DIR"]
open(os.path.join(d, "submission.csv"), "w").write("id,label\n1,a\n")
os.makedirs(os.path.join(d, "extra"), exist_ok=True)
open(os.path.join(d, "extra", "notes.txt"), "w").write("x")
os.symlink("/etc/passwd", os.path.join(d, "link.csv"))
open("scratch.txt", "w").write("in the working dir")
`
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			task := newTask(t)
			res := runOK(t, e, task.spec(code))
			want := []sandbox.File{{Path: "extra/notes.txt", Size: 1}, {Path: "link.csv", Symlink: true}, {Path: "submission.csv", Size: 13}}
			if !slices.Equal(res.Files, want) {
				t.Fatalf("files %+v, want %+v", res.Files, want)
			}
			if _, err := os.Stat(filepath.Join(task.work, "scratch.txt")); err != nil {
				t.Fatalf("the working dir is not the code's current directory: %v", err)
			}
		})
	}
}

func TestCPUAndGPUAssignment(t *testing.T) {
	const code = `
import os
print(sorted(os.sched_getaffinity(0)), os.environ.get("OMP_NUM_THREADS"), os.environ.get("CUDA_VISIBLE_DEVICES"))
`
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			spec := newTask(t).spec(code)
			spec.Limits.CPUs = []int{0}
			spec.Limits.GPUs = []string{"1"}
			res := run(t, e, spec)
			if !res.OK() || res.Stdout != "[0] 1 1\n" {
				t.Fatalf("status %s, stdout %q; output:\n%s", res.Status(), res.Stdout, res.Output)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			res, err := e.Run(ctx, newTask(t).spec("import time\ntime.sleep(60)\n"))
			if !errors.Is(err, context.DeadlineExceeded) || res == nil || !res.Canceled || res.Status() != "canceled" {
				t.Fatalf("got %+v, %v", res, err)
			}
		})
	}
}

func TestSetupErrors(t *testing.T) {
	o := testOptions()
	o.Python = "no-such-python3"
	b := newBwrap(t, o)
	_, err := b.Run(context.Background(), newTask(t).spec("print(1)"))
	var se *sandbox.SetupError
	if !errors.As(err, &se) || !strings.Contains(se.Stderr, "no-such-python3") {
		t.Fatalf("want a SetupError naming the interpreter, got %v", err)
	}

	if _, err := b.Run(context.Background(), sandbox.Spec{Code: "print(1)"}); err == nil {
		t.Fatal("a spec without WorkDir must be refused")
	}
	task := newTask(t)
	spec := task.spec("print(1)")
	spec.Env = map[string]string{"HF_TOKEN": "x"}
	if _, err := b.Run(context.Background(), spec); !errors.Is(err, sandbox.ErrSecretEnv) {
		t.Fatalf("want ErrSecretEnv, got %v", err)
	}
}

func TestScriptOutsideWorkDir(t *testing.T) {
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			task := newTask(t)
			script := filepath.Join(t.TempDir(), "solution.py")
			writeFile(t, script, "import sys\nprint(sys.argv[1:])\n")
			spec := task.spec("", "a", "b")
			spec.Script = script
			res := run(t, e, spec)
			if !res.OK() || res.Stdout != "['a', 'b']\n" {
				t.Fatalf("status %s, stdout %q; output:\n%s", res.Status(), res.Stdout, res.Output)
			}
		})
	}
}

func TestConcurrentRuns(t *testing.T) {
	const code = `
import os, sys, time
time.sleep(0.2)
open(os.path.join(os.environ["MLBENCH_SUBMISSION_DIR"], "submission.csv"), "w").write(sys.argv[1])
print(sys.argv[1])
`
	for name, e := range backends(t, testOptions(), false) {
		t.Run(name, func(t *testing.T) {
			const n = 4
			tasks := make([]task, n)
			results := make([]*sandbox.Result, n)
			errs := make([]error, n)
			done := make(chan int)
			for i := range n {
				tasks[i] = newTask(t)
				go func() {
					results[i], errs[i] = e.Run(context.Background(), tasks[i].spec(code, strconv.Itoa(i)))
					done <- i
				}()
			}
			for range n {
				<-done
			}
			for i := range n {
				if errs[i] != nil || !results[i].OK() || results[i].Stdout != strconv.Itoa(i)+"\n" {
					t.Fatalf("run %d: %v %+v", i, errs[i], results[i])
				}
				b, err := os.ReadFile(filepath.Join(tasks[i].submission, "submission.csv"))
				if err != nil || string(b) != strconv.Itoa(i) {
					t.Fatalf("run %d wrote %q (%v)", i, b, err)
				}
			}
		})
	}
}
