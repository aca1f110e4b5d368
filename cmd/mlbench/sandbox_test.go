package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestSandboxRun(t *testing.T) {
	if _, err := os.Stat("/usr/bin/python3"); err != nil {
		t.Skip("needs /usr/bin/python3")
	}
	root := t.TempDir()
	public := filepath.Join(root, "prepared", "public")
	private := filepath.Join(root, "prepared", "private")
	if err := os.MkdirAll(private, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(public, "train.csv"), "id\n", 0o644)
	script := filepath.Join(root, "solution.py")
	code := `import os, sys
d = os.environ["MLBENCH_DATA_DIR"]
print(sorted(os.listdir(d)), sys.argv[1:])
open(os.path.join(os.environ["MLBENCH_SUBMISSION_DIR"], "submission.csv"), "w").write("id\n")
sys.exit(int(sys.argv[1]))
`
	writeFile(t, script, code, 0o644)
	work := filepath.Join(root, "work")
	// Flags after the script, as users type them; script arguments after --.
	out, errOut, err := runApp(t, "sandbox", "run", script, "--sandbox", "process", "--python", "/usr/bin/python3",
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

	if _, _, err := runApp(t, "sandbox", "run", script, "--timeout"); !errors.As(err, &ec) || ec.ExitCode() != 2 {
		t.Fatalf("a flag without its value is a usage error, got %v", err)
	}
	if _, _, err := runApp(t, "sandbox", "run"); !errors.As(err, &ec) || ec.ExitCode() != 2 {
		t.Fatalf("no script is a usage error, got %v", err)
	}
}
