package sandbox

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"
)

// diskPoll is how often a run's directories are measured against its disk
// cap. A writer can overshoot the cap by what it writes in one period,
// never by more than one file's RLIMIT_FSIZE.
const diskPoll = 500 * time.Millisecond

// diskWalkLimit bounds one measurement: a run that creates more entries
// than this is measured on the first ones (a lower bound), so the watcher
// itself never becomes the run's bottleneck.
const diskWalkLimit = 1_000_000

// watchDisk returns a channel that is closed when the files under dirs
// together take more than limit bytes, measured every diskPoll until done
// is closed. limit <= 0 returns a channel that never fires.
func watchDisk(limit int64, dirs []string, done <-chan struct{}) <-chan struct{} {
	full := make(chan struct{})
	if limit <= 0 {
		return full
	}
	go func() {
		t := time.NewTicker(diskPoll)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if diskUsage(dirs) > limit {
					close(full)
					return
				}
			}
		}
	}()
	return full
}

// diskUsage sums the allocated size of the regular files under dirs (a
// sparse file counts what it occupies, not its length), without following
// symbolic links.
func diskUsage(dirs []string) int64 {
	var total int64
	seen := 0
	stop := errors.New("stop")
	for _, d := range dirs {
		if d == "" {
			continue
		}
		err := filepath.WalkDir(d, func(_ string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if seen++; seen > diskWalkLimit {
				return stop
			}
			if e.Type().IsRegular() {
				if info, err := e.Info(); err == nil {
					total += allocated(info)
				}
			}
			return nil
		})
		if err == stop {
			break
		}
	}
	return total
}

// allocated is the disk space a file occupies.
func allocated(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}
