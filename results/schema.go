package results

import "time"

// SchemaVersion is the version of the NodeRow and ResultRow layouts. It is
// written to every file's key/value metadata under MetaSchemaVersion; bump it
// when a column changes meaning or type (adding a column does not need it).
const SchemaVersion = "1"

// Key/value metadata keys written into every Parquet file.
const (
	// MetaSchemaVersion holds SchemaVersion.
	MetaSchemaVersion = "mlbench.schema_version"
	// MetaKind holds KindNode or KindResult.
	MetaKind = "mlbench.kind"
)

// Values of MetaKind.
const (
	KindNode   = "node"
	KindResult = "result"
)

// Stages of a search node (NodeRow.Stage, ResultRow.BestStage).
const (
	StageDraft   = "draft"
	StageImprove = "improve"
	StageDebug   = "debug"
)

// Medal values (NodeRow.Medal, ResultRow medal flags). MedalNone means
// graded without a medal; a nil NodeRow.Medal means not graded.
const (
	MedalGold   = "gold"
	MedalSilver = "silver"
	MedalBronze = "bronze"
	MedalNone   = "none"
)

// NodeRow is one node of a search tree: what was asked, what ran, what the
// reviewer said, and where it sits in the tree. One row per finished node;
// written by the harness through a TraceWriter.
//
// Nullable columns are pointers: Metric is nil when the node is buggy or the
// reviewer found no metric; TestScore and Medal are nil until the node is
// graded (mlbench collect --grade-nodes). ParentID is "" for a root draft.
type NodeRow struct {
	RunID  string `parquet:"run_id,dict"`
	Item   int64  `parquet:"item"`
	TaskID string `parquet:"task_id,dict"`
	Seed   int64  `parquet:"seed"`
	// Params is the sweep point of the work item as a JSON object of
	// dotted config keys to string values, e.g. {"search.uct_c":"0.5"}.
	Params   string `parquet:"params,dict"`
	NodeID   string `parquet:"node_id,plain"`
	ParentID string `parquet:"parent_id,plain"`
	// Step is the 1-based order in which the node finished within its item.
	Step   int64  `parquet:"step"`
	Stage  string `parquet:"stage,dict"`
	Worker int64  `parquet:"worker"`

	CreatedAt        time.Time `parquet:"created_at,timestamp(millisecond)"`
	FinishedAt       time.Time `parquet:"finished_at,timestamp(millisecond)"`
	LLMSeconds       float64   `parquet:"llm_seconds"`
	ExecSeconds      float64   `parquet:"exec_seconds"`
	PromptTokens     int64     `parquet:"prompt_tokens"`
	CompletionTokens int64     `parquet:"completion_tokens"`
	// CostUSD is the LLM cost of this node at the configured prices.
	CostUSD float64 `parquet:"cost_usd"`

	ExitCode      int64    `parquet:"exit_code"`
	TimedOut      bool     `parquet:"timed_out"`
	IsBuggy       bool     `parquet:"is_buggy"`
	FormatValid   bool     `parquet:"format_valid"`
	Metric        *float64 `parquet:"metric,optional"`
	LowerIsBetter bool     `parquet:"lower_is_better"`
	TestScore     *float64 `parquet:"test_score,optional"`
	Medal         *string  `parquet:"medal,optional,dict"`

	UCTC   float64 `parquet:"uct_c"`
	Visits int64   `parquet:"visits"`
	Reward float64 `parquet:"reward"`

	Plan       string `parquet:"plan,plain"`
	Summary    string `parquet:"summary,plain"`
	CodeSHA256 string `parquet:"code_sha256,plain"`
	Error      string `parquet:"error,plain"`

	// ReasoningTokens are part of CompletionTokens; CachedPromptTokens are
	// the part of PromptTokens the provider served from its prefix cache.
	ReasoningTokens    int64 `parquet:"reasoning_tokens"`
	CachedPromptTokens int64 `parquet:"cached_prompt_tokens"`
	// RoleUsage splits the tokens and the cost by role: the coder and the
	// reviewer may be different models at different prices.
	RoleUsage
	// Code is the program's text; OutputTail the tail of its output as
	// the executor kept it (bounded by exec.output_max).
	Code       string `parquet:"code,plain"`
	OutputTail string `parquet:"output_tail,plain"`
}

