package memory

import (
	"sort"
	"strings"
)

// Query describes a new task for retrieval.
type Query struct {
	// TaskID is the new task; its own entries are excluded unless
	// IncludeSameTask is set, so that seeds of one task stay independent.
	TaskID          string
	IncludeSameTask bool
	// Description, Metric, ColumnTypes and DataModality are matched
	// against the entries' keywords, metric, column types and modality.
	Description  string
	Metric       string
	ColumnTypes  []string
	DataModality string
	// RunID and Item name the asking work item, whose own (provisional)
	// entries are never returned.
	RunID, Item string
	// K is the number of entries wanted; zero or less returns none.
	K int
}

// Hit is a retrieved entry and its BM25 score.
type Hit struct {
	Entry Entry
	Score float64
}

// Search returns the K entries that best match q by BM25, best first (ties:
// newer first, then by ID). Entries that share no term with q are never
// returned, nor entries superseded by a later entry of the same work item
// (a provisional entry once the item has written another).
func (s *Store) Search(q Query) ([]Hit, error) {
	if q.K <= 0 {
		return nil, nil
	}
	text := strings.Join(append([]string{q.Description, q.Metric, q.DataModality}, q.ColumnTypes...), " ")
	terms := tokenize(text)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(false); err != nil {
		return nil, err
	}
	ix := s.idx
	scores := ix.score(terms)
	top := make([]Hit, 0, q.K+1)
	for i, sc := range scores {
		if sc <= 0 {
			continue
		}
		if ix.superseded[i] {
			continue
		}
		e := ix.docs[i].entry
		if !q.IncludeSameTask && e.TaskID == q.TaskID {
			continue
		}
		if q.Item != "" && e.Item == q.Item && e.RunID == q.RunID {
			continue
		}
		h := Hit{Entry: e, Score: sc}
		if len(top) == q.K && !hitBefore(h, top[len(top)-1]) {
			continue
		}
		j := sort.Search(len(top), func(j int) bool { return hitBefore(h, top[j]) })
		top = append(top, Hit{})
		copy(top[j+1:], top[j:])
		top[j] = h
		if len(top) > q.K {
			top = top[:q.K]
		}
	}
	return top, nil
}

// hitBefore orders hits: higher score, then newer, then smaller ID.
func hitBefore(a, b Hit) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if !a.Entry.CreatedAt.Equal(b.Entry.CreatedAt) {
		return a.Entry.CreatedAt.After(b.Entry.CreatedAt)
	}
	return a.Entry.ID < b.Entry.ID
}
