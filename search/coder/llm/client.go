package llm

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/internal/ctxtime"
	"github.com/mlbench/mlbench/search"
)

// ErrNoKey is returned when the environment variable a role names for its
// API key is unset or empty.
var ErrNoKey = errors.New("llm: api key not set")

// CallError is a model call that failed after its retries. Its message
// never contains the API key. Err wraps search.ErrFatal for rejected
// credentials (HTTP 401 and 403), which must stop the search.
type CallError struct {
	Role     string // code, feedback
	Model    string
	Call     string // draft, improve, debug, review, check
	Status   int    // HTTP status of the last attempt; 0 when none came
	Attempts int
	// Local is set when the client library refused the request before
	// sending it (a parameter the model does not take).
	Local bool
	Err   error
}

func (e *CallError) Error() string {
	status := ""
	if e.Status != 0 {
		status = fmt.Sprintf(" status %d", e.Status)
	}
	return fmt.Sprintf("llm %s (%s) %s:%s after %d attempt(s): %v", e.Role, e.Model, e.Call, status, e.Attempts, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// replyFault is a response that arrived but cannot be used (no choices, an
// empty or malformed tool call); it is retried like a transport fault.
type replyFault struct{ msg string }

func (f *replyFault) Error() string { return f.msg }

// callInfo says what a call is for.
type callInfo struct {
	node string
	call string
}

// exchange is one HTTP request and its response, filled in by the wire.
type exchange struct {
	sent     bool
	seq      int
	url      string
	reqBody  []byte
	status   int
	header   http.Header
	respBody []byte
	err      error
	replayed *Record
}

type exchangeKey struct{}

type exchangeCtx struct {
	info callInfo
	ex   *exchange
}

// client is one role's connection: go-openai over a wire that merges the
// role's extra fields, captures each exchange for the transcript, and
// answers from a transcript when replaying.
type client struct {
	role   string
	cfg    configs.LLMRole
	api    *openai.Client
	red    redactor
	tr     *transcript
	replay *replayer
	base   *http.Client
	patch  map[string]any
	sleep  func(context.Context, time.Duration) error
	back   Backoff
	meter  *Meter

	seqMu sync.Mutex
	seqs  map[string]int
}

// clientOptions are the process-level inputs of a client.
type clientOptions struct {
	getenv     func(string) string
	transcript *transcript
	replay     *replayer
	httpClient *http.Client
	sleep      func(context.Context, time.Duration) error
	backoff    Backoff
	meter      *Meter
}

func newClient(role string, cfg configs.LLMRole, o clientOptions) (*client, error) {
	if cfg.Model == "" {
		return nil, fmt.Errorf("llm.%s.model: must name a model", role)
	}
	if cfg.BaseURL == "" && o.replay == nil {
		return nil, fmt.Errorf("llm.%s.base_url: must name an OpenAI-compatible endpoint", role)
	}
	key := ""
	if cfg.APIKeyEnv != "" && o.replay == nil {
		key = o.getenv(cfg.APIKeyEnv)
		if key == "" {
			return nil, fmt.Errorf("llm.%s.api_key_env: %w: environment variable %s is empty (set it, or set api_key_env to \"\" for a server without keys)", role, ErrNoKey, cfg.APIKeyEnv)
		}
	}
	c := &client{
		role:   role,
		cfg:    cfg,
		red:    redactor{secrets: []string{key}},
		tr:     o.transcript,
		replay: o.replay,
		base:   o.httpClient,
		sleep:  o.sleep,
		back:   o.backoff,
		meter:  o.meter,
		seqs:   map[string]int{},
	}
	if c.base == nil {
		c.base = &http.Client{}
	}
	if c.sleep == nil {
		c.sleep = ctxtime.Sleep
	}
	if c.replay != nil {
		// Replayed faults are answered at once; waiting would only slow
		// the re-execution down.
		c.sleep = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	}
	if c.back == (Backoff{}) {
		c.back = DefaultBackoff
	}
	if c.meter == nil {
		c.meter = &Meter{}
	}
	c.patch = map[string]any{}
	if !reasoningFamily(cfg.Model) {
		// go-openai omits a zero temperature; send it explicitly so that 0
		// means greedy decoding rather than the server's default.
		c.patch["temperature"] = cfg.Temperature
	}
	for k, v := range cfg.Extra {
		c.patch[k] = v
	}
	baseURL := cfg.BaseURL
	if baseURL == "" {
		baseURL = "http://replay.invalid/v1"
	}
	oc := openai.DefaultConfig(key)
	oc.BaseURL = strings.TrimRight(baseURL, "/")
	oc.HTTPClient = (*wire)(c)
	c.api = openai.NewClientWithConfig(oc)
	return c, nil
}

// reasoningFamily reports OpenAI's reasoning models, which reject
// temperature and max_tokens (they take max_completion_tokens).
func reasoningFamily(model string) bool {
	m := strings.ToLower(model)
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	for _, p := range []string{"o1", "o3", "o4"} {
		if m == p || strings.HasPrefix(m, p+"-") {
			return true
		}
	}
	return strings.HasPrefix(m, "gpt-5") || strings.HasPrefix(m, "gpt-6")
}

func (c *client) timeout() time.Duration {
	if c.cfg.Timeout > 0 {
		return c.cfg.Timeout
	}
	return 10 * time.Minute
}

func (c *client) nextSeq(node string) int {
	c.seqMu.Lock()
	defer c.seqMu.Unlock()
	n := c.seqs[node]
	c.seqs[node] = n + 1
	return n
}

// wire is the client's HTTP doer (see client).
type wire client

// maxBody bounds a response body kept in memory.
const maxBody = 64 << 20

func (w *wire) Do(req *http.Request) (*http.Response, error) {
	c := (*client)(w)
	ec, _ := req.Context().Value(exchangeKey{}).(*exchangeCtx)
	if ec == nil {
		return nil, errors.New("llm: request outside a call")
	}
	ex := ec.ex
	body, err := mergeBody(req, c.patch)
	if err != nil {
		return nil, err
	}
	ex.sent = true
	ex.seq = c.nextSeq(ec.info.node)
	ex.url = scrubURL(req.URL)
	ex.reqBody = body
	if c.replay != nil {
		rec, err := c.replay.lookup(c.role, ec.info.node, ex.seq)
		if err != nil {
			ex.err = err
			return nil, err
		}
		ex.replayed = &rec
		return replayResponse(req, rec, ex)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	resp, err := c.base.Do(req)
	if err != nil {
		ex.err = err
		return nil, err
	}
	ex.status = resp.StatusCode
	ex.header = resp.Header.Clone()
	b, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	// Nothing a reply says may carry the key on into plans, code or traces.
	b = c.red.scrubBytes(b)
	ex.respBody = b
	var rest io.Reader = bytes.NewReader(b)
	if rerr != nil {
		// The body broke off (a reset mid-response): hand the decoder what
		// came and then the error, so the call fails and is retried.
		ex.err = rerr
		rest = io.MultiReader(rest, errReader{rerr})
	}
	resp.Body = io.NopCloser(rest)
	return resp, nil
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// mergeBody reads the request body and sets the patch's fields in it.
func mergeBody(req *http.Request, patch map[string]any) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if len(patch) == 0 {
		return b, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("merge extra request fields: %w", err)
	}
	for k, v := range patch {
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("merge extra request field %s: %w", k, err)
		}
		m[k] = raw
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("merge extra request fields: %w", err)
	}
	return out, nil
}

// replayError is a recorded transport failure given back in replay.
type replayError struct{ msg, kind string }

func (e *replayError) Error() string { return "replayed " + e.kind + ": " + e.msg }

func replayResponse(req *http.Request, rec Record, ex *exchange) (*http.Response, error) {
	if rec.Status == 0 {
		err := &replayError{msg: rec.Error, kind: rec.ErrorKind}
		ex.err = err
		return nil, err
	}
	body := []byte(rec.Response)
	if len(body) == 0 {
		body = []byte(rec.ResponseText)
	}
	h := http.Header{}
	for k, v := range rec.Header {
		h.Set(k, v)
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	ex.status = rec.Status
	ex.header = h
	ex.respBody = body
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", rec.Status, http.StatusText(rec.Status)),
		StatusCode:    rec.Status,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// scrubURL drops credentials and the query from a URL for the record.
func scrubURL(u *url.URL) string {
	v := *u
	v.User = nil
	v.RawQuery = ""
	return v.String()
}

// fault is the classification of one failed attempt.
type fault struct {
	fatal, retryable bool
	retryAfter       time.Duration
}

func classify(ex *exchange, err error) fault {
	switch {
	case errors.Is(err, ErrReplayMiss), !ex.sent:
		return fault{}
	case ex.status == http.StatusUnauthorized, ex.status == http.StatusForbidden:
		return fault{fatal: true}
	case ex.status == http.StatusTooManyRequests, ex.status == http.StatusRequestTimeout,
		ex.status == http.StatusConflict, ex.status == http.StatusTooEarly, ex.status >= 500:
		return fault{retryable: true, retryAfter: retryAfter(ex.header)}
	case ex.status >= 400:
		return fault{}
	}
	// Transport faults (timeouts, resets), bodies that broke off or do not
	// decode, and unusable replies.
	return fault{retryable: true}
}

// maxRetryAfter bounds the wait a server's Retry-After can impose, so one
// odd header cannot stall a node for hours.
const maxRetryAfter = 10 * time.Minute

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// sendFunc performs one attempt through go-openai and checks the reply;
// it returns the usage the attempt consumed even when it fails.
type sendFunc func(ctx context.Context) (search.Usage, error)

// roundTrip runs send with the role's timeout per attempt, retrying faults
// with backoff up to max_retries, recording every exchange.
func (c *client) roundTrip(ctx context.Context, info callInfo, send sendFunc) (search.Usage, error) {
	var total search.Usage
	for attempt := 0; ; attempt++ {
		ex := &exchange{}
		actx, cancel := context.WithTimeout(context.WithValue(ctx, exchangeKey{}, &exchangeCtx{info: info, ex: ex}), c.timeout())
		start := time.Now()
		u, err := send(actx)
		cancel()
		if ex.sent {
			u.LLMSeconds = time.Since(start).Seconds()
			if ex.replayed != nil {
				u.LLMSeconds = ex.replayed.Seconds
			}
			if rerr := c.record(info, attempt, ex, u, err); rerr != nil {
				return total.Add(u), rerr
			}
		}
		total = total.Add(u)
		c.meter.Add(c.cfg.Model, u)
		if err == nil {
			return total, nil
		}
		if ctx.Err() != nil {
			return total, fmt.Errorf("llm %s %s: %w", c.role, info.call, ctx.Err())
		}
		f := classify(ex, err)
		msg := c.red.scrub(err.Error())
		ce := &CallError{Role: c.role, Model: c.cfg.Model, Call: info.call, Status: ex.status, Attempts: attempt + 1, Local: !ex.sent}
		switch {
		case f.fatal:
			ce.Err = fmt.Errorf("%w: credentials rejected (check %s): %s", search.ErrFatal, c.keyName(), msg)
			return total, ce
		case !f.retryable || attempt >= c.cfg.MaxRetries:
			ce.Err = errors.New(msg)
			if errors.Is(err, ErrReplayMiss) {
				ce.Err = fmt.Errorf("%w", err)
			}
			return total, ce
		}
		wait := c.back.delay(attempt)
		if f.retryAfter > wait {
			wait = min(f.retryAfter, maxRetryAfter)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return total, fmt.Errorf("llm %s %s: %w", c.role, info.call, err)
		}
	}
}

func (c *client) keyName() string {
	if c.cfg.APIKeyEnv == "" {
		return "the server's authentication"
	}
	return "$" + c.cfg.APIKeyEnv
}

// record appends one exchange to the transcript.
func (c *client) record(info callInfo, attempt int, ex *exchange, u search.Usage, err error) error {
	if c.tr == nil {
		return nil
	}
	rec := Record{
		Time: time.Now().UTC(), Role: c.role, Node: info.node, Call: info.call,
		Seq: ex.seq, Attempt: attempt, Model: c.cfg.Model, URL: ex.url,
		Status: ex.status, Seconds: u.LLMSeconds, Usage: u,
	}
	sum := sha256.Sum256(ex.reqBody)
	rec.RequestSHA256 = hex.EncodeToString(sum[:])
	if json.Valid(ex.reqBody) {
		rec.Request = json.RawMessage(c.red.scrubBytes(ex.reqBody))
	}
	for _, k := range []string{"Retry-After", "Content-Type"} {
		if v := ex.header.Get(k); v != "" {
			if rec.Header == nil {
				rec.Header = map[string]string{}
			}
			rec.Header[k] = v
		}
	}
	if ex.status != 0 {
		if json.Valid(ex.respBody) && ex.err == nil {
			rec.Response = json.RawMessage(c.red.scrubBytes(ex.respBody))
		} else {
			rec.ResponseText = c.red.scrub(string(ex.respBody))
		}
	} else if ex.err != nil || err != nil {
		e := ex.err
		if e == nil {
			e = err
		}
		rec.Error = c.red.scrub(e.Error())
		rec.ErrorKind = "transport"
		var re *replayError
		if errors.As(e, &re) {
			rec.Error, rec.ErrorKind = re.msg, re.kind
		} else if errors.Is(e, context.DeadlineExceeded) || os.IsTimeout(e) {
			rec.ErrorKind = "timeout"
		}
	}
	return c.tr.append(rec)
}

// chatResult is a usable chat reply.
type chatResult struct {
	msg       openai.ChatCompletionMessage
	finish    openai.FinishReason
	reasoning string // reasoning_content or reasoning, when the server sends it
}

// chat sends one chat completion with retries; check may reject a reply
// with a *replyFault to have it retried.
func (c *client) chat(ctx context.Context, info callInfo, req openai.ChatCompletionRequest, check func(chatResult) error) (chatResult, search.Usage, error) {
	req.Model = c.cfg.Model
	if reasoningFamily(c.cfg.Model) {
		req.MaxCompletionTokens = c.cfg.MaxTokens
	} else {
		req.MaxTokens = c.cfg.MaxTokens
	}
	var res chatResult
	u, err := c.roundTrip(ctx, info, func(ctx context.Context) (search.Usage, error) {
		resp, err := c.api.CreateChatCompletion(ctx, req)
		if err != nil {
			return search.Usage{}, err
		}
		u := usageOf(ctx, &resp.Usage)
		if len(resp.Choices) == 0 {
			return u, &replyFault{"reply has no choices"}
		}
		ch := resp.Choices[0]
		r := chatResult{msg: ch.Message, finish: ch.FinishReason, reasoning: ch.Message.ReasoningContent}
		if r.reasoning == "" {
			r.reasoning = reasoningField(ctx)
		}
		if u.ReasoningTokens == 0 {
			inline, answer := SplitThinking(r.msg.Content)
			u.ReasoningTokens = estimateReasoning(u.CompletionTokens, r.reasoning+inline, answer)
		}
		if check != nil {
			if err := check(r); err != nil {
				return u, err
			}
		}
		res = r
		return u, nil
	})
	return res, u, err
}

// complete sends one raw completion (steerable reasoning) with retries.
func (c *client) complete(ctx context.Context, info callInfo, prompt string, stop []string) (text, finish string, u search.Usage, err error) {
	req := openai.CompletionRequest{
		Model:     c.cfg.Model,
		Prompt:    prompt,
		MaxTokens: c.cfg.MaxTokens,
		Stop:      stop,
	}
	u, err = c.roundTrip(ctx, info, func(ctx context.Context) (search.Usage, error) {
		resp, err := c.api.CreateCompletion(ctx, req)
		if err != nil {
			return search.Usage{}, err
		}
		u := usageOf(ctx, resp.Usage)
		if len(resp.Choices) == 0 {
			return u, &replyFault{"reply has no choices"}
		}
		text, finish = resp.Choices[0].Text, resp.Choices[0].FinishReason
		return u, nil
	})
	return text, finish, u, err
}
