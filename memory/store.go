package memory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/conc/pool"

	"github.com/mlbench/mlbench/internal/atomicfile"
)

// racyWindow is how old the directory's modification time must be, when
// it is listed, for an unchanged time to prove that nothing changed since
// (a second change within the filesystem's timestamp granularity would not
// move it). Younger listings are repeated on the next read.
const racyWindow = 2 * time.Second

// maxEntrySize bounds an entry file; larger files are not entries.
const maxEntrySize = 1 << 20

// Store is the cross-task wisdom store: a directory of JSON files, one per
// [Entry], named <id>.json after the entry's content address.
//
// Any number of processes on any number of hosts may write to the same
// directory at once. Put writes a temporary file (named with a leading
// ".tmp-"), fsyncs it and renames it to its final name; files are never
// rewritten or appended to, so there is no read-modify-write and no lock.
// Readers list the directory, skip temporary files, and skip (and count)
// files that do not parse, so a partial or foreign directory never fails a
// read.
//
// A Store caches parsed entries by file name (a name's content never
// changes) and a BM25 index over them. Each read checks the directory's
// modification time and, when it changed (or changed too recently to be
// sure), lists the directory again, parses only new names and rebuilds the
// index. On NFS, attribute caching can delay the sight of other hosts'
// entries by up to the mount's acdirmax, and a server clock behind the
// local one by more than two seconds can delay it until the next change;
// Refresh always lists.
//
// A Store is safe for concurrent use.
type Store struct {
	dir string
	// Now stamps entries put without a CreatedAt and judges how recent a
	// directory listing is; it defaults to time.Now.
	Now func() time.Time

	mu       sync.Mutex
	docs     map[string]*doc // parsed entry files by name
	idx      *index
	dirMod   time.Time
	trusted  bool // dirMod was old enough when listed
	listed   bool
	lastLoad LoadReport
	// packTried is set once the pack has been read (on the first load);
	// packErr is why it could not be used.
	packTried bool
	packErr   error
}

// LoadReport says what the last read of the directory found.
type LoadReport struct {
	// Entries is the number of entries read.
	Entries int
	// TempFiles counts temporary files: writes in progress, or left by
	// writers that crashed (prune removes old ones).
	TempFiles int
	// Skipped lists files that look like entries but could not be used.
	Skipped []SkippedFile
}

// SkippedFile is an entry file a reader could not use, and why.
type SkippedFile struct {
	Name   string
	Reason string
}

// Warning describes skipped files in one line, or returns "" when none
// were skipped.
func (r LoadReport) Warning() string {
	if len(r.Skipped) == 0 {
		return ""
	}
	first := r.Skipped[0]
	more := ""
	if len(r.Skipped) > 1 {
		more = fmt.Sprintf(" and %d more", len(r.Skipped)-1)
	}
	return fmt.Sprintf("skipped %d unreadable wisdom files (%s: %s%s)", len(r.Skipped), first.Name, first.Reason, more)
}

