package harness_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/configs/configstest"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/memory"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search"
)

// debianPython is the interpreter with numpy, pandas and scikit-learn.
const debianPython = "/usr/bin/python3"

// testConfig is a small-budget config over a fresh demo dir and results dir.
func testConfig(t testing.TB, sets ...string) *configs.Config {
	t.Helper()
	base := []string{
		"exec.python=" + debianPython,
		"exec.timeout=2m",
		"search.steps=4", "search.workers=2", "search.time_limit=5m",
	}
	return configstest.Load(t, append(base, sets...)...)
}

func needPython(t testing.TB) {
	t.Helper()
	if err := exec.Command(debianPython, "-c", "import numpy, pandas, sklearn").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs %s with numpy, pandas, scikit-learn: %v", debianPython, err)
		}
		t.Skipf("%s with numpy, pandas and scikit-learn is not available: %v", debianPython, err)
	}
}

func demoTask(t testing.TB, cfg *configs.Config, id string) task.Task {
	t.Helper()
	tk, err := harness.RegistryFrom(cfg).Task(id)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestPlan(t *testing.T) {
	cfg := testConfig(t)
	tasks, err := harness.RegistryFrom(cfg).Suite("demo")
	if err != nil {
		t.Fatal(err)
	}
	grid := []harness.Axis{{Key: "search.uct_c", Values: []string{"0.5", "1.414"}}, {Key: "search.workers", Values: []string{"1", "3"}}}
	run, err := harness.Plan(harness.PlanRequest{Tasks: tasks, Seeds: 3, Grid: grid, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(task.DemoIDs()) * 3 * 4; len(run.Manifest.Items) != want {
		t.Fatalf("want %d items, got %d", want, len(run.Manifest.Items))
	}
	if !regexp.MustCompile(`^\d{8}-\d{6}-[0-9a-f]{6}$`).MatchString(run.Manifest.RunID) {
		t.Errorf("run id %q is not time-sortable", run.Manifest.RunID)
	}
	back, err := harness.Open(run.Manifest.RunID, cfg.Results.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Manifest.Items) != len(run.Manifest.Items) || back.Config.Search.Steps != 4 {
		t.Errorf("reopened run differs: %d items, steps %d", len(back.Manifest.Items), back.Config.Search.Steps)
	}
	seen := map[string]bool{}
	for i, it := range back.Manifest.Items {
		if it.Index != i {
			t.Fatalf("item %d has index %d", i, it.Index)
		}
		ic, err := back.ItemConfig(i)
		if err != nil {
			t.Fatal(err)
		}
		if strconv.FormatFloat(ic.Search.UCTC, 'g', -1, 64) != it.Params["search.uct_c"] || strconv.Itoa(ic.Search.Workers) != it.Params["search.workers"] {
			t.Errorf("item %d config does not apply its sweep point %v", i, it.Params)
		}
		key := fmt.Sprint(it.TaskID, it.Seed, it.ParamsJSON())
		if seen[key] {
			t.Errorf("duplicate work item %s", key)
		}
		seen[key] = true
	}
	if _, err := os.Stat(filepath.Join(run.Dir, harness.ConfigFile)); err != nil {
		t.Error(err)
	}
	entries, _ := os.ReadDir(cfg.Results.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary %s left in the results dir", e.Name())
		}
	}
}

func TestPlanBadInput(t *testing.T) {
	cfg := testConfig(t)
	tasks, _ := harness.RegistryFrom(cfg).Suite("demo")
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o644)
	bad := *cfg
	bad.Results.Dir = filepath.Join(blocker, "runs")
	_, err := harness.Plan(harness.PlanRequest{Tasks: tasks, Seeds: 1, Config: &bad})
	var ue *harness.UnwritableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "results.dir") {
		t.Errorf("unwritable results dir: %v", err)
	}
	_, err = harness.Plan(harness.PlanRequest{Tasks: tasks, Seeds: 1, Config: cfg, Grid: []harness.Axis{{Key: "search.uctc", Values: []string{"1"}}}})
	if err == nil || !strings.Contains(err.Error(), "search.uct_c") {
		t.Errorf("bad grid key: %v", err)
	}
	_, err = harness.Plan(harness.PlanRequest{Tasks: tasks, Seeds: 1, Config: cfg, Grid: []harness.Axis{{Key: "search.workers", Values: []string{"x"}}}})
	if err == nil || !strings.Contains(err.Error(), "search.workers") {
		t.Errorf("bad grid value: %v", err)
	}
	if _, err := harness.ParseAxis("search.uct_c"); err == nil {
		t.Error("axis without values accepted")
	}
}

