package sandbox

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// ApptainerOptions configure the apptainer backend (configs.Apptainer).
type ApptainerOptions struct {
	// Binary is the apptainer (or singularity) command; "" means apptainer.
	Binary string
	// Image is the .sif file or sandbox directory. Required.
	Image string
	// Network is the --network value used when Options.Network is false
	// ("none"); "" leaves the host network, for sites that forbid --net.
	Network string
	// ExtraArgs are inserted before the image, e.g. --bind for a site's
	// scratch space.
	ExtraArgs []string
}

// Apptainer runs code with `apptainer exec --containall --cleanenv
// --no-home`: its own pid, ipc and mount namespaces, only the bound
// directories of the host (public data read-only at /home/data), the image's
// file system, GPUs through --nv when assigned, and no network where the
// site allows --network none. Limits are applied to a holding shell the
// apptainer process is exec'ed from, so the container inherits them.
type Apptainer struct {
	opts Options
	app  ApptainerOptions
	cg   *cgroups
	info Info
}

var _ Executor = (*Apptainer)(nil)

// NewApptainer returns the apptainer backend. It does not run apptainer:
// a missing binary or a broken image shows on the first Run.
func NewApptainer(o Options, a ApptainerOptions) (*Apptainer, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if a.Image == "" {
		return nil, fmt.Errorf("%w: apptainer: no image (set exec.apptainer.image to a .sif file or sandbox directory)", ErrUnavailable)
	}
	a.Binary = cmp(a.Binary, "apptainer")
	a.ExtraArgs = slices.Clone(a.ExtraArgs)
	p := &Apptainer{opts: o, app: a, cg: runCgroups()}
	p.info = Info{
		Backend:    "apptainer",
		Binary:     a.Binary,
		Network:    o.Network || a.Network == "",
		HidesFiles: true,
		MaxProcs:   nprocEnforced() || p.cg.has("pids"),
		Cgroup:     p.cg.String(),
	}
	if !o.Network && a.Network == "" {
		p.info.Warnings = append(p.info.Warnings, "exec.apptainer.network is empty: code can reach the network")
	}
	return p, nil
}

// Info describes the backend.
func (p *Apptainer) Info() Info { return p.info }

// Paths returns the fixed sandbox paths.
func (p *Apptainer) Paths(spec Spec) Paths { return sandboxPaths(spec) }

// Run executes spec in the image.
func (p *Apptainer) Run(ctx context.Context, spec Spec) (*Result, error) {
	j, err := p.opts.prepare(spec)
	if err != nil {
		return nil, err
	}
	defer j.cleanup()
	paths := sandboxPaths(spec)
	vars, err := buildEnv(p.opts.Environ(), p.opts.EnvAllow, ownEnv(paths, "", "", j.lim), spec.Env)
	if err != nil {
		return nil, err
	}
	args, err := p.args(j, paths)
	if err != nil {
		return nil, err
	}
	// apptainer itself needs a PATH; the code's variables travel as
	// APPTAINERENV_*, which survive --cleanenv. The image decides PATH and
	// HOME inside.
	env := []string{"PATH=" + hostPath()}
	vars = j.withSecrets(vars)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if k == "PATH" || k == "HOME" {
			continue
		}
		env = append(env, "APPTAINERENV_"+k+"="+vars[k])
	}
	return j.start(ctx, "apptainer", append([]string{p.app.Binary}, args...), env, j.work, holdShell, p.cg)
}

// args builds `apptainer exec ...` after the binary.
func (p *Apptainer) args(j *job, paths Paths) ([]string, error) {
	args := []string{"exec", "--containall", "--cleanenv", "--no-home"}
	if len(j.lim.GPUs) > 0 {
		args = append(args, "--nv")
	}
	if !p.opts.Network && p.app.Network != "" {
		args = append(args, "--net", "--network", p.app.Network)
	}
	args = append(args, "--workdir", j.tmp, "--pwd", WorkPath)
	bind := func(src, dst, mode string) error {
		// apptainer splits --bind on ',' and ':'.
		if strings.ContainsAny(src, ",:") {
			return &SpecError{Field: "bind", Value: src, Err: errors.New("apptainer cannot bind a path containing ',' or ':'")}
		}
		args = append(args, "--bind", src+":"+dst+":"+mode)
		return nil
	}
	if j.data != "" {
		if err := bind(j.data, DataPath, "ro"); err != nil {
			return nil, err
		}
	}
	if err := bind(j.work, WorkPath, "rw"); err != nil {
		return nil, err
	}
	if err := bind(j.sub, SubmissionPath, "rw"); err != nil {
		return nil, err
	}
	if j.scriptRel == "" && j.script != "" {
		if err := bind(j.script, paths.Script, "ro"); err != nil {
			return nil, err
		}
	}
	for _, m := range j.apptainerCommandBinds() {
		if err := bind(m[0], m[1], m[2]); err != nil {
			return nil, err
		}
	}
	for _, b := range p.opts.Binds {
		if err := bind(b, b, "ro"); err != nil {
			return nil, err
		}
	}
	for _, h := range j.hide {
		if withinAny(h, p.opts.Binds) {
			return nil, &SpecError{Field: "Hide", Value: h, Err: errors.New("lies inside exec.binds, which apptainer would show")}
		}
	}
	args = append(args, p.app.ExtraArgs...)
	if len(j.spec.Command) > 0 {
		return append(append(args, p.app.Image), j.commandArgv(true)...), nil
	}
	args = append(args, p.app.Image, p.opts.Python, paths.Script)
	return append(args, j.spec.Args...), nil
}

// hostPath is the PATH apptainer runs with.
func hostPath() string {
	if p := os.Getenv("PATH"); p != "" {
		return p
	}
	return "/usr/local/bin:/usr/bin:/bin"
}

// Close releases the executor's cgroup parent. Idempotent.
func (p *Apptainer) Close() error {
	p.cg.close()
	return nil
}
