package llm

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mlbench/mlbench/search"
)

// Record is one line of a transcript: one HTTP exchange with an endpoint
// (every attempt, failed ones included) and what it cost. Keys are never
// recorded: no header but Retry-After and Content-Type is kept, and the key
// value is replaced by "[REDACTED]" wherever it appears.
type Record struct {
	Time time.Time `json:"time"`
	// Role is "code" or "feedback" (or "check" for mlbench llm check).
	Role string `json:"role"`
	// Node is the id of the node the call was made for.
	Node string `json:"node"`
	// Call says what was asked: draft, improve, debug, review, check.
	Call string `json:"call"`
	// Seq numbers the exchanges of one (role, node), from 0; replay matches
	// on (role, node, seq).
	Seq     int    `json:"seq"`
	Attempt int    `json:"attempt"`
	Model   string `json:"model"`
	URL     string `json:"url"`
	// RequestSHA256 is the hash of the request body as sent.
	RequestSHA256 string          `json:"request_sha256"`
	Request       json.RawMessage `json:"request,omitempty"`
	// Status is the HTTP status; 0 when no response came.
	Status int               `json:"status"`
	Header map[string]string `json:"header,omitempty"`
	// Response is the body when it is valid JSON, ResponseText otherwise
	// (a truncated or malformed body is kept verbatim).
	Response     json.RawMessage `json:"response,omitempty"`
	ResponseText string          `json:"response_text,omitempty"`
	// Error is the transport error (timeout, reset) when no response came.
	Error string `json:"error,omitempty"`
	// ErrorKind classifies Error for replay: timeout, transport.
	ErrorKind string       `json:"error_kind,omitempty"`
	Seconds   float64      `json:"seconds"`
	Usage     search.Usage `json:"usage"`
}

// redactor scrubs secrets from text that leaves the process.
type redactor struct{ secrets []string }

const redacted = "[REDACTED]"

// minSecret is the shortest key scrubbed from text: replacing a shorter
// one (a local server's "x") would garble replies and code. Such keys are
// still never recorded from the Authorization header.
const minSecret = 8

func (r redactor) scrub(s string) string {
	for _, k := range r.secrets {
		if len(k) >= minSecret {
			s = strings.ReplaceAll(s, k, redacted)
		}
	}
	return s
}

func (r redactor) scrubBytes(b []byte) []byte {
	for _, k := range r.secrets {
		if len(k) >= minSecret && strings.Contains(string(b), k) {
			b = []byte(strings.ReplaceAll(string(b), k, redacted))
		}
	}
	return b
}

// transcript appends records to a JSONL file. It opens the file for each
// record (O_APPEND, one write per line), so it holds no descriptor and
// needs no Close; a mutex orders writers of this process.
type transcript struct {
	path string
	red  redactor
	mu   sync.Mutex
}

func (t *transcript) append(rec Record) error {
	if t == nil || t.path == "" {
		return nil
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode transcript record: %w", err)
	}
	line = append(t.red.scrubBytes(line), '\n')
	t.mu.Lock()
	defer t.mu.Unlock()
	f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open transcript: %w", err)
	}
	if _, err := f.Write(line); err != nil {
		f.Close()
		return fmt.Errorf("write transcript: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close transcript: %w", err)
	}
	return nil
}

// ErrReplayMiss is returned when a replayed run asks for an exchange the
// transcript does not hold (the run diverged from the recorded one).
var ErrReplayMiss = errors.New("llm: no recorded exchange to replay")

// replayKey identifies an exchange for replay.
type replayKey struct {
	role, node string
	seq        int
}

// replayer answers exchanges from a transcript.
type replayer struct {
	path    string
	records map[replayKey]Record
}

// ReadTranscript reads the records of a transcript file. A final line cut
// short (a writer killed mid-line) is ignored; any other bad line is an
// error naming its line number.
func ReadTranscript(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read transcript: %w", err)
	}
	defer f.Close()
	return decodeTranscript(f, path)
}

func decodeTranscript(r io.Reader, name string) ([]Record, error) {
	var recs []Record
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			var rec Record
			if jerr := json.Unmarshal(line, &rec); jerr != nil {
				if err == io.EOF {
					return recs, nil // a torn last line
				}
				return nil, fmt.Errorf("read transcript %s line %d: %w", name, n, jerr)
			}
			recs = append(recs, rec)
		}
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read transcript %s: %w", name, err)
		}
	}
}

func newReplayer(path string) (*replayer, error) {
	recs, err := ReadTranscript(path)
	if err != nil {
		return nil, err
	}
	rp := &replayer{path: path, records: make(map[replayKey]Record, len(recs))}
	for _, rec := range recs {
		// A resumed item may have appended a node's exchanges again; the
		// first recording wins.
		k := replayKey{rec.Role, rec.Node, rec.Seq}
		if _, dup := rp.records[k]; !dup {
			rp.records[k] = rec
		}
	}
	return rp, nil
}

func (rp *replayer) lookup(role, node string, seq int) (Record, error) {
	rec, ok := rp.records[replayKey{role, node, seq}]
	if !ok {
		return Record{}, fmt.Errorf("%w: role %s node %s exchange %d in %s", ErrReplayMiss, role, node, seq, rp.path)
	}
	return rec, nil
}
