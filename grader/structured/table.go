package structured

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/mlbench/mlbench/grader/csvscan"
)

// table is a CSV held in memory as strings, only the columns asked for
// (used for answers and for the small submissions of detection tasks).
type table struct {
	header []string
	cols   map[string][]string
	rows   int
}

// readTable reads r, keeping the named columns (all must exist unless
// optional). Missing trailing cells are "" (pandas: NaN).
func readTable(ctx context.Context, r io.Reader, want []string, optional ...string) (*table, error) {
	cr, err := csvscan.NewReader(r)
	if err != nil {
		return nil, err
	}
	t := &table{header: cr.Header(), cols: map[string][]string{}}
	pos := map[int]string{}
	for _, name := range append(append([]string(nil), want...), optional...) {
		if j := cr.Index(name); j >= 0 {
			pos[j] = name
			t.cols[name] = nil
		}
	}
	for _, name := range want {
		if cr.Index(name) < 0 {
			return nil, &Invalid{Column: name, Reason: fmt.Sprintf("column '%s' not found; columns are: %v", name, cr.Header())}
		}
	}
	buf := []byte(nil)
	for {
		ok, err := nextRow(ctx, cr)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		seen := 0
		for j, err := range cr.Fields() {
			if err != nil {
				return nil, err
			}
			name, keep := pos[j]
			if !keep {
				continue
			}
			buf, err = cr.Bytes(buf[:0])
			if err != nil {
				return nil, err
			}
			t.cols[name] = append(t.cols[name], string(buf))
			seen++
		}
		if seen < len(pos) {
			for _, name := range pos {
				if len(t.cols[name]) < cr.Row() {
					t.cols[name] = append(t.cols[name], "")
				}
			}
		}
		t.rows = cr.Row()
	}
	return t, nil
}

func (t *table) has(name string) bool {
	_, ok := t.cols[name]
	return ok
}

// kind is pandas' dtype of a column of strings.
func kindOf(cells []string) csvscan.Kind {
	var k csvscan.KindTracker
	for _, c := range cells {
		k.Observe(c)
	}
	return k.Kind()
}

// ints parses a numeric answers column with Python's int() of pandas'
// value (floats truncated).
func ints(cells []string, name string) ([]int64, error) {
	out := make([]int64, len(cells))
	for i, c := range cells {
		v, ok := csvscan.Number(c)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1<<53 {
			return nil, answersError("%s %q on row %d is not an integer", name, c, i+1)
		}
		out[i] = int64(v)
	}
	return out, nil
}

// floats parses a numeric answers column (missing cells are NaN).
func floats(cells []string, name string) ([]float64, error) {
	out := make([]float64, len(cells))
	for i, c := range cells {
		v, ok := csvscan.Number(c)
		if !ok {
			return nil, answersError("%s %q on row %d is not a number", name, c, i+1)
		}
		out[i] = v
	}
	return out, nil
}

// ids matches submission ids with answers ids as pandas compares them:
// numbers when the answers' id column is numeric (so "1.0" is 1), strings
// otherwise; a missing id (NaN) equals nothing.
type ids struct {
	numeric bool
	index   map[string]int // key -> answers row
	order   []int          // answers rows in sorted-id order
	rank    []int          // answers row -> position in sorted order
	used    []bool
	matched int
}

func newIDs(cells []string, col string) (*ids, error) {
	k := &ids{numeric: kindOf(cells) == csvscan.KindNumeric, index: make(map[string]int, len(cells))}
	vals := make([]float64, len(cells))
	exact := make([]int64, len(cells))
	allInts := true
	for i, c := range cells {
		key, ok := k.key(c)
		if !ok {
			return nil, answersError("%s on row %d is missing", col, i+1)
		}
		if _, dup := k.index[key]; dup {
			return nil, answersError("%s %q appears twice", col, c)
		}
		k.index[key] = i
		if k.numeric {
			vals[i], _ = csvscan.Number(c)
			n, err := strconv.ParseInt(key, 10, 64)
			exact[i] = n
			allInts = allInts && err == nil
		}
	}
	k.order = make([]int, len(cells))
	for i := range k.order {
		k.order[i] = i
	}
	sort.SliceStable(k.order, func(a, b int) bool {
		if k.numeric && allInts {
			return exact[k.order[a]] < exact[k.order[b]]
		}
		if k.numeric {
			return vals[k.order[a]] < vals[k.order[b]]
		}
		return cells[k.order[a]] < cells[k.order[b]]
	})
	k.rank = make([]int, len(cells))
	for pos, i := range k.order {
		k.rank[i] = pos
	}
	k.used = make([]bool, len(cells))
	return k, nil
}

func (k *ids) key(cell string) (string, bool) {
	if csvscan.IsNA(cell) {
		return "", false
	}
	if !k.numeric {
		return cell, true
	}
	// Integers compare exactly (pandas keeps int64 ids, e.g. contrails'
	// 19-digit record ids, which float64 cannot tell apart).
	if n, err := strconv.ParseInt(strings.TrimSpace(cell), 10, 64); err == nil {
		return strconv.FormatInt(n, 10), true
	}
	v, ok := csvscan.Number(cell)
	if !ok || math.IsNaN(v) {
		return "", false
	}
	if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
		return strconv.FormatInt(int64(v), 10), true
	}
	return strconv.FormatFloat(v, 'g', -1, 64), true
}

// claim matches a submission id with an answers row not matched before.
// Any failure means the sorted id columns differ, which the reference
// reports as an invalid submission.
func (k *ids) claim(cell string, row int, col string) (int, error) {
	key, ok := k.key(cell)
	if !ok {
		if csvscan.IsNA(cell) {
			return 0, invalidf(row, col, "the id is missing; the ids must be exactly those of the answers")
		}
		return 0, invalidf(row, col, "id %s is not a number, but the answers' ids are numbers", quote(cell))
	}
	i, found := k.index[key]
	if !found {
		return 0, invalidf(row, col, "id %s is not among the answers' ids", quote(cell))
	}
	if k.used[i] {
		return 0, invalidf(row, col, "id %s appears more than once", quote(cell))
	}
	k.used[i] = true
	k.matched++
	return i, nil
}

// lookup finds an answers row without claiming it (ids may repeat).
func (k *ids) lookup(cell string) (int, bool) {
	key, ok := k.key(cell)
	if !ok {
		return 0, false
	}
	i, found := k.index[key]
	return i, found
}

// missing names an answers id that no submission row claimed.
// beyond is the error for submission row row past the answers' n rows
// (nil while row <= n): a scan stops there instead of reading on.
func beyond(row, n int) error {
	if row > n {
		return invalidf(0, "", "the submission has more than the %d rows of the answers", n)
	}
	return nil
}

// complete checks a submission that was read to its end: exactly the
// answers' n rows, every answer id claimed (cells is the answers' id
// column col).
func (k *ids) complete(rows, n int, col string, cells []string) error {
	if rows != n {
		return invalidf(0, "", "the submission has %d rows, the answers %d", rows, n)
	}
	if k.matched != n {
		return invalidf(0, col, "%s %s of the answers is missing", col, quote(k.missing(cells)))
	}
	return nil
}

func (k *ids) missing(cells []string) string {
	for _, i := range k.order {
		if !k.used[i] {
			return cells[i]
		}
	}
	return ""
}

func quote(s string) string {
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strconv.Quote(s)
}
