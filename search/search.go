package search

import (
	"context"
	"errors"
	"time"
)

// ErrFatal marks an error from a Coder, Executor or Reviewer that must stop
// the whole search (for example a rejected API key) instead of becoming one
// failed node. Wrap it: fmt.Errorf("%w: api key rejected", search.ErrFatal).
var ErrFatal = errors.New("search: fatal")

// Stage is what a node's code was asked to do.
type Stage string

// The node stages. StageRoot is only the virtual root, never a real node.
const (
	StageRoot    Stage = "root"
	StageDraft   Stage = "draft"
	StageImprove Stage = "improve"
	StageDebug   Stage = "debug"
)

// Usage is the LLM accounting of one call (or the sum of several).
type Usage struct {
	PromptTokens int64 `json:"prompt_tokens"`
	// CachedPromptTokens are the prompt tokens the provider served from
	// its prefix cache (part of PromptTokens).
	CachedPromptTokens int64   `json:"cached_prompt_tokens,omitempty"`
	CompletionTokens   int64   `json:"completion_tokens"`
	ReasoningTokens    int64   `json:"reasoning_tokens"`
	LLMSeconds         float64 `json:"llm_seconds"`
}

// Add returns the sum of u and o.
func (u Usage) Add(o Usage) Usage {
	return Usage{
		PromptTokens:       u.PromptTokens + o.PromptTokens,
		CachedPromptTokens: u.CachedPromptTokens + o.CachedPromptTokens,
		CompletionTokens:   u.CompletionTokens + o.CompletionTokens,
		ReasoningTokens:    u.ReasoningTokens + o.ReasoningTokens,
		LLMSeconds:         u.LLMSeconds + o.LLMSeconds,
	}
}

// Sub returns u less o (a part of it).
func (u Usage) Sub(o Usage) Usage {
	return Usage{
		PromptTokens:       u.PromptTokens - o.PromptTokens,
		CachedPromptTokens: u.CachedPromptTokens - o.CachedPromptTokens,
		CompletionTokens:   u.CompletionTokens - o.CompletionTokens,
		ReasoningTokens:    u.ReasoningTokens - o.ReasoningTokens,
		LLMSeconds:         u.LLMSeconds - o.LLMSeconds,
	}
}

// NodeSnapshot is a plain-data copy of one node, safe to keep and read
// without locks. Coders and memory build prompts from snapshots.
type NodeSnapshot struct {
	ID       string `json:"id"`
	ParentID string `json:"parent_id"` // "" for drafts (children of the virtual root)
	Stage    Stage  `json:"stage"`
	Step     int    `json:"step"`
	Worker   int    `json:"worker"`
	Plan     string `json:"plan"`
	Code     string `json:"code"`
	// Output is the tail of stdout and stderr as the executor kept it.
	Output  string   `json:"output"`
	Summary string   `json:"summary"`
	Metric  *float64 `json:"metric,omitempty"` // nil: no usable validation metric
	// IsBuggy is the final verdict (executor facts override the reviewer).
	IsBuggy          bool    `json:"is_buggy"`
	SubmissionExists bool    `json:"submission_exists"`
	FormatValid      bool    `json:"format_valid"`
	FormatError      string  `json:"format_error,omitempty"`
	ExitCode         int     `json:"exit_code"`
	TimedOut         bool    `json:"timed_out"`
	OOM              bool    `json:"oom"`
	ExecSeconds      float64 `json:"exec_seconds"`
	// Error says why the node failed outside the code itself (coder error,
	// panic, lost to an interruption); "" when none.
	Error string `json:"error,omitempty"`
	// DebugDepth is the length of the chain of debug nodes ending here
	// (0 for drafts and improvements).
	DebugDepth int `json:"debug_depth"`
}

