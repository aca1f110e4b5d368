package slurm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mlbench/mlbench/configs"
)

// bind is one host path a containerised worker gets, with the config key
// that names it and whether mlbench may create it: apptainer refuses a
// missing bind source, so folders mlbench writes are made before submit,
// and folders the user names must exist.
type bind struct {
	path   string
	key    string
	create bool
}

// containerBinds are the host paths a containerised worker needs: the run
// directory's parent, the binary's folder, the working directory and the
// data, leaderboard and wisdom folders the config names.
func containerBinds(cfg *configs.Config, runDir, bin, wd string) []bind {
	var out []bind
	seen := map[string]bool{}
	add := func(p, key string, create bool) {
		if p == "" {
			return
		}
		p = configs.ExpandPath(p)
		if !filepath.IsAbs(p) {
			p = filepath.Join(wd, p)
		}
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, bind{path: p, key: key, create: create})
		}
	}
	add(filepath.Dir(runDir), "results.dir", true)
	add(filepath.Dir(bin), "the mlbench binary's folder", false)
	add(wd, "the working directory", false)
	add(cfg.Data.Dir, "data.dir", false)
	add(cfg.Data.DemoDir, "data.demo_dir", true)
	add(cfg.Data.Leaderboards, "data.leaderboards", false)
	add(cfg.Memory.Wisdom.Dir, "memory.wisdom.dir", true)
	for _, b := range cfg.Exec.Binds {
		add(b, "exec.binds", false)
	}
	return out
}

func bindPaths(bs []bind) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.path
	}
	return out
}

// BindError is a container bind source that is missing and that mlbench
// must not create (or could not).
type BindError struct {
	Path string
	Key  string
	Err  error
}

func (e *BindError) Error() string {
	return fmt.Sprintf("slurm.container: bind source %s (%s) %v; apptainer refuses to start with a missing bind source: create it or change %s", e.Path, e.Key, e.Err, e.Key)
}

func (e *BindError) Unwrap() error { return e.Err }

// prepareBinds creates the folders mlbench writes and checks that the
// others exist, so that no array element fails at start on a missing
// bind source.
func prepareBinds(bs []bind) error {
	var errs []error
	for _, b := range bs {
		_, err := os.Stat(b.path)
		switch {
		case err == nil:
		case errors.Is(err, os.ErrNotExist) && b.create:
			if err := os.MkdirAll(b.path, 0o755); err != nil {
				errs = append(errs, &BindError{Path: b.path, Key: b.key, Err: fmt.Errorf("cannot be created: %w", err)})
			}
		case errors.Is(err, os.ErrNotExist):
			errs = append(errs, &BindError{Path: b.path, Key: b.key, Err: errors.New("does not exist")})
		default:
			errs = append(errs, &BindError{Path: b.path, Key: b.key, Err: err})
		}
	}
	return errors.Join(errs...)
}
