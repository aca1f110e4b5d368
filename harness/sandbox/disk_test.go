package sandbox_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/harness/sandbox"
)

// fillTmp writes 1 MB files into /tmp (the sandbox's private one) until
// killed, then would sleep.
const fillTmp = `import os, tempfile, time
d = tempfile.gettempdir()
for i in range(64):
    with open(os.path.join(d, "fill%d" % i), "wb") as f:
        f.write(os.urandom(1 << 20))
    time.sleep(0.02)
print("wrote everything")
time.sleep(30)
`

// bigFile writes one file larger than the whole cap.
const bigFile = `import os
try:
    with open("big.bin", "wb") as f:
        for _ in range(16):
            f.write(os.urandom(1 << 20))
    print("wrote 16 MB")
except OSError as e:
    print("refused:", e)
    raise SystemExit(3)
`

// TestDiskCap: exec.disk kills a run whose work, submission and /tmp
// directories outgrow it, with a clear verdict, and no single file may
// outgrow it, in every backend that runs here.
func TestDiskCap(t *testing.T) {
	backends := map[string]func(testing.TB, sandbox.Options) sandbox.Executor{
		"process": func(tb testing.TB, o sandbox.Options) sandbox.Executor { return newProcess(tb, o) },
		"bwrap":   func(tb testing.TB, o sandbox.Options) sandbox.Executor { return newBwrap(tb, o) },
	}
	for name, mk := range backends {
		t.Run(name, func(t *testing.T) {
			o := testOptions()
			o.Timeout = 20 * time.Second
			o.Disk = 8 << 20
			e := mk(t, o)
			task := newTask(t)
			res := run(t, e, task.spec(fillTmp))
			if !res.DiskExceeded || res.OK() || res.Status() != "killed: disk limit exceeded (exec.disk)" || strings.Contains(res.Stdout, "wrote everything") {
				t.Errorf("filling /tmp past exec.disk: status %q, disk exceeded %v, wall %s\n%s", res.Status(), res.DiskExceeded, res.Wall, res.Output)
			}
			if !strings.Contains(res.Output, "(exec.disk)]") {
				t.Errorf("the output does not say why the run was killed:\n%s", res.Output)
			}
			task = newTask(t)
			res = run(t, e, task.spec(bigFile))
			if res.OK() || !strings.Contains(res.Output, "refused:") {
				t.Errorf("one file past exec.disk: status %q\n%s", res.Status(), res.Output)
			}
			// Under the cap nothing changes.
			task = newTask(t)
			spec := task.spec(bigFile)
			spec.Limits.Disk = 64 << 20
			if res := run(t, e, spec); !res.OK() {
				t.Errorf("16 MB under a 64 MB cap: %s\n%s", res.Status(), res.Output)
			}
		})
	}
}
