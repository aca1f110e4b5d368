package main

import (
	"bufio"
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
	"time"
)

// gradeFixture prepares aerial-cactus answers and two submissions.
func gradeFixture(t *testing.T) (dataDir, good, bad string) {
	t.Helper()
	root := t.TempDir()
	dataDir = filepath.Join(root, "data")
	priv := filepath.Join(dataDir, "aerial-cactus-identification", "prepared", "private")
	writeFile(t, filepath.Join(priv, "test.csv"), "id,has_cactus\n1.jpg,1\n2.jpg,0\n3.jpg,1\n4.jpg,0\n", 0o644)
	good, bad = filepath.Join(root, "good.csv"), filepath.Join(root, "bad.csv")
	writeFile(t, good, "id,has_cactus\n1.jpg,0.9\n2.jpg,0.2\n3.jpg,0.35\n4.jpg,0.4\n", 0o644)
	writeFile(t, bad, "id,has_cactus\n1.jpg,0.9\n2.jpg,1.3\n3.jpg,0.35\n4.jpg,0.4\n", 0o644)
	return dataDir, good, bad
}

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
		writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), body, 0o644)
	}
	good, bad = filepath.Join(root, "good.csv"), filepath.Join(root, "bad.csv")
	os.WriteFile(good, []byte("id,y\n1,0.9\n2,0.1\n3,0.8\n4,0.3\n"), 0o644)
	os.WriteFile(bad, []byte("id,y\n1,0.9\n2,0.1\n"), 0o644)
	return data, good, bad
}

func TestGradeCommand(t *testing.T) {
	data, good, bad := gradeFixture(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"valid", []string{"grade", "--competition", "aerial-cactus-identification", "--submission", good, "--data-dir", data}, 0, `"score": 0.75`},
		{"invalid still exits 0", []string{"grade", "--competition", "aerial-cactus-identification", "--submission", bad, "--data-dir", data}, 0, `"reason": "row 2, column 'has_cactus': probability 1.3 outside [0, 1]"`},
		{"missing file", []string{"grade", "--competition", "aerial-cactus-identification", "--submission", good + ".nope", "--data-dir", data}, 0, `"submission_exists": false`},
		{"unknown competition", []string{"grade", "--competition", "aerial-cactus", "--submission", good, "--data-dir", data}, 2, "unknown task"},
		{"unprepared", []string{"grade", "--competition", "leaf-classification", "--submission", good, "--data-dir", data}, 2, "not prepared"},
		{"data dir from config", []string{"grade", "--competition", "aerial-cactus-identification", "--submission", good, "--set", "data.dir=" + data}, 0, `"valid_submission": true`},
		{"no flags", []string{"grade"}, 2, "--competition"},
		{"medals builtin", []string{"grade", "medals", "--competition", "spooky-author-identification", "--score", "0.2"}, 0, `"silver_medal": true`},
		{"medals unknown", []string{"grade", "medals", "--competition", "nope", "--score", "1"}, 2, "unknown competition"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := mlbench(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(out+errOut, tc.contains) {
				t.Fatalf("exit %d, want %d; output %s%s\nwant it to contain %s", code, tc.code, out, errOut, tc.contains)
			}
			if code == 0 {
				var v map[string]any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Errorf("stdout is not one JSON object: %v\n%s", err, out)
				}
			}
		})
	}
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

func TestGradeMedalsLeaderboardWins(t *testing.T) {
	lb := filepath.Join(t.TempDir(), "leaderboard.csv")
	os.WriteFile(lb, []byte("teamId,score\n1,0.9\n2,0.8\n3,0.7\n4,0.6\n5,0.5\n6,0.4\n7,0.3\n8,0.2\n9,0.1\n10,0.0\n"), 0o644)
	out, errOut, code := mlbench(t, nil, "grade", "medals", "--competition", "spooky-author-identification", "--leaderboard", lb, "--score", "0.85")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var v map[string]any
	json.Unmarshal([]byte(out), &v)
	if v["gold_threshold"] != 0.9 || v["silver_medal"] != true || v["is_lower_better"] != false {
		t.Errorf("leaderboard not used: %s", out)
	}
}

