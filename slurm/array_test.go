package slurm_test

import (
	"reflect"
	"slices"
	"testing"

	"github.com/mlbench/mlbench/slurm"
)

func seq(a, b int) []int {
	var out []int
	for i := a; i <= b; i++ {
		out = append(out, i)
	}
	return out
}

func TestChunks(t *testing.T) {
	cases := []struct {
		name  string
		items []int
		max   int
		want  []slurm.Chunk
	}{
		{"none", nil, 1001, nil},
		{"one array", seq(0, 9), 1001, []slurm.Chunk{{Base: 0, Indices: seq(0, 9)}}},
		{"exactly max", seq(0, 1000), 1001, []slurm.Chunk{{Base: 0, Indices: seq(0, 1000)}}},
		{"one over max", seq(0, 1001), 1001, []slurm.Chunk{{Base: 0, Indices: seq(0, 1000)}, {Base: 1001, Indices: []int{0}}}},
		{"three chunks", seq(0, 24), 10, []slurm.Chunk{{0, seq(0, 9)}, {10, seq(0, 9)}, {20, seq(0, 4)}}},
		{"scattered resubmit", []int{5000, 3, 7, 7, 1200}, 1001, []slurm.Chunk{{3, []int{0, 4}}, {1200, []int{0}}, {5000, []int{0}}}},
		{"late items start at zero", []int{9998, 9999}, 1001, []slurm.Chunk{{9998, []int{0, 1}}}},
		{"max one", []int{0, 1, 2}, 1, []slurm.Chunk{{0, []int{0}}, {1, []int{0}}, {2, []int{0}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := slurm.Chunks(tc.items, tc.max)
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			var all []int
			for _, c := range got {
				for _, x := range c.Indices {
					if x >= tc.max {
						t.Errorf("index %d >= MaxArraySize %d", x, tc.max)
					}
				}
				all = append(all, c.Items()...)
			}
			want := slices.Compact(slices.Sorted(slices.Values(tc.items)))
			if len(want) == 0 {
				want = nil
			}
			if !reflect.DeepEqual(all, want) {
				t.Errorf("items %v, want %v", all, want)
			}
		})
	}
}

// TestChunksKeepSpecShort: 5,000 scattered items (every other one of
// 10,000) would be a 24,000-character --array list, which slurmctld
// refuses; chunks keep each list within MaxArraySpec.
func TestChunksKeepSpecShort(t *testing.T) {
	var items []int
	for i := 0; i < 10000; i += 2 {
		items = append(items, i)
	}
	items = append(items, seq(10001, 12000)...) // then a long contiguous stretch
	chunks := slurm.Chunks(items, 10001)
	var all []int
	for i, c := range chunks {
		spec := slurm.FormatIndices(c.Indices)
		if len(spec) > slurm.MaxArraySpec {
			t.Errorf("chunk %d: --array of %d characters", i, len(spec))
		}
		if i < len(chunks)-1 && len(spec) < slurm.MaxArraySpec-12 {
			t.Errorf("chunk %d closed early at %d characters", i, len(spec))
		}
		all = append(all, c.Items()...)
	}
	if !slices.Equal(all, items) {
		t.Errorf("chunks lose or reorder items")
	}
	if n := len(chunks); n < 6 || n > 9 {
		t.Errorf("%d chunks", n)
	}
}

func TestFormatIndices(t *testing.T) {
	cases := []struct {
		in   []int
		want string
	}{
		{[]int{0}, "0"},
		{seq(0, 9), "0-9"},
		{[]int{0, 1, 3, 5, 6, 7, 10}, "0-1,3,5-7,10"},
		{[]int{2, 4}, "2,4"},
	}
	for _, tc := range cases {
		if got := slurm.FormatIndices(tc.in); got != tc.want {
			t.Errorf("%v: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseIndices(t *testing.T) {
	cases := []struct {
		spec string
		want []int
		bad  bool
	}{
		{spec: "5", want: []int{5}},
		{spec: "0-3", want: seq(0, 3)},
		{spec: "[2-5,9,12-14%2]", want: []int{2, 3, 4, 5, 9, 12, 13, 14}},
		{spec: "2-5,9,12-14%2", want: []int{2, 3, 4, 5, 9, 12, 13, 14}},
		{spec: "0-9:3", want: []int{0, 3, 6, 9}},
		{spec: "", bad: true},
		{spec: "[]", bad: true},
		{spec: "5-2", bad: true},
		{spec: "a-b", bad: true},
		{spec: "-3", bad: true},
		{spec: "0-9%x", bad: true},
		{spec: "3:2", bad: true},
		{spec: "0-9:0", bad: true},
		{spec: "0-1073741823", bad: true},
		{spec: "99999999999999999999", bad: true},
	}
	for _, tc := range cases {
		got, err := slurm.ParseIndices(tc.spec)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: want an error, got %v", tc.spec, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %v, %v; want %v", tc.spec, got, err, tc.want)
		}
	}
}

// FuzzParseIndices: whatever squeue or a user writes, the parser returns
// an error or indices that format back into an equivalent spec.
func FuzzParseIndices(f *testing.F) {
	for _, s := range []string{"0-9", "[2-5,9,12-14%2]", "1,3,5", "0-9:3", "", "9-1", "%", "[0-4294967296]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := slurm.ParseIndices(spec)
		if err != nil {
			return
		}
		if len(got) == 0 {
			t.Fatalf("%q: no indices and no error", spec)
		}
		sorted := slices.Compact(slices.Sorted(slices.Values(got)))
		again, err := slurm.ParseIndices(slurm.FormatIndices(sorted))
		if err != nil || !reflect.DeepEqual(again, sorted) {
			t.Fatalf("%q: round trip of %v gave %v, %v", spec, sorted, again, err)
		}
	})
}
