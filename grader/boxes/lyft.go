package boxes

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/mlbench/mlbench/grader/internal/pyref"
)

// float64Eps is np.finfo(np.float64).eps.
const float64Eps = 0x1p-52

// LyftThresholds are the IoU thresholds of the Lyft 3D metric.
var LyftThresholds = []float64{0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95}

// ErrBadBox is returned for an object that the organisers' Box3D rejects:
// a NaN coordinate, size or rotation, a size that is not positive, or a
// ground rectangle whose corners fail its orthogonality check (which
// happens with infinite or huge coordinates).
var ErrBadBox = errors.New("boxes: invalid 3D box")

// box3 is the organisers' Box3D: the object with its ground rectangle.
type box3 struct {
	minZ, maxZ float64
	volume     float64
	corners    [4][2]float64
}

func newBox3(o Object3D) (box3, error) {
	bad := func(why string) (box3, error) {
		return box3{}, fmt.Errorf("%w (%s %s): %s", ErrBadBox, o.Name, formatObj(o), why)
	}
	if math.IsNaN(o.X) || math.IsNaN(o.Y) || math.IsNaN(o.Z) {
		return bad("translation may not be NaN")
	}
	if math.IsNaN(o.Width) || math.IsNaN(o.Length) || math.IsNaN(o.Height) {
		return bad("size may not be NaN")
	}
	// pyquaternion: axis (0, 0, 1), angle yaw -> (cos(yaw/2), 0, 0, sin(yaw/2)).
	half := o.Yaw / 2
	w, z := math.Cos(half), math.Sin(half)
	if math.IsNaN(w) || math.IsNaN(z) {
		return bad("rotation may not be NaN")
	}
	if !(o.Width > 0 && o.Length > 0 && o.Height > 0) {
		return bad("sizes must be positive")
	}
	// rotation_matrix normalises a quaternion that is not unit to 1e-14.
	if ss := w*w + z*z; math.Abs(1-ss) >= 1e-14 {
		n := math.Sqrt(ss)
		w, z = w/n, z/n
	}
	cos := float64(w*w) - float64(z*z)
	sin := float64(z*w) + float64(w*z)
	l2, w2 := o.Length/2, o.Width/2
	cx, cy := o.X, o.Y
	b := box3{
		minZ:   o.Z - o.Height/2,
		maxZ:   o.Z + o.Height/2,
		volume: float64(o.Width*o.Length) * o.Height,
	}
	b.corners[0] = [2]float64{cx + float64(l2*cos) + float64(w2*sin), cy + float64(l2*sin) - float64(w2*cos)}
	b.corners[1] = [2]float64{cx + float64(l2*cos) - float64(w2*sin), cy + float64(l2*sin) + float64(w2*cos)}
	b.corners[2] = [2]float64{cx - float64(l2*cos) - float64(w2*sin), cy - float64(l2*sin) + float64(w2*cos)}
	b.corners[3] = [2]float64{cx - float64(l2*cos) + float64(w2*sin), cy - float64(l2*sin) - float64(w2*cos)}
	p := b.corners
	for _, t := range [4][3]int{{0, 1, 3}, {1, 0, 2}, {2, 1, 3}, {3, 0, 2}} {
		a, u, v := p[t[0]], p[t[1]], p[t[2]]
		dot := float64((u[0]-a[0])*(v[0]-a[0])) + float64((u[1]-a[1])*(v[1]-a[1]))
		if !(math.Abs(dot) <= 1e-8) { // np.isclose(dot, 0)
			return bad("ground rectangle is not orthogonal")
		}
	}
	return b, nil
}

func formatObj(o Object3D) string {
	return fmt.Sprintf("at (%g, %g, %g) size (%g, %g, %g) yaw %g", o.X, o.Y, o.Z, o.Width, o.Length, o.Height, o.Yaw)
}

// iou is Box3D.get_iou(self=b, other=o): ground-rectangle intersection
// area times height overlap, over the union of volumes, clipped to [0, 1].
func (b box3) iou(o box3) float64 {
	lo := pyref.Max(o.minZ, b.minZ)
	hi := pyref.Min(o.maxZ, b.maxZ)
	h := pyref.Max(0, hi-lo)
	inter := h * convexIntersectionArea(b.corners[:], o.corners[:])
	union := b.volume + o.volume - inter
	v := inter / union
	if math.IsNaN(v) {
		return v
	}
	return math.Min(math.Max(v, 0), 1)
}

