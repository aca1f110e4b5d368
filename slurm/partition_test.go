package slurm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/slurm"
)

// Captured from Debian's slurm-wlm 22.05 single-node cluster, plus a GPU
// partition in the shape a site shows it.
const (
	scontrolPartitions = `PartitionName=debug AllowGroups=ALL Default=YES MaxNodes=UNLIMITED MaxTime=UNLIMITED MaxCPUsPerNode=UNLIMITED Nodes=vm State=UP TotalCPUs=2 TotalNodes=1 DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED TRES=cpu=2,mem=22899M,node=1,billing=2
PartitionName=gpu AllowGroups=ALL Default=NO MaxTime=2-00:00:00 Nodes=g[01-02] MaxMemPerNode=256000 TRES=cpu=128,mem=1000G,node=2
`
	sinfoNodes = `vm|debug*|2|22899|(null)
g01|gpu|64|515000|gpu:a100:4(S:0-1)
g02|gpu|64|515000|gpu:a100:2(S:0),shard:8
`
)

func TestFit(t *testing.T) {
	var calls []string
	c := &slurm.Client{Run: func(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
		calls = append(calls, name)
		if name == "sinfo" {
			return []byte(sinfoNodes), nil, nil
		}
		return []byte(scontrolPartitions), nil, nil
	}}
	parts, err := c.Partitions(context.Background())
	if err != nil || len(parts) != 2 || len(parts[1].Nodes) != 2 || parts[1].Nodes[0].GPUs != 4 || parts[1].MaxMinutes != 2*24*60 || parts[1].MaxMemMB != 256000 {
		t.Fatalf("partitions: %+v %v (calls %v)", parts, err, calls)
	}
	cases := []struct {
		name string
		req  slurm.Request
		want []string // in the error; none means it fits
	}{
		{"defaults on a small default partition", slurm.Request{CPUs: 8, Mem: "64G", Time: "24:00:00"},
			[]string{"partition debug", "no node has 8 CPUs, 65536 MB memory, 0 GPUs", "largest nodes have 2 CPUs, 22899 MB memory, 0 GPUs"}},
		{"fits the default partition", slurm.Request{CPUs: 1, Mem: "1G", Time: "30:00"}, nil},
		{"a GPU on a CPU partition", slurm.Request{CPUs: 1, Mem: "1G", Gres: "gpu:1"}, []string{"1 GPUs", "0 GPUs"}},
		{"fits the gpu partition", slurm.Request{Partition: "gpu", CPUs: 8, Mem: "64G", Gres: "gpu:a100:4", Time: "1-00:00:00"}, nil},
		{"too many GPUs", slurm.Request{Partition: "gpu", CPUs: 8, Mem: "64G", Gres: "gpu:8"}, []string{"8 GPUs", "4 GPUs"}},
		{"too long", slurm.Request{Partition: "gpu", CPUs: 8, Time: "3-00:00:00"}, []string{"slurm.time 3-00:00:00 is longer than its MaxTime of 2880 minutes"}},
		{"above MaxMemPerNode", slurm.Request{Partition: "gpu", Mem: "300G"}, []string{"MaxMemPerNode of 256000 MB"}},
		{"unknown partition", slurm.Request{Partition: "gpus"}, []string{"no such partition (there are: debug, gpu)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := slurm.Fit(parts, tc.req)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("should fit: %v", err)
				}
				return
			}
			var fe *slurm.FitError
			if !errors.As(err, &fe) {
				t.Fatalf("want a FitError, got %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q: %v", w, err)
				}
			}
		})
	}
}

func TestMinutesAndMem(t *testing.T) {
	for in, want := range map[string]int{"30": 30, "30:00": 30, "30:01": 31, "24:00:00": 1440, "1-00:00:00": 1440, "2-12": 3600, "1-01:30": 1530} {
		if got, ok := slurm.Minutes(in); !ok || got != want {
			t.Errorf("Minutes(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "UNLIMITED", "x", "1:2:3:4", "-5"} {
		if _, ok := slurm.Minutes(bad); ok {
			t.Errorf("Minutes(%q) should not parse", bad)
		}
	}
	for in, want := range map[string]int64{"64G": 65536, "22899": 22899, "512M": 512, "1T": 1 << 20, "2048K": 2} {
		if got, ok := slurm.MemMB(in); !ok || got != want {
			t.Errorf("MemMB(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
}

func TestExplainReason(t *testing.T) {
	cases := map[string]string{
		"PartitionConfig":   "PartitionConfig: the request exceeds the partition's limits and never starts",
		"JobArrayTaskLimit": "JobArrayTaskLimit: held by slurm.array_throttle",
		"SomethingNew":      "SomethingNew",
		"None":              "",
	}
	for in, want := range cases {
		if got := slurm.ExplainReason(in); !strings.HasPrefix(got, want) || (want == "" && got != "") {
			t.Errorf("ExplainReason(%q) = %q, want prefix %q", in, got, want)
		}
	}
}
