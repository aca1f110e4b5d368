package configs

import (
	"slices"
	"sync"
)

// The fields whose value names a pluggable backend or policy. Their valid values are
// registered by the packages that implement them (an agent registers
// itself with harness, a scheduler with scheduler, a search policy with
// search), so adding a backend
// never means editing configs; the built-in values are known here too, so
// that a config validates in programs that link no backend.
var (
	kindsMu sync.Mutex
	kinds   = map[string][]string{
		"agent.kind":     {"mlbench"},
		"scheduler.kind": {"local", "slurm"},
		"search.policy":  {"mcts", "greedy"},
	}
)

// RegisterKind declares value valid for the kind field (e.g. "agent.kind").
// Backends call it from their registration; registering twice is harmless.
func RegisterKind(field, value string) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	if !slices.Contains(kinds[field], value) {
		kinds[field] = append(kinds[field], value)
	}
}

// Kinds returns the valid values of a kind field, in registration order.
func Kinds(field string) []string {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	return slices.Clone(kinds[field])
}
