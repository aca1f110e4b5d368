package grader_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

// hostileAnswers are 2,000 rows of aerial-cactus answers (about 20 kB), so
// that a submission over 9.3 MB is "far larger" than them.
func hostileAnswers() string {
	var b strings.Builder
	b.WriteString("id,has_cactus\n")
	for i := range 2000 {
		fmt.Fprintf(&b, "%d.jpg,%d\n", i, i%2)
	}
	return b.String()
}

// hostileFile builds one hostile submission in dir and returns its path.
type hostileFile func(tb testing.TB, dir string) string

func writeBytes(tb testing.TB, path string, parts ...[]byte) string {
	tb.Helper()
	if err := os.WriteFile(path, bytes.Join(parts, nil), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func sparse(size int64) hostileFile {
	return func(tb testing.TB, dir string) string {
		p := filepath.Join(dir, "sparse.csv")
		f, err := os.Create(p)
		if err != nil {
			tb.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			tb.Fatal(err)
		}
		f.Close()
		return p
	}
}

// hostileCases are the inputs generated code and uploads have produced or
// could: each must get an invalid verdict, in bounded memory, with a
// short printable reason that never quotes more than a few bytes of it.
var hostileCases = []struct {
	name   string
	file   hostileFile
	reason string // a part of the expected reason
}{
	{"sparse 1 GB", sparse(1 << 30), "far larger than the answers"},
	{"NUL bytes, 60 MB", sparse(60 << 20), "far larger than the answers"},
	{"NUL bytes under the size limit", sparse(5 << 20), "holds a NUL byte (at byte 0)"},
	{"one giant header line", func(tb testing.TB, dir string) string {
		return writeBytes(tb, filepath.Join(dir, "line.csv"), bytes.Repeat([]byte("x"), 3<<20))
	}, "header line is longer than"},
	{"one giant data line", func(tb testing.TB, dir string) string {
		return writeBytes(tb, filepath.Join(dir, "cell.csv"), []byte("id,has_cactus\n0.jpg,"), bytes.Repeat([]byte{0}, 6<<20))
	}, "holds a NUL byte (at byte 20)"},
	{"a million columns in the header", func(tb testing.TB, dir string) string {
		return writeBytes(tb, filepath.Join(dir, "wide.csv"), bytes.Repeat([]byte("a,"), 500_000), []byte("\n"))
	}, "more than 16384 columns"},
	{"a million fields in a row", func(tb testing.TB, dir string) string {
		return writeBytes(tb, filepath.Join(dir, "wide-row.csv"), []byte("id,has_cactus\n"), bytes.Repeat([]byte("1,"), 1_000_000), []byte("\n"))
	}, "has 1000001 fields, the header has 2"},
	{"short rows under a wide header", func(tb testing.TB, dir string) string {
		head := strings.Repeat("c,", 16000) + "c\n"
		return writeBytes(tb, filepath.Join(dir, "short.csv"), []byte(head), bytes.Repeat([]byte("1\n"), 2_000_000))
	}, "too many short rows"},
	{"symlink to a secret", func(tb testing.TB, dir string) string {
		secret := writeBytes(tb, filepath.Join(dir, "shadow"), []byte("root:$6$SECRETHASH:19000:0:99999:7:::\n"))
		p := filepath.Join(dir, "link.csv")
		if err := os.Symlink(secret, p); err != nil {
			tb.Fatal(err)
		}
		return p
	}, "symbolic link"},
	{"FIFO", func(tb testing.TB, dir string) string {
		p := filepath.Join(dir, "fifo.csv")
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			tb.Skipf("mkfifo: %v", err)
		}
		return p
	}, "not a .csv file"},
	{"directory", func(tb testing.TB, dir string) string {
		p := filepath.Join(dir, "dir.csv")
		if err := os.Mkdir(p, 0o755); err != nil {
			tb.Fatal(err)
		}
		return p
	}, "not a .csv file"},
	{"symlink to a device", func(tb testing.TB, dir string) string {
		p := filepath.Join(dir, "zero.csv")
		if err := os.Symlink("/dev/zero", p); err != nil {
			tb.Fatal(err)
		}
		return p
	}, "not a .csv file"},
}

// gradeHostile grades sub, checks that the verdict is invalid with a
// bounded, printable reason holding want, and returns the bytes that
// grading allocated.
func gradeHostile(t *testing.T, id, dataDir, sub, want string) uint64 {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	rep, err := grader.Grade(context.Background(), grader.Request{CompetitionID: id, SubmissionPath: sub, DataDir: dataDir})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ValidSubmission || !strings.Contains(rep.Reason, want) {
		t.Errorf("valid %v, reason %q; want invalid with %q", rep.ValidSubmission, rep.Reason, want)
	}
	checkReason(t, rep.Reason)
	return after.TotalAlloc - before.TotalAlloc
}

// TestGradeHostileSubmissions grades each hostile input and checks that the
// verdict is invalid, the reason bounded and printable, and the memory
// allocated a small fraction of the file.
func TestGradeHostileSubmissions(t *testing.T) {
	id := "aerial-cactus-identification"
	dataDir := prepare(t, id, hostileAnswers())
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			sub := tc.file(t, t.TempDir())
			alloc := gradeHostile(t, id, dataDir, sub, tc.reason)
			if alloc > 64<<20 {
				t.Errorf("grading allocated %d MB", alloc>>20)
			}
			valid, msg, err := grader.Validate(context.Background(), grader.Request{CompetitionID: id, SubmissionPath: sub, DataDir: dataDir})
			if err != nil || valid {
				t.Fatalf("validate: %v %v", valid, err)
			}
			checkReason(t, msg[strings.IndexByte(msg, '\n')+1:])
		})
	}
}

