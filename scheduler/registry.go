package scheduler

import (
	"fmt"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/results"
)

// Backend is what a scheduling backend registers.
type Backend struct {
	// Kind is its scheduler.kind value, e.g. "slurm".
	Kind string
	// New builds it for a run's effective config. It must be cheap: no
	// processes, no cluster calls (Check does those).
	New func(cfg *configs.Config, opts Options) (Scheduler, error)
	// Element says which array element of this backend the current
	// process runs as (ErrNotElement outside one); nil for backends
	// without elements (local).
	Element func() (Element, error)
}

// backends are the scheduling backends by kind.
var backends = configs.NewRegistry[Backend]("scheduler.kind", "scheduler")

// Register makes a backend available under its kind (and valid for
// scheduler.kind). A kind registered twice panics (a programming error).
func Register(b Backend) { backends.Register(b.Kind, b) }

// Kinds lists the registered backends, sorted.
func Kinds() []string { return backends.Kinds() }

// New builds the backend that cfg.Scheduler.Kind names.
func New(cfg *configs.Config, opts Options) (Scheduler, error) {
	return NewKind(cfg.Scheduler.Kind, cfg, opts)
}

// NewKind builds the backend kind for cfg (a command's --scheduler flag
// overriding the run's scheduler.kind).
func NewKind(kind string, cfg *configs.Config, opts Options) (Scheduler, error) {
	b, err := backends.Lookup(kind)
	if err != nil {
		return nil, err
	}
	return b.New(cfg, opts)
}

// ForRun builds the backend that watches and cancels the run in runDir: the
// one that submitted its latest array (runs submitted before jobs.json
// recorded a kind are Slurm's), else the run's scheduler.kind (local when
// cfg is nil: a caller that only observes need not load the run's config).
func ForRun(runDir string, cfg *configs.Config) (Scheduler, error) {
	jobs, err := results.ReadJobs(runDir)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = &configs.Config{Scheduler: configs.Scheduler{Kind: "local", Jobs: 1}}
	}
	kind := cfg.Scheduler.Kind
	if n := len(jobs.Submissions); n > 0 {
		kind = jobs.Submissions[n-1].Kind
		if kind == "" {
			kind = "slurm"
		}
	}
	return NewKind(kind, cfg, Options{})
}

// CurrentElement asks backend kind which array element this process runs
// as.
func CurrentElement(kind string) (Element, error) {
	b, err := backends.Lookup(kind)
	if err != nil {
		return Element{}, err
	}
	if b.Element == nil {
		return Element{}, fmt.Errorf("scheduler %s has no array elements: %w", kind, ErrNotElement)
	}
	return b.Element()
}
