package grader

import (
	"fmt"
	"hash/maphash"
	"math"
	"sort"
)

// requireColumns checks that the submission has every named column.
func requireColumns(t *Table, names ...string) error {
	for _, n := range names {
		if _, err := t.Column(n); err != nil {
			return err
		}
	}
	return nil
}

// requireRows checks the submission's row count against the answers'.
func requireRows(sub *Table, want int) error {
	if sub.Len() != want {
		return invalidf("submission has %d rows, expected %d (one per answer row)", sub.Len(), want)
	}
	return nil
}

// alignChecked is the opening most graders share: one submission row per
// answer row, the required columns present (checked in the order given, so
// the first missing one is reported), then the submission's rows aligned
// to the answers by idCol.
func alignChecked(sub, ans *Table, idCol string, cols ...string) ([]int, error) {
	if err := requireRows(sub, ans.Len()); err != nil {
		return nil, err
	}
	if err := requireColumns(sub, cols...); err != nil {
		return nil, err
	}
	return alignByID(sub, ans, idCol)
}

// alignByID matches submission rows to answer rows by the id column, the
// way the reference's "sort both by id, then require equal id lists" does:
// the two id multisets must be equal. It returns, for each answer row i, the
// submission row that holds its id. Rows with equal ids are matched in file
// order (what a stable sort of both would do). When both id columns are
// numeric, ids compare as numbers (pandas parses them as numbers: "1.0"
// equals "1"). It does not check the row count first; callers that must
// report a row-count mismatch before an id mismatch check it themselves.
func alignByID(sub, ans *Table, idCol string) ([]int, error) {
	sc, err := sub.Column(idCol)
	if err != nil {
		return nil, err
	}
	ac, err := ans.Column(idCol)
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	return alignColumns(sc, ac)
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if p != i {
			return false
		}
	}
	return true
}

func alignColumns(sc, ac Column) ([]int, error) {
	n := ac.Len()
	// Fast path: the submission lists the ids in the answers' order.
	if sc.Len() == n {
		same := true
		for i := range n {
			if sc.String(i) != ac.String(i) {
				same = false
				break
			}
		}
		if same {
			perm := make([]int, n)
			for i := range perm {
				perm[i] = i
			}
			return perm, nil
		}
	}
	if sc.IsNumeric() && ac.IsNumeric() {
		return matchKeys(sc, ac, func(c Column, i int) string { return numberKey(c.String(i)) })
	}
	return matchKeys(sc, ac, nil)
}

// matchKeys matches by key (the cell itself when key is nil) with an
// open-addressing hash index of the submission's keys (no per-row
// allocation for plain ids) and a chain per key, so that duplicate ids
// pair up in file order.
func matchKeys(sc, ac Column, key func(Column, int) string) ([]int, error) {
	m, n := sc.Len(), ac.Len()
	var skeys []string
	if key != nil {
		skeys = make([]string, m)
		for i := range skeys {
			skeys[i] = key(sc, i)
		}
	} else {
		key = func(c Column, i int) string { return c.String(i) }
	}
	subKey := func(i int32) string {
		if skeys != nil {
			return skeys[i]
		}
		return sc.String(int(i))
	}
	hashes := make([]uint64, m)
	seed := maphash.MakeSeed()
	for i := range hashes {
		hashes[i] = maphash.String(seed, subKey(int32(i)))
	}
	size := 16
	for size < 2*m {
		size <<= 1
	}
	mask := uint64(size - 1)
	// slots hold row+1 of the head of a key's chain, -(row+1) once the
	// chain is used up, 0 when empty.
	slots := make([]int32, size)
	next := make([]int32, m)
	tail := map[int32]int32{} // chain tails of repeated ids (rare)
	for i := range int32(m) {
		next[i] = -1
		h := hashes[i]
		for pos := h & mask; ; pos = (pos + 1) & mask {
			s := slots[pos]
			if s == 0 {
				slots[pos] = i + 1
				break
			}
			hd := s - 1
			if hashes[hd] == h && subKey(hd) == subKey(i) {
				t, ok := tail[hd]
				if !ok {
					t = hd
				}
				next[t] = i
				tail[hd] = i
				break
			}
		}
	}
	perm := make([]int, n)
	used := make([]bool, m)
	missing, firstMissing := 0, ""
	for i := range n {
		k := key(ac, i)
		h := maphash.String(seed, k)
		found := -1
		for pos := h & mask; ; pos = (pos + 1) & mask {
			s := slots[pos]
			if s == 0 {
				break
			}
			row := s - 1
			if s < 0 {
				row = -s - 1
			}
			if hashes[row] != h || subKey(row) != k {
				continue
			}
			if s > 0 {
				found = int(row)
				if nx := next[row]; nx >= 0 {
					slots[pos] = nx + 1
				} else {
					slots[pos] = -(row + 1)
				}
			}
			break
		}
		if found < 0 {
			if missing == 0 {
				firstMissing = ac.String(i)
			}
			missing++
			perm[i] = -1
			continue
		}
		perm[i] = found
		used[found] = true
	}
	extra, firstExtra, firstExtraRow := 0, "", 0
	for i, u := range used {
		if !u {
			if extra == 0 {
				firstExtra, firstExtraRow = sc.String(i), i+1
			}
			extra++
		}
	}
	switch {
	case missing > 0 && extra > 0:
		return nil, &InvalidSubmission{Column: sc.Name, Reason: fmt.Sprintf("ids in column '%s' do not match the answers: missing %d ids (first: %s), %d unexpected ids (first: %s, row %d)", sc.Name, missing, quoteCell(firstMissing), extra, quoteCell(firstExtra), firstExtraRow)}
	case missing > 0:
		return nil, &InvalidSubmission{Column: sc.Name, Reason: fmt.Sprintf("ids in column '%s' do not match the answers: missing %d ids (first: %s)", sc.Name, missing, quoteCell(firstMissing))}
	case extra > 0:
		return nil, &InvalidSubmission{Row: firstExtraRow, Column: sc.Name, Reason: fmt.Sprintf("%d ids are not in the answers or are repeated (first: %s)", extra, quoteCell(firstExtra))}
	}
	return perm, nil
}

