package baseline_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search/coder/baseline"
)

// files writes name -> CSV text into a fresh directory.
func files(tb testing.TB, fs map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for name, text := range fs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.TrimLeft(text, "\n")), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func ptr[T any](v T) *T { return &v }

func TestInspect(t *testing.T) {
	binaryTrain := `
id,age,city,survived
1,22,paris,0
2,38,rome,1
3,26,paris,1
4,35,oslo,0
5,,rome,1
`
	binaryTest := `
id,age,city
10,30,oslo
11,40,paris
`
	cases := []struct {
		name    string
		files   map[string]string
		task    baseline.Task
		want    baseline.Profile // compared on the fields set below
		wantErr error
		errHas  string
	}{
		{
			name: "binary probability inferred from a fractional sample",
			files: map[string]string{"train.csv": binaryTrain, "test.csv": binaryTest,
				"sample_submission.csv": "id,survived\n10,0.5\n11,0.5\n"},
			want: baseline.Profile{IDColumn: "id", Targets: []string{"survived"}, Problem: baseline.ProblemBinary,
				Output: baseline.OutputProba, Metric: baseline.MetricROCAUC, Positive: "1",
				Features: []string{"age", "city"}, Numeric: []string{"age"}, Categorical: []string{"city"}, HasMissing: true},
		},
		{
			name: "binary label from an integer sample",
			files: map[string]string{"train.csv": binaryTrain, "test.csv": binaryTest,
				"sample_submission.csv": "id,survived\n10,0\n11,0\n"},
			want: baseline.Profile{IDColumn: "id", Targets: []string{"survived"}, Problem: baseline.ProblemBinary,
				Output: baseline.OutputLabel, Metric: baseline.MetricAccuracy, Positive: "1"},
		},
		{
			name: "binary with lower-is-better direction picks log loss",
			files: map[string]string{"train.csv": binaryTrain, "test.csv": binaryTest,
				"sample_submission.csv": "id,survived\n10,0.5\n11,0.5\n"},
			task: baseline.Task{LowerIsBetter: ptr(true)},
			want: baseline.Profile{Output: baseline.OutputProba, Metric: baseline.MetricLogLoss, LowerIsBetter: true},
		},
		{
			name: "MLE-Bench grader name",
			files: map[string]string{"train.csv": binaryTrain, "test.csv": binaryTest,
				"sample_submission.csv": "id,survived\n10,0\n11,0\n"},
			task: baseline.Task{Metric: "auc-roc"},
			want: baseline.Profile{Output: baseline.OutputProba, Metric: baseline.MetricROCAUC},
		},
		{
			name: "class probability columns matched by suffix",
			files: map[string]string{
				"train.csv":             "id,f1,f2,target\n1,0.1,a,Class_1\n2,0.3,b,Class_2\n3,0.2,a,Class_3\n4,0.9,c,Class_10\n",
				"test.csv":              "id,f1,f2\n7,0.5,a\n8,0.1,b\n",
				"sample_submission.csv": "id,Class_1,Class_2,Class_3,Class_10\n7,0.25,0.25,0.25,0.25\n8,0.25,0.25,0.25,0.25\n"},
			want: baseline.Profile{IDColumn: "id", LabelColumn: "target", Problem: baseline.ProblemMulticlass,
				Output: baseline.OutputClassProba, Metric: baseline.MetricLogLoss, LowerIsBetter: true,
				Classes: []baseline.ClassColumn{{Column: "Class_1", Label: "Class_1"}, {Column: "Class_2", Label: "Class_2"},
					{Column: "Class_3", Label: "Class_3"}, {Column: "Class_10", Label: "Class_10"}}},
		},
		{
			name: "class columns named by the label's suffix",
			files: map[string]string{
				"train.csv":             "PassengerId,f,Species\n1,0.1,3\n2,0.3,1\n3,0.2,2\n4,0.7,1\n",
				"test.csv":              "PassengerId,f\n7,0.5\n8,0.1\n",
				"sample_submission.csv": "PassengerId,proba_1,proba_2,proba_3\n7,0.3,0.3,0.4\n8,0.3,0.3,0.4\n"},
			want: baseline.Profile{IDColumn: "PassengerId", LabelColumn: "Species", Problem: baseline.ProblemMulticlass,
				Classes: []baseline.ClassColumn{{Column: "proba_1", Label: "1"}, {Column: "proba_2", Label: "2"}, {Column: "proba_3", Label: "3"}}},
		},
		{
			name: "skewed positive regression target",
			files: map[string]string{
				"train.csv":             "key,x,y\n1,1,1.5\n2,2,2.25\n3,3,1.1\n4,4,95.2\n5,5,3.3\n6,6,2.7\n",
				"test.csv":              "key,x\n9,1\n10,2\n",
				"sample_submission.csv": "key,y\n9,0\n10,0\n"},
			want: baseline.Profile{IDColumn: "key", Problem: baseline.ProblemRegression, Output: baseline.OutputValue,
				Metric: baseline.MetricRMSE, LowerIsBetter: true, NonNegativeTarget: true, SkewedTarget: true},
		},
		{
			name: "regression metric forces regression on integer targets",
			files: map[string]string{
				"train.csv": binaryTrain, "test.csv": binaryTest, "sample_submission.csv": "id,survived\n10,0\n11,0\n"},
			task: baseline.Task{Metric: "mean-absolute-error"},
			want: baseline.Profile{Problem: baseline.ProblemRegression, Output: baseline.OutputValue, Metric: baseline.MetricMAE},
		},
		{
			name: "multi-label binary columns",
			files: map[string]string{
				"train.csv":             "id,text_len,toxic,obscene\n1,5,0,1\n2,8,1,0\n3,2,0,0\n",
				"test.csv":              "id,text_len\n4,3\n5,9\n",
				"sample_submission.csv": "id,toxic,obscene\n4,0.5,0.5\n5,0.5,0.5\n"},
			want: baseline.Profile{Targets: []string{"toxic", "obscene"}, Problem: baseline.ProblemMultilabel,
				Output: baseline.OutputProba, Metric: baseline.MetricROCAUC},
		},
		{
			name: "multi-output regression",
			files: map[string]string{
				"train.csv":             "id,a,u,v\n1,5,0.1,3.5\n2,8,1.7,0.2\n3,2,0.4,9.9\n",
				"test.csv":              "id,a\n4,3\n",
				"sample_submission.csv": "id,u,v\n4,0,0\n"},
			want: baseline.Profile{Problem: baseline.ProblemMultiRegression, Output: baseline.OutputValue, Metric: baseline.MetricRMSE},
		},
		{
			name: "no id column: rows in test order",
			files: map[string]string{
				"train.csv": "x,label\n1,a\n2,b\n3,a\n", "test.csv": "x\n4\n5\n", "sample_submission.csv": "label\na\na\n"},
			want: baseline.Profile{IDColumn: "", Targets: []string{"label"}, Output: baseline.OutputLabel, Positive: "b"},
		},
		{
			name: "id column given and BOM in header",
			files: map[string]string{
				"train.csv": "\ufeffrow,x,label\n1,1,a\n2,2,b\n", "test.csv": "\ufeffrow,x\n3,4\n", "sample_submission.csv": "\ufeffrow,label\n3,a\n"},
			task: baseline.Task{IDColumn: "row"},
			want: baseline.Profile{IDColumn: "row", Targets: []string{"label"}, Features: []string{"x"}},
		},
		{
			name:    "no train file",
			files:   map[string]string{"test.csv": "id\n1\n", "sample_submission.csv": "id,y\n1,0\n"},
			wantErr: baseline.ErrUnsupported, errHas: "train.csv: missing",
		},
		{
			name: "unknown metric",
			files: map[string]string{"train.csv": binaryTrain, "test.csv": binaryTest,
				"sample_submission.csv": "id,survived\n10,0\n11,0\n"},
			task:    baseline.Task{Metric: "kendall-tau"},
			wantErr: baseline.ErrUnsupported, errHas: `metric "kendall-tau"`,
		},
		{
			name: "direction contradicts the metric",
			files: map[string]string{"train.csv": binaryTrain, "test.csv": binaryTest,
				"sample_submission.csv": "id,survived\n10,0\n11,0\n"},
			task:    baseline.Task{Metric: "roc_auc", LowerIsBetter: ptr(true)},
			wantErr: baseline.ErrUnsupported, errHas: "lower_is_better=true",
		},
		{
			name: "given id column missing from the sample",
			files: map[string]string{"train.csv": binaryTrain, "test.csv": binaryTest,
				"sample_submission.csv": "id,survived\n10,0\n11,0\n"},
			task:    baseline.Task{IDColumn: "PassengerId"},
			wantErr: baseline.ErrUnsupported, errHas: `id column "PassengerId"`,
		},
		{
			name: "no shared feature",
			files: map[string]string{
				"train.csv": "id,a,y\n1,2,3\n", "test.csv": "id,b\n5,6\n", "sample_submission.csv": "id,y\n5,0\n"},
			wantErr: baseline.ErrUnsupported, errHas: "no feature columns",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			task := tc.task
			task.ID = "t"
			task.PublicDir = files(t, tc.files)
			got, err := baseline.Inspect(task)
			if tc.wantErr != nil || tc.errHas != "" {
				if err == nil {
					t.Fatalf("Inspect: no error, want one containing %q", tc.errHas)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Errorf("error %v does not wrap %v", err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("error %q does not contain %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("Inspect: %v", err)
			}
			w := tc.want
			check := func(field string, ok bool, g, want any) {
				if !ok {
					t.Errorf("%s = %v, want %v", field, g, want)
				}
			}
			if w.IDColumn != "" || tc.name == "no id column: rows in test order" {
				check("IDColumn", got.IDColumn == w.IDColumn, got.IDColumn, w.IDColumn)
			}
			if w.Targets != nil {
				check("Targets", slices.Equal(got.Targets, w.Targets), got.Targets, w.Targets)
			}
			if w.LabelColumn != "" {
				check("LabelColumn", got.LabelColumn == w.LabelColumn, got.LabelColumn, w.LabelColumn)
			}
			if w.Problem != "" {
				check("Problem", got.Problem == w.Problem, got.Problem, w.Problem)
			}
			if w.Output != "" {
				check("Output", got.Output == w.Output, got.Output, w.Output)
			}
			if w.Metric != "" {
				check("Metric", got.Metric == w.Metric, got.Metric, w.Metric)
				check("LowerIsBetter", got.LowerIsBetter == w.Metric.LowerIsBetter(), got.LowerIsBetter, w.Metric.LowerIsBetter())
			}
			if w.Positive != "" {
				check("Positive", got.Positive == w.Positive, got.Positive, w.Positive)
			}
			if w.Classes != nil {
				check("Classes", slices.Equal(got.Classes, w.Classes), got.Classes, w.Classes)
			}
			if w.Features != nil {
				check("Features", slices.Equal(got.Features, w.Features), got.Features, w.Features)
			}
			if w.Numeric != nil {
				check("Numeric", slices.Equal(got.Numeric, w.Numeric), got.Numeric, w.Numeric)
				check("Categorical", slices.Equal(got.Categorical, w.Categorical), got.Categorical, w.Categorical)
				check("HasMissing", got.HasMissing == w.HasMissing, got.HasMissing, w.HasMissing)
			}
			if w.SkewedTarget {
				check("SkewedTarget", got.SkewedTarget, got.SkewedTarget, true)
				check("NonNegativeTarget", got.NonNegativeTarget, got.NonNegativeTarget, true)
			}
		})
	}
}

func TestParseMetric(t *testing.T) {
	cases := []struct {
		in    string
		want  baseline.Metric
		known bool
	}{
		{"roc_auc", baseline.MetricROCAUC, true},
		{"AUC-ROC", baseline.MetricROCAUC, true},
		{"multi-class-log-loss", baseline.MetricLogLoss, true},
		{"root_mean_squared_error", baseline.MetricRMSE, true},
		{"quadratic-weighted-kappa", baseline.MetricQWK, true},
		{"Macro F1 Score", baseline.MetricF1Macro, true},
		{"top-1-classification-error", baseline.MetricError, true},
		{"mean-column-wise-rmsle", baseline.MetricRMSLE, true},
		{"kendall-tau", "", false},
	}
	for _, tc := range cases {
		got, ok := baseline.ParseMetric(tc.in)
		if got != tc.want || ok != tc.known {
			t.Errorf("ParseMetric(%q) = %q, %t; want %q, %t", tc.in, got, ok, tc.want, tc.known)
		}
	}
	for _, m := range baseline.Metrics() {
		if got, ok := baseline.ParseMetric(string(m)); !ok || got != m {
			t.Errorf("canonical %q does not parse to itself", m)
		}
	}
}
