package results_test

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/results"
)

// TestTaskRowJSONKeepsEveryField: the JSON of a task row carries every
// field of the row (incomplete_nodes was once lost by a hand-written
// MarshalJSON), with non-finite thresholds named as strings.
func TestTaskRowJSONKeepsEveryField(t *testing.T) {
	inf, half := results.Number(math.Inf(1)), results.Number(0.5)
	row := results.TaskRow{Run: "r", Group: "g", Task: "t", Split: "low", Runs: 3, Finished: 2, Graded: 1,
		Scores: []*results.Number{&half, nil}, Medals: "G?", GoldThreshold: &inf, SilverThreshold: &half,
		BronzeThreshold: &half, MedianThreshold: &half, LowerIsBetter: true, Nodes: 4, BuggyPct: 25,
		BestStage: "improve", IncompleteNodes: 1}
	raw, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	rt := reflect.TypeOf(row)
	for i := 0; i < rt.NumField(); i++ {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		if _, ok := got[name]; !ok {
			t.Errorf("task row JSON lacks %q: %s", name, raw)
		}
	}
	if got["gold_threshold"] != "Infinity" || got["silver_threshold"] != 0.5 {
		t.Errorf("thresholds: %s", raw)
	}
	if s, ok := got["scores"].([]any); !ok || len(s) != 2 || s[0] != 0.5 || s[1] != nil {
		t.Errorf("scores: %s", raw)
	}
}
