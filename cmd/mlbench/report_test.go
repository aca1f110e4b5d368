package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
)

// reportTestRun builds a run of the demo task demo-binary-auc with two
// items: item 0 done, whose nodes have a perfect submission (the answers),
// a constant one and none; item 1 still pending. It returns the run dir
// and the HOME that holds the demo data.
func reportTestRun(t *testing.T) (runDir, home string) {
	t.Helper()
	home = t.TempDir()
	env := []string{"HOME=" + home}
	if _, stderr, code := mlbench(t, env, "tasks", "make-demo"); code != 0 {
		t.Fatalf("make-demo: %d %s", code, stderr)
	}
	runDir = filepath.Join(t.TempDir(), "runs", "r-demo")
	cfg, stderr, code := mlbench(t, env, "config", "dump")
	if code != 0 {
		t.Fatalf("config dump: %s", stderr)
	}
	writeFile(t, filepath.Join(runDir, "config.yaml"), cfg, 0o644)
	m := results.Manifest{RunID: "r-demo", Items: []results.ManifestItem{
		{Index: 0, TaskID: "demo-binary-auc", Seed: 0},
		{Index: 1, TaskID: "demo-binary-auc", Seed: 1},
	}}
	if err := results.WriteJSON(filepath.Join(runDir, results.ManifestFile), m); err != nil {
		t.Fatal(err)
	}
	item := results.ItemDir(runDir, 0)
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	if err := os.MkdirAll(item, 0o755); err != nil {
		t.Fatal(err)
	}
	st := results.ItemStatus{State: results.StateDone, Attempts: 1, StartedAt: start, FinishedAt: start.Add(3 * time.Hour)}
	if err := results.WriteJSON(filepath.Join(item, results.StatusFile), st); err != nil {
		t.Fatal(err)
	}
	metric := func(v float64) *float64 { return &v }
	rows := []results.NodeRow{
		{RunID: "r-demo", TaskID: "demo-binary-auc", NodeID: "n1", Step: 1, Stage: "draft", CreatedAt: start,
			FinishedAt: start.Add(time.Hour), Metric: metric(0.6), Plan: "constant", Params: "{}"},
		{RunID: "r-demo", TaskID: "demo-binary-auc", NodeID: "n2", ParentID: "n1", Step: 2, Stage: "improve", CreatedAt: start.Add(time.Hour),
			FinishedAt: start.Add(2 * time.Hour), IsBuggy: true, ExitCode: 1, Plan: "crashes", Params: "{}"},
		{RunID: "r-demo", TaskID: "demo-binary-auc", NodeID: "n3", ParentID: "n1", Step: 3, Stage: "improve", CreatedAt: start.Add(2 * time.Hour),
			FinishedAt: start.Add(150 * time.Minute), Metric: metric(0.9), Plan: "perfect", Params: "{}"},
	}
	if err := results.WriteNodesFile(filepath.Join(item, results.TracePartName(0)), rows); err != nil {
		t.Fatal(err)
	}
	demo := filepath.Join(home, ".cache", "mlbench", "demo", "demo-binary-auc")
	sample, err := os.ReadFile(filepath.Join(demo, "prepared", "public", "sample_submission.csv"))
	if err != nil {
		t.Fatal(err)
	}
	answers, err := os.ReadFile(filepath.Join(demo, "prepared", "private", "test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(item, "nodes", "n1", results.SubmissionFile), string(sample), 0o644)
	writeFile(t, filepath.Join(item, "nodes", "n3", results.SubmissionFile), string(answers), 0o644)
	writeFile(t, filepath.Join(item, "nodes", "n3", results.CodeFile), "print('perfect')\n", 0o644)
	writeFile(t, filepath.Join(item, results.BestDir, results.BestNodeIDFile), "n3\n", 0o644)
	g := results.Grade{CompetitionID: "demo-binary-auc", Score: metric(1), SubmissionExists: true, ValidSubmission: true,
		GoldMedal: true, AnyMedal: true, AboveMedian: true}
	if err := results.WriteJSON(filepath.Join(item, results.GradeFile), g); err != nil {
		t.Fatal(err)
	}
	return runDir, home
}

func TestCLIReportCollectTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds demo data")
	}
	run, home := reportTestRun(t)
	env := []string{"HOME=" + home}
	out := t.TempDir()

	stdout, stderr, code := mlbench(t, env, "collect", run, "--grade-nodes", "--workers", "2")
	if code != 0 || !strings.Contains(stdout, "3 node(s) in 1 item(s): 2 newly graded, 0 already graded, 1 without submission, 0 failed") {
		t.Fatalf("collect --grade-nodes: %d\n%s\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(run, results.ResultsFile)); err != nil {
		t.Fatalf("no results.parquet: %v", err)
	}

	stdout, stderr, code = mlbench(t, env, "report", run, "--anytime", "--at", "1h,2.5h", "--format", "json", "--plot", filepath.Join(out, "p.svg"))
	if code != 0 {
		t.Fatalf("report: %d %s", code, stderr)
	}
	var rep struct {
		Runs []struct {
			Source  string `json:"source"`
			Pending int    `json:"pending"`
		} `json:"runs"`
		Medals []struct {
			Split    string                 `json:"split"`
			Seeds    int                    `json:"seeds"`
			AnyMedal struct{ Mean float64 } `json:"any_medal_pct"`
		} `json:"medals"`
		Anytime []struct {
			Hours    float64                `json:"hours"`
			AnyMedal struct{ Mean float64 } `json:"any_medal_pct"`
		} `json:"anytime"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("report json: %v\n%s", err, stdout)
	}
	// One item pending: results.parquet is not trusted, the items are read.
	if rep.Runs[0].Source != "items" || rep.Runs[0].Pending != 1 {
		t.Errorf("runs = %+v", rep.Runs)
	}
	if len(rep.Medals) != 1 || rep.Medals[0].Split != "all" || rep.Medals[0].Seeds != 1 || rep.Medals[0].AnyMedal.Mean != 100 {
		t.Errorf("medals = %+v", rep.Medals)
	}
	// At 1h the constant submission (no medal) is chosen; at 2.5h the perfect one (gold).
	if len(rep.Anytime) != 2 || rep.Anytime[0].AnyMedal.Mean != 0 || rep.Anytime[1].AnyMedal.Mean != 100 {
		t.Errorf("anytime = %+v", rep.Anytime)
	}
	if b, err := os.ReadFile(filepath.Join(out, "p.svg")); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("plot: %v", err)
	}

	// A run id under results.dir, flags after it, markdown.
	stdout, _, code = mlbench(t, env, "report", "r-demo", "--set", "results.dir="+filepath.Dir(run), "--tasks", "--format", "markdown")
	if code != 0 || !strings.Contains(stdout, "| r-demo | demo-binary-auc |") {
		t.Errorf("report by id: %d\n%s", code, stdout)
	}

	stdout, _, code = mlbench(t, env, "trace", "tree", run, "--item", "0")
	if code != 0 || !strings.Contains(stdout, "n3 improve metric 0.9 test gold (1) ★ best") || !strings.Contains(stdout, "n2 improve BUG exit 1") {
		t.Errorf("trace tree: %d\n%s", code, stdout)
	}
	page := filepath.Join(out, "tree.html")
	if _, stderr, code = mlbench(t, env, "trace", "tree", run, "--item", "0", "--html", page); code != 0 {
		t.Fatalf("trace tree --html: %s", stderr)
	}
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), "print(") {
		t.Errorf("html page: %v", err)
	}
}

func TestCLIReportUsageErrors(t *testing.T) {
	empty := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no run", []string{"report"}, "usage: mlbench report RUN"},
		{"not a run", []string{"report", empty}, "is not a run directory"},
		{"missing run", []string{"report", "no-such-run"}, `no run "no-such-run"`},
		{"bad format", []string{"report", empty, "--format", "xml"}, `unknown --format "xml"`},
		{"bad plot", []string{"report", empty, "--plot", "x.gif"}, "must end in .svg, .png or .pdf"},
		{"at without anytime", []string{"report", empty, "--at", "3h"}, "--at needs --anytime"},
		{"bad at", []string{"report", empty, "--anytime", "--at", "soon"}, `"soon" is not a duration`},
		{"unknown flag", []string{"report", empty, "--bogus"}, "unknown flag --bogus"},
		{"collect no run", []string{"collect"}, "usage: mlbench collect RUN"},
		{"regrade alone", []string{"collect", empty, "--regrade"}, "--regrade needs --grade-nodes"},
		{"tree no item", []string{"trace", "tree", empty}, "usage: mlbench trace tree RUN --item N"},
		// Every command that takes RUN resolves it the same way (results.ResolveRun).
		{"status not a run", []string{"status", empty}, "is not a run directory"},
		{"cancel missing run", []string{"cancel", "no-such-run"}, `no run "no-such-run"`},
		{"resume not a run", []string{"resume", empty}, "is not a run directory"},
		{"collect missing run", []string{"collect", "no-such-run"}, `no run "no-such-run"`},
		{"tree not a run", []string{"trace", "tree", empty, "--item", "0"}, "is not a run directory"},
		{"serve missing run", []string{"serve", "no-such-run"}, `no run "no-such-run"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, stderr, code := mlbench(t, nil, tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.want)
			}
		})
	}
}
