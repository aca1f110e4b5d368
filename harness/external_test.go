package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/results"
)

// syncBuffer is a log that the validation server and the harness write
// from different goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// needBwrap skips (fails under CI) when bubblewrap cannot run here.
func needBwrap(t testing.TB) {
	t.Helper()
	needPython(t)
	b, err := sandbox.NewBwrap(sandbox.Options{Python: debianPython}, "")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs bubblewrap: %v", err)
		}
		t.Skipf("bubblewrap is not usable here: %v", err)
	}
	b.Close()
}

// externalConfig runs agent start under bwrap with a short time limit.
func externalConfig(t testing.TB, start string, sets ...string) []string {
	return append([]string{"agent.kind=external", "agent.external.start=" + start, "agent.external.time_limit=2m",
		"exec.sandbox=bwrap", "exec.kill_grace=1s"}, sets...)
}

// agentScript writes an executable start script and returns its path.
func agentScript(t testing.TB, body string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "start.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func runExternal(t *testing.T, id string, sets ...string) (*harness.Run, *harness.Outcome, string, error) {
	t.Helper()
	cfg := testConfig(t, sets...)
	run := planOne(t, cfg, id)
	log := &syncBuffer{}
	out, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Log: log})
	return run, out, log.String(), err
}

// The example agent solves a demo task in bwrap: graded valid, its
// validation calls in the item's log, its journal imported as node rows.
func TestExternalExampleAgent(t *testing.T) {
	needBwrap(t)
	run, out, log, err := runExternal(t, "demo-binary-auc", externalConfig(t, "example")...)
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log)
	}
	if out.Status.State != results.StateDone || out.Grade == nil || !out.Grade.ValidSubmission || out.Grade.Score == nil {
		t.Fatalf("status %+v grade %+v\nlog:\n%s", out.Status, out.Grade, log)
	}
	if !strings.Contains(log, "validation call 1: valid") {
		t.Errorf("no validation call in the item's log:\n%s", log)
	}
	dir := run.ItemDir(0)
	if n, valid, _ := harness.ReadValidationCalls(dir); n < 1 || !valid {
		t.Errorf("validation calls recorded: %d, last valid %v", n, valid)
	}
	rows, err := results.NewReader(nil).Nodes(context.Background(), dir)
	if err != nil || len(rows) != 3 {
		t.Fatalf("imported nodes: %v, %d rows", err, len(rows))
	}
	if rows[0].Stage != "draft" || rows[2].Stage != "improve" || rows[2].ParentID == "" || rows[0].Metric == nil || rows[0].Plan == "" || rows[0].LowerIsBetter {
		t.Errorf("imported rows: %+v", rows)
	}
	if _, err := os.Stat(filepath.Join(results.NodeDir(dir, rows[1].NodeID), results.CodeFile)); err != nil {
		t.Errorf("node code not kept: %v", err)
	}
	for _, f := range []string{"agent/logs/agent.log", "agent/logs/journal.json", "agent/logs/agent_output.log", "agent/code/solution.py", "agent/instructions.txt", "agent/state.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	st, ok := harness.ReadExternalState(dir)
	if !ok || st.Outcome != "exited with status 0" || st.Sandbox != "bwrap" {
		t.Errorf("state: %+v", st)
	}
	r, err := results.Collect(context.Background(), run.Dir, results.CollectOptions{})
	if err != nil || len(r.Rows) != 1 || !r.Rows[0].ValidSubmission || r.Rows[0].Nodes != 3 {
		t.Errorf("collected: %v %+v", err, r.Rows)
	}
}

// loopbackServer answers every request with its name.
func loopbackServer(t *testing.T, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, name) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// probe is the agent that tests the sandbox from the inside.
const probe = `import json, os, shutil, socket, sys, urllib.request
allowed, forbidden, private = sys.argv[1], sys.argv[2], sys.argv[3]
out = {}
def get(url, proxy):
    h = urllib.request.ProxyHandler({"http": os.environ["HTTP_PROXY"]} if proxy else {})
    try:
        return urllib.request.build_opener(h).open(url, timeout=5).read().decode()
    except Exception as e:
        return "error: %s" % e
def connect(addr):
    host, port = addr.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
        return "connected"
    except Exception as e:
        return "error: %s" % e
out["allowed_via_proxy"] = get("http://%s/" % allowed, True)
out["forbidden_via_proxy"] = get("http://%s/" % forbidden, True)
out["allowed_direct"] = connect(allowed)
out["forbidden_direct"] = connect(forbidden)
out["outside"] = connect("1.1.1.1:53")
try:
    open(private).read()
    out["private"] = "read"
except Exception as e:
    out["private"] = "error: %s" % e
out["validate_health"] = get("http://localhost:5000/health", False)
out["env"] = {k: os.environ.get(k) for k in ["COMPETITION_ID", "SUBMISSION_DIR", "LOGS_DIR", "CODE_DIR", "AGENT_DIR", "TIME_LIMIT_SECS", "STEP_LIMIT", "HARDWARE", "MY_SECRET_KEY", "PLAIN"]}
out["instructions"] = os.path.exists("/home/instructions.txt") and "localhost:5000/validate" in open("/home/instructions.txt").read()
shutil.copy("/home/data/sample_submission.csv", "/home/submission/submission.csv")
json.dump(out, open("/home/logs/probe.json", "w"))
`

