package results_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mlbench/mlbench/results"
)

// fixtureItem describes one synthetic work item.
type fixtureItem struct {
	task   string
	split  string
	seed   int
	params map[string]string
	state  string
	// grade: gold, silver, bronze, none (valid, no medal), nan and -inf
	// (valid, a non-finite score), invalid, nosub,
	// or "" for no grade.json.
	grade string
	// modality and fallback go to status.json as the agent reports them.
	modality, fallback string
	nodes              int
	buggy              int // every buggy-th node is buggy (0: none)
	// nodeMedals, when set, grades node k with nodeMedals[k%len] (see
	// NodeRow.Medal); "" leaves it ungraded.
	nodeMedals []string
	// nodeEvery is the time between node finishes (default 10 minutes).
	nodeEvery time.Duration
	// rising makes each valid node's metric better than the last.
	rising bool
	// plan is every node's plan text (default "plan").
	plan string
}

var fixtureStart = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// writeFixtureRun creates a run directory with the given items and
// returns its path. Everything is deterministic.
func writeFixtureRun(tb testing.TB, dir, runID string, items []fixtureItem) string {
	tb.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	m := results.Manifest{RunID: runID}
	for i, it := range items {
		m.Items = append(m.Items, results.ManifestItem{Index: i, TaskID: it.task, Split: it.split, Seed: it.seed, Params: it.params})
	}
	if err := results.WriteJSON(filepath.Join(dir, results.ManifestFile), m); err != nil {
		tb.Fatal(err)
	}
	for i, it := range items {
		if err := writeFixtureItem(dir, runID, i, it, m.Items[i]); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func writeFixtureItem(runDir, runID string, index int, it fixtureItem, mi results.ManifestItem) error {
	if it.state == results.StatePending || it.state == "" {
		return nil // never started: no item directory
	}
	dir := results.ItemDir(runDir, index)
	if err := os.MkdirAll(filepath.Join(dir, results.BestDir), 0o755); err != nil {
		return err
	}
	every := it.nodeEvery
	if every == 0 {
		every = 10 * time.Minute
	}
	st := results.ItemStatus{State: it.state, Attempts: 1, StartedAt: fixtureStart, Modality: it.modality, Fallback: it.fallback}
	if it.state != results.StateRunning {
		st.FinishedAt = fixtureStart.Add(time.Duration(it.nodes)*every + 5*time.Minute)
	}
	if err := results.WriteJSON(filepath.Join(dir, results.StatusFile), st); err != nil {
		return err
	}
	rows := fixtureNodes(runID, index, it, mi)
	if len(rows) > 0 {
		half := len(rows) / 2
		if err := results.WriteNodesFile(filepath.Join(dir, results.TracePartName(0)), rows[:half]); err != nil {
			return err
		}
		if err := results.WriteNodesFile(filepath.Join(dir, results.TracePartName(1)), rows[half:]); err != nil {
			return err
		}
		best := rows[len(rows)-1].NodeID
		for k := len(rows) - 1; k >= 0; k-- {
			if !rows[k].IsBuggy {
				best = rows[k].NodeID
				break
			}
		}
		if err := os.WriteFile(filepath.Join(dir, results.BestDir, results.BestNodeIDFile), []byte(best+"\n"), 0o644); err != nil {
			return err
		}
	}
	if it.grade == "" {
		return nil
	}
	g := results.Grade{CompetitionID: it.task, GoldThreshold: 0.9, SilverThreshold: 0.85,
		BronzeThreshold: 0.8, MedianThreshold: 0.7, SubmissionExists: true, ValidSubmission: true,
		SubmissionPath: "best/submission.csv"}
	switch it.grade {
	case "gold":
		g.Score, g.GoldMedal, g.AnyMedal, g.AboveMedian = fp(0.95), true, true, true
	case "silver":
		g.Score, g.SilverMedal, g.AnyMedal, g.AboveMedian = fp(0.87), true, true, true
	case "bronze":
		g.Score, g.BronzeMedal, g.AnyMedal, g.AboveMedian = fp(0.81), true, true, true
	case "none":
		g.Score = fp(0.6)
	case "nan": // valid, the reference's metric is NaN (constant predictions)
		g.Score = fp(math.NaN())
	case "-inf": // valid, a log-scaled metric of a perfect prediction
		g.Score = fp(math.Inf(-1))
	case "invalid":
		g.ValidSubmission = false
	case "nosub":
		g.SubmissionExists, g.ValidSubmission = false, false
	default:
		return fmt.Errorf("unknown grade %q", it.grade)
	}
	if err := results.WriteJSON(filepath.Join(dir, results.GradeFile), g); err != nil {
		return err
	}
	return nil
}

// fixtureNodes builds the node rows of one item.
func fixtureNodes(runID string, index int, it fixtureItem, mi results.ManifestItem) []results.NodeRow {
	every := it.nodeEvery
	if every == 0 {
		every = 10 * time.Minute
	}
	rows := make([]results.NodeRow, it.nodes)
	stages := []string{results.StageDraft, results.StageImprove, results.StageImprove, results.StageDebug}
	params := mi.ParamsJSON()
	plan := it.plan
	if plan == "" {
		plan = "plan"
	}
	for k := range rows {
		r := &rows[k]
		*r = results.NodeRow{
			RunID: runID, Item: int64(index), TaskID: it.task, Seed: int64(it.seed), Params: params,
			NodeID: fmt.Sprintf("%d-%d", index, k), Step: int64(k + 1), Stage: stages[k%len(stages)],
			Worker: int64(k % 2), CreatedAt: fixtureStart.Add(time.Duration(k) * every),
			FinishedAt: fixtureStart.Add(time.Duration(k+1) * every),
			LLMSeconds: 30, ExecSeconds: 60, PromptTokens: 2000, CompletionTokens: 500, CostUSD: 0.01,
			FormatValid: true, UCTC: 1, Visits: 1, Plan: plan, Summary: "summary", CodeSHA256: "sha",
		}
		if k > 0 {
			r.ParentID = fmt.Sprintf("%d-%d", index, (k-1)/2)
		}
		if it.buggy > 0 && k%it.buggy == it.buggy-1 {
			r.IsBuggy, r.ExitCode, r.FormatValid, r.Error = true, 1, false, "Traceback"
		} else {
			v := 0.5 + float64((k*37)%50)/100
			if it.rising {
				v = 0.5 + float64(k)/1000
			}
			r.Metric = &v
		}
		if len(it.nodeMedals) > 0 {
			if m := it.nodeMedals[k%len(it.nodeMedals)]; m != "" {
				r.Medal = &m
				s := 0.5
				r.TestScore = &s
			}
		}
	}
	return rows
}

func fp(f float64) *float64 { return &f }
