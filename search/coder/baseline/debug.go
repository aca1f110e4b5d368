package baseline

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/mlbench/mlbench/search"
)

// fallbackOrder is the order of families a repair falls back to: robust
// to missing values and odd scales first.
var fallbackOrder = []string{FamilyHGB, FamilyLinear, FamilyRF, FamilyET, FamilyKNN}

// diagnosis is what a failed run's facts and output say.
type diagnosis struct {
	timeout, oom bool
	columns      []string // feature columns named in the error
	dtype        bool     // a value or type conversion failed
	params       bool     // the estimator rejected a parameter
	xgboost      bool     // xgboost is missing
	family       bool     // unknown model family
	numbers      bool     // NaN/inf/overflow reached the model
	errLine      string   // the last error line
	pil          bool     // PIL is missing, so images cannot be read
}

var (
	errLineRE = regexp.MustCompile(`^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b`)
	dtypeRE   = regexp.MustCompile(`could not convert|invalid literal|Cannot cast|cannot convert|unsupported operand|DateParseError|OutOfBoundsDatetime|ParserError|Unknown string format|not supported between instances|ufunc '.*' not supported|dtype`)
	paramsRE  = regexp.MustCompile(`InvalidParameterError|unexpected keyword argument|Invalid parameter|parameter of \w+ must be|must be (an int|a float|a str|one of|greater|in the range)`)
	numbersRE = regexp.MustCompile(`Input (X |y )?contains (NaN|infinity)|too large for dtype|Input contains NaN`)
	oomRE     = regexp.MustCompile(`MemoryError|Unable to allocate|std::bad_alloc|(?m)^Killed$`)
)

// errorText is the part of the output that tells of the failure: from the
// last traceback on, else the tail.
func errorText(out string) string {
	if i := strings.LastIndex(out, "Traceback (most recent call last)"); i >= 0 {
		return out[i:]
	}
	if len(out) > 2000 {
		return out[len(out)-2000:]
	}
	return out
}

// lastErrorLine is the exception line of the last traceback, else the last
// non-empty line.
func lastErrorLine(out string) string {
	lines := strings.Split(errorText(out), "\n")
	last := ""
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if last == "" {
			last = l
		}
		if errLineRE.MatchString(l) {
			return l
		}
	}
	return last
}

func (c *Coder) diagnose(n *search.NodeSnapshot) diagnosis {
	text := errorText(n.Output)
	d := diagnosis{timeout: n.TimedOut, oom: n.OOM || oomRE.MatchString(text), errLine: lastErrorLine(n.Output)}
	for _, f := range c.profile.Features {
		if strings.Contains(text, "'"+f+"'") || strings.Contains(text, `"`+f+`"`) {
			d.columns = append(d.columns, f)
		}
	}
	d.dtype = dtypeRE.MatchString(text)
	d.params = paramsRE.MatchString(text)
	d.xgboost = strings.Contains(text, "xgboost") && (strings.Contains(text, "ModuleNotFoundError") || strings.Contains(text, "ImportError"))
	d.family = strings.Contains(text, "unknown model family")
	d.numbers = numbersRE.MatchString(text)
	d.pil = strings.Contains(text, "PIL is not importable")
	return d
}

