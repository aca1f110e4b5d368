package baseline

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os/exec"
	"slices"
	"strings"
	"sync"

	"github.com/mlbench/mlbench/search"
)

// Coder is the offline baseline coder: it writes scikit-learn pipelines for
// tabular tasks from a structured Spec, without any LLM. It is safe for
// concurrent use.
type Coder struct {
	profile        Profile
	seed           int64
	inputDir       string
	submissionPath string
	families       []string

	// issued are the drafts this coder has handed out. Parallel workers
	// draft at once, and a request lists only finished drafts: without
	// this, every worker would draft the same first family.
	mu     sync.Mutex
	issued []Spec
	// prior supplies what the memory tiers know (see SetPrior).
	prior func() Prior
}

var _ search.Coder = (*Coder)(nil)

// New inspects the task's files (see Inspect) and returns a coder whose
// solutions use seed for their hold-out split and random states.
func New(task Task, seed int64) (*Coder, error) {
	p, err := Inspect(task)
	if err != nil {
		// No family fits (or the files defeat the inspector): a valid-format
		// fallback from the sample submission instead of no submission.
		p, err = fallbackProfile(task, err)
	}
	if err != nil {
		return nil, err
	}
	if _, pil := task.Packages["pillow"]; p.Modality == ModalityImage && p.Fallback == "" && task.Packages != nil && !pil {
		// Images need PIL: say what to install and still submit.
		if p, err = fallbackProfile(task, errors.New("PIL is not installed for the sandbox's Python (apt-get install python3-pil, or pip install pillow)")); err != nil {
			return nil, err
		}
	}
	c := &Coder{profile: p, seed: seed, inputDir: def(task.InputDir, task.PublicDir),
		submissionPath: def(task.SubmissionPath, "submission/submission.csv")}
	for _, f := range modalityFamilies(p) {
		if familyAvailable(task, f) {
			c.families = append(c.families, f)
		}
	}
	if len(c.families) == 0 && p.Fallback == "" {
		return nil, fmt.Errorf("baseline: the sandbox's Python has none of the packages the model families need (%v)", familyPackage)
	}
	return c, nil
}

// familyPackage is the distribution each model family imports.
var familyPackage = map[string]string{
	FamilyLinear: "scikit-learn", FamilyRF: "scikit-learn", FamilyHGB: "scikit-learn",
	FamilyKNN: "scikit-learn", FamilyET: "scikit-learn", FamilyXGB: "xgboost", FamilyNB: "scikit-learn",
}

// familyAvailable says whether drafts may use family f: its package is
// installed (Task.Packages), or, without a probe, it is not xgboost or
// Task.XGBoost says xgboost imports.
func familyAvailable(task Task, f string) bool {
	if task.Packages != nil {
		_, ok := task.Packages[familyPackage[f]]
		return ok
	}
	return f != FamilyXGB || task.XGBoost
}

// Modality is the task's modality as the inspector read it.
func (c *Coder) Modality() Modality { return c.profile.Modality }

// Fallback is why no family fits the task; "" when the coder models it.
func (c *Coder) Fallback() string { return c.profile.Fallback }

// Profile returns what the coder inferred about the task.
func (c *Coder) Profile() Profile { return c.profile }

// Reviewer returns a reviewer that knows the task's metric direction.
func (c *Coder) Reviewer() *Reviewer {
	lower := c.profile.LowerIsBetter
	return &Reviewer{LowerIsBetter: &lower, Metric: c.profile.Metric}
}

// ProbeXGBoost reports whether python can import xgboost (for
// Task.XGBoost).
func ProbeXGBoost(ctx context.Context, python string) bool {
	return exec.CommandContext(ctx, python, "-c", "import xgboost").Run() == nil
}

