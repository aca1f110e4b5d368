package sandbox

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Slot is what one parallel worker's runs may use: put CPUs and GPUs into
// Spec.Limits.
type Slot struct {
	Index int
	// CPUs pinned for the slot; nil shares every CPU.
	CPUs []int
	// GPUs visible to the slot; empty (not nil) hides every GPU.
	GPUs []string
}

// Slots divides this process's CPUs and the given GPUs between workers.
// cpusPer > 0 gives each worker that many CPUs of its own (an error if
// there are not enough); 0 lets all workers share all CPUs. With at least as
// many GPUs as workers each worker gets its own share of them (the first
// workers one more when they do not divide evenly); with fewer, workers
// take turns sharing one GPU each.
func Slots(workers, cpusPer int, gpus []string) ([]Slot, error) {
	if workers < 1 {
		return nil, fmt.Errorf("divide resources: %d workers: need at least 1", workers)
	}
	if cpusPer < 0 {
		return nil, fmt.Errorf("divide resources: %d CPUs per worker: must not be negative", cpusPer)
	}
	slots := make([]Slot, workers)
	var cpus []int
	if cpusPer > 0 {
		cpus = allowedCPUs()
		if need := workers * cpusPer; need > len(cpus) {
			return nil, fmt.Errorf("divide resources: %d workers x %d CPUs need %d, but this process may use %d (%v); lower exec.cpus or search.workers", workers, cpusPer, need, len(cpus), cpus)
		}
	}
	for i := range slots {
		slots[i].Index = i
		if cpusPer > 0 {
			slots[i].CPUs = slices.Clone(cpus[i*cpusPer : (i+1)*cpusPer])
		}
		switch {
		case len(gpus) == 0:
			slots[i].GPUs = []string{}
		case len(gpus) >= workers:
			k, r := len(gpus)/workers, len(gpus)%workers
			start := i*k + min(i, r)
			n := k
			if i < r {
				n++
			}
			slots[i].GPUs = slices.Clone(gpus[start : start+n])
		default:
			slots[i].GPUs = []string{gpus[i%len(gpus)]}
		}
	}
	return slots, nil
}

// ParseGPUs reads exec.gpus: "" for none, "auto" to detect (see
// DetectGPUs), or comma-separated ids.
func ParseGPUs(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "":
		return []string{}, nil
	case "auto":
		return DetectGPUs(), nil
	}
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if _, err := strconv.Atoi(f); err != nil {
			return nil, fmt.Errorf("parse GPU list %q: %q is not a GPU index", s, f)
		}
		out = append(out, f)
	}
	return out, nil
}