func TestGradeJSONL(t *testing.T) {
	data, good, bad := gradeFixture(t)
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "runs.jsonl")
	os.WriteFile(jsonl, []byte(`# a comment
{"competition_id": "aerial-cactus-identification", "submission_path": "`+good+`"}
// another
{"competition_id": "aerial-cactus-identification", "submission_path": "`+bad+`"}
{"competition_id": "aerial-cactus-identification", "submission_path": "`+good+`.missing"}
`), 0o644)
	out := filepath.Join(dir, "reports")
	stdout, errOut, code := mlbench(t, nil, "grade", "--jsonl", jsonl, "--output-dir", out, "--data-dir", data)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*_grading_report.json"))
	if len(files) != 1 {
		t.Fatalf("reports: %v (stdout %s)", files, stdout)
	}
	b, _ := os.ReadFile(files[0])
	var agg struct {
		TotalRuns                int              `json:"total_runs"`
		TotalRunsWithSubmissions int              `json:"total_runs_with_submissions"`
		TotalValidSubmissions    int              `json:"total_valid_submissions"`
		CompetitionReports       []map[string]any `json:"competition_reports"`
	}
	if err := json.Unmarshal(b, &agg); err != nil {
		t.Fatal(err)
	}
	if agg.TotalRuns != 3 || agg.TotalRunsWithSubmissions != 2 || agg.TotalValidSubmissions != 1 || len(agg.CompetitionReports) != 3 {
		t.Errorf("aggregate: %s", b)
	}
	// A bad line is a usage error that names the line.
	os.WriteFile(jsonl, []byte(`{"competition_id": "nope", "submission_path": "x.csv"}`+"\n"), 0o644)
	if _, errOut, code := mlbench(t, nil, "grade", "--jsonl", jsonl, "--output-dir", out, "--data-dir", data); code != 2 || !strings.Contains(errOut, "runs.jsonl:1") {
		t.Errorf("bad line: exit %d, %s", code, errOut)
	}
}

// TestGraderServe runs the server binary, validates one upload over HTTP
// and stops it with SIGTERM.
func TestGraderServe(t *testing.T) {
	data, good, _ := gradeFixture(t)
	cmd, addr, stderr := startGraderServe(t, data)
	resp, err := http.Get(addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"running"`) {
		t.Errorf("health: %s", b)
	}
	if _, b = postValidate(t, addr, "aerial-cactus-identification", good); !strings.Contains(string(b), `"is_valid":true`) {
		t.Errorf("validate: %s", b)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() {
		rest, _ := io.ReadAll(stderr)
		if !strings.Contains(string(rest), "grader: stopped") {
			t.Errorf("no clean stop message: %q", rest)
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("server exit: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("server did not stop on SIGTERM")
	}
}

// TestGraderServeResolvesTasks: the validation server takes custom tasks
// by id, answers 404 without host paths for an unprepared competition, and
// refuses ids that are paths.
func TestGraderServeResolvesTasks(t *testing.T) {
	data, good, bad := customTaskFixture(t, false)
	cmd, addr, stderr := startGraderServe(t, data)
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		go io.Copy(io.Discard, stderr)
		cmd.Wait()
	}()
	post := func(id, file string) (int, map[string]any) {
		code, b := postValidate(t, addr, id, file)
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %q", id, b)
		}
		if strings.Contains(string(b), data) {
			t.Errorf("%s: answer names a host path: %s", id, b)
		}
		return code, v
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

// startGraderServe starts `mlbench grader serve` over data on a free
// loopback port and returns it, its address and the rest of its stderr;
// the test's cleanup kills it if it still runs.
func startGraderServe(t *testing.T, data string) (*exec.Cmd, string, *bufio.Reader) {
	t.Helper()
	cmd := mlbenchCmd(t.TempDir(), nil, "grader", "serve", "--addr", "127.0.0.1:0", "--data-dir", data)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	stderr := bufio.NewReader(pipe)
	line, _ := stderr.ReadString('\n')
	i := strings.Index(line, "http://")
	if i < 0 {
		t.Fatalf("server did not print its address: %q", line)
	}
	return cmd, strings.Fields(line[i:])[0], stderr
}

// postValidate uploads file to the server's /validate for competition id
// and returns the status code and body.
func postValidate(t *testing.T, addr, id, file string) (int, []byte) {
	t.Helper()
	body, ctype := multipartFile(t, file)
	resp, err := http.Post(addr+"/validate?competition="+id, ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// multipartFile builds a multipart body with the file as field "file".
func multipartFile(t *testing.T, path string) (io.Reader, string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	const boundary = "mlbench-test-boundary"
	buf.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"submission.csv\"\r\nContent-Type: text/csv\r\n\r\n")
	buf.Write(b)
	buf.WriteString("\r\n--" + boundary + "--\r\n")
	return strings.NewReader(buf.String()), "multipart/form-data; boundary=" + boundary
}
