package slurm_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/configs/configstest"
	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
	slurmsched "github.com/mlbench/mlbench/scheduler/slurm"
	sl "github.com/mlbench/mlbench/slurm"
)

// fakeCluster answers sbatch with increasing job ids and squeue with a
// canned reply, recording every call.
type fakeCluster struct {
	mu     sync.Mutex
	calls  []string
	nextID int
	queue  string
	fail   map[string]string // command -> stderr of a failure
}

func (f *fakeCluster) run(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, strings.Join(append([]string{name}, args...), " "))
	if msg, ok := f.fail[name]; ok {
		return nil, []byte(msg), errors.New("exit status 1")
	}
	switch name {
	case "sbatch":
		f.nextID++
		return []byte(fmt.Sprintf("%d\n", 100+f.nextID)), nil, nil
	case "squeue":
		return []byte(f.queue), nil, nil
	case "scontrol":
		return []byte("MaxArraySize            = 1001\n"), nil, nil
	}
	return nil, nil, nil
}

func (f *fakeCluster) client() *sl.Client {
	return &sl.Client{Run: f.run, Sleep: func(context.Context, time.Duration) error { return nil }}
}

func (f *fakeCluster) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func testConfig(t testing.TB, sets ...string) *configs.Config {
	t.Helper()
	return configstest.Load(t, append([]string{"slurm.cpus_per_task=1", "slurm.mem=1G", "slurm.time=10:00"}, sets...)...)
}

