package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mlbench/mlbench/configs"
)

// Options are the settings every backend shares; per-run values in a Spec
// override them.
type Options struct {
	// Python is the interpreter, a name looked up on the sandbox's PATH or
	// an absolute path.
	Python string
	// Timeout is the default wall-clock limit of a run.
	Timeout time.Duration
	// Grace is the default time between SIGTERM and SIGKILL.
	Grace time.Duration
	// Memory is the default memory limit in bytes (0: none).
	Memory int64
	// Disk is the default disk cap in bytes (0: none), see Limits.Disk.
	Disk int64
	// MaxProcs is the default process limit (0: none).
	MaxProcs int
	// Network lets code reach the network (bwrap, apptainer).
	Network bool
	// EnvAllow names host environment variables passed to the code. Names
	// that look like secrets are refused.
	EnvAllow []string
	// OutputMax is the default number of bytes of output kept per stream.
	OutputMax int
	// Binds are extra host paths the code may read (bwrap, apptainer), such
	// as a site's software tree.
	Binds []string
	// Warn receives warnings about weak isolation; nil means os.Stderr.
	Warn io.Writer
	// Environ is the host environment the allow-list picks from; nil means
	// os.Environ.
	Environ func() []string
	// Forwarder is the binary that runs as a Spec's forwarder (see
	// Forward); "" means this executable, whose main must call
	// ForwarderMain when IsForwarder says so.
	Forwarder string
}

// Defaults for Options fields left zero.
const (
	DefaultTimeout   = time.Hour
	DefaultGrace     = 5 * time.Second
	DefaultOutputMax = 32 << 10
)

// OptionsFromConfig converts the exec section of the configuration.
func OptionsFromConfig(cfg configs.Exec) (Options, error) {
	o := Options{
		Python:    cfg.Python,
		Timeout:   cfg.Timeout,
		Grace:     cfg.KillGrace,
		MaxProcs:  cfg.MaxProcs,
		Network:   cfg.Network,
		EnvAllow:  cfg.EnvAllow,
		OutputMax: cfg.OutputMax,
		Binds:     cfg.Binds,
	}
	if cfg.Memory != "" {
		n, err := configs.ParseBytes(cfg.Memory)
		if err != nil {
			return o, &configs.FieldError{Field: "exec.memory", Value: cfg.Memory, Err: err}
		}
		o.Memory = n
	}
	if cfg.Disk != "" {
		n, err := configs.ParseBytes(cfg.Disk)
		if err != nil || n <= 0 {
			return o, &configs.FieldError{Field: "exec.disk", Value: cfg.Disk, Err: errors.New("expected a size such as 50G, or \"\" for no cap")}
		}
		o.Disk = n
	}
	if cfg.KillGrace < 0 {
		return o, &configs.FieldError{Field: "exec.kill_grace", Value: cfg.KillGrace.String(), Err: errors.New("must not be negative")}
	}
	for _, name := range cfg.EnvAllow {
		if IsSecretName(name) {
			return o, &configs.FieldError{Field: "exec.env_allow", Value: name, Err: fmt.Errorf("%w; remove it: generated code must never see credentials", ErrSecretEnv)}
		}
	}
	for _, b := range cfg.Binds {
		if !filepath.IsAbs(b) {
			return o, &configs.FieldError{Field: "exec.binds", Value: b, Err: errors.New("must be an absolute path")}
		}
	}
	return o, nil
}

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Python == "" {
		o.Python = "python3"
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	if o.OutputMax <= 0 {
		o.OutputMax = DefaultOutputMax
	}
	if o.Warn == nil {
		o.Warn = os.Stderr
	}
	if o.Environ == nil {
		o.Environ = os.Environ
	}
	if err := checkEnvNames("EnvAllow", o.EnvAllow); err != nil {
		return o, err
	}
	o.EnvAllow = slices.Clone(o.EnvAllow)
	o.Binds = slices.Clone(o.Binds)
	sweepTmp()
	return o, nil
}

