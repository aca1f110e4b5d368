package slurm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Chunk is the work of one sbatch call: array element Indices[i] runs work
// item Base+Indices[i].
type Chunk struct {
	Base    int
	Indices []int
}

// Items returns the work items of the chunk in ascending order.
func (c Chunk) Items() []int {
	out := make([]int, len(c.Indices))
	for i, x := range c.Indices {
		out[i] = c.Base + x
	}
	return out
}

// MaxArraySpec is the longest --array value mlbench writes: slurmctld
// refuses index lists of about 4096 characters ("Pathname ... too long"),
// and a throttle suffix must still fit.
const MaxArraySpec = 4000

// Chunks splits work items into arrays whose indices stay below
// maxArraySize (Slurm's MaxArraySize: the largest index is one less) and
// whose --array value stays within MaxArraySpec characters. Items are
// sorted and deduplicated; each chunk's base is its first item, so a
// contiguous run of items becomes the array 0-(n-1), and scattered items
// (a resubmission) an explicit index list.
func Chunks(items []int, maxArraySize int) []Chunk {
	if len(items) == 0 {
		return nil
	}
	if maxArraySize < 1 {
		maxArraySize = 1
	}
	sorted := slices.Clone(items)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var out []Chunk
	var cur Chunk
	specLen, start := 0, 0 // formatted length; first index of the last range
	for i, it := range sorted {
		if i > 0 {
			x := it - cur.Base
			last := cur.Indices[len(cur.Indices)-1]
			n := specLen + 1 + digits(x) // ",x"
			if x == last+1 {
				n = specLen - rangeLen(start, last) + rangeLen(start, x)
			}
			if x < maxArraySize && n <= MaxArraySpec {
				if x != last+1 {
					start = x
				}
				cur.Indices = append(cur.Indices, x)
				specLen = n
				continue
			}
			out = append(out, cur)
		}
		cur = Chunk{Base: it, Indices: []int{0}}
		specLen, start = 1, 0
	}
	return append(out, cur)
}

func digits(x int) int { return len(strconv.Itoa(x)) }

// rangeLen is the formatted length of the range a-b ("a" when a == b).
func rangeLen(a, b int) int {
	if a == b {
		return digits(a)
	}
	return digits(a) + 1 + digits(b)
}

// FormatIndices writes ascending, distinct indices the way sbatch --array
// reads them: ranges joined by commas, e.g. "0-3,7,9-12".
func FormatIndices(idx []int) string {
	var b strings.Builder
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && idx[j+1] == idx[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(idx[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(idx[j]))
		}
		i = j + 1
	}
	return b.String()
}

// maxExpand bounds how many indices one parsed array spec may expand to, so
// a hostile or corrupt spec cannot exhaust memory.
const maxExpand = 4 << 20

// maxIndex is far above any MaxArraySize Slurm accepts (4,000,001).
const maxIndex = 1 << 30

// ParseIndices reads an array index spec as sbatch and squeue write it:
// "5", "0-9", "0-9:2", "1,3,5-7", optionally in brackets and with a
// "%throttle" suffix ("[2-5,9%2]"). It returns the indices in the order
// written.
func ParseIndices(spec string) ([]int, error) {
	s := strings.TrimSpace(spec)
	s = strings.TrimPrefix(s, "[")
	s = strings.TrimSuffix(s, "]")
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if _, err := strconv.Atoi(s[i+1:]); err != nil {
			return nil, fmt.Errorf("parse array spec %q: bad throttle", spec)
		}
		s = s[:i]
	}
	if s == "" {
		return nil, fmt.Errorf("parse array spec %q: empty", spec)
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		rng, stepStr, hasStep := strings.Cut(part, ":")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepStr)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("parse array spec %q: bad step %q", spec, stepStr)
			}
			step = n
		}
		lo, hi, isRange := strings.Cut(rng, "-")
		a, err := parseIndex(lo)
		if err != nil {
			return nil, fmt.Errorf("parse array spec %q: %w", spec, err)
		}
		b := a
		if isRange {
			if b, err = parseIndex(hi); err != nil {
				return nil, fmt.Errorf("parse array spec %q: %w", spec, err)
			}
			if b < a {
				return nil, fmt.Errorf("parse array spec %q: range %d-%d runs backwards", spec, a, b)
			}
		} else if hasStep {
			return nil, fmt.Errorf("parse array spec %q: step without a range", spec)
		}
		if (b-a)/step+1 > maxExpand-len(out) {
			return nil, fmt.Errorf("parse array spec %q: more than %d indices", spec, maxExpand)
		}
		for x := a; x <= b; x += step {
			out = append(out, x)
		}
	}
	return out, nil
}

func parseIndex(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > maxIndex || strings.HasPrefix(s, "+") {
		return 0, fmt.Errorf("bad index %q", s)
	}
	return n, nil
}
