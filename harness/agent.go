package harness

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/baseline"
)

// Coders is what our search agent (agent_mlbench.go) asks of a model: the
// coder and reviewer of a search, built per item by a CoderFactory.
type Coders struct {
	Coder    search.Coder
	Reviewer search.Reviewer
	// Describe names the coders in logs, e.g. "baseline" or "llm gpt-4o".
	Describe string
	// Cost prices a node's usage per role in USD: the coder's at the code
	// model's rates, the reviewer's at the feedback model's (nil: free).
	Cost func(coder, reviewer search.Usage) (coderUSD, reviewerUSD float64)
	// Close releases what they hold (idempotent); nil when nothing.
	Close func() error
	// Modality is what the task's examples are (tabular, image, text,
	// audio, other), as the coder read them; "" when it does not say.
	Modality string
	// FallbackOf says whether a solution's code models nothing (a
	// valid-format fallback) and why; nil when the coder never falls back.
	FallbackOf func(code string) (string, bool)
}

// CoderFactory builds the coders for one item.
type CoderFactory func(ctx context.Context, env CoderEnv) (*Coders, error)

// CoderEnv is what a CoderFactory knows about the item.
type CoderEnv struct {
	Config  *configs.Config
	Task    task.Task
	Seed    int
	ItemDir string
	// InputDir and SubmissionPath are where generated code finds the public
	// data and must write its submission, as the code sees them.
	InputDir       string
	SubmissionPath string
	// Memory renders memory context for prompts.
	Memory *Memory
	// Env is what the sandbox offers generated code: Python packages with
	// versions and accelerators (the item's env.json).
	Env sandbox.Environment
	// GPUs are the GPUs one execution sees (empty: none), with what
	// nvidia-smi says of them.
	GPUs     []sandbox.GPU
	Executor sandbox.Executor
	Log      io.Writer
}

// CoderName resolves search.coder: "auto" picks the LLM coder when the
// code model's API key is in the environment (or a replay transcript is
// configured), else the offline baseline.
func CoderName(env CoderEnv) string {
	c := env.Config.Search.Coder
	if c != "auto" {
		return c
	}
	if env.Config.LLM.Replay != "" || os.Getenv(env.Config.LLM.Code.APIKeyEnv) != "" {
		return "llm"
	}
	return "baseline"
}

// DefaultCoders builds the coders that search.coder names.
func DefaultCoders(ctx context.Context, env CoderEnv) (*Coders, error) {
	switch name := CoderName(env); name {
	case "baseline":
		return baselineCoders(env)
	case "llm":
		return llmCoders(ctx, env)
	default:
		return nil, fmt.Errorf("unknown coder %q (search.coder: auto, llm or baseline)", name)
	}
}

func baselineCoders(env CoderEnv) (*Coders, error) {
	t := env.Task
	bt := baseline.Task{
		ID: t.ID, PublicDir: t.PublicDir, InputDir: env.InputDir, SubmissionPath: env.SubmissionPath,
		Metric: t.Metric, Packages: env.Env.Packages,
	}
	lower := t.LowerIsBetter
	bt.LowerIsBetter = &lower
	if t.Spec != nil {
		bt.IDColumn, bt.TargetColumns = t.Spec.IDColumn, t.Spec.TargetColumns
	}
	c, err := baseline.New(bt, int64(env.Seed))
	if err != nil {
		return nil, err
	}
	if env.Memory != nil {
		c.SetPrior(env.Memory.BaselinePrior)
	}
	describe := fmt.Sprintf("baseline (offline AutoML, %s)", c.Modality())
	if why := c.Fallback(); why != "" {
		describe = fmt.Sprintf("baseline (FALLBACK, %s: %s)", c.Modality(), why)
	}
	return &Coders{Coder: c, Reviewer: c.Reviewer(), Describe: describe,
		Modality: string(c.Modality()), FallbackOf: baseline.FallbackOf}, nil
}
