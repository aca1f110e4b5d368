package slurm

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// Request is what one array element asks of a node.
type Request struct {
	Partition string // "" means the cluster's default partition
	CPUs      int    // --cpus-per-task; 0 means not asked
	Mem       string // --mem as given ("64G"); "" means not asked
	Gres      string // --gres as given ("gpu:1", "gpu:a100:2")
	Time      string // --time as given ("24:00:00"); "" means not asked
}

// Node is one node of a partition as sinfo shows it.
type Node struct {
	Name  string
	CPUs  int
	MemMB int64
	GPUs  int
}

// Partition is what `scontrol show partition` and sinfo say of one
// partition: its limits and its nodes.
type Partition struct {
	Name    string
	Default bool
	// MaxMinutes is MaxTime in minutes, -1 for UNLIMITED.
	MaxMinutes int
	// MaxMemMB is MaxMemPerNode, 0 for UNLIMITED.
	MaxMemMB int64
	Nodes    []Node
}

// FitError is a request no node of the partition can ever run: Slurm would
// accept the array and leave it pending forever ("PartitionConfig" or
// "Resources").
type FitError struct {
	Partition string
	Reasons   []string
}

func (e *FitError) Error() string {
	return fmt.Sprintf("the request per array element does not fit partition %s: %s; lower slurm.cpus_per_task / slurm.mem / slurm.gres / slurm.time or pick another slurm.partition",
		e.Partition, strings.Join(e.Reasons, "; "))
}

// Partitions reads every partition with its nodes (`scontrol show partition
// -o` and `sinfo -h -N -o %N|%P|%c|%m|%G`).
func (c *Client) Partitions(ctx context.Context) ([]Partition, error) {
	out, err := c.command(ctx, "scontrol", "show", "partition", "-o")
	if err != nil {
		return nil, err
	}
	parts := ParsePartitions(out)
	nodes, err := c.command(ctx, "sinfo", "-h", "-N", "-o", "%N|%P|%c|%m|%G")
	if err != nil {
		return nil, err
	}
	byPart := ParseNodes(nodes)
	for i := range parts {
		parts[i].Nodes = byPart[parts[i].Name]
	}
	return parts, nil
}

// ParsePartitions reads `scontrol show partition -o`: one line of Key=Value
// fields per partition.
func ParsePartitions(out []byte) []Partition {
	var parts []Partition
	for _, line := range strings.Split(string(out), "\n") {
		kv := map[string]string{}
		for _, f := range strings.Fields(line) {
			if k, v, ok := strings.Cut(f, "="); ok {
				kv[k] = v
			}
		}
		if kv["PartitionName"] == "" {
			continue
		}
		p := Partition{Name: kv["PartitionName"], Default: kv["Default"] == "YES", MaxMinutes: -1}
		if m, ok := Minutes(kv["MaxTime"]); ok {
			p.MaxMinutes = m
		}
		if mb, ok := MemMB(kv["MaxMemPerNode"]); ok {
			p.MaxMemMB = mb
		}
		parts = append(parts, p)
	}
	return parts
}

// ParseNodes reads `sinfo -h -N -o %N|%P|%c|%m|%G` into nodes per
// partition (a trailing '*' marks the default partition and is dropped).
func ParseNodes(out []byte) map[string][]Node {
	by := map[string][]Node{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 5 {
			continue
		}
		cpus, _ := strconv.Atoi(strings.TrimSuffix(f[2], "+"))
		mem, _ := strconv.ParseInt(strings.TrimSuffix(f[3], "+"), 10, 64)
		n := Node{Name: f[0], CPUs: cpus, MemMB: mem, GPUs: gresGPUs(f[4])}
		part := strings.TrimSuffix(f[1], "*")
		by[part] = append(by[part], n)
	}
	return by
}

// gresGPUs counts the GPUs of a gres list: "gpu:a100:4(S:0-1),shard:8" is
// 4, "gpu:2" is 2, "(null)" is 0.
func gresGPUs(g string) int {
	n := 0
	for _, item := range strings.Split(g, ",") {
		item, _, _ = strings.Cut(item, "(")
		f := strings.Split(item, ":")
		if f[0] != "gpu" {
			continue
		}
		if k, err := strconv.Atoi(f[len(f)-1]); err == nil && len(f) > 1 {
			n += k
		} else {
			n++
		}
	}
	return n
}

