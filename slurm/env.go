package slurm

import (
	"os"
	"strconv"
)

// Env is what a process learns from Slurm's environment about the job it
// runs in.
type Env struct {
	// JobID is this element's own job id (SLURM_JOB_ID).
	JobID string
	// ArrayJobID and ArrayTaskID name the element ("123_4"); ArrayTaskID
	// is -1 outside an array.
	ArrayJobID  string
	ArrayTaskID int
	// Restarts is how often Slurm requeued the job (SLURM_RESTART_COUNT).
	Restarts int
}

// EnvFrom reads the Slurm environment through getenv (os.Getenv when nil).
// ok is false outside a Slurm job.
func EnvFrom(getenv func(string) string) (Env, bool) {
	if getenv == nil {
		getenv = os.Getenv
	}
	e := Env{JobID: getenv("SLURM_JOB_ID"), ArrayJobID: getenv("SLURM_ARRAY_JOB_ID"), ArrayTaskID: -1}
	if e.JobID == "" {
		return e, false
	}
	if n, err := strconv.Atoi(getenv("SLURM_ARRAY_TASK_ID")); err == nil {
		e.ArrayTaskID = n
	}
	if n, err := strconv.Atoi(getenv("SLURM_RESTART_COUNT")); err == nil && n > 0 {
		e.Restarts = n
	}
	return e, true
}

// Attempt is the 1-based number of this start of the element.
func (e Env) Attempt() int { return e.Restarts + 1 }

// Element names the element for scontrol: "123_4", or the job id.
func (e Env) Element() string {
	if e.ArrayJobID != "" && e.ArrayTaskID >= 0 {
		return e.ArrayJobID + "_" + strconv.Itoa(e.ArrayTaskID)
	}
	return e.JobID
}
