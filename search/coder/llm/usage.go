package llm

import (
	"context"
	"encoding/json"

	openai "github.com/sashabaranov/go-openai"

	"github.com/mlbench/mlbench/search"
)

// usageOf converts go-openai's usage; reasoning tokens come from the
// completion details when the server reports them, cached prompt tokens
// from the prompt details (OpenAI, vLLM) or DeepSeek's
// prompt_cache_hit_tokens, which go-openai does not know.
func usageOf(ctx context.Context, u *openai.Usage) search.Usage {
	if u == nil {
		return search.Usage{}
	}
	out := search.Usage{PromptTokens: int64(u.PromptTokens), CompletionTokens: int64(u.CompletionTokens)}
	if u.CompletionTokensDetails != nil {
		out.ReasoningTokens = int64(u.CompletionTokensDetails.ReasoningTokens)
	}
	if u.PromptTokensDetails != nil {
		out.CachedPromptTokens = int64(u.PromptTokensDetails.CachedTokens)
	}
	if out.CachedPromptTokens == 0 {
		out.CachedPromptTokens = cacheHitField(ctx)
	}
	// A server never caches more than it was sent; a larger count is a
	// server bug that must not make the cost negative.
	out.CachedPromptTokens = min(max(out.CachedPromptTokens, 0), out.PromptTokens)
	return out
}

// cacheHitField reads usage.prompt_cache_hit_tokens from the raw response
// (DeepSeek; its prompt_tokens is hit + miss).
func cacheHitField(ctx context.Context) int64 {
	ec, _ := ctx.Value(exchangeKey{}).(*exchangeCtx)
	if ec == nil || len(ec.ex.respBody) == 0 {
		return 0
	}
	var raw struct {
		Usage struct {
			Hit  int64 `json:"prompt_cache_hit_tokens"`
			Miss int64 `json:"prompt_cache_miss_tokens"`
		} `json:"usage"`
	}
	if json.Unmarshal(ec.ex.respBody, &raw) != nil {
		return 0
	}
	return raw.Usage.Hit
}

// estimateReasoning splits completion tokens by the characters of the
// reasoning and the answer, for servers that do not report the split.
func estimateReasoning(completion int64, reasoning, answer string) int64 {
	if completion <= 0 || reasoning == "" {
		return 0
	}
	total := len(reasoning) + len(answer)
	return int64(float64(completion)*float64(len(reasoning))/float64(total) + 0.5)
}

// reasoningField reads choices[0].message.reasoning from the raw response
// (vLLM's newer name for reasoning_content, which go-openai does not know).
func reasoningField(ctx context.Context) string {
	ec, _ := ctx.Value(exchangeKey{}).(*exchangeCtx)
	if ec == nil || len(ec.ex.respBody) == 0 {
		return ""
	}
	var raw struct {
		Choices []struct {
			Message struct {
				Reasoning string `json:"reasoning"`
			} `json:"message"`
		} `json:"choices"`
	}
	if json.Unmarshal(ec.ex.respBody, &raw) != nil || len(raw.Choices) == 0 {
		return ""
	}
	return raw.Choices[0].Message.Reasoning
}
