package baseline

import (
	"slices"
	"strings"
)

// Metric is a canonical metric kind the generated code can compute on its
// hold-out: roc_auc, log_loss, accuracy, error, f1, f1_macro, f1_micro, qwk,
// mcc, rmse, mse, mae, rmsle or r2.
type Metric string

// The metric kinds.
const (
	MetricROCAUC   Metric = "roc_auc"
	MetricLogLoss  Metric = "log_loss"
	MetricAccuracy Metric = "accuracy"
	MetricError    Metric = "error"
	MetricF1       Metric = "f1"
	MetricF1Macro  Metric = "f1_macro"
	MetricF1Micro  Metric = "f1_micro"
	MetricQWK      Metric = "qwk"
	MetricMCC      Metric = "mcc"
	MetricRMSE     Metric = "rmse"
	MetricMSE      Metric = "mse"
	MetricMAE      Metric = "mae"
	MetricRMSLE    Metric = "rmsle"
	MetricR2       Metric = "r2"
)

// needs says what a metric scores: class probabilities, class labels or
// real values.
type needs int

const (
	needsProba needs = iota + 1
	needsLabel
	needsValue
)

type metricInfo struct {
	lower bool
	needs needs
}

var metrics = map[Metric]metricInfo{
	MetricROCAUC:   {false, needsProba},
	MetricLogLoss:  {true, needsProba},
	MetricAccuracy: {false, needsLabel},
	MetricError:    {true, needsLabel},
	MetricF1:       {false, needsLabel},
	MetricF1Macro:  {false, needsLabel},
	MetricF1Micro:  {false, needsLabel},
	MetricQWK:      {false, needsLabel},
	MetricMCC:      {false, needsLabel},
	MetricRMSE:     {true, needsValue},
	MetricMSE:      {true, needsValue},
	MetricMAE:      {true, needsValue},
	MetricRMSLE:    {true, needsValue},
	MetricR2:       {false, needsValue},
}

// metricAliases maps normalised spellings (lower case, '_' and ' ' as '-')
// to canonical kinds. It covers the MLE-Bench grader names of tabular
// competitions and the usual short names.
var metricAliases = map[string]Metric{
	"roc-auc": MetricROCAUC, "auc": MetricROCAUC, "auroc": MetricROCAUC, "auc-roc": MetricROCAUC,
	"rocauc": MetricROCAUC, "mean-column-wise-roc-auc": MetricROCAUC, "column-wise-roc-auc": MetricROCAUC,
	"auroc-multi-label": MetricROCAUC, "weighted-auroc": MetricROCAUC,
	"log-loss": MetricLogLoss, "logloss": MetricLogLoss, "multi-class-log-loss": MetricLogLoss,
	"binary-log-loss": MetricLogLoss, "cross-entropy": MetricLogLoss, "weighted-multi-label-log-loss": MetricLogLoss,
	"accuracy": MetricAccuracy, "acc": MetricAccuracy, "multi-class-classification-accuracy": MetricAccuracy,
	"classification-accuracy": MetricAccuracy,
	"error":                   MetricError, "error-rate": MetricError, "top-1-classification-error": MetricError,
	"f1": MetricF1, "f1-score": MetricF1, "binary-f1": MetricF1,
	"f1-macro": MetricF1Macro, "macro-f1": MetricF1Macro, "macro-f1-score": MetricF1Macro,
	"f1-micro": MetricF1Micro, "micro-f1": MetricF1Micro, "micro-f1-score": MetricF1Micro,
	"qwk": MetricQWK, "quadratic-weighted-kappa": MetricQWK, "kappa": MetricQWK, "cohen-kappa": MetricQWK,
	"mcc": MetricMCC, "matthews-correlation-coefficient": MetricMCC,
	"rmse": MetricRMSE, "root-mean-squared-error": MetricRMSE,
	"mse": MetricMSE, "mean-squared-error": MetricMSE,
	"mae": MetricMAE, "mean-absolute-error": MetricMAE,
	"rmsle": MetricRMSLE, "root-mean-squared-log-error": MetricRMSLE, "mean-column-wise-rmsle": MetricRMSLE,
	"r2": MetricR2, "r2-score": MetricR2, "coefficient-of-determination": MetricR2,
}

// ParseMetric returns the canonical kind of a metric name (canonical names,
// MLE-Bench grader names such as "auc-roc" or "multi-class-log-loss", and
// common short names), and whether it is known.
func ParseMetric(name string) (Metric, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.NewReplacer("_", "-", " ", "-").Replace(n)
	m, ok := metricAliases[n]
	return m, ok
}

// LowerIsBetter reports the metric's direction; false for unknown kinds.
func (m Metric) LowerIsBetter() bool { return metrics[m].lower }

// Known reports whether m is a canonical kind.
func (m Metric) Known() bool { _, ok := metrics[m]; return ok }

// Metrics lists the canonical kinds, sorted.
func Metrics() []Metric {
	out := make([]Metric, 0, len(metrics))
	for m := range metrics {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}
