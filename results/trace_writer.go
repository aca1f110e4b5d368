package results

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/mlbench/mlbench/internal/atomicfile"
)

// Trace part file names: trace-<part>.parquet, part a zero-padded counter
// so that names sort in write order; a compacted file is
// trace-<first>-<last>.parquet and replaces parts first..last.
const (
	tracePrefix = "trace-"
	traceSuffix = ".parquet"
	// tempPrefix marks files being written; readers ignore them and a new
	// TraceWriter removes leftovers of a killed predecessor.
	tempPrefix = ".trace-"
	tempSuffix = ".tmp"
)

// TracePartName returns the file name of trace part n.
func TracePartName(n int) string {
	return fmt.Sprintf("%s%06d%s", tracePrefix, n, traceSuffix)
}

// compactedName returns the name of the file replacing parts first..last.
func compactedName(first, last int) string {
	return fmt.Sprintf("%s%06d-%06d%s", tracePrefix, first, last, traceSuffix)
}

// tracePart is one trace file and the part numbers it holds.
type tracePart struct {
	first, last int
	path        string
}

// listParts returns the live trace files of itemDir in part order, and
// those made redundant by a compacted file that covers them (left behind
// when a compaction was interrupted).
func listParts(itemDir string) (live, covered []tracePart, err error) {
	entries, err := os.ReadDir(itemDir)
	if err != nil {
		return nil, nil, fmt.Errorf("list trace parts: %w", err)
	}
	var all []tracePart
	for _, e := range entries {
		if first, last, ok := partRange(e.Name()); ok && e.Type().IsRegular() {
			all = append(all, tracePart{first, last, filepath.Join(itemDir, e.Name())})
		}
	}
	// Widest first, so a covering file is seen before what it covers.
	sort.Slice(all, func(i, j int) bool {
		if all[i].first != all[j].first {
			return all[i].first < all[j].first
		}
		return all[i].last > all[j].last
	})
	end := -1
	for _, p := range all {
		if p.last <= end {
			covered = append(covered, p)
			continue
		}
		live = append(live, p)
		end = max(end, p.last)
	}
	return live, covered, nil
}

// TraceParts lists the complete trace files of an item directory in part
// order (full paths). Files being written, and parts already merged into
// a compacted file, are not listed.
func TraceParts(itemDir string) ([]string, error) {
	live, _, err := listParts(itemDir)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(live))
	for i, p := range live {
		out[i] = p.path
	}
	return out, nil
}

// partRange parses "trace-<n>.parquet" and "trace-<first>-<last>.parquet".
func partRange(name string) (first, last int, ok bool) {
	if !strings.HasPrefix(name, tracePrefix) || !strings.HasSuffix(name, traceSuffix) {
		return 0, 0, false
	}
	mid := name[len(tracePrefix) : len(name)-len(traceSuffix)]
	a, b, ranged := strings.Cut(mid, "-")
	first, err := strconv.Atoi(a)
	if err != nil || first < 0 {
		return 0, 0, false
	}
	if !ranged {
		return first, first, true
	}
	last, err = strconv.Atoi(b)
	if err != nil || last < first {
		return 0, 0, false
	}
	return first, last, true
}

// Compaction limits: files with fewer than compactSmallRows rows are
// merged, into files of at most compactMaxRows rows. Larger files are
// already cheap to read and are never rewritten, which keeps the cost of a
// compaction bounded however long a run grows.
const (
	compactSmallRows = 10_000
	compactMaxRows   = 50_000
)