// gather returns v reordered so that out[i] = v[perm[i]]. When perm is the
// identity it returns v itself (callers treat the result as read-only).
func gather[T any](v []T, perm []int) []T {
	if len(v) == len(perm) && isIdentity(perm) {
		return v
	}
	out := make([]T, len(perm))
	for i, p := range perm {
		out[i] = v[p]
	}
	return out
}

// alignAfterColumns is alignChecked for references that check the columns
// before the row count.
func alignAfterColumns(sub, ans *Table, idCol string, cols ...string) ([]int, error) {
	if err := requireColumns(sub, cols...); err != nil {
		return nil, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return nil, err
	}
	return alignByID(sub, ans, idCol)
}

// columns returns a column of the submission and the same column of the
// answers (whose absence is the answers' fault).
func columns(sub, ans *Table, col string) (sc, ac Column, err error) {
	if sc, err = sub.Column(col); err != nil {
		return Column{}, Column{}, err
	}
	if ac, err = ans.Column(col); err != nil {
		return Column{}, Column{}, fmt.Errorf("answers: %w", err)
	}
	return sc, ac, nil
}

// pyStringPair is pyStrings (pandas' astype(str), fill for missing cells
// when not nil) of a column of the submission and of the answers.
func pyStringPair(sub, ans *Table, col string, fill *string) (p, y []string, err error) {
	sc, ac, err := columns(sub, ans, col)
	if err != nil {
		return nil, nil, err
	}
	return pyStrings(sc, fill), pyStrings(ac, fill), nil
}

// answerFloats returns a numeric column of the answers; its errors say
// that the answers, not the submission, are at fault.
func answerFloats(ans *Table, col string) ([]float64, error) {
	c, err := ans.Column(col)
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	v, err := c.Floats()
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	return v, nil
}

// submissionFloats returns a numeric column of the submission in its own
// row order. A column of True/False is numbers to the reference (pandas
// reads it as bool, which pd.to_numeric, NumPy and scikit-learn take as
// 1/0), so it reads as 1 and 0, missing cells as NaN.
func submissionFloats(sub *Table, col string) ([]float64, error) {
	c, err := sub.Column(col)
	if err != nil {
		return nil, err
	}
	v, err := c.Floats()
	if err != nil && isBoolColumn(c) {
		return boolFloats(c), nil
	}
	return v, err
}

// boolFloats is a boolean column (see isBoolColumn) as 1, 0 and NaN.
func boolFloats(c Column) []float64 {
	out := make([]float64, c.Len())
	for i, k := range labelKeys(c) {
		switch k {
		case "n:1":
			out[i] = 1
		case naKey:
			out[i] = math.NaN()
		}
	}
	return out
}

// columnFloats returns the answers' and the submission's values of a
// numeric column, each in its own file order. The submission is parsed
// first, so that its errors are the ones reported.
func columnFloats(sub, ans *Table, col string) (y, p []float64, err error) {
	if p, err = submissionFloats(sub, col); err != nil {
		return nil, nil, err
	}
	if y, err = answerFloats(ans, col); err != nil {
		return nil, nil, err
	}
	return y, p, nil
}

// alignedFloats is columnFloats with the submission's values reordered to
// answer order by perm (from alignByID).
func alignedFloats(sub, ans *Table, perm []int, col string) (y, p []float64, err error) {
	if y, p, err = columnFloats(sub, ans, col); err != nil {
		return nil, nil, err
	}
	return y, gather(p, perm), nil
}

// sortedByKey returns the key column of both tables and the rows of each
// sorted by it: the reference's sort_values(key) of both files.
func sortedByKey(sub, ans *Table, keyCol string) (sk, ak Column, so, ao []int, err error) {
	if sk, ak, err = columns(sub, ans, keyCol); err != nil {
		return Column{}, Column{}, nil, nil, err
	}
	return sk, ak, sortedRows(sk), sortedRows(ak), nil
}

