package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/results"
)

// fakeGPUBin is a directory holding an nvidia-smi that lists gpus
// ("index, uuid, name, MiB" lines), or that fails as on a CPU node when
// there are none.
func fakeGPUBin(t *testing.T, gpus ...string) string {
	t.Helper()
	dir := t.TempDir()
	var list, query strings.Builder
	for _, g := range gpus {
		f := strings.Split(g, ", ")
		list.WriteString("GPU " + f[0] + ": " + f[2] + " (UUID: " + f[1] + ")\n")
		query.WriteString(g + "\n")
	}
	script := "#!/bin/sh\necho 'No devices were found'; exit 6\n"
	if len(gpus) > 0 {
		script = "#!/bin/sh\ncase \"$1\" in -L) printf '%s' '" + list.String() + "';; *) printf '%s' '" + query.String() + "';; esac\n"
	}
	writeFile(t, filepath.Join(dir, "nvidia-smi"), script, 0o755)
	return dir
}

// TestIntegrationGPUsFollowTheAllocation runs a default-config item (exec.gpus
// auto) as a Slurm element would: with two GPUs granted, the two search
// workers' runs each get one and the prompt names them; on a CPU element
// the runs get none and the prompt says there is no GPU.
func TestIntegrationGPUsFollowTheAllocation(t *testing.T) {
	needPython(t)
	const key = "sk-test-gpu-0123456789abcdef"
	cases := []struct {
		name       string
		env        []string
		gpus       []string
		wantPrompt string
		wantDevs   []string
	}{
		{"2-GPU element", []string{"SLURM_JOB_ID=41", "SLURM_JOB_GPUS=2,3", "CUDA_VISIBLE_DEVICES=0,1"},
			[]string{"0, GPU-11, NVIDIA H100 80GB HBM3, 81559", "1, GPU-22, NVIDIA H100 80GB HBM3, 81559"},
			"1 CUDA GPU visible to the program (CUDA): NVIDIA H100 80GB HBM3, 81559 MiB", []string{"0", "1"}},
		{"CPU element", []string{"SLURM_JOB_ID=42"}, nil, "No GPU is available", []string{""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, _ := fakeModel(t, key)
			env := append([]string{"OPENAI_API_KEY=" + key, "PATH=" + fakeGPUBin(t, c.gpus...) + ":" + os.Getenv("PATH")}, c.env...)
			runDir := runLLMDemo(t, env, srv.URL, t.TempDir(), "search.workers=2")
			item := results.ItemDir(runDir, 0)
			transcript, err := os.ReadFile(filepath.Join(item, "llm-transcript.jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(transcript), c.wantPrompt) {
				t.Errorf("no prompt says %q", c.wantPrompt)
			}
			if c.gpus == nil && strings.Contains(string(transcript), "GPU visible") {
				t.Error("a prompt on a CPU element claims a GPU")
			}
			// Each node printed the CUDA_VISIBLE_DEVICES it ran with.
			seen := map[string]bool{}
			outs, _ := filepath.Glob(filepath.Join(item, "nodes", "*", results.StdoutFile))
			for _, o := range outs {
				f, err := os.Open(o)
				if err != nil {
					t.Fatal(err)
				}
				sc := bufio.NewScanner(f)
				for sc.Scan() {
					if v, ok := strings.CutPrefix(sc.Text(), "cuda_visible_devices="); ok {
						seen[v] = true
					}
				}
				f.Close()
			}
			if len(seen) != len(c.wantDevs) {
				t.Errorf("runs saw CUDA_VISIBLE_DEVICES %v, want %v", seen, c.wantDevs)
			}
			for _, d := range c.wantDevs {
				if !seen[d] {
					t.Errorf("no run saw CUDA_VISIBLE_DEVICES=%q (saw %v)", d, seen)
				}
			}
		})
	}
}
