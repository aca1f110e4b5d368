package sandbox

import (
	"context"
	"fmt"
)

// Process runs code as a plain child process: its own process group,
// rlimits and CPU affinity, a cleared environment, the timeout enforced on
// the whole group (and the run's cgroup where one is writable). It cannot
// hide files or block the network, so it warns when built; use it only
// where neither apptainer nor bubblewrap is available.
type Process struct {
	opts   Options
	python string
	cg     *cgroups
	info   Info
}

var _ Executor = (*Process)(nil)

// processWarning is printed when a Process executor is built.
const processWarning = "WARNING: sandbox: the process backend isolates weakly: generated code can read every file this user can (including private answers), reach the network, and escape the process group; use bwrap or apptainer for real runs"

// NewProcess returns the process backend. The interpreter is resolved on
// the host's PATH now (see findPython). It refuses (*SecretEnvError) while
// this process's environment holds a secret, which code it runs could
// read from /proc/<pid>/environ.
func NewProcess(o Options) (*Process, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if names := readableSecrets(); len(names) > 0 {
		return nil, &SecretEnvError{Names: names}
	}
	py, err := findPython(o.Python)
	if err != nil {
		return nil, fmt.Errorf("find python %q: %w", o.Python, err)
	}
	p := &Process{opts: o, python: py, cg: runCgroups()}
	p.info = Info{
		Backend:  "process",
		Network:  true,
		MaxProcs: nprocEnforced() || p.cg.has("pids"),
		Cgroup:   p.cg.String(),
		Warnings: []string{"generated code can read every file this user can, including private answers", "generated code can reach the network"},
	}
	switch {
	case !p.info.MaxProcs:
		p.info.Warnings = append(p.info.Warnings, "running as root without a writable pids cgroup: the process limit is not enforced")
	case p.cg == nil:
		p.info.Warnings = append(p.info.Warnings, "the process limit (RLIMIT_NPROC) counts every process of this user, not only the run's")
	}
	fmt.Fprintln(o.Warn, processWarning)
	return p, nil
}

// Info describes the backend.
func (p *Process) Info() Info { return p.info }

// Paths returns the host paths the code is given.
func (p *Process) Paths(spec Spec) Paths {
	out := Paths{Data: absOrEmpty(spec.DataDir), Work: absOrEmpty(spec.WorkDir), Submission: absOrEmpty(spec.SubmissionDir), Script: absOrEmpty(spec.Script)}
	if spec.SubmissionDir == "" && out.Work != "" {
		out.Submission = out.Work + "/submission"
	}
	if spec.Script == "" && out.Work != "" {
		out.Script = out.Work + "/" + CodeFile
	}
	return out
}

// Run executes spec as a child process group.
func (p *Process) Run(ctx context.Context, spec Spec) (*Result, error) {
	j, err := p.opts.prepare(spec)
	if err != nil {
		return nil, err
	}
	defer j.cleanup()
	paths := Paths{Data: j.data, Work: j.work, Submission: j.sub, Script: j.script}
	env, err := buildEnv(p.opts.Environ(), p.opts.EnvAllow, ownEnv(paths, j.work, j.tmp, j.lim), spec.Env)
	if err != nil {
		return nil, err
	}
	argv := append([]string{p.python, j.script}, spec.Args...)
	if len(spec.Command) > 0 {
		argv = j.commandArgv(false)
	}
	return j.start(ctx, "process", argv, environ(j.withSecrets(env)), j.work, holdShell, p.cg)
}

// Close releases the executor's cgroup parent. Idempotent.
func (p *Process) Close() error {
	p.cg.close()
	return nil
}