// scripted is an agent whose code copies the sample submission after a
// short sleep and prints a metric that grows with the step.
type scripted struct{ sleep float64 }

func (s scripted) code(req search.Request) search.Proposal {
	code := fmt.Sprintf(`import os, shutil, time
time.sleep(%g)
sub = os.environ.get("MLBENCH_SUBMISSION_DIR", "submission")
os.makedirs(sub, exist_ok=True)
shutil.copy(os.path.join(os.environ["MLBENCH_DATA_DIR"], "sample_submission.csv"), os.path.join(sub, "submission.csv"))
print("validation_metric: %d")
`, s.sleep, req.Step)
	return search.Proposal{Plan: "copy the sample", Code: code}
}

func (s scripted) Draft(_ context.Context, r search.Request) (search.Proposal, error) {
	return s.code(r), nil
}
func (s scripted) Improve(_ context.Context, r search.Request) (search.Proposal, error) {
	return s.code(r), nil
}
func (s scripted) Debug(_ context.Context, r search.Request) (search.Proposal, error) {
	return s.code(r), nil
}

var metricLine = regexp.MustCompile(`validation_metric: ([0-9.]+)`)

func (scripted) Review(_ context.Context, _ search.NodeSnapshot, res search.ExecResult) (search.Review, error) {
	m := metricLine.FindStringSubmatch(res.Output)
	if m == nil {
		return search.Review{IsBug: true, Summary: "no metric"}, nil
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return search.Review{Summary: "ok", Metric: &v}, nil
}

func scriptedAgent(sleep float64) harness.CoderFactory {
	return func(context.Context, harness.CoderEnv) (*harness.Coders, error) {
		s := scripted{sleep: sleep}
		return &harness.Coders{Coder: s, Reviewer: s, Describe: "scripted"}, nil
	}
}

// TestMain lets the kill test run a worker in a child process.
func TestMain(m *testing.M) {
	if sandbox.IsForwarder(os.Args) {
		os.Exit(sandbox.ForwarderMain(os.Args[2:]))
	}
	if dir := os.Getenv("MLBENCH_TEST_WORKER_RUN"); dir != "" {
		run, err := harness.Open(dir, "")
		if err == nil {
			_, err = harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(0.4), Log: os.Stderr})
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func planOne(t testing.TB, cfg *configs.Config, id string) *harness.Run {
	t.Helper()
	run, err := harness.Plan(harness.PlanRequest{Tasks: []task.Task{demoTask(t, cfg, id)}, Seeds: 1, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func nodeIDs(t testing.TB, itemDir string) []string {
	t.Helper()
	rows, err := results.NewReader(nil).Nodes(context.Background(), itemDir, "node_id")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.NodeID)
	}
	return ids
}

func TestIntegrationKillAndResume(t *testing.T) {
	needPython(t)
	cfg := testConfig(t, "search.steps=10", "search.workers=2", "exec.sandbox=process")
	run := planOne(t, cfg, "demo-regression-rmse")
	itemDir := run.ItemDir(0)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "MLBENCH_TEST_WORKER_RUN="+run.Dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for results.ReadProgress(itemDir).Nodes < 3 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("worker made no progress")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	st, _ := results.ReadItemStatus(itemDir)
	if st.State != results.StateRunning {
		t.Fatalf("a killed worker leaves its item running, got %s", st.State)
	}

	out, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(0.05)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status.State != results.StateDone || out.Status.Attempts != 2 {
		t.Errorf("after resume: %+v", out.Status)
	}
	if out.Agent.Nodes != 10 {
		t.Errorf("resumed run has %d finished nodes, want the budget of 10", out.Agent.Nodes)
	}
	ids := nodeIDs(t, itemDir)
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			t.Errorf("node %s appears twice in the traces", id)
		}
		seen[id] = true
	}
	if len(ids) != out.Agent.Nodes {
		t.Errorf("traces hold %d nodes, the tree %d", len(ids), out.Agent.Nodes)
	}
	if out.Grade == nil || !out.Grade.ValidSubmission {
		t.Errorf("grade after resume: %+v", out.Grade)
	}
	// Rerunning a done item is a no-op.
	again, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(0)})
	if err != nil || again.Status.Attempts != 2 || len(nodeIDs(t, itemDir)) != len(ids) {
		t.Errorf("rerun of a done item changed it: %v %+v", err, again.Status)
	}
}

