package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Check outcomes.
const (
	CheckPass = "pass"
	CheckFail = "FAIL"
	CheckSkip = "skip"
)

// CheckResult is the outcome of one isolation self-test.
type CheckResult struct {
	Name   string `json:"name"`
	Status string `json:"status"` // CheckPass, CheckFail or CheckSkip
	Detail string `json:"detail"`
}

// CheckOptions tune Check.
type CheckOptions struct {
	// Dir is a scratch directory; "" means a temporary one, removed after.
	Dir string
	// Canary is a secret value the caller put in this process's
	// environment under a secret-looking name; Check fails "env clean" if
	// the code can see it. "" checks variable names only.
	Canary string
	// Timeout is the wall limit of the timeout and fork-bomb tests; 0 means
	// 2s.
	Timeout time.Duration
	// GPUs are the GPU ids the GPU checks expose (exec.gpus resolved);
	// none skips them.
	GPUs []string
}

// Check runs isolation self-tests on e and reports each: does code run,
// is the network blocked, are the private answers hidden, is the
// environment clean, is the data read-only, does a timeout kill children,
// are orphans reaped, does the memory limit work, is a fork bomb contained;
// then, with GPUs, are they visible inside (devices, nvidia-smi, torch).
// The error is for a scratch directory that cannot be made; a failing
// self-test is a result.
func Check(ctx context.Context, e Executor, o CheckOptions) ([]CheckResult, error) {
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "mlbench-check-")
		if err != nil {
			return nil, fmt.Errorf("create scratch dir: %w", err)
		}
		defer os.RemoveAll(d)
		dir = d
	}
	c := &checker{e: e, ctx: ctx, dir: dir, canary: o.Canary, limit: o.Timeout, gpus: o.GPUs}
	if c.limit <= 0 {
		c.limit = 2 * time.Second
	}
	if err := c.setup(); err != nil {
		return nil, err
	}
	for _, f := range []func() CheckResult{
		c.runs, c.network, c.hidden, c.env, c.readOnly, c.timeout, c.orphans, c.memory, c.forkBomb,
	} {
		if ctx.Err() != nil {
			break
		}
		c.out = append(c.out, f())
	}
	if ctx.Err() == nil {
		c.out = append(c.out, c.gpuChecks()...)
	}
	return c.out, ctx.Err()
}

type checker struct {
	e                        Executor
	ctx                      context.Context
	dir, canary              string
	limit                    time.Duration
	gpus                     []string
	public, private, answers string
	secret                   string
	out                      []CheckResult
	n                        int
}

func (c *checker) setup() error {
	c.public = filepath.Join(c.dir, "task", "prepared", "public")
	c.private = filepath.Join(c.dir, "task", "prepared", "private")
	c.answers = filepath.Join(c.private, "answers.csv")
	c.secret = "ANSWER-" + token()
	for _, d := range []string{c.public, c.private} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create check task: %w", err)
		}
	}
	if err := os.WriteFile(c.answers, []byte("id,label\n1,"+c.secret+"\n"), 0o644); err != nil {
		return fmt.Errorf("create check task: %w", err)
	}
	if err := os.WriteFile(filepath.Join(c.public, "train.csv"), []byte("id,label\n1,a\n"), 0o644); err != nil {
		return fmt.Errorf("create check task: %w", err)
	}
	return nil
}

// spec makes a fresh node directory for one self-test.
func (c *checker) spec(code string, args ...string) (Spec, error) {
	c.n++
	work := filepath.Join(c.dir, "node"+strconv.Itoa(c.n))
	if err := os.MkdirAll(work, 0o755); err != nil {
		return Spec{}, err
	}
	return Spec{Code: code, Args: args, WorkDir: work, DataDir: c.public, Hide: []string{c.private}, Timeout: 20 * time.Second, Grace: time.Second}, nil
}

// exec runs code and turns an infrastructure error into a failed check.
func (c *checker) exec(name string, edit func(*Spec), code string, args ...string) (*Result, *CheckResult) {
	spec, err := c.spec(code, args...)
	if err == nil {
		if edit != nil {
			edit(&spec)
		}
		var res *Result
		if res, err = c.e.Run(c.ctx, spec); err == nil {
			return res, nil
		}
	}
	return nil, &CheckResult{Name: name, Status: CheckFail, Detail: "could not run: " + err.Error()}
}

func verdict(name string, ok bool, pass, fail string) CheckResult {
	if ok {
		return CheckResult{Name: name, Status: CheckPass, Detail: pass}
	}
	return CheckResult{Name: name, Status: CheckFail, Detail: fail}
}

func (c *checker) runs() CheckResult {
	res, bad := c.exec("runs python", nil, "import sys\nprint(sys.version.split()[0])\n")
	if bad != nil {
		return *bad
	}
	return verdict("runs python", res.OK(), fmt.Sprintf("python %s, %s", strings.TrimSpace(res.Stdout), res.Wall.Round(time.Millisecond)),
		res.Status()+": "+lastLine(res.Output))
}

func (c *checker) network() CheckResult {
	const name = "network blocked"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return CheckResult{Name: name, Status: CheckSkip, Detail: "no loopback listener: " + err.Error()}
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	res, bad := c.exec(name, nil, `
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
    print("connected")
except OSError as e:
    print("blocked:", e)
`, port)
	if bad != nil {
		return *bad
	}
	return verdict(name, res.OK() && strings.HasPrefix(res.Stdout, "blocked"),
		"loopback listener of the host unreachable", "code reached a loopback listener of the host: "+lastLine(res.Output))
}

