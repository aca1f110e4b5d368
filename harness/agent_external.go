package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	shipped "github.com/mlbench/mlbench/harness/agents"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/internal/atomicfile"
	"github.com/mlbench/mlbench/results"
)

func init() { RegisterAgent("external", newExternalAgent) }

// externalDir is the item subdirectory of an external agent.
const externalDir = "agent"

// ExternalState is items/<i>/agent/state.json: what `mlbench status`
// shows about an external agent while it runs and after.
type ExternalState struct {
	Attempt   int       `json:"attempt"`
	StartedAt time.Time `json:"started_at"`
	// FinishedAt is zero while the agent runs.
	FinishedAt time.Time `json:"finished_at,omitempty"`
	// Restart says how this attempt began after an earlier one: "" for the
	// first, else that the agent restarted from scratch, with what of
	// /home/code it kept.
	Restart string `json:"restart,omitempty"`
	// Outcome is how the agent ended, e.g. "exit status 0" or "killed at
	// the time limit (2h0m0s)".
	Outcome string `json:"outcome,omitempty"`
	Sandbox string `json:"sandbox"`
}

// ReadExternalState reads an item's agent/state.json (ok false if none:
// not an external agent's item, or not started).
func ReadExternalState(itemDir string) (ExternalState, bool) {
	var s ExternalState
	err := readJSON(filepath.Join(itemDir, externalDir, "state.json"), &s)
	return s, err == nil && s.Attempt > 0
}

// ExternalOutputTail returns the last n bytes of what the external agent
// of an item printed ("" if none).
func ExternalOutputTail(itemDir string, n int64) string {
	tail, _ := results.TailFile(filepath.Join(itemDir, externalDir, "logs", outputLog), n)
	return tail
}

// outputLog is the file in /home/logs that receives the agent's stdout and
// stderr.
const outputLog = "agent_output.log"

// externalAgent runs any agent that follows MLE-Bench's agent contract:
// its start script in the item's sandbox, with /home/data, /home/submission,
// /home/logs, /home/code, /home/agent, /home/instructions.txt and
// /home/validate_submission.sh, the contract's environment, its own
// validation server at localhost:5000 and, for the network, only a proxy
// to the allow-listed LLM endpoints. Its last submission is graded like
// ours; its journal, if it leaves one, becomes node rows.
type externalAgent struct {
	newSandbox func(cfg configs.Exec, warn io.Writer) (sandbox.Executor, error)
}

var _ Agent = (*externalAgent)(nil)

func newExternalAgent(_ *configs.Config, opts ItemOptions) (Agent, error) {
	a := &externalAgent{newSandbox: opts.Sandbox}
	if a.newSandbox == nil {
		a.newSandbox = sandbox.New
	}
	return a, nil
}

// externalLayout are the host paths of an external agent's item.
type externalLayout struct {
	root, home, logs, code, submission string
}

func layoutOf(itemDir string) externalLayout {
	root := filepath.Join(itemDir, externalDir)
	return externalLayout{
		root: root, home: filepath.Join(root, "home"), logs: filepath.Join(root, "logs"),
		code: filepath.Join(root, "code"), submission: filepath.Join(root, "submission"),
	}
}

