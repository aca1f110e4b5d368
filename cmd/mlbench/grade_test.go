package main

import (
	"bufio"
	"encoding/json"
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
	if err := os.MkdirAll(priv, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(priv, "test.csv"), "id,has_cactus\n1.jpg,1\n2.jpg,0\n3.jpg,1\n4.jpg,0\n")
	good, bad = filepath.Join(root, "good.csv"), filepath.Join(root, "bad.csv")
	write(good, "id,has_cactus\n1.jpg,0.9\n2.jpg,0.2\n3.jpg,0.35\n4.jpg,0.4\n")
	write(bad, "id,has_cactus\n1.jpg,0.9\n2.jpg,1.3\n3.jpg,0.35\n4.jpg,0.4\n")
	return dataDir, good, bad
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
	cmd := exec.Command(mlbenchBin, "grader", "serve", "--addr", "127.0.0.1:0", "--data-dir", data)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	var addr string
	if sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "http://"); i >= 0 {
			addr = strings.Fields(line[i:])[0]
		}
	}
	if addr == "" {
		t.Fatal("server did not print its address")
	}
	resp, err := http.Get(addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"running"`) {
		t.Errorf("health: %s", b)
	}
	body, ctype := multipartFile(t, good)
	resp, err = http.Post(addr+"/validate?competition=aerial-cactus-identification", ctype, body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"is_valid":true`) {
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
