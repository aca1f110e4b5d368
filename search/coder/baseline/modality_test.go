package baseline_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

// competition writes a fabricated competition under a fresh data root and
// returns the root and the task the harness would hand the coder (the
// reference grader's metric name, the public dir).
func competition(tb testing.TB, id string, files competitionFiles) (string, baseline.Task) {
	tb.Helper()
	root := tb.TempDir()
	files.write(tb, root)
	c, err := grader.Lookup(id)
	if err != nil {
		tb.Fatal(err)
	}
	public := filepath.Join(root, id, "prepared", "public")
	return root, baseline.Task{ID: id, PublicDir: public, Metric: c.GraderName, LowerIsBetter: &c.LowerIsBetter}
}

func TestInspectModalities(t *testing.T) {
	cases := []struct {
		id       string
		files    func(testing.TB, int) competitionFiles
		modality baseline.Modality
		images   *baseline.Images
		text     []string
		problem  baseline.Problem
		output   baseline.Output
		fallback bool
	}{
		{id: "aerial-cactus-identification", files: aerialCactus, modality: baseline.ModalityImage,
			images:  &baseline.Images{Column: "id", Train: baseline.ImageSource{Archive: "train.zip"}, Test: baseline.ImageSource{Archive: "test.zip"}},
			problem: baseline.ProblemBinary, output: baseline.OutputProba},
		{id: "dog-breed-identification", files: dogBreeds, modality: baseline.ModalityImage,
			images:  &baseline.Images{Column: "id", Train: baseline.ImageSource{Dir: "train", Ext: ".jpg"}, Test: baseline.ImageSource{Dir: "test", Ext: ".jpg"}},
			problem: baseline.ProblemMulticlass, output: baseline.OutputClassProba},
		{id: "spooky-author-identification", files: spookyAuthors, modality: baseline.ModalityText, text: []string{"text"},
			problem: baseline.ProblemMulticlass, output: baseline.OutputClassProba},
		{id: "jigsaw-toxic-comment-classification-challenge", files: jigsawToxic, modality: baseline.ModalityText,
			text: []string{"comment_text"}, problem: baseline.ProblemMultilabel, output: baseline.OutputProba},
		{id: "tgs-salt-identification-challenge", files: tgsSalt, modality: baseline.ModalityImage, fallback: true},
	}
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			_, task := competition(t, tc.id, tc.files(t, 40))
			c, err := baseline.New(task, 1)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			p := c.Profile()
			if p.Modality != tc.modality {
				t.Errorf("modality %q, want %q", p.Modality, tc.modality)
			}
			if (p.Fallback != "") != tc.fallback {
				t.Fatalf("fallback %q, want fallback=%t", p.Fallback, tc.fallback)
			}
			if tc.fallback {
				// The reason names what the baseline lacks: here the metric.
				if !strings.Contains(p.Fallback, "metric") {
					t.Errorf("fallback reason %q does not say why", p.Fallback)
				}
				return
			}
			if !reflect.DeepEqual(p.Images, tc.images) {
				t.Errorf("images %+v, want %+v", p.Images, tc.images)
			}
			if !reflect.DeepEqual(p.TextColumns, tc.text) {
				t.Errorf("text columns %v, want %v", p.TextColumns, tc.text)
			}
			if p.Problem != tc.problem || p.Output != tc.output {
				t.Errorf("problem %s/%s, want %s/%s", p.Problem, p.Output, tc.problem, tc.output)
			}
		})
	}
}

