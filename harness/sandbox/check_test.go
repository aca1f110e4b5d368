package sandbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness/sandbox"
)

func TestCheck(t *testing.T) {
	canary := "sk-check-canary"
	t.Setenv("MLBENCH_CHECK_API_KEY", canary)
	opts := sandbox.CheckOptions{Dir: t.TempDir(), Canary: canary, Timeout: time.Second}
	t.Run("bwrap", func(t *testing.T) {
		b := newBwrap(t, testOptions())
		got, err := sandbox.Check(context.Background(), b, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 9 {
			t.Fatalf("want 9 checks, got %+v", got)
		}
		for _, r := range got {
			skipOK := r.Name == "fork bomb contained" && !b.Info().MaxProcs
			if r.Status != sandbox.CheckPass && !(skipOK && r.Status == sandbox.CheckSkip) {
				t.Errorf("%s: %s: %s", r.Name, r.Status, r.Detail)
			}
		}
	})
	t.Run("process", func(t *testing.T) {
		p := newProcess(t, testOptions())
		opts.Dir = t.TempDir()
		got, err := sandbox.Check(context.Background(), p, opts)
		if err != nil {
			t.Fatal(err)
		}
		// The process backend is honest about what it cannot do.
		want := map[string]string{
			"runs python": sandbox.CheckPass, "network blocked": sandbox.CheckFail, "answers hidden": sandbox.CheckFail,
			"env clean": sandbox.CheckPass, "data read-only": sandbox.CheckFail, "memory limit works": sandbox.CheckPass,
		}
		for _, r := range got {
			if w, ok := want[r.Name]; ok && r.Status != w {
				t.Errorf("%s: %s (%s), want %s", r.Name, r.Status, r.Detail, w)
			}
		}
	})
}
