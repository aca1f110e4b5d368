package results

import (
	"fmt"
	"reflect"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// roleField is one RoleUsage column: its name and its counter or cost
// (exactly one of count and cost is set), in field order. Add and
// addColumns go through these, so the struct is the one list of roles'
// figures.
type roleField struct {
	name  string
	count func(*RoleUsage) *int64
	cost  func(*RoleUsage) *float64
}

var roleFields = func() []roleField {
	t := reflect.TypeFor[RoleUsage]()
	out := make([]roleField, t.NumField())
	for i := range out {
		f := t.Field(i)
		out[i].name = columnName(f)
		switch {
		case out[i].name == "":
			panic("results: RoleUsage." + f.Name + " is not a Parquet column")
		case f.Type == reflect.TypeFor[int64]():
			out[i].count = fieldAt[RoleUsage, int64](f.Offset)
		case f.Type == reflect.TypeFor[float64]():
			out[i].cost = fieldAt[RoleUsage, float64](f.Offset)
		default:
			panic("results: RoleUsage." + f.Name + " is neither a count nor a cost")
		}
	}
	return out
}()

// roleColumns are the RoleUsage columns, in field order (roleFields').
var roleColumns = func() []string {
	names := make([]string, len(roleFields))
	for i, f := range roleFields {
		names[i] = f.name
	}
	return names
}()

// Add returns the sum of u and o.
func (u RoleUsage) Add(o RoleUsage) RoleUsage {
	for _, f := range roleFields {
		if f.count != nil {
			*f.count(&u) += *f.count(&o)
		} else {
			*f.cost(&u) += *f.cost(&o)
		}
	}
	return u
}

// addColumns sums a record batch's role columns (roleColumns order, nil
// when the file predates them) into u.
func (u *RoleUsage) addColumns(arrs []arrow.Array) error {
	for i, a := range arrs {
		f := roleFields[i]
		switch {
		case a == nil:
		case f.count != nil:
			if err := sumInt64(a, f.count(u)); err != nil {
				return err
			}
		default:
			v, ok := a.(*array.Float64)
			if !ok {
				return typeError{a.DataType()}
			}
			sum := f.cost(u)
			for _, x := range v.Float64Values() {
				*sum += x
			}
		}
	}
	return nil
}

// UsageRow is the LLM usage of one role in one run (and sweep group),
// summed over its finished items.
type UsageRow struct {
	Run                string  `json:"run"`
	Group              string  `json:"group,omitempty"`
	Role               string  `json:"role"`
	PromptTokens       int64   `json:"prompt_tokens"`
	CachedPromptTokens int64   `json:"cached_prompt_tokens"`
	CompletionTokens   int64   `json:"completion_tokens"`
	ReasoningTokens    int64   `json:"reasoning_tokens"`
	CostUSD            float64 `json:"cost_usd"`
}

// CacheHitPct is the share of prompt tokens served from the provider's
// prefix cache, in percent (0 without prompt tokens).
func (u UsageRow) CacheHitPct() float64 {
	if u.PromptTokens == 0 {
		return 0
	}
	return 100 * float64(u.CachedPromptTokens) / float64(u.PromptTokens)
}

// usageRows sums a group's usage per role; none when it used no LLM.
func usageRows(g group) []UsageRow {
	var sum RoleUsage
	for i := range g.rows {
		if finished(&g.rows[i]) {
			sum = sum.Add(g.rows[i].RoleUsage)
		}
	}
	coder := UsageRow{Run: g.run, Group: g.value, Role: "coder", PromptTokens: sum.CoderPromptTokens,
		CachedPromptTokens: sum.CoderCachedPromptTokens, CompletionTokens: sum.CoderCompletionTokens,
		ReasoningTokens: sum.CoderReasoningTokens, CostUSD: round(sum.CoderCostUSD, 6)}
	reviewer := UsageRow{Run: g.run, Group: g.value, Role: "reviewer", PromptTokens: sum.ReviewerPromptTokens,
		CachedPromptTokens: sum.ReviewerCachedPromptTokens, CompletionTokens: sum.ReviewerCompletionTokens,
		ReasoningTokens: sum.ReviewerReasoningTokens, CostUSD: round(sum.ReviewerCostUSD, 6)}
	if coder.PromptTokens+coder.CompletionTokens+reviewer.PromptTokens+reviewer.CompletionTokens == 0 {
		return nil
	}
	return []UsageRow{coder, reviewer}
}

func (r *Report) usageTable(machine bool) table {
	t := table{
		title:  "LLM usage by role (sums over finished items)",
		header: []string{"Run", "Group", "Role", "Prompt tokens", "Cached", "Cache hit %", "Completion tokens", "Reasoning tokens", "Cost $"},
		right:  []bool{false, false, false, true, true, true, true, true, true},
	}
	if machine {
		t.header = []string{"run", "group", "role", "prompt_tokens", "cached_prompt_tokens", "cache_hit_pct", "completion_tokens", "reasoning_tokens", "cost_usd"}
	}
	for _, u := range r.Usage {
		t.rows = append(t.rows, []string{u.Run, u.Group, u.Role, fmt.Sprint(u.PromptTokens), fmt.Sprint(u.CachedPromptTokens),
			num(u.CacheHitPct(), 1), fmt.Sprint(u.CompletionTokens), fmt.Sprint(u.ReasoningTokens), num(u.CostUSD, 6)})
	}
	return t
}
