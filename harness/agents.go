package harness

import (
	"context"
	"io"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/harness/task"
)

// Agent is the door between running one work item (RunItem: lock, status,
// task, grading) and what actually solves the task: mlbench's own tree
// search ("mlbench", agent_mlbench.go) or any other implementation
// registered under an agent.kind.
//
// Call order, once per attempt of an item, from one goroutine:
//
//	a, err := NewAgent(cfg, opts)   // cheap: no files, no processes
//	defer a.Close()
//	res, err := a.Solve(ctx, env)   // the work; ctx ends it early
//	rep := grade(res.Submission)    // RunItem grades, never the agent
//	a.Graded(ctx, rep)              // only after a successful Solve
//
// Solve works in env.ItemDir (it may create anything below it except the
// files RunItem owns: status.json, grade.json and the lock) and leaves its
// best submission at res.Submission. It may be called on an item that an
// earlier attempt left behind (a requeue, `mlbench resume`): it continues
// from what that attempt kept, or starts afresh and says so in env.Log.
// When ctx ends before the agent finished, Solve returns ErrCancelled
// (wrapped or not) with whatever it has; the item is then marked cancelled
// and is solved again later. Any other error fails the item: return it only
// for failures of the infrastructure (a node of a search that crashes is
// data, not an error).
//
// Close releases what the agent holds (processes, connections, files); it
// is idempotent and is called whether or not Solve ran or succeeded.
type Agent interface {
	Solve(ctx context.Context, env AgentEnv) (AgentResult, error)
	// Graded hands the agent the grade of its best submission (nil fields
	// when there was none), e.g. to promote what it learned to the shared
	// wisdom store. Best effort: problems are logged, not returned.
	Graded(ctx context.Context, rep *grader.Report)
	Close() error
}

// AgentEnv is what an agent knows about the work item it solves. It holds
// no search types, so that an agent that is not ours can fill everything it
// needs from it.
type AgentEnv struct {
	Config *configs.Config // the item's effective config (sweep point applied)
	Run    *Run
	Index  int // the item's index in the run
	Task   task.Task
	Seed   int
	// ItemDir is items/<Index> of the run; it exists.
	ItemDir string
	// Sandbox is where generated or agent code runs (built from
	// Config.Exec, or by ItemOptions.Sandbox in tests). RunItem closes it.
	Sandbox sandbox.Executor
	// Log receives progress lines; never nil.
	Log io.Writer
}

// AgentResult is what an agent reports about one Solve.
type AgentResult struct {
	// Submission is the path of the best submission; "" means the
	// standard place, items/<i>/best/submission.csv. A missing file is
	// graded as "no submission".
	Submission string
	// BestNode names the node (or step) that produced it, "" if none.
	BestNode string
	// Nodes and Buggy count the candidate solutions tried, over all
	// attempts of the item; Lost counts those lost in flight.
	Nodes, Buggy, Lost int
	// Tokens and CostUSD are the LLM usage of this attempt (0: none or
	// unknown).
	PromptTokens, CompletionTokens int64
	CostUSD                        float64
	// Stop says why the agent stopped, e.g. "steps" or "time" (free text,
	// for logs).
	Stop string
	// Modality is what the task's examples are (tabular, image, text,
	// audio, other; "" unknown). Fallback says why the best submission
	// models nothing (a valid-format best guess); "" when it is a model's.
	// Both land in the item's status and result row.
	Modality string
	Fallback string
}

// AgentConstructor builds an agent of one kind for one item. It must be
// cheap and start nothing: the work belongs in Solve.
type AgentConstructor func(cfg *configs.Config, opts ItemOptions) (Agent, error)

// agents are the agent kinds, registered by their files' init functions.
var agents = configs.NewRegistry[AgentConstructor]("agent.kind", "agent")

// RegisterAgent makes an agent available under agent.kind = kind. Agents
// register themselves from an init function in their own file; a kind
// registered twice panics (a programming error).
func RegisterAgent(kind string, c AgentConstructor) { agents.Register(kind, c) }

// AgentKinds lists the registered agent kinds, sorted.
func AgentKinds() []string { return agents.Kinds() }

// NewAgent builds the agent that cfg.Agent.Kind names ("" means mlbench).
func NewAgent(cfg *configs.Config, opts ItemOptions) (Agent, error) {
	kind := cfg.Agent.Kind
	if kind == "" {
		kind = "mlbench"
	}
	c, err := agents.Lookup(kind)
	if err != nil {
		return nil, err
	}
	return c(cfg, opts)
}