// Fit checks req against the partition it names (or the default one) and
// returns a *FitError with the numbers when no node can run it.
func Fit(parts []Partition, req Request) error {
	var p *Partition
	for i := range parts {
		if (req.Partition == "" && parts[i].Default) || parts[i].Name == req.Partition {
			p = &parts[i]
			break
		}
	}
	if p == nil {
		name := req.Partition
		if name == "" {
			return &FitError{Partition: "(default)", Reasons: []string{"the cluster has no default partition: set slurm.partition"}}
		}
		var names []string
		for _, q := range parts {
			names = append(names, q.Name)
		}
		return &FitError{Partition: name, Reasons: []string{"no such partition (there are: " + strings.Join(names, ", ") + ")"}}
	}
	var reasons []string
	mem, _ := MemMB(req.Mem)
	gpus := gresGPUs(req.Gres)
	if mins, ok := Minutes(req.Time); ok && req.Time != "" && p.MaxMinutes >= 0 && mins > p.MaxMinutes {
		reasons = append(reasons, fmt.Sprintf("slurm.time %s is longer than its MaxTime of %d minutes", req.Time, p.MaxMinutes))
	}
	if p.MaxMemMB > 0 && mem > p.MaxMemMB {
		reasons = append(reasons, fmt.Sprintf("slurm.mem %s (%d MB) is more than its MaxMemPerNode of %d MB", req.Mem, mem, p.MaxMemMB))
	}
	if len(p.Nodes) == 0 {
		return &FitError{Partition: p.Name, Reasons: append(reasons, "it has no nodes")}
	}
	fits := false
	var most Node
	for _, n := range p.Nodes {
		if n.CPUs >= req.CPUs && n.MemMB >= mem && n.GPUs >= gpus {
			fits = true
		}
		most.CPUs, most.MemMB, most.GPUs = max(most.CPUs, n.CPUs), max(most.MemMB, n.MemMB), max(most.GPUs, n.GPUs)
	}
	if !fits {
		asked := fmt.Sprintf("%d CPUs, %d MB memory, %d GPUs", req.CPUs, mem, gpus)
		reasons = append(reasons, fmt.Sprintf("no node has %s (slurm.cpus_per_task %d, slurm.mem %s, slurm.gres %q); its largest nodes have %d CPUs, %d MB memory, %d GPUs",
			asked, req.CPUs, cmpStr(req.Mem, "-"), req.Gres, most.CPUs, most.MemMB, most.GPUs))
	}
	if len(reasons) > 0 {
		return &FitError{Partition: p.Name, Reasons: reasons}
	}
	return nil
}

func cmpStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// MemMB reads a Slurm memory size ("64G", "22899", "512M", "1T") in MB;
// ok is false for UNLIMITED, empty or malformed values.
func MemMB(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ToUpper(s))
	if s == "" || s == "UNLIMITED" {
		return 0, false
	}
	mult := int64(1)
	switch s[len(s)-1] {
	case 'K':
		mult, s = -1024, s[:len(s)-1]
	case 'M':
		s = s[:len(s)-1]
	case 'G':
		mult, s = 1024, s[:len(s)-1]
	case 'T':
		mult, s = 1024*1024, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	if mult < 0 {
		return (n + 1023) / 1024, true
	}
	return n * mult, true
}

// Minutes reads a Slurm time ("30", "30:00", "24:00:00", "1-00:00:00",
// "2-12") in minutes, rounding seconds up; ok is false for UNLIMITED,
// INFINITE, empty or malformed values.
func Minutes(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "UNLIMITED") || strings.EqualFold(s, "INFINITE") {
		return 0, false
	}
	days := 0
	if d, rest, ok := strings.Cut(s, "-"); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return 0, false
		}
		days, s = n, rest
	}
	var parts []int
	for _, f := range strings.Split(s, ":") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return 0, false
		}
		parts = append(parts, n)
	}
	var h, m, sec int
	switch {
	case days > 0 && len(parts) == 1: // D-HH
		h = parts[0]
	case days > 0 && len(parts) == 2: // D-HH:MM
		h, m = parts[0], parts[1]
	case len(parts) == 1: // MM
		m = parts[0]
	case len(parts) == 2: // MM:SS
		m, sec = parts[0], parts[1]
	case len(parts) == 3: // HH:MM:SS
		h, m, sec = parts[0], parts[1], parts[2]
	default:
		return 0, false
	}
	total := days*24*60 + h*60 + m
	if sec > 0 {
		total++
	}
	return total, true
}
