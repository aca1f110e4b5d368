package slurm

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Script describes the sbatch array script of one submission.
type Script struct {
	// RunID names the job: mlbench-<RunID>.
	RunID string
	// RunDir is the absolute run directory the workers are given.
	RunDir string
	// LogDir is the absolute folder of the elements' logs: each element
	// writes LogDir/<array job>_<element>.out and .err. The run directory's
	// layout (results.LogPattern) decides where that is.
	LogDir string
	// Binary is the absolute path of the mlbench executable the elements
	// run; on a cluster it must be on the shared filesystem.
	Binary string
	// WorkDir is the elements' working directory (--chdir): relative paths
	// in the run's config resolve against it, as they did at submit time.
	WorkDir string
	// Chunk says which work items the array runs.
	Chunk Chunk
	// Throttle caps the elements running at once (0: no cap).
	Throttle int
	// Resources, as sbatch spells them; empty strings and 0 are left out.
	Time        string
	Partition   string
	Account     string
	QOS         string
	Gres        string
	CPUsPerTask int
	Mem         string
	// Requeue lets Slurm requeue elements (preemption, node failure,
	// `scontrol requeue`); the worker is told with --requeue.
	Requeue bool
	// MaxAttempts caps the starts of an element (worker --max-attempts;
	// 0: the run config's slurm.max_attempts).
	MaxAttempts int
	// SignalGrace sends USR1 to the worker this long before the time
	// limit, so it checkpoints and requeues itself (0: no signal).
	SignalGrace time.Duration
	// Extra are further #SBATCH directives, e.g. "--constraint=a100".
	Extra []string
	// Container runs the worker inside Apptainer when set.
	Container *Container
}

// Container runs each array element's worker inside an Apptainer image.
type Container struct {
	// Binary is the apptainer executable ("apptainer" when empty).
	Binary string
	// Image is the .sif file or sandbox directory.
	Image string
	// Binds are host paths bound at the same place inside (run dir, data,
	// the mlbench binary's directory, ...).
	Binds []string
	// Args go after "exec", before the image (e.g. "--nv").
	Args []string
}

// OptionError says which script option is unusable and why.
type OptionError struct {
	Option string
	Value  string
	Reason string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("slurm option %s=%q: %s", e.Option, e.Value, e.Reason)
}

// Directives mlbench writes itself; extra directives may not override them,
// since the run directory layout depends on them.
var reserved = []struct{ long, short string }{
	{"--array", "-a"}, {"--output", "-o"}, {"--error", "-e"}, {"--job-name", "-J"},
	{"--open-mode", ""}, {"--chdir", "-D"}, {"--wrap", ""}, {"--parsable", ""},
}

var (
	timeRe  = regexp.MustCompile(`^(?:\d+-\d+(?::\d{1,2}(?::\d{1,2})?)?|\d+(?::\d{1,2}(?::\d{1,2})?)?|(?i:unlimited|infinite))$`)
	memRe   = regexp.MustCompile(`^\d+[KMGTkmgt]?$`)
	tokenRe = regexp.MustCompile(`^[A-Za-z0-9_.,:=+/@%()\-]+$`)
)

// pathUnsafe are characters a path in an #SBATCH line cannot hold: sbatch
// splits directives at white space, and '%' starts a filename pattern.
const pathUnsafe = " \t\n\r\"'%\\#\x00"

// maxSignalSeconds is the largest --signal time sbatch accepts.
const maxSignalSeconds = 65535

// ValidateExtra checks one extra directive and returns it without a
// leading "#SBATCH".
func ValidateExtra(d string) (string, error) {
	s := strings.TrimSpace(d)
	s = strings.TrimSpace(strings.TrimPrefix(s, "#SBATCH"))
	switch {
	case s == "":
		return "", &OptionError{"slurm.extra", d, "empty directive"}
	case strings.ContainsAny(s, "\n\r\x00"):
		return "", &OptionError{"slurm.extra", d, "a directive is one line"}
	case !strings.HasPrefix(s, "-"):
		return "", &OptionError{"slurm.extra", d, `a directive is an sbatch option such as "--constraint=a100"`}
	}
	name := s
	if i := strings.IndexAny(name, "= \t"); i >= 0 {
		name = name[:i]
	}
	long := strings.HasPrefix(name, "--")
	for _, r := range reserved {
		// sbatch takes "-o/x" for "-o /x" and unambiguous prefixes of long names.
		short := !long && r.short != "" && strings.HasPrefix(name, r.short)
		prefix := long && len(name) >= 4 && strings.HasPrefix(r.long, name)
		if short || prefix {
			return "", &OptionError{"slurm.extra", d, r.long + " is set by mlbench (the run directory layout depends on it)"}
		}
	}
	return s, nil
}

