package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/mlbench/mlbench/results"
)

// A local worker killed with SIGKILL leaves status.json saying running;
// status must see that nobody runs the item any more.
func TestIntegrationKilledWorkerIsInterrupted(t *testing.T) {
	needPython(t)
	root := t.TempDir()
	res := filepath.Join(root, "runs")
	cmd, stderr := startRun(t, root, "demo-regression-rmse", "20")
	// The worker names itself in the item's lock file once it holds it.
	var owner results.Owner
	waitRun(t, "no progress or no owner record in items/0/.lock", stderr, func() bool {
		m, _ := filepath.Glob(filepath.Join(res, "*", "items", "0", "progress.json"))
		if len(m) != 1 {
			return false
		}
		var err error
		owner, err = results.ReadOwner(filepath.Dir(m[0]))
		return err == nil && owner.PID > 0
	})
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
