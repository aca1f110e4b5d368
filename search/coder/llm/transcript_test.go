package llm_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/llm"
)

// echoKey is a fault whose body repeats the Authorization header, as some
// proxies and servers do.
func echoKey(code int) step {
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, code, map[string]any{"error": map[string]any{"message": "upstream said: " + r.Header.Get("Authorization")}})
	}
}

func TestKeyNeverReachesTranscriptsOrErrors(t *testing.T) {
	srv := newServer(t,
		echoKey(http.StatusInternalServerError), // retried
		func(w http.ResponseWriter, r *http.Request) {
			reply("Plan mentioning "+r.Header.Get("Authorization")+"\n```python\nprint(1)\n```")(w, r)
		},
		echoKey(http.StatusBadRequest), // the reviewer falls back to JSON
		echoKey(http.StatusUnauthorized))
	e := newEnv(t, srv.url())
	dir := filepath.Dir(e.opts.Transcript)
	c, r := e.build(t)
	p := mustDraft(t, c)
	_, rerr := r.Review(context.Background(), search.NodeSnapshot{ID: "1", Code: p.Code}, okRun())
	if !errors.Is(rerr, search.ErrFatal) {
		t.Fatalf("review err = %v, want fatal", rerr)
	}
	if got := srv.requests()[0].Auth; got != "Bearer "+testKey {
		t.Fatalf("the key was not sent: %q", got)
	}
	for _, s := range []string{p.Plan, p.Code, rerr.Error()} {
		if strings.Contains(s, testKey) {
			t.Errorf("key leaked into %q", s)
		}
	}
	// Grep every file written for the key.
	var files int
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), testKey) {
			t.Errorf("%s contains the key", path)
		}
		if strings.Contains(strings.ToLower(string(b)), "authorization") {
			t.Errorf("%s records an Authorization header", path)
		}
		return nil
	})
	if err != nil || files == 0 {
		t.Fatalf("walk: %v, %d files", err, files)
	}
	recs, err := llm.ReadTranscript(e.opts.Transcript)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 4", len(recs))
	}
	if !strings.Contains(recs[0].ResponseText+string(recs[0].Response), "[REDACTED]") {
		t.Errorf("echoed key not shown as redacted: %s", recs[0].Response)
	}
	if recs[1].Status != 200 || recs[1].Usage.PromptTokens != 100 || len(recs[1].Request) == 0 || recs[1].RequestSHA256 == "" {
		t.Errorf("record = %+v", recs[1])
	}
	if recs[2].Role != "feedback" || recs[2].Node != "1" || recs[2].Call != "review" || recs[3].Seq != 1 {
		t.Errorf("review records = %+v / %+v", recs[2], recs[3])
	}
	if info, err := os.Stat(e.opts.Transcript); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("transcript mode: %v %v", info.Mode(), err)
	}
}

func TestReplayIsDeterministicAndOffline(t *testing.T) {
	srv := newServer(t,
		status(http.StatusTooManyRequests, "Retry-After", "1"),
		reply("no code here"),
		reply(goodReply),
		resetConn,
		toolReply(""),
		toolReply(`{"is_bug":false,"has_csv_submission":true,"summary":"ok","metric":0.9,"lower_is_better":false}`),
		reply("Improve.\n```python\nprint(2)\n```"))
	e := newEnv(t, srv.url())
	c, r := e.build(t)
	run := func(c *llm.Coder, r *llm.Reviewer) (search.Proposal, search.Review, search.Proposal, error) {
		ctx := context.Background()
		p1, err := c.Draft(ctx, draftReq("1"))
		if err != nil {
			return p1, search.Review{}, search.Proposal{}, err
		}
		rev, err := r.Review(ctx, search.NodeSnapshot{ID: "1", Code: p1.Code}, okRun())
		if err != nil {
			return p1, rev, search.Proposal{}, err
		}
		parent := search.NodeSnapshot{ID: "1", Code: p1.Code, Metric: rev.Metric, SubmissionExists: true, FormatValid: true}
		p2, err := c.Improve(ctx, search.Request{Stage: search.StageImprove, NodeID: "2", Parent: &parent})
		return p1, rev, p2, err
	}
	p1, rev, p2, err := run(c, r)
	if err != nil {
		t.Fatal(err)
	}
	recorded := len(srv.requests())

	// Replay against no server at all.
	e2 := newEnv(t, "http://127.0.0.1:1/v1")
	e2.cfg.Replay = e.opts.Transcript
	e2.opts.Getenv = func(string) string { return "" } // no key needed
	e2.opts.Transcript = filepath.Join(t.TempDir(), "replay.jsonl")
	c2, r2 := e2.build(t)
	q1, rev2, q2, err := run(c2, r2)
	if err != nil {
		t.Fatalf("replay: %v", err)
	}
	if q1 != p1 || q2 != p2 {
		t.Errorf("replayed proposals differ:\n%+v\n%+v", q1, p1)
	}
	if rev2.IsBug != rev.IsBug || !eqFloat(rev2.Metric, rev.Metric) || rev2.Summary != rev.Summary || rev2.Usage != rev.Usage {
		t.Errorf("replayed review differs:\n%+v\n%+v", rev2, rev)
	}
	if len(srv.requests()) != recorded {
		t.Error("replay reached the network")
	}
	if len(e2.sleeps.all()) != 0 {
		t.Errorf("replay waited: %v", e2.sleeps.all())
	}
	// The replay's own transcript has the same exchanges.
	a, _ := llm.ReadTranscript(e.opts.Transcript)
	b, _ := llm.ReadTranscript(e2.opts.Transcript)
	if len(a) != len(b) {
		t.Fatalf("replay transcript has %d records, the original %d", len(b), len(a))
	}
	for i := range a {
		if a[i].Status != b[i].Status || a[i].Node != b[i].Node || a[i].Seq != b[i].Seq || a[i].Usage != b[i].Usage {
			t.Errorf("record %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}

	// A node the transcript does not hold fails that node only.
	_, err = c2.Draft(context.Background(), draftReq("99"))
	if !errors.Is(err, llm.ErrReplayMiss) || errors.Is(err, search.ErrFatal) {
		t.Errorf("replay miss err = %v", err)
	}
}

func TestReadTranscriptTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.jsonl")
	content := `{"role":"code","node":"1","seq":0,"status":200}` + "\n" + `{"role":"code","node":"1","se`
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	recs, err := llm.ReadTranscript(path)
	if err != nil || len(recs) != 1 {
		t.Fatalf("recs %v err %v", recs, err)
	}
	bad := `{"role":"code"}` + "\n" + `not json` + "\n" + `{"role":"code"}` + "\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := llm.ReadTranscript(path); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
}

func TestShortKeyDoesNotGarbleReplies(t *testing.T) {
	srv := newServer(t, reply("Plan.\n```python\nx = 1\nprint(x)\n```"))
	e := newEnv(t, srv.url())
	e.opts.Getenv = func(string) string { return "x" }
	c, _ := e.build(t)
	p := mustDraft(t, c)
	if p.Code != "x = 1\nprint(x)" {
		t.Errorf("code = %q", p.Code)
	}
	if got := srv.requests()[0].Auth; got != "Bearer x" {
		t.Errorf("auth = %q", got)
	}
}
