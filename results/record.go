package results

import (
	"math"

	"github.com/mlbench/mlbench/search"
)

// NodeRowOf is the trace row of a search node record: every column the
// search knows. The caller adds the item's identity (run, item, task,
// seed, params), the costs, and the metric direction when rec has none.
// A NaN or infinite metric becomes no metric.
func NodeRowOf(rec search.NodeRecord) NodeRow {
	r := NodeRow{
		NodeID: rec.NodeID, ParentID: rec.ParentID, Step: int64(rec.Step), Stage: string(rec.Stage),
		Worker: int64(rec.Worker), CreatedAt: rec.CreatedAt, FinishedAt: rec.FinishedAt,
		LLMSeconds: rec.LLMSeconds, ExecSeconds: rec.ExecSeconds, PromptTokens: rec.PromptTokens,
		CompletionTokens: rec.CompletionTokens, ExitCode: int64(rec.ExitCode), TimedOut: rec.TimedOut,
		IsBuggy: rec.IsBuggy, FormatValid: rec.FormatValid,
		LowerIsBetter: rec.LowerIsBetter != nil && *rec.LowerIsBetter,
		UCTC:          rec.UCTC, Visits: int64(rec.Visits), Reward: rec.Reward,
		Plan: rec.Plan, Summary: rec.Summary, CodeSHA256: rec.CodeSHA256, Error: rec.Error,
		ReasoningTokens: rec.ReasoningTokens, CachedPromptTokens: rec.CachedPromptTokens,
		Code: rec.Code, OutputTail: rec.Output,
	}
	if m := Finite(rec.Metric); m != nil {
		v := *m // the row does not share the search's memory
		r.Metric = &v
	}
	c, v := rec.Roles()
	r.RoleUsage = RoleUsage{
		CoderPromptTokens: c.PromptTokens, CoderCachedPromptTokens: c.CachedPromptTokens,
		CoderCompletionTokens: c.CompletionTokens, CoderReasoningTokens: c.ReasoningTokens,
		ReviewerPromptTokens: v.PromptTokens, ReviewerCachedPromptTokens: v.CachedPromptTokens,
		ReviewerCompletionTokens: v.CompletionTokens, ReviewerReasoningTokens: v.ReasoningTokens,
	}
	return r
}

// Finite returns p, or nil when it points to NaN or an infinity (which
// JSON cannot carry).
func Finite(p *float64) *float64 {
	if p == nil || math.IsNaN(*p) || math.IsInf(*p, 0) {
		return nil
	}
	return p
}
