package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness/task"
)

// ValidationLog is the file in an external agent's item dir (agent/) that
// records every call of its validation server, one JSON object a line.
const ValidationLog = "validation.jsonl"

// validationCall is one line of ValidationLog.
type validationCall struct {
	N      int       `json:"n"`
	At     time.Time `json:"at"`
	Status int       `json:"status"`
	Valid  bool      `json:"valid"`
	Result string    `json:"result"`
}

// validationServer is the MLE-Bench validation endpoint of one item, served
// on a Unix socket that the sandbox forwards to localhost:5000. It reuses
// the grader's server (each upload its own temporary file, bounded size)
// with the competition fixed to the item's task, validates one upload at a
// time, and records every call for the item's log and status.
type validationServer struct {
	srv  *http.Server
	log  io.Writer
	item int
	path string // ValidationLog

	mu    sync.Mutex
	calls []validationCall
	file  *os.File
}

// maxValidationQueue bounds the uploads waiting for the one validation in
// progress; more get 503 at once rather than piling up memory and files.
const maxValidationQueue = 4

// startValidation serves task t's validation on a Unix socket at sock.
// Uploads are saved under tmp; calls are recorded in record and logged.
func startValidation(sock, tmp, record string, t task.Task, maxUpload int64, item int, log io.Writer) (*validationServer, error) {
	gs := &grader.Server{DataDir: t.DataDir(), MaxUploadSize: maxUpload, TempDir: tmp}
	if ct := t.GraderTask(); ct != nil {
		gs.Tasks = map[string]*grader.CustomTask{t.ID: ct}
	}
	f, err := os.OpenFile(record, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("validation server: %w", err)
	}
	v := &validationServer{log: log, item: item, path: record, file: f}
	inner := gs.Handler()
	busy := make(chan struct{}, 1)
	queue := make(chan struct{}, maxValidationQueue)
	mux := http.NewServeMux()
	mux.Handle("/health", inner)
	mux.HandleFunc("/validate", func(w http.ResponseWriter, r *http.Request) {
		// The agent validates its own task only, whatever it asks for.
		r.Header.Del("exp-id")
		q := r.URL.Query()
		q.Set("competition", t.ID)
		r.URL.RawQuery = q.Encode()
		select {
		case queue <- struct{}{}:
		default:
			http.Error(w, `{"error": "too many validation requests at once; retry later"}`, http.StatusServiceUnavailable)
			return
		}
		defer func() { <-queue }()
		select {
		case busy <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		defer func() { <-busy }()
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		inner.ServeHTTP(rec, r)
		v.record(rec)
	})
	ln, err := net.Listen("unix", sock)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("validation server: %w", err)
	}
	v.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 30 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() { _ = v.srv.Serve(ln) }()
	return v, nil
}

// record notes one answered call.
func (v *validationServer) record(rec *recorder) {
	var ans struct {
		Result  string `json:"result"`
		IsValid bool   `json:"is_valid"`
		Error   string `json:"error"`
	}
	_ = json.Unmarshal(rec.body.Bytes(), &ans)
	msg := ans.Result
	if msg == "" {
		msg = ans.Error
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	c := validationCall{N: len(v.calls) + 1, At: time.Now().UTC(), Status: rec.status, Valid: ans.IsValid, Result: truncate(msg, 2000)}
	v.calls = append(v.calls, c)
	if b, err := json.Marshal(c); err == nil {
		_, _ = v.file.Write(append(b, '\n'))
	}
	verdict := "invalid"
	if c.Valid {
		verdict = "valid"
	}
	line, _, _ := strings.Cut(c.Result, "\n")
	fmt.Fprintf(v.log, "item %d: validation call %d: %s (HTTP %d): %s\n", v.item, c.N, verdict, c.Status, truncate(line, 300))
}

// Calls returns how many calls were answered and the last one.
func (v *validationServer) Calls() (int, *validationCall) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.calls) == 0 {
		return 0, nil
	}
	last := v.calls[len(v.calls)-1]
	return len(v.calls), &last
}

// Close stops serving and waits (briefly) for calls in flight.
func (v *validationServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := v.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = v.srv.Close()
	}
	return errors.Join(err, v.file.Close())
}

// recorder keeps the status and the start of the body of a response.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if room := 8192 - r.body.Len(); room > 0 {
		r.body.Write(b[:min(room, len(b))])
	}
	return r.ResponseWriter.Write(b)
}

// ReadValidationCalls reads an item's recorded validation calls (agent/
// ValidationLog): how many, and the last one's verdict.
func ReadValidationCalls(itemDir string) (n int, lastValid bool, last string) {
	b, err := os.ReadFile(filepath.Join(itemDir, externalDir, ValidationLog))
	if err != nil {
		return 0, false, ""
	}
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var c validationCall
		if json.Unmarshal(line, &c) == nil && c.N > 0 {
			n, lastValid, last = n+1, c.Valid, c.Result
		}
	}
	return n, lastValid, last
}
