// Package results owns everything a run leaves behind for analysis: the
// Parquet schema of node traces and task results, the writers that produce
// them (parquet-go), the readers the reports use (arrow/go v17 pqarrow), the
// file shapes of a run directory (manifest.json, items/<i>/status.json,
// items/<i>/grade.json), medal tables, anytime curves, plots and tree views.
//
// # Files
//
// A run directory looks like this (see Layout for the exact names):
//
//	runs/<run-id>/
//	  manifest.json            Manifest
//	  items/<index>/
//	    status.json            ItemStatus
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
