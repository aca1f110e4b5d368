package memory_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mlbench/mlbench/memory"
)

// The test binary re-executes itself as a wisdom writer when helperEnv is
// set; the other variables parameterise the writer.
const (
	helperEnv = "MLBENCH_MEMORY_TEST_HELPER"
	dirEnv    = "MLBENCH_MEMORY_TEST_DIR"
	writerEnv = "MLBENCH_MEMORY_TEST_WRITER"
	countEnv  = "MLBENCH_MEMORY_TEST_COUNT"
	startEnv  = "MLBENCH_MEMORY_TEST_START"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "write-wisdom" {
		if err := writeWisdom(); err != nil {
			fmt.Fprintln(os.Stderr, "wisdom writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	cleanupBench()
	os.Exit(code)
}

// writerEntry is the i-th distinct entry of writer w.
func writerEntry(w, i int) memory.Entry {
	return memory.Entry{
		TaskID:        fmt.Sprintf("task-%02d", w%16),
		DataModality:  []string{"tabular", "image", "text", "audio"}[w%4],
		Metric:        []string{"rmse", "accuracy", "roc_auc", "log_loss"}[i%4],
		Keywords:      []string{"writer", fmt.Sprintf("w%02d", w), fmt.Sprintf("entry%02d", i), "shared"},
		ColumnTypes:   []string{"numeric", "categorical"},
		BestDesign:    fmt.Sprintf("design %d of writer %d", i, w),
		BestMetric:    metric(float64(w) + float64(i)/100),
		ModelFamilies: []string{"lightgbm"},
		RunID:         fmt.Sprintf("run-w%02d", w),
		CreatedAt:     t0.Add(time.Duration(w*1000+i) * time.Second),
	}
}

// commonEntry is written by every writer: content addressing makes it one
// file however many write it at once.
func commonEntry() memory.Entry {
	return memory.Entry{TaskID: "common", Keywords: []string{"shared"}, CreatedAt: t0}
}

func writeWisdom() error {
	w, err := strconv.Atoi(os.Getenv(writerEnv))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(os.Getenv(countEnv))
	if err != nil {
		return err
	}
	// Start together, so that the writes overlap.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if _, err := os.Stat(os.Getenv(startEnv)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no start signal")
		}
	}
	s := memory.Open(os.Getenv(dirEnv))
	for i := 0; i < n; i++ {
		if _, err := s.Put(writerEntry(w, i)); err != nil {
			return err
		}
		if i == n/2 {
			if _, err := s.Put(commonEntry()); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestConcurrentWriters runs 64 processes that each write 20 entries (and
// one entry they all share) into one wisdom directory while this process
// reads it in a loop.
func TestConcurrentWriters(t *testing.T) {
	const writers, perWriter = 64, 20
	root := t.TempDir()
	dir := filepath.Join(root, "wisdom")
	start := filepath.Join(root, "start")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}

	type proc struct {
		cmd *exec.Cmd
		out bytes.Buffer
	}
	procs := make([]*proc, writers)
	for w := range procs {
		p := &proc{cmd: exec.Command(exe, "-test.run=^$")}
		p.cmd.Env = append(os.Environ(), helperEnv+"=write-wisdom", dirEnv+"="+dir, writerEnv+"="+strconv.Itoa(w),
			countEnv+"="+strconv.Itoa(perWriter), startEnv+"="+start)
		p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
		if err := p.cmd.Start(); err != nil {
			t.Fatalf("start writer %d: %v", w, err)
		}
		procs[w] = p
	}

	// The reader: a long-lived store (incremental reloads) and fresh ones
	// (cold loads), reading and searching until the writers are done.
	var done atomic.Bool
	var wg sync.WaitGroup
	var reads, partial int
	var readErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		cached := memory.Open(dir)
		last := 0
		for i := 0; !done.Load(); i++ {
			s := cached
			if i%4 == 3 {
				s = memory.Open(dir)
			}
			entries, report, err := s.Entries()
			if err == nil && len(report.Skipped) > 0 {
				err = fmt.Errorf("read %d skipped files: %s", i, report.Warning())
			}
			if err == nil && s == cached && len(entries) < last {
				err = fmt.Errorf("read %d: %d entries after %d", i, len(entries), last)
			}
			if err == nil {
				_, err = s.Search(memory.Query{Description: "shared writer", Metric: "rmse", K: 5})
			}
			if err != nil {
				readErr = err
				return
			}
			if s == cached {
				last = len(entries)
			}
			if len(entries) > 0 && len(entries) < writers*perWriter+1 {
				partial++
			}
			reads++
		}
	}()

	if err := os.WriteFile(start, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for w, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Errorf("writer %d: %v\n%s", w, err, p.out.String())
		}
	}
	done.Store(true)
	wg.Wait()
	if readErr != nil {
		t.Fatalf("concurrent reader: %v", readErr)
	}
	t.Logf("reader: %d reads, %d of them saw a partly written store", reads, partial)

	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if strings.HasPrefix(n.Name(), ".") {
			t.Errorf("temporary file left: %s", n.Name())
		}
	}
	if len(names) != writers*perWriter+1 {
		t.Errorf("%d files, want %d", len(names), writers*perWriter+1)
	}
	report, err := memory.Open(dir).Refresh()
	if err != nil {
		t.Fatal(err)
	}
	if report.Entries != writers*perWriter+1 || len(report.Skipped) != 0 || report.TempFiles != 0 {
		t.Fatalf("final read: %+v", report)
	}
	entries, _, _ := memory.Open(dir).Entries()
	perRun := map[string]int{}
	for _, e := range entries {
		perRun[e.RunID]++
	}
	for w := 0; w < writers; w++ {
		if n := perRun[fmt.Sprintf("run-w%02d", w)]; n != perWriter {
			t.Errorf("writer %d: %d entries, want %d", w, n, perWriter)
		}
	}
}
