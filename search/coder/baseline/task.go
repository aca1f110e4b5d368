package baseline

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrUnsupported is wrapped by a *TaskError when the task is not one the
// baseline can solve (not tabular CSV, no feature columns, a metric it does
// not compute, a layout it cannot read).
var ErrUnsupported = errors.New("baseline: unsupported task")

// TaskError says why a task cannot be handled, naming the file or setting at
// fault. It unwraps to ErrUnsupported.
type TaskError struct {
	Task   string // task id
	Path   string // the file or setting at fault ("" when none)
	Reason string
}

func (e *TaskError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("baseline: task %s: %s: %s", e.Task, e.Path, e.Reason)
	}
	return fmt.Sprintf("baseline: task %s: %s", e.Task, e.Reason)
}

// Unwrap returns ErrUnsupported.
func (e *TaskError) Unwrap() error { return ErrUnsupported }

// Task describes a tabular task for the baseline coder. Only PublicDir is
// required; what is left empty is inferred from the CSV files.
type Task struct {
	// ID names the task in plans and errors.
	ID string
	// PublicDir is the real path of the public data, read at construction to
	// infer columns and the problem type.
	PublicDir string
	// InputDir is the directory holding the CSV files as the generated code
	// sees it (inside a sandbox it differs from PublicDir); "" means
	// PublicDir.
	InputDir string
	// SubmissionPath is where the generated code writes its submission, as
	// the code sees it; "" means "submission/submission.csv" in the code's
	// working directory.
	SubmissionPath string
	// Metric is the task's metric (see ParseMetric for the accepted names);
	// "" infers one from the problem type and LowerIsBetter.
	Metric string
	// LowerIsBetter is the metric direction when known.
	LowerIsBetter *bool
	// IDColumn is the id column of the submission; "" infers it.
	IDColumn string
	// TargetColumns are the submission's prediction columns; nil infers
	// them (the sample submission's columns minus the id).
	TargetColumns []string
	// TrainFile, TestFile and SampleFile name the CSV files inside the
	// data directory; "" means train.csv, test.csv, sample_submission.csv.
	TrainFile, TestFile, SampleFile string
	// XGBoost says whether xgboost is importable by the code's interpreter
	// (see ProbeXGBoost); when false, drafts skip the xgboost family.
	XGBoost bool
	// Packages are the installed distributions by name (an environment
	// probe); when set, drafts skip every family whose package is absent
	// (and XGBoost is ignored).
	Packages map[string]string
}

// Problem is the kind of prediction a task asks for.
type Problem string

// The problem kinds.
const (
	ProblemBinary     Problem = "binary"
	ProblemMulticlass Problem = "multiclass"
	ProblemRegression Problem = "regression"
	// ProblemMultilabel: several target columns, each its own
	// classification (usually binary).
	ProblemMultilabel Problem = "multilabel"
	// ProblemMultiRegression: several real-valued target columns.
	ProblemMultiRegression Problem = "multiregression"
)

// Output is what the submission's prediction columns hold.
type Output string

// The output kinds.
const (
	// OutputProba: per target column, the probability of the positive class.
	OutputProba Output = "proba"
	// OutputClassProba: one probability column per class of one label.
	OutputClassProba Output = "class_proba"
	// OutputLabel: the predicted class label.
	OutputLabel Output = "label"
	// OutputValue: a real value.
	OutputValue Output = "value"
)

// ClassColumn ties a probability column of the submission to a class label
// of the training label column.
type ClassColumn struct {
	Column string `json:"column"`
	Label  string `json:"label"`
}

// Profile is what the baseline knows about a task after inspecting its
// files.
type Profile struct {
	Task string `json:"task"`
	// IDColumn is "" when the submission has no id (rows in test order).
	IDColumn string `json:"id_column"`
	// Targets are the submission's prediction columns, in its order.
	Targets []string `json:"targets"`
	// LabelColumn is the train column of the class label when the targets
	// are class-probability columns; "" otherwise (the targets themselves
	// are train columns).
	LabelColumn string        `json:"label_column"`
	Problem     Problem       `json:"problem"`
	Output      Output        `json:"output"`
	Metric      Metric        `json:"metric"`
	Classes     []ClassColumn `json:"classes,omitempty"`
	// Positive is the positive class of a binary problem: the class whose
	// probability an OutputProba column holds, and the one F1 scores.
	Positive      string `json:"positive,omitempty"`
	LowerIsBetter bool   `json:"lower_is_better"`
	// Features are the columns of both train and test that the models may
	// use (id and targets excluded); Numeric and Categorical split them by
	// the first train rows (a column with any non-number is categorical),
	// and HasMissing says whether those rows have empty feature cells.
	Features    []string `json:"features"`
	Numeric     []string `json:"numeric,omitempty"`
	Categorical []string `json:"categorical,omitempty"`
	HasMissing  bool     `json:"has_missing,omitempty"`
	// Modality is what the examples are (tabular, image, text; other for a
	// fallback). Images ties rows to image files for an image task;
	// TextColumns are the free-text features (TF-IDF) of a text task.
	Modality    Modality `json:"modality"`
	Images      *Images  `json:"images,omitempty"`
	TextColumns []string `json:"text_columns,omitempty"`
	// Fallback is why no model family fits the task ("" when one does):
	// the coder then writes the sample-shaped best guess (see Fallback).
	Fallback string `json:"fallback,omitempty"`
	// TrainRows counts the train rows read (at most inspectRows).
	TrainRows int `json:"train_rows"`
	// NonNegativeTarget and SkewedTarget describe a single regression
	// target (a log1p transform is then worth trying).
	NonNegativeTarget bool `json:"non_negative_target,omitempty"`
	SkewedTarget      bool `json:"skewed_target,omitempty"`
	// Notes are the guesses made, for the plan.
	Notes []string `json:"notes,omitempty"`

	trainFile, testFile, sampleFile string
}

