package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// needPython skips (or fails in CI) without /usr/bin/python3 and its stack.
func needPython(t *testing.T) {
	t.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import sklearn, pandas").Run(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs /usr/bin/python3 with scikit-learn and pandas")
		}
		t.Skip("needs /usr/bin/python3 with scikit-learn and pandas")
	}
}

// runApp runs `mlbench ARGS...` in-process and returns stdout, stderr and
// the action's error.
func runApp(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := newApp()
	app.Writer, app.ErrWriter = &out, &errOut
	err := app.Run(append([]string{"mlbench"}, args...))
	return out.String(), errOut.String(), err
}

// writeFile writes body to path with perm, making the directories above
// it; a failure ends the test.
func writeFile(t testing.TB, path, body string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), perm); err != nil {
		t.Fatal(err)
	}
}

// startRun starts `mlbench run` of one demo task for steps nodes in the
// background under root (localArgs, HOME=root) and returns it with its
// stderr; the test's cleanup kills it if it still runs.
func startRun(t *testing.T, root, task, steps string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := mlbenchCmd(root, nil, append([]string{"run", "--task", task, "--steps", steps, "--jobs", "1"}, localArgs(root)...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, &stderr
}

// waitRun polls done until it holds; after two minutes it fails the test
// with what and the run's stderr.
func waitRun(t *testing.T, what string, stderr *bytes.Buffer, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s", what, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// localArgs are the flags a local demo run in these tests shares: demo
// data, wisdom store and run directories under root, Debian's Python.
func localArgs(root string) []string {
	return []string{"--set", "data.demo_dir=" + filepath.Join(root, "demo"), "--set", "exec.python=/usr/bin/python3",
		"--set", "memory.wisdom.dir=" + filepath.Join(root, "wisdom"), "--results", filepath.Join(root, "runs")}
}

// runLLMDemo runs demo-binary-auc for two nodes with the llm coder of the
// fake model server at url (both roles), under root, and returns the run
// directory. sets are more --set flags.
func runLLMDemo(t *testing.T, env []string, url, root string, sets ...string) string {
	t.Helper()
	args := []string{"run", "--task", "demo-binary-auc", "--steps", "2", "--time-limit", "5m", "--coder", "llm",
		"--set", "llm.code.base_url=" + url + "/v1", "--set", "llm.feedback.base_url=" + url + "/v1"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, errOut, code := mlbench(t, env, append(args, localArgs(root)...)...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "runs", "*"))
	if len(dirs) != 1 {
		t.Fatalf("run dirs: %v", dirs)
	}
	return dirs[0]
}

// metricLine is what a node's program prints; the fake reviewers report it.
var metricLine = regexp.MustCompile(`validation_metric: ([0-9.]+)`)

// chatReply answers one chat request (its raw body and parsed form) with
// the message and usage of a one-choice completion, or answers it itself
// with an error status and returns a nil message.
type chatReply func(w http.ResponseWriter, body []byte, req map[string]any) (msg, usage map[string]any)

// chatServer is a loopback OpenAI-compatible chat server, closed when the
// test ends: it refuses a bearer key other than key (401) and bad JSON
// (400), and writes reply's completion.
func chatServer(t *testing.T, key string, reply chatReply) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+key {
			http.Error(w, `{"error":{"message":"bad key"}}`, http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var req map[string]any
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad json", http.StatusBadRequest)
			return
		}
		msg, usage := reply(w, body, req)
		if msg == nil {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": req["model"],
			"choices": []map[string]any{{"index": 0, "message": msg, "finish_reason": "stop"}}, "usage": usage})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// codeMessage is the coder's reply: a plan and llmSolution.
func codeMessage() map[string]any {
	return map[string]any{"role": "assistant",
		"content": "Plan: gradient boosting on one-hot features with a hold-out.\n\n```python\n" + llmSolution + "```\n"}
}

// reviewMessage is the reviewer's submit_review tool call: no bug, and the
// last metric the program printed in the request body (null when none).
func reviewMessage(body []byte, summary string) map[string]any {
	m := "null"
	if got := metricLine.FindAllStringSubmatch(string(body), -1); len(got) > 0 {
		m = got[len(got)-1][1]
	}
	args := fmt.Sprintf(`{"is_bug": false, "has_csv_submission": true, "summary": %q, "metric": %s, "lower_is_better": false}`, summary, m)
	return map[string]any{"role": "assistant", "content": "", "tool_calls": []map[string]any{{"id": "call_1", "type": "function",
		"function": map[string]any{"name": "submit_review", "arguments": args}}}}
}
