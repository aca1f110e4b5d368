package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/results/web"
)

// fixture writes a run with items in every state; item 0 is done with a
// two-node trace and node files, item 1 running, item 2 pending.
func fixture(t testing.TB, root, id string, n int) string {
	t.Helper()
	return fixtureTraces(t, root, id, n, 8)
}

// fixtureTraces is fixture with trace parts and node files for the first
// traces items.
func fixtureTraces(t testing.TB, root, id string, n, traces int) string {
	dir := filepath.Join(root, id)
	m := results.Manifest{RunID: id, CreatedAt: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	for i := range n {
		m.Items = append(m.Items, results.ManifestItem{Index: i, TaskID: "task-" + strconv.Itoa(i%25), Split: []string{"low", "medium", "high"}[i%3], Seed: i / 25})
	}
	os.MkdirAll(dir, 0o755)
	if err := results.WriteJSON(filepath.Join(dir, results.ManifestFile), m); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range n {
		state := []string{results.StateDone, results.StateRunning, results.StatePending, results.StateFailed}[i%4]
		if state == results.StatePending {
			continue
		}
		idir := results.ItemDir(dir, i)
		os.MkdirAll(idir, 0o755)
		st := results.ItemStatus{State: state, Attempts: 1, StartedAt: start}
		if state != results.StateRunning {
			st.FinishedAt = start.Add(time.Hour)
		}
		results.WriteJSON(filepath.Join(idir, results.StatusFile), st)
		results.WriteJSON(filepath.Join(idir, results.ProgressFile), map[string]any{"nodes": 2, "steps": 10, "best_metric": 0.8})
		if state == results.StateDone {
			score := 0.9
			results.WriteJSON(filepath.Join(idir, results.GradeFile), results.Grade{CompetitionID: "task", Score: &score,
				GoldMedal: i%8 == 0, AnyMedal: i%8 == 0, SubmissionExists: true, ValidSubmission: true})
		}
		if i < traces {
			metric := 0.8
			rows := []results.NodeRow{
				{RunID: id, Item: int64(i), NodeID: "n1", Step: 1, Stage: "draft", CreatedAt: start, FinishedAt: start.Add(time.Minute), Plan: "plan one", Metric: &metric},
				{RunID: id, Item: int64(i), NodeID: "n2", ParentID: "n1", Step: 2, Stage: "debug", IsBuggy: true, ExitCode: 1, CreatedAt: start, FinishedAt: start.Add(2 * time.Minute), Plan: "plan two"},
			}
			if err := results.WriteNodesFile(filepath.Join(idir, results.TracePartName(0)), rows); err != nil {
				t.Fatal(err)
			}
			for _, nid := range []string{"n1", "n2"} {
				nd := results.NodeDir(idir, nid)
				os.MkdirAll(nd, 0o755)
				os.WriteFile(filepath.Join(nd, results.CodeFile), []byte("print('code of "+nid+"')\n"), 0o644)
				os.WriteFile(filepath.Join(nd, results.StderrFile), []byte("Traceback\nValueError: boom\n"), 0o644)
			}
			os.MkdirAll(filepath.Join(idir, results.BestDir), 0o755)
			os.WriteFile(filepath.Join(idir, results.BestDir, results.BestNodeIDFile), []byte("n1\n"), 0o644)
		}
	}
	return dir
}

func get(t *testing.T, h http.Handler, path string, hdr ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

func TestPagesAndAPI(t *testing.T) {
	root := t.TempDir()
	fixture(t, root, "run-a", 12)
	srv, err := web.New(web.Options{Root: root, MinRefresh: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		code int
		want []string
	}{
		{"/", 200, []string{"run-a", "Compare selected runs", "3 running", "Any medal %"}},
		{"/runs/run-a", 200, []string{"Medal table", "task-1", "running", "/runs/run-a/items/0"}},
		{"/runs/run-a/items/0", 200, []string{"task-0", "grade.json", "competition_id"}},
		{"/compare?run=run-a&run=run-a", 200, []string{"Medal tables side by side", "run-a"}},
		{"/api/runs", 200, []string{`"name":"run-a"`, `"medals"`}},
		{"/api/runs/run-a", 200, []string{`"counts"`, `"any_medal_pct"`}},
		{"/api/runs/run-a/items", 200, []string{`"full":true`, `"state":"running"`}},
		{"/api/runs/run-a/items/0", 200, []string{`"id":"n2"`, `"parent":"n1"`, `"best":true`}},
		{"/api/runs/run-a/items/0/nodes/n2", 200, []string{"code of n2", "ValueError: boom", `"why_buggy":"the code exited with status 1: ValueError: boom"`}},
		{"/api/runs/run-a/items/0/log", 200, []string{`"log"`}},
		{"/api/runs/run-a/anytime", 200, []string{`"anytime"`}},
		{"/static/app.js", 200, []string{"poll"}},
	}
	for _, tc := range cases {
		code, body := get(t, srv, tc.path)
		if code != tc.code {
			t.Errorf("%s: %d, want %d: %.300s", tc.path, code, tc.code, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q: %.500s", tc.path, w, body)
			}
		}
	}
}

// An update cycle returns only the items that changed.
func TestItemsSince(t *testing.T) {
	root := t.TempDir()
	dir := fixture(t, root, "run-a", 40)
	srv, _ := web.New(web.Options{Root: root, MinRefresh: time.Nanosecond})
	waitTraces(t, srv, "run-a")
	var first web.ItemsResponse
	_, body := get(t, srv, "/api/runs/run-a/items")
	json.Unmarshal([]byte(body), &first)
	if len(first.Items) != 40 {
		t.Fatalf("first poll: %d items", len(first.Items))
	}
	_, body = get(t, srv, "/api/runs/run-a/items?since="+strconv.FormatInt(first.Version, 10))
	var none web.ItemsResponse
	json.Unmarshal([]byte(body), &none)
	if len(none.Items) != 0 || none.Version != first.Version {
		t.Fatalf("nothing changed, got %d items, version %d -> %d", len(none.Items), first.Version, none.Version)
	}
	time.Sleep(10 * time.Millisecond)
	idir := results.ItemDir(dir, 2) // pending -> running
	os.MkdirAll(idir, 0o755)
	results.WriteJSON(filepath.Join(idir, results.StatusFile), results.ItemStatus{State: results.StateRunning, Attempts: 1})
	_, body = get(t, srv, "/api/runs/run-a/items?since="+strconv.FormatInt(first.Version, 10))
	var one web.ItemsResponse
	json.Unmarshal([]byte(body), &one)
	if len(one.Items) != 1 || one.Items[0].Index != 2 || one.Items[0].State != "running" || one.Version <= first.Version {
		t.Fatalf("after one change: %+v", one)
	}
}

// Bad input gives clear pages or 4xx, never a crash or a file outside the
// run directories.
func TestBadInput(t *testing.T) {
	root := t.TempDir()
	dir := fixture(t, root, "run-a", 8)
	os.WriteFile(filepath.Join(root, "secret.txt"), []byte("TOPSECRET"), 0o644)
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("TOPSECRET"), 0o644)
	// Half-written: a manifest cut short.
	os.MkdirAll(filepath.Join(root, "run-half"), 0o755)
	os.WriteFile(filepath.Join(root, "run-half", results.ManifestFile), []byte(`{"run_id":"run-half","items":[{"ind`), 0o644)
	// Corrupt trace and status in run-a's item 4 and 5.
	os.WriteFile(filepath.Join(results.ItemDir(dir, 4), results.TracePartName(1)), []byte("PAR1 garbage"), 0o644)
	os.WriteFile(filepath.Join(results.ItemDir(dir, 5), results.StatusFile), []byte("{not json"), 0o644)
	// A node directory that is a symlink out of the run.
	os.Symlink(root, filepath.Join(results.ItemDir(dir, 0), results.NodesDir, "evil"))

	srv, _ := web.New(web.Options{Root: root, MinRefresh: time.Nanosecond})
	cases := []struct {
		path string
		code int
		want string
	}{
		{"/runs/run-half", 503, "not readable yet"},
		{"/api/runs/run-half/items", 503, "not readable yet"},
		{"/", 200, "not readable yet"},
		{"/runs/run-a/items/4", 200, "could not be read"},
		{"/api/runs/run-a/items/4", 200, `"id":"n1"`},
		{"/runs/run-a/items/5", 200, "task-5"},
		{"/runs/nope", 404, "No run named"},
		{"/runs/run-a/items/999", 404, "no such item"},
		{"/runs/run-a/items/-1", 400, "non-negative"},
		{"/runs/run-a/items/x", 400, "non-negative"},
		{"/api/runs/run-a/items/0/nodes/nope", 404, "no such node"},
		{"/api/runs/run-a/items/0/nodes/evil", 404, "no such node"},
		{"/api/runs/run-a/items/0/nodes/..%2f..%2fsecret.txt", 404, ""},
		{"/runs/..%2fsecret.txt", 404, ""},
		{"/runs/run-a/../secret.txt", 404, ""},
		{"/static/../../secret.txt", 404, ""},
		{"/static/..%2f..%2fweb.go", 404, ""},
		{"/runs/run-a/secret.txt", 404, ""},
	}
	for _, tc := range cases {
		code, body := get(t, srv, tc.path)
		if code == 301 || code == 307 || code == 308 {
			continue // ServeMux cleans "..": the clean path is checked above
		}
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want %d with %q: %.300s", tc.path, code, tc.code, tc.want, body)
		}
		if strings.Contains(body, "TOPSECRET") {
			t.Errorf("%s served a file outside the run's known files", tc.path)
		}
	}

	// Deleted while viewed.
	if code, _ := get(t, srv, "/runs/run-a"); code != 200 {
		t.Fatalf("run page before delete: %d", code)
	}
	os.RemoveAll(dir)
	for _, p := range []string{"/api/runs/run-a/items", "/runs/run-a/items/0"} {
		if code, body := get(t, srv, p); code != 404 && code != 410 {
			t.Errorf("%s after delete: %d %.200s", p, code, body)
		}
	}
	if code, body := get(t, srv, "/"); code != 200 || strings.Contains(body, "run-a\"") && !strings.Contains(body, "gone") {
		t.Errorf("runs page after delete: %d", code)
	}
}

func TestToken(t *testing.T) {
	root := t.TempDir()
	fixture(t, root, "run-a", 4)
	srv, _ := web.New(web.Options{Root: root, Token: "s3cret-token"})
	cases := []struct {
		name string
		path string
		hdr  []string
		code int
	}{
		{"none", "/", nil, 401},
		{"none api", "/api/runs", nil, 401},
		{"wrong query", "/?token=nope", nil, 401},
		{"wrong bearer", "/api/runs", []string{"Authorization", "Bearer nope"}, 401},
		{"wrong cookie", "/", []string{"Cookie", "mlbench_token=nope"}, 401},
		{"right bearer", "/api/runs", []string{"Authorization", "Bearer s3cret-token"}, 200},
		{"right cookie", "/runs/run-a", []string{"Cookie", "mlbench_token=s3cret-token"}, 200},
		{"right query sets the cookie", "/runs/run-a?token=s3cret-token", nil, 303},
	}
	for _, tc := range cases {
		code, body := get(t, srv, tc.path, tc.hdr...)
		if code != tc.code {
			t.Errorf("%s: %d, want %d: %.200s", tc.name, code, tc.code, body)
		}
		if code == 401 && strings.Contains(body, "run-a") {
			t.Errorf("%s: a 401 page shows run data", tc.name)
		}
	}
}

// The item view shows a killed worker's item as interrupted with the resume
// command, a non-finite score as Python wrote it, and an LLM node's exact
// prompt and reply from the transcript.
func TestItemDetails(t *testing.T) {
	root := t.TempDir()
	dir := fixture(t, root, "run-a", 8)
	// Item 1 is running; its owner is a process that has exited.
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	owner, _ := json.Marshal(results.Owner{PID: dead.Process.Pid, Host: host})
	os.WriteFile(filepath.Join(results.ItemDir(dir, 1), results.LockFile), owner, 0o644)
	// Item 0's grade has a NaN score, as Python's json writes it.
	os.WriteFile(filepath.Join(results.ItemDir(dir, 0), results.GradeFile),
		[]byte(`{"competition_id": "task", "score": NaN, "valid_submission": true, "submission_exists": true}`), 0o644)
	tr := `{"role":"code","node":"n1","call":"draft","seq":0,"attempt":1,"model":"m","status":200,` +
		`"request":{"messages":[{"role":"system","content":"You are a Kaggle grandmaster."},{"role":"user","content":"Write code for task-0"}]},` +
		`"response":{"choices":[{"message":{"content":"PLAN: use a forest"}}]},"seconds":1.5}` + "\n" +
		`{"role":"code","node":"n2","call":"debug","request":{"messages":[{"role":"user","content":"other node"}]}}` + "\n"
	os.WriteFile(filepath.Join(results.ItemDir(dir, 0), web.Transcript), []byte(tr), 0o644)

	srv, _ := web.New(web.Options{Root: root, MinRefresh: time.Nanosecond})
	cases := []struct {
		path string
		want []string
		not  []string
	}{
		{"/api/runs/run-a/items", []string{`"state":"interrupted"`}, nil},
		{"/api/runs/run-a/items/1", []string{`"state":"interrupted"`, `"resume":"mlbench resume `}, nil},
		{"/runs/run-a/items/1", []string{"worker is gone", "mlbench resume"}, nil},
		{"/api/runs/run-a/items/0", []string{`NaN`, `"grade":"score NaN`}, nil},
		{"/runs/run-a/items/0", []string{"NaN"}, nil},
		{"/api/runs/run-a/items/0/nodes/n1", []string{"You are a Kaggle grandmaster.", "Write code for task-0", `"reply":"PLAN: use a forest"`}, []string{"other node"}},
	}
	for _, tc := range cases {
		code, body := get(t, srv, tc.path)
		if code != 200 {
			t.Errorf("%s: %d %.300s", tc.path, code, body)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q: %.600s", tc.path, w, body)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(body, w) {
				t.Errorf("%s has %q", tc.path, w)
			}
		}
	}
}

