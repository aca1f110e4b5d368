package baseline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// SpecVersion is the version of the spec format written by this package.
const SpecVersion = 1

// specPrefix starts the comment line that carries a solution's spec.
const specPrefix = "# mlbench-spec: "

// ErrNoSpec is returned by ParseSpec when the code carries no spec line
// (for example code written by an LLM).
var ErrNoSpec = errors.New("baseline: no mlbench-spec line in the code")

// The model families, in the order drafts try them.
const (
	FamilyLinear   = "linear" // logistic regression or ridge
	FamilyRF       = "rf"     // random forest
	FamilyHGB      = "hgb"    // histogram gradient boosting
	FamilyKNN      = "knn"    // k nearest neighbours
	FamilyET       = "et"     // extra trees
	FamilyXGB      = "xgb"    // xgboost (HGB when not importable)
	FamilyEnsemble = "ensemble"
)

// draftOrder is the order in which drafts try the families.
var draftOrder = []string{FamilyLinear, FamilyRF, FamilyHGB, FamilyKNN, FamilyET, FamilyXGB}

// Spec is the structured description of a generated solution. It is
// embedded in the code as a comment line ("# mlbench-spec: {...}") so that
// later improvements and ensembles can rebuild a node's pipeline from its
// snapshot alone.
type Spec struct {
	Version int    `json:"v"`
	Family  string `json:"family"`
	// Params are passed verbatim to the estimator's constructor.
	Params map[string]any `json:"params,omitempty"`
	Prep   Prep           `json:"prep,omitzero"`
	// Members and Weights describe an ensemble (Family "ensemble"): the
	// members' predictions (probabilities or values) are averaged.
	Members []Spec    `json:"members,omitempty"`
	Weights []float64 `json:"weights,omitempty"`
	// Sources are the node ids an ensemble's members came from.
	Sources []string `json:"sources,omitempty"`
	// Move is the improvement or repair that produced this spec from its
	// parent's; History lists the moves since the draft, oldest first.
	Move    string   `json:"move,omitempty"`
	History []string `json:"history,omitempty"`
	// Seed fixes the hold-out split and every random_state.
	Seed int64 `json:"seed"`
}

// Prep is the feature preparation of one model.
type Prep struct {
	// Encoding of categorical columns: "onehot" or "ordinal".
	Encoding string `json:"encoding"`
	// RareMin: levels seen fewer times share one "rare" code.
	RareMin int `json:"rare_min"`
	// MaxLevels caps the levels kept per categorical column.
	MaxLevels int `json:"max_levels"`
	// Impute fills missing numbers: "median", "mean" or "zero".
	Impute string `json:"impute"`
	// Indicators adds a missing-value flag per numeric column with gaps.
	Indicators bool `json:"indicators,omitempty"`
	// Scale: "none", "standard", "robust" or "quantile".
	Scale string `json:"scale"`
	// FreqEncoding adds each categorical level's training frequency.
	FreqEncoding bool `json:"freq_encoding,omitempty"`
	// Interactions adds pairwise products of the k numeric columns most
	// correlated with the target (0: none).
	Interactions int `json:"interactions,omitempty"`
	// LogTarget fits a regression on log1p(y).
	LogTarget bool `json:"log_target,omitempty"`
	// Dates and Text: "features" (simple features) or "drop".
	Dates string `json:"dates"`
	Text  string `json:"text"`
	// Drop names columns never used.
	Drop []string `json:"drop,omitempty"`
	// MaxRows subsamples the training rows beyond this many (0: all).
	MaxRows int `json:"max_rows,omitempty"`
	// Strict treats every non-numeric column as categorical (no parsing of
	// numbers, dates or text).
	Strict bool `json:"strict,omitempty"`
	// Image is the feature extraction of an image task.
	Image ImagePrep `json:"image,omitzero"`
	// TFIDF is the vectorisation of a text task's text columns.
	TFIDF TFIDFPrep `json:"tfidf,omitzero"`
	// TextOnly uses the TF-IDF features alone (naive Bayes needs
	// non-negative counts).
	TextOnly bool `json:"text_only,omitempty"`
}

