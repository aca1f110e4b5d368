package sandbox

import (
	"context"
	"time"
)

// holdMode is how the first process of a run waits, before exec, for its
// limits to be applied.
type holdMode int

const (
	// holdBwrap: bwrap --json-status-fd 3 --block-fd 4. The limits go to
	// the pid namespace's init, which forks the script.
	holdBwrap holdMode = iota
	// holdShell: a shell reads a line from fd 3, then execs the command.
	holdShell
)

// Shell scripts that hold or prepare a run before its command. The join
// scripts take the cgroup v1 tasks file as $1 and move the shell itself
// there: a task moving itself skips the global lock (and the RCU grace
// period) that moving another process costs.
const (
	holdScript     = `read -r _ <&3 || exit 125; exec 3<&-; exec "$@"`
	joinHoldScript = `echo 0 > "$1" || exit 126; shift; echo ready >&4; exec 4>&-; read -r _ <&3 || exit 125; exec 3<&-; exec "$@"`
	joinScript     = `echo 0 > "$1" || exit 126; shift; exec "$@"`
)

// drainWait bounds how long Run waits for output pipes after the run's
// processes are gone (a process that escaped the process backend's group may
// hold them open).
const drainWait = 2 * time.Second

// launch is one start of a sandboxed command, shared by the backends.
type launch struct {
	backend string
	argv    []string
	env     []string
	dir     string
	mode    holdMode

	memory    int64
	dataLimit bool
	// disk caps the bytes under diskDirs (0: none).
	disk     int64
	diskDirs []string
	procs    int
	cpus     []int
	cg       *cgroups

	timeout   time.Duration
	grace     time.Duration
	outputMax int
}

// start runs the job through one backend's command line (argv, env, the
// working directory and how the first process is held) under the job's
// limits, and lists the submission files the code left.
func (j *job) start(ctx context.Context, backend string, argv, env []string, dir string, mode holdMode, cg *cgroups) (*Result, error) {
	l := &launch{
		backend:   backend,
		argv:      argv,
		env:       env,
		dir:       dir,
		mode:      mode,
		memory:    j.lim.Memory,
		dataLimit: len(j.lim.GPUs) > 0,
		disk:      j.lim.Disk,
		diskDirs:  []string{j.work, j.sub, j.tmp},
		procs:     j.lim.MaxProcs,
		cpus:      j.lim.CPUs,
		cg:        cg,
		timeout:   j.timeout,
		grace:     j.grace,
		outputMax: j.outputMax,
	}
	res, err := l.run(ctx)
	if res != nil {
		res.Files = listFiles(j.sub)
	}
	return res, err
}
