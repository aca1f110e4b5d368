package harness

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/harness/task"
	"github.com/mlbench/mlbench/results"
)

// ConfigFile is the effective config saved in every run directory.
const ConfigFile = "config.yaml"

// Axis is one swept config key and its values, e.g. search.uct_c=0.5,1.414.
type Axis struct {
	Key    string
	Values []string
}

// ParseAxis parses "key=v1,v2,...".
func ParseAxis(s string) (Axis, error) {
	key, vals, ok := strings.Cut(s, "=")
	key = strings.TrimSpace(key)
	if !ok || key == "" || strings.TrimSpace(vals) == "" {
		return Axis{}, fmt.Errorf("grid %q: expected key=value1,value2,...", s)
	}
	var a Axis
	a.Key = key
	for _, v := range strings.Split(vals, ",") {
		if v = strings.TrimSpace(v); v != "" {
			a.Values = append(a.Values, v)
		}
	}
	return a, nil
}

// Points expands axes into their cartesian product, in order (the last
// axis varies fastest). No axes give one empty point.
func Points(axes []Axis) []map[string]string {
	points := []map[string]string{{}}
	for _, a := range axes {
		var next []map[string]string
		for _, p := range points {
			for _, v := range a.Values {
				q := make(map[string]string, len(p)+1)
				for k, pv := range p {
					q[k] = pv
				}
				q[a.Key] = v
				next = append(next, q)
			}
		}
		points = next
	}
	return points
}

// PlanRequest says what a run contains.
type PlanRequest struct {
	Tasks []task.Task
	Seeds int
	Grid  []Axis
	// Config is the effective base config; sweep points override it per item.
	Config *configs.Config
	// Now stamps the run id (tests fix it); zero means time.Now.
	Now time.Time
}

// Run is an opened run directory.
type Run struct {
	Dir      string
	Manifest results.Manifest
	Config   *configs.Config
}

// NewRunID returns a short, unique id that sorts by creation time.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// Plan creates a run directory under cfg.Results.Dir holding the manifest,
// the effective config and a pending status per item. The directory is
// assembled under a temporary name and renamed into place, so a run dir
// either exists whole or not at all.
func Plan(req PlanRequest) (*Run, error) {
	if len(req.Tasks) == 0 {
		return nil, errors.New("plan run: no tasks")
	}
	if req.Seeds < 1 {
		return nil, fmt.Errorf("plan run: seeds must be at least 1, got %d", req.Seeds)
	}
	cfg := req.Config
	for _, a := range req.Grid {
		for _, v := range a.Values {
			probe := *cfg
			if err := probe.Set(a.Key, v); err != nil {
				return nil, fmt.Errorf("grid: %w", err)
			}
		}
		if a.Key == "search.seed" {
			return nil, errors.New("grid: sweep seeds with --seeds, not a grid axis")
		}
	}
	points := Points(req.Grid)
	now := req.Now
	if now.IsZero() {
		now = time.Now()
	}
	m := results.Manifest{RunID: NewRunID(now), CreatedAt: now.UTC()}
	for _, p := range points {
		for _, t := range req.Tasks {
			for s := 0; s < req.Seeds; s++ {
				split := t.Split
				if t.Kind != task.KindMLEBench {
					split = ""
				}
				m.Items = append(m.Items, results.ManifestItem{Index: len(m.Items), TaskID: taskRef(t), Split: split, Seed: s, Params: p})
			}
		}
	}
	root := configs.ExpandPath(cfg.Results.Dir)
	if err := checkWritable(root); err != nil {
		return nil, err
	}
	cfgYAML, err := cfg.YAML()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(root, ".plan-"+m.RunID+"-")
	if err != nil {
		return nil, fmt.Errorf("plan run: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op after the rename
	if err := os.WriteFile(filepath.Join(tmp, ConfigFile), cfgYAML, 0o644); err != nil {
		return nil, fmt.Errorf("plan run: %w", err)
	}
	if err := results.WriteJSON(filepath.Join(tmp, results.ManifestFile), m); err != nil {
		return nil, fmt.Errorf("plan run: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(tmp, results.ItemsDir), 0o755); err != nil {
		return nil, fmt.Errorf("plan run: %w", err)
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("plan run: %w", err)
	}
	dir := filepath.Join(root, m.RunID)
	if err := os.Rename(tmp, dir); err != nil {
		return nil, fmt.Errorf("plan run: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return &Run{Dir: abs, Manifest: m, Config: cfg}, nil
}

// taskRef is how an item names its task: the id, or the folder of a custom
// task that is not findable by id under the data dir.
func taskRef(t task.Task) string {
	if t.Kind == task.KindCustom && !task.IsDemo(t.ID) {
		if abs, err := filepath.Abs(t.Root); err == nil {
			return abs
		}
	}
	return t.ID
}

// UnwritableError says the results directory cannot hold runs.
type UnwritableError struct {
	Dir string
	Err error
}

func (e *UnwritableError) Error() string {
	return fmt.Sprintf("results dir %s is not writable (%v); choose another with --set results.dir=DIR", e.Dir, e.Err)
}

func (e *UnwritableError) Unwrap() error { return e.Err }

func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &UnwritableError{Dir: dir, Err: err}
	}
	f, err := os.CreateTemp(dir, ".write-probe-")
	if err != nil {
		return &UnwritableError{Dir: dir, Err: err}
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// Open reads a run directory (a path, or a run id under resultsDir).
func Open(ref, resultsDir string) (*Run, error) {
	dir, err := results.ResolveRunDir(ref, resultsDir)
	if err != nil {
		return nil, err
	}
	m, err := results.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("open run: %w", err)
	}
	cfg, err := configs.Parse(b, filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, fmt.Errorf("open run: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return &Run{Dir: abs, Manifest: m, Config: cfg}, nil
}

// Item returns the manifest entry of index.
func (r *Run) Item(index int) (results.ManifestItem, error) {
	if index < 0 || index >= len(r.Manifest.Items) {
		return results.ManifestItem{}, fmt.Errorf("run %s has items 0..%d; no item %d", r.Manifest.RunID, len(r.Manifest.Items)-1, index)
	}
	return r.Manifest.Items[index], nil
}

// ItemConfig is the run's config with the item's sweep point applied.
func (r *Run) ItemConfig(index int) (*configs.Config, error) {
	it, err := r.Item(index)
	if err != nil {
		return nil, err
	}
	cfg := *r.Config
	if err := cfg.SetAll(it.Params); err != nil {
		return nil, fmt.Errorf("item %d sweep point: %w", index, err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("item %d sweep point: %w", index, err)
	}
	return &cfg, nil
}

// ItemDir is the directory of item index.
func (r *Run) ItemDir(index int) string { return results.ItemDir(r.Dir, index) }

// Statuses reads every item's status.json (missing = pending).
func (r *Run) Statuses() ([]results.ItemStatus, error) {
	out := make([]results.ItemStatus, len(r.Manifest.Items))
	for i := range r.Manifest.Items {
		st, err := results.ReadItemStatus(r.ItemDir(i))
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
