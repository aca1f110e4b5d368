package results_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/results"
)

// TestModalityCounts: the Modalities table counts finished items per
// modality, a fallback never as modelled, and is absent when no item says
// its modality.
func TestModalityCounts(t *testing.T) {
	gold := 0.9
	run := &results.Run{Label: "r", Rows: []results.ResultRow{
		{Status: results.StateDone, Modality: "image", ValidSubmission: true, AnyMedal: true, Score: &gold},
		{Status: results.StateDone, Modality: "image", ValidSubmission: true, Fallback: true, FallbackReason: "masks"},
		{Status: results.StateFailed, Modality: "audio"},
		{Status: results.StateDone, Modality: "text", ValidSubmission: true},
		{Status: results.StateRunning, Modality: "text"}, // not finished: not counted
	}}
	rep, err := results.BuildReport([]*results.Run{run}, results.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []results.ModalityRow{
		{Run: "r", Modality: "audio", Items: 1},
		{Run: "r", Modality: "image", Items: 2, Modelled: 1, Fallback: 1, Valid: 2, AnyMedal: 1},
		{Run: "r", Modality: "text", Items: 1, Modelled: 1, Valid: 1},
	}
	if len(rep.Modalities) != len(want) {
		t.Fatalf("modalities %+v, want %+v", rep.Modalities, want)
	}
	for i := range want {
		if rep.Modalities[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, rep.Modalities[i], want[i])
		}
	}
	var b bytes.Buffer
	if err := rep.Render(&b, results.FormatTable); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Modalities") || !strings.Contains(b.String(), "Fallback") {
		t.Errorf("table lacks the Modalities section:\n%s", b.String())
	}

	old := &results.Run{Label: "old", Rows: []results.ResultRow{{Status: results.StateDone, ValidSubmission: true}}}
	rep, err = results.BuildReport([]*results.Run{old}, results.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Modalities) != 0 {
		t.Errorf("a run without modalities got %+v", rep.Modalities)
	}
}
