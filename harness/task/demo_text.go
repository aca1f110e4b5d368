package task

const demoFilesText = `
## Files
- train.csv: the training set, with the target.
- test.csv: the test set, without the target.
- sample_submission.csv: a submission in the correct format.

## Features
- id: the row id.
- x1 ... x8: numeric features (x3 has missing values).
- cat1, cat2: categorical features.
`

const binaryDescription = `# Demo: binary classification (ROC AUC)

A synthetic tabular task bundled with mlbench. Predict the probability that
` + "`target`" + ` is 1 for every row of the test set.

## Evaluation
Submissions are evaluated on the area under the ROC curve between the
predicted probability and the observed target (higher is better).

## Submission format
A CSV with a header and one row per test id:

    id,target
    4000,0.5
    4001,0.5
` + demoFilesText

// logLossRules are the evaluation and submission sections of the log-loss
// tasks' descriptions, up to the example.
const logLossRules = `## Evaluation
Submissions are evaluated with the multi-class logarithmic loss (lower is
better). Each row's probabilities must lie in [0, 1] and sum to 1.

## Submission format
A CSV with a header and one row per test id:
`

const multiclassDescription = `# Demo: multiclass classification (log loss)

A synthetic tabular task bundled with mlbench. Predict, for every row of the
test set, the probability of each of the three classes of ` + "`label`" + `:
alpha, beta and gamma.

` + logLossRules + `
    id,alpha,beta,gamma
    4000,0.33333,0.33333,0.33333
` + demoFilesText

const regressionDescription = `# Demo: regression (RMSE)

A synthetic tabular task bundled with mlbench. Predict the continuous target
` + "`y`" + ` for every row of the test set.

## Evaluation
Submissions are evaluated on the root mean squared error (lower is better).

## Submission format
A CSV with a header and one row per test id:

    id,y
    4000,10.0
` + demoFilesText

const accuracyDescription = `# Demo: multiclass classification (accuracy)

A synthetic tabular task bundled with mlbench. Predict the class of
` + "`label`" + ` (alpha, beta or gamma) for every row of the test set.

## Evaluation
Submissions are evaluated on classification accuracy (higher is better).

## Submission format
A CSV with a header and one row per test id:

    id,label
    4000,alpha
` + demoFilesText