// Draft writes a pipeline of a model family that no earlier draft used;
// once every family has a draft, it varies a family's preparation.
func (c *Coder) Draft(ctx context.Context, req search.Request) (search.Proposal, error) {
	if p, done, err := c.settled(ctx, req, false); done {
		return p, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var prev []Spec
	used := map[string]bool{}
	for _, d := range req.Drafts {
		if s, err := ParseSpec(d.Code); err == nil {
			prev = append(prev, s)
			used[s.Key()] = true
		}
	}
	for _, s := range c.issued {
		if !used[s.Key()] {
			prev = append(prev, s)
			used[s.Key()] = true
		}
	}
	have := families(prev...)
	similar, _ := c.priorNow()
	var s Spec
	var why string
	for _, f := range c.familyOrder(similar) {
		if !slices.Contains(have, f) {
			s = defaultSpec(f, c.profile, c.seed)
			why = "a model family no earlier draft used"
			if len(have) > 0 {
				why += " (earlier: " + strings.Join(have, ", ") + ")"
			}
			if took, ok := c.fromSimilar(&s, similar); ok {
				why += ", first as the best design of a similar task used it, with its " + took
				s.Move = "from_wisdom"
			}
			break
		}
	}
	if s.Family == "" {
		// Every family drafted: vary the preparation of one, cycling over
		// families and draft variations until the pipeline is new.
		n := len(prev)
		for i := 0; i < len(c.families)*len(draftVariants)+1; i++ {
			f := c.families[(n+i)%len(c.families)]
			v := draftVariants[((n+i)/len(c.families))%len(draftVariants)]
			s = defaultSpec(f, c.profile, c.seed)
			if !v.ok(s, c.profile) {
				continue
			}
			v.apply(&s, c.profile)
			s.Move = v.name
			s.History = []string{v.name}
			if !used[s.Key()] {
				why = fmt.Sprintf("every family has a draft, so %s with a different preparation: %s", familyName(f, c.profile.Classification()), v.why)
				break
			}
		}
	}
	if why == "" {
		why = "every family and preparation variant has a draft already, so this repeats one"
	}
	c.issued = append(c.issued, s)
	plan := fmt.Sprintf("Draft: %s, %s. Pipeline: %s. %s", familyName(s.Family, c.profile.Classification()), why,
		describe(s, c.profile.Classification()), c.validationText())
	return search.Proposal{Plan: plan, Code: c.Render(s, req)}, nil
}

// validationText says how the code validates, for plans.
func (c *Coder) validationText() string {
	p := c.profile
	t := fmt.Sprintf("Task: %s (%s output, targets %s", p.Problem, p.Output, strings.Join(p.Targets, ", "))
	if p.LabelColumn != "" {
		t += " from label column " + p.LabelColumn
	}
	if p.IDColumn != "" {
		t += ", id " + p.IDColumn
	}
	t += fmt.Sprintf("). Validation: %s (%s is better) on a 20%% hold-out", p.Metric, direction(p.LowerIsBetter))
	if p.Problem == ProblemBinary || p.Problem == ProblemMulticlass {
		t += " stratified by class"
	}
	t += "; then refit on all training rows and write the submission with the sample submission's columns and id order."
	if len(p.Notes) > 0 {
		t += " Notes: " + strings.Join(p.Notes, "; ") + "."
	}
	return t
}

// known is a node with a usable metric and a parsed spec.
type known struct {
	node search.NodeSnapshot
	spec Spec
}

// ranked returns the working nodes of the request with a metric and a spec,
// best first, without duplicate pipelines.
func (c *Coder) ranked(req search.Request) []known {
	var all []search.NodeSnapshot
	if req.Best != nil {
		all = append(all, *req.Best)
	}
	if req.Parent != nil {
		all = append(all, *req.Parent)
	}
	all = append(all, req.Drafts...)
	all = append(all, req.Siblings...)
	var out []known
	seen := map[string]bool{}
	for _, n := range all {
		if n.IsBuggy || n.Metric == nil || math.IsNaN(*n.Metric) || math.IsInf(*n.Metric, 0) || seen[n.ID] {
			continue
		}
		s, err := ParseSpec(n.Code)
		if err != nil {
			continue
		}
		seen[n.ID] = true
		out = append(out, known{n, s})
	}
	lower := c.profile.LowerIsBetter
	slices.SortStableFunc(out, func(a, b known) int {
		x, y := *a.node.Metric, *b.node.Metric
		if lower {
			x, y = -x, -y
		}
		switch {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return strings.Compare(a.node.ID, b.node.ID)
	})
	keys := map[string]bool{}
	dedup := out[:0]
	for _, k := range out {
		if key := k.spec.Key(); !keys[key] {
			keys[key] = true
			dedup = append(dedup, k)
		}
	}
	return dedup
}

// choose picks deterministically among the first few candidates, from the
// seed and the node id, so parallel workers given the same parent spread
// over different moves.
func (c *Coder) choose(n int, req search.Request) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", c.seed, req.NodeID)
	return int(h.Sum64() % uint64(min(n, 3)))
}

// errNoParent is returned when Improve or Debug get no parent.
var errNoParent = errors.New("baseline: request has no parent node")

// settled answers the checks every move makes before writing code: a
// cancelled context, a missing parent (when the move needs one), and a
// task no family fits (every proposal is then the fallback). done reports
// whether the answer is decided; the move proceeds only when it is not.
func (c *Coder) settled(ctx context.Context, req search.Request, needParent bool) (p search.Proposal, done bool, err error) {
	if err := ctx.Err(); err != nil {
		return search.Proposal{}, true, err
	}
	if needParent && req.Parent == nil {
		return search.Proposal{}, true, errNoParent
	}
	if c.profile.Fallback != "" {
		return c.fallbackProposal(req), true, nil
	}
	return search.Proposal{}, false, nil
}