// convexIntersectionArea is the area of the intersection of two convex
// polygons given counter-clockwise (Sutherland-Hodgman clipping and the
// shoelace formula).
func convexIntersectionArea(subject, clip [][2]float64) float64 {
	poly := append([][2]float64(nil), subject...)
	for i := range clip {
		if len(poly) == 0 {
			return 0
		}
		a, b := clip[i], clip[(i+1)%len(clip)]
		side := func(p [2]float64) float64 {
			return (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
		}
		var out [][2]float64
		for j := range poly {
			cur, nxt := poly[j], poly[(j+1)%len(poly)]
			sc, sn := side(cur), side(nxt)
			if sc >= 0 {
				out = append(out, cur)
			}
			if (sc >= 0) != (sn >= 0) {
				t := sc / (sc - sn)
				out = append(out, [2]float64{cur[0] + t*(nxt[0]-cur[0]), cur[1] + t*(nxt[1]-cur[1])})
			}
		}
		poly = out
	}
	area := 0.0
	for j := range poly {
		p, q := poly[j], poly[(j+1)%len(poly)]
		area += p[0]*q[1] - q[0]*p[1]
	}
	return math.Abs(area) / 2
}

// envelopeAP is the organisers' get_ap: recalls and precisions framed by
// (0, 0) and (1, 0), precision made non-increasing from the right, and
// the sum of recall steps times precision.
func envelopeAP(recalls, precisions []float64) float64 {
	n := len(recalls) + 2
	r := make([]float64, 0, n)
	p := make([]float64, 0, n)
	r = append(append(append(r, 0), recalls...), 1)
	p = append(append(append(p, 0), precisions...), 0)
	for i := n - 1; i > 0; i-- {
		p[i-1] = math.Max(p[i-1], p[i])
	}
	var terms []float64
	for i := 0; i+1 < n; i++ {
		if r[i+1] != r[i] {
			terms = append(terms, (r[i+1]-r[i])*p[i+1])
		}
	}
	return pyref.Sum(terms)
}

// LyftSample is the Lyft 3D metric of one sample (the reference's
// process_sample): for each IoU threshold, the mean over the true classes
// (sorted) of their average precision (0 for a class without prediction).
// Predictions of other classes are ignored unchecked; the objects of a
// scored class (true and predicted) must be valid boxes. A sample without
// true objects gives NaN at every threshold (the mean of nothing).
func LyftSample(truth, preds []Object3D, thresholds []float64) ([]float64, error) {
	var classes []string
	gtBy := map[string][]Object3D{}
	for _, g := range truth {
		if _, ok := gtBy[g.Name]; !ok {
			classes = append(classes, g.Name)
		}
		gtBy[g.Name] = append(gtBy[g.Name], g)
	}
	sort.Strings(classes)
	predBy := map[string][]Object3D{}
	for _, p := range preds {
		predBy[p.Name] = append(predBy[p.Name], p)
	}
	out := make([]float64, len(thresholds))
	aps := make([][]float64, len(thresholds))
	for ti := range thresholds {
		aps[ti] = make([]float64, len(classes))
	}
	for ci, cls := range classes {
		ps := predBy[cls]
		if len(ps) == 0 {
			continue
		}
		gts := gtBy[cls]
		gtBoxes := make([]box3, len(gts))
		for i, g := range gts {
			b, err := newBox3(g)
			if err != nil {
				return nil, fmt.Errorf("true object: %w", err)
			}
			gtBoxes[i] = b
		}
		ps = append([]Object3D(nil), ps...)
		sort.SliceStable(ps, func(i, j int) bool { return ps[i].Conf > ps[j].Conf })
		// IoUs do not depend on the threshold: compute them once.
		best := make([]float64, len(ps))
		arg := make([]int, len(ps))
		for pi, p := range ps {
			pb, err := newBox3(p)
			if err != nil {
				return nil, err
			}
			best[pi], arg[pi] = math.Inf(-1), -1
			for gi, g := range gtBoxes {
				v := pb.iou(g)
				// np.max and np.argmax: NaN wins, first maximum.
				if arg[pi] < 0 || (!math.IsNaN(best[pi]) && (math.IsNaN(v) || v > best[pi])) {
					best[pi], arg[pi] = v, gi
				}
			}
		}
		for ti, thr := range thresholds {
			checked := make([]bool, len(gts))
			recalls := make([]float64, len(ps))
			precisions := make([]float64, len(ps))
			tp, fp := 0.0, 0.0
			for pi := range ps {
				if best[pi] > thr && !checked[arg[pi]] {
					checked[arg[pi]] = true
					tp++
				} else {
					fp++
				}
				recalls[pi] = tp / float64(len(gts))
				precisions[pi] = tp / math.Max(tp+fp, float64Eps)
			}
			aps[ti][ci] = envelopeAP(recalls, precisions)
		}
	}
	for ti := range thresholds {
		out[ti] = pyref.Mean(aps[ti])
	}
	return out, nil
}
