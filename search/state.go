package search

import "time"

// StateVersion is the schema version of State; Run refuses other versions.
const StateVersion = 1

// NodeStatus is where a node is in its life.
type NodeStatus string

// The node statuses.
const (
	StatusInFlight NodeStatus = "in_flight" // being written, run or reviewed
	StatusDone     NodeStatus = "done"
	// StatusLost: in flight when the run stopped (interrupted or cut at the
	// hard deadline). Lost nodes are not part of the tree, do not count
	// against the step budget, and their ids are never reused.
	StatusLost NodeStatus = "lost"
)

// NodeState is one node in a checkpoint: its snapshot plus the search
// statistics and bookkeeping needed to resume exactly.
type NodeState struct {
	NodeSnapshot
	Status     NodeStatus `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt time.Time  `json:"finished_at,omitzero"`
	Usage      Usage      `json:"usage"`
	Visits     int        `json:"visits"`
	// Reward is the total reward backpropagated through the node.
	Reward float64 `json:"reward"`
	// OwnReward is the reward the node itself earned when it finished.
	OwnReward float64 `json:"own_reward"`
	// UCTC is the exploration constant in force when it was selected.
	UCTC            float64 `json:"uct_c"`
	ImproveFailures int     `json:"improve_failures"`
	Terminal        bool    `json:"terminal"`
	// DebugSucceeded: a buggy node one of whose children works.
	DebugSucceeded bool `json:"debug_succeeded"`
	IsBest         bool `json:"is_best,omitempty"` // was a new best when it finished
}

// State is the serialisable search state (JSON). Nodes are in creation
// order; parents come before children.
type State struct {
	Version int `json:"version"`
	// Seq is the last node id number handed out; ids are never reused.
	Seq   int         `json:"seq"`
	Nodes []NodeState `json:"nodes"`
	// RootVisits and RootReward are the virtual root's statistics.
	RootVisits int     `json:"root_visits"`
	RootReward float64 `json:"root_reward"`
	BestID     string  `json:"best_id,omitempty"`
	// LowerIsBetter is the locked metric direction, nil while unknown.
	LowerIsBetter *bool `json:"lower_is_better,omitempty"`
	// Elapsed is the search time consumed by earlier runs of this state.
	Elapsed time.Duration `json:"elapsed"`
	// NodeSeconds are the observed durations of finished nodes, newest last,
	// used to estimate whether another node fits in the time left.
	NodeSeconds []float64 `json:"node_seconds,omitempty"`
	// RNG is the greedy policy's random generator state.
	RNG []byte `json:"rng,omitempty"`
	// Usage is the LLM usage summed over all nodes.
	Usage Usage `json:"usage"`
}
