package memory

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// PruneResult says what Prune removed (or would remove, in a dry run).
type PruneResult struct {
	Entries   []Entry
	TempFiles []string
}

// Prune removes entries created before cutoff, and temporary files last
// modified before it (left by writers that crashed). With dryRun it only
// reports what it would remove. Entries that vanish meanwhile (another
// prune) are not an error.
func (s *Store) Prune(cutoff time.Time, dryRun bool) (PruneResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var res PruneResult
	if err := s.load(true); err != nil {
		return res, err
	}
	if !s.listed {
		return res, nil
	}
	for _, d := range s.idx.docs {
		if d.entry.CreatedAt.Before(cutoff) {
			res.Entries = append(res.Entries, d.entry)
		}
	}
	sort.Slice(res.Entries, func(i, j int) bool {
		a, b := res.Entries[i], res.Entries[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.Before(b.CreatedAt)
		}
		return a.ID < b.ID
	})
	names, err := readDirNames(s.dir)
	if err != nil {
		return res, err
	}
	sort.Strings(names)
	for _, name := range names {
		if !strings.HasPrefix(name, tempPrefix) {
			continue
		}
		st, err := os.Lstat(filepath.Join(s.dir, name))
		if err != nil || !st.ModTime().Before(cutoff) {
			continue
		}
		res.TempFiles = append(res.TempFiles, name)
	}
	if dryRun {
		return res, nil
	}
	for _, e := range res.Entries {
		if err := removeIfExists(filepath.Join(s.dir, fileName(e.ID))); err != nil {
			return res, err
		}
	}
	for _, name := range res.TempFiles {
		if err := removeIfExists(filepath.Join(s.dir, name)); err != nil {
			return res, err
		}
	}
	return res, s.load(true)
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("prune wisdom: %w", err)
	}
	return nil
}
