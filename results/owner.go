package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFile is the item's lock file (items/<i>/.lock). The worker that runs
// the item holds an exclusive flock on it and writes an Owner record into
// it, so that readers can tell a live owner from one that was killed.
const LockFile = ".lock"

// Owner is what a worker writes into the item's lock file once it holds
// the lock: which process on which host runs the item.
type Owner struct {
	PID  int    `json:"pid"`
	Host string `json:"host"`
	// Start is the process's start time in clock ticks since boot (field
	// 22 of /proc/<pid>/stat), so that a reused pid is not mistaken for
	// the owner; 0 when unknown.
	Start uint64 `json:"start,omitempty"`
}

// Liveness of an item's owner, as OwnerLiveness sees it from this host.
const (
	OwnerUnknown = "unknown" // no record, or the owner ran on another host
	OwnerAlive   = "alive"
	OwnerDead    = "dead"
)

// SelfOwner returns the Owner record of this process.
func SelfOwner() Owner {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return Owner{PID: pid, Host: host, Start: procStart(pid)}
}

// ReadOwner reads the owner record of the item in itemDir. It reads at most
// 4 KiB: the lock file is never large unless someone wrote into it.
func ReadOwner(itemDir string) (Owner, error) {
	var o Owner
	f, err := os.Open(filepath.Join(itemDir, LockFile))
	if err != nil {
		return o, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4<<10))
	if err != nil {
		return o, err
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return o, errors.New("results: lock file holds no owner record")
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return o, err
	}
	return o, nil
}

// OwnerLiveness says whether the process that holds (or last held) the
// item's lock still runs. It only knows about processes on this host: an
// owner on another host (a Slurm element) is OwnerUnknown, and the queue
// must answer for it. It reads the lock file and /proc; it never takes the
// lock, so it cannot get in a starting worker's way.
func OwnerLiveness(itemDir string) string {
	o, err := ReadOwner(itemDir)
	if err != nil || o.PID <= 0 {
		return OwnerUnknown
	}
	if host, _ := os.Hostname(); o.Host != host {
		return OwnerUnknown
	}
	if err := syscall.Kill(o.PID, 0); errors.Is(err, syscall.ESRCH) {
		return OwnerDead
	}
	if o.Start != 0 {
		if s := procStart(o.PID); s != 0 && s != o.Start {
			return OwnerDead // the pid was reused by another process
		}
	}
	if procZombie(o.PID) {
		return OwnerDead // killed, not yet reaped by its parent
	}
	return OwnerAlive
}

// procStat returns the fields of /proc/<pid>/stat after the command name
// (field 3 onwards), nil when unreadable.
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// procStart returns a process's start time in ticks since boot, 0 when
// unknown.
func procStart(pid int) uint64 {
	f := procStat(pid)
	if len(f) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64) // field 22
	return v
}

// procZombie reports whether pid has exited and waits to be reaped.
func procZombie(pid int) bool {
	f := procStat(pid)
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

// ItemInterrupted reports whether an item whose status.json says running
// has lost its owner on this host (killed with SIGKILL, the machine's OOM
// killer): nothing will ever finish it but a resume.
func ItemInterrupted(itemDir string, st ItemStatus) bool {
	return st.State == StateRunning && OwnerLiveness(itemDir) == OwnerDead
}
