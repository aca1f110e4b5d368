package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
)

// externalArgs run the shipped example agent as the external agent under
// bubblewrap.
func externalArgs(root string) []string {
	return []string{
		"--set", "agent.external.start=example", "--set", "agent.external.time_limit=10m",
		"--set", "exec.sandbox=bwrap", "--set", "exec.python=/usr/bin/python3",
		"--set", "data.demo_dir=" + filepath.Join(root, "demo"), "--set", "memory.wisdom.dir=" + filepath.Join(root, "wisdom"),
		"--results", filepath.Join(root, "runs"),
	}
}

func needBwrap(t *testing.T) {
	t.Helper()
	needPython(t)
	if err := exec.Command("bwrap", "--unshare-all", "--ro-bind", "/", "/", "true").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs bubblewrap: %v", err)
		}
		t.Skipf("bubblewrap is not usable here: %v", err)
	}
}

// checkExternalItems checks what an external agent must leave in every
// item: a valid graded submission, its validation calls in the item's log
// and its journal as node rows.
func checkExternalItems(t *testing.T, run *harness.Run, logOf func(item int) string) {
	t.Helper()
	for i, m := range run.Manifest.Items {
		if cfg, _ := run.ItemConfig(i); cfg == nil || cfg.Agent.Kind != "external" {
			continue
		}
		dir := run.ItemDir(i)
		if n, valid, _ := harness.ReadValidationCalls(dir); n < 1 || !valid {
			t.Errorf("item %d (%s): %d validation calls, last valid %v", i, m.TaskID, n, valid)
		}
		if log := logOf(i); !strings.Contains(log, "validation call 1: valid") || !strings.Contains(log, "imported 3 nodes") {
			t.Errorf("item %d: the log lacks the validation calls or the import:\n%s", i, log)
		}
		rows, err := results.NewReader(nil).Nodes(context.Background(), dir)
		if err != nil || len(rows) != 3 {
			t.Errorf("item %d: %d node rows (%v), want the journal's 3", i, len(rows), err)
		}
	}
}

// The example agent on the demo suite beside the offline baseline in one
// run (a sweep over agent.kind), compared in one medal table.
func TestIntegrationExternalAgentDemo(t *testing.T) {
	needBwrap(t)
	root := t.TempDir()
	// The four tabular demo tasks: the offline baseline beside it on the
	// image and text tasks too would double the test's time, and
	// TestIntegrationSlurmExternalAgent runs the example on all six.
	args := append([]string{"run", "--task", "demo-binary-auc", "--task", "demo-multiclass-logloss",
		"--task", "demo-regression-rmse", "--task", "demo-multiclass-accuracy", "--grid", "agent.kind=mlbench,external", "--jobs", "2",
		"--coder", "baseline", "--steps", "2", "--workers", "1", "--time-limit", "10m"}, externalArgs(root)...)
	out, errOut, code := mlbench(t, nil, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	runs, _ := filepath.Glob(filepath.Join(root, "runs", "*", "manifest.json"))
	if len(runs) != 1 {
		t.Fatalf("runs: %v", runs)
	}
	run, err := harness.Open(filepath.Dir(runs[0]), "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := results.Collect(context.Background(), run.Dir, results.CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 8 {
		t.Fatalf("%d result rows, want 8", len(r.Rows))
	}
	for _, row := range r.Rows {
		if row.Status != results.StateDone || !row.ValidSubmission {
			t.Errorf("item %d (%s %s): %s, valid %v", row.Item, row.TaskID, row.Params, row.Status, row.ValidSubmission)
		}
	}
	checkExternalItems(t, run, func(i int) string {
		b, _ := os.ReadFile(filepath.Join(run.ItemDir(i), "worker.log"))
		return string(b)
	})
	out, errOut, code = mlbench(t, nil, "report", run.Dir, "--by", "agent.kind")
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	t.Logf("report --by agent.kind:\n%s", out)
	for _, want := range []string{"external", "mlbench", "Medal table"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = mlbench(t, nil, "status", "--all", run.Dir)
	if !strings.Contains(out, "validations (last valid)") {
		t.Errorf("status lacks the agent's validation calls:\n%s", out)
	}
}

// The example agent on the demo suite as one Slurm array.
func TestIntegrationSlurmExternalAgent(t *testing.T) {
	needSlurm(t)
	needBwrap(t)
	root := t.TempDir()
	args := append([]string{"--suite", "demo", "--set", "agent.kind=external"}, clusterArgs(root, 2)...)
	run := submit(t, root, 2, append(args, externalArgs(root)...)...)
	waitFor(t, run, 10*time.Minute, "done", allDone)
	checkExternalItems(t, run, func(int) string { return elementLogs(run.Dir) })
	r, err := results.Collect(context.Background(), run.Dir, results.CollectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range r.Rows {
		if row.Status != results.StateDone || !row.ValidSubmission || row.Nodes != 3 {
			t.Errorf("item %d: %+v", row.Item, row)
		}
	}
	out, errOut, code := mlbench(t, nil, "report", run.Dir, "--by", "agent.kind")
	if code != 0 || !strings.Contains(out, "external") {
		t.Errorf("report --by agent.kind: exit %d\n%s%s", code, out, errOut)
	}
}
