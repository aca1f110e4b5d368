package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/scheduler/local"
)

// fakeWorker is a shell script standing in for `mlbench worker`: it records
// how many workers run at once, and behaves per item (index 1 crashes,
// items listed in STUBBORN ignore SIGTERM).
const fakeWorker = `#!/bin/sh
# args: worker --run DIR --index N
dir=$3; idx=$5
# Install the TERM trap before announcing readiness: the test cancels as
# soon as every worker is active, and a trap installed later would miss it.
trap 'echo term > "$dir/term-$idx"; rm -f "$dir/active/$idx"; exit 143' TERM
case " $STUBBORN " in *" $idx "*) trap '' TERM;; esac
mkdir -p "$dir/active"
touch "$dir/active/$idx"
n=$(ls "$dir/active" | wc -l)
echo "$n" >> "$dir/concurrency"
sleep "${SLEEP:-0.3}" &
wait $!
rm -f "$dir/active/$idx"
if [ "$idx" = 1 ]; then echo crash >&2; exit 3; fi
echo done > "$dir/done-$idx"
`

func setup(t *testing.T) (bin, runDir string) {
	t.Helper()
	dir := t.TempDir()
	bin = filepath.Join(dir, "worker.sh")
	if err := os.WriteFile(bin, []byte(fakeWorker), 0o755); err != nil {
		t.Fatal(err)
	}
	runDir = filepath.Join(dir, "run")
	os.MkdirAll(runDir, 0o755)
	return bin, runDir
}

func TestBoundedAndIsolated(t *testing.T) {
	bin, runDir := setup(t)
	var mu sync.Mutex
	exits := map[int]error{}
	l := &local.Local{Jobs: 2, Binary: bin, OnExit: func(i int, err error) {
		mu.Lock()
		exits[i] = err
		mu.Unlock()
	}}
	if err := l.Submit(context.Background(), runDir, []int{0, 1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(runDir, "concurrency"))
	for _, f := range strings.Fields(string(b)) {
		if n, _ := strconv.Atoi(f); n > 2 {
			t.Errorf("%d workers ran at once with Jobs=2", n)
		}
	}
	for _, i := range []int{0, 2, 3, 4} {
		if _, err := os.Stat(filepath.Join(runDir, "done-"+strconv.Itoa(i))); err != nil || exits[i] != nil {
			t.Errorf("item %d did not finish despite item 1 crashing: %v", i, exits[i])
		}
	}
	if exits[1] == nil {
		t.Error("the crashing worker's exit was not reported")
	}
	if tail := local.Tail(runDir, 1, 200); !strings.Contains(tail, "crash") {
		t.Errorf("worker log tail: %q", tail)
	}
}

func TestCancelIsGracefulThenKills(t *testing.T) {
	bin, runDir := setup(t)
	t.Setenv("SLEEP", "30")
	t.Setenv("STUBBORN", "2")
	l := &local.Local{Jobs: 3, Binary: bin, Grace: 500 * time.Millisecond}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			if n, _ := os.ReadDir(filepath.Join(runDir, "active")); len(n) == 3 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	err := l.Submit(ctx, runDir, []int{0, 2, 3})
	if err != context.Canceled {
		t.Errorf("Submit after cancel: %v", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("cancel took %s: workers were not stopped", d)
	}
	for _, i := range []string{"0", "3"} {
		if _, err := os.Stat(filepath.Join(runDir, "term-"+i)); err != nil {
			t.Errorf("worker %s did not get SIGTERM: %v", i, err)
		}
	}
	if _, err := os.Stat(filepath.Join(runDir, "done-2")); err == nil {
		t.Error("the stubborn worker was not killed")
	}
}
