package baseline

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

type classMatch struct {
	ClassColumn
	matched bool
}

// mapClasses ties each probability column to a label: the exact label, or
// the longest label the column name ends with after a separator
// ("Class_3" -> "3", "proba-cat" -> "cat"); unmatched columns take the part
// of the name after the columns' common separator-ended prefix.
func mapClasses(cols, labels []string) []classMatch {
	prefix := commonPrefix(cols)
	if i := strings.LastIndexAny(prefix, "_- ."); i >= 0 {
		prefix = prefix[:i+1]
	} else {
		prefix = ""
	}
	out := make([]classMatch, len(cols))
	for i, c := range cols {
		out[i] = classMatch{ClassColumn: ClassColumn{Column: c, Label: strings.TrimPrefix(c, prefix)}}
		best := ""
		for _, l := range labels {
			if c == l {
				best = l
				break
			}
			if strings.EqualFold(c, l) {
				best = l
				continue
			}
			if !strings.EqualFold(best, c) && len(l) > len(best) && len(c) > len(l) && strings.HasSuffix(c, l) &&
				strings.ContainsRune("_- .", rune(c[len(c)-len(l)-1])) {
				best = l
			}
		}
		if best != "" {
			out[i].Label, out[i].matched = best, true
		}
	}
	return out
}

func commonPrefix(ss []string) string {
	if len(ss) < 2 {
		return ""
	}
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// looksCategorical: any non-numeric value, or few integer levels.
func looksCategorical(vals []string) bool {
	levels := map[string]bool{}
	for _, v := range vals {
		if missingCell(v) {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return true
		}
		if f != math.Trunc(f) {
			return false
		}
		levels[v] = true
	}
	return len(levels) <= 2 || (len(levels) <= maxClasses && len(levels)*20 <= len(vals))
}

// positiveLabel picks the class whose probability a binary column holds.
func positiveLabel(levels []string) string {
	for _, l := range levels {
		switch strings.ToLower(l) {
		case "1", "1.0", "true", "yes", "y", "t", "positive", "pos":
			return l
		}
	}
	return levels[len(levels)-1]
}

// fractional reports whether the sample's values look like probabilities:
// all numbers in [0,1] and not all of them 0 or 1.
func fractional(vals []string) bool {
	frac := false
	for _, v := range vals {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return false
		}
		if f != 0 && f != 1 {
			frac = true
		}
	}
	return frac
}

func fractionalAny(c *columns, cols []string) bool {
	for _, col := range cols {
		if fractional(c.values(col)) {
			return true
		}
	}
	return false
}

func numericIn01(levels []string) bool {
	for _, l := range levels {
		f, err := strconv.ParseFloat(l, 64)
		if err != nil || (f != 0 && f != 1) {
			return false
		}
	}
	return true
}

// distinct returns the non-empty distinct values, sorted numerically when
// all are numbers (as pandas/numpy would sort them), else as strings.
func distinct(vals []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vals {
		if !missingCell(v) && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	numeric := true
	for _, v := range out {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			numeric = false
			break
		}
	}
	if numeric {
		slices.SortFunc(out, func(a, b string) int {
			fa, _ := strconv.ParseFloat(a, 64)
			fb, _ := strconv.ParseFloat(b, 64)
			switch {
			case fa < fb:
				return -1
			case fa > fb:
				return 1
			}
			return strings.Compare(a, b)
		})
	} else {
		slices.Sort(out)
	}
	return out
}

func set(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func def(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func looksNumber(v string) bool {
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}
