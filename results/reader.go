package results

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// SkippedPart is a Parquet file a Reader could not read and left out.
type SkippedPart struct {
	Path string
	Err  error
}

// Reader reads trace parts and results files with arrow/go (pqarrow). It is
// tolerant: a part that cannot be read (truncated, corrupt, wrong schema
// type) is skipped and remembered, so one damaged file never hides a run.
// A Reader is safe for concurrent use.
type Reader struct {
	mem memory.Allocator

	mu      sync.Mutex
	skipped []SkippedPart
}

// NewReader returns a Reader allocating Arrow memory from mem
// (memory.DefaultAllocator when nil).
func NewReader(mem memory.Allocator) *Reader {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &Reader{mem: mem}
}

// Skipped returns the files skipped so far, in the order met.
func (r *Reader) Skipped() []SkippedPart {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]SkippedPart(nil), r.skipped...)
}

func (r *Reader) skip(path string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.skipped = append(r.skipped, SkippedPart{Path: path, Err: err})
}

// NodeColumns lists every node column in schema order.
var NodeColumns = columnNames(nodeSetters)

// ResultColumns lists every result column in schema order.
var ResultColumns = columnNames(resultSetters)

// Nodes reads the node rows of every trace part in itemDir, in part order.
// cols selects the columns to fill (nil: all); the others keep their zero
// value. Unreadable parts are skipped and recorded (see Skipped); the error
// is for an unknown column, a directory that cannot be listed or a
// cancelled ctx. Rows may share the pointees of nullable fields (Medal of
// equal values): assign a new pointer instead of writing through one.
func (r *Reader) Nodes(ctx context.Context, itemDir string, cols ...string) ([]NodeRow, error) {
	if err := checkColumns(nodeSetters, cols); err != nil {
		return nil, err
	}
	parts, err := TraceParts(itemDir)
	if err != nil {
		return nil, err
	}
	var out []NodeRow
	for _, p := range parts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows, err := readFile(ctx, r.mem, p, nodeSetters, cols)
		if err != nil {
			r.skip(p, err)
			continue
		}
		if out == nil {
			out = rows
		} else {
			out = append(out, rows...)
		}
	}
	return out, nil
}

// NodesFile reads one node file strictly: any problem is returned.
func (r *Reader) NodesFile(ctx context.Context, path string, cols ...string) ([]NodeRow, error) {
	return readFile(ctx, r.mem, path, nodeSetters, cols)
}

// Results reads a results.parquet file strictly.
func (r *Reader) Results(ctx context.Context, path string, cols ...string) ([]ResultRow, error) {
	return readFile(ctx, r.mem, path, resultSetters, cols)
}

// readFile reads the selected columns of one Parquet file into rows of T.
// Columns missing from the file (an older schema) stay zero; a column of an
// unexpected type is an error.
func readFile[T any](ctx context.Context, mem memory.Allocator, path string, setters []columnSetter[T], cols []string) ([]T, error) {
	use := setters
	if cols != nil {
		use = make([]columnSetter[T], 0, len(cols))
		for _, c := range cols {
			s, ok := findSetter(setters, c)
			if !ok {
				return nil, fmt.Errorf("read %s: %w: %q", filepath.Base(path), ErrUnknownColumn, c)
			}
			use = append(use, s)
		}
	}
	names := make([]string, len(use))
	for i, s := range use {
		names[i] = s.name
	}
	var rows []T
	err := scanFile(ctx, mem, path, names, func(n int, arrs []arrow.Array) error {
		at := len(rows)
		rows = append(rows, make([]T, n)...)
		for c, s := range use {
			if arrs[c] == nil {
				continue
			}
			if err := s.set(rows[at:at+n], arrs[c]); err != nil {
				return fmt.Errorf("column %s: %w", s.name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// scanFile calls fn with every record batch of one Parquet file: n rows,
// one array per name (nil when the file lacks that column). The arrays are
// released when fn returns. Panics inside the decoder (seen on corrupt
// pages) become errors.
func scanFile(ctx context.Context, mem memory.Allocator, path string, names []string, fn func(n int, arrs []arrow.Array) error) (err error) {
	base := filepath.Base(path)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("read %s: corrupt file: %v", base, p)
		}
	}()
	// One read of the whole file: trace parts are small, and arrow would
	// otherwise issue a read per footer and column chunk.
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", base, err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data), file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return fmt.Errorf("open %s: %w", base, err)
	}
	defer pf.Close()
	nrows := pf.NumRows()
	if nrows == 0 {
		return nil
	}
	// Column readers reserve BatchSize values up front: a batch much larger
	// than the file only costs zeroed memory. One more than the rows makes
	// the readers run into the end of their last page, which is when
	// arrow/go v17 releases that page's buffer.
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: min(nrows+1, 64*1024)}, mem)
	if err != nil {
		return fmt.Errorf("open %s: %w", base, err)
	}
	schema := pf.MetaData().Schema
	var indices, slots []int // file column index, position in names
	for i, name := range names {
		if c := schema.ColumnIndexByName(name); c >= 0 {
			indices = append(indices, c)
			slots = append(slots, i)
		}
	}
	arrs := make([]arrow.Array, len(names))
	if len(indices) == 0 {
		return fn(int(nrows), arrs)
	}
	rr, err := fr.GetRecordReader(ctx, indices, nil)
	if err != nil {
		return fmt.Errorf("read %s: %w", base, err)
	}
	defer rr.Release()
	var seen int64
	for rr.Next() {
		rec := rr.Record()
		for j, slot := range slots {
			arrs[slot] = rec.Column(j)
		}
		seen += rec.NumRows()
		if seen > nrows {
			return fmt.Errorf("read %s: more rows than the footer says", base)
		}
		if err := fn(int(rec.NumRows()), arrs); err != nil {
			return fmt.Errorf("read %s: %w", base, err)
		}
	}
	// The record reader reports a normal end as io.EOF.
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read %s: %w", base, err)
	}
	if seen != nrows {
		return fmt.Errorf("read %s: %d of %d rows", base, seen, nrows)
	}
	return nil
}

