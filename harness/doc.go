// Package harness holds mlbench's use cases: planning a run (tasks x seeds x
// sweep points -> numbered work items in a run directory), running one work
// item (the per-task agent loop, RunItem, which `mlbench worker` calls), and
// the run-directory layout that the schedulers, reports and status commands
// share. The run directory is the single source of truth: every state change
// is written there atomically, so a killed process loses at most the node
// in flight.
package harness