// checkReason requires a reason of at most grader.MaxReasonLen printable
// bytes that quotes nothing secret.
func checkReason(t *testing.T, reason string) {
	t.Helper()
	if len(reason) > grader.MaxReasonLen {
		t.Errorf("reason of %d bytes", len(reason))
	}
	for _, c := range []byte(reason) {
		if c < 0x20 || c == 0x7f {
			t.Errorf("reason holds byte %#x: %q", c, reason)
			break
		}
	}
	if strings.Contains(reason, "SECRET") {
		t.Errorf("reason echoes the file: %q", reason)
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"plain", 10, "plain"},
		{"a\x00b\nc", 20, `a\x00b\nc`},
		{"bad \xff utf8 é", 20, `bad \xff utf8 é`},
		{strings.Repeat("x", 20), 10, "xxxxxxx..."},
		{strings.Repeat("\x00", 20), 10, `\x00...`},
		{"exactly10!", 10, "exactly10!"},
	}
	for _, tc := range tests {
		if got := grader.Printable(tc.in, tc.n); got != tc.want || len(got) > tc.n {
			t.Errorf("Printable(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// TestGradeHostileUnderTheSizeLimit: against answers of 2.6 MB, a
// submission may be up to 176 MB; one that is a valid header and then one
// endless line, or NUL bytes, is refused after reading a few MB of it.
func TestGradeHostileUnderTheSizeLimit(t *testing.T) {
	id := "aerial-cactus-identification"
	var answers strings.Builder
	answers.WriteString("id,has_cactus\n")
	for i := range 200_000 {
		fmt.Fprintf(&answers, "%d.jpg,%d\n", i, i%2)
	}
	dataDir := prepare(t, id, answers.String())
	cases := []struct {
		name   string
		file   hostileFile
		reason string
	}{
		{"a header, then 100 MB of NUL bytes", func(tb testing.TB, dir string) string {
			p := writeBytes(tb, filepath.Join(dir, "nul.csv"), []byte("id,has_cactus\n"))
			if err := os.Truncate(p, 100<<20); err != nil {
				tb.Fatal(err)
			}
			return p
		}, "holds a NUL byte (at byte 14)"},
		{"a header, then a 40 MB line", func(tb testing.TB, dir string) string {
			return writeBytes(tb, filepath.Join(dir, "line.csv"), []byte("id,has_cactus\n0.jpg,"), bytes.Repeat([]byte("7"), 40<<20))
		}, "a line of the submission is longer than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sub := tc.file(t, t.TempDir())
			alloc := gradeHostile(t, id, dataDir, sub, tc.reason)
			// The whole-file buffer is reserved once the head passed, but
			// only what was read of it is touched (fresh pages cost
			// nothing); count it out.
			st, _ := os.Stat(sub)
			if alloc := int64(alloc) - st.Size(); alloc > 32<<20 {
				t.Errorf("grading allocated %d MB beyond the file's buffer", alloc>>20)
			}
		})
	}
}
