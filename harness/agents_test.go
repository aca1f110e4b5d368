package harness_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/grader"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
)

// copycat is a second agent, registered through the same door as ours: it
// hands in the task's sample submission as its only candidate.
type copycat struct {
	graded, closed *atomic.Int32
}

var copycatGraded, copycatClosed atomic.Int32

func init() {
	harness.RegisterAgent("copycat", func(*configs.Config, harness.ItemOptions) (harness.Agent, error) {
		return &copycat{graded: &copycatGraded, closed: &copycatClosed}, nil
	})
}

func (c *copycat) Solve(_ context.Context, env harness.AgentEnv) (harness.AgentResult, error) {
	b, err := os.ReadFile(filepath.Join(env.Task.PublicDir, "sample_submission.csv"))
	if err != nil {
		return harness.AgentResult{}, err
	}
	sub := filepath.Join(env.ItemDir, "agent", "submission.csv")
	if err := os.MkdirAll(filepath.Dir(sub), 0o755); err != nil {
		return harness.AgentResult{}, err
	}
	if err := os.WriteFile(sub, b, 0o644); err != nil {
		return harness.AgentResult{}, err
	}
	return harness.AgentResult{Submission: sub, BestNode: "sample", Nodes: 1, Stop: "done"}, nil
}

func (c *copycat) Graded(_ context.Context, rep *grader.Report) {
	if rep != nil && rep.ValidSubmission {
		c.graded.Add(1)
	}
}

func (c *copycat) Close() error { c.closed.Add(1); return nil }

func TestAgentDoor(t *testing.T) {
	needPython(t)
	cfg := testConfig(t, "agent.kind=copycat")
	run := planOne(t, cfg, "demo-regression-rmse")
	out, err := harness.RunItem(context.Background(), run, 0, harness.ItemOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status.State != results.StateDone || out.Agent.Nodes != 1 || out.Agent.BestNode != "sample" {
		t.Errorf("outcome %+v, want done with the copycat's one node", out)
	}
	if out.Grade == nil || !out.Grade.ValidSubmission {
		t.Errorf("grade %+v, want the sample submission graded valid", out.Grade)
	}
	if _, err := os.Stat(filepath.Join(run.ItemDir(0), results.GradeFile)); err != nil {
		t.Errorf("grade.json: %v", err)
	}
	if copycatGraded.Load() != 1 || copycatClosed.Load() != 1 {
		t.Errorf("Graded called %d times, Close %d, want 1 and 1", copycatGraded.Load(), copycatClosed.Load())
	}
}

func TestAgentKinds(t *testing.T) {
	kinds := harness.AgentKinds()
	if strings.Join(kinds, ",") != "copycat,external,mlbench" {
		t.Errorf("AgentKinds() = %v, want [copycat external mlbench]", kinds)
	}
	_, err := configs.Load(configs.Options{Sets: []string{"agent.kind=nope"}, Env: []string{}})
	var fe *configs.FieldError
	if !errors.As(err, &fe) || fe.Field != "agent.kind" || !strings.Contains(err.Error(), "copycat") || !strings.Contains(err.Error(), "mlbench") {
		t.Errorf("agent.kind=nope: %v, want a field error listing the registered kinds", err)
	}
}
