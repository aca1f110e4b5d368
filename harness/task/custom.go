package task

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/mlbench/mlbench/grader"
)

// SpecFile is the file that makes a folder a custom task.
const SpecFile = "task.yaml"

// Spec is a custom task's task.yaml. Paths are relative to the task folder.
type Spec struct {
	ID            string   `yaml:"id"`
	Name          string   `yaml:"name"`
	Metric        string   `yaml:"metric"`
	IDColumn      string   `yaml:"id_column"`
	TargetColumns []string `yaml:"target_columns"`
	// LowerIsBetter overrides the metric's natural direction.
	LowerIsBetter    *bool  `yaml:"lower_is_better,omitempty"`
	Answers          string `yaml:"answers"`
	SampleSubmission string `yaml:"sample_submission"`
	Leaderboard      string `yaml:"leaderboard,omitempty"`
	Split            string `yaml:"split,omitempty"`
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// SpecError says what is wrong in a task.yaml.
type SpecError struct {
	Path  string
	Field string
	Err   error
}

func (e *SpecError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("%s: %v", e.Path, e.Err)
	}
	return fmt.Sprintf("%s: %s: %v", e.Path, e.Field, e.Err)
}

func (e *SpecError) Unwrap() error { return e.Err }

// LoadCustom reads the custom task in dir (dir/task.yaml and the prepared
// layout dir/prepared/{public,private}).
func LoadCustom(dir string) (Task, error) {
	path := filepath.Join(dir, SpecFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Task{}, fmt.Errorf("read custom task: %w", err)
	}
	spec, err := ParseSpec(b, path)
	if err != nil {
		return Task{}, err
	}
	if spec.ID == "" {
		spec.ID = filepath.Base(dir)
	}
	t := Task{
		ID: spec.ID, Name: spec.Name, Split: spec.Split, Kind: KindCustom, Root: dir,
		PublicDir:  filepath.Join(dir, "prepared", "public"),
		PrivateDir: filepath.Join(dir, "prepared", "private"),
		Metric:     spec.Metric, Spec: spec,
	}
	t.LowerIsBetter, _ = grader.MetricDirection(spec.Metric)
	if spec.LowerIsBetter != nil {
		t.LowerIsBetter = *spec.LowerIsBetter
	}
	if t.Split == "" {
		t.Split = "custom"
	}
	if spec.Leaderboard != "" {
		t.Leaderboard = filepath.Join(dir, spec.Leaderboard)
	} else if lb := filepath.Join(dir, "leaderboard.csv"); fileExists(lb) {
		t.Leaderboard = lb
	}
	return t, nil
}

// ParseSpec decodes and checks a task.yaml; path names it in errors.
func ParseSpec(b []byte, path string) (*Spec, error) {
	var spec Spec
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		return nil, &SpecError{Path: path, Err: fmt.Errorf("parse: %w", err)}
	}
	bad := func(field string, format string, args ...any) error {
		return &SpecError{Path: path, Field: field, Err: fmt.Errorf(format, args...)}
	}
	if spec.ID != "" && !idPattern.MatchString(spec.ID) {
		return nil, bad("id", "%q must be letters, digits, '.', '_' or '-'", spec.ID)
	}
	if _, ok := grader.MetricDirection(spec.Metric); !ok {
		return nil, bad("metric", "%q is not a known metric; use one of %s", spec.Metric, strings.Join(grader.CustomMetrics(), ", "))
	}
	if spec.IDColumn == "" {
		return nil, bad("id_column", "is required")
	}
	if len(spec.TargetColumns) == 0 {
		return nil, bad("target_columns", "needs at least one column")
	}
	if spec.Answers == "" {
		spec.Answers = filepath.Join("prepared", "private", "test.csv")
	}
	if spec.SampleSubmission == "" {
		spec.SampleSubmission = filepath.Join("prepared", "public", "sample_submission.csv")
	}
	for field, p := range map[string]string{"answers": spec.Answers, "sample_submission": spec.SampleSubmission, "leaderboard": spec.Leaderboard} {
		if filepath.IsAbs(p) || strings.HasPrefix(filepath.Clean(p), "..") {
			return nil, bad(field, "%q must be a path inside the task folder", p)
		}
	}
	if !strings.HasPrefix(filepath.Clean(spec.Answers), filepath.Join("prepared", "private")) {
		return nil, bad("answers", "%q must live under prepared/private so the agent never sees it", spec.Answers)
	}
	return &spec, nil
}