func (s *Script) validate() error {
	switch {
	case s.RunID == "" || !tokenRe.MatchString(s.RunID):
		return &OptionError{"run id", s.RunID, "needs letters, digits, '-' or '_'"}
	case !strings.HasPrefix(s.RunDir, "/"):
		return &OptionError{"run dir", s.RunDir, "must be an absolute path"}
	case !strings.HasPrefix(s.Binary, "/"):
		return &OptionError{"binary", s.Binary, "must be an absolute path"}
	case strings.ContainsAny(s.RunDir, pathUnsafe):
		return &OptionError{"run dir", s.RunDir, "sbatch cannot take spaces, quotes, '%', '\\' or '#' in its log paths; choose a results.dir without them"}
	case !strings.HasPrefix(s.LogDir, "/"):
		return &OptionError{"log dir", s.LogDir, "must be an absolute path"}
	case strings.ContainsAny(s.LogDir, pathUnsafe):
		return &OptionError{"log dir", s.LogDir, "sbatch cannot take spaces, quotes, '%', '\\' or '#' in its log paths; choose a results.dir without them"}
	case s.WorkDir != "" && !strings.HasPrefix(s.WorkDir, "/"):
		return &OptionError{"work dir", s.WorkDir, "must be an absolute path"}
	case strings.ContainsAny(s.WorkDir, pathUnsafe):
		return &OptionError{"work dir", s.WorkDir, "sbatch cannot take spaces, quotes, '%', '\\' or '#' in --chdir; submit from another directory"}
	case len(s.Chunk.Indices) == 0:
		return &OptionError{"array", "", "no work items"}
	case s.Chunk.Base < 0:
		return &OptionError{"array", strconv.Itoa(s.Chunk.Base), "negative base"}
	case s.Throttle < 0:
		return &OptionError{"slurm.array_throttle", strconv.Itoa(s.Throttle), "must be 0 (no cap) or more"}
	case s.Time != "" && !timeRe.MatchString(s.Time):
		return &OptionError{"slurm.time", s.Time, "use minutes, HH:MM:SS, D-HH:MM:SS or UNLIMITED"}
	case s.Mem != "" && !memRe.MatchString(s.Mem):
		return &OptionError{"slurm.mem", s.Mem, "use a number with an optional K, M, G or T suffix, e.g. 64G"}
	case s.MaxAttempts < 0:
		return &OptionError{"slurm.max_attempts", strconv.Itoa(s.MaxAttempts), "must be at least 1"}
	case s.CPUsPerTask < 0:
		return &OptionError{"slurm.cpus_per_task", strconv.Itoa(s.CPUsPerTask), "must be 0 (Slurm's default) or more"}
	case s.SignalGrace < 0 || s.SignalGrace > maxSignalSeconds*time.Second:
		return &OptionError{"slurm.signal_grace", s.SignalGrace.String(), "must be between 0 and 65535s"}
	}
	for _, f := range []struct{ name, v string }{{"slurm.partition", s.Partition}, {"slurm.account", s.Account}, {"slurm.qos", s.QOS}, {"slurm.gres", s.Gres}} {
		if f.v != "" && !tokenRe.MatchString(f.v) {
			return &OptionError{f.name, f.v, "contains spaces or characters sbatch does not take here"}
		}
	}
	prev := -1
	for _, x := range s.Chunk.Indices {
		if x <= prev {
			return &OptionError{"array", FormatIndices(s.Chunk.Indices), "indices must ascend without repeats"}
		}
		prev = x
	}
	if c := s.Container; c != nil {
		if c.Image == "" {
			return &OptionError{"slurm.container", "", "no image"}
		}
		for _, v := range append(append([]string{c.Binary, c.Image}, c.Binds...), c.Args...) {
			if strings.ContainsAny(v, "\n\r\x00") {
				return &OptionError{"slurm.container", v, "contains a line break"}
			}
		}
	}
	return nil
}

