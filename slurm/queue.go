package slurm

import (
	"fmt"
	"strings"
)

// Element is one line of squeue: a running array element, or a pending
// record that stands for a range of elements.
type Element struct {
	// ArrayJobID is the array's job id ("123"); for a job that is not an
	// array, its own id.
	ArrayJobID string
	// Tasks are the array task ids the line stands for (one for a running
	// element, a range for pending ones; nil for a job that is no array).
	Tasks []int
	// JobID is the element's own job id.
	JobID string
	// State is Slurm's long state name, e.g. PENDING or RUNNING.
	State string
	// Reason is why it waits ("None" when it does not).
	Reason string
}

// ParseQueue reads squeue --noheader --format=QueueFormat output.
func ParseQueue(out []byte) ([]Element, error) {
	var els []Element
	for n, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.SplitN(line, "|", 5)
		if len(f) < 4 {
			return nil, fmt.Errorf("parse squeue line %d %q: want %s", n+1, line, QueueFormat)
		}
		el := Element{ArrayJobID: f[0], JobID: f[2], State: f[3]}
		if len(f) == 5 {
			el.Reason = f[4]
		}
		if el.ArrayJobID == "" || el.State == "" {
			return nil, fmt.Errorf("parse squeue line %d %q: no job id or state", n+1, line)
		}
		if f[1] != "N/A" && f[1] != "" {
			tasks, err := ParseIndices(f[1])
			if err != nil {
				return nil, fmt.Errorf("parse squeue line %d: %w", n+1, err)
			}
			el.Tasks = tasks
		}
		els = append(els, el)
	}
	return els, nil
}

// Phase is where an element is in its life, as far as mlbench cares.
type Phase string

// Phases of an element.
const (
	PhasePending   Phase = "pending"   // waiting to start (including after a requeue)
	PhaseRunning   Phase = "running"   // running, starting or finishing
	PhaseSuspended Phase = "suspended" // suspended or stopped by an admin
	PhaseEnded     Phase = "ended"     // completed, failed, cancelled, timed out, ...
	PhaseUnknown   Phase = "unknown"
)

// PhaseOf maps a Slurm job state (long or short form) to a Phase.
func PhaseOf(state string) Phase {
	s, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(state)), " ")
	s = strings.TrimSuffix(s, "+")
	switch s {
	case "PENDING", "PD", "REQUEUED", "RQ", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "RD", "RF", "RH":
		return PhasePending
	case "RUNNING", "R", "CONFIGURING", "CF", "COMPLETING", "CG", "STAGE_OUT", "SO", "SIGNALING", "SI", "RESIZING", "RS":
		return PhaseRunning
	case "SUSPENDED", "S", "STOPPED", "ST":
		return PhaseSuspended
	case "COMPLETED", "CD", "FAILED", "F", "CANCELLED", "CA", "TIMEOUT", "TO", "NODE_FAIL", "NF",
		"OUT_OF_MEMORY", "OOM", "BOOT_FAIL", "BF", "DEADLINE", "DL", "PREEMPTED", "PR", "REVOKED", "RV", "SPECIAL_EXIT", "SE":
		return PhaseEnded
	}
	return PhaseUnknown
}