// Debug repairs a buggy parent by falling back: drop the columns its error
// names, treat every text column as categorical after a conversion error,
// restore default hyperparameters after a rejected one, cut trees and
// rows after a timeout or out-of-memory kill, else switch to a simpler
// model family than those the debug chain already tried.
func (c *Coder) Debug(ctx context.Context, req search.Request) (search.Proposal, error) {
	if p, done, err := c.settled(ctx, req, true); done {
		return p, err
	}
	cls := c.profile.Classification()
	par := req.Parent
	d := c.diagnose(par)
	symptom := d.errLine
	switch {
	case par.TimedOut:
		symptom = fmt.Sprintf("timed out after %.0fs", par.ExecSeconds)
	case par.OOM:
		symptom = "killed for lack of memory"
	case symptom == "" && par.Error != "":
		symptom = par.Error
	case symptom == "" && par.ExitCode == 0 && !par.FormatValid && par.FormatError != "":
		symptom = "invalid submission: " + par.FormatError
	case symptom == "":
		symptom = fmt.Sprintf("exit code %d with no error message", par.ExitCode)
	}

	// What the chain already tried, so a repair never repeats one.
	tried := map[string]bool{}
	var triedFamilies []string
	for _, n := range append(slices.Clone(req.DebugChain), *par) {
		if s, err := ParseSpec(n.Code); err == nil {
			tried[s.Key()] = true
			triedFamilies = append(triedFamilies, families(s)...)
		}
	}
	var fixes []string
	spec, err := ParseSpec(par.Code)
	if err != nil {
		f := firstNotIn(fallbackOrder, triedFamilies, c.families)
		spec = defaultSpec(f, c.profile, c.seed)
		fixes = append(fixes, fmt.Sprintf("the parent is not a baseline pipeline (%v): replace it with a %s pipeline", err, familyName(f, cls)))
		if len(d.columns) > 0 {
			spec.Prep.Drop = slices.Clone(d.columns)
			fixes = append(fixes, "drop the columns named in the error: "+strings.Join(d.columns, ", "))
		}
	} else {
		spec = spec.Clone()
		fixes = c.repair(&spec, d, par)
		if tried[spec.Key()] || len(fixes) == 0 || len(req.DebugChain) >= 2 {
			// The targeted repairs are spent (or keep failing): a simpler
			// model with strict typing.
			fixes = append(fixes, c.simplify(&spec, triedFamilies)...)
		}
	}
	if d.pil || len(req.DebugChain) >= 3 {
		// Nothing the repairs can do (images undecodable, or the chain keeps
		// failing): the training prior still gives a valid submission.
		spec = Spec{Version: SpecVersion, Family: FamilyPrior, Seed: c.seed, History: spec.History}
		why := "three repairs in a row failed"
		if d.pil {
			why = "PIL cannot be imported (install python3-pil)"
		}
		fixes = append(fixes, why+": fall back to the training prior (class frequencies or the mean), marked as a fallback")
	}
	spec.Move = "debug"
	spec.History = append(spec.History, "debug")
	plan := fmt.Sprintf("Debug node %s, which failed: %s. Fix: %s. Pipeline: %s. %s", par.ID, oneLine(symptom),
		strings.Join(fixes, "; "), describe(spec, cls), c.validationText())
	return search.Proposal{Plan: plan, Code: c.Render(spec, req)}, nil
}

