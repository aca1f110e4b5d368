package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// WorkerLogFile is the output of a local worker process, in its item
// directory.
const WorkerLogFile = "worker.log"

// Progress is items/<i>/progress.json, rewritten after every node so that
// schedulers and `mlbench status` can show how far an item is.
type Progress struct {
	Nodes      int       `json:"nodes"`
	Buggy      int       `json:"buggy"`
	Steps      int       `json:"steps"`
	BestMetric *float64  `json:"best_metric,omitempty"`
	BestNode   string    `json:"best_node,omitempty"`
	Lower      bool      `json:"lower_is_better"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// ReadProgress reads an item's progress.json (zero Progress when absent or
// unreadable: progress is advisory, status.json is the truth).
func ReadProgress(itemDir string) Progress {
	var p Progress
	if b, err := os.ReadFile(filepath.Join(itemDir, ProgressFile)); err == nil {
		_ = json.Unmarshal(b, &p)
	}
	return p
}

// WriteProgress replaces an item's progress.json atomically.
func WriteProgress(itemDir string, p Progress) error {
	return WriteJSON(filepath.Join(itemDir, ProgressFile), p)
}

// ErrBusy is returned by LockItem when another worker holds the item.
var ErrBusy = errors.New("harness: item is being run by another worker")

// LockItem takes an exclusive flock on the item's lock file so that two
// workers (a local one and a requeued Slurm element, say) never run the
// same item at once, and records the owner in it. The lock dies with the
// process; unlock releases it earlier.
func LockItem(itemDir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(itemDir, LockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("lock item: %w", err)
	}
	// Who holds the item, for status and the web view: a dead owner of a
	// running item means it was killed and needs a resume. Best effort: the
	// lock itself is what keeps two workers apart.
	if b, err := json.Marshal(SelfOwner()); err == nil {
		_ = f.Truncate(0)
		_, _ = f.WriteAt(append(b, '\n'), 0)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}
