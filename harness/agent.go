package harness

import (
	"context"
	"fmt"
	"os"

	"github.com/mlbench/mlbench/search/coder/baseline"
)

// CoderName resolves search.coder: "auto" picks the LLM coder when the
// code model's API key is in the environment (or a replay transcript is
// configured), else the offline baseline.
func CoderName(env AgentEnv) string {
	c := env.Config.Search.Coder
	if c != "auto" {
		return c
	}
	if env.Config.LLM.Replay != "" || os.Getenv(env.Config.LLM.Code.APIKeyEnv) != "" {
		return "llm"
	}
	return "baseline"
}

// DefaultAgent builds the agent that search.coder names.
func DefaultAgent(ctx context.Context, env AgentEnv) (*Agent, error) {
	switch name := CoderName(env); name {
	case "baseline":
		return baselineAgent(env)
	case "llm":
		return llmAgent(ctx, env)
	default:
		return nil, fmt.Errorf("unknown coder %q (search.coder: auto, llm or baseline)", name)
	}
}

func baselineAgent(env AgentEnv) (*Agent, error) {
	t := env.Task
	bt := baseline.Task{
		ID: t.ID, PublicDir: t.PublicDir, InputDir: env.InputDir, SubmissionPath: env.SubmissionPath,
		Metric: t.Metric, XGBoost: env.XGBoost,
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
	return &Agent{Coder: c, Reviewer: c.Reviewer(), Describe: "baseline (offline AutoML)"}, nil
}
