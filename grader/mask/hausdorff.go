package mask

import (
	"math"
	"sort"
)

// Volume is a stack of equally shaped slices: the reference's 3D mask of
// one case-day in uw-madison-gi-tract-image-segmentation (slices in sorted
// slice-id order, the classes of a slice OR-ed together).
type Volume struct {
	Slices []*Bitmap
}

// Shape is (slices, height, width), or zeros for an empty volume.
func (v Volume) Shape() [3]int {
	if len(v.Slices) == 0 {
		return [3]int{}
	}
	return [3]int{len(v.Slices), v.Slices[0].H, v.Slices[0].W}
}

// Count is the number of set voxels.
func (v Volume) Count() int64 {
	var n int64
	for _, s := range v.Slices {
		n += s.Count()
	}
	return n
}

func (v Volume) equal(o Volume) bool {
	if v.Shape() != o.Shape() {
		return false
	}
	for i, s := range v.Slices {
		if !s.Equal(o.Slices[i]) {
			return false
		}
	}
	return true
}

// has reports voxel (z, y, x), false outside the volume.
func (v Volume) has(z, y, x int) bool {
	if z >= len(v.Slices) {
		return false
	}
	s := v.Slices[z]
	if y >= s.H || x >= s.W {
		return false
	}
	return s.Get(y, x)
}

// unitCubeDiagonal is np.sqrt(3).
var unitCubeDiagonal = math.Sqrt(3)

// Hausdorff is uw-madison's normalised symmetric Hausdorff distance as the
// reference computes it: NaN when both volumes are empty, 0 when they are
// equal (same shape and voxels), 1 when exactly one is empty or the
// prediction has more than ten times the true voxels; otherwise voxel
// coordinates (z, y, x) are divided by the true volume's shape, the larger
// of the two directed Hausdorff distances (scipy's directed_hausdorff:
// max over one set of the Euclidean distance to the nearest point of the
// other) is taken and divided by sqrt(3).
func Hausdorff(pred, truth Volume) float64 {
	sp, st := pred.Count(), truth.Count()
	switch {
	case sp == 0 && st == 0:
		return math.NaN()
	case pred.equal(truth):
		return 0
	case sp == 0 || st == 0:
		return 1
	case sp > 10*st:
		return 1
	}
	shape := truth.Shape()
	norm := [3]float64{float64(shape[0]), float64(shape[1]), float64(shape[2])}
	d1 := directedSq(truth, pred, norm)
	d2 := directedSq(pred, truth, norm)
	h := math.Max(math.Sqrt(d1), math.Sqrt(d2))
	return h / unitCubeDiagonal
}

// directedSq is the squared directed Hausdorff distance from a to b: the
// largest, over voxels of a, squared distance to the nearest voxel of b,
// coordinates normalised as the reference does. Voxels of a that are also
// in b are at distance 0; the nearest voxel of b to any other point is on
// b's boundary, so only boundary voxels of b are searched.
func directedSq(a, b Volume, norm [3]float64) float64 {
	var pts []float64
	for z, s := range b.Slices {
		s.each(func(y, x int) {
			if z > 0 && y > 0 && x > 0 &&
				b.has(z-1, y, x) && b.has(z+1, y, x) &&
				b.has(z, y-1, x) && b.has(z, y+1, x) &&
				b.has(z, y, x-1) && b.has(z, y, x+1) {
				return // interior: never the nearest point of b to a voxel outside b
			}
			pts = append(pts, float64(z)/norm[0], float64(y)/norm[1], float64(x)/norm[2])
		})
	}
	tree := newKDTree(pts)
	worst := 0.0
	for z, s := range a.Slices {
		s.each(func(y, x int) {
			if b.has(z, y, x) {
				return
			}
			q := [3]float64{float64(z) / norm[0], float64(y) / norm[1], float64(x) / norm[2]}
			if d := tree.nearestSq(q, worst); d > worst {
				worst = d
			}
		})
	}
	return worst
}

// kdTree is a static 3-d tree over points for exact nearest-neighbour
// distances. Squared distances are summed over the axes in order, as
// scipy's directed_hausdorff sums them.
type kdTree struct {
	pts   []float64 // 3 per point, reordered into tree order
	nodes []kdNode
}

type kdNode struct {
	lo, hi      int32 // point range [lo, hi)
	left, right int32 // children, -1 for a leaf
	axis        int8
	split       float64
}

const kdLeaf = 8

func newKDTree(pts []float64) *kdTree {
	t := &kdTree{pts: pts}
	if len(pts) > 0 {
		t.build(0, len(pts)/3)
	}
	return t
}

func (t *kdTree) build(lo, hi int) int32 {
	id := int32(len(t.nodes))
	t.nodes = append(t.nodes, kdNode{lo: int32(lo), hi: int32(hi), left: -1, right: -1})
	if hi-lo <= kdLeaf {
		return id
	}
	// Split on the widest axis at the median.
	var mn, mx [3]float64
	for k := range 3 {
		mn[k], mx[k] = math.Inf(1), math.Inf(-1)
	}
	for i := lo; i < hi; i++ {
		for k := range 3 {
			v := t.pts[3*i+k]
			mn[k] = min(mn[k], v)
			mx[k] = max(mx[k], v)
		}
	}
	axis := 0
	for k := 1; k < 3; k++ {
		if mx[k]-mn[k] > mx[axis]-mn[axis] {
			axis = k
		}
	}
	sort.Sort(byAxis{t.pts[3*lo : 3*hi], axis})
	mid := (lo + hi) / 2
	split := t.pts[3*mid+axis]
	left := t.build(lo, mid)
	right := t.build(mid, hi)
	n := &t.nodes[id]
	n.left, n.right, n.axis, n.split = left, right, int8(axis), split
	return id
}

type byAxis struct {
	p    []float64
	axis int
}

func (b byAxis) Len() int           { return len(b.p) / 3 }
func (b byAxis) Less(i, j int) bool { return b.p[3*i+b.axis] < b.p[3*j+b.axis] }
func (b byAxis) Swap(i, j int) {
	b.p[3*i], b.p[3*j] = b.p[3*j], b.p[3*i]
	b.p[3*i+1], b.p[3*j+1] = b.p[3*j+1], b.p[3*i+1]
	b.p[3*i+2], b.p[3*j+2] = b.p[3*j+2], b.p[3*i+2]
}

// nearestSq returns the squared distance from q to its nearest point, or
// any value <= floor as soon as one point is found within floor (the
// caller only needs to know whether the distance exceeds floor, as in
// scipy's early break). An empty tree gives +Inf.
func (t *kdTree) nearestSq(q [3]float64, floor float64) float64 {
	best := math.Inf(1)
	if len(t.nodes) == 0 {
		return best
	}
	type item struct {
		id    int32
		bound float64 // a lower bound on the squared distance to the node
	}
	stack := make([]item, 0, 64)
	stack = append(stack, item{0, 0})
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.bound >= best {
			continue
		}
		n := &t.nodes[it.id]
		if n.left < 0 {
			for i := n.lo; i < n.hi; i++ {
				p := t.pts[3*i : 3*i+3]
				d := 0.0
				for k := range 3 {
					e := q[k] - p[k]
					d += e * e
				}
				if d < best {
					best = d
					if best <= floor {
						return best
					}
				}
			}
			continue
		}
		diff := q[n.axis] - n.split
		near, far := n.left, n.right
		if diff >= 0 {
			near, far = n.right, n.left
		}
		if b := diff * diff; b < best {
			stack = append(stack, item{far, max(b, it.bound)})
		}
		stack = append(stack, item{near, it.bound})
	}
	return best
}
