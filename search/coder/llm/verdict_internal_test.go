package llm

import (
	"math"
	"testing"
)

// FuzzVerdictInText fuzzes the reader of reviews a model writes as text
// (the fallback when tool calls cannot be forced). It lives inside the
// package because that reader is not exported.
func FuzzVerdictInText(f *testing.F) {
	for _, s := range []string{
		"```json\n{\"is_bug\": false, \"has_csv_submission\": true, \"summary\": \"ok\", \"metric\": 0.5, \"lower_is_better\": false}\n```",
		`text {"is_bug": "true", "metric": "1e309"} more`,
		`{"is_bug": false, "metric": 12345678901234567890123}`,
		`{"is_bug": false, "metric": {"value": 1}, "summary": ["a"]}`,
		`{{{{"is_bug": true}`,
		`null`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := verdictInText(s)
		if !ok {
			return
		}
		if v.Metric != nil && (math.IsNaN(*v.Metric) || math.IsInf(*v.Metric, 0)) {
			t.Fatalf("non-finite metric %v", *v.Metric)
		}
	})
}