// ImagePrep turns each image into numbers: its pixels downscaled to
// Size x Size, per-channel statistics, colour histograms (Hist) and a
// histogram of gradient orientations over a 4x4 grid (HOG).
type ImagePrep struct {
	Size int  `json:"size,omitempty"`
	Hist bool `json:"hist,omitempty"`
	HOG  bool `json:"hog,omitempty"`
}

// TFIDFPrep is the TF-IDF vectorisation of free text: word n-grams up to
// Word, character 2-5-grams when Char, at most MaxFeatures terms per
// analyser, reduced to SVD components for models that need dense input (0:
// sparse).
type TFIDFPrep struct {
	Word        int  `json:"word,omitempty"`
	Char        bool `json:"char,omitempty"`
	MaxFeatures int  `json:"max_features,omitempty"`
	SVD         int  `json:"svd,omitempty"`
}

// Marshal returns the spec as one line of JSON.
func (s Spec) Marshal() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		// Spec holds only JSON-safe values (numbers from Go code, strings).
		panic(fmt.Sprintf("baseline: marshal spec: %v", err))
	}
	return strings.TrimSpace(b.String())
}

// ParseSpec returns the spec embedded in generated code: the last line
// starting with "# mlbench-spec: ". It returns ErrNoSpec when there is none.
func ParseSpec(code string) (Spec, error) {
	var line string
	for l := range strings.Lines(code) {
		if l = strings.TrimRight(l, "\r\n"); strings.HasPrefix(l, specPrefix) {
			line = l
		}
	}
	if line == "" {
		return Spec{}, ErrNoSpec
	}
	var s Spec
	dec := json.NewDecoder(strings.NewReader(strings.TrimPrefix(line, specPrefix)))
	dec.UseNumber()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("parse spec: %w", err)
	}
	if s.Family == "" {
		return Spec{}, fmt.Errorf("parse spec: no family")
	}
	if s.Family == FamilyEnsemble && len(s.Members) == 0 {
		return Spec{}, fmt.Errorf("parse spec: ensemble without members")
	}
	s.Params = normalizeParams(s.Params)
	for i := range s.Members {
		s.Members[i].Params = normalizeParams(s.Members[i].Params)
	}
	return s, nil
}

// normalizeParams turns json.Number values into int or float64, so that
// parsed and freshly built specs compare equal and re-marshal the same.
func normalizeParams(p map[string]any) map[string]any {
	if p == nil {
		return nil
	}
	out := make(map[string]any, len(p))
	for k, v := range p {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				v = int(i)
			} else if f, err := n.Float64(); err == nil {
				v = f
			}
		}
		out[k] = v
	}
	return out
}

// Clone returns a deep copy of s.
func (s Spec) Clone() Spec {
	c := s
	c.Params = maps.Clone(s.Params)
	c.Prep.Drop = slices.Clone(s.Prep.Drop)
	c.Weights = slices.Clone(s.Weights)
	c.Sources = slices.Clone(s.Sources)
	c.History = slices.Clone(s.History)
	c.Members = nil
	for _, m := range s.Members {
		c.Members = append(c.Members, m.Clone())
	}
	return c
}

// Key identifies a spec's pipeline, ignoring its provenance (move,
// history, sources): two specs with the same key generate the same model.
func (s Spec) Key() string {
	c := s.Clone()
	c.Move, c.History, c.Sources = "", nil, nil
	for i := range c.Members {
		c.Members[i].Move, c.Members[i].History, c.Members[i].Sources = "", nil, nil
	}
	return c.Marshal()
}

