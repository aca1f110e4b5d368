package sandbox_test

import (
	"context"
	"os"
	"strings"
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
		if len(got) != 12 {
			t.Fatalf("want 12 checks, got %+v", got)
		}
		for _, r := range got {
			skipOK := r.Name == "fork bomb contained" && !b.Info().MaxProcs || strings.HasPrefix(r.Name, "gpu ") && strings.Contains(r.Detail, "no GPU assigned")
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

// TestCheckGPULines: with GPUs assigned, sandbox check reports what the
// sandbox shows of them. Here (no NVIDIA devices, a fake nvidia-smi on
// PATH, no torch) the device line fails, the nvidia-smi line names the
// fake's GPUs and the torch line is skipped.
func TestCheckGPULines(t *testing.T) {
	clearGPUEnv(t)
	fakeSMI(t, "0, GPU-aaa, NVIDIA H100 80GB HBM3, 81559", "1, GPU-bbb, NVIDIA H100 80GB HBM3, 81559")
	if _, err := os.Stat("/dev/nvidiactl"); err == nil {
		t.Skip("this machine has NVIDIA devices; the fake would not be what the check sees")
	}
	p := newProcess(t, testOptions())
	got, err := sandbox.Check(context.Background(), p, sandbox.CheckOptions{Dir: t.TempDir(), Timeout: time.Second, GPUs: []string{"0", "1"}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"gpu devices": sandbox.CheckFail, "gpu nvidia-smi": sandbox.CheckPass, "gpu torch": sandbox.CheckSkip}
	seen := 0
	for _, r := range got {
		w, ok := want[r.Name]
		if !ok {
			continue
		}
		seen++
		if r.Status != w {
			t.Errorf("%s: %s (%s), want %s", r.Name, r.Status, r.Detail, w)
		}
		if r.Name == "gpu nvidia-smi" && !strings.Contains(r.Detail, "2 GPUs: NVIDIA H100 80GB HBM3, 81559 MiB") {
			t.Errorf("nvidia-smi line: %s", r.Detail)
		}
	}
	if seen != 3 {
		t.Errorf("want the three GPU lines, got %+v", got)
	}
}