func (c *checker) hidden() CheckResult {
	const name = "answers hidden"
	res, bad := c.exec(name, nil, `
import os, sys
for p in [os.path.join(os.environ["MLBENCH_DATA_DIR"], "..", "private", "answers.csv"), sys.argv[1]]:
    try:
        print("read", open(p).read())
    except OSError as e:
        print("blocked:", type(e).__name__)
`, c.answers)
	if bad != nil {
		return *bad
	}
	return verdict(name, res.OK() && !strings.Contains(res.Output, c.secret) && strings.Count(res.Stdout, "blocked") == 2,
		"private/ next to the public data unreadable", "code read the private answers ("+c.answers+")")
}

func (c *checker) env() CheckResult {
	const name = "env clean"
	res, bad := c.exec(name, nil, "import os\nfor k, v in sorted(os.environ.items()):\n    print(k + '=' + v)\n")
	if bad != nil {
		return *bad
	}
	if !res.OK() {
		return CheckResult{Name: name, Status: CheckFail, Detail: res.Status()}
	}
	var names, secrets []string
	for _, line := range strings.Split(strings.TrimSpace(res.Stdout), "\n") {
		k, _, _ := strings.Cut(line, "=")
		names = append(names, k)
		if IsSecretName(k) {
			secrets = append(secrets, k)
		}
	}
	if c.canary != "" && strings.Contains(res.Output, c.canary) {
		secrets = append(secrets, "(canary value)")
	}
	return verdict(name, len(secrets) == 0, fmt.Sprintf("%d variables, none secret: %s", len(names), strings.Join(names, " ")),
		"secrets visible: "+strings.Join(secrets, " "))
}

func (c *checker) readOnly() CheckResult {
	const name = "data read-only"
	before, _ := os.ReadFile(filepath.Join(c.public, "train.csv"))
	res, bad := c.exec(name, nil, `
import os
d = os.environ["MLBENCH_DATA_DIR"]
for f in [lambda: open(os.path.join(d, "train.csv"), "a").write("x"), lambda: open(os.path.join(d, "new.txt"), "w").write("x")]:
    try:
        f()
        print("wrote")
    except OSError as e:
        print("blocked:", type(e).__name__)
`)
	if bad != nil {
		return *bad
	}
	after, _ := os.ReadFile(filepath.Join(c.public, "train.csv"))
	_, created := os.Stat(filepath.Join(c.public, "new.txt"))
	return verdict(name, res.OK() && bytes.Equal(before, after) && created != nil && !strings.Contains(res.Stdout, "wrote"),
		"writes into the data dir refused", "code changed the data dir")
}

// sleepers starts marker-carrying children that ignore SIGTERM: one plain,
// one in a new session, one reparented by a double fork.
const sleepers = `
import os, signal, subprocess, sys, time
s = [sys.executable, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(3600)", sys.argv[1]]
subprocess.Popen(s)
subprocess.Popen(s, start_new_session=True)
if os.fork() == 0:
    subprocess.Popen(s)
    os._exit(0)
time.sleep(0.5)
`

func (c *checker) timeout() CheckResult {
	const name = "timeout kills children"
	marker := "mlbench-check-" + token()
	res, bad := c.exec(name, func(s *Spec) { s.Timeout, s.Grace = c.limit, 300*time.Millisecond },
		sleepers+"signal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n", marker)
	if bad != nil {
		return *bad
	}
	left := reap(marker)
	return verdict(name, res.TimedOut && left == 0, fmt.Sprintf("killed after %s, no process left", res.Wall.Round(10*time.Millisecond)),
		fmt.Sprintf("%s; %d processes outlived the run (killed now)", res.Status(), left))
}

func (c *checker) orphans() CheckResult {
	const name = "orphans reaped"
	marker := "mlbench-check-" + token()
	res, bad := c.exec(name, func(s *Spec) { s.Timeout = 10 * time.Second }, sleepers+"print('parent exits')\n", marker)
	if bad != nil {
		return *bad
	}
	left := reap(marker)
	return verdict(name, res.OK() && left == 0, "children of an exited script killed with it",
		fmt.Sprintf("%s; %d processes outlived the run (killed now)", res.Status(), left))
}

func (c *checker) memory() CheckResult {
	const name = "memory limit works"
	res, bad := c.exec(name, func(s *Spec) { s.Limits.Memory = 512 << 20 }, "x = bytearray(8 << 30)\nprint('allocated')\n")
	if bad != nil {
		return *bad
	}
	return verdict(name, res.OOM && !strings.Contains(res.Stdout, "allocated"), "8 GiB under a 512 MiB limit: "+res.Status(),
		"8 GiB under a 512 MiB limit: "+res.Status())
}

func (c *checker) forkBomb() CheckResult {
	const name = "fork bomb contained"
	if !c.e.Info().MaxProcs {
		return CheckResult{Name: name, Status: CheckSkip, Detail: "process limit not enforceable here (root without a pids cgroup)"}
	}
	marker := "mlbench-check-" + token()
	res, bad := c.exec(name, func(s *Spec) { s.Limits.MaxProcs, s.Timeout, s.Grace = 64, c.limit, 200*time.Millisecond }, `
import os
while True:
    try:
        os.fork()
    except OSError:
        pass
`, marker)
	if bad != nil {
		return *bad
	}
	left := reap(marker)
	return verdict(name, !res.OK() && left == 0, "64-process limit held, all killed: "+res.Status(),
		fmt.Sprintf("%s; %d processes outlived the run (killed now)", res.Status(), left))
}

// reap kills and counts processes whose command line carries marker.
func reap(marker string) int {
	ents, _ := os.ReadDir("/proc")
	n := 0
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(marker)) {
			if p, err := os.FindProcess(pid); err == nil && p.Kill() == nil {
				n++
			}
		}
	}
	return n
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

func token() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
