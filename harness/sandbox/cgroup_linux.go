package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// cgroups is the executor's own cgroup (one per controller on v1, one on
// v2) under which each run gets a child. It exists only where the current
// process may create cgroups: root, or a delegated v2 subtree.
type cgroups struct {
	v2      bool
	parents map[string]string // controller -> our parent dir ("" key on v2)
	ctrls   []string
	seq     atomic.Int64
	once    sync.Once
	pending sync.WaitGroup // background releases of run cgroups
}

// runCgroups returns the per-run cgroup parent the backends use: the pids
// controller, and only where RLIMIT_NPROC does not bind (root). Moving a
// process into a v1 cgroup waits for an RCU grace period (milliseconds), so
// runs pay it only where it buys what rlimits cannot.
func runCgroups() *cgroups {
	if nprocEnforced() {
		return nil
	}
	return detectCgroups("pids")
}

// detectCgroups returns a usable cgroup parent for the wanted controllers
// that this process may write, or nil. It never fails the executor: cgroups
// are a second line behind rlimits.
func detectCgroups(want ...string) *cgroups {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	name := fmt.Sprintf("mlbench-sandbox-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	if c := detectV1(self, mounts, name, want); c != nil {
		return c
	}
	return detectV2(self, mounts, name, want)
}

type mountEntry struct {
	root, point, fstype, super string
}

func parseMountinfo(b []byte) []mountEntry {
	var out []mountEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		i := slices.Index(f, "-")
		if i < 5 || len(f) < i+4 {
			continue
		}
		out = append(out, mountEntry{root: f[3], point: f[4], fstype: f[i+1], super: f[i+3]})
	}
	return out
}

// selfCgroups maps a controller (or "" for v2) to this process's path.
func selfCgroups(b []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

// hostDir joins a mount point with a cgroup path seen relative to the
// hierarchy root, allowing for mounts of a sub-tree (containers).
func hostDir(m mountEntry, path string) (string, bool) {
	if m.root == "/" {
		return filepath.Join(m.point, path), true
	}
	rel, ok := strings.CutPrefix(path, m.root)
	if !ok {
		return "", false
	}
	return filepath.Join(m.point, rel), true
}

func detectV1(self, mounts []byte, name string, want []string) *cgroups {
	paths := selfCgroups(self)
	c := &cgroups{parents: map[string]string{}}
	for _, ctrl := range want {
		p, ok := paths[ctrl]
		if !ok {
			continue
		}
		for _, m := range parseMountinfo(mounts) {
			if m.fstype != "cgroup" || !slices.Contains(strings.Split(m.super, ","), ctrl) {
				continue
			}
			dir, ok := hostDir(m, p)
			if !ok {
				continue
			}
			sweepStale(dir)
			parent := filepath.Join(dir, name)
			if err := os.Mkdir(parent, 0o755); err != nil {
				continue
			}
			c.parents[ctrl] = parent
			c.ctrls = append(c.ctrls, ctrl)
			break
		}
	}
	if len(c.ctrls) == 0 {
		return nil
	}
	return c
}

func detectV2(self, mounts []byte, name string, want []string) *cgroups {
	p, ok := selfCgroups(self)[""]
	if !ok {
		return nil
	}
	for _, m := range parseMountinfo(mounts) {
		if m.fstype != "cgroup2" {
			continue
		}
		dir, ok := hostDir(m, p)
		if !ok {
			continue
		}
		// Our own cgroup holds us, so it cannot enable controllers for its
		// children (no internal processes); use only what is already on.
		sub, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
		if err != nil {
			continue
		}
		var have []string
		for _, ctrl := range want {
			if slices.Contains(strings.Fields(string(sub)), ctrl) {
				have = append(have, ctrl)
			}
		}
		if len(have) == 0 {
			continue
		}
		sweepStale(dir)
		c := &cgroups{v2: true, parents: map[string]string{"": filepath.Join(dir, name)}, ctrls: have}
		if err := c.makeParent(""); err != nil {
			continue
		}
		return c
	}
	return nil
}

func (c *cgroups) has(ctrl string) bool { return c != nil && slices.Contains(c.ctrls, ctrl) }

func (c *cgroups) String() string {
	if c == nil {
		return ""
	}
	v := "v1"
	if c.v2 {
		v = "v2"
	}
	return v + ":" + strings.Join(c.ctrls, ",")
}

// close removes the parent directories; idempotent.
func (c *cgroups) close() {
	if c == nil {
		return
	}
	c.once.Do(func() {
		c.pending.Wait()
		for _, dir := range c.parents {
			_ = os.Remove(dir)
		}
	})
}

// runCgroup is the cgroup of one run.
type runCgroup struct {
	v2   bool
	dirs map[string]string // controller -> dir; "" on v2
}

// makeParent (re)creates the executor's own cgroup for key.
func (c *cgroups) makeParent(key string) error {
	parent := c.parents[key]
	if err := os.Mkdir(parent, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	if c.v2 {
		// Children need the controllers enabled in their parent.
		enable := "+" + strings.Join(c.ctrls, " +")
		if err := os.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), []byte(enable), 0); err != nil {
			_ = os.Remove(parent)
			return err
		}
	}
	return nil
}

