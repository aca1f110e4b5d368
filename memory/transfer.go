package memory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

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
