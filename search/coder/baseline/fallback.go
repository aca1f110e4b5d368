package baseline

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mlbench/mlbench/search"
)

// The families that are not models of the task's inputs.
const (
	// FamilyPrior predicts the training prior (class frequencies or the
	// mean) through the full pipeline: the last repair when every model
	// family failed on a task the baseline can otherwise read.
	FamilyPrior = "prior"
	// FamilyFallback writes the sample-shaped best guess of a task no
	// family fits (see fallback.py).
	FamilyFallback = "fallback"
)

// ModalityAudio marks a fallback task whose inputs are sound files.
const ModalityAudio Modality = "audio"

// fallbackBody is the whole program of a fallback solution.
//
//go:embed fallback.py
var fallbackBody string

// fallbackConfig is what fallback.py knows beyond TASK.
type fallbackConfig struct {
	IDColumn  string `json:"id_column"`
	TrainFile string `json:"train_file,omitempty"`
	Reason    string `json:"reason"`
}

// fallbackProfile describes a task no family fits, from its sample
// submission alone (and a training table when there is one), so the coder
// still writes a valid submission. why is the inspector's error.
func fallbackProfile(t Task, why error) (Profile, error) {
	p := Profile{Task: t.ID, Modality: ModalityOther, sampleFile: def(t.SampleFile, "sample_submission.csv")}
	var te *TaskError
	reason := why.Error()
	if errors.As(why, &te) {
		reason = te.Reason
		if te.Path != "" {
			reason = filepath.Base(te.Path) + ": " + reason
		}
	}
	p.Fallback = reason
	if t.PublicDir == "" {
		return p, why
	}
	if t.SampleFile == "" && !fileExists(filepath.Join(t.PublicDir, p.sampleFile)) {
		p.sampleFile = discoverSample(t.PublicDir)
	}
	if p.sampleFile == "" || !fileExists(filepath.Join(t.PublicDir, p.sampleFile)) {
		return p, fmt.Errorf("%w (and no sample submission in %s to write a fallback from)", why, t.PublicDir)
	}
	sample, err := readColumns(filepath.Join(t.PublicDir, p.sampleFile), nil, uniqueRows)
	if err != nil {
		return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	p.IDColumn = t.IDColumn
	if p.IDColumn == "" {
		for _, c := range sample.header {
			if strings.Contains(strings.ToLower(c), "id") && sample.unique(c) {
				p.IDColumn = c
				break
			}
		}
	}
	for _, c := range sample.header {
		if c != p.IDColumn {
			p.Targets = append(p.Targets, c)
		}
	}
	if t.TrainFile != "" || fileExists(filepath.Join(t.PublicDir, "train.csv")) {
		p.trainFile = def(t.TrainFile, "train.csv")
	} else {
		p.trainFile = discoverTrain(t.PublicDir, []string{p.sampleFile}, p.IDColumn)
	}
	if m, ok := ParseMetric(t.Metric); ok {
		p.Metric = m
	}
	if t.LowerIsBetter != nil {
		p.LowerIsBetter = *t.LowerIsBetter
	}
	conts, media, _ := scanContainers(t.PublicDir)
	switch {
	case len(conts) > 0:
		p.Modality = ModalityImage
	case media[".wav"]+media[".flac"]+media[".mp3"]+media[".aif"]+media[".aiff"]+media[".ogg"] > 0:
		p.Modality = ModalityAudio
	case p.trainFile != "":
		if h, err := readColumns(filepath.Join(t.PublicDir, p.trainFile), nil, 500); err == nil && len(textColumns(h, h.header)) > 0 {
			p.Modality = ModalityText
		}
	}
	return p, nil
}

// renderFallback writes the fallback solution: the spec line, TASK and
// FALLBACK as JSON, the paths, then fallback.py.
func (c *Coder) renderFallback(s Spec, req search.Request) string {
	p := c.profile
	cfg, err := json.Marshal(fallbackConfig{IDColumn: p.IDColumn, TrainFile: p.trainFile, Reason: p.Fallback})
	if err != nil {
		panic(fmt.Sprintf("baseline: marshal fallback config: %v", err)) // strings only
	}
	tc, err := json.Marshal(c.taskConfig())
	if err != nil {
		panic(fmt.Sprintf("baseline: marshal task config: %v", err))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# mlbench offline baseline: FALLBACK solution (generated; no model family fits this task)\n")
	fmt.Fprintf(&b, "# task: %s | stage: %s | node: %s | why: %s\n", oneLine(p.Task), req.Stage, oneLine(req.NodeID), oneLine(p.Fallback))
	b.WriteString(specPrefix + s.Marshal() + "\n")
	b.WriteString("import json\n\n")
	fmt.Fprintf(&b, "TASK = json.loads(%s)\n", pyString(string(tc)))
	fmt.Fprintf(&b, "FALLBACK = json.loads(%s)\n", pyString(string(cfg)))
	fmt.Fprintf(&b, "INPUT_DIR = %s\n", strconv.Quote(c.inputDir))
	fmt.Fprintf(&b, "SUBMISSION_PATH = %s\n\n", strconv.Quote(c.submissionPath))
	b.WriteString(fallbackBody)
	return b.String()
}

// fallbackProposal is every proposal of a coder whose task no family fits:
// the same sample-shaped best guess, whatever the stage.
func (c *Coder) fallbackProposal(req search.Request) search.Proposal {
	s := Spec{Version: SpecVersion, Family: FamilyFallback, Seed: c.seed}
	plan := fmt.Sprintf("Fallback (no model): %s. Write the sample submission's rows and columns with the best guess the "+
		"training targets allow (mean, most frequent value, class frequencies, empty masks), else the sample's values.", c.profile.Fallback)
	return search.Proposal{Plan: plan, Code: c.renderFallback(s, req)}
}

// FallbackOf reports whether code is a baseline solution that models
// nothing (a fallback for a task no family fits, or the training prior
// after every family failed) and says why. The harness marks items whose
// best node is one as fallbacks in their results.
func FallbackOf(code string) (string, bool) {
	s, err := ParseSpec(code)
	if err != nil {
		return "", false
	}
	switch s.Family {
	case FamilyFallback:
		why := "no model family fits the task"
		for l := range strings.Lines(code) {
			if _, r, ok := strings.Cut(l, "| why: "); ok && strings.HasPrefix(l, "# task: ") {
				why = strings.TrimSpace(r)
				break
			}
		}
		return why, true
	case FamilyPrior:
		return "every model family failed: the training prior", true
	}
	return "", false
}