// defaultSpec is a family's draft pipeline for the task.
func defaultSpec(family string, p Profile, seed int64) Spec {
	cls := p.Classification()
	s := Spec{Version: SpecVersion, Family: family, Seed: seed, Params: map[string]any{}}
	s.Prep = Prep{Encoding: "ordinal", RareMin: 5, MaxLevels: 1000, Impute: "median", Scale: "none",
		Dates: "features", Text: "features", MaxRows: 200000}
	switch family {
	case FamilyLinear:
		// One-hot columns are dense: cap rows so wide tasks stay in memory.
		s.Prep = Prep{Encoding: "onehot", RareMin: 10, MaxLevels: 30, Impute: "median", Indicators: true,
			Scale: "standard", Dates: "features", Text: "features", MaxRows: 100000}
		if cls {
			s.Params = map[string]any{"C": 1.0, "max_iter": 1000}
		} else {
			s.Params = map[string]any{"alpha": 1.0}
		}
	case FamilyKNN:
		// Brute-force neighbour search costs train rows x test rows.
		s.Prep = Prep{Encoding: "onehot", RareMin: 10, MaxLevels: 20, Impute: "median",
			Scale: "standard", Dates: "features", Text: "features", MaxRows: 20000}
		s.Params = map[string]any{"n_neighbors": 15, "weights": "uniform"}
	case FamilyRF:
		s.Params = map[string]any{"n_estimators": 150, "min_samples_leaf": 2, "max_features": "sqrt"}
		if !cls {
			s.Params["max_features"] = 0.5
		}
	case FamilyET:
		s.Params = map[string]any{"n_estimators": 200, "min_samples_leaf": 2, "max_features": "sqrt"}
		if !cls {
			s.Params["max_features"] = 0.7
		}
	case FamilyHGB:
		s.Params = map[string]any{"max_iter": 200, "learning_rate": 0.08, "max_leaf_nodes": 31,
			"min_samples_leaf": 20, "l2_regularization": 0.0, "early_stopping": false}
	case FamilyXGB:
		s.Params = map[string]any{"n_estimators": 300, "learning_rate": 0.08, "max_depth": 6,
			"subsample": 0.9, "colsample_bytree": 0.9, "tree_method": "hist"}
	}
	if p.Metric == MetricRMSLE && p.NonNegativeTarget {
		s.Prep.LogTarget = true
	}
	switch p.Modality {
	case ModalityImage:
		// Image features are computed per training row: cap the rows read.
		// Few pixels by default: at random positions they are mostly noise
		// to a model, and every column costs time; larger_images adds more.
		s.Prep.Image = ImagePrep{Size: 8, Hist: true, HOG: true}
		s.Prep.MaxRows = min(s.Prep.MaxRows, 20000)
		switch family {
		case FamilyLinear:
			if cls {
				s.Params["C"] = 0.1 // hundreds of correlated columns
			}
		case FamilyKNN:
			s.Prep.MaxRows = min(s.Prep.MaxRows, 10000)
		case FamilyHGB:
			// Hundreds of pixel columns: fewer, faster rounds.
			s.Params["max_iter"], s.Params["learning_rate"] = 100, 0.1
		}
	case ModalityText:
		s.Prep.TFIDF = TFIDFPrep{Word: 2, MaxFeatures: 50000}
		switch family {
		case FamilyLinear:
			if cls {
				s.Params = map[string]any{"C": 4.0, "max_iter": 2000}
			}
		case FamilyNB:
			s.Params = map[string]any{"alpha": 0.3}
			s.Prep.TextOnly = true
		default:
			s.Prep.TFIDF.SVD = 100 // trees and neighbours need dense input
		}
	}
	return s
}

// FamilyNB is complement naive Bayes on TF-IDF counts (text
// classification only).
const FamilyNB = "nb"

// modalityFamilies are the families drafts try for the task, in order.
func modalityFamilies(p Profile) []string {
	switch p.Modality {
	case ModalityImage:
		return []string{FamilyLinear, FamilyET, FamilyHGB, FamilyRF, FamilyKNN, FamilyXGB}
	case ModalityText:
		if p.Classification() && p.Problem != ProblemMultilabel {
			return []string{FamilyLinear, FamilyNB, FamilyET, FamilyHGB, FamilyXGB}
		}
		return []string{FamilyLinear, FamilyET, FamilyHGB, FamilyXGB}
	}
	return draftOrder
}