// Request is what a Coder gets: the stage to write for and plain-data
// snapshots of the tree around the new node.
type Request struct {
	Stage  Stage  `json:"stage"`
	NodeID string `json:"node_id"` // id the new node will carry
	Step   int    `json:"step"`
	Worker int    `json:"worker"`
	// Parent is the node to improve or debug; nil for drafts.
	Parent *NodeSnapshot `json:"parent,omitempty"`
	// Drafts are the finished drafts so far (so a new draft can differ).
	Drafts []NodeSnapshot `json:"drafts,omitempty"`
	// Siblings are the parent's other finished children.
	Siblings []NodeSnapshot `json:"siblings,omitempty"`
	// DebugChain holds the earlier debug attempts of the chain that ends at
	// Parent, oldest first (the buggy ancestors of Parent, excluding Parent).
	DebugChain []NodeSnapshot `json:"debug_chain,omitempty"`
	// Best is the current best node, nil when there is none.
	Best *NodeSnapshot `json:"best,omitempty"`
	// LowerIsBetter is the metric direction, nil while unknown.
	LowerIsBetter *bool         `json:"lower_is_better,omitempty"`
	StepsLeft     int           `json:"steps_left"`
	TimeLeft      time.Duration `json:"time_left"`
}

// Proposal is a Coder's answer: a plan in prose and the code.
type Proposal struct {
	Plan  string `json:"plan"`
	Code  string `json:"code"`
	Usage Usage  `json:"usage"`
}

// Coder writes solutions. Draft writes one from scratch, Improve changes a
// working Parent, Debug repairs a buggy Parent. Methods are called
// concurrently. An error makes the node a failed (buggy) node unless it wraps
// ErrFatal or is the context's error at cancellation.
type Coder interface {
	Draft(ctx context.Context, req Request) (Proposal, error)
	Improve(ctx context.Context, req Request) (Proposal, error)
	Debug(ctx context.Context, req Request) (Proposal, error)
}

// ExecResult are the facts of one execution, established by the harness
// (sandbox and grader format validation, never a test score).
type ExecResult struct {
	ExitCode         int     `json:"exit_code"`
	TimedOut         bool    `json:"timed_out"`
	OOM              bool    `json:"oom"`
	Output           string  `json:"output"` // stdout+stderr tail for the reviewer
	Seconds          float64 `json:"seconds"`
	SubmissionExists bool    `json:"submission_exists"`
	FormatValid      bool    `json:"format_valid"`
	FormatError      string  `json:"format_error,omitempty"`
}

// Failed reports whether the facts alone make the node buggy: a non-zero
// exit, a timeout or OOM kill, or a missing or format-invalid submission.
func (r ExecResult) Failed() bool {
	return r.ExitCode != 0 || r.TimedOut || r.OOM || !r.SubmissionExists || !r.FormatValid
}

// Executor runs a node's code (snapshot carries ID and Code) in a sandbox
// and validates its submission's format. Called concurrently. An error makes
// the node a failed node unless it wraps ErrFatal or is the context's error.
type Executor interface {
	Execute(ctx context.Context, node NodeSnapshot) (ExecResult, error)
}

// Review is a Reviewer's reading of one execution.
type Review struct {
	IsBug   bool     `json:"is_bug"`
	Summary string   `json:"summary"`
	Metric  *float64 `json:"metric,omitempty"`
	// LowerIsBetter is the reviewer's opinion of the metric direction; the
	// search uses it only while the direction is unknown (see Config).
	LowerIsBetter *bool `json:"lower_is_better,omitempty"`
	Usage         Usage `json:"usage"`
}

// Reviewer reads an executed node. Called concurrently. Executor facts
// override it: a node whose ExecResult.Failed is true is buggy whatever the
// review says, and a NaN or infinite metric counts as no metric.
type Reviewer interface {
	Review(ctx context.Context, node NodeSnapshot, res ExecResult) (Review, error)
}

