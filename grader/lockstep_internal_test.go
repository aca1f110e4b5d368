package grader

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLockstepAgreesWithTablePath grades plain and not-so-plain files of a
// ROC AUC competition with lockstep grading on and off: the verdicts must
// be the same, and lockstep must take exactly the plain ones.
func TestLockstepAgreesWithTablePath(t *testing.T) {
	const comp = "aerial-cactus-identification" // id, has_cactus
	c, err := Lookup(comp)
	if err != nil {
		t.Fatal(err)
	}
	const answers = "id,has_cactus\na.jpg,1\nb.jpg,0\nc.jpg,1\nd.jpg,0\n"
	rows := []string{"a.jpg,0.9", "b.jpg,0.1", "c.jpg,0.4", "d.jpg,0.5"}
	plain := "id,has_cactus\n" + strings.Join(rows, "\n") + "\n"
	cases := []struct {
		name, answers, sub string
		lockstep           bool
	}{
		{"plain", answers, plain, true},
		{"no final newline", answers, strings.TrimSuffix(plain, "\n"), true},
		{"columns swapped", answers, "has_cactus,id\n0.9,a.jpg\n0.1,b.jpg\n0.4,c.jpg\n0.5,d.jpg\n", true},
		{"answers with more columns", "x,id,has_cactus\n1,a.jpg,1\n2,b.jpg,0\n3,c.jpg,1\n4,d.jpg,0\n", plain, true},
		{"ties and bounds", answers, "id,has_cactus\na.jpg,1\nb.jpg,0\nc.jpg,1.0\nd.jpg,0.000\n", true},
		{"constant", answers, "id,has_cactus\na.jpg,0.5\nb.jpg,0.5\nc.jpg,0.5\nd.jpg,0.5\n", true},
		{"shuffled", answers, "id,has_cactus\nb.jpg,0.1\na.jpg,0.9\nc.jpg,0.4\nd.jpg,0.5\n", true},
		{"shuffled, columns swapped", answers, "has_cactus,id\n0.5,d.jpg\n0.4,c.jpg\n0.1,b.jpg\n0.9,a.jpg\n", true},
		{"shuffled, one id a number", "id,has_cactus\na.jpg,1\n7,0\nc.jpg,1\nd.jpg,0\n", "id,has_cactus\n7,0.1\na.jpg,0.9\nc.jpg,0.4\nd.jpg,0.5\n", true},
		{"shuffled, a repeated id", answers, "id,has_cactus\nb.jpg,0.1\na.jpg,0.9\na.jpg,0.4\nd.jpg,0.5\n", false},
		{"shuffled, an unknown id", answers, "id,has_cactus\nb.jpg,0.1\na.jpg,0.9\nx.jpg,0.4\nd.jpg,0.5\n", false},
		{"shuffled, a row short", answers, "id,has_cactus\nb.jpg,0.1\na.jpg,0.9\nd.jpg,0.5\n", false},
		{"shuffled, a row more", answers, "id,has_cactus\nb.jpg,0.1\na.jpg,0.9\nc.jpg,0.4\nd.jpg,0.5\ne.jpg,0.5\n", false},
		{"shuffled, out of range", answers, "id,has_cactus\nb.jpg,0.1\na.jpg,1.9\nc.jpg,0.4\nd.jpg,0.5\n", false},
		{"answers with a repeated id", "id,has_cactus\na.jpg,1\nb.jpg,0\na.jpg,1\nd.jpg,0\n", "id,has_cactus\nb.jpg,0.1\na.jpg,0.9\na.jpg,0.4\nd.jpg,0.5\n", false},
		// Numeric ids match as numbers on the Table path ("1" is "1.0").
		{"shuffled numeric ids", "id,has_cactus\n1,1\n2,0\n3,1\n4,0\n", "id,has_cactus\n2,0.1\n1,0.9\n3,0.4\n4,0.5\n", false},
		{"shuffled numeric ids spelled otherwise", "id,has_cactus\n1,1\n2,0\n3,1\n4,0\n", "id,has_cactus\n2.0,0.1\n1,0.9\n3,0.4\n4,0.5\n", false},
		{"crlf", answers, strings.ReplaceAll(plain, "\n", "\r\n"), false},
		{"quoted id", answers, strings.Replace(plain, "a.jpg", `"a.jpg"`, 1), false},
		{"byte-order mark", answers, "\xef\xbb\xbf" + plain, false},
		{"blank line", answers, strings.Replace(plain, "b.jpg", "\nb.jpg", 1), false},
		{"trailing blank lines", answers, plain + "\n\n", false},
		{"extra column", answers, "id,has_cactus,x\na.jpg,0.9,1\nb.jpg,0.1,1\nc.jpg,0.4,1\nd.jpg,0.5,1\n", false},
		{"short row", answers, strings.Replace(plain, "b.jpg,0.1", "b.jpg", 1), false},
		{"missing row", answers, "id,has_cactus\n" + strings.Join(rows[:3], "\n") + "\n", false},
		{"extra row", answers, plain + "e.jpg,0.3\n", false},
		{"out of range", answers, strings.Replace(plain, "0.9", "1.5", 1), false},
		{"negative", answers, strings.Replace(plain, "0.9", "-0.1", 1), false},
		{"missing value", answers, strings.Replace(plain, "0.9", "", 1), false},
		{"exponent", answers, strings.Replace(plain, "0.9", "9e-1", 1), false},
		{"boolean", answers, strings.Replace(plain, "0.9", "True", 1), false},
		{"NUL", answers, strings.Replace(plain, "0.9", "0.9\x00", 1), false},
		{"duplicate header", answers, "id,has_cactus,has_cactus\na.jpg,0.9,1\nb.jpg,0.1,1\nc.jpg,0.4,1\nd.jpg,0.5,1\n", false},
		{"wrong target name", answers, strings.Replace(plain, "has_cactus", "label", 1), false},
		{"header only", answers, "id,has_cactus\n", false},
		{"empty", answers, "", false},
		{"answers as booleans", "id,has_cactus\na.jpg,True\nb.jpg,False\nc.jpg,True\nd.jpg,False\n", plain, false},
		{"answers with three labels", "id,has_cactus\na.jpg,2\nb.jpg,0\nc.jpg,1\nd.jpg,0\n", plain, false},
		{"answers of one class", "id,has_cactus\na.jpg,1\nb.jpg,1\nc.jpg,1\nd.jpg,1\n", plain, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			ans := filepath.Join(dir, filepath.FromSlash(c.Answers))
			sub := filepath.Join(dir, "submission.csv")
			writeFile(t, ans, tc.answers)
			writeFile(t, sub, tc.sub)
			f, err := os.Open(sub)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			g := graders[comp].(lockstepGrader)
			_, ok, err := gradeLockstep(context.Background(), g, f, ans)
			if err != nil || ok != tc.lockstep {
				t.Errorf("lockstep took it: %v (err %v), want %v", ok, err, tc.lockstep)
			}
			req := Request{CompetitionID: comp, SubmissionPath: sub, DataDir: dir}
			on := gradeJSON(t, req)
			lockstepOff.Store(true)
			defer lockstepOff.Store(false)
			if off := gradeJSON(t, req); on != off {
				t.Errorf("verdicts differ:\nlockstep %s\ntable    %s", on, off)
			}
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gradeJSON grades req and returns the report without its time.
func gradeJSON(t *testing.T, req Request) string {
	t.Helper()
	rep, err := Grade(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	rep.CreatedAt = time.Time{}
	b, err := rep.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestLockstepAgreesOnRandomFiles grades random small files, in order,
// shuffled and damaged, with lockstep grading on and off.
func TestLockstepAgreesOnRandomFiles(t *testing.T) {
	const comp = "aerial-cactus-identification"
	c, err := Lookup(comp)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	ans := filepath.Join(dir, filepath.FromSlash(c.Answers))
	sub := filepath.Join(dir, "submission.csv")
	req := Request{CompetitionID: comp, SubmissionPath: sub, DataDir: dir}
	taken := 0
	for trial := range 150 {
		n := 1 + rng.IntN(40)
		ids := make([]string, n)
		for i := range ids {
			if rng.IntN(4) == 0 {
				ids[i] = strconv.Itoa(rng.IntN(60)) // numbers, sometimes repeated
			} else {
				ids[i] = fmt.Sprintf("img%d.jpg", rng.IntN(1000))
			}
		}
		var a, s strings.Builder
		a.WriteString("id,has_cactus\n")
		for _, id := range ids {
			fmt.Fprintf(&a, "%s,%d\n", id, rng.IntN(2))
		}
		order := rng.Perm(n)
		if rng.IntN(2) == 0 {
			slices.Sort(order)
		}
		s.WriteString("id,has_cactus\n")
		for _, i := range order {
			id := ids[i]
			switch rng.IntN(8 * n) {
			case 0:
				id += ".0"
			case 1:
				id = "x" + id
			}
			fmt.Fprintf(&s, "%s,%.3f\n", id, rng.Float64()*1.05)
		}
		writeFile(t, ans, a.String())
		writeFile(t, sub, s.String())
		f, err := os.Open(sub)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := gradeLockstep(context.Background(), graders[comp].(lockstepGrader), f, ans); ok {
			taken++
		}
		f.Close()
		on := gradeJSON(t, req)
		lockstepOff.Store(true)
		off := gradeJSON(t, req)
		lockstepOff.Store(false)
		if on != off {
			t.Fatalf("trial %d: verdicts differ\nanswers:\n%s\nsubmission:\n%s\nlockstep %s\ntable    %s", trial, a.String(), s.String(), on, off)
		}
	}
	if taken < 20 {
		t.Errorf("lockstep took %d of 150 files; the test should give it more", taken)
	}
}