// An external agent reaches the validation server and the allow-listed
// endpoint, nothing else, cannot read the private answers, and gets its
// secret from the host's environment only.
func TestExternalNetworkAllowList(t *testing.T) {
	needBwrap(t)
	allowed, forbidden := loopbackServer(t, "allowed"), loopbackServer(t, "forbidden")
	t.Setenv("MLBENCH_TEST_AGENT_SECRET", "s3cret")
	cfg := testConfig(t)
	tk := demoTask(t, cfg, "demo-binary-auc")
	start := agentScript(t, fmt.Sprintf("cd /home/agent && exec %s probe.py \"$@\"\n", debianPython))
	if err := os.WriteFile(filepath.Join(filepath.Dir(start), "probe.py"), []byte(probe), 0o644); err != nil {
		t.Fatal(err)
	}
	run, out, log, err := runExternal(t, "demo-binary-auc", externalConfig(t, start,
		"agent.external.allow=http://"+allowed, "agent.external.args=["+allowed+", "+forbidden+", "+filepath.Join(tk.PrivateDir, "test.csv")+"]", "agent.external.env={MY_SECRET_KEY_env: MLBENCH_TEST_AGENT_SECRET, PLAIN: plain}", "agent.external.step_limit=7")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if out.Status.State != results.StateDone || !out.Grade.ValidSubmission {
		t.Errorf("state %+v grade %+v", out.Status, out.Grade)
	}
	b, err := os.ReadFile(filepath.Join(run.ItemDir(0), "agent/logs/probe.json"))
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	var p struct {
		AllowedViaProxy   string            `json:"allowed_via_proxy"`
		ForbiddenViaProxy string            `json:"forbidden_via_proxy"`
		AllowedDirect     string            `json:"allowed_direct"`
		ForbiddenDirect   string            `json:"forbidden_direct"`
		Outside           string            `json:"outside"`
		Private           string            `json:"private"`
		ValidateHealth    string            `json:"validate_health"`
		Env               map[string]string `json:"env"`
		Instructions      bool              `json:"instructions"`
	}
	json.Unmarshal(b, &p)
	check := func(what, got, want string) {
		if !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", what, got, want)
		}
	}
	check("allowed endpoint through the proxy", p.AllowedViaProxy, "allowed")
	check("forbidden endpoint through the proxy", p.ForbiddenViaProxy, "403")
	check("allowed endpoint directly", p.AllowedDirect, "error")
	check("forbidden endpoint directly", p.ForbiddenDirect, "error")
	check("the internet", p.Outside, "error")
	check("private answers", p.Private, "error")
	check("validation server", p.ValidateHealth, "running")
	if p.Env["COMPETITION_ID"] != "demo-binary-auc" || p.Env["SUBMISSION_DIR"] != "/home/submission" || p.Env["STEP_LIMIT"] != "7" ||
		p.Env["TIME_LIMIT_SECS"] != "120" || p.Env["MY_SECRET_KEY"] != "s3cret" || p.Env["PLAIN"] != "plain" || p.Env["HARDWARE"] == "" || !p.Instructions {
		t.Errorf("contract inside the sandbox: %+v", p)
	}
	check("refusal in the item's log", log, "egress refused: GET "+forbidden)
	cfgText, _ := os.ReadFile(filepath.Join(run.Dir, "config.yaml"))
	if bytes.Contains(cfgText, []byte("s3cret")) {
		t.Error("the secret was written to the run's config.yaml")
	}
}

