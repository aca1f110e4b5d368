package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// Bwrap runs code under bubblewrap: new user, pid, network, ipc, uts and
// cgroup namespaces, all capabilities dropped, the host's system
// directories read-only, the public data read-only at /home/data, the
// working and submission directories read-write, a private /tmp, the
// sandbox killed with its parent and detached from any terminal.
type Bwrap struct {
	opts   Options
	binary string
	system []sysMount
	cg     *cgroups
	info   Info
}

var _ Executor = (*Bwrap)(nil)

// sysMount is a host system path shown read-only: a directory bound, or a
// symbolic link (like /lib -> usr/lib on merged-/usr systems) recreated.
type sysMount struct {
	path, link string
}

// systemDirs are the host directories code needs to run an interpreter.
var systemDirs = []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"}

// maskedFiles hold secrets of the host and are covered inside /etc.
var maskedFiles = []string{"/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/sudoers"}

// NewBwrap returns the bubblewrap backend after checking, with a probe
// sandbox, that bwrap can create its namespaces here. binary "" means
// "bwrap" on PATH. The error wraps ErrUnavailable when bwrap is missing or
// the kernel refuses it.
func NewBwrap(o Options, binary string) (*Bwrap, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	path, err := exec.LookPath(cmp(binary, "bwrap"))
	if err != nil {
		return nil, fmt.Errorf("%w: bwrap: %w", ErrUnavailable, err)
	}
	b := &Bwrap{opts: o, binary: path}
	for _, d := range systemDirs {
		st, err := os.Lstat(d)
		switch {
		case err != nil:
		case st.Mode()&os.ModeSymlink != 0:
			if target, err := os.Readlink(d); err == nil {
				b.system = append(b.system, sysMount{path: d, link: target})
			}
		case st.IsDir():
			b.system = append(b.system, sysMount{path: d})
		}
	}
	if err := b.probe(); err != nil {
		return nil, err
	}
	b.cg = runCgroups()
	b.info = Info{
		Backend:    "bwrap",
		Binary:     path,
		Version:    version(path),
		Network:    o.Network,
		HidesFiles: true,
		MaxProcs:   nprocEnforced() || b.cg.has("pids"),
		Cgroup:     b.cg.String(),
	}
	if !b.info.MaxProcs {
		b.info.Warnings = append(b.info.Warnings, "running as root without a writable pids cgroup: the process limit is not enforced")
	}
	return b, nil
}

