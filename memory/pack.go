package memory

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"time"
	"unsafe"

	"github.com/mlbench/mlbench/internal/atomicfile"
)

// The packed snapshot: one file holding every entry of the store and its
// search terms, so that a cold start reads one file instead of thousands.
// The entry files stay the truth: a reader uses the pack only for names
// that it lists in the directory (or, when the directory has not changed
// since the pack was written, for all of them) and parses files the pack
// lacks. The pack lives in a subdirectory so that writing it does not
// change the entry directory's modification time.
const (
	packDir  = ".pack"
	packName = "snapshot.bin"
	// packMagic starts every pack; its last byte is the format version.
	packMagic = "MLBWPK\x00\x01"
)

// errBadPack says a pack is unusable; readers fall back to the files.
var errBadPack = errors.New("memory: bad wisdom pack")

// packPath is where the store's pack lives.
func (s *Store) packPath() string { return filepath.Join(s.dir, packDir, packName) }

// CompactResult says what Compact wrote.
type CompactResult struct {
	Path    string
	Entries int
	Bytes   int
}

// Compact writes the packed snapshot of every readable entry, so that later
// cold loads read one file (see the package's Store documentation). It is
// safe while other processes write entries: those it misses are read from
// their files until the next Compact.
func (s *Store) Compact() (CompactResult, error) {
	if err := os.MkdirAll(filepath.Join(s.dir, packDir), 0o755); err != nil {
		return CompactResult{}, fmt.Errorf("compact wisdom: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var mod time.Time
	for try := 0; ; try++ {
		st, err := os.Stat(s.dir)
		if err != nil {
			return CompactResult{}, fmt.Errorf("compact wisdom: %w", err)
		}
		if err := s.load(true); err != nil {
			return CompactResult{}, err
		}
		after, err := os.Stat(s.dir)
		if err != nil {
			return CompactResult{}, fmt.Errorf("compact wisdom: %w", err)
		}
		// A listing bracketed by one modification time saw that state of
		// the directory; otherwise a writer raced it and the pack records
		// no time, so readers always list.
		if st.ModTime().Equal(after.ModTime()) {
			mod = st.ModTime()
			break
		}
		if try == 2 {
			break
		}
	}
	data := encodePack(s.idx, mod, s.now())
	res := CompactResult{Path: s.packPath(), Entries: len(s.idx.docs), Bytes: len(data)}
	if err := atomicfile.WriteFile(res.Path, data, 0o644); err != nil {
		return CompactResult{}, fmt.Errorf("compact wisdom: %w", err)
	}
	return res, nil
}

// pack is a decoded snapshot.
type pack struct {
	// dirMod is the entry directory's modification time when the pack was
	// listed (zero: unknown); listedAt is when that was.
	dirMod, listedAt time.Time
	idx              *index
}

// readPack reads the store's pack; a missing pack is fs.ErrNotExist.
func (s *Store) readPack() (*pack, error) {
	data, err := os.ReadFile(s.packPath())
	if err != nil {
		return nil, err
	}
	return decodePack(data)
}

// packWriter appends the pack's primitive values.
type packWriter struct{ b []byte }

func (w *packWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *packWriter) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *packWriter) str(s string)  { w.uint(uint64(len(s))); w.b = append(w.b, s...) }
func (w *packWriter) strs(ss []string) {
	w.uint(uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}
func (w *packWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// optFloat writes a presence flag and, when present, the value's 8 bytes.
func (w *packWriter) optFloat(v *float64) {
	w.bool(v != nil)
	if v != nil {
		w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(*v))
	}
}
func (w *packWriter) time(t time.Time) {
	if t.IsZero() {
		w.int(math.MinInt64)
		return
	}
	w.int(t.UnixNano())
}

// encodePack lays out: magic, crc32 of the rest, dir time, listing time,
// doc count, per doc its name, entry fields and length, then the term
// count and per term its postings (doc ordinal, frequency), so a reader
// builds no index.
func encodePack(ix *index, dirMod, listedAt time.Time) []byte {
	docs := ix.docs
	w := &packWriter{b: make([]byte, 0, 512*len(docs)+64)}
	w.time(dirMod)
	w.time(listedAt)
	w.uint(uint64(len(docs)))
	for _, d := range docs {
		e := &d.entry
		w.str(d.name)
		w.str(e.ID)
		w.str(e.TaskID)
		w.str(e.DataModality)
		w.str(e.Metric)
		w.bool(e.LowerIsBetter)
		w.strs(e.Keywords)
		w.strs(e.ColumnTypes)
		w.str(e.BestDesign)
		w.optFloat(e.BestMetric)
		w.str(e.Medal)
		w.strs(e.WhatFailed)
		w.strs(e.ModelFamilies)
		w.str(e.Recipe)
		w.strs(e.Worked)
		w.str(e.RunID)
		w.str(e.Item)
		w.bool(e.Provisional)
		w.int(e.CreatedAt.UnixNano())
		w.uint(uint64(d.len))
	}
	terms := make([]string, 0, len(ix.postings))
	for t := range ix.postings {
		terms = append(terms, t)
	}
	sort.Strings(terms)
	w.uint(uint64(len(terms)))
	for _, t := range terms {
		ps := ix.postings[t]
		w.str(t)
		w.uint(uint64(len(ps)))
		for _, p := range ps {
			w.uint(uint64(p.doc))
			w.uint(uint64(p.tf))
		}
	}
	out := make([]byte, 0, len(packMagic)+4+len(w.b))
	out = append(out, packMagic...)
	out = binary.LittleEndian.AppendUint32(out, crc32.ChecksumIEEE(w.b))
	return append(out, w.b...)
}

// packReader decodes a pack; the first error sticks. Strings share the
// pack's buffer (it is never modified), which makes a cold load of ten
// thousand entries a few allocations per entry.
type packReader struct {
	b   []byte
	err error
}

func (r *packReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w: truncated or corrupt", errBadPack)
	}
	r.b = nil
}

func (r *packReader) uint() uint64 { return readVarint(r, binary.Uvarint) }
func (r *packReader) int() int64   { return readVarint(r, binary.Varint) }

// readVarint consumes one varint decoded by read (binary.Uvarint or
// binary.Varint).
func readVarint[T uint64 | int64](r *packReader, read func([]byte) (T, int)) T {
	v, n := read(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// take consumes the next n bytes; nil when fewer are left.
func (r *packReader) take(n int) []byte {
	if len(r.b) < n {
		r.fail()
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

// count reads a length and checks it against the bytes left (each item
// takes at least one byte), so a corrupt length cannot allocate much.
func (r *packReader) count() int {
	n := r.uint()
	if n > uint64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *packReader) str() string {
	n := r.count()
	if n == 0 {
		return ""
	}
	s := unsafe.String(&r.b[0], n)
	r.b = r.b[n:]
	return s
}

func (r *packReader) strs() []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = r.str()
	}
	return out
}

func (r *packReader) bool() bool {
	b := r.take(1)
	return b != nil && b[0] != 0
}

// optFloat reads what packWriter.optFloat wrote.
func (r *packReader) optFloat() *float64 {
	if !r.bool() {
		return nil
	}
	b := r.take(8)
	if b == nil {
		return nil
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(b))
	return &v
}

func (r *packReader) time() time.Time {
	v := r.int()
	if v == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

func decodePack(data []byte) (*pack, error) {
	if len(data) < len(packMagic)+4 || string(data[:len(packMagic)]) != packMagic {
		return nil, fmt.Errorf("%w: not a pack of this version", errBadPack)
	}
	body := data[len(packMagic)+4:]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(data[len(packMagic):]) {
		return nil, fmt.Errorf("%w: checksum mismatch", errBadPack)
	}
	r := &packReader{b: body}
	p := &pack{dirMod: r.time(), listedAt: r.time(), idx: newIndex()}
	ix := p.idx
	n := r.count()
	ix.docs = make([]*doc, 0, n)
	docs := make([]doc, n)
	for i := 0; i < n && r.err == nil; i++ {
		d := &docs[i]
		e := &d.entry
		d.name = r.str()
		e.ID, e.TaskID, e.DataModality, e.Metric = r.str(), r.str(), r.str(), r.str()
		e.LowerIsBetter = r.bool()
		e.Keywords, e.ColumnTypes = r.strs(), r.strs()
		e.BestDesign = r.str()
		e.BestMetric = r.optFloat()
		e.Medal = r.str()
		e.WhatFailed, e.ModelFamilies = r.strs(), r.strs()
		e.Recipe = r.str()
		e.Worked = r.strs()
		e.RunID, e.Item = r.str(), r.str()
		e.Provisional = r.bool()
		e.CreatedAt = time.Unix(0, r.int()).UTC()
		d.len = int(r.uint())
		if r.err == nil && (d.name != fileName(e.ID) || e.validate() != nil) {
			r.err = fmt.Errorf("%w: entry %q does not match its name", errBadPack, d.name)
		}
		ix.docs = append(ix.docs, d)
		ix.superseded = append(ix.superseded, false)
		ix.totalLen += d.len
	}
	terms := r.count()
	for i := 0; i < terms && r.err == nil; i++ {
		t := r.str()
		ps := make([]posting, r.count())
		for j := range ps {
			doc, tf := r.uint(), r.uint()
			if doc >= uint64(len(ix.docs)) {
				r.fail()
				break
			}
			ps[j] = posting{doc: int32(doc), tf: int32(tf)}
		}
		ix.postings[t] = ps
	}
	for i := range ix.docs {
		ix.settle(int32(i))
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes", errBadPack, len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	return p, nil
}

// loadPack fills an empty cache from the pack. It reports whether the pack
// proves the directory unchanged since it was written, in which case no
// listing is needed. A missing or unusable pack leaves the cache empty.
func (s *Store) loadPack(mod time.Time) (fresh bool) {
	p, err := s.readPack()
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.packErr = err
		}
		return false
	}
	for _, d := range p.idx.docs {
		s.docs[d.name] = d
	}
	s.idx = p.idx
	return !p.dirMod.IsZero() && p.dirMod.Equal(mod) && p.listedAt.Sub(p.dirMod) > racyWindow
}