func TestIntegrationBaselineItem(t *testing.T) {
	needPython(t)
	cfg := testConfig(t, "search.steps=4", "search.workers=2", "search.coder=baseline")
	run := planOne(t, cfg, "demo-multiclass-logloss")
	out, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Coders: harness.DefaultCoders})
	if err != nil {
		t.Fatal(err)
	}
	dir := run.ItemDir(0)
	if out.Status.State != results.StateDone || out.Grade == nil || !out.Grade.ValidSubmission || out.Grade.Score == nil {
		t.Fatalf("baseline item: status %+v grade %+v", out.Status, out.Grade)
	}
	all, _, err := memory.Open(cfg.Memory.Wisdom.Dir).Entries()
	var entries []memory.Entry // the final ones; provisional ones came first
	for _, e := range all {
		if !e.Provisional {
			entries = append(entries, e)
		}
	}
	if err != nil || len(entries) != 1 || len(all) < 2 || entries[0].TaskID != "demo-multiclass-logloss" || entries[0].BestDesign == "" {
		t.Errorf("wisdom entries after the item: %v %+v", err, all)
	}
	// The baseline's pipeline mentions every estimator it could build;
	// the entry names only those of the best designs (at most three).
	if fams := entries[0].ModelFamilies; len(fams) == 0 || len(fams) > 3 {
		t.Errorf("entry lists model families %v, want those the best designs used", fams)
	}
	for _, f := range []string{"best/submission.csv", "best/solution.py", "best/node_id", "grade.json", "status.json", "checkpoint/state.json", "progress.json", harness.KnowledgeFile, results.EnvFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	// The environment probe recorded what the sandbox's Python has.
	var env sandbox.Environment
	b, err := os.ReadFile(filepath.Join(dir, results.EnvFile))
	if err == nil {
		err = json.Unmarshal(b, &env)
	}
	if err != nil || !env.Has("numpy") || !env.Has("scikit-learn") || env.Python == "" {
		t.Errorf("env.json: %+v %v", env, err)
	}
	if n := len(nodeIDs(t, dir)); n != 4 {
		t.Errorf("want 4 traced nodes, got %d", n)
	}
	r, err := results.Collect(context.Background(), run.Dir, results.CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 1 || !r.Rows[0].ValidSubmission || r.Rows[0].Nodes != 4 {
		t.Errorf("collected result: %+v", r.Rows)
	}
}

func TestIntegrationBadInput(t *testing.T) {
	needPython(t)
	t.Run("python missing", func(t *testing.T) {
		cfg := testConfig(t, "exec.python=/nonexistent/python3", "exec.sandbox=process")
		run := planOne(t, cfg, "demo-binary-auc")
		out, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(0)})
		if err == nil || !strings.Contains(err.Error(), "/nonexistent/python3") || !strings.Contains(err.Error(), "exec.python") {
			t.Errorf("python missing: %v", err)
		}
		if out == nil || out.Status.State != results.StateFailed || out.Status.Error == "" {
			t.Errorf("item not marked failed with the reason: %+v", out)
		}
	})
	t.Run("unprepared data", func(t *testing.T) {
		cfg := testConfig(t)
		run := planOne(t, cfg, "demo-binary-auc")
		tk := demoTask(t, cfg, "demo-binary-auc")
		os.Remove(tk.AnswersPath())
		_, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(0)})
		if !errors.Is(err, task.ErrNotPrepared) {
			t.Errorf("unprepared: %v", err)
		}
	})
	t.Run("busy item", func(t *testing.T) {
		cfg := testConfig(t, "search.steps=3", "exec.sandbox=process")
		run := planOne(t, cfg, "demo-binary-auc")
		ctx, cancel := context.WithCancel(context.Background())
		started, finished := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(finished)
			harness.RunItem(ctx, run, 0, harness.ItemOptions{Coders: func(c context.Context, e harness.CoderEnv) (*harness.Coders, error) {
				close(started)
				return scriptedAgent(1)(c, e)
			}})
		}()
		// The first worker must be gone before t.TempDir is removed.
		defer func() { cancel(); <-finished }()
		<-started
		_, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(0)})
		if !errors.Is(err, harness.ErrBusy) {
			t.Errorf("second worker on a running item: %v", err)
		}
	})
}