// Solve runs the agent once, from scratch (keeping /home/code of an
// earlier attempt), to its exit or its time limit.
func (a *externalAgent) Solve(ctx context.Context, env AgentEnv) (AgentResult, error) {
	cfg, ext := env.Config, env.Config.Agent.External
	l := layoutOf(env.ItemDir)
	st, err := a.prepare(env, l)
	if err != nil {
		return AgentResult{}, err
	}
	sb, err := a.sandbox(env)
	if err != nil {
		return AgentResult{}, err
	}
	defer sb.Close()
	inside := sb.Info().Backend != "process"
	st.Sandbox = sb.Info().Backend

	// The two ways out of the sandbox, on Unix sockets in a short private
	// directory (socket paths are limited to ~100 bytes).
	sockDir, err := os.MkdirTemp("", "mlbench-agent-")
	if err != nil {
		return AgentResult{}, fmt.Errorf("external agent: %w", err)
	}
	defer os.RemoveAll(sockDir)
	maxSub, _ := configs.ParseBytes(cmpStr(ext.MaxSubmission, "1G"))
	val, err := startValidation(filepath.Join(sockDir, "v.sock"), sockDir, filepath.Join(l.root, ValidationLog), env.Task, maxSub, env.Index, env.Log)
	if err != nil {
		return AgentResult{}, err
	}
	defer val.Close()
	var allow []string
	for _, e := range ext.Allow {
		hp, _ := configs.AllowedHostPort(e)
		allow = append(allow, hp)
	}
	valAddrs, proxyAddr := []string{validationListen, validationListen6}, proxyListen
	validateURL := "http://localhost:5000/validate"
	if !inside {
		// The host's loopback is shared by every item: free ports instead.
		p1, p2, err := freePorts()
		if err != nil {
			return AgentResult{}, err
		}
		valAddrs, proxyAddr = []string{"127.0.0.1:" + p1}, "127.0.0.1:"+p2
		validateURL = "http://127.0.0.1:" + p1 + "/validate"
		fmt.Fprintf(env.Log, "item %d: process backend: the agent can reach the network and read every file; validation at %s\n", env.Index, validateURL)
	}
	// An agent that sends its validation through the proxy reaches it too.
	local := map[string]string{}
	for _, a := range append(valAddrs, "localhost:"+portOf(valAddrs[0])) {
		local[a] = filepath.Join(sockDir, "v.sock")
	}
	proxy, err := startEgress(filepath.Join(sockDir, "p.sock"), allow, local, env.Index, env.Log)
	if err != nil {
		return AgentResult{}, err
	}
	defer proxy.Close()
	c := contractFor(l, env.Task, cfg, inside, validateURL, "http://"+proxyAddr)
	if err := writeContractFiles(l.root, c); err != nil {
		return AgentResult{}, err
	}
	spec, err := a.spec(env, l, c, sb, valAddrs, proxyAddr, sockDir)
	if err != nil {
		return AgentResult{}, err
	}
	fmt.Fprintf(env.Log, "item %d: %s seed %d, external agent %s, sandbox %s, time limit %s%s\n",
		env.Index, env.Task.ID, env.Seed, ext.Start, st.Sandbox, ext.TimeLimit, restartNote(st))
	if err := writeState(l, st); err != nil {
		return AgentResult{}, err
	}

	res, runErr := sb.Run(ctx, spec)
	st.FinishedAt = time.Now().UTC()
	if res != nil {
		st.Outcome = outcome(res, ext.TimeLimit)
	} else if runErr != nil {
		st.Outcome = "did not start: " + runErr.Error()
	}
	_ = writeState(l, st)
	calls, _ := val.Calls()
	if res != nil {
		fmt.Fprintf(env.Log, "item %d: external agent ended: %s after %s, %d validation calls\n", env.Index, st.Outcome, res.Wall.Round(time.Millisecond), calls)
	}
	if runErr != nil {
		if ctx.Err() != nil {
			return AgentResult{}, ErrCancelled
		}
		return AgentResult{}, fmt.Errorf("external agent: %w", runErr)
	}
	out := AgentResult{Stop: st.Outcome}
	if err := a.importJournal(ctx, env, l, &out); err != nil {
		fmt.Fprintf(env.Log, "item %d: journal not imported: %v\n", env.Index, err)
	}
	sub, err := a.collect(env, l, c, res, maxSub)
	if err != nil {
		return out, err
	}
	out.Submission = sub
	return out, nil
}

// prepare checks the start script, lays out the item's agent directory
// (fresh /home/agent, /home/logs and /home/submission; /home/code kept)
// and says how this attempt relates to an earlier one.
func (a *externalAgent) prepare(env AgentEnv, l externalLayout) (ExternalState, error) {
	ext := env.Config.Agent.External
	if ext.Image == "" && !isShipped(ext.Start) {
		if err := checkStart(ext.Start); err != nil {
			return ExternalState{}, err
		}
	}
	prev, had := ReadExternalState(env.ItemDir)
	st := ExternalState{Attempt: 1, StartedAt: time.Now().UTC()}
	if had {
		st.Attempt = prev.Attempt + 1
		st.Restart = fmt.Sprintf("restarted from scratch after attempt %d; /home/code kept (%d files)", prev.Attempt, countFiles(l.code))
		// Keep the earlier attempt's logs for a post-mortem.
		_ = os.RemoveAll(l.logs + ".attempt-" + strconv.Itoa(prev.Attempt))
		_ = os.Rename(l.logs, l.logs+".attempt-"+strconv.Itoa(prev.Attempt))
	}
	for _, d := range []string{l.home, l.submission} {
		if err := os.RemoveAll(d); err != nil {
			return st, fmt.Errorf("external agent: reset %s: %w", d, err)
		}
	}
	for _, d := range []string{l.root, l.home, l.logs, l.code, l.submission} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return st, fmt.Errorf("external agent: %w", err)
		}
	}
	if ext.Image != "" {
		return st, nil // the image brings /home/agent
	}
	if isShipped(ext.Start) {
		_, err := shipped.Write(ext.Start, l.home)
		return st, err
	}
	return st, copyDir(filepath.Dir(ext.Start), l.home)
}

