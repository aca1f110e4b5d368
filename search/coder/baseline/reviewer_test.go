package baseline_test

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

func TestParseValidationMetric(t *testing.T) {
	cases := []struct {
		name string
		out  string
		want float64
		ok   bool
	}{
		{"plain", "validation_metric: 0.8123\n", 0.8123, true},
		{"last line wins", "validation_metric: 0.5\nrefit\nvalidation_metric: 0.75\ndone\n", 0.75, true},
		{"indented and exponent", "  validation_metric:   1.5e-3  \r\n", 0.0015, true},
		{"negative r2", "validation_metric: -0.25", -0.25, true},
		{"trailing words", "validation_metric: 0.9 (roc_auc)\n", 0.9, true},
		{"nan", "validation_metric: nan\n", 0, false},
		{"inf", "validation_metric: inf\n", 0, false},
		{"not a number", "validation_metric: high\n", 0, false},
		{"missing", "score: 0.9\n", 0, false},
		{"mid-line mention does not count", "we print validation_metric: 0.3 later\n", 0, false},
		{"empty", "", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := baseline.ParseValidationMetric(tc.out)
			if ok != tc.ok || (ok && got != tc.want) {
				t.Errorf("ParseValidationMetric(%q) = %v, %t; want %v, %t", tc.out, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseValidationMetric(f *testing.F) {
	for _, s := range []string{"validation_metric: 0.5\n", "x\nvalidation_metric: -1e300", "validation_metric: NaN",
		"validation_metric:\n", "validation_metric: 0x1p-2", "\r\nvalidation_metric: 1_000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, out string) {
		v, ok := baseline.ParseValidationMetric(out)
		if ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("ok with non-finite %v", v)
		}
		if ok && !strings.Contains(out, "validation_metric:") {
			t.Fatalf("ok without a validation_metric line")
		}
		if !ok && v != 0 {
			t.Fatalf("not ok but value %v", v)
		}
		// The reviewer never fails on any output.
		r := &baseline.Reviewer{}
		rv, err := r.Review(context.Background(), search.NodeSnapshot{Code: out}, search.ExecResult{Output: out, SubmissionExists: true, FormatValid: true})
		if err != nil {
			t.Fatal(err)
		}
		if rv.IsBug == ok {
			t.Fatalf("IsBug %t with metric ok %t", rv.IsBug, ok)
		}
		if strings.ContainsAny(rv.Summary, "\n\r") {
			t.Fatalf("summary spans lines: %q", rv.Summary)
		}
	})
}

func TestReview(t *testing.T) {
	lower := true
	good := "data: ...\nvalidation_metric_name: rmse\nlower_is_better: true\nvalidation_metric: 0.4321\nsubmission: ok\n"
	spec := "# mlbench-spec: {\"v\":1,\"family\":\"hgb\",\"move\":\"more_trees\",\"seed\":1}\n"
	cases := []struct {
		name      string
		rev       baseline.Reviewer
		code      string
		res       search.ExecResult
		bug       bool
		metric    float64
		lower     *bool
		summaryIn string
	}{
		{"working", baseline.Reviewer{LowerIsBetter: &lower, Metric: baseline.MetricRMSE}, spec,
			search.ExecResult{Output: good, SubmissionExists: true, FormatValid: true, Seconds: 2.5},
			false, 0.4321, &lower, "hgb after more_trees: validation rmse 0.4321 (lower is better) in 2.5s"},
		{"direction and name read from the output", baseline.Reviewer{}, "",
			search.ExecResult{Output: good, SubmissionExists: true, FormatValid: true},
			false, 0.4321, &lower, "solution: validation rmse 0.4321"},
		{"crash after the metric", baseline.Reviewer{}, spec,
			search.ExecResult{ExitCode: 1, Output: good + "Traceback (most recent call last):\n  File \"x\"\nValueError: bad ids\n", SubmissionExists: false},
			true, 0, &lower, "bug: exit code 1: ValueError: bad ids"},
		{"timeout", baseline.Reviewer{}, spec, search.ExecResult{TimedOut: true, ExitCode: -1, Seconds: 600},
			true, 0, nil, "bug: timed out after 600s"},
		{"oom", baseline.Reviewer{}, spec, search.ExecResult{OOM: true, ExitCode: 137},
			true, 0, nil, "killed for lack of memory"},
		{"no metric", baseline.Reviewer{}, spec, search.ExecResult{Output: "done\n", SubmissionExists: true, FormatValid: true},
			true, 0, nil, "no finite validation_metric"},
		{"no submission", baseline.Reviewer{}, spec, search.ExecResult{Output: good},
			true, 0, &lower, "no submission written"},
		{"invalid submission", baseline.Reviewer{}, spec, search.ExecResult{Output: good, SubmissionExists: true, FormatError: "missing column target"},
			true, 0, &lower, "invalid submission: missing column target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rv, err := tc.rev.Review(context.Background(), search.NodeSnapshot{Code: tc.code}, tc.res)
			if err != nil {
				t.Fatal(err)
			}
			if rv.IsBug != tc.bug {
				t.Errorf("IsBug = %t, want %t (%s)", rv.IsBug, tc.bug, rv.Summary)
			}
			switch {
			case tc.bug && rv.Metric != nil:
				t.Errorf("a bug carries metric %v", *rv.Metric)
			case !tc.bug && (rv.Metric == nil || *rv.Metric != tc.metric):
				t.Errorf("metric = %v, want %v", rv.Metric, tc.metric)
			}
			if (rv.LowerIsBetter == nil) != (tc.lower == nil) || (rv.LowerIsBetter != nil && *rv.LowerIsBetter != *tc.lower) {
				t.Errorf("LowerIsBetter = %v, want %v", rv.LowerIsBetter, tc.lower)
			}
			if !strings.Contains(rv.Summary, tc.summaryIn) {
				t.Errorf("summary %q does not contain %q", rv.Summary, tc.summaryIn)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := (&baseline.Reviewer{}).Review(ctx, search.NodeSnapshot{}, search.ExecResult{}); err == nil {
			t.Error("no error on a cancelled context")
		}
	})
}
