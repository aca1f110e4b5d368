package sandbox_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/harness/sandbox/sandboxtest"
)

// fakeSMI puts an nvidia-smi on a PATH of its own that lists gpus (lines of
// "index, uuid, name, memory"); none makes it fail as on a machine without
// GPUs. Only that directory and /usr/bin:/bin stay on PATH.
func fakeSMI(t *testing.T, gpus ...string) {
	t.Helper()
	dir := t.TempDir()
	sandboxtest.FakeNvidiaSMI(t, dir, gpus...)
	t.Setenv("PATH", dir+":/usr/bin:/bin")
}

// clearGPUEnv unsets what DetectGPUs reads from the environment.
func clearGPUEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"CUDA_VISIBLE_DEVICES", "SLURM_JOB_GPUS", "SLURM_STEP_GPUS", "SLURM_JOB_ID"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
}

func TestDetectGPUs(t *testing.T) {
	two := []string{"0, GPU-aaa, NVIDIA H100 80GB HBM3, 81559", "1, GPU-bbb, NVIDIA H100 80GB HBM3, 81559"}
	cases := []struct {
		name string
		env  map[string]string
		smi  []string
		want []string
	}{
		{"CPU node", nil, nil, []string{}},
		{"nvidia-smi lists two", nil, two, []string{"0", "1"}},
		{"CUDA_VISIBLE_DEVICES wins", map[string]string{"CUDA_VISIBLE_DEVICES": "1"}, two, []string{"1"}},
		{"CUDA_VISIBLE_DEVICES empty is none", map[string]string{"CUDA_VISIBLE_DEVICES": ""}, two, []string{}},
		{"NoDevFiles is none", map[string]string{"CUDA_VISIBLE_DEVICES": "NoDevFiles"}, two, []string{}},
		{"Slurm element with GPUs", map[string]string{"SLURM_JOB_ID": "7", "SLURM_JOB_GPUS": "2,3"}, two, []string{"2", "3"}},
		{"Slurm CPU element on a GPU node", map[string]string{"SLURM_JOB_ID": "7"}, two, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clearGPUEnv(t)
			fakeSMI(t, c.smi...)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			got := sandbox.DetectGPUs()
			if got == nil || !slices.Equal(got, c.want) {
				t.Fatalf("DetectGPUs() = %#v, want %#v", got, c.want)
			}
			if g, err := sandbox.ParseGPUs("auto"); err != nil || !slices.Equal(g, c.want) {
				t.Fatalf("ParseGPUs(auto) = %v, %v", g, err)
			}
		})
	}
}

func TestDescribeGPUs(t *testing.T) {
	clearGPUEnv(t)
	fakeSMI(t, "0, GPU-aaa, NVIDIA A100-SXM4-80GB, 81920", "1, GPU-bbb, NVIDIA A100-SXM4-80GB, 81920")
	got, err := sandbox.DescribeGPUs(context.Background(), []string{"1", "GPU-aaa"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].UUID != "GPU-bbb" || got[1].ID != "GPU-aaa" || got[0].String() != "NVIDIA A100-SXM4-80GB, 81920 MiB" {
		t.Fatalf("DescribeGPUs = %+v", got)
	}
	// Renumbered inside a constrained Slurm job: ids 2,3 are the only rows 0,1.
	got, _ = sandbox.DescribeGPUs(context.Background(), []string{"2", "3"})
	if got[1].UUID != "GPU-bbb" || got[1].ID != "3" {
		t.Fatalf("positional match: %+v", got)
	}
	// Without nvidia-smi the ids stay, with an error for the log.
	t.Setenv("PATH", t.TempDir())
	got, err = sandbox.DescribeGPUs(context.Background(), []string{"0"})
	if err == nil || len(got) != 1 || got[0].String() != "GPU 0" {
		t.Fatalf("without nvidia-smi: %+v %v", got, err)
	}
}

// TestProbe runs the environment probe in every backend that works here
// and checks what it reports of Debian's Python.
func TestProbe(t *testing.T) {
	needPython(t)
	for _, b := range []struct {
		name string
		new  func(testing.TB, sandbox.Options) sandbox.Executor
	}{
		{"process", func(tb testing.TB, o sandbox.Options) sandbox.Executor { return newProcess(tb, o) }},
		{"bwrap", func(tb testing.TB, o sandbox.Options) sandbox.Executor { return newBwrap(tb, o) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			o := testOptions()
			o.Timeout = 60 * time.Second
			e := b.new(t, o)
			task := newTask(t)
			res := run(t, e, task.spec(sandbox.ProbeCode))
			if !res.OK() {
				t.Fatalf("probe: %s\n%s", res.Status(), res.Output)
			}
			env, err := sandbox.ParseProbe(res.Stdout)
			if err != nil {
				t.Fatal(err)
			}
			if env.Python == "" || !env.Has("numpy") || !env.Has("pandas") || !env.Has("scikit-learn") {
				t.Errorf("probe missed Debian's packages: %+v", env)
			}
			if list := env.PackageList(); !strings.Contains(strings.Join(list, ","), "numpy ") {
				t.Errorf("package list: %v", list)
			}
		})
	}
}

func TestParseProbe(t *testing.T) {
	out := "noise\n" + sandbox.ProbeMarker + `{"python":"3.11.2","packages":{"torch":"2.3.1","numpy":"1.26.4"},"devices":["nvidia0","nvidia1","nvidiactl"],"nvidia_smi":"0, GPU-a, NVIDIA A100-SXM4-80GB, 81920\n1, GPU-b, NVIDIA A100-SXM4-80GB, 81920","torch_cuda":true,"torch_devices":["NVIDIA A100-SXM4-80GB","NVIDIA A100-SXM4-80GB"]}` + "\nmlbench-ok\n"
	env, err := sandbox.ParseProbe(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := env.Accelerators(); got != "2 GPUs (NVIDIA A100-SXM4-80GB, 81920 MiB; NVIDIA A100-SXM4-80GB, 81920 MiB), torch CUDA yes" {
		t.Errorf("Accelerators() = %q", got)
	}
	if got := strings.Join(env.PackageList(), ", "); got != "numpy 1.26.4, torch 2.3.1" {
		t.Errorf("PackageList() = %q", got)
	}
	if _, err := sandbox.ParseProbe("mlbench-ok\n"); err == nil {
		t.Error("output without the probe line must be an error")
	}
	if env, _ := sandbox.ParseProbe(sandbox.ProbeMarker + `{"python":"3.11","packages":{}}`); env.Accelerators() != "no GPU" {
		t.Errorf("no GPU: %q", env.Accelerators())
	}
}