// At its time limit the agent gets SIGTERM then SIGKILL, and its last
// submission is graded.
func TestExternalTimeLimit(t *testing.T) {
	needBwrap(t)
	start := agentScript(t, "cp /home/data/sample_submission.csv /home/submission/submission.csv\ntrap '' TERM\nwhile :; do sleep 1; done\n")
	began := time.Now()
	run, out, log, err := runExternal(t, "demo-binary-auc", externalConfig(t, start, "agent.external.time_limit=2s")...)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	if out.Status.State != results.StateDone || out.Grade == nil || !out.Grade.ValidSubmission {
		t.Errorf("state %+v grade %+v", out.Status, out.Grade)
	}
	if d := time.Since(began); d > time.Minute {
		t.Errorf("the time limit did not stop the agent: %s", d)
	}
	st, _ := harness.ReadExternalState(run.ItemDir(0))
	if !strings.Contains(st.Outcome, "time limit") || !strings.Contains(log, "grading its last submission") {
		t.Errorf("outcome %q\n%s", st.Outcome, log)
	}
}

// Broken agents fail their item with a clear reason and leave nothing
// running.
func TestExternalBadAgents(t *testing.T) {
	needBwrap(t)
	missing := filepath.Join(t.TempDir(), "start.sh")
	notExec := agentScript(t, "exit 0\n")
	os.Chmod(notExec, 0o644)
	marker := fmt.Sprintf("mlbench-daemon-%d", time.Now().UnixNano())
	cases := []struct {
		name, start string
		sets        []string
		state       string
		reason      string
	}{
		{"missing", missing, nil, results.StateFailed, "no such file"},
		{"not executable", notExec, nil, results.StateFailed, "not executable"},
		{"exits non-zero", agentScript(t, "echo broken agent >&2\nexit 3\n"), nil, results.StateFailed, "exited with status 3"},
		{"no submission", agentScript(t, "exit 0\n"), nil, results.StateFailed, "without writing /home/submission/submission.csv"},
		{"huge submission", agentScript(t, "head -c 3000000 /dev/zero > /home/submission/submission.csv\n"), []string{"agent.external.max_submission=1M"}, results.StateFailed, "over agent.external.max_submission"},
		{"daemon", agentScript(t, "cp /home/data/sample_submission.csv /home/submission/submission.csv\nsetsid sh -c 'exec -a "+marker+" sleep 300' </dev/null >/dev/null 2>&1 &\nexit 0\n"), nil, results.StateDone, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, out, log, err := runExternal(t, "demo-binary-auc", externalConfig(t, c.start, c.sets...)...)
			if out == nil {
				t.Fatalf("no outcome: %v", err)
			}
			if out.Status.State != c.state || !strings.Contains(out.Status.Error, c.reason) {
				t.Errorf("state %s error %q (err %v), want %s with %q\n%s", out.Status.State, out.Status.Error, err, c.state, c.reason, log)
			}
			if c.state == results.StateFailed && (err == nil || !strings.Contains(err.Error(), c.reason)) {
				t.Errorf("RunItem error %v", err)
			}
		})
	}
	if b, _ := exec.Command("pgrep", "-f", marker).Output(); len(bytes.TrimSpace(b)) > 0 {
		t.Errorf("the agent's daemon is still running: pids %s", b)
	}
}

// A second attempt (a requeue, a resume) starts the agent from scratch:
// fresh /home/agent, /home/logs and /home/submission, /home/code kept, and
// the item's state says so.
func TestExternalRestartsFromScratch(t *testing.T) {
	needBwrap(t)
	start := agentScript(t, `n=$(ls /home/code | wc -l); touch /home/code/attempt-$n; echo "saw $n files in /home/code"
test -e /home/submission/submission.csv && echo "stale submission" && exit 9
cp /home/data/sample_submission.csv /home/submission/submission.csv
`)
	cfg := testConfig(t, externalConfig(t, start)...)
	run := planOne(t, cfg, "demo-binary-auc")
	for attempt := 1; attempt <= 2; attempt++ {
		log := &syncBuffer{}
		out, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Log: log})
		if err != nil || out.Status.State != results.StateDone {
			t.Fatalf("attempt %d: %v %+v\n%s", attempt, err, out, log)
		}
		if attempt == 1 {
			// As if the item had been requeued before it was done.
			st, _ := results.ReadItemStatus(run.ItemDir(0))
			st.State = results.StateCancelled
			if err := results.WriteJSON(filepath.Join(run.ItemDir(0), results.StatusFile), st); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := run.ItemDir(0)
	st, _ := harness.ReadExternalState(dir)
	if st.Attempt != 2 || !strings.Contains(st.Restart, "from scratch") || !strings.Contains(st.Restart, "(1 files)") {
		t.Errorf("state after the second attempt: %+v", st)
	}
	if out := harness.ExternalOutputTail(dir, 100); !strings.Contains(out, "saw 1 files") {
		t.Errorf("second attempt's output: %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "agent", "logs.attempt-1", "agent_output.log")); err != nil {
		t.Errorf("first attempt's logs not kept: %v", err)
	}
}
