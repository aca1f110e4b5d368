// Package baseline is the offline coder and reviewer of the search: a
// small AutoML baseline for tabular, image and text tasks in MLE-Bench's
// prepared layouts that needs no LLM. It is the no-LLM row of ablations and
// a way to smoke-test a cluster without spending tokens.
//
// The inspector reads the modality from the layout (modality.go): a column
// naming image files in a folder or a zip archive (extracted by the code
// into its work dir, never into the read-only data) makes an image task,
// whose images become pixel, colour-histogram and gradient-histogram
// features (modality.py); free-text columns make a text task, vectorised
// by TF-IDF word and character n-grams. A task no family fits (masks,
// boxes, sequences, audio, an unknown metric) gets a fallback
// (fallback.go, fallback.py): the sample submission filled with the best
// guess the training targets allow, marked by FallbackOf so results can
// count it honestly.
//
// New inspects the task's public files (Inspect): the id column, the
// prediction columns, the problem type (binary, multiclass, regression,
// multi-label, multi-output regression), the submission's output (a
// probability, one probability column per class, a label, a value) and the
// metric. Every solution it writes is the same fixed Python pipeline
// (numpy, pandas, scikit-learn, and xgboost when importable) driven by a
// Spec: the model family with its hyperparameters and the feature
// preparation. The spec is embedded in the code as a comment line
//
//	# mlbench-spec: {"v":1,"family":"rf",...}
//
// so the coder can rebuild any node's pipeline from its snapshot alone:
//
//   - Draft takes a model family no earlier draft used (logistic/ridge,
//     random forest, histogram gradient boosting, k-NN, extra trees,
//     xgboost).
//   - Improve applies one concrete move to the parent's spec
//     (hyperparameters, encoding, imputation, scaling, log1p target,
//     interactions, or an ensemble with the best other known pipeline),
//     never one a sibling already tried.
//   - Debug reads the parent's failure (columns named in the traceback,
//     conversion errors, rejected parameters, timeouts, memory) and falls
//     back (drop columns, strict typing, default parameters, fewer trees
//     and rows, a simpler family).
//
// The code scores a hold-out (20%, stratified for single-label
// classification, split by the coder's seed so every node sees the same
// one) with the task's metric and prints "validation_metric: <v>", refits
// on all training rows and writes the submission with exactly the sample
// submission's columns and id order. Reviewer reads that line and the
// execution facts.
package baseline
