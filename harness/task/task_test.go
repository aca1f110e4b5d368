package task_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness/task"
)

func TestSuites(t *testing.T) {
	reg := task.Registry{DataDir: t.TempDir(), DemoDir: filepath.Join(t.TempDir(), "demo"), DemoSeed: 1}
	cases := map[string]int{"mle-bench-full": 75, "mle-bench-lite": 22, "low": 22, "medium": 38, "high": 15, "dev": 7, "demo": 6}
	for name, want := range cases {
		t.Run(name, func(t *testing.T) {
			tasks, err := reg.Suite(name)
			if err != nil {
				t.Fatal(err)
			}
			if len(tasks) != want {
				t.Fatalf("suite %s has %d tasks, want %d", name, len(tasks), want)
			}
			seen := map[string]bool{}
			for _, tk := range tasks {
				if seen[tk.ID] {
					t.Errorf("duplicate task %s", tk.ID)
				}
				seen[tk.ID] = true
			}
		})
	}
}

func TestSplitsPartitionFull(t *testing.T) {
	reg := task.Registry{DataDir: t.TempDir()}
	full, _ := reg.Suite("mle-bench-full")
	bySplit := map[string]int{}
	for _, tk := range full {
		bySplit[tk.Split]++
	}
	if bySplit["low"] != 22 || bySplit["medium"] != 38 || bySplit["high"] != 15 {
		t.Errorf("splits of the full suite: %v", bySplit)
	}
}

func TestUnknownNames(t *testing.T) {
	reg := task.Registry{DataDir: t.TempDir(), DemoDir: t.TempDir()}
	_, err := reg.Suite("mle-bench-ful")
	if err == nil || !strings.Contains(err.Error(), `did you mean "mle-bench-full"`) {
		t.Errorf("unknown suite: %v", err)
	}
	_, err = reg.Task("spaceship-titanik")
	if err == nil || !strings.Contains(err.Error(), `did you mean "spaceship-titanic"`) {
		t.Errorf("unknown task: %v", err)
	}
	_, err = reg.Suite("file:/does/not/exist")
	if err == nil || !strings.Contains(err.Error(), "/does/not/exist") {
		t.Errorf("missing suite file: %v", err)
	}
}

func TestSuiteFile(t *testing.T) {
	dir := t.TempDir()
	reg := task.Registry{DataDir: dir, DemoDir: filepath.Join(dir, "demo"), DemoSeed: 1}
	good := filepath.Join(dir, "good.txt")
	os.WriteFile(good, []byte("# two tasks\nspaceship-titanic\n\ndemo-binary-auc  # a demo task\n"), 0o644)
	tasks, err := reg.Suite("file:" + good)
	if err != nil || len(tasks) != 2 || tasks[0].Kind != task.KindMLEBench || tasks[1].Kind != task.KindCustom {
		t.Fatalf("suite file: %v %+v", err, tasks)
	}
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("spaceship-titanic\nspaceship-titanik\n"), 0o644)
	_, err = reg.Suite("file:" + bad)
	if err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad suite file: %v", err)
	}
}

func TestMLEBenchLayout(t *testing.T) {
	dir := t.TempDir()
	reg := task.Registry{DataDir: dir}
	tk, err := reg.Task("spaceship-titanic")
	if err != nil {
		t.Fatal(err)
	}
	if tk.Prepared() {
		t.Fatal("empty data dir reported as prepared")
	}
	var npe *task.NotPreparedError
	err = error(&task.NotPreparedError{Task: tk})
	if !errors.As(err, &npe) || !errors.Is(err, task.ErrNotPrepared) || !strings.Contains(err.Error(), "mlebench prepare") {
		t.Errorf("not-prepared error: %v", err)
	}
	c, _ := grader.Lookup("spaceship-titanic")
	mustWrite(t, filepath.Join(dir, "spaceship-titanic", "prepared", "public", "train.csv"), "a\n1\n")
	mustWrite(t, filepath.Join(dir, c.Answers), "a\n1\n")
	if !tk.Prepared() {
		t.Errorf("prepared layout not detected (answers %s)", tk.AnswersPath())
	}
	if tk.PublicDir != filepath.Join(dir, "spaceship-titanic", "prepared", "public") {
		t.Errorf("public dir %s", tk.PublicDir)
	}
}

func mustWrite(t testing.TB, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCustomTask(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "my-task")
	mustWrite(t, filepath.Join(root, "task.yaml"), "name: Mine\nmetric: rmse\nid_column: id\ntarget_columns: [y]\n")
	mustWrite(t, filepath.Join(root, "prepared", "public", "train.csv"), "id,y\n1,2\n")
	mustWrite(t, filepath.Join(root, "prepared", "private", "test.csv"), "id,y\n1,2\n")
	reg := task.Registry{DataDir: dir}
	tk, err := reg.Task("my-task")
	if err != nil {
		t.Fatal(err)
	}
	if tk.ID != "my-task" || tk.Kind != task.KindCustom || !tk.LowerIsBetter || !tk.Prepared() || tk.Split != "custom" {
		t.Errorf("custom task: %+v", tk)
	}
	gt := tk.GraderTask()
	if gt == nil || gt.Metric != "rmse" || gt.TargetColumns[0] != "y" {
		t.Errorf("grader task: %+v", gt)
	}
	// A path works as an id too.
	if tk2, err := reg.Task(root); err != nil || tk2.ID != "my-task" {
		t.Errorf("task by path: %v %+v", err, tk2)
	}
}