// CompactTrace merges runs of consecutive small trace files of itemDir
// (see compactSmallRows) into one file each, so that readers open a few
// files per item instead of one per flush. Each merged file is written
// atomically as trace-<first>-<last>.parquet before the parts it replaces
// are removed; if it is interrupted in between, readers ignore the parts
// the merged file covers and the next CompactTrace removes them. A part
// that cannot be read stops the compaction (nothing is lost; the error
// names it). It returns the number of trace files left. It must not run
// while a TraceWriter is open on the same directory, except from that
// writer.
func CompactTrace(itemDir string) (int, error) {
	live, covered, err := listParts(itemDir)
	if err != nil {
		return 0, err
	}
	for _, p := range covered {
		if err := os.Remove(p.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return len(live), fmt.Errorf("remove merged part: %w", err)
		}
	}
	// Group consecutive small files into runs.
	var runs [][]tracePart
	var cur []tracePart
	var curRows int64
	endRun := func() {
		if len(cur) > 1 {
			runs = append(runs, cur)
		}
		cur, curRows = nil, 0
	}
	for _, p := range live {
		n, err := fileRows(p.path)
		if err != nil {
			return len(live), fmt.Errorf("compact %s: %w", itemDir, err)
		}
		if n >= compactSmallRows {
			endRun()
			continue
		}
		if curRows+n > compactMaxRows {
			endRun()
		}
		cur = append(cur, p)
		curRows += n
	}
	endRun()
	left := len(live)
	for _, run := range runs {
		if err := mergeParts(itemDir, run); err != nil {
			return left, err
		}
		left -= len(run) - 1
	}
	return left, nil
}

// fileRows reads the row count from a Parquet footer.
func fileRows(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", filepath.Base(path), err)
	}
	return pf.NumRows(), nil
}

// mergeParts replaces consecutive parts by one file.
func mergeParts(itemDir string, run []tracePart) error {
	var rows []NodeRow
	for _, p := range run {
		part, err := parquet.ReadFile[NodeRow](p.path)
		if err != nil {
			return fmt.Errorf("compact %s: read %s: %w", itemDir, filepath.Base(p.path), err)
		}
		rows = append(rows, part...)
	}
	first, last := run[0].first, run[len(run)-1].last
	if err := WriteNodesFile(filepath.Join(itemDir, compactedName(first, last)), rows); err != nil {
		return fmt.Errorf("compact %s: %w", itemDir, err)
	}
	for _, p := range run {
		if err := os.Remove(p.path); err != nil {
			return fmt.Errorf("compact %s: remove merged part: %w", itemDir, err)
		}
	}
	atomicfile.SyncDir(itemDir)
	return nil
}

// TraceOptions tunes a TraceWriter. The zero value gives the defaults.
type TraceOptions struct {
	// PartRows closes the open part once it holds this many rows
	// (default 50,000).
	PartRows int
	// PartAge closes the open part once its oldest row has waited this
	// long (default 2 minutes), so a killed job loses at most about that
	// much of a slow search. Negative disables the age limit.
	PartAge time.Duration
	// RowGroupRows is the row-group size inside a part (default 10,000).
	RowGroupRows int
	// NoCompact keeps the parts as they are instead of merging them with
	// CompactTrace on Close and whenever CompactEvery files pile up.
	NoCompact bool
	// CompactEvery runs CompactTrace once the item has more than this many
	// trace files (default 16), so that a long run read while in progress
	// costs a few file opens, not one per flush.
	CompactEvery int
}

func (o TraceOptions) withDefaults() TraceOptions {
	if o.PartRows <= 0 {
		o.PartRows = 50_000
	}
	if o.PartAge == 0 {
		o.PartAge = 2 * time.Minute
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = 10_000
	}
	if o.CompactEvery <= 0 {
		o.CompactEvery = 16
	}
	return o
}

// ErrClosed is returned by TraceWriter methods after Close.
var ErrClosed = errors.New("results: trace writer closed")

// TraceWriter writes the node rows of one work item as Parquet parts in the
// item directory. One goroutine, owned by the writer, does all file work;
// Write, Flush and Close may be called from any goroutine. Call order: any
// number of Write and Flush, then Close (idempotent; later calls return the
// first Close's result).
//
// Rows are buffered in memory. A part is written when it reaches
// TraceOptions.PartRows rows, when its oldest row is older than
// TraceOptions.PartAge, on Flush and on Close: to a temporary name first,
// then fsynced and renamed to trace-<part>.parquet. Part numbers continue
// after the parts already in the directory, so a resumed item appends.
type TraceWriter struct {
	dir  string
	opts TraceOptions

	reqs chan traceReq
	done chan struct{}

	closeOnce sync.Once
	closeErr  error

	// sendMu guards closed against sends on the closed reqs channel:
	// senders hold it shared, Close exclusively.
	sendMu sync.RWMutex
	closed bool

	mu  sync.Mutex
	err error // first write failure; sticky
}