// ErrUnknownColumn is returned when a caller asks for a column the schema
// does not have.
var ErrUnknownColumn = errors.New("results: unknown column")

// columnSetter copies one Arrow column into a field of rows.
type columnSetter[T any] struct {
	name string
	set  func(rows []T, arr arrow.Array) error
}

func checkColumns[T any](setters []columnSetter[T], cols []string) error {
	for _, c := range cols {
		if _, ok := findSetter(setters, c); !ok {
			return fmt.Errorf("%w: %q", ErrUnknownColumn, c)
		}
	}
	return nil
}

func findSetter[T any](setters []columnSetter[T], name string) (columnSetter[T], bool) {
	for _, s := range setters {
		if s.name == name {
			return s, true
		}
	}
	return columnSetter[T]{}, false
}

func columnNames[T any](setters []columnSetter[T]) []string {
	names := make([]string, len(setters))
	for i, s := range setters {
		names[i] = s.name
	}
	return names
}

type typeError struct{ got arrow.DataType }

func (e typeError) Error() string { return "unexpected Arrow type " + e.got.String() }

// arrayAs is arr as the Arrow array type A, or a typeError.
func arrayAs[A arrow.Array](arr arrow.Array) (A, error) {
	a, ok := arr.(A)
	if !ok {
		return a, typeError{arr.DataType()}
	}
	return a, nil
}

// numValues is the values of an Int64 or Float64 array as []V.
func numValues[V int64 | float64](arr arrow.Array) ([]V, error) {
	var vals any
	switch a := arr.(type) {
	case *array.Int64:
		vals = a.Int64Values()
	case *array.Float64:
		vals = a.Float64Values()
	}
	v, ok := vals.([]V)
	if !ok {
		return nil, typeError{arr.DataType()}
	}
	return v, nil
}

// column is a columnSetter that converts the column with as (a wrong Arrow
// type is an error) and then fills the rows from it.
func column[T, A any](name string, as func(arrow.Array) (A, error), fill func(rows []T, a A)) columnSetter[T] {
	return columnSetter[T]{name, func(rows []T, arr arrow.Array) error {
		a, err := as(arr)
		if err != nil {
			return err
		}
		fill(rows, a)
		return nil
	}}
}

// numCol sets an int64 or float64 field from a column of that type.
func numCol[T any, V int64 | float64](name string, field func(*T) *V) columnSetter[T] {
	return column(name, numValues[V], func(rows []T, vals []V) {
		for i := range rows {
			*field(&rows[i]) = vals[i]
		}
	})
}

func optFloat64Col[T any](name string, field func(*T) **float64) columnSetter[T] {
	return column(name, arrayAs[*array.Float64], func(rows []T, a *array.Float64) {
		vals := a.Float64Values()
		var backing []float64 // one allocation for the column's non-null values
		for i := range rows {
			if a.IsNull(i) {
				*field(&rows[i]) = nil
				continue
			}
			if backing == nil {
				backing = make([]float64, 0, a.Len()-a.NullN())
			}
			backing = append(backing, vals[i])
			*field(&rows[i]) = &backing[len(backing)-1]
		}
	})
}

func boolCol[T any](name string, field func(*T) *bool) columnSetter[T] {
	return column(name, arrayAs[*array.Boolean], func(rows []T, a *array.Boolean) {
		for i := range rows {
			*field(&rows[i]) = a.Value(i)
		}
	})
}

func timeCol[T any](name string, field func(*T) *time.Time) columnSetter[T] {
	return column(name, arrayAs[*array.Timestamp], func(rows []T, a *array.Timestamp) {
		unit := a.DataType().(*arrow.TimestampType).Unit
		for i := range rows {
			if a.IsNull(i) {
				*field(&rows[i]) = time.Time{}
				continue
			}
			*field(&rows[i]) = a.Value(i).ToTime(unit)
		}
	})
}

// stringValues abstracts arrow's String and LargeString arrays.
type stringValues interface {
	arrow.Array
	Value(int) string
}

// stringCol copies strings out of Arrow memory (which is released after the
// read), reusing the previous copy for repeated values as in
// dictionary-encoded columns.
func stringCol[T any](name string, field func(*T) *string) columnSetter[T] {
	return column(name, arrayAs[stringValues], func(rows []T, a stringValues) {
		var prev string
		for i := range rows {
			if a.IsNull(i) {
				*field(&rows[i]) = ""
				continue
			}
			v := a.Value(i)
			if v != prev || i == 0 {
				prev = strings.Clone(v)
			}
			*field(&rows[i]) = prev
		}
	})
}

func optStringCol[T any](name string, field func(*T) **string) columnSetter[T] {
	return column(name, arrayAs[stringValues], func(rows []T, a stringValues) {
		var prev *string
		for i := range rows {
			if a.IsNull(i) {
				*field(&rows[i]) = nil
				continue
			}
			v := a.Value(i)
			if prev == nil || *prev != v {
				s := strings.Clone(v)
				prev = &s
			}
			*field(&rows[i]) = prev
		}
	})
}