// NodeRecord is one finished node as the trace row needs it (see the trace
// schema in DESIGN.md); the harness adds run_id, item, task, seed, params,
// test_score and medal.
type NodeRecord struct {
	NodeID           string    `json:"node_id"`
	ParentID         string    `json:"parent_id"`
	Step             int       `json:"step"`
	Stage            Stage     `json:"stage"`
	Worker           int       `json:"worker"`
	CreatedAt        time.Time `json:"created_at"`
	FinishedAt       time.Time `json:"finished_at"`
	LLMSeconds       float64   `json:"llm_seconds"`
	ExecSeconds      float64   `json:"exec_seconds"`
	PromptTokens     int64     `json:"prompt_tokens"`
	CompletionTokens int64     `json:"completion_tokens"`
	ReasoningTokens  int64     `json:"reasoning_tokens"`
	// CachedPromptTokens are the prompt tokens served from the provider's
	// prefix cache.
	CachedPromptTokens int64 `json:"cached_prompt_tokens"`
	// Coder and Reviewer split the usage by role (they may be different
	// models at different prices); the token fields above are their sum.
	Coder            Usage    `json:"coder_usage"`
	Reviewer         Usage    `json:"reviewer_usage"`
	ExitCode         int      `json:"exit_code"`
	TimedOut         bool     `json:"timed_out"`
	OOM              bool     `json:"oom"`
	IsBuggy          bool     `json:"is_buggy"`
	SubmissionExists bool     `json:"submission_exists"`
	FormatValid      bool     `json:"format_valid"`
	Metric           *float64 `json:"metric,omitempty"`
	LowerIsBetter    *bool    `json:"lower_is_better,omitempty"`
	// UCTC is the exploration constant in force when the node was selected.
	UCTC float64 `json:"uct_c"`
	// Visits is the node's visit count when it was recorded.
	Visits int `json:"visits"`
	// Reward is what the node earned (-1 buggy, +1 working, +1 more for a
	// new best under the intended rule), the value it backpropagates when it
	// ends a trajectory.
	Reward     float64 `json:"reward"`
	DebugDepth int     `json:"debug_depth"`
	IsBest     bool    `json:"is_best"` // a new global best when recorded
	Plan       string  `json:"plan"`
	Summary    string  `json:"summary"`
	Code       string  `json:"code"`
	CodeSHA256 string  `json:"code_sha256"`
	Output     string  `json:"output"`
	Error      string  `json:"error,omitempty"`
}

// Roles splits r's usage by role. A record restored from a checkpoint
// older than the split has none: all of it counts as the coder's.
func (r NodeRecord) Roles() (coder, reviewer Usage) {
	if r.Coder == (Usage{}) && r.Reviewer == (Usage{}) {
		return Usage{PromptTokens: r.PromptTokens, CachedPromptTokens: r.CachedPromptTokens,
			CompletionTokens: r.CompletionTokens, ReasoningTokens: r.ReasoningTokens}, Usage{}
	}
	return r.Coder, r.Reviewer
}

// Tracer receives every finished node, in commit order, one call at a time.
// An error stops the search.
type Tracer interface {
	NodeDone(ctx context.Context, rec NodeRecord) error
}

// BranchTracer is an optional extension of Tracer: BranchDone is called when
// a worker's trajectory ends and is backpropagated from leaf (for example so
// memory can distil task knowledge when a branch ends).
type BranchTracer interface {
	BranchDone(ctx context.Context, leaf NodeSnapshot) error
}

// BestSink is told as soon as a new best node appears (so the harness can
// copy its submission to best/ at once and a killed run keeps its answer).
// Calls come one at a time and in order; a later call supersedes earlier ones.
type BestSink interface {
	OnNewBest(ctx context.Context, best NodeSnapshot) error
}

// Checkpointer persists the search state. Save is called after every node
// starts and finishes, one call at a time, with a State newer than the last
// one saved; it must write atomically (temp file, fsync, rename). Resume by
// passing the loaded State in Options.Resume. The State marshals to JSON.
type Checkpointer interface {
	Save(ctx context.Context, st *State) error
}

// Clock is the search's only view of time.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once in its own goroutine after d, unless stop is
	// called first (stop reports whether it prevented the call).
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}