// New builds the executor named by cfg.Sandbox: "apptainer", "bwrap",
// "process" or "auto" (apptainer when its binary is on PATH and an image is
// set, else bwrap when a probe sandbox starts, else process). Warnings go to
// warn (nil: os.Stderr).
func New(cfg configs.Exec, warn io.Writer) (Executor, error) {
	o, err := OptionsFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	o.Warn = warn
	app := ApptainerOptions{Binary: cfg.Apptainer.Binary, Image: cfg.Apptainer.Image, Network: cfg.Apptainer.Network, ExtraArgs: cfg.Apptainer.ExtraArgs}
	switch cfg.Sandbox {
	case "apptainer":
		return NewApptainer(o, app)
	case "bwrap":
		return NewBwrap(o, "")
	case "process":
		return NewProcess(o)
	case "auto", "":
		if app.Image != "" {
			bin := cmp(app.Binary, "apptainer")
			if _, err := exec.LookPath(bin); err == nil {
				return NewApptainer(o, app)
			}
		}
		b, err := NewBwrap(o, "")
		if err == nil {
			return b, nil
		}
		if errors.Is(err, ErrUnavailable) {
			p, perr := NewProcess(o)
			if perr != nil {
				return nil, fmt.Errorf("sandbox: auto: %v; %w", err, perr)
			}
			fmt.Fprintf(p.opts.Warn, "sandbox: auto: %v; falling back to the process backend\n", err)
			return p, nil
		}
		return nil, err
	}
	return nil, &configs.FieldError{Field: "exec.sandbox", Value: cfg.Sandbox, Err: errors.New("expected auto, apptainer, bwrap or process")}
}

// cmp returns s, or def when s is empty.
func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// job is a Spec resolved against the executor's defaults, with host paths
// made absolute and the directories it needs created.
type job struct {
	spec      Spec
	script    string // host path of the script
	scriptRel string // path relative to WorkDir when inside it, else ""
	work, sub string
	data      string
	hide      []string
	tmp       string
	removeTmp bool
	lim       Limits
	timeout   time.Duration
	grace     time.Duration
	outputMax int
	// forwarderBin is the host path of the forwarder binary (Forwards).
	forwarderBin string
}

