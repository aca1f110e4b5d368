package llm_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/llm"
)

func okRun() search.ExecResult {
	return search.ExecResult{Output: "validation_metric: 0.9\n", Seconds: 12, SubmissionExists: true, FormatValid: true}
}

var reviewNode = search.NodeSnapshot{ID: "7", Plan: "Logistic regression.", Code: "print('validation_metric: 0.9')"}

func TestReviewForcedToolCall(t *testing.T) {
	cases := []struct {
		name       string
		args       string
		res        search.ExecResult
		wantBug    bool
		wantMetric *float64
		wantLower  *bool
		wantInSum  string
	}{
		{name: "float metric", args: `{"is_bug":false,"has_csv_submission":true,"summary":"Fine.","metric":0.9,"lower_is_better":false}`,
			res: okRun(), wantMetric: ptr(0.9), wantLower: boolp(false), wantInSum: "Fine."},
		{name: "integer metric is a metric", args: `{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":1,"lower_is_better":true}`,
			res: okRun(), wantMetric: ptr(1), wantLower: boolp(true)},
		{name: "numeric string is a metric", args: `{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":"0.25","lower_is_better":"true"}`,
			res: okRun(), wantMetric: ptr(0.25), wantLower: boolp(true)},
		{name: "non-number is no metric", args: `{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":"N/A","lower_is_better":false}`,
			res: okRun(), wantLower: boolp(false)},
		{name: "null metric", args: `{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":null,"lower_is_better":false}`,
			res: okRun(), wantLower: boolp(false)},
		{name: "NaN string is no metric", args: `{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":"NaN","lower_is_better":false}`,
			res: okRun(), wantLower: boolp(false)},
		{name: "exit code overrides the model", args: `{"is_bug":false,"has_csv_submission":true,"summary":"Looks fine.","metric":0.9,"lower_is_better":false}`,
			res: search.ExecResult{ExitCode: 1, SubmissionExists: true, FormatValid: true}, wantBug: true, wantLower: boolp(false), wantInSum: "exited with code 1"},
		{name: "timeout overrides the model", args: `{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":0.9,"lower_is_better":false}`,
			res: search.ExecResult{ExitCode: -1, TimedOut: true, SubmissionExists: true, FormatValid: true}, wantBug: true, wantLower: boolp(false), wantInSum: "time limit"},
		{name: "missing submission overrides the model", args: `{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":0.9,"lower_is_better":false}`,
			res: search.ExecResult{Output: "validation_metric: 0.9"}, wantBug: true, wantLower: boolp(false), wantInSum: "no submission file"},
		{name: "model's bug stands and drops the metric", args: `{"is_bug":true,"has_csv_submission":true,"summary":"Leak: validated on training data.","metric":0.99,"lower_is_better":false}`,
			res: okRun(), wantBug: true, wantLower: boolp(false), wantInSum: "Leak"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, toolReply(tc.args))
			_, r := newEnv(t, srv.url()).build(t)
			rev, err := r.Review(context.Background(), reviewNode, tc.res)
			if err != nil {
				t.Fatal(err)
			}
			if rev.IsBug != tc.wantBug {
				t.Errorf("IsBug = %v", rev.IsBug)
			}
			if !eqFloat(rev.Metric, tc.wantMetric) {
				t.Errorf("Metric = %v, want %v", show(rev.Metric), show(tc.wantMetric))
			}
			if !eqBool(rev.LowerIsBetter, tc.wantLower) {
				t.Errorf("LowerIsBetter = %v", rev.LowerIsBetter)
			}
			if !strings.Contains(rev.Summary, tc.wantInSum) {
				t.Errorf("Summary = %q, want it to contain %q", rev.Summary, tc.wantInSum)
			}
			if rev.Usage.PromptTokens != 300 {
				t.Errorf("usage = %+v", rev.Usage)
			}
			body := srv.requests()[0].Body
			tc, _ := body["tool_choice"].(map[string]any)
			fn, _ := tc["function"].(map[string]any)
			if tc["type"] != "function" || fn["name"] != "submit_review" {
				t.Errorf("tool_choice = %v", body["tool_choice"])
			}
			containsAll(t, "review prompt", content(messages(srv.requests()[0])[1]), "Logistic regression.", "print('validation_metric: 0.9')", "exit code:", "# Output")
		})
	}
}

func TestReviewToolFaultsAreRetried(t *testing.T) {
	good := toolReply(`{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":0.5,"lower_is_better":false}`)
	cases := []struct {
		name  string
		fault step
	}{
		{"empty tool call", toolReply("")},
		{"empty object", toolReply("{}")},
		{"truncated arguments", toolReply(`{"is_bug": false, "summ`)},
		{"malformed arguments", toolReply(`is_bug=false`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.fault, good)
			e := newEnv(t, srv.url())
			_, r := e.build(t)
			rev, err := r.Review(context.Background(), reviewNode, okRun())
			if err != nil {
				t.Fatal(err)
			}
			if !eqFloat(rev.Metric, ptr(0.5)) || len(srv.requests()) != 2 || len(e.sleeps.all()) != 1 {
				t.Errorf("metric %v, %d requests, waits %v", show(rev.Metric), len(srv.requests()), e.sleeps.all())
			}
			if rev.Usage.PromptTokens != 600 {
				t.Errorf("usage of the failed attempt not counted: %+v", rev.Usage)
			}
		})
	}
}

