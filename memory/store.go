package memory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
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
		s.idx = newIndex(nil)
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
	changed := false
	for i, r := range s.readEntries(fresh) {
		name := fresh[i]
		if r.err != nil {
			report.Skipped = append(report.Skipped, SkippedFile{Name: name, Reason: r.err.Error()})
			delete(seen, name)
			continue
		}
		s.docs[name] = r.doc
		changed = true
	}
	for name := range s.docs {
		if !seen[name] {
			delete(s.docs, name)
			changed = true
		}
	}
	if changed || s.idx == nil {
		docs := make([]*doc, 0, len(s.docs))
		for _, d := range s.docs {
			docs = append(docs, d)
		}
		s.idx = newIndex(docs)
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
// returned.
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
		e := ix.docs[i].entry
		if !q.IncludeSameTask && e.TaskID == q.TaskID {
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

// Export writes every entry as one JSON object per line, oldest first,
// and returns how many it wrote.
func (s *Store) Export(w io.Writer) (int, error) {
	entries, _, err := s.Entries()
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if err := enc.Encode(e); err != nil {
			return 0, fmt.Errorf("export wisdom: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return 0, fmt.Errorf("export wisdom: %w", err)
	}
	return len(entries), nil
}

// ImportError locates a bad entry in an import stream.
type ImportError struct {
	// Entry is the 1-based position of the entry in the stream.
	Entry int
	Err   error
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("entry %d: %v", e.Entry, e.Err)
}

func (e *ImportError) Unwrap() error { return e.Err }

// ParseEntries reads entries from r: JSON objects and/or arrays of
// objects, whitespace-separated (so [Store.Export]'s output, a single entry
// file, or a JSON array all parse). Every entry is validated; the first bad
// one is returned as an *ImportError. IDs are recomputed by Put.
func ParseEntries(r io.Reader) ([]Entry, error) {
	dec := json.NewDecoder(r)
	var out []Entry
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, &ImportError{Entry: len(out) + 1, Err: err}
		}
		raw = bytes.TrimSpace(raw)
		var batch []Entry
		if len(raw) > 0 && raw[0] == '[' {
			var items []json.RawMessage
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, &ImportError{Entry: len(out) + 1, Err: err}
			}
			for _, item := range items {
				e, err := parseEntry(item)
				if err != nil {
					return nil, &ImportError{Entry: len(out) + len(batch) + 1, Err: err}
				}
				batch = append(batch, e)
			}
		} else {
			e, err := parseEntry(raw)
			if err != nil {
				return nil, &ImportError{Entry: len(out) + 1, Err: err}
			}
			batch = append(batch, e)
		}
		out = append(out, batch...)
	}
}

func parseEntry(raw json.RawMessage) (Entry, error) {
	var e Entry
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Entry{}, err
	}
	if err := e.validate(); err != nil {
		return Entry{}, err
	}
	return e, nil
}

// ImportResult counts what an import did.
type ImportResult struct {
	Added, Existing int
}

// Import parses every entry from r first (see [ParseEntries]) and only then
// writes them, so a bad stream adds nothing.
func (s *Store) Import(r io.Reader) (ImportResult, error) {
	entries, err := ParseEntries(r)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import wisdom: %w", err)
	}
	return s.PutAll(entries)
}

// PutAll puts entries in order and counts those that were new.
func (s *Store) PutAll(entries []Entry) (ImportResult, error) {
	var res ImportResult
	for _, e := range entries {
		_, added, err := s.put(e)
		if err != nil {
			return res, err
		}
		if added {
			res.Added++
		} else {
			res.Existing++
		}
	}
	return res, nil
}

// FormatWisdom renders retrieved entries for the first drafts' prompt, or
// "" when there are none.
func FormatWisdom(hits []Hit) string {
	if len(hits) == 0 {
		return ""
	}
	var b strings.Builder
	if len(hits) == 1 {
		b.WriteString("What worked on a similar earlier task. Its data differ from this task's: adapt what fits, do not copy.\n")
	} else {
		fmt.Fprintf(&b, "What worked on %d similar earlier tasks, most similar first. Their data differ from this task's: adapt what fits, do not copy.\n", len(hits))
	}
	for i, h := range hits {
		e := h.Entry
		fmt.Fprintf(&b, "%d. %s", i+1, e.TaskID)
		var facts []string
		if e.DataModality != "" {
			facts = append(facts, e.DataModality)
		}
		if e.Metric != "" {
			dir := "higher is better"
			if e.LowerIsBetter {
				dir = "lower is better"
			}
			facts = append(facts, fmt.Sprintf("metric %s, %s", e.Metric, dir))
		}
		if len(facts) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(facts, "; "))
		}
		b.WriteString(":")
		if e.BestDesign != "" {
			fmt.Fprintf(&b, " best design: %s", strings.TrimSuffix(firstParagraph(e.BestDesign, 400), "."))
			var res []string
			if e.BestMetric != nil {
				res = append(res, "metric "+formatMetric(*e.BestMetric))
			}
			if e.Medal != "" {
				res = append(res, "medal "+e.Medal)
			}
			if len(res) > 0 {
				fmt.Fprintf(&b, " (%s)", strings.Join(res, ", "))
			}
			b.WriteString(".")
		} else {
			b.WriteString(" no valid solution was found.")
		}
		if len(e.ModelFamilies) > 0 {
			fmt.Fprintf(&b, " Models: %s.", strings.Join(e.ModelFamilies, ", "))
		}
		if len(e.WhatFailed) > 0 {
			failed := make([]string, 0, len(e.WhatFailed))
			for _, f := range e.WhatFailed[:min(len(e.WhatFailed), 5)] {
				failed = append(failed, strings.TrimSuffix(firstParagraph(f, 200), "."))
			}
			fmt.Fprintf(&b, " What failed: %s.", strings.Join(failed, "; "))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// finite reports whether f is neither NaN nor infinite.
func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
