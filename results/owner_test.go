package results_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mlbench/mlbench/results"
)

func writeOwner(t *testing.T, dir string, o results.Owner) {
	t.Helper()
	b, _ := json.Marshal(o)
	if err := os.WriteFile(filepath.Join(dir, results.LockFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOwnerLiveness(t *testing.T) {
	// A process that has exited and been reaped: its pid names nobody.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	self := results.SelfOwner()
	cases := []struct {
		name  string
		owner *results.Owner // nil: no lock file; zero PID: garbage
		raw   string
		want  string
	}{
		{"no lock file", nil, "", results.OwnerUnknown},
		{"empty lock file (older runs)", nil, " ", results.OwnerUnknown},
		{"garbage", nil, "\x00\x01not json", results.OwnerUnknown},
		{"this process", &self, "", results.OwnerAlive},
		{"exited process", &results.Owner{PID: dead.Process.Pid, Host: self.Host}, "", results.OwnerDead},
		{"reused pid", &results.Owner{PID: self.PID, Host: self.Host, Start: self.Start + 1}, "", results.OwnerDead},
		{"other host", &results.Owner{PID: dead.Process.Pid, Host: self.Host + "-elsewhere"}, "", results.OwnerUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			switch {
			case tc.owner != nil:
				writeOwner(t, dir, *tc.owner)
			case tc.raw != "":
				os.WriteFile(filepath.Join(dir, results.LockFile), []byte(tc.raw), 0o644)
			}
			if got := results.OwnerLiveness(dir); got != tc.want {
				t.Errorf("OwnerLiveness = %s, want %s", got, tc.want)
			}
			running := results.ItemStatus{State: results.StateRunning}
			if got := results.ItemInterrupted(dir, running); got != (tc.want == results.OwnerDead) {
				t.Errorf("ItemInterrupted = %v", got)
			}
			if results.ItemInterrupted(dir, results.ItemStatus{State: results.StateDone}) {
				t.Error("a done item is never interrupted")
			}
		})
	}
}
