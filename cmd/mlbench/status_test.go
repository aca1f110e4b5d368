package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
)

// A local worker killed with SIGKILL leaves status.json saying running;
// status must see that nobody runs the item any more.
func TestIntegrationKilledWorkerIsInterrupted(t *testing.T) {
	needPython(t)
	root := t.TempDir()
	res := filepath.Join(root, "runs")
	cmd := exec.Command(mlbenchBin, append([]string{"run", "--task", "demo-regression-rmse", "--steps", "20", "--jobs", "1"}, localArgs(root)...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + root}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The worker names itself in the item's lock file once it holds it.
	deadline := time.Now().Add(2 * time.Minute)
	var owner results.Owner
	for {
		m, _ := filepath.Glob(filepath.Join(res, "*", "items", "0", "progress.json"))
		if len(m) == 1 {
			var err error
			if owner, err = results.ReadOwner(filepath.Dir(m[0])); err == nil && owner.PID > 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress or no owner record in items/0/.lock: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(owner.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait() // the run goes on without the item and ends
	dirs, _ := filepath.Glob(filepath.Join(res, "*"))
	status, _ := os.ReadFile(filepath.Join(dirs[0], "items", "0", "status.json"))
	if !strings.Contains(string(status), `"running"`) {
		t.Fatalf("status.json after kill -9 is not running (nothing to detect): %s", status)
	}
	out, errOut, code := mlbench(t, nil, "status", dirs[0])
	if code != 0 || !strings.Contains(out, "1 interrupted") || !strings.Contains(out, "mlbench resume") {
		t.Errorf("status after kill -9: exit %d\n%s%s", code, out, errOut)
	}
}
