package slurm_test

import (
	"reflect"
	"testing"

	"github.com/mlbench/mlbench/slurm"
)

func TestParseQueue(t *testing.T) {
	// Real squeue output of slurm-wlm 22.05 for an array with a pending
	// range (throttled), two running elements and a plain job.
	out := "9|2-5,9,12-14%2|9|PENDING|JobArrayTaskLimit\n" +
		"10|N/A|10|PENDING|Priority\n" +
		"9|0|11|RUNNING|None\n" +
		"9|1|12|COMPLETING|None\n" +
		"\n" +
		"9|7|15|PENDING|ReqNodeNotAvail, UnavailableNodes:node[01-02]\n"
	got, err := slurm.ParseQueue([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	want := []slurm.Element{
		{ArrayJobID: "9", Tasks: []int{2, 3, 4, 5, 9, 12, 13, 14}, JobID: "9", State: "PENDING", Reason: "JobArrayTaskLimit"},
		{ArrayJobID: "10", JobID: "10", State: "PENDING", Reason: "Priority"},
		{ArrayJobID: "9", Tasks: []int{0}, JobID: "11", State: "RUNNING", Reason: "None"},
		{ArrayJobID: "9", Tasks: []int{1}, JobID: "12", State: "COMPLETING", Reason: "None"},
		{ArrayJobID: "9", Tasks: []int{7}, JobID: "15", State: "PENDING", Reason: "ReqNodeNotAvail, UnavailableNodes:node[01-02]"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseQueueRejects(t *testing.T) {
	for _, out := range []string{"garbage\n", "9|[x]|9|PENDING|None\n", "|0|1|RUNNING|None\n"} {
		if _, err := slurm.ParseQueue([]byte(out)); err == nil {
			t.Errorf("%q: want an error", out)
		}
	}
}

func FuzzParseQueue(f *testing.F) {
	f.Add("9|2-5,9,12-14%2|9|PENDING|JobArrayTaskLimit\n9|0|11|RUNNING|None\n")
	f.Add("10|N/A|10|PENDING|Priority\n")
	f.Add("||||\n")
	f.Fuzz(func(t *testing.T, out string) {
		els, err := slurm.ParseQueue([]byte(out))
		if err != nil {
			return
		}
		for _, e := range els {
			if e.ArrayJobID == "" || e.State == "" {
				t.Fatalf("element without id or state: %+v", e)
			}
		}
	})
}

func TestPhaseOf(t *testing.T) {
	cases := map[string]slurm.Phase{
		"PENDING": slurm.PhasePending, "REQUEUED": slurm.PhasePending, "REQUEUE_HOLD": slurm.PhasePending, "PD": slurm.PhasePending,
		"RUNNING": slurm.PhaseRunning, "COMPLETING": slurm.PhaseRunning, "CONFIGURING": slurm.PhaseRunning, "R": slurm.PhaseRunning,
		"SUSPENDED": slurm.PhaseSuspended,
		"COMPLETED": slurm.PhaseEnded, "CANCELLED+": slurm.PhaseEnded, "CANCELLED by 0": slurm.PhaseEnded, "TIMEOUT": slurm.PhaseEnded,
		"OUT_OF_MEMORY": slurm.PhaseEnded, "NODE_FAIL": slurm.PhaseEnded, "PREEMPTED": slurm.PhaseEnded,
		"WHATEVER": slurm.PhaseUnknown,
	}
	for state, want := range cases {
		if got := slurm.PhaseOf(state); got != want {
			t.Errorf("%s: %s, want %s", state, got, want)
		}
	}
}
