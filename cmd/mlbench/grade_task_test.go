package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// customTaskFixture writes a custom task "my-task" (roc_auc on "y") under
// <data>/my-task and two submissions; reversed writes a leaderboard
// ordered lowest first, against roc_auc's direction.
func customTaskFixture(t *testing.T, reversed bool) (data, good, bad string) {
	t.Helper()
	root := t.TempDir()
	data = filepath.Join(root, "data")
	dir := filepath.Join(data, "my-task")
	files := map[string]string{
		"task.yaml":                             "id: my-task\nname: My task\nmetric: roc_auc\nid_column: id\ntarget_columns: [y]\nanswers: prepared/private/test.csv\nsample_submission: prepared/public/sample_submission.csv\nleaderboard: leaderboard.csv\n",
		"prepared/private/test.csv":             "id,y\n1,1\n2,0\n3,1\n4,0\n",
		"prepared/public/sample_submission.csv": "id,y\n1,0.5\n2,0.5\n3,0.5\n4,0.5\n",
		"prepared/public/train.csv":             "id,x,y\n9,0.1,1\n",
	}
	var lb strings.Builder
	lb.WriteString("teamId,score\n")
	for i := range 20 {
		s := 0.99 - float64(i)*0.02
		if reversed {
			s = 0.5 + float64(i)*0.02
		}
		fmt.Fprintf(&lb, "%d,%.2f\n", i, s)
	}
	files["leaderboard.csv"] = lb.String()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	good, bad = filepath.Join(root, "good.csv"), filepath.Join(root, "bad.csv")
	os.WriteFile(good, []byte("id,y\n1,0.9\n2,0.1\n3,0.8\n4,0.3\n"), 0o644)
	os.WriteFile(bad, []byte("id,y\n1,0.9\n2,0.1\n"), 0o644)
	return data, good, bad
}

// TestGradeResolvesTasksLikeRun: grade takes a custom task by id under the
// data dir and by its folder, and a demo task, as `run` does.
func TestGradeResolvesTasksLikeRun(t *testing.T) {
	data, good, bad := customTaskFixture(t, false)
	demo := t.TempDir()
	demoSub := filepath.Join(t.TempDir(), "demo.csv")
	tests := []struct {
		name     string
		args     []string
		contains string
	}{
		{"custom id under the data dir", []string{"--competition", "my-task", "--submission", good, "--data-dir", data}, `"score": 1`},
		{"custom task folder", []string{"--competition", filepath.Join(data, "my-task"), "--submission", good}, `"score": 1`},
		{"custom invalid", []string{"--competition", "my-task", "--submission", bad, "--data-dir", data}, `"valid_submission": false`},
		{"demo task", []string{"--competition", "demo-binary-auc", "--submission", demoSub, "--set", "data.demo_dir=" + demo}, `"competition_id": "demo-binary-auc"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.name, "demo") {
				// The demo's own sample submission, once the demo exists.
				mlbench(t, nil, "tasks", "make-demo", "--set", "data.demo_dir="+demo)
				b, err := os.ReadFile(filepath.Join(demo, "demo-binary-auc", "prepared", "public", "sample_submission.csv"))
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(demoSub, b, 0o644)
			}
			out, errOut, code := mlbench(t, nil, append([]string{"grade"}, tc.args...)...)
			if code != 0 || !strings.Contains(out, tc.contains) {
				t.Fatalf("exit %d, want 0 and %s in:\n%s%s", code, tc.contains, out, errOut)
			}
			if strings.Contains(errOut, "warning") {
				t.Errorf("unexpected warning: %s", errOut)
			}
		})
	}
}

// TestGradeWarnsOfReversedLeaderboard: a leaderboard ordered against the
// metric's direction gets a warning naming both.
func TestGradeWarnsOfReversedLeaderboard(t *testing.T) {
	data, good, _ := customTaskFixture(t, true)
	out, errOut, code := mlbench(t, nil, "grade", "--competition", "my-task", "--submission", good, "--data-dir", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"my-task/leaderboard.csv is ordered lowest first", "my-task (roc_auc) is higher-is-better"} {
		if !strings.Contains(errOut, want) || !strings.Contains(out, want) {
			t.Errorf("want %q on stderr and in the report:\n%s\n%s", want, errOut, out)
		}
	}
}

// TestGraderServeResolvesTasks: the validation server takes custom tasks
// by id, answers 404 without host paths for an unprepared competition, and
// refuses ids that are paths.
func TestGraderServeResolvesTasks(t *testing.T) {
	data, good, bad := customTaskFixture(t, false)
	cmd := exec.Command(mlbenchBin, "grader", "serve", "--addr", "127.0.0.1:0", "--data-dir", data)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		go io.Copy(io.Discard, stderr)
		cmd.Wait()
	}()
	line := make([]byte, 512)
	n, _ := stderr.Read(line)
	i := strings.Index(string(line[:n]), "http://")
	if i < 0 {
		t.Fatalf("no address in %q", line[:n])
	}
	addr := strings.Fields(string(line[i:n]))[0]
	post := func(id, file string) (int, map[string]any) {
		body, ctype := multipartFile(t, file)
		resp, err := http.Post(addr+"/validate?competition="+id, ctype, body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %q", id, b)
		}
		if strings.Contains(string(b), data) {
			t.Errorf("%s: answer names a host path: %s", id, b)
		}
		return resp.StatusCode, v
	}
	if code, v := post("my-task", good); code != 200 || v["is_valid"] != true {
		t.Errorf("custom task, good: %d %v", code, v)
	}
	if code, v := post("my-task", bad); code != 200 || v["is_valid"] != false {
		t.Errorf("custom task, bad: %d %v", code, v)
	}
	if code, v := post("spooky-author-identification", good); code != http.StatusNotFound || !strings.Contains(fmt.Sprint(v["error"]), "not prepared") {
		t.Errorf("unprepared: %d %v", code, v)
	}
	if code, v := post(url(filepath.Join(data, "my-task")), good); code != http.StatusBadRequest {
		t.Errorf("path as id: %d %v", code, v)
	}
}

func url(s string) string { return strings.ReplaceAll(s, "/", "%2F") }
