package harness

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness/sandbox"
)

// TestOutcomeNamesWhyTheAgentStopped: a sandbox that stops a run kills it
// (SIGKILL) and flags why; the external agent's outcome must give that
// reason, not only the signal, for every reason the sandbox knows.
func TestOutcomeNamesWhyTheAgentStopped(t *testing.T) {
	killed := syscall.SIGKILL
	cases := []struct {
		res  *sandbox.Result
		want string
	}{
		{nil, "did not start"},
		{&sandbox.Result{TimedOut: true, Signal: killed, ExitCode: -1}, "time limit (1h0m0s)"},
		{&sandbox.Result{Canceled: true, Signal: killed, ExitCode: -1}, "was cancelled"},
		{&sandbox.Result{DiskExceeded: true, Signal: killed, ExitCode: -1}, "exec.disk"},
		{&sandbox.Result{OOM: true, Signal: killed, ExitCode: -1}, "ran out of memory"},
		{&sandbox.Result{Signal: syscall.SIGSEGV, ExitCode: -1}, "signal segmentation fault"},
		{&sandbox.Result{ExitCode: 3}, "exited with status 3"},
		{&sandbox.Result{}, "exited with status 0"},
	}
	for _, c := range cases {
		if got := outcome(c.res, time.Hour); !strings.Contains(got, c.want) {
			t.Errorf("outcome(%+v) = %q, want it to say %q", c.res, got, c.want)
		}
	}
}
