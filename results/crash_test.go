package results_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
	"github.com/parquet-go/parquet-go"
)

// crashDirEnv tells a re-executed test binary to act as a trace writer that
// never stops, in the directory named by the variable.
const crashDirEnv = "MLBENCH_RESULTS_CRASH_WRITER_DIR"

// TestCrashWriterProcess is the child side of TestSIGKILLLeavesReadableParts:
// it only does something when re-executed with crashDirEnv set.
func TestCrashWriterProcess(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestSIGKILLLeavesReadableParts")
	}
	w, err := results.NewTraceWriter(dir, results.TraceOptions{PartRows: 3000, RowGroupRows: 1000, PartAge: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	rows := sampleNodes(100)
	for step := int64(1); ; {
		for i := range rows {
			rows[i].Step = step
			rows[i].NodeID = fmt.Sprintf("s%09d", step)
			step++
		}
		if err := w.Write(rows...); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
}

// TestSIGKILLLeavesReadableParts kills a writer process with SIGKILL while it
// writes and checks that every trace part left behind is complete and
// readable by both Parquet libraries, that the parts hold an unbroken prefix
// of what was written, and that a new writer cleans up and appends.
func TestSIGKILLLeavesReadableParts(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for round, minParts := range []int{1, 3, 6} {
		t.Run(fmt.Sprintf("after %d parts", minParts), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				parts, _ := results.TraceParts(dir)
				if len(parts) >= minParts {
					break
				}
				if time.Now().After(deadline) {
					_ = cmd.Process.Kill()
					_ = cmd.Wait()
					t.Fatalf("writer made no progress; stderr: %s", stderr.String())
				}
				time.Sleep(time.Millisecond)
			}
			// Vary the moment a little so some kills land mid-part.
			time.Sleep(time.Duration(round*7) * time.Millisecond)
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("writer did not die by SIGKILL: %v; stderr: %s", err, stderr.String())
			}

			checkCrashDir(t, dir)

			// A new writer removes the leftovers, appends after the last
			// part and compacts everything into one file on Close.
			before, _ := results.TraceParts(dir)
			w, err := results.NewTraceWriter(dir, results.TraceOptions{})
			if err != nil {
				t.Fatal(err)
			}
			extra := sampleNodes(1)
			extra[0].Step = int64(3000*len(before) + 1)
			if err := w.Write(extra...); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(dir)
			want := fmt.Sprintf("trace-000000-%06d.parquet", len(before))
			if len(entries) != 1 || entries[0].Name() != want {
				t.Fatalf("after resume: %v, want only %s", entries, want)
			}
			rows, err := parquet.ReadFile[results.NodeRow](filepath.Join(dir, want))
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range rows {
				if r.Step != int64(i+1) {
					t.Fatalf("compacted row %d has step %d", i, r.Step)
				}
			}
		})
	}
}

// checkCrashDir asserts every part is readable by parquet-go and arrow/go
// and that the parts hold steps 1..n without gaps.
func checkCrashDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "trace-") && strings.HasSuffix(name, ".parquet") {
			continue
		}
		if strings.HasPrefix(name, ".trace-") && strings.HasSuffix(name, ".tmp") {
			continue // the part being written when the kill came: not a trace file
		}
		t.Errorf("unexpected file %s", name)
	}
	parts, err := results.TraceParts(dir)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int64
	for _, p := range parts {
		rows, err := parquet.ReadFile[results.NodeRow](p)
		if err != nil {
			t.Fatalf("parquet-go cannot read %s: %v", filepath.Base(p), err)
		}
		if len(rows) != 3000 {
			t.Errorf("%s has %d rows, want a full part of 3000", filepath.Base(p), len(rows))
		}
		for _, r := range rows {
			steps = append(steps, r.Step)
		}
	}
	r := results.NewReader(checkedAllocator(t))
	got, err := r.Nodes(context.Background(), dir, "step")
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Skipped(); len(s) != 0 {
		t.Fatalf("arrow/go skipped parts after SIGKILL: %v", s)
	}
	if len(got) != len(steps) {
		t.Fatalf("arrow read %d rows, parquet-go %d", len(got), len(steps))
	}
	for i := range got {
		if got[i].Step != int64(i+1) || steps[i] != int64(i+1) {
			t.Fatalf("row %d: step %d (arrow) / %d (parquet-go), want %d", i, got[i].Step, steps[i], i+1)
		}
	}
}
