package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"time"
)

// bwrapStatus is one JSON object bwrap writes to --json-status-fd.
type bwrapStatus struct {
	ChildPid int  `json:"child-pid"`
	ExitCode *int `json:"exit-code"`
}

// oomPattern matches what allocation failures print.
var oomPattern = regexp.MustCompile(`MemoryError|Unable to allocate|std::bad_alloc|Cannot allocate memory|(?i:out of memory)|OutOfMemory`)

// run starts the command held, applies limits, releases it, enforces the
// timeout and collects the result.
func (l *launch) run(ctx context.Context) (*Result, error) {
	res := &Result{Backend: l.backend}

	if err := ctx.Err(); err != nil {
		res.Canceled = true
		return res, err
	}

	// Under bwrap the pid namespace already holds the run together, so its
	// cgroup is only for a process limit; elsewhere it also finds processes
	// that left the process group.
	var runCg *runCgroup
	if l.procs > 0 || l.mode != holdBwrap {
		var err error
		procs := l.procs
		if procs > 0 && l.mode == holdBwrap {
			procs += 2 // bwrap itself and the namespace's init
		}
		if runCg, err = l.cg.create(procs); err != nil {
			return nil, err
		}
		defer l.cg.release(runCg)
	}

	var pipes []*os.File
	closeAll := func() {
		for _, f := range pipes {
			_ = f.Close()
		}
	}
	defer closeAll()
	pipe := func() (*os.File, *os.File, error) {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, nil, fmt.Errorf("create pipe: %w", err)
		}
		pipes = append(pipes, r, w)
		return r, w, nil
	}
	outR, outW, err := pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := pipe()
	if err != nil {
		return nil, err
	}
	holdR, holdW, err := pipe()
	if err != nil {
		return nil, err
	}

	// The command, behind the shell that holds it (process, apptainer)
	// or that moves it into its cgroup first (bwrap, as root).
	argv := l.argv
	join := runCg.joinFile()
	var readyR, readyW *os.File
	switch {
	case l.mode == holdShell && join != "":
		if readyR, readyW, err = pipe(); err != nil {
			return nil, err
		}
		argv = append([]string{"/bin/sh", "-c", joinHoldScript, "mlbench-sandbox", join}, argv...)
	case l.mode == holdShell:
		argv = append([]string{"/bin/sh", "-c", holdScript, "mlbench-sandbox"}, argv...)
	case join != "":
		argv = append([]string{"/bin/sh", "-c", joinScript, "mlbench-sandbox", join}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = l.env
	cmd.Dir = l.dir
	cmd.Stdout, cmd.Stderr = outW, errW
	// Own process group: the whole tree can be signalled, and a terminal's
	// Ctrl-C reaches the harness, which then ends runs itself.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var statusR, statusW *os.File
	switch l.mode {
	case holdBwrap:
		if statusR, statusW, err = pipe(); err != nil {
			return nil, err
		}
		cmd.ExtraFiles = []*os.File{statusW, holdR} // fds 3 and 4
	case holdShell:
		cmd.ExtraFiles = []*os.File{holdR} // fd 3
		if readyW != nil {
			cmd.ExtraFiles = append(cmd.ExtraFiles, readyW) // fd 4
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, &SetupError{Backend: l.backend, Err: err}
	}
	for _, f := range []*os.File{outW, errW, holdR, statusW, readyW} {
		if f != nil {
			_ = f.Close()
		}
	}

	stdout, stderr := NewCapture(l.outputMax), NewCapture(l.outputMax)
	combined := NewCapture(l.outputMax)
	var readers sync.WaitGroup
	for _, s := range []struct {
		r   *os.File
		own *Capture
	}{{outR, stdout}, {errR, stderr}} {
		readers.Add(1)
		go func() {
			defer readers.Done()
			_, _ = io.Copy(io.MultiWriter(s.own, combined), s.r)
		}()
	}

	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	// abort kills a run that has not been released and reports why, with
	// what the sandbox binary said.
	abort := func(err error) (*Result, error) {
		kill(-cmd.Process.Pid, syscall.SIGKILL)
		kill(cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		drain(&readers, outR, errR)
		return nil, &SetupError{Backend: l.backend, Stderr: stderr.String(), Err: err}
	}

	// The process that is held, and that carries the limits.
	target := cmd.Process.Pid
	var status *json.Decoder
	if l.mode == holdBwrap {
		status = json.NewDecoder(statusR)
		var st bwrapStatus
		if err := status.Decode(&st); err != nil || st.ChildPid <= 0 {
			return abort(errors.New("sandbox did not start"))
		}
		target = st.ChildPid
	}
	if readyR != nil {
		// The shell has joined the cgroup once it says so.
		line := make([]byte, 6)
		if n, _ := io.ReadFull(readyR, line); n != len(line) {
			return abort(errors.New("join cgroup: the holding shell failed"))
		}
	} else if join == "" {
		if err := runCg.add(target); err != nil {
			return abort(err)
		}
	}
	if err := applyLimits(target, l.memory, l.dataLimit, l.procs, l.cpus, l.disk); err != nil {
		return abort(fmt.Errorf("apply limits: %w", err))
	}
	start := time.Now()
	if _, err := holdW.Write([]byte("go\n")); err != nil {
		return abort(fmt.Errorf("release sandbox: %w", err))
	}
	_ = holdW.Close()

	// bwrap reports the script's exit status once its init has reaped it.
	var code *int
	statusDone := make(chan struct{})
	if l.mode == holdBwrap {
		go func() {
			var st bwrapStatus
			if err := status.Decode(&st); err == nil {
				code = st.ExitCode
			}
			close(statusDone)
		}()
	} else {
		close(statusDone)
	}

	timer := time.NewTimer(l.timeout)
	defer timer.Stop()
	full := watchDisk(l.disk, l.diskDirs, exited)
	stopped := false
	select {
	case <-exited:
	case <-timer.C:
		res.TimedOut, stopped = true, true
	case <-full:
		res.DiskExceeded, stopped = true, true
	case <-ctx.Done():
		res.Canceled, stopped = true, true
	}
	if stopped {
		l.stop(cmd.Process.Pid, target, runCg, exited)
	}
	res.Wall = time.Since(start)
	// Leftovers of a script that exited while its children lived on.
	if l.mode == holdShell {
		// Until only zombies are left: a killed orphan stays a member of
		// the group until init reaps it, which may take a while.
		for i := 0; i < 200 && syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) == nil && groupAlive(cmd.Process.Pid); i++ {
			time.Sleep(5 * time.Millisecond)
		}
	}
	runCg.killAll()

	drain(&readers, outR, errR)
	<-statusDone
	res.Stdout, res.Stderr, res.Output = stdout.String(), stderr.String(), combined.String()
	if res.DiskExceeded {
		// Say it where the reviewer reads, as a timeout is said by the status.
		note := fmt.Sprintf("\n[mlbench: killed: the run wrote more than %d bytes into its working, submission and /tmp directories (exec.disk)]\n", l.disk)
		res.Stderr += note
		res.Output += note
	}
	res.StdoutBytes, res.StderrBytes = stdout.Total(), stderr.Total()

	ps := cmd.ProcessState
	if ps == nil {
		return nil, fmt.Errorf("wait for %s sandbox: %w", l.backend, waitErr)
	}
	ws, _ := ps.Sys().(syscall.WaitStatus)
	res.ExitCode = ps.ExitCode()
	switch {
	case ws.Signaled():
		res.ExitCode, res.Signal = -1, ws.Signal()
	case l.mode != holdBwrap:
	case code != nil:
		res.ExitCode = *code
	case !stopped:
		// Without a status report, bwrap's own setup or the exec of the
		// interpreter failed.
		return nil, &SetupError{Backend: l.backend, Stderr: res.Stderr, Err: fmt.Errorf("sandbox exited with status %d before the script ran", ps.ExitCode())}
	}
	if c := res.ExitCode; l.mode == holdBwrap && c > 128 && c < 128+65 {
		// bwrap reports death by signal n as 128+n.
		res.ExitCode, res.Signal = -1, syscall.Signal(c-128)
	}
	if res.Signal == syscall.SIGKILL && !stopped {
		// Nothing but the kernel's OOM killer sends SIGKILL unasked.
		res.OOM = true
	}
	if res.ExitCode != 0 && oomPattern.MatchString(res.Stderr) {
		res.OOM = true
	}
	if res.Canceled {
		return res, ctx.Err()
	}
	return res, nil
}

// stop ends a run: SIGTERM to every process of it, the grace period, then
// SIGKILL until the sandbox's first process has exited.
func (l *launch) stop(pid, target int, cg *runCgroup, exited <-chan struct{}) {
	l.signalAll(pid, target, cg, syscall.SIGTERM)
	grace := time.NewTimer(l.grace)
	defer grace.Stop()
	select {
	case <-exited:
		return
	case <-grace.C:
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		l.signalAll(pid, target, cg, syscall.SIGKILL)
		select {
		case <-exited:
			return
		case <-tick.C:
		}
	}
}

// signalAll sends sig to every process of the run that can be found.
func (l *launch) signalAll(pid, target int, cg *runCgroup, sig syscall.Signal) {
	switch l.mode {
	case holdBwrap:
		if sig == syscall.SIGKILL {
			// The pid namespace dies with its init, and all in it.
			kill(target, sig)
			kill(pid, sig)
			return
		}
		// The namespace's init ignores SIGTERM from outside; its
		// descendants are the script and everything it started.
		for _, p := range descendants(target) {
			kill(p, sig)
		}
	case holdShell:
		kill(-pid, sig)
		for _, p := range descendants(pid) {
			kill(p, sig)
		}
		kill(pid, sig)
	}
	cg.signal(sig)
}

// drain waits for the output readers, closing the pipes after drainWait if
// something outside the run still holds their write ends.
func drain(readers *sync.WaitGroup, pipes ...*os.File) {
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainWait):
		for _, p := range pipes {
			_ = p.Close()
		}
		<-done
	}
}
