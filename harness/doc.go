// Package harness holds mlbench's use cases: planning a run (tasks x seeds x
// sweep points -> numbered work items in a run directory), running one work
// item (RunItem, which `mlbench worker` calls: claim the item, resolve its
// task, build its sandbox, hand it to an Agent, grade the best submission),
// the Agent door (agents.go; our tree search is agent "mlbench",
// agent_mlbench.go), requeue handling of a cluster array element
// (requeue.go) and preflight checks.
//
// The run directory is the single source of truth: every state change is
// written there atomically, so a killed process loses at most the node in
// flight. Package results owns its layout; harness asks it for every path.
// Harness must not know any scheduling backend (it is scheduled, it does
// not schedule) nor print to the user: commands in cmd/mlbench do.
package harness
