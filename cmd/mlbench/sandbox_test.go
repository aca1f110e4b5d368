package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// runSandbox runs `mlbench sandbox ARGS...` in-process.
func runSandbox(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(append([]string{"mlbench", "sandbox"}, args...))
	return out.String(), errOut.String(), err
}

func TestSandboxRun(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("needs /usr/bin/python3")
	}
	root := t.TempDir()
	public := filepath.Join(root, "prepared", "public")
	private := filepath.Join(root, "prepared", "private")
	for _, d := range []string{public, private} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(public, "train.csv"), []byte("id\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(root, "solution.py")
	code := `import os, sys
d = os.environ["MLBENCH_DATA_DIR"]
print(sorted(os.listdir(d)), sys.argv[1:])
open(os.path.join(os.environ["MLBENCH_SUBMISSION_DIR"], "submission.csv"), "w").write("id\n")
sys.exit(int(sys.argv[1]))
`
	if err := os.WriteFile(script, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(root, "work")
	// Flags after the script, as users type them; script arguments after --.
	out, errOut, err := runSandbox(t, "run", script, "--sandbox", "process", "--python", "/usr/bin/python3",
		"--data", public, "--workdir", work, "--", "3", "--data")
	var ec cli.ExitCoder
	if !errors.As(err, &ec) || ec.ExitCode() != 3 {
		t.Fatalf("want exit status 3, got %v\n%s", err, errOut)
	}
	if out != "['train.csv'] ['3', '--data']\n" {
		t.Fatalf("stdout %q", out)
	}
	if !strings.Contains(errOut, "sandbox: process · exit status 3") || !strings.Contains(errOut, "submission.csv (3 B)") {
		t.Fatalf("summary: %q", errOut)
	}
	if _, err := os.Stat(filepath.Join(work, "submission", "submission.csv")); err != nil {
		t.Fatal(err)
	}

	if _, _, err := runSandbox(t, "run", script, "--timeout"); !errors.As(err, &ec) || ec.ExitCode() != 2 {
		t.Fatalf("a flag without its value is a usage error, got %v", err)
	}
	if _, _, err := runSandbox(t, "run"); !errors.As(err, &ec) || ec.ExitCode() != 2 {
		t.Fatalf("no script is a usage error, got %v", err)
	}
}
