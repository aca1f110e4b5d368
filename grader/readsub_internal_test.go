package grader

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReadSubmissionInRanges reads files large enough to be read in two
// parallel ranges: the bytes must come back whole, and a long line or a
// NUL byte must be found wherever it lies, across the ranges' seam too.
func TestReadSubmissionInRanges(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	const size = 3 * readChunk
	row := strings.Repeat("7", 99) + "\n"
	base := []byte("id,p\n" + strings.Repeat(row, size/len(row)))
	seam := maxHeaderBytes + (len(base)-maxHeaderBytes)/2 // where the second range starts
	// The limit is at least readChunk in use (the answers' size and 8 MB).
	const maxLine = readChunk + 1<<20
	// longLine makes the bytes around at one line of n bytes.
	longLine := func(at, n int) []byte {
		b := bytes.Clone(base)
		from := at - n/2
		for i := from; i < from+n; i++ {
			b[i] = 'x'
		}
		b[from-1], b[from+n] = '\n', '\n'
		return b
	}
	withNUL := func(at ...int) []byte {
		b := bytes.Clone(base)
		for _, i := range at {
			b[i] = 0
		}
		return b
	}
	for _, tc := range []struct {
		name string
		file []byte
		want string // "" when the file must come back whole
	}{
		{"plain", base, ""},
		{"long line within a range", longLine(seam/2, maxLine+1), "a line of the submission is longer than"},
		{"long line across the seam", longLine(seam+maxLine/3, maxLine+1), "a line of the submission is longer than"},
		{"line of the limit across the seam", longLine(seam, maxLine), ""},
		{"line over the limit across the seam", longLine(seam, maxLine+1), "a line of the submission is longer than"},
		{"long last line", append(bytes.Clone(base), bytes.Repeat([]byte("y"), maxLine+1)...), "a line of the submission is longer than"},
		{"NUL in each range", withNUL(seam+100, seam-100), fmt.Sprintf("NUL byte (at byte %d)", seam-100)},
		{"NUL in the second range", withNUL(len(base) - 1), fmt.Sprintf("NUL byte (at byte %d)", len(base)-1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub.csv")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			called := false
			got, err := readSubmission(context.Background(), f, int64(len(tc.file)), maxLine, func() { called = true })
			if !called {
				t.Error("headerOK was not called for a sane header")
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("read: %v", err)
			case tc.want == "" && !bytes.Equal(got, tc.file):
				t.Fatalf("read %d bytes, not the file's %d", len(got), len(tc.file))
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
}
