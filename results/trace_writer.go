package results

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// Trace part file names: trace-<part>.parquet, part a zero-padded counter
// so that names sort in write order.
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

// TraceParts lists the complete trace part files of an item directory in
// part order (full paths). Files being written are not listed.
func TraceParts(itemDir string) ([]string, error) {
	entries, err := os.ReadDir(itemDir)
	if err != nil {
		return nil, fmt.Errorf("list trace parts: %w", err)
	}
	type part struct {
		n    int
		path string
	}
	var parts []part
	for _, e := range entries {
		if n, ok := partNumber(e.Name()); ok && e.Type().IsRegular() {
			parts = append(parts, part{n, filepath.Join(itemDir, e.Name())})
		}
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].n < parts[j].n })
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = p.path
	}
	return out, nil
}

// partNumber parses "trace-<n>.parquet".
func partNumber(name string) (int, bool) {
	if !strings.HasPrefix(name, tracePrefix) || !strings.HasSuffix(name, traceSuffix) {
		return 0, false
	}
	n, err := strconv.Atoi(name[len(tracePrefix) : len(name)-len(traceSuffix)])
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
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
	next := 0
	for _, e := range entries {
		name := e.Name()
		if n, ok := partNumber(name); ok && n >= next {
			next = n + 1
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
	go w.loop(next)
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

// Close writes the open part and stops the writer. It is idempotent and
// returns the first error any part write met.
func (w *TraceWriter) Close() error {
	w.closeOnce.Do(func() {
		w.sendMu.Lock()
		w.closed = true
		close(w.reqs)
		w.sendMu.Unlock()
		<-w.done
		w.closeErr = w.stickyErr()
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

// loop owns the buffer and every file operation.
func (w *TraceWriter) loop(next int) {
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
		}
		return err
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
	syncDir(dir)
	return nil
}

// encodeNodes writes rows as one Parquet file to out.
func encodeNodes(out io.Writer, rows []NodeRow, rowGroupRows int) error {
	return encodeRows(out, rows, KindNode, rowGroupRows)
}

// encodeRows writes rows as one zstd-compressed Parquet file with the schema
// version in its key/value metadata.
func encodeRows[T any](out io.Writer, rows []T, kind string, rowGroupRows int) error {
	pw := parquet.NewGenericWriter[T](out,
		parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}),
		parquet.KeyValueMetadata(MetaSchemaVersion, SchemaVersion),
		parquet.KeyValueMetadata(MetaKind, kind),
		parquet.CreatedBy("mlbench", SchemaVersion, ""),
	)
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
