package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// environThief prints every process environment it can read that holds
// the key, its parent's first.
const environThief = `import os
key = os.environ.get("THIEF_LOOKS_FOR") or open("needle").read().strip()
found = []
pids = [str(os.getppid())] + [p for p in os.listdir("/proc") if p.isdigit()]
for pid in pids:
    try:
        with open("/proc/%s/environ" % pid, "rb") as f:
            if key.encode() in f.read():
                found.append(pid)
    except Exception:
        pass
print("stolen from", found if found else "nowhere")
`

// TestKeysNeverReachGeneratedCode: with an API key in mlbench's
// environment, code run by the bwrap backend cannot find it in any
// /proc/<pid>/environ, and the process backend (where it could) refuses to
// run and says why.
func TestKeysNeverReachGeneratedCode(t *testing.T) {
	if _, err := exec.LookPath("/usr/bin/python3"); err != nil {
		t.Skip("needs /usr/bin/python3")
	}
	const key = "sk-test-environ-0123456789abcdef"
	dir := t.TempDir()
	script := filepath.Join(dir, "thief.py")
	writeFile(t, script, environThief, 0o644)
	work := filepath.Join(dir, "work")
	// The code learns what to look for from a file, never from its env.
	writeFile(t, filepath.Join(work, "needle"), key, 0o644)
	env := []string{"OPENAI_API_KEY=" + key}
	for _, backend := range []string{"bwrap", "process"} {
		t.Run(backend, func(t *testing.T) {
			out, errOut, code := mlbench(t, env, "sandbox", "run", "--sandbox", backend, "--python", "/usr/bin/python3", "--workdir", work, script)
			if strings.Contains(out, "stolen from [") {
				t.Fatalf("generated code read the API key from /proc: %s", out)
			}
			switch backend {
			case "bwrap":
				if strings.Contains(errOut, "bubblewrap") && code == 2 {
					t.Skip("bwrap unusable here: " + errOut)
				}
				if code != 0 || !strings.Contains(out, "stolen from nowhere") {
					t.Errorf("bwrap: exit %d\n%s%s", code, out, errOut)
				}
			case "process":
				if code == 0 || !strings.Contains(errOut, "refuses to run generated code while OPENAI_API_KEY is in mlbench's environment") || !strings.Contains(errOut, "/environ") {
					t.Errorf("process backend with a key: exit %d\n%s%s", code, out, errOut)
				}
			}
		})
	}
	// Without a key the process backend runs (paths such as AWS_CA_BUNDLE
	// are not secrets).
	out, errOut, code := mlbench(t, []string{"AWS_CA_BUNDLE=/etc/ssl/certs/ca.pem"}, "sandbox", "run", "--sandbox", "process", "--python", "/usr/bin/python3", "--workdir", work, script)
	if code != 0 || !strings.Contains(out, "stolen from nowhere") {
		t.Errorf("process backend without a key: exit %d\n%s%s", code, out, errOut)
	}
}
