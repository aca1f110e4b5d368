package sandbox

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Mount shows a host path (file or directory) at a fixed place inside the
// sandbox. The process backend cannot move paths: its callers give the
// code host paths instead and Mounts are ignored there.
type Mount struct {
	// Host is the host path; Inside where the code sees it (absolute).
	Host, Inside string
	// Writable binds it read-write; otherwise read-only.
	Writable bool
}

// Forward is one way out of the sandbox's private network namespace: the
// forwarder, mlbench's own binary started as the sandbox's first process,
// listens on Listen (a TCP address inside the sandbox, e.g.
// 127.0.0.1:5000) and copies every connection to the Unix socket Socket
// on the host, where the caller serves what it allows (the validation
// server, an allow-listing proxy). Nothing else leaves the namespace.
type Forward struct {
	Listen string
	Socket string
}

// Paths inside the sandbox where the forwarder and its sockets are bound.
const (
	runDir       = "/run/mlbench"
	forwarderBin = runDir + "/mlbench"
)

// checkCommand validates the command-related fields of a Spec.
func (j *job) checkCommand() error {
	s := j.spec
	if len(s.Command) == 0 {
		if len(s.Secrets) > 0 {
			return &SpecError{Field: "Secrets", Err: errors.New("only a Command (an external agent) may receive secrets, never generated code")}
		}
		if len(s.Forwards) > 0 {
			return &SpecError{Field: "Forwards", Err: errors.New("only a Command may have forwards")}
		}
		return nil
	}
	if s.Script != "" || s.Code != "" {
		return &SpecError{Field: "Command", Err: errors.New("set Command, or Script or Code, not both")}
	}
	if s.Command[0] == "" {
		return &SpecError{Field: "Command", Err: errors.New("empty program")}
	}
	for _, m := range s.Mounts {
		if !filepath.IsAbs(m.Host) || !filepath.IsAbs(m.Inside) {
			return &SpecError{Field: "Mounts", Value: m.Host + " -> " + m.Inside, Err: errors.New("paths must be absolute")}
		}
		if _, err := os.Stat(m.Host); err != nil {
			return &SpecError{Field: "Mounts", Value: m.Host, Err: err}
		}
		for _, h := range j.hide {
			if within(h, m.Host) || within(m.Host, h) || within(resolve(m.Host), h) {
				return &SpecError{Field: "Mounts", Value: m.Host, Err: fmt.Errorf("overlaps hidden path %s", h)}
			}
		}
	}
	for _, f := range s.Forwards {
		if f.Listen == "" || !filepath.IsAbs(f.Socket) {
			return &SpecError{Field: "Forwards", Value: f.Listen + " -> " + f.Socket, Err: errors.New("need a listen address and an absolute socket path")}
		}
	}
	if len(s.Forwards) > 0 {
		bin, err := j.forwarder()
		if err != nil {
			return &SpecError{Field: "Forwards", Err: fmt.Errorf("find the forwarder binary: %w", err)}
		}
		j.forwarderBin = bin
	}
	for name := range s.Secrets {
		if name == "" || strings.ContainsAny(name, "=\x00") {
			return &SpecError{Field: "Secrets", Value: name, Err: errors.New("not an environment variable name")}
		}
	}
	return nil
}

// forwarder is the host path of the binary that serves as forwarder.
func (j *job) forwarder() (string, error) {
	if j.forwarderBin != "" {
		return j.forwarderBin, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(exe)
}

// commandArgv is the argv to exec: the command, behind the forwarder when
// the spec has forwards. inside says whether socket and binary paths are
// the sandbox's (bwrap, apptainer) or the host's (process).
func (j *job) commandArgv(inside bool) []string {
	if len(j.spec.Forwards) == 0 {
		return j.spec.Command
	}
	bin := j.forwarderBin
	if inside {
		bin = forwarderBin
	}
	argv := []string{bin, ForwarderArg}
	for i, f := range j.spec.Forwards {
		sock := f.Socket
		if inside {
			sock = innerSocket(i)
		}
		argv = append(argv, f.Listen+"="+sock)
	}
	return append(append(argv, "--"), j.spec.Command...)
}

// innerSocket is where forward i's socket is bound inside the sandbox.
func innerSocket(i int) string { return runDir + "/" + strconv.Itoa(i) + ".sock" }

// bwrapCommandArgs are the bwrap arguments that mount the spec's extra
// paths, the forwarder and its sockets.
func (j *job) bwrapCommandArgs() []string {
	var args []string
	for _, m := range j.spec.Mounts {
		op := "--ro-bind"
		if m.Writable {
			op = "--bind"
		}
		args = append(args, op, m.Host, m.Inside)
	}
	if len(j.spec.Forwards) > 0 {
		args = append(args, "--ro-bind", j.forwarderBin, forwarderBin)
		for i, f := range j.spec.Forwards {
			args = append(args, "--bind", f.Socket, innerSocket(i))
		}
	}
	return args
}

// apptainerCommandBinds are the --bind values of the extra paths.
func (j *job) apptainerCommandBinds() [][3]string {
	var out [][3]string
	for _, m := range j.spec.Mounts {
		mode := "ro"
		if m.Writable {
			mode = "rw"
		}
		out = append(out, [3]string{m.Host, m.Inside, mode})
	}
	if len(j.spec.Forwards) > 0 {
		out = append(out, [3]string{j.forwarderBin, forwarderBin, "ro"})
		for i, f := range j.spec.Forwards {
			out = append(out, [3]string{f.Socket, innerSocket(i), "rw"})
		}
	}
	return out
}

// withSecrets adds the spec's secrets to env: they reach the command only
// through its environment, never a file.
func (j *job) withSecrets(env map[string]string) map[string]string {
	if len(j.spec.Secrets) == 0 {
		return env
	}
	out := maps.Clone(env)
	maps.Copy(out, j.spec.Secrets)
	return out
}