// repair applies the targeted fixes of a diagnosis and describes them.
func (c *Coder) repair(s *Spec, d diagnosis, par *search.NodeSnapshot) []string {
	var fixes []string
	each := func(f func(m *Spec)) {
		if s.Family == FamilyEnsemble {
			for i := range s.Members {
				f(&s.Members[i])
			}
			return
		}
		f(s)
	}
	if d.timeout || d.oom {
		if s.Family == FamilyEnsemble {
			*s = s.Members[0]
			fixes = append(fixes, "keep only the ensemble's first member")
		}
		if s.Family == FamilyKNN {
			*s = c.keepPrep(defaultSpec(FamilyHGB, c.profile, c.seed), *s)
			fixes = append(fixes, "replace k-NN (slow to predict) with gradient boosting")
		}
		if isIterative(*s) {
			k := iterKey(*s)
			setParam(s, k, int(max(25, num(*s, k, 100)/2)))
			fixes = append(fixes, fmt.Sprintf("halve %s", k))
		}
		switch {
		case s.Prep.MaxRows == 0 || s.Prep.MaxRows > 50000:
			s.Prep.MaxRows = 50000
		default:
			s.Prep.MaxRows = max(2000, s.Prep.MaxRows/2)
		}
		fixes = append(fixes, fmt.Sprintf("train on at most %d rows", s.Prep.MaxRows))
		if s.Prep.Encoding == "onehot" && len(c.profile.Categorical) > 0 {
			s.Prep.Encoding, s.Prep.MaxLevels = "ordinal", 1000
			fixes = append(fixes, "ordinal instead of one-hot encoding")
		}
		if s.Prep.Interactions > 0 || s.Prep.Text != "drop" {
			s.Prep.Interactions, s.Prep.Text = 0, "drop"
			fixes = append(fixes, "no interactions or text features")
		}
	}
	if len(d.columns) > 0 {
		var fresh []string
		each(func(m *Spec) {
			for _, col := range d.columns {
				if !slices.Contains(m.Prep.Drop, col) {
					m.Prep.Drop = append(m.Prep.Drop, col)
					if !slices.Contains(fresh, col) {
						fresh = append(fresh, col)
					}
				}
			}
		})
		if len(fresh) > 0 {
			fixes = append(fixes, "drop the columns named in the error: "+strings.Join(fresh, ", "))
		}
	}
	if d.dtype || d.numbers {
		changed := false
		each(func(m *Spec) {
			if !m.Prep.Strict || m.Prep.Dates != "drop" || m.Prep.Text != "drop" {
				m.Prep.Strict, m.Prep.Dates, m.Prep.Text = true, "drop", "drop"
				changed = true
			}
		})
		if changed {
			fixes = append(fixes, "treat every non-numeric column as categorical and drop date/text parsing")
		}
	}
	if d.params || d.family || d.xgboost {
		each(func(m *Spec) {
			f := m.Family
			if d.xgboost && f == FamilyXGB || d.family && !slices.Contains(draftOrder, f) {
				f = FamilyHGB
			}
			def := defaultSpec(f, c.profile, c.seed)
			if f != m.Family || !sameParams(m.Params, def.Params) {
				*m = c.keepPrep(def, *m)
			}
		})
		fixes = append(fixes, "restore the family's default hyperparameters (replacing unknown or unavailable families with gradient boosting)")
	}
	if !par.TimedOut && !par.OOM && par.ExitCode == 0 && !par.SubmissionExists {
		fixes = append(fixes, "the run exited cleanly without a submission: rewrite it from the spec, which always writes one")
	}
	return fixes
}

// simplify falls back to the first family of fallbackOrder the chain has
// not tried, with strict typing and default hyperparameters.
func (c *Coder) simplify(s *Spec, triedFamilies []string) []string {
	base := *s
	if base.Family == FamilyEnsemble {
		base = base.Members[0]
	}
	f := firstNotIn(fallbackOrder, triedFamilies, c.families)
	n := c.keepPrep(defaultSpec(f, c.profile, c.seed), base)
	n.Prep.Strict, n.Prep.Dates, n.Prep.Text, n.Prep.Interactions = true, "drop", "drop", 0
	n.History = base.History
	*s = n
	return []string{fmt.Sprintf("fall back to a plain %s with default settings and strict typing", familyName(f, c.profile.Classification()))}
}

// keepPrep returns def with the task-level preparation of old (dropped
// columns, target transform, row cap, strict typing).
func (c *Coder) keepPrep(def, old Spec) Spec {
	def.Prep.Drop = slices.Clone(old.Prep.Drop)
	def.Prep.LogTarget = old.Prep.LogTarget
	def.Prep.Strict = old.Prep.Strict
	if old.Prep.MaxRows > 0 && (def.Prep.MaxRows == 0 || old.Prep.MaxRows < def.Prep.MaxRows) {
		def.Prep.MaxRows = old.Prep.MaxRows
	}
	def.History = old.History
	return def
}

// firstNotIn returns the first of order that is available and not tried,
// else the first available one not equal to the last tried.
func firstNotIn(order, tried, available []string) string {
	for _, f := range order {
		if slices.Contains(available, f) && !slices.Contains(tried, f) {
			return f
		}
	}
	for _, f := range order {
		if len(tried) == 0 || f != tried[len(tried)-1] {
			return f
		}
	}
	return order[0]
}

func sameParams(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if fmt.Sprint(b[k]) != fmt.Sprint(v) {
			return false
		}
	}
	return true
}
