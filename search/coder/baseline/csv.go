package baseline

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// columns holds some columns of the first rows of a CSV file.
type columns struct {
	header []string
	index  map[string]int
	cols   map[string][]string
	rows   int
}

func (c *columns) values(col string) []string { return c.cols[col] }

func (c *columns) unique(col string) bool {
	vals := c.cols[col]
	seen := make(map[string]struct{}, len(vals))
	for _, v := range vals {
		if _, dup := seen[v]; dup {
			return false
		}
		seen[v] = struct{}{}
	}
	return len(vals) > 0
}

// openCSV opens path and reads its header (cleaned of a byte-order mark);
// the reader is left at the first data row. The caller closes f.
func openCSV(path string) (f *os.File, r *csv.Reader, header []string, err error) {
	f, err = os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	r = csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	h, err := r.Read()
	if err != nil {
		f.Close()
		return nil, nil, nil, fmt.Errorf("read header of %s: %w", path, err)
	}
	return f, r, cleanHeader(h), nil
}

func readHeader(path string) ([]string, error) {
	f, _, h, err := openCSV(path)
	if err != nil {
		return nil, err
	}
	f.Close()
	return h, nil
}

func cleanHeader(h []string) []string {
	out := slices.Clone(h)
	if len(out) > 0 {
		out[0] = strings.TrimPrefix(out[0], "\ufeff")
	}
	return out
}

// readColumns reads the named columns (all when want is nil) of up to
// maxRows rows.
func readColumns(path string, want []string, maxRows int) (*columns, error) {
	f, r, h, err := openCSV(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c := &columns{header: h, index: map[string]int{}, cols: map[string][]string{}}
	for i, name := range c.header {
		if _, dup := c.index[name]; !dup {
			c.index[name] = i
		}
	}
	if want == nil {
		want = c.header
	}
	for c.rows < maxRows {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		for _, name := range want {
			i, ok := c.index[name]
			v := ""
			if ok && i < len(rec) {
				v = strings.TrimSpace(rec[i])
			}
			c.cols[name] = append(c.cols[name], v)
		}
		c.rows++
	}
	return c, nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