// sweepStale removes the cgroups that executors of processes no longer
// alive left in dir (a killed harness cannot clean up after itself).
func sweepStale(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), "mlbench-sandbox-")
		if !ok || !e.IsDir() {
			continue
		}
		pidText, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		stale := filepath.Join(dir, e.Name())
		runs, _ := filepath.Glob(filepath.Join(stale, "run-*"))
		for _, r := range runs {
			_ = os.Remove(r)
		}
		_ = os.Remove(stale)
	}
}

// create makes the cgroup of one run with the given process limit (<= 0:
// none).
func (c *cgroups) create(procs int) (*runCgroup, error) {
	if c == nil {
		return nil, nil
	}
	name := fmt.Sprintf("run-%d", c.seq.Add(1))
	r := &runCgroup{v2: c.v2, dirs: map[string]string{}}
	for key, parent := range c.parents {
		dir := filepath.Join(parent, name)
		err := os.Mkdir(dir, 0o755)
		if errors.Is(err, os.ErrNotExist) {
			// Someone removed our parent; make it again.
			if err = c.makeParent(key); err == nil {
				err = os.Mkdir(dir, 0o755)
			}
		}
		if err != nil {
			r.remove()
			return nil, fmt.Errorf("create cgroup: %w", err)
		}
		r.dirs[key] = dir
	}
	write := func(ctrl, file, value string) error {
		key := ctrl
		if c.v2 {
			key = ""
		}
		if err := os.WriteFile(filepath.Join(r.dirs[key], file), []byte(value), 0); err != nil {
			return fmt.Errorf("set cgroup %s: %w", file, err)
		}
		return nil
	}
	var err error
	if procs > 0 && c.has("pids") {
		err = errors.Join(err, write("pids", "pids.max", strconv.Itoa(procs)))
	}
	if err != nil {
		r.remove()
		return nil, err
	}
	return r, nil
}

// add moves pid into the run's cgroups.
func (r *runCgroup) add(pid int) error {
	if r == nil {
		return nil
	}
	for _, dir := range r.dirs {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("join cgroup: %w", err)
		}
	}
	return nil
}

// joinFile is the file a task writes "0" to in order to join the run's
// cgroup by itself (cgroup v1 with one controller), or "".
func (r *runCgroup) joinFile() string {
	if r == nil || r.v2 || len(r.dirs) != 1 {
		return ""
	}
	for _, dir := range r.dirs {
		return filepath.Join(dir, "tasks")
	}
	return ""
}

// pids lists the processes in the run's cgroups.
func (r *runCgroup) pids() []int {
	if r == nil {
		return nil
	}
	var out []int
	for _, dir := range r.dirs {
		b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(out, pid) {
				out = append(out, pid)
			}
		}
	}
	return out
}

// signal sends sig to every process in the run's cgroups.
func (r *runCgroup) signal(sig syscall.Signal) int {
	pids := r.pids()
	for _, pid := range pids {
		_ = syscall.Kill(pid, sig)
	}
	return len(pids)
}

// killAll SIGKILLs the run's processes until its cgroups are empty.
func (r *runCgroup) killAll() {
	for i := 0; i < 200 && r.signal(syscall.SIGKILL) > 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
}

// remove kills what is left and deletes the run's directories.
func (r *runCgroup) remove() {
	if r == nil {
		return
	}
	r.killAll()
	for _, dir := range r.dirs {
		// A cgroup whose last process is still exiting cannot be removed yet.
		for i := 0; i < 200; i++ {
			if err := os.Remove(dir); err == nil || errors.Is(err, os.ErrNotExist) {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// release removes r in the background: its processes are gone or going,
// and an emptied cgroup may take a few milliseconds to become removable.
// close waits for every release.
func (c *cgroups) release(r *runCgroup) {
	if c == nil || r == nil {
		return
	}
	c.pending.Add(1)
	go func() {
		defer c.pending.Done()
		r.remove()
	}()
}