func TestReviewFallsBackToJSONWhenToolsAreRefused(t *testing.T) {
	jsonReply := reply("Here is my review.\n```json\n{\"is_bug\": false, \"has_csv_submission\": true, \"summary\": \"Good.\", \"metric\": 3, \"lower_is_better\": true}\n```")
	srv := newServer(t, status(http.StatusBadRequest), jsonReply, jsonReply)
	e := newEnv(t, srv.url())
	_, r := e.build(t)
	rev, err := r.Review(context.Background(), reviewNode, okRun())
	if err != nil {
		t.Fatal(err)
	}
	if !eqFloat(rev.Metric, ptr(3)) || rev.Summary != "Good." {
		t.Errorf("review = %+v", rev)
	}
	reqs := srv.requests()
	if _, ok := reqs[1].Body["tools"]; ok {
		t.Error("fallback request still sends tools")
	}
	containsAll(t, "fallback prompt", content(messages(reqs[1])[1]), "```json", "is_bug")
	// The next review goes straight to JSON.
	if _, err := r.Review(context.Background(), search.NodeSnapshot{ID: "8", Code: "x"}, okRun()); err != nil {
		t.Fatal(err)
	}
	if reqs = srv.requests(); len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	if _, ok := reqs[2].Body["tools"]; ok {
		t.Error("tools sent again after the server refused them")
	}
}

func TestReviewReadsJSONWhenServerIgnoresToolChoice(t *testing.T) {
	cases := []struct{ name, content string }{
		{"bare object in prose", `The run worked. {"is_bug": false, "has_csv_submission": true, "summary": "ok", "metric": 0.7, "lower_is_better": false} That is all.`},
		{"after thinking", "<think>{\"is_bug\": true}</think>```json\n{\"is_bug\": false, \"has_csv_submission\": true, \"summary\": \"ok\", \"metric\": 0.7, \"lower_is_better\": false}\n```"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, reply(tc.content))
			_, r := newEnv(t, srv.url()).build(t)
			rev, err := r.Review(context.Background(), reviewNode, okRun())
			if err != nil {
				t.Fatal(err)
			}
			if rev.IsBug || !eqFloat(rev.Metric, ptr(0.7)) {
				t.Errorf("review = %+v", rev)
			}
		})
	}
}

func TestReviewWithoutVerdictIsRetriedThenFails(t *testing.T) {
	srv := newServer(t, reply("It seems fine."), reply("Really fine."), reply("Fine!"))
	_, r := newEnv(t, srv.url()).build(t)
	_, err := r.Review(context.Background(), reviewNode, okRun())
	if !errors.Is(err, llm.ErrNoReview) || errors.Is(err, search.ErrFatal) {
		t.Fatalf("err = %v", err)
	}
	msgs := messages(srv.requests()[2])
	if len(msgs) != 6 || !strings.Contains(content(msgs[5]), "did not contain the review") {
		t.Errorf("third request messages = %v", msgs)
	}
}

func TestSteerableReviewer(t *testing.T) {
	srv := newServer(t, completion("It ran.</think>\n```json\n{\"is_bug\": false, \"has_csv_submission\": true, \"summary\": \"ok\", \"metric\": 0.6, \"lower_is_better\": false}\n```", "stop", usage(100, 50, -1)))
	e := newEnv(t, srv.url())
	e.cfg.Feedback.Model, e.cfg.Feedback.SteerableReasoning = "Qwen3-8B", true
	_, r := e.build(t)
	rev, err := r.Review(context.Background(), reviewNode, okRun())
	if err != nil {
		t.Fatal(err)
	}
	if !eqFloat(rev.Metric, ptr(0.6)) || rev.Usage.ReasoningTokens == 0 {
		t.Errorf("review = %+v", rev)
	}
	if srv.requests()[0].Path != "/v1/completions" {
		t.Errorf("path = %s", srv.requests()[0].Path)
	}
}

func boolp(b bool) *bool { return &b }

func eqFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func eqBool(a, b *bool) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func show(f *float64) any {
	if f == nil {
		return "nil"
	}
	return *f
}

func TestReviewFallsBackWhenTheClientRefusesTools(t *testing.T) {
	// go-openai refuses chat tool calls for this reasoning model before
	// sending anything; the reviewer must ask for JSON instead.
	srv := newServer(t, reply("```json\n{\"is_bug\": false, \"has_csv_submission\": true, \"summary\": \"ok\", \"metric\": 0.4, \"lower_is_better\": false}\n```"))
	e := newEnv(t, srv.url())
	e.cfg.Feedback.Model = "gpt-6-sol"
	_, r := e.build(t)
	rev, err := r.Review(context.Background(), reviewNode, okRun())
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.requests()
	if !eqFloat(rev.Metric, ptr(0.4)) || len(reqs) != 1 {
		t.Fatalf("review %+v after %d requests", rev, len(reqs))
	}
	if _, ok := reqs[0].Body["tools"]; ok {
		t.Error("tools sent")
	}
	if _, ok := reqs[0].Body["temperature"]; ok {
		t.Error("temperature sent to a reasoning model")
	}
}
