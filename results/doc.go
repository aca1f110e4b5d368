// Package results owns the run directory and everything a run leaves behind
// for analysis. It is the one package that knows the run directory's layout:
// its names and paths, the file shapes (manifest, item status, progress,
// checkpoint location, the item lock and its owner record, grade.json, the
// cluster jobs record) and how they are written (atomically) and read. It
// also owns the Parquet schema of node traces and task results, the writers
// that produce them (parquet-go), the readers the reports use (arrow/go v17
// pqarrow), medal tables, anytime curves, plots and tree views.
//
// It must not run anything: no agents, no schedulers, no grading (it reads
// grade.json, the harness writes it). Everyone else asks it for paths
// instead of joining names of their own.
//
// # Files
//
// A run directory looks like this (layout.go, item.go, jobs.go, owner.go
// have the exact names):
//
//	runs/<run-id>/
//	  manifest.json            Manifest
//	  slurm/jobs.json          Jobs: the cluster arrays submitted; scripts, logs/, cancel marker
//	  items/<index>/
//	    status.json            ItemStatus
//	    progress.json          Progress (what status polls)
//	    .lock                  LockItem's flock, with an Owner record
//	    checkpoint/state.json  the agent's resumable state (CheckpointPath)
//	    grade.json             Grade (an MLE-Bench CompetitionReport)
//	    best/node_id           id of the node whose submission was graded
//	    nodes/<node-id>/       code.py, stdout.txt, stderr.txt, submission.csv
//	    trace-<part>.parquet   NodeRow parts written by a TraceWriter
//	  results.parquet          ResultRow, one per work item (Collect + WriteResults)
//
// Every Parquet file carries its schema version in the key/value metadata
// (MetaSchemaVersion, MetaKind) and uses plain column types only (string,
// int64, float64, bool, timestamp[ms]) so pandas, polars and duckdb read it
// without our code.
//
// # Crash safety
//
// A TraceWriter buffers rows in memory and writes each part to a hidden
// temporary name in the item directory, fsyncs it and renames it to
// trace-<part>.parquet. A process killed with SIGKILL loses at most the rows
// of the part still open; every trace-*.parquet file that exists is complete.
// Readers skip (and count) parts that are corrupt anyway, for example after a
// disk filled up.
package results
