package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/scheduler"
	slurmsched "github.com/mlbench/mlbench/scheduler/slurm"
	sl "github.com/mlbench/mlbench/slurm"
)

// clusterArgs are the tiny-budget flags of the Slurm tests: the offline
// baseline coder, one search worker, Debian's Python, private data,
// results and wisdom folders, and elements small enough for one laptop.
func clusterArgs(root string, steps int) []string {
	return []string{
		"--coder", "baseline", "--workers", "1", "--steps", fmt.Sprint(steps), "--time-limit", "20m",
		"--set", "exec.python=/usr/bin/python3",
		"--set", "data.demo_dir=" + filepath.Join(root, "demo"),
		"--set", "memory.wisdom.dir=" + filepath.Join(root, "wisdom"),
		"--results", filepath.Join(root, "runs"),
		"--slurm.cpus-per-task", "1", "--slurm.mem", "1G", "--slurm.time", "30:00",
	}
}

func TestSubmitDryRun(t *testing.T) {
	root := t.TempDir()
	args := append([]string{"submit", "--suite", "demo", "--seeds", "2", "--grid", "search.uct_c=0.5,1.414", "--dry-run", "--slurm.array-throttle", "3",
		"--slurm.extra", "--constraint=a100", "--slurm.extra", "--nice=10"}, clusterArgs(root, 2)...)
	out, errOut, code := mlbench(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	runID := strings.TrimSpace(out)
	dir := filepath.Join(root, "runs", runID)
	m, err := results.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := len(task.DemoIDs()) * 2 * 2
	if len(m.Items) != n || m.Items[n-1].Params["search.uct_c"] != "1.414" {
		t.Errorf("manifest: %d items, last %+v", len(m.Items), m.Items[len(m.Items)-1])
	}
	script, err := os.ReadFile(filepath.Join(dir, "slurm", "array.sbatch"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{fmt.Sprintf("--array=0-%d%%3", n-1), "--constraint=a100", "--nice=10", "--cpus-per-task=1", "worker --slurm --requeue --max-attempts 3 --run " + dir} {
		if !strings.Contains(string(script), want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	if !strings.Contains(errOut, "not submitted (--dry-run)") {
		t.Errorf("stderr: %s", errOut)
	}
	b, _ := os.ReadFile(filepath.Join(dir, harness.ConfigFile))
	if !strings.Contains(string(b), "kind: slurm") {
		t.Error("the run's config does not say it is a Slurm run")
	}
}

func TestSubmitBadInput(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"reserved directive", []string{"--suite", "demo", "--slurm.extra", "--output=/tmp/x"}, 2, "--output is set by mlbench"},
		{"bad time", []string{"--suite", "demo", "--slurm.time", "two hours"}, 2, "slurm.time"},
		{"bad mem", []string{"--suite", "demo", "--slurm.mem", "lots"}, 2, "slurm.mem"},
		{"nothing to run", nil, 2, "--suite demo"},
		{"bad grid", []string{"--suite", "demo", "--grid", "search.uct_c"}, 2, "key=value1,value2"},
		{"unknown grid key", []string{"--suite", "demo", "--grid", "search.uctc=1,2"}, 2, "search.uct_c"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			args := append(append([]string{"submit", "--dry-run"}, tc.args...), "--results", filepath.Join(root, "runs"), "--set", "data.demo_dir="+filepath.Join(root, "demo"))
			out, errOut, code := mlbench(t, nil, args...)
			if code != tc.code || !strings.Contains(errOut, tc.contains) {
				t.Errorf("exit %d, want %d with %q:\n%s%s", code, tc.code, tc.contains, out, errOut)
			}
			if entries, _ := os.ReadDir(filepath.Join(root, "runs")); len(entries) > 0 {
				t.Errorf("a bad submission left a run directory: %v", entries)
			}
		})
	}
}

func TestStatusAndCancelOfLocalRun(t *testing.T) {
	root := t.TempDir()
	// Plan without running: a dry-run submission has no jobs.
	out, errOut, code := mlbench(t, nil, append([]string{"submit", "--suite", "demo", "--dry-run"}, clusterArgs(root, 2)...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	id := strings.TrimSpace(out)
	res := "--results=" + filepath.Join(root, "runs")
	out, errOut, code = mlbench(t, nil, "status", res, id)
	n := len(task.DemoIDs())
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d items: %d pending", n, n)) || !strings.Contains(out, fmt.Sprintf("0/%d finished", n)) {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	_, errOut, code = mlbench(t, nil, "cancel", res, id)
	if code != 0 || !strings.Contains(errOut, fmt.Sprintf("%d items cancelled", n)) {
		t.Fatalf("cancel: exit %d\n%s", code, errOut)
	}
	out, _, _ = mlbench(t, nil, "status", res, id)
	if !strings.Contains(out, fmt.Sprintf("%d cancelled", n)) || !strings.Contains(out, "mlbench resume") {
		t.Errorf("status after cancel:\n%s", out)
	}
	for _, args := range [][]string{{"status", res, "nope"}, {"cancel", res, "nope"}, {"status"}} {
		if _, errOut, code := mlbench(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d: %s", args, code, errOut)
		}
	}
	if _, errOut, code := mlbench(t, nil, "resume", "--scheduler", "pbs", filepath.Join(root, "runs", id)); code != 2 || !strings.Contains(errOut, "local or slurm") {
		t.Errorf("resume --scheduler pbs: exit %d: %s", code, errOut)
	}
}

func TestSweepNeedsGrid(t *testing.T) {
	_, errOut, code := mlbench(t, nil, "sweep", "--suite", "demo")
	if code != 2 || !strings.Contains(errOut, "--grid") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	_, errOut, code = mlbench(t, nil, "sweep", "--suite", "demo", "--grid", "search.uct_c=1,2", "--scheduler", "pbs")
	if code != 2 || !strings.Contains(errOut, "local or slurm") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestIntegrationSweepLocal(t *testing.T) {
	needPython(t)
	root := t.TempDir()
	args := append([]string{"sweep", "--task", "demo-binary-auc", "--grid", "search.uct_c=0.5,2", "--scheduler", "local"}, clusterArgs(root, 1)...)
	out, errOut, code := mlbench(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	for _, want := range []string{"2 work items (2 sweep points)", "By search.uct_c"} {
		if !strings.Contains(out+errOut, want) {
			t.Errorf("output lacks %q:\n%s%s", want, out, errOut)
		}
	}
	runs, _ := filepath.Glob(filepath.Join(root, "runs", "*", "manifest.json"))
	if len(runs) != 1 {
		t.Fatalf("runs: %v", runs)
	}
	r, err := results.Collect(context.Background(), filepath.Dir(runs[0]), results.CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var params []string
	for _, row := range r.Rows {
		if row.Status != results.StateDone {
			t.Errorf("item %d: %s", row.Item, row.Status)
		}
		params = append(params, row.Params)
	}
	if !slices.Equal(params, []string{`{"search.uct_c":"0.5"}`, `{"search.uct_c":"2"}`}) {
		t.Errorf("params %v", params)
	}
}

// needSlurm skips (fails under CI) unless a Slurm cluster answers sinfo.
func needSlurm(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("Slurm integration test; not with -short")
	}
	needPython(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "sinfo", "--noheader", "--format=%a %t").CombinedOutput()
	if err == nil && strings.TrimSpace(string(out)) != "" {
		return
	}
	msg := fmt.Sprintf("no Slurm cluster answers sinfo (%v: %s); start one with scripts/slurm-local.sh up", err, strings.TrimSpace(string(out)))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// submit runs mlbench submit and returns the run directory.
func submit(t *testing.T, root string, steps int, sel ...string) *harness.Run {
	t.Helper()
	args := append(append([]string{"submit"}, sel...), clusterArgs(root, steps)...)
	out, errOut, code := mlbench(t, nil, args...)
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s%s", code, out, errOut)
	}
	run, err := harness.Open(filepath.Join(root, "runs", strings.TrimSpace(out)), "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "submitted job array") || !strings.Contains(errOut, "mlbench status --watch") {
		t.Errorf("submit output lacks the job or the next commands:\n%s", errOut)
	}
	t.Cleanup(func() {
		// Never leave elements behind, whatever the test did.
		if jobs, err := results.ReadJobs(run.Dir); err == nil && len(jobs.Submissions) > 0 {
			_ = (&sl.Client{}).Cancel(context.Background(), jobs.JobIDs()...)
		}
	})
	return run
}

// waitFor polls the run's snapshot until ok says so, failing with the
// element logs after timeout.
func waitFor(t *testing.T, run *harness.Run, timeout time.Duration, what string, ok func(*scheduler.Snapshot) bool) *scheduler.Snapshot {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		snap, err := slurmsched.Observe(context.Background(), &sl.Client{}, run.Dir, run.Manifest)
		if err != nil {
			t.Fatal(err)
		}
		if ok(snap) {
			return snap
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s, still not %s: %v\n%s", timeout, what, snap.Counts, elementLogs(run.Dir))
		}
		time.Sleep(2 * time.Second)
	}
}

func elementLogs(runDir string) string {
	files, _ := filepath.Glob(filepath.Join(runDir, "slurm", "logs", "*"))
	var b strings.Builder
	for _, f := range files {
		body, _ := os.ReadFile(f)
		if len(body) > 3000 {
			body = body[len(body)-3000:]
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", filepath.Base(f), body)
	}
	return b.String()
}

func allDone(s *scheduler.Snapshot) bool {
	return s.Counts[scheduler.ShowDone] == len(s.Items) && s.Active == 0
}

func TestIntegrationSlurmSubmitDemo(t *testing.T) {
	needSlurm(t)
	root := t.TempDir()
	run := submit(t, root, 2, "--suite", "demo")
	n := len(task.DemoIDs())
	if got := len(run.Manifest.Items); got != n {
		t.Fatalf("%d items, want the %d demo tasks", got, n)
	}
	jobs, err := results.ReadJobs(run.Dir)
	if err != nil || len(jobs.Submissions) != 1 || jobs.Submissions[0].Array != fmt.Sprintf("0-%d", n-1) {
		t.Fatalf("one sbatch call for the whole run: %+v, %v", jobs, err)
	}
	waitFor(t, run, 10*time.Minute, "done", allDone)

	out, errOut, code := mlbench(t, nil, "status", run.Dir)
	if code != 0 || !strings.Contains(out, fmt.Sprintf("%d items: %d done", n, n)) || !strings.Contains(out, fmt.Sprintf("%d/%d finished (100%%)", n, n)) {
		t.Errorf("status: exit %d\n%s%s", code, out, errOut)
	}
	// The medal table, as mlbench report prints it.
	r, err := results.Collect(context.Background(), run.Dir, results.CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := results.BuildReport([]*results.Run{r}, results.ReportOptions{Tasks: true})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	if err := rep.Render(&table, "table"); err != nil {
		t.Fatal(err)
	}
	t.Logf("medal table of the Slurm run:\n%s", table.String())
	for _, want := range append(task.DemoIDs(), "Medal table", fmt.Sprintf("%d/%d", n, n), "100.0 ± 0.0") {
		if !strings.Contains(table.String(), want) {
			t.Errorf("medal table lacks %q", want)
		}
	}
	for _, row := range r.Rows {
		if !row.SubmissionExists || row.Nodes < 2 {
			t.Errorf("item %d: %+v", row.Item, row)
		}
	}
	// Resuming a finished run submits nothing.
	_, errOut, code = mlbench(t, nil, "resume", run.Dir)
	if code != 0 || !strings.Contains(errOut, "every item is done") {
		t.Errorf("resume of a done run: exit %d: %s", code, errOut)
	}
	if jobs, _ := results.ReadJobs(run.Dir); len(jobs.Submissions) != 1 {
		t.Errorf("resume of a done run submitted %+v", jobs.Submissions[1:])
	}
}

func TestIntegrationSlurmRequeue(t *testing.T) {
	needSlurm(t)
	root := t.TempDir()
	run := submit(t, root, 5, "--task", "demo-regression-rmse")
	dir := run.ItemDir(0)
	snap := waitFor(t, run, 5*time.Minute, "running with 2 nodes", func(s *scheduler.Snapshot) bool {
		return s.Items[0].Show == scheduler.ShowRunning && results.ReadProgress(dir).Nodes >= 2
	})
	element := snap.Items[0].Element
	if out, err := exec.Command("scontrol", "requeue", element).CombinedOutput(); err != nil {
		t.Fatalf("scontrol requeue %s: %v: %s", element, err, out)
	}
	waitFor(t, run, 2*time.Minute, "requeued", func(s *scheduler.Snapshot) bool {
		st := s.Items[0].Status
		return st.Attempts >= 2 || (st.State == results.StatePending && strings.Contains(st.Error, "requeued after SIGTERM"))
	})
	waitFor(t, run, 10*time.Minute, "done after the requeue", allDone)

	st, err := results.ReadItemStatus(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.State != results.StateDone || st.Attempts != 2 {
		t.Errorf("status %+v, want done on attempt 2", st)
	}
	rows, err := results.NewReader(nil).Nodes(context.Background(), dir, "node_id")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.NodeID] {
			t.Errorf("node %s appears twice in the traces", r.NodeID)
		}
		seen[r.NodeID] = true
	}
	if len(rows) < 5 {
		t.Errorf("%d nodes in the traces, want the 5 of the budget", len(rows))
	}
	logs := elementLogs(run.Dir)
	for _, want := range []string{"DUE TO JOB REQUEUE", "SIGTERM received; stopping the search gracefully", "attempt 2 of 3", "resuming from a checkpoint of"} {
		if !strings.Contains(logs, want) {
			t.Errorf("element log lacks %q:\n%s", want, logs)
		}
	}
}

func TestIntegrationSlurmCancel(t *testing.T) {
	needSlurm(t)
	root := t.TempDir()
	run := submit(t, root, 50, "--suite", "demo")
	waitFor(t, run, 5*time.Minute, "running", func(s *scheduler.Snapshot) bool {
		return s.Counts[scheduler.ShowRunning] > 0
	})
	_, errOut, code := mlbench(t, nil, "cancel", run.Dir)
	if code != 0 {
		t.Fatalf("cancel: exit %d: %s", code, errOut)
	}
	sts, err := run.Statuses()
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range sts {
		if st.State != results.StateCancelled {
			t.Errorf("item %d: %+v, want cancelled", i, st)
		}
	}
	snap := waitFor(t, run, 2*time.Minute, "gone from the queue", func(s *scheduler.Snapshot) bool { return s.Active == 0 })
	n := len(run.Manifest.Items)
	if snap.Counts[scheduler.ShowCancelled] != n || !snap.Cancelled {
		t.Errorf("after the queue emptied: %v (cancelled marker %v)", snap.Counts, snap.Cancelled)
	}
	// No worker requeued itself after the cancel.
	time.Sleep(3 * time.Second)
	for i, st := range mustStatuses(t, run) {
		if st.State != results.StateCancelled {
			t.Errorf("item %d changed after the cancel: %+v", i, st)
		}
	}
	out, _, _ := mlbench(t, nil, "status", run.Dir)
	if !strings.Contains(out, fmt.Sprintf("%d cancelled", n)) {
		t.Errorf("status:\n%s", out)
	}
	var j results.Jobs
	b, _ := os.ReadFile(filepath.Join(run.Dir, "slurm", "jobs.json"))
	if err := json.Unmarshal(b, &j); err != nil || len(j.Submissions) != 1 {
		t.Errorf("jobs.json: %s", b)
	}

	// Resume resubmits the cancelled items as a new array, with new options.
	if _, errOut, code := mlbench(t, nil, "resume", "--failed-only", run.Dir); code != 0 || !strings.Contains(errOut, "no failed items") {
		t.Errorf("resume --failed-only: exit %d: %s", code, errOut)
	}
	_, errOut, code = mlbench(t, nil, "resume", "--slurm.time", "12:00", run.Dir)
	if code != 0 || !strings.Contains(errOut, fmt.Sprintf("resubmitting %d of %d items", n, n)) {
		t.Fatalf("resume: exit %d: %s", code, errOut)
	}
	jobs, err := results.ReadJobs(run.Dir)
	if err != nil || len(jobs.Submissions) != 2 || jobs.Submissions[1].Reason != "resume" || jobs.Submissions[1].Script != "slurm/array.1.sbatch" {
		t.Fatalf("jobs after resume: %+v, %v", jobs, err)
	}
	if script, _ := os.ReadFile(filepath.Join(run.Dir, "slurm", "array.1.sbatch")); !strings.Contains(string(script), "--time=12:00") {
		t.Errorf("resubmitted script:\n%s", script)
	}
	if results.Cancelled(run.Dir) {
		t.Error("the resubmission kept the cancel marker")
	}
	waitFor(t, run, 5*time.Minute, "running again", func(s *scheduler.Snapshot) bool {
		return s.Counts[scheduler.ShowRunning] > 0
	})
	if _, errOut, code := mlbench(t, nil, "resume", run.Dir); code != 0 || !strings.Contains(errOut, "nothing to resubmit") {
		t.Errorf("resume while queued: exit %d: %s", code, errOut)
	}
	if _, errOut, code := mlbench(t, nil, "cancel", run.Dir); code != 0 {
		t.Fatalf("second cancel: exit %d: %s", code, errOut)
	}
	for i, st := range mustStatuses(t, run) {
		if st.State != results.StateCancelled {
			t.Errorf("item %d after the second cancel: %+v", i, st)
		}
	}
}

func mustStatuses(t *testing.T, run *harness.Run) []results.ItemStatus {
	t.Helper()
	sts, err := run.Statuses()
	if err != nil {
		t.Fatal(err)
	}
	return sts
}

func TestSweepOnSlurmDryRun(t *testing.T) {
	root := t.TempDir()
	args := append([]string{"sweep", "--task", "demo-binary-auc", "--grid", "search.uct_c=0.5,2", "--grid", "search.decay=linear,none", "--scheduler", "slurm", "--dry-run"}, clusterArgs(root, 1)...)
	out, errOut, code := mlbench(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	dir := filepath.Join(root, "runs", strings.TrimSpace(out))
	m, err := results.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var points []string
	for _, it := range m.Items {
		points = append(points, it.ParamsJSON())
	}
	want := []string{`{"search.decay":"linear","search.uct_c":"0.5"}`, `{"search.decay":"none","search.uct_c":"0.5"}`,
		`{"search.decay":"linear","search.uct_c":"2"}`, `{"search.decay":"none","search.uct_c":"2"}`}
	if !slices.Equal(points, want) {
		t.Errorf("sweep points %v, want %v", points, want)
	}
	jobs, _ := results.ReadJobs(dir)
	if _, err := os.Stat(filepath.Join(dir, "slurm", "array.sbatch")); err != nil || len(jobs.Submissions) != 0 {
		t.Errorf("dry run: script %v, jobs %+v", err, jobs)
	}
}

// BenchmarkStatusCommand10000 is `mlbench status` over 10,000 items less
// the squeue round trip (answered by a fake): every status.json read, the
// queue mapped to items, the summary, progress bar and table rendered.
// Target: at most 1 s.
func BenchmarkStatusCommand10000(b *testing.B) {
	root := b.TempDir()
	cfg, err := loadTestConfig(root)
	if err != nil {
		b.Fatal(err)
	}
	tasks, err := harness.RegistryFrom(cfg).Suite("demo")
	if err != nil {
		b.Fatal(err)
	}
	vals := make([]string, 50)
	for i := range vals {
		vals[i] = fmt.Sprintf("%.2f", 0.5+float64(i)/100)
	}
	run, err := harness.Plan(harness.PlanRequest{Tasks: tasks, Seeds: 1, Config: cfg,
		Grid: []harness.Axis{{Key: "search.uct_c", Values: vals}, {Key: "search.decay_alpha", Values: vals}}})
	if err != nil {
		b.Fatal(err)
	}
	if err := results.RecordSubmission(run.Dir, results.JobSubmission{JobID: "101", Base: 0, Array: "0-9999", Items: 10000}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 6300; i++ {
		st := results.ItemStatus{State: results.StateDone, Attempts: 1}
		if i >= 6200 {
			st.State = results.StateRunning
		}
		dir := run.ItemDir(i)
		os.MkdirAll(dir, 0o755)
		body, _ := json.Marshal(st)
		os.WriteFile(filepath.Join(dir, results.StatusFile), body, 0o644)
	}
	var q strings.Builder
	q.WriteString("101|6300-9999%100|101|PENDING|JobArrayTaskLimit\n")
	for i := 6200; i < 6300; i++ {
		fmt.Fprintf(&q, "101|%d|%d|RUNNING|None\n", i, 1000+i)
	}
	queue := q.String()
	client := &sl.Client{Run: func(context.Context, string, ...string) ([]byte, []byte, error) { return []byte(queue), nil, nil }}
	b.ResetTimer()
	for range b.N {
		snap, err := slurmsched.Observe(context.Background(), client, run.Dir, run.Manifest)
		if err != nil {
			b.Fatal(err)
		}
		var out strings.Builder
		printStatus(&out, run, snap, false)
		if !strings.Contains(out.String(), "6200 done, 100 running, 3700 queued") {
			b.Fatalf("status:\n%s", out.String())
		}
	}
}

func loadTestConfig(root string) (*configs.Config, error) {
	return configs.Load(configs.Options{Env: []string{}, Sets: []string{
		"data.demo_dir=" + filepath.Join(root, "demo"), "results.dir=" + filepath.Join(root, "runs"),
	}})
}
