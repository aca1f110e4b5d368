package baseline

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/mlbench/mlbench/search"
)

// pipelineBody is the fixed part of every generated solution: it reads TASK
// and SPEC, prepares features, fits, scores the hold-out and writes the
// submission.
//
//go:embed pipeline.py
var pipelineBody string

// modalityBody holds the image features and the TF-IDF preparation the
// pipeline uses for image and text tasks.
//
//go:embed modality.py
var modalityBody string

// taskConfig is what the generated code knows about the task.
type taskConfig struct {
	TrainFile     string        `json:"train_file"`
	TestFile      string        `json:"test_file"`
	SampleFile    string        `json:"sample_file"`
	IDColumn      string        `json:"id_column"`
	Targets       []string      `json:"targets"`
	LabelColumn   string        `json:"label_column"`
	Problem       Problem       `json:"problem"`
	Output        Output        `json:"output"`
	Metric        Metric        `json:"metric"`
	LowerIsBetter bool          `json:"lower_is_better"`
	Classes       []ClassColumn `json:"classes,omitempty"`
	Positive      string        `json:"positive,omitempty"`
	Modality      Modality      `json:"modality"`
	Images        *Images       `json:"images,omitempty"`
	TextColumns   []string      `json:"text_columns,omitempty"`
}

func (c *Coder) taskConfig() taskConfig {
	p := c.profile
	return taskConfig{TrainFile: p.trainFile, TestFile: p.testFile, SampleFile: p.sampleFile,
		IDColumn: p.IDColumn, Targets: p.Targets, LabelColumn: p.LabelColumn, Problem: p.Problem,
		Output: p.Output, Metric: p.Metric, LowerIsBetter: p.LowerIsBetter, Classes: p.Classes, Positive: p.Positive,
		Modality: p.Modality, Images: p.Images, TextColumns: p.TextColumns}
}

// Render writes the solution for a spec: a header with the spec line, the
// task and spec as JSON constants, the paths, then the fixed pipeline.
func (c *Coder) Render(s Spec, req search.Request) string {
	if s.Family == FamilyFallback {
		return c.renderFallback(s, req)
	}
	tc, err := json.Marshal(c.taskConfig())
	if err != nil {
		panic(fmt.Sprintf("baseline: marshal task config: %v", err)) // plain strings and numbers only
	}
	spec := s.Marshal()
	var b strings.Builder
	fmt.Fprintf(&b, "# mlbench offline baseline solution (generated; edit freely)\n")
	fmt.Fprintf(&b, "# task: %s | stage: %s | node: %s | model: %s\n", oneLine(c.profile.Task), req.Stage, oneLine(req.NodeID),
		familyName(s.Family, c.profile.Classification()))
	fmt.Fprintf(&b, "# validation: %s on a %d%% hold-out (%s is better); prints \"validation_metric: <v>\"\n",
		c.profile.Metric, 20, direction(c.profile.LowerIsBetter))
	b.WriteString(specPrefix + spec + "\n")
	b.WriteString("import json\n\n")
	fmt.Fprintf(&b, "TASK = json.loads(%s)\n", pyString(string(tc)))
	fmt.Fprintf(&b, "SPEC = json.loads(%s)\n", pyString(spec))
	fmt.Fprintf(&b, "INPUT_DIR = %s\n", strconv.Quote(c.inputDir))
	fmt.Fprintf(&b, "SUBMISSION_PATH = %s\n\n", strconv.Quote(c.submissionPath))
	b.WriteString(modalityBody)
	b.WriteString("\n")
	b.WriteString(pipelineBody)
	return b.String()
}

// pyString writes JSON text as a Python string literal: a raw
// triple-quoted string when that is safe (readable), else a quoted one
// (Go's escapes are valid Python escapes for the valid UTF-8 that
// encoding/json writes).
func pyString(js string) string {
	if !strings.Contains(js, "'''") && !strings.HasSuffix(js, `\`) && !strings.HasSuffix(js, "'") {
		return "r'''" + js + "'''"
	}
	return strconv.Quote(js)
}

// oneLine keeps a value on its comment line.
func oneLine(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}
