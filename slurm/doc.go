// Package slurm holds the Slurm mechanics of mlbench and nothing else:
// rendering the sbatch array script of a run, calling sbatch, squeue,
// scancel and scontrol (with retries on transient controller errors),
// parsing their output, mapping array indices to work items and recording
// the submitted jobs in the run directory.
//
// A run's Slurm files live under <rundir>/slurm/:
//
//	array.sbatch, array.1.sbatch, ...   every script that was submitted, in order
//	jobs.json                           the job id, item base and array of each submission
//	logs/%A_%a.{out,err}                per array element, appended to across requeues
//	cancelled                           present once `mlbench cancel` ran
//
// Array element t of a submission runs work item Base+t, so a resubmission
// of scattered unfinished items is an explicit index list ("3,7,12-15")
// over the same base, and arrays larger than MaxArraySize are split into
// chunks with their own bases.
package slurm