type traceReq struct {
	rows  []NodeRow
	reply chan error // non-nil: flush the part and answer
}

// NewTraceWriter starts a writer for itemDir (created if missing). It
// removes temporary files left by a killed writer.
func NewTraceWriter(itemDir string, opts TraceOptions) (*TraceWriter, error) {
	if err := os.MkdirAll(itemDir, 0o755); err != nil {
		return nil, fmt.Errorf("create item dir: %w", err)
	}
	entries, err := os.ReadDir(itemDir)
	if err != nil {
		return nil, fmt.Errorf("list item dir: %w", err)
	}
	next, files := 0, 0
	for _, e := range entries {
		name := e.Name()
		if _, last, ok := partRange(name); ok {
			next = max(next, last+1)
			files++
		}
		if strings.HasPrefix(name, tempPrefix) && strings.HasSuffix(name, tempSuffix) {
			if err := os.Remove(filepath.Join(itemDir, name)); err != nil {
				return nil, fmt.Errorf("remove stale part: %w", err)
			}
		}
	}
	w := &TraceWriter{
		dir:  itemDir,
		opts: opts.withDefaults(),
		reqs: make(chan traceReq, 64),
		done: make(chan struct{}),
	}
	go w.loop(next, files)
	return w, nil
}

// Write queues rows for the open part. The rows are copied; the caller may
// reuse the slice. It returns the error of an earlier failed part write, if
// any (the rows of that part are lost; later parts are still attempted).
func (w *TraceWriter) Write(rows ...NodeRow) error {
	if len(rows) == 0 {
		return w.stickyErr()
	}
	if !w.send(traceReq{rows: append([]NodeRow(nil), rows...)}) {
		return ErrClosed
	}
	return w.stickyErr()
}

// Flush writes the open part now (nothing happens when it is empty) and
// waits until it is renamed into place.
func (w *TraceWriter) Flush() error {
	reply := make(chan error, 1)
	if !w.send(traceReq{reply: reply}) {
		return ErrClosed
	}
	return <-reply
}

// send queues req unless the writer is closed.
func (w *TraceWriter) send(req traceReq) bool {
	w.sendMu.RLock()
	defer w.sendMu.RUnlock()
	if w.closed {
		return false
	}
	w.reqs <- req
	return true
}

// Close writes the open part, stops the writer and, unless
// TraceOptions.NoCompact, merges the item's parts into one file
// (CompactTrace). It is idempotent and returns the first error any part
// write or the compaction met.
func (w *TraceWriter) Close() error {
	w.closeOnce.Do(func() {
		w.sendMu.Lock()
		w.closed = true
		close(w.reqs)
		w.sendMu.Unlock()
		<-w.done
		w.closeErr = w.stickyErr()
		if w.closeErr == nil && !w.opts.NoCompact {
			_, w.closeErr = CompactTrace(w.dir)
		}
	})
	return w.closeErr
}

