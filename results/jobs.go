package results

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/mlbench/mlbench/internal/atomicfile"
)

// Names of a run's cluster-scheduler folder (runs/<id>/slurm/).
const (
	// JobsDir is the run's folder of cluster jobs: jobs.json, the
	// submitted scripts, logs/ and the cancel marker. Its name is
	// historical (Slurm was the first cluster backend).
	JobsDir = "slurm"
	// LogsDir (inside JobsDir) holds the array elements' output.
	LogsDir = "logs"
	// JobsFile (inside JobsDir) records every submission.
	JobsFile = "jobs.json"
	// CancelFile (inside JobsDir) exists once the run was cancelled;
	// workers that see it do not requeue themselves.
	CancelFile = "cancelled"
	jobsLock   = ".jobs.lock"
)

// LogDir is the folder of a run's array element logs.
func LogDir(runDir string) string {
	return filepath.Join(runDir, JobsDir, LogsDir)
}

// LogPath is the log file of element task of array job jobID.
func LogPath(runDir, jobID string, task int, ext string) string {
	return filepath.Join(runDir, JobsDir, LogsDir, jobID+"_"+strconv.Itoa(task)+"."+ext)
}

// ScriptPath is the n-th submitted script of a run (0-based), relative to
// the run directory: slurm/array.sbatch, then slurm/array.1.sbatch, ...
func ScriptPath(n int) string {
	name := "array.sbatch"
	if n > 0 {
		name = "array." + strconv.Itoa(n) + ".sbatch"
	}
	return filepath.Join(JobsDir, name)
}

// JobSubmission is one array job submitted for a run (one sbatch call).
type JobSubmission struct {
	// Kind is the scheduler backend that submitted it ("" for records
	// written before kinds were recorded: Slurm).
	Kind string `json:"kind,omitempty"`
	// JobID is the array job id sbatch printed.
	JobID string `json:"job_id"`
	// Script is the submitted file, relative to the run directory.
	Script string `json:"script"`
	// Base and Array map element t to work item Base+t; Array is the
	// --array value (with its throttle).
	Base  int    `json:"base"`
	Array string `json:"array"`
	Items int    `json:"items"`
	// Reason is "submit", "resume" or "sweep".
	Reason      string    `json:"reason"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// Jobs is <rundir>/slurm/jobs.json: every array job submitted for the run.
type Jobs struct {
	Submissions []JobSubmission `json:"submissions"`
}

// JobIDs returns the array job ids of every submission, oldest first.
func (j Jobs) JobIDs() []string {
	out := make([]string, 0, len(j.Submissions))
	for _, s := range j.Submissions {
		out = append(out, s.JobID)
	}
	return out
}

// Item maps array element task of job jobID to its work item.
func (j Jobs) Item(jobID string, task int) (int, bool) {
	for _, s := range j.Submissions {
		if s.JobID == jobID {
			return s.Base + task, true
		}
	}
	return 0, false
}

// Submission returns the submission of jobID.
func (j Jobs) Submission(jobID string) (JobSubmission, bool) {
	for _, s := range j.Submissions {
		if s.JobID == jobID {
			return s, true
		}
	}
	return JobSubmission{}, false
}

// ReadJobs reads a run's jobs.json; a run never submitted has none.
func ReadJobs(runDir string) (Jobs, error) {
	var j Jobs
	path := filepath.Join(runDir, JobsDir, JobsFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return j, nil
	}
	if err != nil {
		return j, fmt.Errorf("read jobs: %w", err)
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return j, fmt.Errorf("parse %s: %w", path, err)
	}
	return j, nil
}

// RecordSubmission appends s to the run's jobs.json. Concurrent callers
// (two `mlbench resume` at once) are serialised with a flock; the file is
// replaced atomically so readers never see half of it.
func RecordSubmission(runDir string, s JobSubmission) error {
	dir := filepath.Join(runDir, JobsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, jobsLock), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("record submission: lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	j, err := ReadJobs(runDir)
	if err != nil {
		return err
	}
	j.Submissions = append(j.Submissions, s)
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, JobsFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("record submission: %w", err)
	}
	return nil
}

// MarkCancelled writes the run's cancel marker.
func MarkCancelled(runDir string, at time.Time) error {
	dir := filepath.Join(runDir, JobsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mark run cancelled: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, CancelFile), []byte(at.UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return fmt.Errorf("mark run cancelled: %w", err)
	}
	return nil
}

// ClearCancelled removes the cancel marker (a resume submits again).
func ClearCancelled(runDir string) error {
	err := os.Remove(filepath.Join(runDir, JobsDir, CancelFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("clear cancel marker: %w", err)
	}
	return nil
}

// Cancelled reports whether the run was cancelled with `mlbench cancel`
// (and not resumed since).
func Cancelled(runDir string) bool {
	_, err := os.Stat(filepath.Join(runDir, JobsDir, CancelFile))
	return err == nil
}
