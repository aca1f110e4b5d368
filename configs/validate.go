package configs

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Validate checks values that parse but make no sense, naming the field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field string, value any, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Value: fmt.Sprint(value), Err: fmt.Errorf(format, args...)})
	}
	oneOf := func(field, value string, allowed ...string) {
		if !slices.Contains(allowed, value) {
			bad(field, value, "expected one of %s", strings.Join(allowed, ", "))
		}
	}
	positive := func(field string, n int) {
		if n < 1 {
			bad(field, n, "must be at least 1")
		}
	}
	nonNegative := func(field string, n int) {
		if n < 0 {
			bad(field, n, "must not be negative")
		}
	}
	oneOf("agent.kind", c.Agent.Kind, Kinds("agent.kind")...)
	s := c.Search
	oneOf("search.policy", s.Policy, Kinds("search.policy")...)
	oneOf("search.coder", s.Coder, "auto", "llm", "baseline")
	oneOf("search.reward", s.Reward, "intended", "ml-master-v1")
	oneOf("search.decay", s.Decay, "piecewise", "linear", "exponential", "dynamic", "none")
	positive("search.num_drafts", s.NumDrafts)
	positive("search.num_improves", s.NumImproves)
	positive("search.num_bugs", s.NumBugs)
	nonNegative("search.back_debug_depth", s.BackDebugDepth)
	nonNegative("search.max_debug_depth", s.MaxDebugDepth)
	positive("search.max_improve_failure", s.MaxImproveFailure)
	positive("search.workers", s.Workers)
	positive("search.steps", s.Steps)
	if s.ImprovementThreshold < 0 {
		bad("search.improvement_threshold", s.ImprovementThreshold, "must not be negative")
	}
	if s.DebugProb < 0 || s.DebugProb > 1 {
		bad("search.debug_prob", s.DebugProb, "must be within [0, 1]")
	}
	if s.UCTC < 0 {
		bad("search.uct_c", s.UCTC, "must not be negative")
	}
	if s.UCTCMin < 0 || s.UCTCMin > s.UCTC {
		bad("search.uct_c_min", s.UCTCMin, "must be within [0, search.uct_c]")
	}
	if s.DecayAlpha < 0 {
		bad("search.decay_alpha", s.DecayAlpha, "must not be negative")
	}
	if len(s.PhaseRatios) != 2 || s.PhaseRatios[0] < 0 || s.PhaseRatios[0] > s.PhaseRatios[1] || s.PhaseRatios[1] > 1 {
		bad("search.phase_ratios", s.PhaseRatios, "expected two fractions [a, b] with 0 <= a <= b <= 1")
	}
	if s.TimeLimit <= 0 {
		bad("search.time_limit", s.TimeLimit, "must be positive")
	}
	e := c.Exec
	oneOf("exec.sandbox", e.Sandbox, "auto", "apptainer", "bwrap", "process")
	if e.Timeout <= 0 {
		bad("exec.timeout", e.Timeout, "must be positive")
	}
	if e.Python == "" {
		bad("exec.python", e.Python, "must name a Python interpreter")
	}
	if e.Memory != "" {
		if _, err := ParseBytes(e.Memory); err != nil {
			bad("exec.memory", e.Memory, "%v", err)
		}
	}
	if e.Disk != "" {
		if n, err := ParseBytes(e.Disk); err != nil || n <= 0 {
			bad("exec.disk", e.Disk, "expected a size such as 50G, or \"\" for no cap")
		}
	}
	nonNegative("exec.cpus", e.CPUs)
	nonNegative("exec.max_procs", e.MaxProcs)
	nonNegative("exec.output_max", e.OutputMax)
	if e.GPUs != "" && e.GPUs != "auto" {
		for _, g := range strings.Split(e.GPUs, ",") {
			if _, err := strconv.Atoi(strings.TrimSpace(g)); err != nil {
				bad("exec.gpus", e.GPUs, "expected comma-separated GPU indices, \"auto\" or \"\"")
				break
			}
		}
	}
	for name, r := range map[string]LLMRole{"llm.code": c.LLM.Code, "llm.feedback": c.LLM.Feedback} {
		if r.Temperature < 0 || r.Temperature > 2 {
			bad(name+".temperature", r.Temperature, "must be within [0, 2]")
		}
		nonNegative(name+".max_tokens", r.MaxTokens)
		nonNegative(name+".max_retries", r.MaxRetries)
		if r.Timeout < 0 {
			bad(name+".timeout", r.Timeout, "must not be negative")
		}
	}
	nonNegative("memory.context_budget", c.Memory.ContextBudget)
	nonNegative("memory.task_knowledge.every", c.Memory.TaskKnowledge.Every)
	nonNegative("memory.wisdom.top_k", c.Memory.Wisdom.TopK)
	if c.Memory.Wisdom.Refresh < 0 {
		bad("memory.wisdom.refresh", c.Memory.Wisdom.Refresh, "must not be negative")
	}
	for model, p := range c.LLM.Prices {
		if p.Prompt < 0 || p.Completion < 0 || (p.CachedPrompt != nil && *p.CachedPrompt < 0) {
			bad("llm.prices."+model, fmt.Sprintf("{prompt: %g, completion: %g}", p.Prompt, p.Completion), "prices must not be negative")
		}
	}
	oneOf("scheduler.kind", c.Scheduler.Kind, Kinds("scheduler.kind")...)
	positive("scheduler.jobs", c.Scheduler.Jobs)
	nonNegative("slurm.cpus_per_task", c.Slurm.CPUsPerTask)
	nonNegative("slurm.array_throttle", c.Slurm.ArrayThrottle)
	positive("slurm.max_attempts", c.Slurm.MaxAttempts)
	if c.Results.Dir == "" {
		bad("results.dir", "", "must not be empty")
	}
	if c.Grader.MaxUploadSize <= 0 {
		bad("grader.max_upload_size", c.Grader.MaxUploadSize, "must be positive")
	}
	c.Agent.validate(bad)
	return errors.Join(errs...)
}

// ParseBytes parses a size such as 512M, 16G or 1073741824.
func ParseBytes(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'K':
			mult, t = 1<<10, t[:n-1]
		case 'M':
			mult, t = 1<<20, t[:n-1]
		case 'G':
			mult, t = 1<<30, t[:n-1]
		case 'T':
			mult, t = 1<<40, t[:n-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("expected a size such as 512M or 16G")
	}
	return int64(f * float64(mult)), nil
}