func TestBadSpec(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"bad yaml", "metric: [\n", "parse"},
		{"unknown field", "metric: rmse\nid_column: id\ntarget_columns: [y]\ntarget: y\n", "target"},
		{"unknown metric", "metric: rmsee\nid_column: id\ntarget_columns: [y]\n", "rmsee"},
		{"no id column", "metric: rmse\ntarget_columns: [y]\n", "id_column"},
		{"no targets", "metric: rmse\nid_column: id\n", "target_columns"},
		{"answers public", "metric: rmse\nid_column: id\ntarget_columns: [y]\nanswers: prepared/public/a.csv\n", "prepared/private"},
		{"escape", "metric: rmse\nid_column: id\ntarget_columns: [y]\nanswers: ../x.csv\n", "inside the task folder"},
		{"bad id", "id: 'a b'\nmetric: rmse\nid_column: id\ntarget_columns: [y]\n", "id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := task.ParseSpec([]byte(tc.body), "task.yaml")
			var se *task.SpecError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "task.yaml") {
				t.Errorf("want SpecError mentioning %q, got %v", tc.want, err)
			}
		})
	}
}

func readTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMakeDemoDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	if err := task.MakeDemo(a, 7); err != nil {
		t.Fatal(err)
	}
	if err := task.MakeDemo(b, 7); err != nil {
		t.Fatal(err)
	}
	if err := task.MakeDemo(c, 8); err != nil {
		t.Fatal(err)
	}
	ta, tb, tc := readTree(t, a), readTree(t, b), readTree(t, c)
	// Seven files per table task; the image task has six and its images.
	if want := 5*7 + 6 + 1350; len(ta) != want {
		t.Errorf("want %d demo files, got %d", want, len(ta))
	}
	for name, body := range ta {
		if !bytes.Equal(body, tb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	if bytes.Equal(ta["demo-binary-auc/prepared/public/train.csv"], tc["demo-binary-auc/prepared/public/train.csv"]) {
		t.Error("a different seed gave the same data")
	}
}

func TestDemoTasksAreWellFormed(t *testing.T) {
	dir := t.TempDir()
	reg := task.Registry{DemoDir: dir, DemoSeed: 1}
	tasks, err := reg.Suite("demo")
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range tasks {
		t.Run(tk.ID, func(t *testing.T) {
			if !tk.Prepared() || tk.Leaderboard == "" {
				t.Fatalf("demo task not prepared: %+v", tk)
			}
			thr, err := grader.ThresholdsFromLeaderboard(tk.Leaderboard)
			if err != nil {
				t.Fatal(err)
			}
			if thr.LowerIsBetter != tk.LowerIsBetter {
				t.Errorf("leaderboard direction %v, metric direction %v", thr.LowerIsBetter, tk.LowerIsBetter)
			}
			// Medal thresholds must be ordered and the median below bronze.
			ordered := thr.Gold > thr.Silver && thr.Silver > thr.Bronze && thr.Bronze > thr.Median
			if tk.LowerIsBetter {
				ordered = thr.Gold < thr.Silver && thr.Silver < thr.Bronze && thr.Bronze < thr.Median
			}
			if !ordered {
				t.Errorf("thresholds out of order: %+v", thr)
			}
			// The image task has image folders and no test table, like
			// MLE-Bench's aerial-cactus-identification.
			public := []string{"train.csv", "test.csv", "sample_submission.csv", "description.md"}
			if tk.ID == "demo-image-accuracy" {
				public = []string{"train.csv", "train", "test", "sample_submission.csv", "description.md"}
			}
			for _, f := range public {
				if _, err := os.Stat(filepath.Join(tk.PublicDir, f)); err != nil {
					t.Error(err)
				}
			}
			if entries, _ := os.ReadDir(tk.PublicDir); len(entries) != len(public) {
				t.Errorf("public dir must hold only the %d public entries, has %d", len(public), len(entries))
			}
			// The sample submission is a valid submission scoring at the
			// bottom of the leaderboard.
			rep, err := grader.Grade(t.Context(), tk.GradeRequest(tk.SampleSubmissionPath(), ""))
			if err != nil {
				t.Fatal(err)
			}
			if !rep.ValidSubmission || rep.AnyMedal || rep.AboveMedian {
				t.Errorf("sample submission report: %+v", rep)
			}
		})
	}
}