// RoleUsage is LLM usage per role, in NodeRow and ResultRow.
type RoleUsage struct {
	CoderPromptTokens          int64   `parquet:"coder_prompt_tokens"`
	CoderCachedPromptTokens    int64   `parquet:"coder_cached_prompt_tokens"`
	CoderCompletionTokens      int64   `parquet:"coder_completion_tokens"`
	CoderReasoningTokens       int64   `parquet:"coder_reasoning_tokens"`
	CoderCostUSD               float64 `parquet:"coder_cost_usd"`
	ReviewerPromptTokens       int64   `parquet:"reviewer_prompt_tokens"`
	ReviewerCachedPromptTokens int64   `parquet:"reviewer_cached_prompt_tokens"`
	ReviewerCompletionTokens   int64   `parquet:"reviewer_completion_tokens"`
	ReviewerReasoningTokens    int64   `parquet:"reviewer_reasoning_tokens"`
	ReviewerCostUSD            float64 `parquet:"reviewer_cost_usd"`
}

// ResultRow is one work item (task x seed x sweep point) of a run, the unit
// the medal tables count. Collect builds them from a run directory;
// WriteResults stores them as results.parquet.
//
// Score and the thresholds are nil when the item was not graded.
type ResultRow struct {
	RunID  string `parquet:"run_id,dict"`
	Item   int64  `parquet:"item"`
	TaskID string `parquet:"task_id,dict"`
	// Split is the task's MLE-Bench complexity split: low, medium, high or
	// "" when unknown (it then counts only in "all").
	Split  string `parquet:"split,dict"`
	Seed   int64  `parquet:"seed"`
	Params string `parquet:"params,dict"`
	// Status is the item's ItemStatus.State (pending, running, done,
	// failed, cancelled).
	Status     string `parquet:"status,dict"`
	Attempts   int64  `parquet:"attempts"`
	Graded     bool   `parquet:"graded"`
	BestNodeID string `parquet:"best_node_id,plain"`
	BestStage  string `parquet:"best_stage,dict"`

	SubmissionExists bool     `parquet:"submission_exists"`
	ValidSubmission  bool     `parquet:"valid_submission"`
	Score            *float64 `parquet:"score,optional"`
	GoldMedal        bool     `parquet:"gold_medal"`
	SilverMedal      bool     `parquet:"silver_medal"`
	BronzeMedal      bool     `parquet:"bronze_medal"`
	AnyMedal         bool     `parquet:"any_medal"`
	AboveMedian      bool     `parquet:"above_median"`
	GoldThreshold    *float64 `parquet:"gold_threshold,optional"`
	SilverThreshold  *float64 `parquet:"silver_threshold,optional"`
	BronzeThreshold  *float64 `parquet:"bronze_threshold,optional"`
	MedianThreshold  *float64 `parquet:"median_threshold,optional"`
	IsLowerBetter    bool     `parquet:"is_lower_better"`

	// Modality is what the task's examples are (tabular, image, text,
	// audio, other; "" unknown). Fallback marks an item whose graded
	// submission models nothing (a valid-format best guess), and
	// FallbackReason says why.
	Modality       string `parquet:"modality,dict"`
	Fallback       bool   `parquet:"fallback"`
	FallbackReason string `parquet:"fallback_reason,plain"`

	WallSeconds      float64 `parquet:"wall_seconds"`
	Nodes            int64   `parquet:"nodes"`
	BuggyNodes       int64   `parquet:"buggy_nodes"`
	PromptTokens     int64   `parquet:"prompt_tokens"`
	CompletionTokens int64   `parquet:"completion_tokens"`
	CostUSD          float64 `parquet:"cost_usd"`

	// DamagedParts counts the item's trace parts that could not be read.
	DamagedParts int64 `parquet:"damaged_parts"`
	// NodesRecovered counts nodes taken from the item's checkpoint because
	// the trace lacked them (a damaged part, a part lost with a killed job).
	NodesRecovered int64 `parquet:"nodes_recovered"`
	// Incomplete names the figures known to be short, comma-separated:
	// "nodes" (trace damaged and nothing to recover from), "cost" (nodes
	// recovered from the checkpoint, which has tokens but no prices); ""
	// when every figure is whole.
	Incomplete string `parquet:"incomplete,dict"`

	RoleUsage
}