// familyName is the family as a person says it.
func familyName(family string, cls bool) string {
	switch family {
	case FamilyLinear:
		if cls {
			return "logistic regression"
		}
		return "ridge regression"
	case FamilyRF:
		return "random forest"
	case FamilyET:
		return "extra trees"
	case FamilyHGB:
		return "histogram gradient boosting"
	case FamilyKNN:
		return "k-nearest neighbours"
	case FamilyXGB:
		return "XGBoost"
	case FamilyEnsemble:
		return "ensemble"
	case FamilyNB:
		return "complement naive Bayes"
	case FamilyPrior:
		return "training prior (no model)"
	case FamilyFallback:
		return "fallback (no model)"
	}
	return family
}

// describe is a one-paragraph account of a spec's pipeline.
func describe(s Spec, cls bool) string {
	if s.Family == FamilyEnsemble {
		parts := make([]string, len(s.Members))
		for i, m := range s.Members {
			w := 1.0 / float64(len(s.Members))
			if i < len(s.Weights) {
				w = s.Weights[i]
			}
			parts[i] = fmt.Sprintf("%.2f x [%s]", w, describe(m, cls))
		}
		return "average of " + strings.Join(parts, " + ")
	}
	var b strings.Builder
	b.WriteString(familyName(s.Family, cls))
	if len(s.Params) > 0 {
		keys := slices.Sorted(maps.Keys(s.Params))
		kv := make([]string, 0, len(keys))
		for _, k := range keys {
			kv = append(kv, fmt.Sprintf("%s=%v", k, pyValue(s.Params[k])))
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(kv, ", "))
	}
	pr := s.Prep
	fmt.Fprintf(&b, "; categoricals %s-encoded (levels seen < %d times pooled, at most %d levels)", pr.Encoding, pr.RareMin, pr.MaxLevels)
	if pr.FreqEncoding {
		b.WriteString(" plus level frequencies")
	}
	fmt.Fprintf(&b, "; %s imputation", pr.Impute)
	if pr.Indicators {
		b.WriteString(" with missing-value flags")
	}
	if pr.Scale != "none" && pr.Scale != "" {
		fmt.Fprintf(&b, "; %s scaling", pr.Scale)
	}
	if pr.Interactions > 0 {
		fmt.Fprintf(&b, "; pairwise products of the %d numeric columns most correlated with the target", pr.Interactions)
	}
	if pr.LogTarget {
		b.WriteString("; fitted on log1p(target)")
	}
	if pr.Strict {
		b.WriteString("; every text column treated as categorical")
	}
	if pr.Dates == "drop" {
		b.WriteString("; date columns dropped")
	}
	if pr.Text == "drop" {
		b.WriteString("; free-text columns dropped")
	}
	if len(pr.Drop) > 0 {
		fmt.Fprintf(&b, "; columns dropped: %s", strings.Join(pr.Drop, ", "))
	}
	if im := pr.Image; im.Size > 0 {
		fmt.Fprintf(&b, "; images as %dx%d pixels", im.Size, im.Size)
		if im.Hist {
			b.WriteString(", colour histograms")
		}
		if im.HOG {
			b.WriteString(", gradient-orientation histograms")
		}
	}
	if tf := pr.TFIDF; tf.Word > 0 {
		fmt.Fprintf(&b, "; TF-IDF of word 1-%d-grams", tf.Word)
		if tf.Char {
			b.WriteString(" and character 2-5-grams")
		}
		fmt.Fprintf(&b, " (at most %d terms each)", tf.MaxFeatures)
		if tf.SVD > 0 {
			fmt.Fprintf(&b, " reduced to %d SVD components", tf.SVD)
		}
		if pr.TextOnly {
			b.WriteString(", text features only")
		}
	}
	if pr.MaxRows > 0 {
		fmt.Fprintf(&b, "; at most %d training rows", pr.MaxRows)
	}
	return b.String()
}

func pyValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprint(v)
}

// families lists the distinct non-ensemble families of specs, sorted.
func families(specs ...Spec) []string {
	seen := map[string]bool{}
	for _, s := range specs {
		if s.Family == FamilyEnsemble {
			for _, m := range s.Members {
				seen[m.Family] = true
			}
			continue
		}
		seen[s.Family] = true
	}
	out := slices.Collect(maps.Keys(seen))
	sort.Strings(out)
	return out
}
