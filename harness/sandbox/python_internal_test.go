package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// A pyenv-style shim first on PATH that lacks numpy must not shadow a
// system interpreter that has the stack (a fresh machine with pyenv failed
// every process-backend test this way).
func TestFindPythonSkipsShimWithoutStack(t *testing.T) {
	if !pythonHasModules("/usr/bin/python3") {
		t.Skip("/usr/bin/python3 lacks numpy/pandas/sklearn")
	}
	shims := t.TempDir()
	shim := filepath.Join(shims, "python3-test-shim")
	if err := os.WriteFile(shim, []byte("#!/bin/sh\necho 'No module named numpy' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	sys := t.TempDir()
	if err := os.Symlink("/usr/bin/python3", filepath.Join(sys, "python3-test-shim")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", shims+string(os.PathListSeparator)+sys)
	got, err := findPython("python3-test-shim")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(sys, "python3-test-shim"); got != want {
		t.Errorf("findPython picked %s, want %s (the one with numpy)", got, want)
	}
	// Nothing usable: the first match, so the preflight names what is missing.
	t.Setenv("PATH", shims)
	delete(pythonFound, "python3-test-shim")
	if got, _ := findPython("python3-test-shim"); got != shim {
		t.Errorf("with no usable interpreter findPython picked %s, want the first match %s", got, shim)
	}
}
