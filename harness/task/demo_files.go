package task

import (
	"bytes"
	"strings"
)

// demoCSVs are a demo task's tables as its generator writes them: the
// public train and test tables, the sample submission and the private
// answers (which share the sample's header).
type demoCSVs struct{ train, test, sample, answers bytes.Buffer }

// newDemoCSVs starts the tables with their headers; a task without a
// test.csv (its test rows are files) passes "" for it.
func newDemoCSVs(trainHeader, testHeader, submissionHeader string) *demoCSVs {
	d := &demoCSVs{}
	d.train.WriteString(trainHeader + "\n")
	if testHeader != "" {
		d.test.WriteString(testHeader + "\n")
	}
	d.sample.WriteString(submissionHeader + "\n")
	d.answers.WriteString(submissionHeader + "\n")
	return d
}

// files lays out the task as MLE-Bench prepares a competition: the tables,
// the description, the leaderboard and the task's spec.
func (d *demoCSVs) files(description string, leaderboard, spec []byte) map[string][]byte {
	f := map[string][]byte{
		"prepared/public/train.csv":             d.train.Bytes(),
		"prepared/public/sample_submission.csv": d.sample.Bytes(),
		"prepared/public/description.md":        []byte(description),
		"prepared/private/test.csv":             d.answers.Bytes(),
		"leaderboard.csv":                       leaderboard,
		SpecFile:                                spec,
	}
	if d.test.Len() > 0 {
		f["prepared/public/test.csv"] = d.test.Bytes()
	}
	return f
}

// oneHot is the answer row of class k of n: "0,1,0".
func oneHot(k, n int) string {
	oh := make([]string, n)
	for i := range oh {
		oh[i] = "0"
	}
	oh[k] = "1"
	return strings.Join(oh, ",")
}

// uniformRow is the sample row of n equally likely classes.
func uniformRow(n int) string {
	return strings.TrimSuffix(strings.Repeat(ff(1/float64(n))+",", n), ",")
}