// probe starts a minimal sandbox to learn whether namespaces are allowed.
func (b *Bwrap) probe() error {
	args := append(b.baseArgs(), "--proc", "/proc", "--dev", "/dev", "--", "true")
	cmd := exec.Command(b.binary, args...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: bwrap probe: %w: %s", ErrUnavailable, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// version returns the first line of `binary --version`, or "".
func version(binary string) string {
	out, err := exec.Command(binary, "--version").Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// baseArgs are the namespace and system-directory arguments of every run.
func (b *Bwrap) baseArgs() []string {
	args := []string{"--unshare-all"}
	if b.opts.Network {
		args = append(args, "--share-net")
	}
	args = append(args, "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "sandbox")
	for _, m := range b.system {
		if m.link != "" {
			args = append(args, "--symlink", m.link, m.path)
		} else {
			args = append(args, "--ro-bind", m.path, m.path)
		}
	}
	return args
}

// Info describes the backend.
func (b *Bwrap) Info() Info { return b.info }

// Paths returns the fixed sandbox paths.
func (b *Bwrap) Paths(spec Spec) Paths { return sandboxPaths(spec) }

// sandboxPaths are the paths apptainer and bwrap show.
func sandboxPaths(spec Spec) Paths {
	p := Paths{Work: WorkPath, Submission: SubmissionPath}
	if spec.DataDir != "" {
		p.Data = DataPath
	}
	switch {
	case spec.Script == "":
		p.Script = WorkPath + "/" + CodeFile
	default:
		p.Script = innerScript(spec.WorkDir, spec.Script)
	}
	return p
}

// innerScript is where a host script appears in the sandbox.
func innerScript(work, script string) string {
	w, err1 := filepath.Abs(work)
	s, err2 := filepath.Abs(script)
	if err1 == nil && err2 == nil {
		if rel, err := filepath.Rel(w, s); err == nil && !strings.HasPrefix(rel, "..") {
			return WorkPath + "/" + filepath.ToSlash(rel)
		}
	}
	return codePath + "/" + filepath.Base(script)
}

// Run executes spec in a fresh bubblewrap sandbox.
func (b *Bwrap) Run(ctx context.Context, spec Spec) (*Result, error) {
	j, err := b.opts.prepare(spec)
	if err != nil {
		return nil, err
	}
	defer j.cleanup()
	paths := sandboxPaths(spec)
	env, err := buildEnv(b.opts.Environ(), b.opts.EnvAllow, ownEnv(paths, WorkPath, tmpPath, j.lim), spec.Env)
	if err != nil {
		return nil, err
	}
	args, err := b.args(j, paths)
	if err != nil {
		return nil, err
	}
	return j.start(ctx, "bwrap", append([]string{b.binary}, args...), environ(j.withSecrets(env)), "", holdBwrap, b.cg)
}

// args builds bwrap's command line for one job.
func (b *Bwrap) args(j *job, paths Paths) ([]string, error) {
	args := b.baseArgs()
	bound := make([]string, 0, len(b.system)+len(b.opts.Binds)+2)
	for _, m := range b.system {
		if m.link == "" {
			bound = append(bound, m.path)
		}
	}
	for _, m := range maskedFiles {
		if _, err := os.Stat(m); err == nil {
			args = append(args, "--ro-bind", "/dev/null", m)
		}
	}
	args = append(args, "--proc", "/proc", "--dev", "/dev")
	if j.lim.Memory > 0 {
		// /dev/shm lives in memory outside the rlimit; bound it by the same
		// amount.
		args = append(args, "--size", strconv.FormatInt(j.lim.Memory, 10))
	}
	args = append(args, "--tmpfs", "/dev/shm")
	if len(j.lim.GPUs) > 0 {
		devs, _ := filepath.Glob("/dev/nvidia*")
		for _, d := range devs {
			args = append(args, "--dev-bind", d, d)
		}
		// CUDA and nvidia-smi read device topology from /sys.
		args = append(args, "--ro-bind", "/sys", "/sys")
		bound = append(bound, "/sys")
	}
	args = append(args, "--bind", j.tmp, tmpPath)
	if j.data != "" {
		args = append(args, "--ro-bind", j.data, DataPath)
	}
	args = append(args, "--bind", j.work, WorkPath, "--bind", j.sub, SubmissionPath)
	if j.scriptRel == "" && j.script != "" {
		args = append(args, "--ro-bind", j.script, paths.Script)
	}
	args = append(args, j.bwrapCommandArgs()...)
	for _, p := range b.opts.Binds {
		args = append(args, "--ro-bind", p, p)
		bound = append(bound, p)
	}
	if prefixes, err := pythonPrefixes(b.opts.Python); err != nil {
		return nil, err
	} else {
		for _, p := range prefixes {
			if !withinAny(p, bound) {
				args = append(args, "--ro-bind", p, p)
				bound = append(bound, p)
			}
		}
	}
	// Hidden paths never get mounted; cover those that a system or extra
	// bind would show.
	for _, h := range j.hide {
		if !withinAny(h, bound) {
			continue
		}
		st, err := os.Stat(h)
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("hide %s: %w", h, err)
		case st.IsDir():
			args = append(args, "--tmpfs", h, "--remount-ro", h)
		default:
			args = append(args, "--ro-bind", "/dev/null", h)
		}
	}
	args = append(args, "--remount-ro", "/dev", "--remount-ro", "/",
		"--chdir", WorkPath, "--json-status-fd", "3", "--block-fd", "4", "--")
	if len(j.spec.Command) > 0 {
		return append(args, j.commandArgv(true)...), nil
	}
	args = append(args, b.opts.Python, paths.Script)
	return append(args, j.spec.Args...), nil
}

// pythonPrefixes are the host directories an absolute interpreter path
// needs visible: its install prefix (the parent of bin/), before and after
// resolving symbolic links (a virtualenv links to a base interpreter).
func pythonPrefixes(python string) ([]string, error) {
	if !filepath.IsAbs(python) {
		return nil, nil
	}
	real, err := filepath.EvalSymlinks(python)
	if err != nil {
		return nil, &SpecError{Field: "Python", Value: python, Err: err}
	}
	var out []string
	for _, p := range []string{python, real} {
		prefix := filepath.Dir(filepath.Dir(p))
		if prefix != "/" {
			out = append(out, prefix)
		}
	}
	return out, nil
}

// withinAny reports whether path lies in one of dirs.
func withinAny(path string, dirs []string) bool {
	for _, d := range dirs {
		if within(path, d) {
			return true
		}
	}
	return false
}

// Close releases the executor's cgroup parent. Idempotent.
func (b *Bwrap) Close() error {
	b.cg.close()
	return nil
}
