// Package sandboxtest holds fakes of what the sandbox probes on a node, for
// tests of this module that cannot count on the real thing.
package sandboxtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FakeNvidiaSMI writes an nvidia-smi into dir that lists gpus ("index,
// uuid, name, MiB" lines) for `nvidia-smi -L` and for queries; with no gpus
// it fails as it does on a CPU node. Put dir first on PATH to use it.
func FakeNvidiaSMI(tb testing.TB, dir string, gpus ...string) {
	tb.Helper()
	var list, query strings.Builder
	for _, g := range gpus {
		f := strings.Split(g, ", ")
		if len(f) != 4 {
			tb.Fatalf("fake GPU %q: want \"index, uuid, name, MiB\"", g)
		}
		list.WriteString("GPU " + f[0] + ": " + f[2] + " (UUID: " + f[1] + ")\n")
		query.WriteString(g + "\n")
	}
	script := "#!/bin/sh\necho 'No devices were found'; exit 6\n"
	if len(gpus) > 0 {
		script = "#!/bin/sh\ncase \"$1\" in -L) printf '%s' '" + list.String() + "';; *) printf '%s' '" + query.String() + "';; esac\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte(script), 0o755); err != nil {
		tb.Fatal(err)
	}
}
