// Package slurm holds the Slurm mechanics of mlbench and nothing else:
// rendering the sbatch array script of a run, calling sbatch, squeue,
// scancel, scontrol and sinfo (with retries on transient controller
// errors), parsing their output, mapping array indices to work items,
// checking a request against a partition, and reading the Slurm
// environment of an array element.
//
// It must not know the run directory's layout (package results owns it:
// scripts, jobs.json, logs and the cancel marker under <rundir>/slurm/;
// the caller passes the paths in), nor run work items, nor be used by
// commands directly: they go through package scheduler, whose Slurm
// backend (scheduler/slurm) uses this package.
//
// Array element t of a submission runs work item Base+t, so a resubmission
// of scattered unfinished items is an explicit index list ("3,7,12-15")
// over the same base, and arrays larger than MaxArraySize are split into
// chunks with their own bases.
package slurm