// prepare validates spec and creates what the run needs (the submission
// directory, the code file, the private /tmp). The caller must call cleanup.
func (o *Options) prepare(spec Spec) (*job, error) {
	j := &job{spec: spec, timeout: o.Timeout, grace: o.Grace, outputMax: o.OutputMax, forwarderBin: o.Forwarder}
	abs := func(field, p string) (string, error) {
		a, err := filepath.Abs(p)
		if err != nil {
			return "", &SpecError{Field: field, Value: p, Err: err}
		}
		return a, nil
	}
	isDir := func(field, p string) error {
		st, err := os.Stat(p)
		if err != nil {
			return &SpecError{Field: field, Value: p, Err: err}
		}
		if !st.IsDir() {
			return &SpecError{Field: field, Value: p, Err: errors.New("not a directory")}
		}
		return nil
	}
	var err error
	if spec.WorkDir == "" {
		return nil, &SpecError{Field: "WorkDir", Err: errors.New("required")}
	}
	if j.work, err = abs("WorkDir", spec.WorkDir); err != nil {
		return nil, err
	}
	if err := isDir("WorkDir", j.work); err != nil {
		return nil, err
	}
	j.sub = filepath.Join(j.work, "submission")
	if spec.SubmissionDir != "" {
		if j.sub, err = abs("SubmissionDir", spec.SubmissionDir); err != nil {
			return nil, err
		}
	}
	if spec.DataDir != "" {
		if j.data, err = abs("DataDir", spec.DataDir); err != nil {
			return nil, err
		}
		if err := isDir("DataDir", j.data); err != nil {
			return nil, err
		}
	}
	for _, h := range spec.Hide {
		a, err := abs("Hide", h)
		if err != nil {
			return nil, err
		}
		j.hide = append(j.hide, a)
		if r := resolve(a); r != a {
			j.hide = append(j.hide, r)
		}
	}
	// A mounted directory must not contain or sit in a hidden path, also
	// when a symbolic link leads there.
	for _, m := range []struct{ field, path string }{{"WorkDir", j.work}, {"SubmissionDir", j.sub}, {"DataDir", j.data}} {
		if m.path == "" {
			continue
		}
		for _, h := range j.hide {
			if within(h, m.path) || within(m.path, h) || within(h, resolve(m.path)) || within(resolve(m.path), h) {
				return nil, &SpecError{Field: m.field, Value: m.path, Err: fmt.Errorf("overlaps hidden path %s", h)}
			}
		}
	}

	switch {
	case len(spec.Command) > 0:
		if err := j.checkCommand(); err != nil {
			return nil, err
		}
	case spec.Script != "" && spec.Code != "":
		return nil, &SpecError{Field: "Script", Err: errors.New("set Script or Code, not both")}
	case spec.Script != "":
		if j.script, err = abs("Script", spec.Script); err != nil {
			return nil, err
		}
		st, err := os.Stat(j.script)
		if err != nil {
			return nil, &SpecError{Field: "Script", Value: spec.Script, Err: err}
		}
		if !st.Mode().IsRegular() {
			return nil, &SpecError{Field: "Script", Value: spec.Script, Err: errors.New("not a regular file")}
		}
		for _, h := range j.hide {
			if within(j.script, h) {
				return nil, &SpecError{Field: "Script", Value: spec.Script, Err: fmt.Errorf("inside hidden path %s", h)}
			}
		}
	case spec.Code != "":
		j.script = filepath.Join(j.work, CodeFile)
		if err := os.WriteFile(j.script, []byte(spec.Code), 0o644); err != nil {
			return nil, fmt.Errorf("write code: %w", err)
		}
	default:
		return nil, &SpecError{Field: "Script", Err: errors.New("set Script, Code or Command")}
	}
	if len(spec.Command) == 0 {
		if err := j.checkCommand(); err != nil {
			return nil, err
		}
	}
	if rel, err := filepath.Rel(j.work, j.script); j.script != "" && err == nil && !strings.HasPrefix(rel, "..") {
		j.scriptRel = rel
	}

	if spec.Timeout < 0 {
		return nil, &SpecError{Field: "Timeout", Value: spec.Timeout.String(), Err: errors.New("must not be negative")}
	}
	if spec.Timeout > 0 {
		j.timeout = spec.Timeout
	}
	if spec.Grace > 0 {
		j.grace = spec.Grace
	}
	if spec.OutputMax > 0 {
		j.outputMax = spec.OutputMax
	}
	j.lim = spec.Limits
	switch {
	case j.lim.Memory == 0:
		j.lim.Memory = o.Memory
	case j.lim.Memory < 0:
		j.lim.Memory = 0
	}
	switch {
	case j.lim.Disk == 0:
		j.lim.Disk = o.Disk
	case j.lim.Disk < 0:
		j.lim.Disk = 0
	}
	switch {
	case j.lim.MaxProcs == 0:
		j.lim.MaxProcs = o.MaxProcs
	case j.lim.MaxProcs < 0:
		j.lim.MaxProcs = 0
	}
	for _, c := range j.lim.CPUs {
		if c < 0 {
			return nil, &SpecError{Field: "Limits.CPUs", Value: fmt.Sprint(c), Err: errors.New("must not be negative")}
		}
	}

	if err := os.MkdirAll(j.sub, 0o755); err != nil {
		return nil, fmt.Errorf("create submission dir: %w", err)
	}
	j.tmp = spec.TmpDir
	if j.tmp == "" {
		if j.tmp, err = os.MkdirTemp("", tmpPrefix+strconv.Itoa(os.Getpid())+"-"); err != nil {
			return nil, fmt.Errorf("create private tmp: %w", err)
		}
		j.removeTmp = true
	} else if j.tmp, err = abs("TmpDir", j.tmp); err != nil {
		return nil, err
	}
	return j, nil
}

// tmpPrefix starts the names of the private /tmp directories Run makes,
// followed by the pid of the process that made them.
const tmpPrefix = "mlbench-tmp-"

// sweepTmp removes private /tmp directories left by processes that died
// during a run (a killed worker cannot clean up after itself).
func sweepTmp() {
	dir := os.TempDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), tmpPrefix)
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		_ = os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// cleanup removes the private /tmp Run created.
func (j *job) cleanup() {
	if j.removeTmp {
		_ = os.RemoveAll(j.tmp)
	}
}

// resolve follows symbolic links in p, or returns p when it cannot.
func resolve(p string) string {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		return r
	}
	return p
}

// within reports whether path is dir or lies below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../") && !filepath.IsAbs(rel)
}

// listFiles lists the files under dir (relative, slash-separated), marking
// symbolic links without following them.
func listFiles(dir string) []File {
	out := []File{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		if len(out) >= 10000 {
			return filepath.SkipAll
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			out = append(out, File{Path: filepath.ToSlash(rel), Symlink: true})
		case d.Type().IsRegular():
			if info, err := d.Info(); err == nil {
				out = append(out, File{Path: filepath.ToSlash(rel), Size: info.Size()})
			}
		}
		return nil
	})
	return out
}

// absOrEmpty makes p absolute, keeping "" as "".
func absOrEmpty(p string) string {
	if p == "" {
		return ""
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