// isShipped reports whether start names an agent shipped with mlbench.
func isShipped(start string) bool {
	for _, n := range shipped.Names() {
		if start == n {
			return true
		}
	}
	return false
}

// checkStart says what is wrong with a start script on the host.
func checkStart(start string) error {
	field := func(err error) error {
		return &configs.FieldError{Field: "agent.external.start", Value: start, Err: err}
	}
	if !filepath.IsAbs(start) {
		return field(errors.New("must be an absolute path (or \"example\")"))
	}
	st, err := os.Stat(start)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return field(errors.New("no such file"))
	case err != nil:
		return field(err)
	case !st.Mode().IsRegular():
		return field(errors.New("not a regular file"))
	case st.Mode().Perm()&0o111 == 0:
		return field(fmt.Errorf("not executable; run chmod +x %s", start))
	}
	return nil
}

// sandbox builds the agent's executor: the item's exec settings with the
// network closed and, with agent.external.image, apptainer on that image.
func (a *externalAgent) sandbox(env AgentEnv) (sandbox.Executor, error) {
	ex := env.Config.Exec
	ex.Network = false
	if img := env.Config.Agent.External.Image; img != "" {
		// The image's own /home/agent, writable as in a container.
		ex.Sandbox, ex.Apptainer.Image = "apptainer", img
		ex.Apptainer.ExtraArgs = append(slices.Clone(ex.Apptainer.ExtraArgs), "--writable-tmpfs")
		if ex.Apptainer.Network == "" {
			fmt.Fprintf(env.Log, "item %d: exec.apptainer.network is empty: the agent's image shares the host network\n", env.Index)
		}
	}
	sb, err := a.newSandbox(ex, env.Log)
	if err != nil {
		return nil, fmt.Errorf("set up the external agent's sandbox: %w", err)
	}
	return sb, nil
}

// spec is the sandbox run of the agent.
func (a *externalAgent) spec(env AgentEnv, l externalLayout, c contract, sb sandbox.Executor, valAddrs []string, proxyAddr, sockDir string) (sandbox.Spec, error) {
	ext := env.Config.Agent.External
	start := filepath.Join(contractAgentDir, filepath.Base(ext.Start))
	switch {
	case ext.Image != "":
		start = ext.Start
	case isShipped(ext.Start):
		start = filepath.Join(contractAgentDir, "start.sh")
	}
	if c.Agent != contractAgentDir { // process backend: host paths
		start = filepath.Join(l.home, strings.TrimPrefix(start, contractAgentDir+"/"))
	}
	vars := c.env()
	vars["HOME"] = c.Agent
	vars["MLBENCH_PYTHON"] = env.Config.Exec.Python
	secrets := map[string]string{}
	for k, v := range ext.Env {
		if name, ok := strings.CutSuffix(k, "_env"); ok {
			val, set := os.LookupEnv(v)
			if !set {
				return sandbox.Spec{}, &configs.FieldError{Field: "agent.external.env." + k, Value: v, Err: errors.New("that host variable is not set")}
			}
			secrets[name] = val
			continue
		}
		vars[k] = v
	}
	// The agent's stdout and stderr go to a file in /home/logs, so status
	// can show their tail while it runs.
	cmd := append([]string{"/bin/sh", "-c", `exec "$@" >>"$LOGS_DIR/` + outputLog + `" 2>&1`, "mlbench-agent", start}, ext.Args...)
	spec := sandbox.Spec{
		Command: cmd, WorkDir: l.home, SubmissionDir: l.submission, DataDir: env.Task.PublicDir,
		Hide: []string{env.Task.PrivateDir}, Env: vars, Secrets: secrets,
		Timeout: ext.TimeLimit, Grace: env.Config.Exec.KillGrace,
		Mounts: []sandbox.Mount{
			{Host: l.logs, Inside: contractLogsDir, Writable: true},
			{Host: l.code, Inside: contractCodeDir, Writable: true},
			{Host: filepath.Join(l.root, "instructions.txt"), Inside: contractInstructions},
			{Host: filepath.Join(l.root, "validate_submission.sh"), Inside: contractValidate},
		},
	}
	if ext.Image == "" {
		spec.Mounts = append(spec.Mounts, sandbox.Mount{Host: l.home, Inside: contractAgentDir, Writable: true})
	}
	for _, addr := range valAddrs {
		spec.Forwards = append(spec.Forwards, sandbox.Forward{Listen: addr, Socket: filepath.Join(sockDir, "v.sock")})
	}
	spec.Forwards = append(spec.Forwards, sandbox.Forward{Listen: proxyAddr, Socket: filepath.Join(sockDir, "p.sock")})
	if env.Task.PrivateDir == "" {
		spec.Hide = nil
	}
	return spec, nil
}

