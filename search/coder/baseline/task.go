package baseline

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
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
	for _, f := range []string{p.trainFile, p.testFile, p.sampleFile} {
		path := filepath.Join(t.PublicDir, f)
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return p, terr(path, "missing (the baseline needs %s, %s and %s: tabular tasks only)", p.trainFile, p.testFile, p.sampleFile)
			}
			return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
		}
		paths[f] = path
	}
	trainHdr, err := readHeader(paths[p.trainFile])
	if err != nil {
		return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	testHdr, err := readHeader(paths[p.testFile])
	if err != nil {
		return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	sample, err := readColumns(paths[p.sampleFile], nil, uniqueRows)
	if err != nil {
		return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	inTrain, inTest := set(trainHdr), set(testHdr)

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

	exclude := set(p.Targets)
	exclude[p.IDColumn] = true
	exclude[p.LabelColumn] = true
	for _, c := range trainHdr {
		if inTest[c] && !exclude[c] {
			p.Features = append(p.Features, c)
		}
	}
	if len(p.Features) == 0 {
		return p, terr(paths[p.trainFile], "no feature columns shared by %s and %s", p.trainFile, p.testFile)
	}
	feats, err := readColumns(paths[p.trainFile], p.Features, featureRows)
	if err != nil {
		return p, fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	for _, c := range p.Features {
		numeric := true
		for _, v := range feats.values(c) {
			if missingCell(v) {
				p.HasMissing = true
				continue
			}
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				numeric = false
			}
		}
		if numeric {
			p.Numeric = append(p.Numeric, c)
		} else {
			p.Categorical = append(p.Categorical, c)
		}
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

type classMatch struct {
	ClassColumn
	matched bool
}

// mapClasses ties each probability column to a label: the exact label, or
// the longest label the column name ends with after a separator
// ("Class_3" -> "3", "proba-cat" -> "cat"); unmatched columns take the part
// of the name after the columns' common separator-ended prefix.
func mapClasses(cols, labels []string) []classMatch {
	prefix := commonPrefix(cols)
	if i := strings.LastIndexAny(prefix, "_- ."); i >= 0 {
		prefix = prefix[:i+1]
	} else {
		prefix = ""
	}
	out := make([]classMatch, len(cols))
	for i, c := range cols {
		out[i] = classMatch{ClassColumn: ClassColumn{Column: c, Label: strings.TrimPrefix(c, prefix)}}
		best := ""
		for _, l := range labels {
			if c == l {
				best = l
				break
			}
			if strings.EqualFold(c, l) {
				best = l
				continue
			}
			if !strings.EqualFold(best, c) && len(l) > len(best) && len(c) > len(l) && strings.HasSuffix(c, l) &&
				strings.ContainsRune("_- .", rune(c[len(c)-len(l)-1])) {
				best = l
			}
		}
		if best != "" {
			out[i].Label, out[i].matched = best, true
		}
	}
	return out
}

func commonPrefix(ss []string) string {
	if len(ss) < 2 {
		return ""
	}
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// looksCategorical: any non-numeric value, or few integer levels.
func looksCategorical(vals []string) bool {
	levels := map[string]bool{}
	for _, v := range vals {
		if missingCell(v) {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return true
		}
		if f != math.Trunc(f) {
			return false
		}
		levels[v] = true
	}
	return len(levels) <= 2 || (len(levels) <= maxClasses && len(levels)*20 <= len(vals))
}

// positiveLabel picks the class whose probability a binary column holds.
func positiveLabel(levels []string) string {
	for _, l := range levels {
		switch strings.ToLower(l) {
		case "1", "1.0", "true", "yes", "y", "t", "positive", "pos":
			return l
		}
	}
	return levels[len(levels)-1]
}

// fractional reports whether the sample's values look like probabilities:
// all numbers in [0,1] and not all of them 0 or 1.
func fractional(vals []string) bool {
	frac := false
	for _, v := range vals {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return false
		}
		if f != 0 && f != 1 {
			frac = true
		}
	}
	return frac
}

func fractionalAny(c *columns, cols []string) bool {
	for _, col := range cols {
		if fractional(c.values(col)) {
			return true
		}
	}
	return false
}

func numericIn01(levels []string) bool {
	for _, l := range levels {
		f, err := strconv.ParseFloat(l, 64)
		if err != nil || (f != 0 && f != 1) {
			return false
		}
	}
	return true
}

// distinct returns the non-empty distinct values, sorted numerically when
// all are numbers (as pandas/numpy would sort them), else as strings.
func distinct(vals []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vals {
		if !missingCell(v) && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	numeric := true
	for _, v := range out {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			numeric = false
			break
		}
	}
	if numeric {
		slices.SortFunc(out, func(a, b string) int {
			fa, _ := strconv.ParseFloat(a, 64)
			fb, _ := strconv.ParseFloat(b, 64)
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return strings.Compare(a, b)
		})
	} else {
		slices.Sort(out)
	}
	return out
}

func set(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// columns holds some columns of the first rows of a CSV file.
type columns struct {
	header []string
	index  map[string]int
	cols   map[string][]string
	rows   int
}

func (c *columns) values(col string) []string { return c.cols[col] }

func (c *columns) unique(col string) bool {
	vals := c.cols[col]
	seen := make(map[string]struct{}, len(vals))
	for _, v := range vals {
		if _, dup := seen[v]; dup {
			return false
		}
		seen[v] = struct{}{}
	}
	return len(vals) > 0
}

func openCSV(path string) (*os.File, *csv.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	return f, r, nil
}

func readHeader(path string) ([]string, error) {
	f, r, err := openCSV(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read header of %s: %w", path, err)
	}
	return cleanHeader(h), nil
}

func cleanHeader(h []string) []string {
	out := slices.Clone(h)
	if len(out) > 0 {
		out[0] = strings.TrimPrefix(out[0], "\ufeff")
	}
	return out
}

// readColumns reads the named columns (all when want is nil) of up to
// maxRows rows.
func readColumns(path string, want []string, maxRows int) (*columns, error) {
	f, r, err := openCSV(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read header of %s: %w", path, err)
	}
	c := &columns{header: cleanHeader(h), index: map[string]int{}, cols: map[string][]string{}}
	for i, name := range c.header {
		if _, dup := c.index[name]; !dup {
			c.index[name] = i
		}
	}
	if want == nil {
		want = c.header
	}
	for c.rows < maxRows {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		for _, name := range want {
			i, ok := c.index[name]
			v := ""
			if ok && i < len(rec) {
				v = strings.TrimSpace(rec[i])
			}
			c.cols[name] = append(c.cols[name], v)
		}
		c.rows++
	}
	return c, nil
}
