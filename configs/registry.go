package configs

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// Registry holds what the packages that implement a kind field (agent.kind,
// scheduler.kind, search.policy) register under each of its values. It is
// safe for concurrent use. Registering a value makes it valid for the field
// (see RegisterKind).
type Registry[V any] struct {
	field, noun string
	mu          sync.Mutex
	m           map[string]V
}

// NewRegistry returns an empty registry for field; noun names one of its
// values in messages ("agent", "scheduler").
func NewRegistry[V any](field, noun string) *Registry[V] {
	return &Registry[V]{field: field, noun: noun, m: map[string]V{}}
}

// Register adds v under kind. Registrations run from init functions, so a
// kind registered twice is a programming error and panics.
func (r *Registry[V]) Register(kind string, v V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.m[kind]; dup {
		panic(fmt.Sprintf("configs: %s %q registered twice", r.field, kind))
	}
	r.m[kind] = v
	RegisterKind(r.field, kind)
}

// Kinds lists the registered kinds, sorted.
func (r *Registry[V]) Kinds() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Sorted(maps.Keys(r.m))
}

// Get returns what kind registered, if anything.
func (r *Registry[V]) Get(kind string) (V, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[kind]
	return v, ok
}

// Lookup is Get with a *FieldError naming the field and the registered
// kinds when kind is unknown.
func (r *Registry[V]) Lookup(kind string) (V, error) {
	v, ok := r.Get(kind)
	if !ok {
		return v, &FieldError{Field: r.field, Value: kind,
			Err: fmt.Errorf("unknown %s; expected one of %s", r.noun, strings.Join(r.Kinds(), ", "))}
	}
	return v, nil
}
