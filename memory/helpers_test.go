package memory_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/memory"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// golden compares got with testdata/<test name>/<name>.golden, rewriting the
// file instead when -update is given.
func golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", strings.Split(t.Name(), "/")[0], name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", name, path, got, want)
	}
}

func metric(f float64) *float64 { return &f }

// code makes a plausible Python program of about lines lines.
func code(model string, lines int) string {
	var b strings.Builder
	b.WriteString("import pandas as pd\nimport numpy as np\nfrom sklearn.model_selection import KFold\n")
	b.WriteString("from sklearn.ensemble import " + model + "\n\n")
	b.WriteString("train = pd.read_csv('./input/train.csv')\ntest = pd.read_csv('./input/test.csv')\n")
	for i := 0; i < lines; i++ {
		b.WriteString("train['f" + itoa(i) + "'] = train['a'] * " + itoa(i) + "  # feature " + itoa(i) + "\n")
	}
	b.WriteString("model = " + model + "(n_estimators=300)\nmodel.fit(train.drop(columns=['y']), train['y'])\n")
	b.WriteString("pd.DataFrame({'id': test['id'], 'y': model.predict(test)}).to_csv('./submission/submission.csv', index=False)\n")
	return b.String()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// output makes a plausible run log of n lines ending with tail.
func output(n int, tail string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("fold " + itoa(i) + ": rmse 0." + itoa(300+i) + "\n")
	}
	b.WriteString(tail)
	return b.String()
}

const traceback = `Traceback (most recent call last):
  File "/tmp/run/runfile.py", line 12, in <module>
    train['f0'] = train['a'] * 0
  File "/usr/lib/python3/dist-packages/pandas/core/frame.py", line 3761, in __getitem__
    indexer = self.columns.get_loc(key)
KeyError: 'a'
`

// tree is a small search tree shared by the tests:
//
//	d1 (draft, 0.42) -> i1 (improve, 0.40 better), i2 (improve, 0.45 worse), i3 (improve, buggy)
//	d2 (draft, buggy KeyError) -> b1 (debug, buggy KeyError) -> b2 (debug, buggy ValueError)
//	d3 (draft, 0.50)
func tree() map[string]memory.Node {
	nodes := []memory.Node{
		{ID: "d1", Step: 1, Stage: memory.StageDraft, Plan: "Gradient-boosted trees (LightGBM) on the raw numeric features with 5-fold CV.\n\nDetails follow.", Code: code("LGBMRegressor", 6), Output: output(5, "Validation rmse: 0.42\n"), Summary: "Trained LightGBM; CV rmse 0.42.", Metric: metric(0.42)},
		{ID: "d2", Step: 2, Stage: memory.StageDraft, Plan: "A random forest on one-hot encoded categoricals.", Code: code("RandomForestRegressor", 4), Output: traceback, Summary: "The script failed: column 'a' is missing.", IsBuggy: true, Error: "KeyError: 'a'"},
		{ID: "d3", Step: 3, Stage: memory.StageDraft, Plan: "Ridge regression on standardised features.", Code: code("Ridge", 3), Output: "Validation rmse: 0.50\n", Metric: metric(0.5)},
		{ID: "i1", ParentID: "d1", Step: 4, Stage: memory.StageImprove, Plan: "Add target encoding of the categorical columns.", Code: code("LGBMRegressor", 8), Output: output(5, "Validation rmse: 0.40\n"), Metric: metric(0.40)},
		{ID: "i2", ParentID: "d1", Step: 5, Stage: memory.StageImprove, Plan: "Raise n_estimators to 3000 with a lower learning rate.", Code: code("LGBMRegressor", 7), Output: output(8, "Validation rmse: 0.45\n"), Metric: metric(0.45)},
		{ID: "i3", ParentID: "d1", Step: 6, Stage: memory.StageImprove, Plan: "Stack LightGBM with a k-NN regressor.", Code: code("LGBMRegressor", 7), Output: "Traceback (most recent call last):\n  File \"runfile.py\", line 30\nValueError: Input X contains NaN.\n", IsBuggy: true, Error: "ValueError: Input X contains NaN."},
		{ID: "b1", ParentID: "d2", Step: 7, Stage: memory.StageDebug, Plan: "Rename column 'a' to 'A'.", Code: code("RandomForestRegressor", 4), Output: strings.Replace(traceback, "'a'", "'A'", -1), IsBuggy: true, Error: "KeyError: 'A'"},
		{ID: "b2", ParentID: "b1", Step: 8, Stage: memory.StageDebug, Plan: "Read the column list from the CSV header.", Code: code("RandomForestRegressor", 5), Output: "Traceback (most recent call last):\n  File \"runfile.py\", line 9\nValueError: could not convert string to float: 'red'\n", IsBuggy: true, Error: "ValueError: could not convert string to float: 'red'"},
	}
	m := map[string]memory.Node{}
	for _, n := range nodes {
		m[n.ID] = n
	}
	return m
}

func pick(m map[string]memory.Node, ids ...string) []memory.Node {
	out := make([]memory.Node, 0, len(ids))
	for _, id := range ids {
		out = append(out, m[id])
	}
	return out
}