// sortedRows returns row indices ordered by a column as pandas sorts it:
// numbers by value (missing last) when the column is numeric, text
// otherwise; equal keys keep file order.
func sortedRows(c Column) []int {
	idx := make([]int, c.Len())
	for i := range idx {
		idx[i] = i
	}
	if c.IsNumeric() {
		v, _ := c.Floats()
		sort.SliceStable(idx, func(a, b int) bool {
			x, y := v[idx[a]], v[idx[b]]
			if math.IsNaN(y) {
				return !math.IsNaN(x)
			}
			return x < y
		})
		return idx
	}
	sort.SliceStable(idx, func(a, b int) bool { return c.String(idx[a]) < c.String(idx[b]) })
	return idx
}

// idKey returns the key function for matching ids of two columns: numbers
// when both are numeric, text otherwise.
func idKey(sc, ac Column) func(Column, int) string {
	if sc.IsNumeric() && ac.IsNumeric() {
		return func(c Column, i int) string { return numberKey(c.String(i)) }
	}
	return func(c Column, i int) string { return c.String(i) }
}

// alignSameIDs is the reference's set check on the id column (sameIDSet)
// followed by the alignment of the rows by id (alignByID).
func alignSameIDs(sub, ans *Table, idCol string) ([]int, error) {
	if err := sameIDSet(sub, ans, idCol); err != nil {
		return nil, err
	}
	return alignByID(sub, ans, idCol)
}

// sameIDSet is the reference's set(submission[id]) == set(answers[id]).
func sameIDSet(sub, ans *Table, col string) error {
	sc, err := sub.Column(col)
	if err != nil {
		return err
	}
	ac, err := ans.Column(col)
	if err != nil {
		return fmt.Errorf("answers: %w", err)
	}
	key := idKey(sc, ac)
	want := make(map[string]bool, ac.Len())
	for i := range ac.Len() {
		want[key(ac, i)] = true
	}
	have := make(map[string]bool, sc.Len())
	extra, firstExtra, firstExtraRow := 0, "", 0
	for i := range sc.Len() {
		k := key(sc, i)
		if have[k] {
			continue
		}
		have[k] = true
		if !want[k] {
			if extra == 0 {
				firstExtra, firstExtraRow = sc.String(i), i+1
			}
			extra++
		}
	}
	missing, firstMissing := 0, ""
	for i := range ac.Len() {
		k := key(ac, i)
		if !have[k] {
			if missing == 0 {
				firstMissing = ac.String(i)
			}
			missing++
			have[k] = true // count each missing id once
		}
	}
	switch {
	case missing > 0 && extra > 0:
		return &InvalidSubmission{Column: col, Reason: fmt.Sprintf("ids in column '%s' do not match the answers: missing %d ids (first: %s), %d unexpected ids (first: %s, row %d)", col, missing, quoteCell(firstMissing), extra, quoteCell(firstExtra), firstExtraRow)}
	case missing > 0:
		return &InvalidSubmission{Column: col, Reason: fmt.Sprintf("ids in column '%s' do not match the answers: missing %d ids (first: %s)", col, missing, quoteCell(firstMissing))}
	case extra > 0:
		return &InvalidSubmission{Row: firstExtraRow, Column: col, Reason: fmt.Sprintf("%d ids are not in the answers (first: %s)", extra, quoteCell(firstExtra))}
	}
	return nil
}

// mergeOnID is pandas' answers.merge(submission, on=id): every pair of an
// answer row and a submission row with the same id, in answer order
// (duplicated submission ids give several pairs).
func mergeOnID(sub, ans *Table, col string) (ansRows, subRows []int, err error) {
	sc, err := sub.Column(col)
	if err != nil {
		return nil, nil, err
	}
	ac, err := ans.Column(col)
	if err != nil {
		return nil, nil, fmt.Errorf("answers: %w", err)
	}
	key := idKey(sc, ac)
	bySub := make(map[string][]int, sc.Len())
	for i := range sc.Len() {
		k := key(sc, i)
		bySub[k] = append(bySub[k], i)
	}
	for i := range ac.Len() {
		for _, j := range bySub[key(ac, i)] {
			ansRows = append(ansRows, i)
			subRows = append(subRows, j)
		}
	}
	return ansRows, subRows, nil
}

// opening is how a reference starts grading: alignChecked (row count
// first) or alignAfterColumns (required columns first).
type opening func(sub, ans *Table, idCol string, cols ...string) ([]int, error)

// byID is the whole opening of a grader that scores one column matched by
// id: open with the id and the column required, then get the answers' and
// the submission's values of the column (alignedFloats, alignedClasses),
// the submission's in answer order.
func byID[T any](sub, ans *Table, open opening, get func(sub, ans *Table, perm []int, col string) ([]T, []T, error), idCol, col string) (y, p []T, perm []int, err error) {
	if perm, err = open(sub, ans, idCol, idCol, col); err != nil {
		return nil, nil, nil, err
	}
	if y, p, err = get(sub, ans, perm, col); err != nil {
		return nil, nil, nil, err
	}
	return y, p, perm, nil
}