// waitTraces waits until the server has read every item's trace (the first
// paint reads only the small files).
func waitTraces(t testing.TB, h http.Handler, run string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/runs/"+run, nil))
		var sum web.RunReport
		json.Unmarshal(rec.Body.Bytes(), &sum)
		if rec.Code == 200 && sum.TracesPending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("traces of %s still pending: %s", run, rec.Body.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A run warmed while half-written is read again once whole: the warm scan
// caches no error beyond MinRefresh.
func TestWarmHalfWritten(t *testing.T) {
	root := t.TempDir()
	dir := fixture(t, root, "run-w", 4)
	manifest := filepath.Join(dir, results.ManifestFile)
	whole, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(manifest, whole[:len(whole)/2], 0o644)
	srv, _ := web.New(web.Options{Root: root, MinRefresh: time.Nanosecond})
	defer srv.Close()
	srv.Warm(context.Background())
	if code, body := get(t, srv, "/runs/run-w"); code != 503 || !strings.Contains(body, "not readable yet") {
		t.Fatalf("half-written after warm: %d %.200s", code, body)
	}
	os.WriteFile(manifest, whole, 0o644)
	if code, body := get(t, srv, "/runs/run-w"); code != 200 || !strings.Contains(body, "task-3") {
		t.Fatalf("whole run after warm: %d %.200s", code, body)
	}
	srv.Close() // idempotent with the deferred one
}
