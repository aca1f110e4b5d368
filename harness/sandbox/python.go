package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// pythonModules are what generated code and the baseline coder import; an
// interpreter without them turns every node into a bug.
const pythonModules = "import numpy, pandas, sklearn"

var (
	pythonMu    sync.Mutex
	pythonFound = map[string]string{} // name -> resolved path, per process
)

// findPython resolves a bare interpreter name (exec.python: python3) for
// the backends that run it on the host's PATH. The first match on PATH is
// not always the right one: a pyenv or conda shim often comes first and
// lacks numpy, while Debian's /usr/bin/python3 has the packages the README
// asks for. So every match on PATH, then /usr/bin and /usr/local/bin, is
// probed in order and the first that imports numpy, pandas and scikit-learn
// wins; when none does, the first match is returned and the preflight names
// what is missing. A path (anything with a slash) is taken as given. The
// answer is cached per name: probing imports pandas, which takes a second.
func findPython(name string) (string, error) {
	if strings.ContainsRune(name, filepath.Separator) {
		return exec.LookPath(name)
	}
	pythonMu.Lock()
	defer pythonMu.Unlock()
	if p, ok := pythonFound[name]; ok {
		return p, nil
	}
	cands := pythonCandidates(name)
	if len(cands) == 0 {
		return exec.LookPath(name) // for its error
	}
	best := cands[0]
	for _, c := range cands {
		if pythonHasModules(c) {
			best = c
			break
		}
	}
	pythonFound[name] = best
	return best, nil
}

// pythonCandidates lists the executables called name on PATH, then in the
// system directories, without repeats.
func pythonCandidates(name string) []string {
	dirs := filepath.SplitList(os.Getenv("PATH"))
	dirs = append(dirs, "/usr/bin", "/usr/local/bin")
	seen := map[string]bool{}
	var out []string
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, name)
		if seen[p] {
			continue
		}
		seen[p] = true
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			out = append(out, p)
		}
	}
	return out
}

// pythonHasModules reports whether the interpreter imports the stack, in
// bounded time (a broken shim can hang).
func pythonHasModules(python string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, python, "-c", pythonModules).Run() == nil
}