// plan makes a run of the four tabular demo tasks with seeds seeds and
// a grid of points sweep points (search.uct_c values). The item counts
// the tests assert on are fixed here, not by how many tasks the demo
// suite grows to.
func plan(t testing.TB, cfg *configs.Config, seeds int, grid ...harness.Axis) *harness.Run {
	t.Helper()
	tasks, err := harness.RegistryFrom(cfg).Suite("demo")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) < 4 {
		t.Fatalf("demo suite has %d tasks, the tests need 4", len(tasks))
	}
	tasks = tasks[:4]
	run, err := harness.Plan(harness.PlanRequest{Tasks: tasks, Seeds: seeds, Grid: grid, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func values(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%.3f", 0.5+float64(i)/100)
	}
	return out
}

func allItems(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func TestSubmit(t *testing.T) {
	cfg := testConfig(t, "slurm.array_throttle=2")
	run := plan(t, cfg, 2) // 4 demo tasks x 2 seeds
	f := &fakeCluster{}
	s := &slurmsched.Slurm{Client: f.client(), Config: cfg, Binary: "/usr/local/bin/mlbench", WorkDir: "/work"}
	if err := s.Submit(context.Background(), run.Dir, allItems(8)); err != nil {
		t.Fatal(err)
	}
	if f.count("sbatch") != 1 {
		t.Fatalf("calls %q, want one sbatch", f.calls)
	}
	if len(s.Submitted) != 1 || s.Submitted[0].JobID != "101" || s.Submitted[0].Array != "0-7%2" {
		t.Errorf("submitted %+v", s.Submitted)
	}
	script, err := os.ReadFile(filepath.Join(run.Dir, "slurm", "array.sbatch"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"#SBATCH --job-name=mlbench-" + run.Manifest.RunID,
		"#SBATCH --array=0-7%2",
		"#SBATCH --output=" + run.Dir + "/slurm/logs/%A_%a.out",
		"#SBATCH --cpus-per-task=1", "#SBATCH --mem=1G", "#SBATCH --time=10:00", "#SBATCH --requeue", "#SBATCH --signal=B:USR1@300",
		"exec /usr/local/bin/mlbench worker --slurm --requeue --max-attempts 3 --run " + run.Dir + ` --index "$item"`,
	} {
		if !strings.Contains(string(script), want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	if st, err := os.Stat(filepath.Join(run.Dir, "slurm", "logs")); err != nil || !st.IsDir() {
		t.Errorf("no logs dir: %v", err)
	}
	jobs, err := results.ReadJobs(run.Dir)
	if err != nil || len(jobs.Submissions) != 1 || jobs.Submissions[0].Script != "slurm/array.sbatch" {
		t.Fatalf("jobs.json: %+v, %v", jobs, err)
	}

	// A resubmission of scattered items gets the next script and an index list.
	s.Reason = "resume"
	if err := s.Submit(context.Background(), run.Dir, []int{6, 1, 3}); err != nil {
		t.Fatal(err)
	}
	jobs, _ = results.ReadJobs(run.Dir)
	if len(jobs.Submissions) != 2 {
		t.Fatalf("jobs.json: %+v", jobs)
	}
	second := jobs.Submissions[1]
	if second.Script != "slurm/array.1.sbatch" || second.Base != 1 || second.Array != "0,2,5%2" || second.Reason != "resume" {
		t.Errorf("resubmission %+v", second)
	}
	if item, _ := jobs.Item(second.JobID, 5); item != 6 {
		t.Errorf("element 5 of the resubmission runs item %d, want 6", item)
	}
}

func TestSubmitChunks(t *testing.T) {
	cfg := testConfig(t)
	run := plan(t, cfg, 1, harness.Axis{Key: "search.uct_c", Values: values(25)}) // 100 items
	f := &fakeCluster{}
	s := &slurmsched.Slurm{Client: f.client(), Config: cfg, Binary: "/bin/mlbench", MaxArraySize: 30}
	if err := s.Submit(context.Background(), run.Dir, allItems(100)); err != nil {
		t.Fatal(err)
	}
	if f.count("sbatch") != 4 || len(s.Submitted) != 4 {
		t.Fatalf("%d sbatch calls, want 4 chunks of at most 30", f.count("sbatch"))
	}
	for i, sub := range s.Submitted {
		if sub.Base != 30*i || sub.Array != fmt.Sprintf("0-%d", min(29, 99-30*i)) {
			t.Errorf("chunk %d: %+v", i, sub)
		}
		if _, err := os.Stat(filepath.Join(run.Dir, sub.Script)); err != nil {
			t.Errorf("chunk %d script: %v", i, err)
		}
	}
}

func TestSubmitAsksMaxArraySize(t *testing.T) {
	cfg := testConfig(t)
	run := plan(t, cfg, 1)
	f := &fakeCluster{}
	s := &slurmsched.Slurm{Client: f.client(), Config: cfg, Binary: "/bin/mlbench"}
	if err := s.Submit(context.Background(), run.Dir, allItems(4)); err != nil {
		t.Fatal(err)
	}
	if f.count("scontrol show config") != 1 {
		t.Errorf("calls %q", f.calls)
	}
}

func TestSubmitErrors(t *testing.T) {
	cfg := testConfig(t)
	run := plan(t, cfg, 1)
	f := &fakeCluster{fail: map[string]string{"sbatch": "sbatch: error: Batch job submission failed: Invalid partition name specified"}}
	s := &slurmsched.Slurm{Client: f.client(), Config: cfg, Binary: "/bin/mlbench", MaxArraySize: 100}
	err := s.Submit(context.Background(), run.Dir, allItems(4))
	var ce *sl.CommandError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "Invalid partition") {
		t.Fatalf("want the sbatch error, got %v", err)
	}
	if jobs, _ := results.ReadJobs(run.Dir); len(jobs.Submissions) != 0 {
		t.Errorf("a failed submission was recorded: %+v", jobs)
	}
	if err := s.Submit(context.Background(), run.Dir, []int{4}); err == nil || !strings.Contains(err.Error(), "no item 4") {
		t.Errorf("item out of range: %v", err)
	}
	bad := testConfig(t, "slurm.extra=--output=/tmp/x")
	s = &slurmsched.Slurm{Client: (&fakeCluster{}).client(), Config: bad, Binary: "/bin/mlbench", MaxArraySize: 100}
	var oe *sl.OptionError
	if err := s.Submit(context.Background(), run.Dir, allItems(4)); !errors.As(err, &oe) {
		t.Errorf("reserved extra directive: want *OptionError, got %v", err)
	}
}

func TestDryRunSubmitsNothing(t *testing.T) {
	cfg := testConfig(t)
	run := plan(t, cfg, 1)
	f := &fakeCluster{}
	s := &slurmsched.Slurm{Client: f.client(), Config: cfg, Binary: "/bin/mlbench", DryRun: true}
	if err := s.Submit(context.Background(), run.Dir, allItems(4)); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 0 || len(s.Submitted) != 1 || s.Submitted[0].JobID != "" {
		t.Errorf("calls %q, submitted %+v", f.calls, s.Submitted)
	}
}

func TestContainer(t *testing.T) {
	cfg := testConfig(t, "slurm.container=/images/mlbench.sif", "slurm.gres=gpu:1", "exec.apptainer.binary=/usr/bin/apptainer")
	run := plan(t, cfg, 1)
	s := &slurmsched.Slurm{Client: (&fakeCluster{}).client(), Config: cfg, Binary: "/opt/mlbench/bin/mlbench", WorkDir: "/work", DryRun: true}
	if err := s.Submit(context.Background(), run.Dir, allItems(4)); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(run.Dir, "slurm", "array.sbatch"))
	for _, want := range []string{"exec /usr/bin/apptainer exec --bind " + filepath.Dir(run.Dir), "--bind /opt/mlbench/bin", "--bind " + cfg.Data.DemoDir, " --nv /images/mlbench.sif /opt/mlbench/bin/mlbench worker --slurm"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("script lacks %q:\n%s", want, b)
		}
	}
}

func TestCancel(t *testing.T) {
	cfg := testConfig(t)
	run := plan(t, cfg, 1)
	f := &fakeCluster{}
	s := &slurmsched.Slurm{Client: f.client(), Config: cfg, Binary: "/bin/mlbench", MaxArraySize: 100}
	if err := s.Submit(context.Background(), run.Dir, allItems(4)); err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(context.Background(), run.Dir, []int{2}); err != nil {
		t.Fatal(err)
	}
	for range 2 { // idempotent
		if err := s.Cancel(context.Background(), run.Dir); err != nil {
			t.Fatal(err)
		}
	}
	if !results.Cancelled(run.Dir) {
		t.Error("no cancel marker")
	}
	if f.count("scancel 101 102") != 2 || f.count("scancel --name=mlbench-"+run.Manifest.RunID) != 2 {
		t.Errorf("calls %q", f.calls)
	}
	// Submitting again (a resume) clears the marker.
	if err := s.Submit(context.Background(), run.Dir, []int{2}); err != nil {
		t.Fatal(err)
	}
	if results.Cancelled(run.Dir) {
		t.Error("resubmission kept the cancel marker")
	}
}

func writeStatus(t testing.TB, run *harness.Run, i int, st results.ItemStatus) {
	t.Helper()
	dir := run.ItemDir(i)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteJSON(filepath.Join(dir, results.StatusFile), st); err != nil {
		t.Fatal(err)
	}
}

func TestObserve(t *testing.T) {
	cfg := testConfig(t)
	run := plan(t, cfg, 3) // 12 items
	f := &fakeCluster{}
	s := &slurmsched.Slurm{Client: f.client(), Config: cfg, Binary: "/bin/mlbench", MaxArraySize: 100}
	if err := s.Submit(context.Background(), run.Dir, allItems(12)); err != nil { // job 101, base 0
		t.Fatal(err)
	}
	if err := s.Submit(context.Background(), run.Dir, []int{9, 10}); err != nil { // job 102, base 9
		t.Fatal(err)
	}
	writeStatus(t, run, 0, results.ItemStatus{State: results.StateDone, Attempts: 1})
	writeStatus(t, run, 1, results.ItemStatus{State: results.StateFailed, Attempts: 1, Error: "boom"})
	writeStatus(t, run, 2, results.ItemStatus{State: results.StateRunning, Attempts: 1})
	writeStatus(t, run, 3, results.ItemStatus{State: results.StateRunning, Attempts: 1}) // not in the queue: lost
	writeStatus(t, run, 4, results.ItemStatus{State: results.StatePending, Attempts: 1, Error: "requeued after SIGTERM on attempt 1"})
	writeStatus(t, run, 5, results.ItemStatus{State: results.StateCancelled, Attempts: 1})
	writeStatus(t, run, 9, results.ItemStatus{State: results.StateFailed, Attempts: 2})
	// Items 6-8 pending in a range; 10 and 11 not queued any more; item 9
	// is queued again by the second array.
	f.queue = "101|4,6-8%2|101|PENDING|JobArrayTaskLimit\n101|2|140|RUNNING|None\n102|0|102|PENDING|Priority\n999|0|999|RUNNING|None\n"
	snap, err := slurmsched.Observe(context.Background(), f.client(), run.Dir, run.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"done", "failed", "running", "lost", "requeued", "cancelled", "queued", "queued", "queued", "requeued", "unqueued", "unqueued"}
	for i, st := range snap.Items {
		if st.Show != want[i] {
			t.Errorf("item %d: %s (%+v), want %s", i, st.Show, st, want[i])
		}
	}
	if snap.Items[9].Element != "102_0" || snap.Items[2].Element != "101_2" || snap.Items[6].Reason != "JobArrayTaskLimit" {
		t.Errorf("elements: %+v %+v %+v", snap.Items[9], snap.Items[2], snap.Items[6])
	}
	if snap.Counts["queued"] != 3 || snap.Finished() != 1+1 || snap.Active != 3 {
		t.Errorf("counts %v, finished %d, active %d", snap.Counts, snap.Finished(), snap.Active)
	}
	if want := "squeue --noheader --jobs=101,102 --format=" + sl.QueueFormat; f.calls[len(f.calls)-1] != want {
		t.Errorf("last call %q, want one squeue for the run: %q", f.calls[len(f.calls)-1], want)
	}

	// Slurm down: the run dir alone; a running item is shown running.
	f.fail = map[string]string{"squeue": "squeue: error: Invalid user for SlurmUser"}
	snap, err = slurmsched.Observe(context.Background(), f.client(), run.Dir, run.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if snap.QueueErr == nil || snap.Items[3].Show != "running" || snap.Items[6].Show != "pending" {
		t.Errorf("without the queue: %v %+v", snap.QueueErr, snap.Items[3])
	}
}

func TestObserveDamagedStatus(t *testing.T) {
	cfg := testConfig(t)
	run := plan(t, cfg, 1)
	os.MkdirAll(run.ItemDir(2), 0o755)
	os.WriteFile(filepath.Join(run.ItemDir(2), results.StatusFile), []byte("{"), 0o644)
	_, err := slurmsched.Observe(context.Background(), (&fakeCluster{}).client(), run.Dir, run.Manifest)
	if err == nil || !strings.Contains(err.Error(), "item 2") {
		t.Errorf("want an error naming item 2, got %v", err)
	}
}

func TestContainerBindSources(t *testing.T) {
	root := t.TempDir()
	missingBind := filepath.Join(root, "site", "conda")
	cfg := testConfig(t, "slurm.container=/images/mlbench.sif", "exec.binds=["+missingBind+"]")
	bin := filepath.Join(root, "bin", "mlbench")
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &slurmsched.Slurm{Config: cfg, Binary: bin, WorkDir: root, DryRun: true}
	err := s.Validate()
	var be *slurmsched.BindError
	if !errors.As(err, &be) {
		t.Fatalf("missing bind sources: %v", err)
	}
	for _, want := range []string{"bind source " + cfg.Data.Dir + " (data.dir) does not exist", "bind source " + missingBind + " (exec.binds) does not exist"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	// Folders mlbench writes are created instead.
	for _, d := range []string{cfg.Memory.Wisdom.Dir, cfg.Data.DemoDir} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Errorf("%s was not created: %v", d, err)
		}
	}
	if err := os.MkdirAll(cfg.Data.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(missingBind, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("every bind source exists: %v", err)
	}
}
