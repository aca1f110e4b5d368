package harness

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search"
)

func init() { RegisterAgent("mlbench", newSearchAgent) }

// searchAgent is mlbench's own agent: the ML-Master-style tree search of
// package search, over solutions that Coders write (an LLM or the offline
// baseline), executed in the item's sandbox, with the three memory tiers,
// a checkpoint after every node and one trace row per node.
type searchAgent struct {
	newCoders CoderFactory
	clock     search.Clock

	mem    *Memory
	coders *Coders
	run    *Run
	closed bool
}

var _ Agent = (*searchAgent)(nil)

func newSearchAgent(_ *configs.Config, opts ItemOptions) (Agent, error) {
	a := &searchAgent{newCoders: opts.Coders, clock: opts.Clock}
	if a.newCoders == nil {
		a.newCoders = DefaultCoders
	}
	if a.clock == nil {
		a.clock = search.SystemClock{}
	}
	return a, nil
}

// Solve runs (or resumes) the search of the item to its budget.
func (a *searchAgent) Solve(ctx context.Context, env AgentEnv) (AgentResult, error) {
	a.run = env.Run
	ex, coders, err := a.setUp(ctx, env)
	if err != nil {
		return AgentResult{}, err
	}
	resume, err := loadCheckpoint(env.ItemDir)
	if err != nil {
		return AgentResult{}, err
	}
	tr, err := a.openTracer(ctx, env, resume)
	if err != nil {
		return AgentResult{}, err
	}
	fmt.Fprintf(env.Log, "item %d: %s seed %d, agent %s, sandbox %s%s\n", env.Index, env.Task.ID, env.Seed, coders.Describe, env.Sandbox.Info().Backend, resumeNote(resume))
	res, err := search.Run(ctx, search.Options{
		Config: a.searchConfig(env), Coder: coders.Coder, Executor: ex, Reviewer: coders.Reviewer,
		Tracer: tr, Best: &bestSink{dir: env.ItemDir, itemDir: env.ItemDir}, Checkpointer: &checkpointer{dir: env.ItemDir},
		Clock: a.clock, Resume: resume,
	})
	if cerr := tr.w.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close traces: %w", cerr)
	}
	out := a.result(res)
	if err != nil {
		return out, err
	}
	if res.Reason == search.StopCancelled {
		return out, ErrCancelled
	}
	return out, nil
}

// setUp builds the node executor (checking the sandbox's Python on the
// way), opens the memory tiers and builds the coders.
func (a *searchAgent) setUp(ctx context.Context, env AgentEnv) (*nodeExecutor, *Coders, error) {
	ex, err := newNodeExecutor(env.Sandbox, env.Run, env.Index, env.Task, env.Config)
	if err != nil {
		return nil, nil, err
	}
	facts, err := ex.preflight(ctx)
	if err != nil {
		return nil, nil, err
	}
	if err := results.WriteJSON(filepath.Join(env.ItemDir, results.EnvFile), facts.Env); err != nil {
		return nil, nil, fmt.Errorf("record environment: %w", err)
	}
	fmt.Fprintf(env.Log, "item %d: sandbox has Python %s, %d ML packages, %s\n", env.Index, facts.Env.Python, len(facts.Env.Packages), facts.Env.Accelerators())
	gpus, gerr := ex.runGPUs(ctx)
	if gerr != nil {
		fmt.Fprintf(env.Log, "item %d: %v\n", env.Index, gerr)
	}
	runID := ""
	if env.Run != nil {
		runID = env.Run.Manifest.RunID
	}
	if a.mem, err = openMemory(env.Config.Memory, env.Task, env.ItemDir, env.Log, MemoryOptions{RunID: runID, Item: env.Index}); err != nil {
		return nil, nil, err
	}
	a.coders, err = a.newCoders(ctx, CoderEnv{
		Config: env.Config, Task: env.Task, Seed: env.Seed, ItemDir: env.ItemDir, Executor: env.Sandbox, Log: env.Log, Memory: a.mem,
		InputDir: ex.codeInputDir(), SubmissionPath: ex.codeSubmissionPath(), Env: facts.Env,
		GPUs: gpus,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("set up agent: %w", err)
	}
	return ex, a.coders, nil
}

// openTracer opens the item's trace writer and, on a resume, writes the
// rows of nodes that finished after the last trace flush.
func (a *searchAgent) openTracer(ctx context.Context, env AgentEnv, resume *search.State) (*tracer, error) {
	item, err := env.Run.Item(env.Index)
	if err != nil {
		return nil, err
	}
	tw, err := results.NewTraceWriter(env.ItemDir, results.TraceOptions{})
	if err != nil {
		return nil, err
	}
	cfg := env.Config
	tr := &tracer{w: tw, run: env.Run, item: item, dir: env.ItemDir, cfg: cfg, lower: env.Task.LowerIsBetter,
		cost: a.coders.Cost, steps: cfg.Search.Steps, log: env.Log, mem: a.mem}
	if resume != nil {
		if err := tr.backfill(ctx, resume); err != nil {
			tw.Close()
			return nil, err
		}
	}
	return tr, nil
}

func (a *searchAgent) searchConfig(env AgentEnv) search.Config {
	scfg := search.ConfigFrom(env.Config.Search)
	lower := env.Task.LowerIsBetter
	scfg.LowerIsBetter = &lower
	scfg.Seed = uint64(env.Seed)
	return scfg
}

func (a *searchAgent) result(res search.Result) AgentResult {
	out := AgentResult{
		Nodes: res.Nodes, Buggy: res.Buggy, Lost: res.Lost, Stop: string(res.Reason),
		PromptTokens: res.Usage.PromptTokens, CompletionTokens: res.Usage.CompletionTokens,
	}
	if res.Best != nil {
		out.BestNode = res.Best.ID
	}
	if a.coders != nil {
		out.Modality = a.coders.Modality
		if res.Best != nil && a.coders.FallbackOf != nil {
			out.Fallback, _ = a.coders.FallbackOf(res.Best.Code)
		}
	}
	if a.coders != nil && a.coders.Cost != nil {
		var review search.Usage
		if res.State != nil {
			for _, n := range res.State.Nodes {
				review = review.Add(n.ReviewUsage)
			}
		}
		c, r := a.coders.Cost(res.Usage.Sub(review), review)
		out.CostUSD = c + r
	}
	return out
}

// Graded promotes what the item learned to the wisdom store.
func (a *searchAgent) Graded(ctx context.Context, rep *grader.Report) {
	a.mem.finish(ctx, medalOf(rep))
}

// Close releases the coders (idempotent).
func (a *searchAgent) Close() error {
	if a.closed || a.coders == nil || a.coders.Close == nil {
		return nil
	}
	a.closed = true
	return a.coders.Close()
}
