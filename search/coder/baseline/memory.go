package baseline

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Prior is what the memory tiers tell the baseline coder. Recipes are the
// specs (the JSON of "# mlbench-spec:" lines) that the coder understands.
type Prior struct {
	// Similar are the best designs of the most similar earlier tasks,
	// most similar first (L3 wisdom).
	Similar []string
	// Worked are improvements that beat their parent in this task so far,
	// oldest first (L2 task knowledge).
	Worked []string
}

// SetPrior makes the coder consult the memory tiers: drafts try the model
// families of similar tasks' best designs first, with their
// hyperparameters, and improvements try first the moves that worked in
// this task, then those that built similar tasks' best designs. prior is
// called at each draft and improvement (so it sees what other items wrote
// meanwhile); nil turns this off.
func (c *Coder) SetPrior(prior func() Prior) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prior = prior
}

// priorNow reads the prior; c.mu must be held.
func (c *Coder) priorNow() (similar, worked []Spec) {
	if c.prior == nil {
		return nil, nil
	}
	p := c.prior()
	parse := func(recipes []string) []Spec {
		var out []Spec
		for _, r := range recipes {
			if s, err := ParseSpec(specPrefix + r); err == nil {
				out = append(out, s)
			}
		}
		return out
	}
	return parse(p.Similar), parse(p.Worked)
}

// leaves returns a spec's single-model parts (an ensemble's members).
func leaves(s Spec) []Spec {
	if s.Family == FamilyEnsemble {
		return s.Members
	}
	return []Spec{s}
}

// familyOrder puts the families of similar tasks' best designs first, most
// similar first, keeping the default order for the rest.
func (c *Coder) familyOrder(similar []Spec) []string {
	var out []string
	for _, s := range similar {
		for _, l := range leaves(s) {
			if slices.Contains(c.families, l.Family) && !slices.Contains(out, l.Family) {
				out = append(out, l.Family)
			}
		}
	}
	for _, f := range c.families {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// fromSimilar starts a draft of family from the hyperparameters and the
// generic preparation of a similar task's best design of that family, when
// one exists and its parameters fit this task's problem (the same keys as
// the family's default for this task). It reports what it took.
func (c *Coder) fromSimilar(s *Spec, similar []Spec) (string, bool) {
	for _, sim := range similar {
		for _, l := range leaves(sim) {
			if l.Family != s.Family || !slices.Equal(slices.Sorted(maps.Keys(l.Params)), slices.Sorted(maps.Keys(s.Params))) {
				continue
			}
			s.Params = maps.Clone(l.Params)
			// Column choices (drops, row caps) are the other task's; the
			// way of encoding, scaling and imputing carries over.
			s.Prep.Encoding, s.Prep.Scale, s.Prep.Impute = l.Prep.Encoding, l.Prep.Scale, l.Prep.Impute
			s.Prep.Indicators, s.Prep.FreqEncoding = l.Prep.Indicators, l.Prep.FreqEncoding
			if len(l.History) > 0 {
				return fmt.Sprintf("hyperparameters and preparation from a similar task's best design (reached by %s)", strings.Join(l.History, ", ")), true
			}
			return "hyperparameters and preparation from a similar task's best design", true
		}
	}
	return "", false
}

// preferredMoves lists the moves to try first: those that beat their
// parent in this task (latest first), then those that built similar
// tasks' best designs.
func preferredMoves(similar, worked []Spec) []string {
	var out []string
	add := func(m string) {
		for _, part := range strings.Split(m, "+") {
			if _, ok := moves[part]; ok && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	for i := len(worked) - 1; i >= 0; i-- {
		add(worked[i].Move)
	}
	for _, s := range similar {
		for _, l := range leaves(s) {
			for _, m := range l.History {
				add(m)
			}
		}
	}
	return out
}

// preferFirst moves the candidates whose move is preferred to the front,
// in the order of preferred, keeping the order of the rest.
func preferFirst(cands []candidate, preferred []string) []candidate {
	if len(preferred) == 0 {
		return cands
	}
	rank := func(c candidate) int {
		if i := slices.Index(preferred, c.name); i >= 0 {
			return i
		}
		return len(preferred)
	}
	out := slices.Clone(cands)
	slices.SortStableFunc(out, func(a, b candidate) int { return rank(a) - rank(b) })
	return out
}
