package baseline

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mlbench/mlbench/search"
)

// move is one concrete change to a pipeline.
type move struct {
	name string
	why  string
	// ok reports whether the move changes this (non-ensemble) spec.
	ok    func(s Spec, p Profile) bool
	apply func(s *Spec, p Profile)
}

func fam(fs ...string) func(Spec) bool {
	return func(s Spec) bool { return slices.Contains(fs, s.Family) }
}

var (
	isTrees     = fam(FamilyRF, FamilyET)
	isBoosting  = fam(FamilyHGB, FamilyXGB)
	isScaled    = fam(FamilyLinear, FamilyKNN)
	isIterative = fam(FamilyRF, FamilyET, FamilyHGB, FamilyXGB)
)

// num reads a numeric param (ints and floats alike).
func num(s Spec, k string, d float64) float64 {
	switch v := s.Params[k].(type) {
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return d
}

func setParam(s *Spec, k string, v any) {
	if s.Params == nil {
		s.Params = map[string]any{}
	}
	s.Params[k] = v
}

// iterKey is the name of the number-of-trees parameter.
func iterKey(s Spec) string {
	if s.Family == FamilyHGB {
		return "max_iter"
	}
	return "n_estimators"
}

const maxTrees = 1000

// moves are the improvements, keyed by name; improveOrder ranks them per
// family.
var moves = map[string]move{
	"more_trees": {"more_trees", "double the number of trees/boosting rounds",
		func(s Spec, _ Profile) bool { return isIterative(s) && num(s, iterKey(s), 100) < maxTrees },
		func(s *Spec, _ Profile) {
			setParam(s, iterKey(*s), int(min(maxTrees, 2*num(*s, iterKey(*s), 100))))
		}},
	"lower_learning_rate": {"lower_learning_rate", "halve the learning rate and double the boosting rounds",
		func(s Spec, _ Profile) bool { return isBoosting(s) && num(s, "learning_rate", 0.1) > 0.011 },
		func(s *Spec, _ Profile) {
			setParam(s, "learning_rate", round3(max(0.01, num(*s, "learning_rate", 0.1)/2)))
			setParam(s, iterKey(*s), int(min(maxTrees, 2*num(*s, iterKey(*s), 100))))
		}},
	"higher_learning_rate": {"higher_learning_rate", "raise the learning rate by half",
		func(s Spec, _ Profile) bool { return isBoosting(s) && num(s, "learning_rate", 0.1) < 0.3 },
		func(s *Spec, _ Profile) {
			setParam(s, "learning_rate", round3(min(0.3, num(*s, "learning_rate", 0.1)*1.5)))
		}},
	"deeper_trees": {"deeper_trees", "let the trees grow deeper (more leaves, smaller leaves)",
		func(s Spec, _ Profile) bool {
			switch s.Family {
			case FamilyRF, FamilyET:
				return num(s, "min_samples_leaf", 1) > 1 || s.Params["max_depth"] != nil
			case FamilyHGB:
				return num(s, "max_leaf_nodes", 31) < 255
			case FamilyXGB:
				return num(s, "max_depth", 6) < 12
			}
			return false
		},
		func(s *Spec, _ Profile) {
			switch s.Family {
			case FamilyRF, FamilyET:
				setParam(s, "min_samples_leaf", 1)
				delete(s.Params, "max_depth")
			case FamilyHGB:
				setParam(s, "max_leaf_nodes", int(min(255, 2*num(*s, "max_leaf_nodes", 31)+1)))
				setParam(s, "min_samples_leaf", int(max(5, num(*s, "min_samples_leaf", 20)/2)))
			case FamilyXGB:
				setParam(s, "max_depth", int(min(12, num(*s, "max_depth", 6)+2)))
			}
		}},
	"shallower_trees": {"shallower_trees", "constrain the trees (fewer leaves, larger leaves) against overfitting",
		func(s Spec, _ Profile) bool {
			switch s.Family {
			case FamilyRF, FamilyET:
				return num(s, "min_samples_leaf", 1) < 32
			case FamilyHGB:
				return num(s, "max_leaf_nodes", 31) > 7
			case FamilyXGB:
				return num(s, "max_depth", 6) > 2
			}
			return false
		},
		func(s *Spec, _ Profile) {
			switch s.Family {
			case FamilyRF, FamilyET:
				setParam(s, "min_samples_leaf", int(min(32, 2*num(*s, "min_samples_leaf", 1))))
			case FamilyHGB:
				setParam(s, "max_leaf_nodes", int(max(7, math.Floor(num(*s, "max_leaf_nodes", 31)/2))))
				setParam(s, "min_samples_leaf", int(min(200, 2*num(*s, "min_samples_leaf", 20))))
			case FamilyXGB:
				setParam(s, "max_depth", int(max(2, num(*s, "max_depth", 6)-2)))
			}
		}},
	"more_features_per_split": {"more_features_per_split", "consider more columns at each split",
		func(s Spec, p Profile) bool { _, ok := nextMaxFeatures(s, p, +1); return isTrees(s) && ok },
		func(s *Spec, p Profile) { v, _ := nextMaxFeatures(*s, p, +1); setParam(s, "max_features", v) }},
	"fewer_features_per_split": {"fewer_features_per_split", "consider fewer columns at each split (more diverse trees)",
		func(s Spec, p Profile) bool {
			_, ok := nextMaxFeatures(s, p, -1)
			return (isTrees(s) && ok) || (s.Family == FamilyXGB && num(s, "colsample_bytree", 1) > 0.55)
		},
		func(s *Spec, p Profile) {
			if s.Family == FamilyXGB {
				setParam(s, "colsample_bytree", round3(max(0.5, num(*s, "colsample_bytree", 1)-0.3)))
				return
			}
			v, _ := nextMaxFeatures(*s, p, -1)
			setParam(s, "max_features", v)
		}},
	"l2_regularization": {"l2_regularization", "add (more) L2 regularisation to the leaf values",
		func(s Spec, _ Profile) bool {
			return (s.Family == FamilyHGB && num(s, "l2_regularization", 0) < 25) || (s.Family == FamilyXGB && num(s, "reg_lambda", 1) < 25)
		},
		func(s *Spec, _ Profile) {
			k, d := "l2_regularization", 0.0
			if s.Family == FamilyXGB {
				k, d = "reg_lambda", 1.0
			}
			v := num(*s, k, d)
			if v < 1 {
				v = 1
			} else {
				v *= 5
			}
			setParam(s, k, min(25.0, v))
		}},
	"row_subsample": {"row_subsample", "fit each boosting round on 70% of the rows",
		func(s Spec, _ Profile) bool { return s.Family == FamilyXGB && num(s, "subsample", 1) > 0.75 },
		func(s *Spec, _ Profile) { setParam(s, "subsample", 0.7) }},
	"stronger_regularization": {"stronger_regularization", "regularise the linear model four times more",
		func(s Spec, p Profile) bool { return s.Family == FamilyLinear && linReg(s, p) < 1000 },
		func(s *Spec, p Profile) { setLinReg(s, p, linReg(*s, p)*4) }},
	"weaker_regularization": {"weaker_regularization", "regularise the linear model four times less",
		func(s Spec, p Profile) bool { return s.Family == FamilyLinear && linReg(s, p) > 0.001 },
		func(s *Spec, p Profile) { setLinReg(s, p, linReg(*s, p)/4) }},
	"more_neighbors": {"more_neighbors", "double the number of neighbours (smoother)",
		func(s Spec, _ Profile) bool { return s.Family == FamilyKNN && num(s, "n_neighbors", 5) < 101 },
		func(s *Spec, _ Profile) { setParam(s, "n_neighbors", int(min(101, 2*num(*s, "n_neighbors", 5)))) }},
	"fewer_neighbors": {"fewer_neighbors", "halve the number of neighbours (more local)",
		func(s Spec, _ Profile) bool { return s.Family == FamilyKNN && num(s, "n_neighbors", 5) > 3 },
		func(s *Spec, _ Profile) { setParam(s, "n_neighbors", int(max(3, num(*s, "n_neighbors", 5)/2))) }},
	"distance_weights": {"distance_weights", "weight neighbours by inverse distance",
		func(s Spec, _ Profile) bool { return s.Family == FamilyKNN && s.Params["weights"] != "distance" },
		func(s *Spec, _ Profile) { setParam(s, "weights", "distance") }},
	"balanced_class_weight": {"balanced_class_weight", "weight classes inversely to their frequency",
		func(s Spec, p Profile) bool {
			return p.Classification() && fam(FamilyLinear, FamilyRF, FamilyET)(s) && s.Params["class_weight"] == nil
		},
		func(s *Spec, _ Profile) { setParam(s, "class_weight", "balanced") }},
	"swap_encoding": {"swap_encoding", "switch the categorical encoding (one-hot <-> ordinal)",
		func(s Spec, p Profile) bool { return len(p.Categorical) > 0 },
		func(s *Spec, _ Profile) {
			if s.Prep.Encoding == "onehot" {
				s.Prep.Encoding, s.Prep.MaxLevels = "ordinal", 1000
			} else {
				s.Prep.Encoding, s.Prep.MaxLevels = "onehot", 30
			}
		}},
	"frequency_encoding": {"frequency_encoding", "add each categorical level's training frequency as a feature",
		func(s Spec, p Profile) bool { return len(p.Categorical) > 0 && !s.Prep.FreqEncoding },
		func(s *Spec, _ Profile) { s.Prep.FreqEncoding = true }},
	"coarser_rare_levels": {"coarser_rare_levels", "pool more rare categorical levels (three times the count threshold)",
		func(s Spec, p Profile) bool { return len(p.Categorical) > 0 && s.Prep.RareMin < 100 },
		func(s *Spec, _ Profile) { s.Prep.RareMin = min(100, max(1, s.Prep.RareMin)*3) }},
	"mean_imputation": {"mean_imputation", "impute missing numbers with the mean instead of the median",
		func(s Spec, p Profile) bool { return p.HasMissing && s.Prep.Impute != "mean" },
		func(s *Spec, _ Profile) { s.Prep.Impute = "mean" }},
	"missing_indicators": {"missing_indicators", "add a missing-value flag per numeric column with gaps",
		func(s Spec, p Profile) bool { return p.HasMissing && !s.Prep.Indicators },
		func(s *Spec, _ Profile) { s.Prep.Indicators = true }},
	"robust_scaling": {"robust_scaling", "scale by median and interquartile range (robust to outliers)",
		func(s Spec, _ Profile) bool { return isScaled(s) && s.Prep.Scale != "robust" },
		func(s *Spec, _ Profile) { s.Prep.Scale = "robust" }},
	"quantile_scaling": {"quantile_scaling", "map every feature to a normal distribution by quantiles",
		func(s Spec, _ Profile) bool { return isScaled(s) && s.Prep.Scale != "quantile" },
		func(s *Spec, _ Profile) { s.Prep.Scale = "quantile" }},
	"log1p_target": {"log1p_target", "fit on log1p(target) and invert with expm1 (skewed non-negative target)",
		func(s Spec, p Profile) bool {
			return !p.Classification() && p.NonNegativeTarget && !s.Prep.LogTarget
		},
		func(s *Spec, _ Profile) { s.Prep.LogTarget = true }},
	"interactions": {"interactions", "add pairwise products of the numeric columns most correlated with the target",
		func(s Spec, p Profile) bool { return len(p.Numeric) >= 2 && s.Prep.Interactions < 6 },
		func(s *Spec, _ Profile) {
			if s.Prep.Interactions == 0 {
				s.Prep.Interactions = 4
			} else {
				s.Prep.Interactions = 6
			}
		}},
}

// improveOrder ranks the moves per family (most promising first).
var improveOrder = map[string][]string{
	FamilyHGB:    {"lower_learning_rate", "more_trees", "deeper_trees", "l2_regularization", "shallower_trees", "frequency_encoding", "interactions", "higher_learning_rate", "missing_indicators", "coarser_rare_levels"},
	FamilyXGB:    {"lower_learning_rate", "more_trees", "deeper_trees", "row_subsample", "l2_regularization", "fewer_features_per_split", "shallower_trees", "frequency_encoding", "interactions", "higher_learning_rate"},
	FamilyRF:     {"more_trees", "more_features_per_split", "deeper_trees", "shallower_trees", "frequency_encoding", "balanced_class_weight", "interactions", "fewer_features_per_split", "coarser_rare_levels", "swap_encoding"},
	FamilyET:     {"more_trees", "more_features_per_split", "deeper_trees", "shallower_trees", "frequency_encoding", "balanced_class_weight", "interactions", "fewer_features_per_split", "coarser_rare_levels", "swap_encoding"},
	FamilyLinear: {"weaker_regularization", "stronger_regularization", "interactions", "quantile_scaling", "missing_indicators", "balanced_class_weight", "coarser_rare_levels", "robust_scaling", "frequency_encoding", "mean_imputation"},
	FamilyKNN:    {"more_neighbors", "distance_weights", "quantile_scaling", "fewer_neighbors", "robust_scaling", "coarser_rare_levels", "mean_imputation"},
}

// draftVariants vary a family's draft once every family has one.
var draftVariants = []move{
	moves["interactions"], moves["frequency_encoding"], moves["swap_encoding"], moves["missing_indicators"],
	moves["quantile_scaling"], moves["shallower_trees"],
}

// maxFeaturesSteps are the max_features settings moves step through
// (nil: every column; it must stay nil, as 1.0 reaches Python as the int 1).
var maxFeaturesSteps = []any{"sqrt", 0.5, 0.8, nil}

// columnsPerSplit is how many columns scikit-learn considers per split for
// a max_features setting and n columns.
func columnsPerSplit(v any, n int) int {
	switch x := v.(type) {
	case nil:
		return n
	case string:
		return max(1, int(math.Sqrt(float64(n))))
	case int:
		return min(n, x)
	case float64:
		return max(1, int(x*float64(n)))
	}
	return n
}

// nextMaxFeatures returns the next max_features step in direction dir
// (+1 more columns, -1 fewer) that changes the number of columns per
// split, counting the task's feature columns.
func nextMaxFeatures(s Spec, p Profile, dir int) (any, bool) {
	n := len(p.Features)
	cur := s.Params["max_features"]
	curN := columnsPerSplit(cur, n)
	i := slices.IndexFunc(maxFeaturesSteps, func(v any) bool { return fmt.Sprint(v) == fmt.Sprint(cur) })
	if i < 0 {
		// An unknown setting: place it by its column count.
		i = 0
		for i < len(maxFeaturesSteps)-1 && columnsPerSplit(maxFeaturesSteps[i], n) < curN {
			i++
		}
	}
	for j := i + dir; j >= 0 && j < len(maxFeaturesSteps); j += dir {
		if k := columnsPerSplit(maxFeaturesSteps[j], n); (dir > 0 && k > curN) || (dir < 0 && k < curN) {
			return maxFeaturesSteps[j], true
		}
	}
	return nil, false
}

// linReg is the linear model's regularisation strength (1/C or alpha).
func linReg(s Spec, p Profile) float64 {
	if p.Classification() {
		return 1 / num(s, "C", 1)
	}
	return num(s, "alpha", 1)
}

func setLinReg(s *Spec, p Profile, v float64) {
	if p.Classification() {
		setParam(s, "C", round3sig(1/v))
		return
	}
	setParam(s, "alpha", round3sig(v))
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

func round3sig(x float64) float64 {
	if x == 0 {
		return 0
	}
	e := math.Pow(10, math.Floor(math.Log10(math.Abs(x)))-2)
	return math.Round(x/e) * e
}

// candidate is a proposed improvement.
type candidate struct {
	name string
	why  string
	spec Spec
}

// Improve applies one concrete move to the parent's pipeline: a
// hyperparameter change, an encoding, imputation, scaling or target
// transform, feature interactions, or an ensemble of the best two known
// pipelines. It never repeats a move already tried among the siblings, and
// picks among the best few remaining moves from the seed and the node id.
func (c *Coder) Improve(ctx context.Context, req search.Request) (search.Proposal, error) {
	if p, done, err := c.settled(ctx, req, true); done {
		return p, err
	}
	cls := c.profile.Classification()
	parent, err := ParseSpec(req.Parent.Code)
	note := ""
	if err != nil {
		// Not a baseline pipeline (an LLM's code, say): start from the best
		// known pipeline instead, or a fresh boosting one.
		if r := c.ranked(req); len(r) > 0 {
			parent = r[0].spec
			note = fmt.Sprintf("The parent carries no baseline spec (%v); starting from the pipeline of node %s. ", err, r[0].node.ID)
		} else {
			parent = defaultSpec(FamilyHGB, c.profile, c.seed)
			note = fmt.Sprintf("The parent carries no baseline spec (%v); starting from a default gradient boosting pipeline. ", err)
		}
	}
	tried := map[string]bool{}
	seen := map[string]bool{parent.Key(): true}
	for _, sib := range req.Siblings {
		if s, err := ParseSpec(sib.Code); err == nil {
			if s.Move != "" {
				tried[s.Move] = true
			}
			seen[s.Key()] = true
		}
	}
	c.mu.Lock()
	similar, worked := c.priorNow()
	c.mu.Unlock()
	var cands []candidate
	for _, cand := range preferFirst(c.candidates(parent, req), preferredMoves(similar, worked)) {
		if tried[cand.name] || seen[cand.spec.Key()] {
			continue
		}
		seen[cand.spec.Key()] = true
		cands = append(cands, cand)
	}
	if len(cands) == 0 {
		// Every single move was tried: combine two.
		singles := c.candidates(parent, req)
		for i, a := range singles {
			for _, b := range singles[i+1:] {
				if a.name == "ensemble_best_two" || b.name == "ensemble_best_two" || strings.HasPrefix(b.name, "switch_to_") {
					continue
				}
				s := a.spec.Clone()
				if !c.applyMove(&s, b.name) {
					continue
				}
				name := a.name + "+" + b.name
				if tried[name] || seen[s.Key()] {
					continue
				}
				seen[s.Key()] = true
				s.Move = name
				s.History = append(slices.Clone(parent.History), name)
				cands = append(cands, candidate{name, a.why + ", and " + b.why, s})
			}
		}
	}
	if len(cands) == 0 {
		return search.Proposal{}, fmt.Errorf("improve %s: every move on this pipeline has been tried", req.Parent.ID)
	}
	pick := cands[c.choose(len(cands), req)]
	triedList := slices.Sorted(func(yield func(string) bool) {
		for k := range tried {
			if !yield(k) {
				return
			}
		}
	})
	plan := fmt.Sprintf("%sImprove node %s (%s) with one move, %q: %s.", note, req.Parent.ID, metricText(req.Parent), pick.name, pick.why)
	if len(triedList) > 0 {
		plan += " Moves already tried by siblings: " + strings.Join(triedList, ", ") + "."
	}
	plan += fmt.Sprintf(" Pipeline: %s. %s", describe(pick.spec, cls), c.validationText())
	return search.Proposal{Plan: plan, Code: c.Render(pick.spec, req)}, nil
}

func metricText(n *search.NodeSnapshot) string {
	if n.Metric == nil {
		return "no metric"
	}
	return fmt.Sprintf("validation %.6g", *n.Metric)
}

// applyMove applies a named single move to s (every member of an
// ensemble that it fits); it reports whether anything changed.
func (c *Coder) applyMove(s *Spec, name string) bool {
	m, ok := moves[name]
	if !ok {
		return false
	}
	before := s.Key()
	if s.Family == FamilyEnsemble {
		for i := range s.Members {
			if m.ok(s.Members[i], c.profile) {
				m.apply(&s.Members[i], c.profile)
			}
		}
	} else if m.ok(*s, c.profile) {
		m.apply(s, c.profile)
	}
	return s.Key() != before
}

// candidates lists the moves that change the parent, most promising first.
func (c *Coder) candidates(parent Spec, req search.Request) []candidate {
	var out []candidate
	add := func(name, why string, s Spec) {
		s.Move = name
		s.History = append(slices.Clone(parent.History), name)
		out = append(out, candidate{name, why, s})
	}
	single := func(name string) {
		s := parent.Clone()
		if c.applyMove(&s, name) {
			add(name, moves[name].why, s)
		}
	}
	ens, ensWhy, ensOK := c.ensemble(parent, req)

	// A skewed target's log transform first; an ensemble early when the
	// parent is the best node (then it is the ensemble of the best two).
	if c.profile.SkewedTarget {
		single("log1p_target")
	}
	parentIsBest := req.Best != nil && req.Parent != nil && req.Best.ID == req.Parent.ID
	if ensOK && parentIsBest {
		add("ensemble_best_two", ensWhy, ens)
	}
	if parent.Family == FamilyEnsemble {
		for _, w := range []struct {
			name, why string
			first     float64
		}{{"reweight_first", "give the first member (the original pipeline) twice the weight of the others", 2},
			{"reweight_equal", "weigh every member equally", 1}} {
			s := parent.Clone()
			s.Weights = make([]float64, len(s.Members))
			for i := range s.Weights {
				s.Weights[i] = 1
			}
			s.Weights[0] = w.first
			total := 0.0
			for _, x := range s.Weights {
				total += x
			}
			for i := range s.Weights {
				s.Weights[i] = round3(s.Weights[i] / total)
			}
			if s.Key() != parent.Key() {
				add(w.name, w.why, s)
			}
		}
	}
	order := improveOrder[parent.Family]
	if parent.Family == FamilyEnsemble {
		order = nil
		for _, m := range parent.Members {
			for _, name := range improveOrder[m.Family] {
				if !slices.Contains(order, name) {
					order = append(order, name)
				}
			}
		}
	}
	for _, name := range interleave(modalityMoves[c.profile.Modality], order) {
		single(name)
	}
	if ensOK && !parentIsBest {
		add("ensemble_best_two", ensWhy, ens)
	}
	for _, name := range []string{"log1p_target", "interactions", "swap_encoding", "frequency_encoding", "missing_indicators", "mean_imputation"} {
		if !slices.ContainsFunc(out, func(c candidate) bool { return c.name == name }) {
			single(name)
		}
	}
	// Last resort: another family, keeping the task-level preparation.
	if parent.Family != FamilyEnsemble {
		for _, f := range c.families {
			if f == parent.Family {
				continue
			}
			s := defaultSpec(f, c.profile, c.seed)
			s.Prep.Drop = slices.Clone(parent.Prep.Drop)
			s.Prep.LogTarget = s.Prep.LogTarget || parent.Prep.LogTarget
			s.Prep.Strict = parent.Prep.Strict
			add("switch_to_"+f, "switch the model to "+familyName(f, c.profile.Classification())+" keeping the target transform and dropped columns", s)
		}
	}
	return out
}

// ensemble builds the average of the parent and the best other known
// pipeline (or, for an ensemble parent, adds that pipeline as a member).
func (c *Coder) ensemble(parent Spec, req search.Request) (Spec, string, bool) {
	members := []Spec{parent}
	var sources []string
	if req.Parent != nil {
		sources = []string{req.Parent.ID}
	}
	if parent.Family == FamilyEnsemble {
		if len(parent.Members) >= 4 {
			return Spec{}, "", false
		}
		members = parent.Members
		sources = parent.Sources
	}
	have := map[string]bool{}
	for _, m := range members {
		have[m.Key()] = true
	}
	for _, k := range c.ranked(req) {
		if req.Parent != nil && k.node.ID == req.Parent.ID {
			continue
		}
		var add []Spec
		if k.spec.Family == FamilyEnsemble {
			add = k.spec.Members
		} else {
			add = []Spec{k.spec}
		}
		var fresh []Spec
		for _, a := range add {
			if !have[a.Key()] {
				fresh = append(fresh, a)
			}
		}
		if len(fresh) == 0 || len(members)+len(fresh) > 4 {
			continue
		}
		s := Spec{Version: SpecVersion, Family: FamilyEnsemble, Seed: c.seed}
		for _, m := range append(slices.Clone(members), fresh...) {
			m = m.Clone()
			m.Move, m.History, m.Sources = "", nil, nil
			s.Members = append(s.Members, m)
		}
		for range s.Members {
			s.Weights = append(s.Weights, round3(1/float64(len(s.Members))))
		}
		s.Sources = append(slices.Clone(sources), k.node.ID)
		why := fmt.Sprintf("average the predictions of this pipeline and node %s's (%s, %s), the best other known pipeline",
			k.node.ID, familyName(k.spec.Family, c.profile.Classification()), metricText(&k.node))
		return s, why, true
	}
	return Spec{}, "", false
}
