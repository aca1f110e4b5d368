package slurm_test

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/slurm"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with testdata/<test name>.golden (rewritten with -update).
func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func fullScript() slurm.Script {
	return slurm.Script{
		RunID:       "20260101-120000-abcdef",
		RunDir:      "/shared/runs/20260101-120000-abcdef",
		LogDir:      "/shared/runs/20260101-120000-abcdef/slurm/logs",
		Binary:      "/shared/bin/mlbench",
		WorkDir:     "/shared/project",
		Chunk:       slurm.Chunk{Base: 0, Indices: []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		Throttle:    4,
		Time:        "1-12:00:00",
		Partition:   "gpu",
		Account:     "ml-lab",
		QOS:         "high",
		Gres:        "gpu:a100:1",
		CPUsPerTask: 8,
		Mem:         "64G",
		Requeue:     true,
		MaxAttempts: 3,
		SignalGrace: 5 * time.Minute,
		Extra:       []string{"--constraint=a100", "#SBATCH --mail-type=FAIL", "--exclude=node[01-02]"},
	}
}

func TestRenderScript(t *testing.T) {
	cases := []struct {
		name string
		edit func(*slurm.Script)
	}{
		{"full", func(*slurm.Script) {}},
		{"minimal", func(s *slurm.Script) {
			*s = slurm.Script{RunID: "r1", RunDir: "/runs/r1", LogDir: "/runs/r1/slurm/logs", Binary: "/usr/local/bin/mlbench", Chunk: slurm.Chunk{Indices: []int{0, 1, 2}}}
		}},
		{"resubmit-index-list", func(s *slurm.Script) {
			s.Chunk = slurm.Chunk{Base: 1000, Indices: []int{3, 7, 8, 9, 12, 20, 21}}
			s.Throttle = 0
		}},
		{"apptainer", func(s *slurm.Script) {
			s.Container = &slurm.Container{Binary: "/usr/bin/apptainer", Image: "/shared/images/mlbench.sif",
				Binds: []string{"/shared/runs", "/shared/bin", "/data/mle bench"}, Args: []string{"--nv"}}
		}},
		{"quoted-binary", func(s *slurm.Script) {
			s.Binary = "/opt/ml bench/it's/mlbench"
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := fullScript()
			tc.edit(&s)
			got, err := slurm.RenderScript(s)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, got)
			if bash, err := exec.LookPath("bash"); err == nil {
				cmd := exec.Command(bash, "-n")
				cmd.Stdin = strings.NewReader(string(got))
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("bash -n: %v: %s", err, out)
				}
			}
		})
	}
}

func TestRenderScriptRejects(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(*slurm.Script)
		option string
	}{
		{"relative run dir", func(s *slurm.Script) { s.RunDir = "runs/x" }, "run dir"},
		{"run dir with space", func(s *slurm.Script) { s.RunDir = "/shared/my runs/x" }, "run dir"},
		{"run dir with percent", func(s *slurm.Script) { s.RunDir = "/shared/100%/x" }, "run dir"},
		{"relative log dir", func(s *slurm.Script) { s.LogDir = "runs/x/slurm/logs" }, "log dir"},
		{"log dir with percent", func(s *slurm.Script) { s.LogDir = "/shared/100%/logs" }, "log dir"},
		{"work dir with quote", func(s *slurm.Script) { s.WorkDir = `/home/o"neil` }, "work dir"},
		{"relative binary", func(s *slurm.Script) { s.Binary = "mlbench" }, "binary"},
		{"no items", func(s *slurm.Script) { s.Chunk.Indices = nil }, "array"},
		{"unsorted", func(s *slurm.Script) { s.Chunk.Indices = []int{3, 1} }, "array"},
		{"bad time", func(s *slurm.Script) { s.Time = "12 hours" }, "slurm.time"},
		{"bad mem", func(s *slurm.Script) { s.Mem = "64 GB" }, "slurm.mem"},
		{"partition injection", func(s *slurm.Script) { s.Partition = "gpu\n#SBATCH --uid=0" }, "slurm.partition"},
		{"negative attempts", func(s *slurm.Script) { s.MaxAttempts = -1 }, "slurm.max_attempts"},
		{"negative throttle", func(s *slurm.Script) { s.Throttle = -1 }, "slurm.array_throttle"},
		{"grace too long", func(s *slurm.Script) { s.SignalGrace = 20 * time.Hour }, "slurm.signal_grace"},
		{"extra not an option", func(s *slurm.Script) { s.Extra = []string{"constraint=a100"} }, "slurm.extra"},
		{"extra two lines", func(s *slurm.Script) { s.Extra = []string{"--constraint=a100\nrm -rf /"} }, "slurm.extra"},
		{"extra output", func(s *slurm.Script) { s.Extra = []string{"--output=/tmp/x"} }, "slurm.extra"},
		{"extra short output", func(s *slurm.Script) { s.Extra = []string{"-o/tmp/x"} }, "slurm.extra"},
		{"extra array prefix", func(s *slurm.Script) { s.Extra = []string{"--arr=0-3"} }, "slurm.extra"},
		{"extra open prefix", func(s *slurm.Script) { s.Extra = []string{"--open=truncate"} }, "slurm.extra"},
		{"extra chdir", func(s *slurm.Script) { s.Extra = []string{"#SBATCH -D /tmp"} }, "slurm.extra"},
		{"container without image", func(s *slurm.Script) { s.Container = &slurm.Container{} }, "slurm.container"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := fullScript()
			tc.edit(&s)
			_, err := slurm.RenderScript(s)
			var oe *slurm.OptionError
			if !errors.As(err, &oe) {
				t.Fatalf("want *OptionError, got %v", err)
			}
			if oe.Option != tc.option {
				t.Errorf("option %q, want %q (%v)", oe.Option, tc.option, err)
			}
		})
	}
}

func TestValidateExtraKeepsOthers(t *testing.T) {
	for _, d := range []string{"--constraint=a100", "--exclusive", "-C a100", "--account-extra=x", "--nice=10", "-A lab"} {
		got, err := slurm.ValidateExtra(d)
		if err != nil {
			t.Errorf("%q: %v", d, err)
		}
		if got != strings.TrimSpace(d) {
			t.Errorf("%q became %q", d, got)
		}
	}
}