func TestIntegrationCancel(t *testing.T) {
	needPython(t)
	cfg := testConfig(t, "search.steps=50", "exec.sandbox=process")
	run := planOne(t, cfg, "demo-binary-auc")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for results.ReadProgress(run.ItemDir(0)).Nodes < 2 {
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
	}()
	out, err := harness.RunItem(ctx, run, 0, harness.ItemOptions{Coders: scriptedAgent(0.2)})
	if !errors.Is(err, harness.ErrCancelled) || out.Status.State != results.StateCancelled {
		t.Fatalf("cancel: %v %+v", err, out)
	}
	if _, err := os.Stat(filepath.Join(run.ItemDir(0), results.CheckpointDir, results.CheckpointFile)); err != nil {
		t.Errorf("a cancelled item keeps its checkpoint: %v", err)
	}
}

// recordingSandbox wraps a real executor and records every spec it runs.
type recordingSandbox struct {
	sandbox.Executor
	mu    sync.Mutex
	specs []sandbox.Spec
}

func (r *recordingSandbox) Run(ctx context.Context, spec sandbox.Spec) (*sandbox.Result, error) {
	r.mu.Lock()
	r.specs = append(r.specs, spec)
	r.mu.Unlock()
	return r.Executor.Run(ctx, spec)
}

func TestIntegrationWorkerSlots(t *testing.T) {
	needPython(t)
	if runtime.NumCPU() < 2 {
		t.Skip("needs 2 CPUs")
	}
	cfg := testConfig(t, "search.steps=4", "search.workers=2", "exec.cpus=1", "exec.gpus=0,1", "exec.sandbox=process")
	run := planOne(t, cfg, "demo-binary-auc")
	rec := &recordingSandbox{}
	_, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(0.05),
		Sandbox: func(c configs.Exec, w io.Writer) (sandbox.Executor, error) {
			ex, err := sandbox.New(c, w)
			rec.Executor = ex
			return rec, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	cpus, gpus := map[string]bool{}, map[string]bool{}
	for _, s := range rec.specs {
		if s.Code != "" {
			continue // the preflight
		}
		if len(s.Limits.CPUs) != 1 || len(s.Limits.GPUs) != 1 {
			t.Fatalf("node spec without its slot: %+v", s.Limits)
		}
		cpus[fmt.Sprint(s.Limits.CPUs)] = true
		gpus[fmt.Sprint(s.Limits.GPUs)] = true
	}
	if len(cpus) != 2 || len(gpus) != 2 {
		t.Errorf("two workers should use two CPU and two GPU slots, got %v %v", cpus, gpus)
	}
}

func TestCancelDuringSetupIsNotAFailure(t *testing.T) {
	cfg := testConfig(t, "exec.sandbox=process")
	run := planOne(t, cfg, "demo-binary-auc")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := harness.RunItem(ctx, run, 0, harness.ItemOptions{Coders: scriptedAgent(0)})
	if !errors.Is(err, harness.ErrCancelled) || out == nil || out.Status.State != results.StateCancelled {
		t.Fatalf("interrupted before the search: %v %+v", err, out)
	}
}
