package harness_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/results"
)

// nulSandbox "runs" every node as generated code once did: it writes a
// 60 MB submission.csv of NUL bytes (sparse: no disk) and prints NUL bytes.
type nulSandbox struct{}

func (nulSandbox) Info() sandbox.Info { return sandbox.Info{Backend: "fake"} }
func (nulSandbox) Paths(spec sandbox.Spec) sandbox.Paths {
	return sandbox.Paths{Submission: spec.SubmissionDir}
}
func (nulSandbox) Close() error { return nil }

func (nulSandbox) Run(_ context.Context, spec sandbox.Spec) (*sandbox.Result, error) {
	if spec.Code != "" { // the preflight's environment probe
		out := sandbox.ProbeMarker + `{"python": "3", "packages": {"numpy": "1", "pandas": "2", "sklearn": "1"}}` + "\nmlbench-ok\n"
		return &sandbox.Result{Stdout: out, Output: out}, nil
	}
	f, err := os.Create(filepath.Join(spec.SubmissionDir, results.SubmissionFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := f.Truncate(60 << 20); err != nil {
		return nil, err
	}
	out := strings.Repeat("\x00", 32<<10) + "\nvalidation_metric: 0.5\n"
	return &sandbox.Result{Stdout: out, Output: out}, nil
}

// TestNodeWithHugeNULSubmission: the node's format verdict is invalid and
// short, the 60 MB file is not copied into the node's directory, and the
// checkpoint stays small.
func TestNodeWithHugeNULSubmission(t *testing.T) {
	cfg := testConfig(t, "search.steps=2", "search.workers=1")
	run := planOne(t, cfg, "demo-binary-auc")
	_, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{Coders: scriptedAgent(0),
		Sandbox: func(configs.Exec, io.Writer) (sandbox.Executor, error) { return nulSandbox{}, nil }})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	filepath.Walk(run.ItemDir(0), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			total += fi.Size()
			if fi.Size() > 2<<20 {
				t.Errorf("%s: %d bytes", p, fi.Size())
			}
		}
		return nil
	})
	if total > 8<<20 {
		t.Errorf("item directory holds %d bytes", total)
	}
	cp, err := os.ReadFile(filepath.Join(run.ItemDir(0), results.CheckpointDir, results.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(cp), "far larger than the answers") {
		t.Errorf("checkpoint lacks the size verdict: %.500s", cp)
	}
}