// collect checks the agent's last submission and copies it to best/,
// where RunItem grades it. A missing or oversized submission fails the
// item with the agent's outcome as the reason.
func (a *externalAgent) collect(env AgentEnv, l externalLayout, c contract, res *sandbox.Result, maxSub int64) (string, error) {
	src := filepath.Join(l.submission, results.SubmissionFile)
	st, err := os.Lstat(src)
	if err != nil || !st.Mode().IsRegular() {
		why := "without writing " + c.Submission + "/submission.csv"
		if err == nil {
			why = "leaving " + c.Submission + "/submission.csv as something other than a regular file"
		}
		msg := fmt.Sprintf("external agent %s after %s %s", outcome(res, env.Config.Agent.External.TimeLimit), res.Wall.Round(time.Millisecond), why)
		if tail := strings.TrimSpace(ExternalOutputTail(env.ItemDir, 600)); tail != "" {
			msg += "; its output ends: " + tail
		}
		return "", errors.New(msg)
	}
	if st.Size() > maxSub {
		return "", fmt.Errorf("external agent wrote a submission.csv of %d bytes, over agent.external.max_submission (%d bytes); not graded", st.Size(), maxSub)
	}
	if !res.OK() {
		fmt.Fprintf(env.Log, "item %d: external agent %s; grading its last submission\n", env.Index, outcome(res, env.Config.Agent.External.TimeLimit))
	}
	best := filepath.Join(env.ItemDir, results.BestDir)
	if err := os.MkdirAll(best, 0o755); err != nil {
		return "", err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("read the agent's submission: %w", err)
	}
	dst := filepath.Join(best, results.SubmissionFile)
	if err := atomicfile.WriteFile(dst, b, 0o644); err != nil {
		return "", err
	}
	return dst, nil
}

// Graded does nothing: an external agent has no memory of ours to update.
func (a *externalAgent) Graded(context.Context, *grader.Report) {}

// Close is a no-op; Solve releases everything it starts.
func (a *externalAgent) Close() error { return nil }

// outcome says in words how the agent's run ended: each reason the sandbox
// flags (see sandbox.Result.Status) before the signal it killed with.
func outcome(res *sandbox.Result, limit time.Duration) string {
	switch {
	case res == nil:
		return "did not start"
	case res.TimedOut:
		return fmt.Sprintf("was killed at its time limit (%s)", limit)
	case res.Canceled:
		return "was cancelled"
	case res.DiskExceeded:
		return "was killed for writing more than exec.disk allows"
	case res.OOM:
		return "ran out of memory"
	case res.Signal != 0:
		return "was killed by signal " + res.Signal.String()
	}
	return fmt.Sprintf("exited with status %d", res.ExitCode)
}

func restartNote(st ExternalState) string {
	if st.Restart == "" {
		return ""
	}
	return "; " + st.Restart
}

func writeState(l externalLayout, st ExternalState) error {
	return results.WriteJSON(filepath.Join(l.root, "state.json"), st)
}

// freePorts picks two free loopback ports (process backend only).
func freePorts() (string, string, error) {
	var ports []string
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", "", fmt.Errorf("pick a port: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ports[0], ports[1], nil
}

// portOf is the port of a host:port address.
func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

func cmpStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