// Open returns the store in dir. The directory need not exist yet: reads
// of a missing directory find no entries and Put creates it.
func Open(dir string) *Store {
	return &Store{dir: dir, Now: time.Now, docs: map[string]*doc{}}
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Put stores e and returns it with its ID (and CreatedAt, when it was
// zero) filled in. Putting an entry that is already stored is a no-op.
func (s *Store) Put(e Entry) (Entry, error) {
	e, _, err := s.put(e)
	return e, err
}

// put is Put that also reports whether the entry was new.
func (s *Store) put(e Entry) (Entry, bool, error) {
	if e.CreatedAt.IsZero() {
		e.CreatedAt = s.now()
	}
	e.CreatedAt = e.CreatedAt.UTC()
	if err := e.validate(); err != nil {
		return Entry{}, false, err
	}
	id, err := e.contentID()
	if err != nil {
		return Entry{}, false, err
	}
	e.ID = id
	data, err := marshalJSON(e, true)
	if err != nil {
		return Entry{}, false, fmt.Errorf("encode wisdom entry: %w", err)
	}
	if len(data) > maxEntrySize {
		return Entry{}, false, fmt.Errorf("%w: %d bytes encoded, at most %d", ErrInvalidEntry, len(data), maxEntrySize)
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return Entry{}, false, fmt.Errorf("create wisdom dir: %w", err)
	}
	path := filepath.Join(s.dir, fileName(id))
	if _, err := os.Stat(path); err == nil {
		return e, false, nil
	}
	if err := atomicfile.WriteFile(path, data, 0o644); err != nil {
		return Entry{}, false, fmt.Errorf("put wisdom entry: %w", err)
	}
	return e, true, nil
}

// Refresh re-reads the directory now, even if its modification time says
// nothing changed, and returns what it found.
func (s *Store) Refresh() (LoadReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(true); err != nil {
		return LoadReport{}, err
	}
	return s.lastLoad, nil
}

// Report returns what the last read of the directory found.
func (s *Store) Report() LoadReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastLoad
}

// load brings the cache up to date with the directory; s.mu must be held.
func (s *Store) load(force bool) error {
	st, err := os.Stat(s.dir)
	if errors.Is(err, fs.ErrNotExist) {
		s.docs = map[string]*doc{}
		s.idx = newIndex()
		s.lastLoad = LoadReport{}
		s.listed = false
		return nil
	}
	if err != nil {
		return fmt.Errorf("stat wisdom dir: %w", err)
	}
	mod := st.ModTime()
	if !force && s.listed && s.trusted && mod.Equal(s.dirMod) {
		return nil
	}
	if !s.packTried {
		s.packTried = true
		if s.loadPack(mod) && !force {
			s.lastLoad = LoadReport{Entries: len(s.docs)}
			s.dirMod, s.trusted, s.listed = mod, true, true
			return nil
		}
	}
	listedAt := s.now()
	names, err := readDirNames(s.dir)
	if err != nil {
		return err
	}
	report := LoadReport{}
	seen := make(map[string]bool, len(names))
	var fresh []string
	for _, name := range names {
		switch {
		case strings.HasPrefix(name, tempPrefix):
			report.TempFiles++
		case strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json"):
		default:
			seen[name] = true
			if _, ok := s.docs[name]; !ok {
				fresh = append(fresh, name)
			}
		}
	}
	if s.idx == nil {
		s.idx = newIndex()
	}
	gone := map[string]bool{}
	for name := range s.docs {
		if !seen[name] {
			gone[name] = true
			delete(s.docs, name)
		}
	}
	if len(gone) > 0 {
		s.idx = s.idx.without(gone)
	}
	for i, r := range s.readEntries(fresh) {
		name := fresh[i]
		if r.err != nil {
			report.Skipped = append(report.Skipped, SkippedFile{Name: name, Reason: r.err.Error()})
			continue
		}
		s.docs[name] = r.doc
		s.idx.add(r.doc)
	}
	if s.packErr != nil {
		report.Skipped = append(report.Skipped, SkippedFile{Name: packDir + "/" + packName, Reason: s.packErr.Error()})
	}
	sort.Slice(report.Skipped, func(i, j int) bool { return report.Skipped[i].Name < report.Skipped[j].Name })
	report.Entries = len(s.docs)
	s.lastLoad = report
	s.dirMod = mod
	s.trusted = listedAt.Sub(mod) > racyWindow
	s.listed = true
	return nil
}

// readResult is the outcome of reading one entry file.
type readResult struct {
	doc *doc
	err error
}

// readParallel is how many entry files a load reads at once: on a network
// filesystem a cold load of thousands of files is bound by round trips.
const readParallel = 16

// readEntries reads and indexes the named entry files, in parallel when
// there are many, returning results in the order of names.
func (s *Store) readEntries(names []string) []readResult {
	out := make([]readResult, len(names))
	read := func(i int) {
		e, err := readEntry(filepath.Join(s.dir, names[i]))
		if err != nil {
			out[i].err = err
			return
		}
		out[i].doc = newDoc(names[i], e)
	}
	if len(names) < 2*readParallel {
		for i := range names {
			read(i)
		}
		return out
	}
	p := pool.New().WithMaxGoroutines(readParallel)
	for i := range names {
		p.Go(func() { read(i) })
	}
	p.Wait()
	return out
}

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("open wisdom dir: %w", err)
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, fmt.Errorf("list wisdom dir: %w", err)
	}
	return names, nil
}

// readEntry parses one entry file and checks that it is named after its ID.
func readEntry(path string) (Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEntrySize+1))
	if err != nil {
		return Entry{}, err
	}
	if len(data) > maxEntrySize {
		return Entry{}, fmt.Errorf("larger than %d bytes", maxEntrySize)
	}
	var e Entry
	if err := json.Unmarshal(data, &e); err != nil {
		return Entry{}, err
	}
	if err := e.validate(); err != nil {
		return Entry{}, err
	}
	if want := strings.TrimSuffix(filepath.Base(path), ".json"); e.ID != want {
		return Entry{}, fmt.Errorf("id %q does not match the file name", e.ID)
	}
	return e, nil
}

// Entries returns every readable entry, oldest first (ties by ID), with
// the report of the read. The entries' slices are shared: do not modify.
func (s *Store) Entries() ([]Entry, LoadReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(false); err != nil {
		return nil, LoadReport{}, err
	}
	out := make([]Entry, 0, len(s.idx.docs))
	for _, d := range s.idx.docs {
		out = append(out, d.entry)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, s.lastLoad, nil
}

// Get returns the entry whose ID is id or starts with it.
func (s *Store) Get(id string) (Entry, error) {
	id = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(id), ".json"))
	if id == "" {
		return Entry{}, fmt.Errorf("get wisdom entry: %w: empty ID", ErrNotFound)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.load(false); err != nil {
		return Entry{}, err
	}
	var found []Entry
	for _, d := range s.idx.docs {
		if strings.HasPrefix(d.entry.ID, id) {
			found = append(found, d.entry)
		}
	}
	switch len(found) {
	case 0:
		return Entry{}, fmt.Errorf("get wisdom entry %s: %w", id, ErrNotFound)
	case 1:
		return found[0], nil
	default:
		return Entry{}, &AmbiguousIDError{Prefix: id, Matches: len(found)}
	}
}
