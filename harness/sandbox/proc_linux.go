package sandbox

import (
	"bytes"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// descendants lists every live descendant of root (not root itself), found
// through the parent links in /proc. Processes reparented away from the tree
// (to init or a subreaper outside it) are not found; under bwrap the pid
// namespace's init adopts them, so the tree stays whole.
func descendants(root int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid := parentOf(pid); ppid > 0 {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// procStat is what we read from /proc/<pid>/stat.
type procStat struct {
	state      byte
	ppid, pgrp int
}

// statOf reads /proc/<pid>/stat; ok is false when the process is gone.
func statOf(pid int) (procStat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, false
	}
	// The command name is in parentheses and may itself contain ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 3 || len(f[0]) != 1 {
		return procStat{}, false
	}
	ppid, _ := strconv.Atoi(string(f[1]))
	pgrp, _ := strconv.Atoi(string(f[2]))
	return procStat{state: f[0][0], ppid: ppid, pgrp: pgrp}, true
}

// parentOf reads the parent pid of pid, or 0.
func parentOf(pid int) int {
	st, _ := statOf(pid)
	return st.ppid
}

// groupAlive reports whether process group pgid has a member that is not
// a zombie.
func groupAlive(pgid int) bool {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, ok := statOf(pid); ok && st.pgrp == pgid && st.state != 'Z' && st.state != 'X' {
			return true
		}
	}
	return false
}

// applyLimits sets rlimits and CPU affinity on pid, which must be held
// before exec so that everything it becomes and forks inherits them.
func applyLimits(pid int, memory int64, dataLimit bool, procs int, cpus []int, disk int64) error {
	set := func(res int, v uint64) error {
		lim := unix.Rlimit{Cur: v, Max: v}
		if err := unix.Prlimit(pid, res, &lim, nil); err != nil {
			return &os.SyscallError{Syscall: "prlimit", Err: err}
		}
		return nil
	}
	if err := set(unix.RLIMIT_CORE, 0); err != nil {
		return err
	}
	if memory > 0 {
		res := unix.RLIMIT_AS
		if dataLimit {
			res = unix.RLIMIT_DATA
		}
		if err := set(res, uint64(memory)); err != nil {
			return err
		}
	}
	if disk > 0 {
		// No one file may outgrow the whole cap; watchDisk bounds the sum.
		if err := set(unix.RLIMIT_FSIZE, uint64(disk)); err != nil {
			return err
		}
	}
	if procs > 0 {
		if err := set(unix.RLIMIT_NPROC, uint64(procs)); err != nil {
			return err
		}
	}
	if len(cpus) > 0 {
		var cs unix.CPUSet
		for _, c := range cpus {
			cs.Set(c)
		}
		if err := unix.SchedSetaffinity(pid, &cs); err != nil {
			return &os.SyscallError{Syscall: "sched_setaffinity", Err: err}
		}
	}
	return nil
}

// allowedCPUs lists the CPUs this process may run on.
func allowedCPUs() []int {
	var cs unix.CPUSet
	if err := unix.SchedGetaffinity(0, &cs); err != nil {
		return nil
	}
	var out []int
	for i := 0; i < len(cs)*64; i++ {
		if cs.IsSet(i) {
			out = append(out, i)
		}
	}
	return out
}

// processAlive reports whether pid exists (zombies included).
func processAlive(pid int) bool {
	return syscall.Kill(pid, 0) != syscall.ESRCH
}

// kill sends sig to pid, ignoring processes that are already gone.
func kill(pid int, sig syscall.Signal) {
	if pid > 0 {
		_ = syscall.Kill(pid, sig)
	}
}

// nprocEnforced reports whether RLIMIT_NPROC binds processes of this user:
// the kernel exempts root (and holders of CAP_SYS_RESOURCE/CAP_SYS_ADMIN).
func nprocEnforced() bool { return os.Geteuid() != 0 }
