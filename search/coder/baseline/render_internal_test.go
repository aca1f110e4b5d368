package baseline

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestPyString checks that both literal forms decode, in Python, to the
// very JSON text Go wrote (quotes, backslashes, non-ASCII, control
// characters, and the triple quote that forces the escaped form).
func TestPyString(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s not found", python)
	}
	cases := []struct {
		name, js string
		raw      bool
	}{
		{"plain", `{"a":"b","n":1.5}`, true},
		{"escapes", `{"col":"a \"quoted\" name\\with\\backslashes\n\u2028"}`, true},
		{"unicode", `{"col":"naïve 列"}`, true},
		{"triple quote", `{"col":"it'''s"}`, false},
		{"ends with a quote", `'`, false},
	}
	var prog strings.Builder
	prog.WriteString("import sys\nvals = []\n")
	for _, tc := range cases {
		lit := pyString(tc.js)
		if got := strings.HasPrefix(lit, "r'''"); got != tc.raw {
			t.Errorf("%s: raw form %t, want %t", tc.name, got, tc.raw)
		}
		prog.WriteString("vals.append(" + lit + ")\n")
	}
	prog.WriteString("sys.stdout.write('\\x00'.join(vals))\n")
	out, err := exec.Command(python, "-c", prog.String()).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	got := strings.Split(string(out), "\x00")
	for i, tc := range cases {
		if i >= len(got) || got[i] != tc.js {
			t.Errorf("%s: python read %q, want %q", tc.name, got[min(i, len(got)-1)], tc.js)
		}
	}
}
