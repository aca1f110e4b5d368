package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// mlbenchBin is the binary built once for the CLI tests.
var mlbenchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mlbench-cli-")
	if err != nil {
		panic(err)
	}
	mlbenchBin = filepath.Join(dir, "mlbench")
	if out, err := exec.Command("go", "build", "-o", mlbenchBin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// mlbenchCmd is the binary with args, the caller's PATH, home as HOME and
// nothing else from the environment but env.
func mlbenchCmd(home string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(mlbenchBin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home}, env...)
	return cmd
}

// mlbench runs the binary with a private HOME and config, returning stdout,
// stderr and the exit code.
func mlbench(t testing.TB, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := mlbenchCmd(t.TempDir(), env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), code
}

func TestCLIBasics(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		env      []string
		code     int
		contains string // in stdout+stderr
		lines    int    // stdout lines, when > 0
	}{
		{"version", []string{"--version"}, nil, 0, "mlbench version", 0},
		{"help lists run", []string{"--help"}, nil, 0, "run", 0},
		{"full suite", []string{"tasks", "list", "--suite", "mle-bench-full"}, nil, 0, "aerial-cactus-identification", 76},
		{"lite suite", []string{"tasks", "list", "--suite", "mle-bench-lite"}, nil, 0, "", 23},
		{"medium suite", []string{"tasks", "list", "--suite", "medium"}, nil, 0, "", 39},
		{"high suite", []string{"tasks", "list", "--suite", "high"}, nil, 0, "", 16},
		{"unknown suite", []string{"tasks", "list", "--suite", "mle-bench-ful"}, nil, 2, `did you mean "mle-bench-full"`, 0},
		{"set shows", []string{"config", "dump", "--set", "search.uct_c=0.8"}, nil, 0, "uct_c: 0.8", 0},
		{"set wrong type", []string{"config", "dump", "--set", "search.uct_c=abc"}, nil, 2, "search.uct_c", 0},
		{"set typo", []string{"config", "dump", "--set", "search.uctc=1"}, nil, 2, "did you mean search.uct_c", 0},
		{"set list with commas", []string{"config", "dump", "--set", "search.phase_ratios=0.2,0.6"}, nil, 0, "- 0.6", 0},
		{"env", []string{"config", "dump"}, []string{"MLBENCH_SEARCH_WORKERS=7"}, 0, "workers: 7", 0},
		{"run unknown task", []string{"run", "--task", "spaceship-titanik"}, nil, 2, `did you mean "spaceship-titanic"`, 0},
		{"run unprepared", []string{"run", "--task", "spaceship-titanic", "--data-dir", "/nonexistent"}, nil, 2, "not prepared", 0},
		{"run nothing", []string{"run"}, nil, 2, "--suite demo", 0},
		{"run python missing", []string{"run", "--suite", "demo", "--set", "exec.python=/opt/nope/python3"}, nil, 2, "exec.python", 0},
		{"resume not a run", []string{"resume", "/nonexistent"}, nil, 2, `no run "/nonexistent"`, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := mlbench(t, tc.env, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.contains) {
				t.Errorf("output lacks %q:\n%s%s", tc.contains, out, errOut)
			}
			if tc.lines > 0 {
				if n := strings.Count(out, "\n"); n != tc.lines {
					t.Errorf("stdout has %d lines, want %d", n, tc.lines)
				}
			}
			if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic:") {
				t.Errorf("stack trace in output: %s", errOut)
			}
			if code != 0 && strings.Count(strings.TrimSpace(errOut), "\n") > 2 {
				t.Errorf("error is not short: %s", errOut)
			}
		})
	}
}

func TestCLIUnwritableResults(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	_, errOut, code := mlbench(t, nil, "run", "--suite", "demo", "--set", "data.demo_dir="+t.TempDir(), "--results", filepath.Join(file, "runs"))
	if code != 2 || !strings.Contains(errOut, "not writable") || !strings.Contains(errOut, "results.dir") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}

func TestIntegrationRunDemoTask(t *testing.T) {
	needPython(t)
	root := t.TempDir()
	out, errOut, code := mlbench(t, nil, append([]string{"run", "--task", "demo-binary-auc", "--steps", "3", "--time-limit", "5m"}, localArgs(root)...)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	for _, want := range []string{"Medal table", "demo-binary-auc", "100.0 ± 0.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "item 0 demo-binary-auc: done, score") {
		t.Errorf("stderr lacks the item summary:\n%s", errOut)
	}
	runs, _ := filepath.Glob(filepath.Join(root, "runs", "*", "items", "0", "grade.json"))
	if len(runs) != 1 {
		t.Errorf("want one graded item, found %v", runs)
	}
}

func TestIntegrationInterruptAndResume(t *testing.T) {
	needPython(t)
	root := t.TempDir()
	cmd, stderr := startRun(t, root, "demo-regression-rmse", "6")
	// Interrupt once the first node has finished.
	waitRun(t, "no progress", stderr, func() bool {
		m, _ := filepath.Glob(filepath.Join(root, "runs", "*", "items", "0", "progress.json"))
		return len(m) == 1
	})
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 130 || !strings.Contains(stderr.String(), "mlbench resume") {
		t.Fatalf("interrupted run: %v\n%s", err, stderr.String())
	}
	runDirs, _ := filepath.Glob(filepath.Join(root, "runs", "*"))
	status, _ := os.ReadFile(filepath.Join(runDirs[0], "items", "0", "status.json"))
	if !strings.Contains(string(status), `"cancelled"`) {
		t.Errorf("status after interrupt: %s", status)
	}
	if _, err := os.Stat(filepath.Join(runDirs[0], "items", "0", "checkpoint", "state.json")); err != nil {
		t.Errorf("no checkpoint after interrupt: %v", err)
	}
	// Resume finishes the item from its checkpoint.
	_, errOut, code := mlbench(t, nil, "resume", runDirs[0])
	if code != 0 || !strings.Contains(errOut, "done, score") {
		t.Errorf("resume: exit %d\n%s", code, errOut)
	}
}