// TestInspectAudioIsFallback: sound files without a table of features are
// a fallback of modality audio, and the reason says so.
func TestInspectAudioIsFallback(t *testing.T) {
	dir := files(t, map[string]string{
		"train.csv":             "fname,label\na.wav,yes\nb.wav,no\n",
		"sample_submission.csv": "fname,label\nc.wav,yes\n",
	})
	for _, n := range []string{"a", "b", "c"} {
		if err := os.WriteFile(filepath.Join(dir, n+".wav"), []byte("RIFF"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := baseline.New(baseline.Task{ID: "speech", PublicDir: dir, Metric: "accuracy"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if c.Modality() != baseline.ModalityAudio || !strings.Contains(c.Fallback(), "audio") {
		t.Errorf("modality %q, fallback %q; want audio and a reason naming audio", c.Modality(), c.Fallback())
	}
}

// TestDebugFallsBackToPrior: images that PIL cannot read (PIL missing) end
// the repairs with the training prior, which FallbackOf reports.
func TestDebugFallsBackToPrior(t *testing.T) {
	_, task := competition(t, "aerial-cactus-identification", aerialCactus(t, 20))
	c, err := baseline.New(task, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Draft(context.Background(), search.Request{NodeID: "n1"})
	if err != nil {
		t.Fatal(err)
	}
	if why, ok := baseline.FallbackOf(d.Code); ok {
		t.Fatalf("a draft is a fallback: %s", why)
	}
	parent := search.NodeSnapshot{ID: "n1", Code: d.Code, ExitCode: 1, IsBuggy: true,
		Output: "Traceback (most recent call last):\nImportError: PIL is not importable: install python3-pil\n"}
	p, err := c.Debug(context.Background(), search.Request{NodeID: "n2", Parent: &parent})
	if err != nil {
		t.Fatal(err)
	}
	s, err := baseline.ParseSpec(p.Code)
	if err != nil || s.Family != baseline.FamilyPrior {
		t.Fatalf("debug family %q (%v), want prior", s.Family, err)
	}
	if why, ok := baseline.FallbackOf(p.Code); !ok || why == "" {
		t.Errorf("FallbackOf(prior) = %q, %t", why, ok)
	}
	if !strings.Contains(p.Plan, "python3-pil") {
		t.Errorf("plan does not say what to install: %s", p.Plan)
	}
}

// TestBaselineGradesValid runs the first draft of the baseline on one
// fabricated competition per modality, in MLE-Bench's exact file names, and
// grades the submission with the grader `mlbench grade` uses. The public
// data is read-only: zip archives must be extracted into the work dir.
func TestBaselineGradesValid(t *testing.T) {
	py := python(t)
	cases := []struct {
		id       string
		files    func(testing.TB, int) competitionFiles
		n        int
		fallback bool
	}{
		{"aerial-cactus-identification", aerialCactus, 60, false},
		{"spooky-author-identification", spookyAuthors, 120, false},
		{"jigsaw-toxic-comment-classification-challenge", jigsawToxic, 120, false},
		{"tgs-salt-identification-challenge", tgsSalt, 30, true},
	}
	t.Parallel() // each case runs Python in its own directories
	for _, tc := range cases {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			root, task := competition(t, tc.id, tc.files(t, tc.n))
			readOnly(t, task.PublicDir)
			c, err := baseline.New(task, 3)
			if err != nil {
				t.Fatal(err)
			}
			p, err := c.Draft(context.Background(), search.Request{NodeID: "n1", Stage: search.StageDraft})
			if err != nil {
				t.Fatal(err)
			}
			work := t.TempDir()
			out := runCode(t, py, work, p.Code)
			if why, ok := baseline.FallbackOf(p.Code); ok != tc.fallback {
				t.Fatalf("FallbackOf = %q, %t; want fallback=%t", why, ok, tc.fallback)
			}
			if _, ok := baseline.ParseValidationMetric(out); !ok {
				t.Errorf("no validation metric in the output:\n%s", out)
			}
			rep, err := grader.Grade(context.Background(), grader.Request{CompetitionID: tc.id,
				SubmissionPath: filepath.Join(work, "submission", "submission.csv"), DataDir: root})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.ValidSubmission {
				t.Fatalf("invalid submission: %s\noutput:\n%s", rep.Reason, out)
			}
			t.Logf("%s: score %v (%s)", tc.id, *rep.Score, c.Modality())
		})
	}
}

// readOnly makes a public dir read-only for the test, as the sandboxes
// mount it.
func readOnly(tb testing.TB, dir string) {
	tb.Helper()
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() {
			os.Chmod(p, 0o555)
		}
		return nil
	})
	tb.Cleanup(func() {
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.IsDir() {
				os.Chmod(p, 0o755)
			}
			return nil
		})
	})
}

// runCode runs generated code in work and returns its output; a failure
// fails the test with the output.
func runCode(tb testing.TB, py, work, code string) string {
	tb.Helper()
	if err := os.WriteFile(filepath.Join(work, "solution.py"), []byte(code), 0o644); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "solution.py")
	cmd.Dir = work
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tb.Fatalf("solution failed (%v):\n%s", err, out.String())
	}
	return out.String()
}
