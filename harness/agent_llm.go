package harness

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mlbench/mlbench/harness/sandbox"
	"github.com/mlbench/mlbench/search"
	"github.com/mlbench/mlbench/search/coder/llm"
)

// TranscriptFile is the JSONL transcript of an item's LLM exchanges.
const TranscriptFile = "llm-transcript.jsonl"

// previewBudget bounds the data preview in the prompt, in characters.
const previewBudget = 6000

// llmCoders builds the LLM coder and reviewer: prompts carry the task's
// description, a preview of its public data and the memory context.
func llmCoders(_ context.Context, env CoderEnv) (*Coders, error) {
	t := env.Task
	desc, err := t.Description()
	if err != nil {
		return nil, err
	}
	preview, err := llm.Preview(t.PublicDir, previewBudget)
	if err != nil {
		return nil, fmt.Errorf("preview public data: %w", err)
	}
	lower := t.LowerIsBetter
	work := sandbox.WorkPath
	if env.InputDir == "./input" {
		work = "."
	}
	lt := llm.Task{
		ID: t.ID, Title: t.Name, Description: desc, DataPreview: preview,
		InputDir: env.InputDir, SubmissionPath: env.SubmissionPath, WorkingDir: work,
		Metric: t.Metric, LowerIsBetter: &lower, TimeLimit: env.Config.Exec.Timeout, GPU: len(env.GPUs) > 0,
	}
	lt.Packages = env.Env.PackageList()
	for _, g := range env.GPUs {
		lt.GPUs = append(lt.GPUs, g.String())
	}
	opts := llm.Options{
		Transcript:    filepath.Join(env.ItemDir, TranscriptFile),
		ContextBudget: env.Config.Memory.ContextBudget,
	}
	if env.Memory != nil {
		opts.Memory = env.Memory
		opts.Knowledge, opts.Wisdom = env.Memory.Knowledge, env.Memory.Wisdom
	}
	coder, reviewer, err := llm.New(env.Config.LLM, lt, opts)
	if err != nil {
		return nil, err
	}
	if env.Memory != nil {
		env.Memory.SetRefine(reviewer.Refine)
	}
	prices, model, fbModel := env.Config.LLM.Prices, env.Config.LLM.Code.Model, env.Config.LLM.Feedback.Model
	return &Coders{
		Coder: coder, Reviewer: reviewer,
		Describe: fmt.Sprintf("llm %s (review: %s)", model, fbModel),
		Cost: func(c, r search.Usage) (float64, float64) {
			cu, _ := llm.Cost(prices, model, c)
			ru, _ := llm.Cost(prices, fbModel, r)
			return cu, ru
		},
	}, nil
}

var _ llm.ContextBuilder = (*Memory)(nil)