// Array returns the --array value: the chunk's indices and the throttle.
func (s *Script) Array() string {
	a := FormatIndices(s.Chunk.Indices)
	if s.Throttle > 0 {
		a += "%" + strconv.Itoa(s.Throttle)
	}
	return a
}

// RenderScript writes the sbatch script of s. The script is complete on
// its own: `sbatch --parsable FILE` submits it again.
func RenderScript(s Script) ([]byte, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	extra := make([]string, 0, len(s.Extra))
	for _, d := range s.Extra {
		v, err := ValidateExtra(d)
		if err != nil {
			return nil, err
		}
		extra = append(extra, v)
	}
	var b bytes.Buffer
	b.WriteString("#!/bin/bash\n")
	fmt.Fprintf(&b, "# mlbench run %s: array element i runs work item %d+i.\n", s.RunID, s.Chunk.Base)
	b.WriteString("# Written by `mlbench submit`; `sbatch --parsable` on this file submits it again.\n")
	dir := func(opt string) { fmt.Fprintf(&b, "#SBATCH %s\n", opt) }
	dir("--job-name=" + JobName(s.RunID))
	dir("--array=" + s.Array())
	dir("--output=" + filepath.Join(s.LogDir, "%A_%a.out"))
	dir("--error=" + filepath.Join(s.LogDir, "%A_%a.err"))
	dir("--open-mode=append")
	if s.WorkDir != "" {
		dir("--chdir=" + s.WorkDir)
	}
	opt := func(name, v string) {
		if v != "" {
			dir("--" + name + "=" + v)
		}
	}
	opt("time", s.Time)
	opt("partition", s.Partition)
	opt("account", s.Account)
	opt("qos", s.QOS)
	opt("gres", s.Gres)
	if s.CPUsPerTask > 0 {
		dir("--cpus-per-task=" + strconv.Itoa(s.CPUsPerTask))
	}
	opt("mem", s.Mem)
	if s.Requeue {
		dir("--requeue")
	}
	if s.SignalGrace > 0 {
		dir(fmt.Sprintf("--signal=B:USR1@%d", int(math.Ceil(s.SignalGrace.Seconds()))))
	}
	for _, d := range extra {
		dir(d)
	}
	b.WriteString("\nset -eu\n")
	fmt.Fprintf(&b, "item=$((%d + SLURM_ARRAY_TASK_ID))\n", s.Chunk.Base)
	b.WriteString(`echo "mlbench: element ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} (job ${SLURM_JOB_ID}, restart ${SLURM_RESTART_COUNT:-0}) runs item ${item} on $(hostname) at $(date -Is)" >&2` + "\n")
	bin := Quote(s.Binary)
	if s.Container == nil {
		fmt.Fprintf(&b, "if [ ! -x %s ]; then\n  printf 'mlbench: %%s is not executable on %%s; put mlbench on the shared filesystem\\n' %s \"$(hostname)\" >&2\n  exit 1\nfi\n", bin, bin)
	}
	// exec: the worker is the batch shell, so --signal=B:USR1 reaches it.
	b.WriteString("exec ")
	if c := s.Container; c != nil {
		app := c.Binary
		if app == "" {
			app = "apptainer"
		}
		b.WriteString(Quote(app) + " exec")
		for _, p := range c.Binds {
			b.WriteString(" --bind " + Quote(p))
		}
		for _, a := range c.Args {
			b.WriteString(" " + Quote(a))
		}
		b.WriteString(" " + Quote(c.Image) + " ")
	}
	// --slurm: the worker acts as an array element (checkpoint and requeue
	// on USR1/TERM); --requeue: Slurm requeues it by itself on TERM.
	b.WriteString(bin + " worker --slurm")
	if s.Requeue {
		b.WriteString(" --requeue")
	}
	if s.MaxAttempts > 0 {
		fmt.Fprintf(&b, " --max-attempts %d", s.MaxAttempts)
	}
	fmt.Fprintf(&b, " --run %s --index \"$item\"\n", Quote(s.RunDir))
	return b.Bytes(), nil
}

// JobName is the Slurm job name of a run's arrays.
func JobName(runID string) string { return "mlbench-" + runID }

// Quote returns s as one single-quoted shell word.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
