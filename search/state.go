package search

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

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
	Status NodeStatus `json:"status"`
	// Commit is the node's place in the order nodes finished (1-based; 0
	// while not done); children are restored in this order.
	Commit     int       `json:"commit,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Usage      Usage     `json:"usage"`
	// ReviewUsage is the reviewer's part of Usage.
	ReviewUsage Usage  `json:"review_usage,omitzero"`
	CodeSHA256  string `json:"code_sha256,omitempty"`
	Visits      int    `json:"visits"`
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
	// ContinueImprove: selection descends into this node's children rather
	// than widening it (set from the outcome of the last trajectory).
	ContinueImprove bool `json:"continue_improve"`
	// LocalBestID is the best node of the trajectory this node belongs to,
	// against which its improvements are measured.
	LocalBestID string `json:"local_best_id,omitempty"`
	IsBest      bool   `json:"is_best,omitempty"` // was a new best when it finished
}

// WorkerState is what one worker was doing: with Pending set, its next
// expansion is of Parent ("" = the virtual root, i.e. a new draft), either
// because its trajectory continues there or because its node in flight was
// lost and is to be re-expanded. Draft is the draft subtree it holds.
type WorkerState struct {
	Worker  int    `json:"worker"`
	Pending bool   `json:"pending"`
	Parent  string `json:"parent,omitempty"`
	Draft   string `json:"draft,omitempty"`
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
	// Workers are the workers' trajectories, so a resume goes on where each
	// left off.
	Workers []WorkerState `json:"workers,omitempty"`
}

// state builds the serialisable State (under mu).
func (s *searcher) state() *State {
	st := &State{
		Version:       StateVersion,
		Seq:           s.seq,
		Nodes:         make([]NodeState, 0, len(s.all)),
		RootVisits:    s.root.visits,
		RootReward:    s.root.reward,
		LowerIsBetter: s.lowerIsBetter,
		Elapsed:       s.elapsed(),
		NodeSeconds:   append([]float64(nil), s.durations...),
		Usage:         s.usage,
	}
	if s.best != nil {
		st.BestID = s.best.snap.ID
	}
	if b, err := s.pcg.MarshalBinary(); err == nil {
		st.RNG = b
	}
	for _, n := range s.all {
		st.Nodes = append(st.Nodes, n.state())
	}
	for w, ws := range s.workers {
		x := WorkerState{Worker: w, Pending: ws.pending}
		if ws.pending && ws.parent != nil {
			x.Parent = ws.parent.snap.ID
		}
		if ws.draft != nil {
			x.Draft = ws.draft.snap.ID
		}
		st.Workers = append(st.Workers, x)
	}
	return st
}

// state is n's checkpoint entry (under mu).
func (n *node) state() NodeState {
	ns := NodeState{
		NodeSnapshot:    n.snap,
		Status:          n.status,
		Commit:          n.commit,
		CreatedAt:       n.createdAt,
		FinishedAt:      n.finishedAt,
		Usage:           n.usage,
		ReviewUsage:     n.reviewUsage,
		CodeSHA256:      n.codeSHA256,
		Visits:          n.visits,
		Reward:          n.reward,
		OwnReward:       n.ownReward,
		UCTC:            n.uctC,
		ImproveFailures: n.improveFailures,
		Terminal:        n.terminal,
		DebugSucceeded:  n.debugSucceeded,
		ContinueImprove: n.continueImprove,
		IsBest:          n.isBest,
	}
	if n.localBest != nil {
		ns.LocalBestID = n.localBest.snap.ID
	}
	return ns
}

// Record is the trace record of the node (lower: the metric direction in
// force), the same whether the search reports the node as it finishes or a
// resume rebuilds it from the checkpoint.
func (n *NodeState) Record(lower *bool) NodeRecord {
	return NodeRecord{
		NodeID:             n.ID,
		ParentID:           n.ParentID,
		Step:               n.Step,
		Stage:              n.Stage,
		Worker:             n.Worker,
		CreatedAt:          n.CreatedAt,
		FinishedAt:         n.FinishedAt,
		LLMSeconds:         n.Usage.LLMSeconds,
		ExecSeconds:        n.ExecSeconds,
		PromptTokens:       n.Usage.PromptTokens,
		CompletionTokens:   n.Usage.CompletionTokens,
		ReasoningTokens:    n.Usage.ReasoningTokens,
		CachedPromptTokens: n.Usage.CachedPromptTokens,
		Coder:              n.Usage.Sub(n.ReviewUsage),
		Reviewer:           n.ReviewUsage,
		ExitCode:           n.ExitCode,
		TimedOut:           n.TimedOut,
		OOM:                n.OOM,
		IsBuggy:            n.IsBuggy,
		SubmissionExists:   n.SubmissionExists,
		FormatValid:        n.FormatValid,
		Metric:             n.Metric,
		LowerIsBetter:      lower,
		UCTC:               n.UCTC,
		Visits:             n.Visits,
		Reward:             n.OwnReward,
		DebugDepth:         n.DebugDepth,
		IsBest:             n.IsBest,
		Plan:               n.Plan,
		Summary:            n.Summary,
		Code:               n.Code,
		CodeSHA256:         n.CodeSHA256,
		Output:             n.Output,
		Error:              n.Error,
	}
}

// restore rebuilds the tree from st. Nodes in flight become lost; workers
// that were pending expand the same parents again and hold their drafts.
func (s *searcher) restore(st *State) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBadState, fmt.Sprintf(format, args...))
	}
	if st.Version != StateVersion {
		return bad("version %d, want %d", st.Version, StateVersion)
	}
	s.seq = st.Seq
	s.root.visits, s.root.reward = st.RootVisits, st.RootReward
	s.prevElapsed = st.Elapsed
	s.durations = append([]float64(nil), st.NodeSeconds...)
	s.usage = st.Usage
	if s.lowerIsBetter == nil && st.LowerIsBetter != nil {
		v := *st.LowerIsBetter
		s.lowerIsBetter = &v
	}
	if len(st.RNG) > 0 {
		if err := s.pcg.UnmarshalBinary(st.RNG); err != nil {
			return bad("rng: %v", err)
		}
	}
	localBest := map[*node]string{}
	for i, ns := range st.Nodes {
		if ns.ID == "" {
			return bad("node %d has no id", i)
		}
		if _, dup := s.byID[ns.ID]; dup {
			return bad("node id %s appears twice", ns.ID)
		}
		parent := s.root
		if ns.ParentID != "" {
			p, ok := s.byID[ns.ParentID]
			if !ok || p.status != StatusDone {
				return bad("node %s: parent %s is not a finished earlier node", ns.ID, ns.ParentID)
			}
			parent = p
		}
		n := &node{
			snap:            ns.NodeSnapshot,
			parent:          parent,
			status:          ns.Status,
			commit:          ns.Commit,
			createdAt:       ns.CreatedAt,
			finishedAt:      ns.FinishedAt,
			usage:           ns.Usage,
			reviewUsage:     ns.ReviewUsage,
			codeSHA256:      ns.CodeSHA256,
			visits:          ns.Visits,
			reward:          ns.Reward,
			ownReward:       ns.OwnReward,
			uctC:            ns.UCTC,
			improveFailures: ns.ImproveFailures,
			terminal:        ns.Terminal,
			debugSucceeded:  ns.DebugSucceeded,
			continueImprove: ns.ContinueImprove,
			isBest:          ns.IsBest,
			lockedBy:        -1,
		}
		if m := n.snap.Metric; m != nil && !finite(*m) {
			n.snap.Metric = nil
		}
		switch n.status {
		case StatusDone:
			parent.children = append(parent.children, n)
			s.finished++
			s.commits = max(s.commits, n.commit)
			if n.snap.IsBuggy {
				s.buggy++
			}
		case StatusInFlight, StatusLost:
			n.status = StatusLost
			s.lost++
		default:
			return bad("node %s has status %q", ns.ID, ns.Status)
		}
		if ns.LocalBestID != "" {
			localBest[n] = ns.LocalBestID
		}
		s.all = append(s.all, n)
		s.byID[ns.ID] = n
		if num := nodeNumber(ns.ID); num > s.seq {
			s.seq = num
		}
	}
	// Children in the order they finished, as in the run that saved st.
	for _, n := range append([]*node{s.root}, s.all...) {
		slices.SortStableFunc(n.children, func(a, b *node) int { return cmp.Compare(a.commit, b.commit) })
	}
	for n, id := range localBest {
		if lb, ok := s.byID[id]; ok && lb.status == StatusDone {
			n.localBest = lb
		}
	}
	if st.BestID != "" {
		b, ok := s.byID[st.BestID]
		if !ok || !b.eligibleBest() {
			return bad("best node %s is not an eligible finished node", st.BestID)
		}
		s.best = b
	}
	for _, ws := range st.Workers {
		if ws.Worker < 0 || ws.Worker >= len(s.workers) || !ws.Pending {
			continue // fewer workers now, or nothing pending: its locks are released
		}
		p := s.root
		if ws.Parent != "" {
			var ok bool
			if p, ok = s.byID[ws.Parent]; !ok || p.status != StatusDone {
				continue
			}
		}
		w := &s.workers[ws.Worker]
		w.pending, w.parent = true, p
		s.policy.resumed(s, ws.Worker, p)
	}
	return nil
}

// nodeNumber parses the number of an id "n0042"; 0 when it has none.
func nodeNumber(id string) int {
	n := 0
	if len(id) < 2 || id[0] != 'n' {
		return 0
	}
	for _, c := range id[1:] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// result builds Run's Result from the final state.
func (s *searcher) result(runCtx context.Context, final *State) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	reason := s.reason
	switch {
	case s.fatal != nil:
		reason = StopFatal
	case errors.Is(context.Cause(runCtx), errDeadline):
		reason = StopTime
	case runCtx.Err() != nil:
		reason = StopCancelled
	case reason == "" && s.finished >= s.cfg.Steps:
		reason = StopSteps
	case reason == "":
		reason = StopExhausted
	}
	r := Result{
		Nodes:         s.finished,
		Buggy:         s.buggy,
		Lost:          s.lost,
		Reason:        reason,
		Usage:         s.usage,
		LowerIsBetter: s.lowerIsBetter,
		State:         final,
	}
	if s.best != nil {
		b := s.best.snap
		r.Best = &b
	}
	return r
}