// Classification reports whether the problem predicts classes.
func (p Profile) Classification() bool {
	return p.Problem == ProblemBinary || p.Problem == ProblemMulticlass || p.Problem == ProblemMultilabel
}

const (
	inspectRows = 50000  // train rows read to type the target
	featureRows = 5000   // train rows read to type the features
	uniqueRows  = 200000 // sample rows checked for id uniqueness
	maxClasses  = 50     // integer labels with more levels are regression
)

// Inspect reads the task's CSV headers (and a sample of train rows) and
// infers what Task leaves empty.
func Inspect(t Task) (Profile, error) {
	p := Profile{Task: t.ID, trainFile: def(t.TrainFile, "train.csv"), testFile: def(t.TestFile, "test.csv"),
		sampleFile: def(t.SampleFile, "sample_submission.csv")}
	terr := func(path, format string, a ...any) error {
		return &TaskError{Task: t.ID, Path: path, Reason: fmt.Sprintf(format, a...)}
	}
	if t.PublicDir == "" {
		return p, terr("", "no public data directory given")
	}
	paths := map[string]string{}
	if t.SampleFile == "" && !fileExists(filepath.Join(t.PublicDir, p.sampleFile)) {
		if f := discoverSample(t.PublicDir); f != "" {
			p.sampleFile = f
		}
	}
	if t.TestFile == "" && !fileExists(filepath.Join(t.PublicDir, p.testFile)) {
		p.testFile = "" // image tasks: the test ids are the sample's
	}
	for _, f := range []string{p.testFile, p.sampleFile} {
		if f == "" {
			continue
		}
		path := filepath.Join(t.PublicDir, f)
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return p, terr(path, "missing (the baseline needs a sample submission, a training table and test rows or images)")
			}
			return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
		}
		paths[f] = path
	}
	sample, err := readColumns(paths[p.sampleFile], nil, uniqueRows)
	if err != nil {
		return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	testHdr := sample.header
	if p.testFile != "" {
		if testHdr, err = readHeader(paths[p.testFile]); err != nil {
			return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
		}
	}
	inTest := set(testHdr)

	// The id: given, or the column shared by test and sample that is unique
	// per row, preferring names that say "id".
	switch {
	case t.IDColumn != "":
		if _, ok := sample.index[t.IDColumn]; !ok {
			return p, terr(paths[p.sampleFile], "id column %q not in the sample submission (columns: %s)", t.IDColumn, strings.Join(sample.header, ", "))
		}
		p.IDColumn = t.IDColumn
	default:
		var unique []string
		for _, c := range sample.header {
			if inTest[c] && !slices.Contains(t.TargetColumns, c) && sample.unique(c) {
				unique = append(unique, c)
			}
		}
		for _, c := range unique {
			if strings.Contains(strings.ToLower(c), "id") {
				p.IDColumn = c
				break
			}
		}
		if p.IDColumn == "" && len(unique) > 0 && len(unique) < len(sample.header) {
			p.IDColumn = unique[0]
		}
		if p.IDColumn == "" {
			p.Notes = append(p.Notes, "no id column shared by test and sample submission: rows are written in test order")
		}
	}

	if p.testFile == "" {
		inTest = map[string]bool{p.IDColumn: p.IDColumn != ""}
	}
	if t.TrainFile == "" && !fileExists(filepath.Join(t.PublicDir, p.trainFile)) {
		if f := discoverTrain(t.PublicDir, []string{p.sampleFile, p.testFile}, p.IDColumn); f != "" {
			p.trainFile = f
		}
	}
	paths[p.trainFile] = filepath.Join(t.PublicDir, p.trainFile)
	if !fileExists(paths[p.trainFile]) {
		return p, terr(paths[p.trainFile], "missing (the baseline needs a training table beside %s)", p.sampleFile)
	}
	trainHdr, err := readHeader(paths[p.trainFile])
	if err != nil {
		return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	inTrain := set(trainHdr)

	// The targets: given, or the sample's columns minus the id.
	if t.TargetColumns != nil {
		for _, c := range t.TargetColumns {
			if _, ok := sample.index[c]; !ok {
				return p, terr(paths[p.sampleFile], "target column %q not in the sample submission", c)
			}
		}
		p.Targets = slices.Clone(t.TargetColumns)
	} else {
		for _, c := range sample.header {
			if c != p.IDColumn {
				p.Targets = append(p.Targets, c)
			}
		}
	}
	if len(p.Targets) == 0 {
		return p, terr(paths[p.sampleFile], "no prediction column besides the id %q", p.IDColumn)
	}

	var metric Metric
	if t.Metric != "" {
		m, ok := ParseMetric(t.Metric)
		if !ok {
			return p, terr("", "metric %q is not one the baseline computes (known: %s)", t.Metric, joinMetrics())
		}
		metric = m
	}

	nIn := 0
	for _, c := range p.Targets {
		if inTrain[c] {
			nIn++
		}
	}
	switch {
	case nIn == len(p.Targets):
		err = p.inferDirect(paths[p.trainFile], sample, metric, t.LowerIsBetter)
	case nIn == 0:
		err = p.inferClassProba(paths[p.trainFile], trainHdr, inTest, metric, t.LowerIsBetter)
	default:
		return p, terr(paths[p.trainFile], "some target columns are train columns and some are not (%s)", strings.Join(p.Targets, ", "))
	}
	if err != nil {
		var te *TaskError
		if errors.As(err, &te) {
			te.Task = t.ID
		}
		return p, err
	}
	p.LowerIsBetter = p.Metric.LowerIsBetter()
	if t.LowerIsBetter != nil && *t.LowerIsBetter != p.LowerIsBetter {
		return p, terr("", "metric %s is %s-is-better but the task says lower_is_better=%t", p.Metric, direction(p.LowerIsBetter), *t.LowerIsBetter)
	}

	if err := p.inferModality(t, paths); err != nil {
		return p, err
	}
	return p, nil
}

// missingCell reports whether pandas would read a cell as missing.
func missingCell(v string) bool {
	switch v {
	case "", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "<NA>", "n/a", "-NaN", "-nan", "#N/A":
		return true
	}
	return false
}

// inferDirect handles targets that are train columns: one label or value
// column, or several.
func (p *Profile) inferDirect(trainPath string, sample *columns, metric Metric, lower *bool) error {
	train, err := readColumns(trainPath, p.Targets, inspectRows)
	if err != nil {
		return err
	}
	p.TrainRows = train.rows
	if p.TrainRows == 0 {
		return &TaskError{Path: trainPath, Reason: "no rows"}
	}
	need := metrics[metric].needs
	if len(p.Targets) == 1 {
		col := p.Targets[0]
		vals := train.values(col)
		classif := looksCategorical(vals)
		if metric != "" {
			classif = need != needsValue
		}
		if !classif {
			p.Problem, p.Output = ProblemRegression, OutputValue
			p.Metric = pick(metric, lower, MetricRMSE, MetricR2, MetricRMSE)
			p.describeTarget(vals)
			return nil
		}
		levels := distinct(vals)
		p.Problem = ProblemMulticlass
		if len(levels) <= 2 {
			p.Problem = ProblemBinary
			p.Positive = positiveLabel(levels)
		}
		proba := need == needsProba || (metric == "" && p.Problem == ProblemBinary && fractional(sample.values(col)))
		switch {
		case proba && p.Problem == ProblemBinary:
			p.Output = OutputProba
			p.Metric = pick(metric, lower, MetricLogLoss, MetricROCAUC, MetricROCAUC)
		case proba:
			return &TaskError{Path: trainPath, Reason: fmt.Sprintf("metric %s needs probabilities but the submission has one column for %d classes", metric, len(levels))}
		default:
			p.Output = OutputLabel
			p.Metric = pick(metric, lower, MetricError, MetricAccuracy, MetricAccuracy)
		}
		return nil
	}

	allBinary := true
	for _, c := range p.Targets {
		lv := distinct(train.values(c))
		if len(lv) > 2 || !numericIn01(lv) {
			allBinary = false
		}
	}
	switch {
	case need == needsValue || (metric == "" && !allBinary):
		p.Problem, p.Output = ProblemMultiRegression, OutputValue
		p.Metric = pick(metric, lower, MetricRMSE, MetricR2, MetricRMSE)
	case need == needsProba || (metric == "" && fractionalAny(sample, p.Targets)):
		if !allBinary {
			return &TaskError{Path: trainPath, Reason: fmt.Sprintf("metric %s needs probabilities but not every target is a 0/1 column", metric)}
		}
		p.Problem, p.Output = ProblemMultilabel, OutputProba
		p.Positive = "1"
		p.Metric = pick(metric, lower, MetricLogLoss, MetricROCAUC, MetricROCAUC)
	default:
		p.Problem, p.Output = ProblemMultilabel, OutputLabel
		p.Metric = pick(metric, lower, MetricError, MetricAccuracy, MetricAccuracy)
	}
	return nil
}

// inferClassProba handles targets that are one probability column per
// class of a train label column that test lacks.
func (p *Profile) inferClassProba(trainPath string, trainHdr []string, inTest map[string]bool, metric Metric, lower *bool) error {
	var cands []string
	for _, c := range trainHdr {
		if !inTest[c] && c != p.IDColumn {
			cands = append(cands, c)
		}
	}
	if len(cands) == 0 {
		return &TaskError{Path: trainPath, Reason: fmt.Sprintf("the targets (%s) are not train columns and every train column is also in test: no label column", strings.Join(p.Targets, ", "))}
	}
	train, err := readColumns(trainPath, cands, inspectRows)
	if err != nil {
		return err
	}
	p.TrainRows = train.rows
	best, bestN := "", -1
	for _, c := range cands {
		n := 0
		for _, cc := range mapClasses(p.Targets, distinct(train.values(c))) {
			if cc.matched {
				n++
			}
		}
		if n > bestN {
			best, bestN = c, n
		}
	}
	p.LabelColumn = best
	levels := distinct(train.values(best))
	mapped := mapClasses(p.Targets, levels)
	if bestN < len(p.Targets) {
		if bestN == 0 && len(levels) == len(p.Targets) {
			// No name matches: pair sorted labels with columns in order.
			for i := range mapped {
				mapped[i].Label = levels[i]
			}
			p.Notes = append(p.Notes, fmt.Sprintf("class columns paired with the sorted labels of %s by position", best))
		} else {
			p.Notes = append(p.Notes, fmt.Sprintf("%d of %d class columns matched a label of %s by name; the rest use the name's suffix", bestN, len(p.Targets), best))
		}
	}
	if len(cands) > 1 {
		p.Notes = append(p.Notes, fmt.Sprintf("label column %s chosen among %s", best, strings.Join(cands, ", ")))
	}
	for _, m := range mapped {
		p.Classes = append(p.Classes, ClassColumn{Column: m.Column, Label: m.Label})
	}
	if metric != "" && metrics[metric].needs != needsProba {
		return &TaskError{Path: trainPath, Reason: fmt.Sprintf("metric %s scores labels but the submission has one probability column per class", metric)}
	}
	p.Problem = ProblemMulticlass
	if len(p.Targets) == 2 {
		p.Problem = ProblemBinary
	}
	p.Output = OutputClassProba
	p.Metric = pick(metric, lower, MetricLogLoss, MetricROCAUC, MetricLogLoss)
	return nil
}

// describeTarget sets the regression target's shape flags.
func (p *Profile) describeTarget(vals []string) {
	var xs []float64
	for _, v := range vals {
		if f, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			xs = append(xs, f)
		}
	}
	if len(xs) < 3 {
		return
	}
	mean, minV := 0.0, math.Inf(1)
	for _, x := range xs {
		mean += x
		minV = min(minV, x)
	}
	mean /= float64(len(xs))
	var m2, m3 float64
	for _, x := range xs {
		d := x - mean
		m2 += d * d
		m3 += d * d * d
	}
	m2 /= float64(len(xs))
	m3 /= float64(len(xs))
	p.NonNegativeTarget = minV >= 0
	if m2 > 0 {
		p.SkewedTarget = p.NonNegativeTarget && m3/math.Pow(m2, 1.5) > 1
	}
}

// pick returns the given metric, else the default for the known direction,
// else the usual one for the output (MLE-Bench habits: AUC for a binary
// probability, log loss for class probabilities, accuracy for labels, RMSE
// for values).
func pick(m Metric, lower *bool, lowerDefault, higherDefault, usual Metric) Metric {
	switch {
	case m != "":
		return m
	case lower == nil:
		return usual
	case *lower:
		return lowerDefault
	}
	return higherDefault
}

func direction(lower bool) string {
	if lower {
		return "lower"
	}
	return "higher"
}

func joinMetrics() string {
	var s []string
	for _, m := range Metrics() {
		s = append(s, string(m))
	}
	return strings.Join(s, ", ")
}
