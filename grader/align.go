package grader

import (
	"fmt"
	"strconv"
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
	key := func(c Column, i int) string { return c.String(i) }
	if sc.IsNumeric() && ac.IsNumeric() {
		key = func(c Column, i int) string {
			v, _ := parseNumber(c.String(i))
			return strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	return matchKeys(sc, ac, key)
}

// matchKeys matches by key with a chain per key so that duplicate ids pair
// up in file order.
func matchKeys(sc, ac Column, key func(Column, int) string) ([]int, error) {
	m := sc.Len()
	head := make(map[string]int32, m)
	next := make([]int32, m)
	tail := make(map[string]int32, 0)
	for i := 0; i < m; i++ {
		k := key(sc, i)
		next[i] = -1
		if h, ok := head[k]; ok {
			// Append to this key's chain (rare: duplicate ids).
			t, ok := tail[k]
			if !ok {
				t = h
				for next[t] >= 0 {
					t = next[t]
				}
			}
			next[t] = int32(i)
			tail[k] = int32(i)
			continue
		}
		head[k] = int32(i)
	}
	n := ac.Len()
	perm := make([]int, n)
	used := make([]bool, m)
	missing, firstMissing := 0, ""
	for i := 0; i < n; i++ {
		k := key(ac, i)
		h, ok := head[k]
		if !ok || h < 0 {
			if missing == 0 {
				firstMissing = ac.String(i)
			}
			missing++
			perm[i] = -1
			continue
		}
		perm[i] = int(h)
		used[h] = true
		if nx := next[h]; nx >= 0 {
			head[k] = nx
		} else {
			head[k] = -1
		}
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

// gather returns v reordered so that out[i] = v[perm[i]].
func gather[T any](v []T, perm []int) []T {
	out := make([]T, len(perm))
	for i, p := range perm {
		out[i] = v[p]
	}
	return out
}
