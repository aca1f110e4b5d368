package llm

import (
	"sort"
	"strings"
	"sync"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/search"
)

// Cost prices usage of a model in USD from a price table in USD per million
// tokens (llm.prices). The model's own entry is used, else the longest key
// that the model name starts with ("gpt-4o-mini" prices
// "gpt-4o-mini-2024-07-18"). Cached prompt tokens are charged at the
// cached_prompt price (the prompt price when unset), the rest of the
// prompt at the prompt price. Reasoning tokens are part of the completion
// tokens, as servers count them, and are not charged twice. ok is false
// when the table has no price for the model.
func Cost(prices map[string]configs.Price, model string, u search.Usage) (usd float64, ok bool) {
	p, ok := priceOf(prices, model)
	if !ok {
		return 0, false
	}
	cached := min(max(u.CachedPromptTokens, 0), u.PromptTokens)
	cachedPrice := p.Prompt
	if p.CachedPrompt != nil {
		cachedPrice = *p.CachedPrompt
	}
	return (float64(u.PromptTokens-cached)*p.Prompt + float64(cached)*cachedPrice + float64(u.CompletionTokens)*p.Completion) / 1e6, true
}

func priceOf(prices map[string]configs.Price, model string) (configs.Price, bool) {
	if p, ok := prices[model]; ok {
		return p, true
	}
	best, found := "", false
	for k := range prices {
		if k != "" && strings.HasPrefix(model, k) && len(k) > len(best) {
			best, found = k, true
		}
	}
	return prices[best], found
}

// Meter sums usage per model over the calls of one task-run (the coder's
// and the reviewer's, which may be different models). Safe for concurrent
// use; the zero value is ready.
type Meter struct {
	mu      sync.Mutex
	byModel map[string]search.Usage
}

// Add counts one call's usage.
func (m *Meter) Add(model string, u search.Usage) {
	if u == (search.Usage{}) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byModel == nil {
		m.byModel = map[string]search.Usage{}
	}
	m.byModel[model] = m.byModel[model].Add(u)
}

// Usage returns a copy of the usage per model.
func (m *Meter) Usage() map[string]search.Usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]search.Usage, len(m.byModel))
	for k, v := range m.byModel {
		out[k] = v
	}
	return out
}

// Total is the usage summed over models.
func (m *Meter) Total() search.Usage {
	var t search.Usage
	for _, u := range m.Usage() {
		t = t.Add(u)
	}
	return t
}

// Cost prices the metered usage; unpriced lists the models the table has
// no price for (their usage counts as zero).
func (m *Meter) Cost(prices map[string]configs.Price) (usd float64, unpriced []string) {
	for model, u := range m.Usage() {
		c, ok := Cost(prices, model, u)
		if !ok {
			unpriced = append(unpriced, model)
			continue
		}
		usd += c
	}
	sort.Strings(unpriced)
	return usd, unpriced
}