func (w *TraceWriter) stickyErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *TraceWriter) setErr(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

// loop owns the buffer and every file operation. files counts the trace
// files in the directory.
func (w *TraceWriter) loop(next, files int) {
	defer close(w.done)
	var (
		buf    []NodeRow
		oldest time.Time
		timer  *time.Timer
		timerC <-chan time.Time
	)
	// write writes the first n buffered rows as the next part.
	write := func(n int) error {
		err := writePart(w.dir, next, buf[:n], w.opts.RowGroupRows)
		next++
		buf = append(buf[:0], buf[n:]...)
		if err != nil {
			w.setErr(err)
			return err
		}
		if files++; !w.opts.NoCompact && files > w.opts.CompactEvery {
			// A failed compaction loses nothing: the parts stay.
			left, err := CompactTrace(w.dir)
			if err != nil {
				w.setErr(err)
				return err
			}
			files = left
		}
		return nil
	}
	flush := func() error {
		if timer != nil {
			timer.Stop()
			timer, timerC = nil, nil
		}
		if len(buf) == 0 {
			return nil
		}
		return write(len(buf))
	}
	for {
		select {
		case req, ok := <-w.reqs:
			if !ok {
				_ = flush()
				return
			}
			if req.reply != nil {
				req.reply <- flush()
				continue
			}
			if len(buf) == 0 {
				oldest = time.Now()
				if w.opts.PartAge > 0 {
					timer = time.NewTimer(w.opts.PartAge)
					timerC = timer.C
				}
			}
			buf = append(buf, req.rows...)
			for len(buf) > w.opts.PartRows {
				_ = write(w.opts.PartRows)
			}
			if len(buf) == w.opts.PartRows {
				_ = flush()
			}
		case <-timerC:
			timer, timerC = nil, nil
			if time.Since(oldest) >= w.opts.PartAge {
				_ = flush()
			}
		}
	}
}

// writePart writes rows as part n of dir: temp file, fsync, rename.
func writePart(dir string, n int, rows []NodeRow, rowGroupRows int) error {
	final := filepath.Join(dir, TracePartName(n))
	f, err := os.CreateTemp(dir, tempPrefix+strconv.Itoa(n)+".*"+tempSuffix)
	if err != nil {
		return fmt.Errorf("create trace part: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		_ = f.Close()
		_ = os.Remove(tmp)
		return err
	}
	if err := f.Chmod(0o644); err != nil { // CreateTemp makes 0600
		return fail(fmt.Errorf("chmod trace part %d: %w", n, err))
	}
	if err := encodeNodes(f, rows, rowGroupRows); err != nil {
		return fail(fmt.Errorf("write trace part %d: %w", n, err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("sync trace part %d: %w", n, err))
	}
	if err := f.Close(); err != nil {
		return fail(fmt.Errorf("close trace part %d: %w", n, err))
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("rename trace part %d: %w", n, err)
	}
	atomicfile.SyncDir(dir)
	return nil
}

// noStatsColumns are the columns written without min/max statistics:
// all node columns, and the free text of result rows.
var noStatsColumns = map[string][]string{
	KindNode:   columnTags[NodeRow](),
	KindResult: {"params", "best_node_id"},
}

// columnTags returns the parquet column names of T's fields.
func columnTags[T any]() []string {
	var cols []string
	t := reflect.TypeFor[T]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("parquet"), ",")
		cols = append(cols, name)
	}
	return cols
}

// encodeNodes writes rows as one Parquet file to out.
func encodeNodes(out io.Writer, rows []NodeRow, rowGroupRows int) error {
	return encodeRows(out, rows, KindNode, rowGroupRows)
}

// encodeRows writes rows as one zstd-compressed Parquet file with the schema
// version in its key/value metadata.
func encodeRows[T any](out io.Writer, rows []T, kind string, rowGroupRows int) error {
	opts := []parquet.WriterOption{
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.KeyValueMetadata(MetaSchemaVersion, SchemaVersion),
		parquet.KeyValueMetadata(MetaKind, kind),
		parquet.CreatedBy("mlbench", SchemaVersion, ""),
	}
	// No min/max statistics: trace files are small (nothing to skip by
	// them) and every value in a footer costs each reader an allocation
	// when it opens the file; for free text it also bloats the footer.
	for _, col := range noStatsColumns[kind] {
		opts = append(opts, parquet.SkipPageBounds(col), parquet.SkipPageStatistics(col))
	}
	pw := parquet.NewGenericWriter[T](out, opts...)
	for len(rows) > 0 {
		n := min(len(rows), rowGroupRows)
		if _, err := pw.Write(rows[:n]); err != nil {
			_ = pw.Close()
			return err
		}
		if err := pw.Flush(); err != nil {
			_ = pw.Close()
			return err
		}
		rows = rows[n:]
	}
	return pw.Close()
}
