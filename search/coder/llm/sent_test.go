package llm_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/search/coder/llm"
)

// TestSentFor: what `mlbench trace prompt` prints is exactly what the
// server received for the node.
func TestSentFor(t *testing.T) {
	srv := newServer(t, reply(goodReply))
	e := newEnv(t, srv.url())
	e.opts.Transcript = filepath.Join(t.TempDir(), "llm-transcript.jsonl")
	c, _ := e.build(t)
	if _, err := c.Draft(context.Background(), draftReq("7")); err != nil {
		t.Fatal(err)
	}
	recs, err := llm.ReadTranscript(e.opts.Transcript)
	if err != nil {
		t.Fatal(err)
	}
	sent, err := llm.SentFor(recs, "7")
	if err != nil {
		t.Fatal(err)
	}
	got := messages(srv.requests()[0])
	if len(sent) != 1 || len(sent[0].Messages) != len(got) {
		t.Fatalf("sent = %+v", sent)
	}
	for i, m := range got {
		if sent[0].Messages[i].Role != m["role"] || sent[0].Messages[i].Content != content(m) {
			t.Fatalf("message %d differs from what the server received", i)
		}
	}
	var b strings.Builder
	if err := llm.WriteSent(&b, sent); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "=== user\n# Task\n") || !strings.HasPrefix(b.String(), "##### code draft") {
		t.Fatalf("printed:\n%s", b.String())
	}
	if none, _ := llm.SentFor(recs, "8"); len(none) != 0 {
		t.Fatalf("node 8: %v", none)
	}
}
