package boxes

import (
	"math"
	"sort"

	"github.com/mlbench/mlbench/grader/internal/pyref"
)

// COCO computes stats[0] of pycocotools' COCOeval for bounding boxes (AP
// averaged over 101 recall thresholds and the categories, area "all", 100
// detections per image and category) at one IoU threshold, exactly as
// vinbigdata-chest-xray-abnormalities-detection's reference sets it up,
// quirks included:
//
//   - Boxes are given as (xmin, ymin, xmax, ymax) but handed to pycocotools
//     as if they were (x, y, width, height), so the IoU is that of
//     [xmin, xmin+xmax] x [ymin, ymin+ymax]; the area used for the "all"
//     range ([0, 1e10], outside it a box is ignored) is the true
//     (xmax-xmin)*(ymax-ymin).
//   - Annotation and detection ids start at 0, and pycocotools treats id 0
//     as "unmatched": a detection matched to the first true box (id 0)
//     counts as a false positive, and a match made by the first detection
//     (id 0) does not use up its true box.
//
// Categories are those of the true boxes; detections of other categories
// are ignored (but still take an id).
type COCO struct {
	iouThr   float64
	maxDets  int
	images   int
	truth    []cocoTruth
	dets     map[[2]int][]cocoDet // (image, category index)
	cats     []int64
	catIndex map[int64]int
	frozen   bool
	nextDet  int64
}

type cocoTruth struct {
	image int
	cat   int64
	id    int64
	box   [4]float64
	area  float64
}

type cocoDet struct {
	id    int64
	score float64
	box   [4]float64
	area  float64
}

// NewCOCO starts an evaluation at one IoU threshold (0.4 for vinbigdata).
func NewCOCO(iouThreshold float64) *COCO {
	return &COCO{iouThr: iouThreshold, maxDets: 100, dets: map[[2]int][]cocoDet{}, catIndex: map[int64]int{}}
}

// AddImage adds an image and returns its index.
func (c *COCO) AddImage() int {
	c.images++
	return c.images - 1
}

// AddTruth adds a true box; truth must be added image by image, in the
// reference's order (images in first-appearance order, rows in file
// order), before any detection.
func (c *COCO) AddTruth(image int, cat int64, xmin, ymin, xmax, ymax float64) {
	c.truth = append(c.truth, cocoTruth{
		image: image, cat: cat, id: int64(len(c.truth)),
		box:  [4]float64{xmin, ymin, xmax, ymax},
		area: (xmax - xmin) * (ymax - ymin),
	})
}

func (c *COCO) freeze() {
	if c.frozen {
		return
	}
	c.frozen = true
	seen := map[int64]bool{}
	for _, t := range c.truth {
		if !seen[t.cat] {
			seen[t.cat] = true
			c.cats = append(c.cats, t.cat)
		}
	}
	sort.Slice(c.cats, func(i, j int) bool { return c.cats[i] < c.cats[j] })
	for i, k := range c.cats {
		c.catIndex[k] = i
	}
}

// AddDetection adds one detection of an image, in submission order (rows
// in file order, boxes in string order): that order gives detection ids.
func (c *COCO) AddDetection(image int, d Detection) {
	c.freeze()
	id := c.nextDet
	c.nextDet++
	if !d.ClassInRange {
		return
	}
	k, ok := c.catIndex[d.Class]
	if !ok {
		return
	}
	key := [2]int{image, k}
	ds := append(c.dets[key], cocoDet{
		id: id, score: d.Score,
		box:  [4]float64{d.XMin, d.YMin, d.XMax, d.YMax},
		area: (d.XMax - d.XMin) * (d.YMax - d.YMin),
	})
	// Only the best maxDets (by pycocotools' stable score order) count:
	// prune now and then to keep memory bounded.
	if len(ds) > 4*c.maxDets {
		sortDets(ds)
		ds = ds[:c.maxDets:c.maxDets]
	}
	c.dets[key] = ds
}

// scoreLess orders detections as np.argsort(-score, kind="mergesort"):
// highest score first, NaN last, ties by arrival (id).
func scoreLess(a, b cocoDet) bool {
	an, bn := math.IsNaN(a.score), math.IsNaN(b.score)
	switch {
	case an != bn:
		return bn
	case !an && a.score != b.score:
		return a.score > b.score
	}
	return a.id < b.id
}

func sortDets(ds []cocoDet) {
	sort.Slice(ds, func(i, j int) bool { return scoreLess(ds[i], ds[j]) })
}

// cfmin and cfmax are C's fmin/fmax: a NaN argument loses.
func cfmin(a, b float64) float64 { return nanLoses(a, b, math.Min) }

func cfmax(a, b float64) float64 { return nanLoses(a, b, math.Max) }

func nanLoses(a, b float64, pick func(a, b float64) float64) float64 {
	switch {
	case math.IsNaN(a):
		return b
	case math.IsNaN(b):
		return a
	}
	return pick(a, b)
}

// bbIoU is pycocotools' bbIou for (x, y, w, h) boxes, not crowd.
func bbIoU(d, g [4]float64) float64 {
	ga := g[2] * g[3]
	da := d[2] * d[3]
	w := cfmin(d[2]+d[0], g[2]+g[0]) - cfmax(d[0], g[0])
	if w <= 0 {
		return 0
	}
	h := cfmin(d[3]+d[1], g[3]+g[1]) - cfmax(d[1], g[1])
	if h <= 0 {
		return 0
	}
	i := w * h
	u := da + ga - i
	return i / u
}

// imageEval is evaluateImg's result for one image and category.
type imageEval struct {
	scores   []float64
	matched  []bool // dtm != 0
	ignored  []bool // dtIg
	gtIgnore []bool
}

func (c *COCO) evaluateImg(gts []cocoTruth, ds []cocoDet) *imageEval {
	if len(gts) == 0 && len(ds) == 0 {
		return nil
	}
	const areaLo, areaHi = 0.0, 1e10
	outside := func(a float64) bool { return a < areaLo || a > areaHi }
	// Ground truth, ignored last (stable).
	order := make([]cocoTruth, 0, len(gts))
	for _, g := range gts {
		if !outside(g.area) {
			order = append(order, g)
		}
	}
	for _, g := range gts {
		if outside(g.area) {
			order = append(order, g)
		}
	}
	gtIg := make([]bool, len(order))
	for i, g := range order {
		gtIg[i] = outside(g.area)
	}
	ds = append([]cocoDet(nil), ds...)
	sortDets(ds)
	if len(ds) > c.maxDets {
		ds = ds[:c.maxDets]
	}
	e := &imageEval{
		scores: make([]float64, len(ds)), matched: make([]bool, len(ds)),
		ignored: make([]bool, len(ds)), gtIgnore: gtIg,
	}
	gtm := make([]int64, len(order)) // matching detection id, 0 = none
	dtm := make([]int64, len(ds))    // matching truth id, 0 = none
	if len(ds) > 0 && len(order) > 0 {
		thr := math.Min(c.iouThr, 1-1e-10)
		for di, d := range ds {
			iou := thr
			m := -1
			for gi, g := range order {
				if gtm[gi] > 0 {
					continue
				}
				if m > -1 && !gtIg[m] && gtIg[gi] {
					break
				}
				v := bbIoU(d.box, g.box)
				if v < iou {
					continue
				}
				iou = v
				m = gi
			}
			if m == -1 {
				continue
			}
			e.ignored[di] = gtIg[m]
			dtm[di] = order[m].id
			gtm[m] = d.id
		}
	}
	for di, d := range ds {
		e.scores[di] = d.score
		e.matched[di] = dtm[di] != 0
		if dtm[di] == 0 && outside(d.area) {
			e.ignored[di] = true
		}
	}
	return e
}

// recThrs is np.linspace(0, 1, 101) as NumPy computes it.
var recThrs = func() [101]float64 {
	var r [101]float64
	for i := range 100 {
		r[i] = float64(i) * 0.01
	}
	r[100] = 1
	return r
}()

// Evaluate returns stats[0]: the mean precision over the 101 recall
// thresholds and every category with a non-ignored true box, or -1 when
// there is none.
func (c *COCO) Evaluate() float64 {
	c.freeze()
	K := len(c.cats)
	gtBy := map[[2]int][]cocoTruth{}
	for _, t := range c.truth {
		k := [2]int{t.image, c.catIndex[t.cat]}
		gtBy[k] = append(gtBy[k], t)
	}
	precision := make([][101]float64, K) // per category
	valid := make([]bool, K)
	for k := range K {
		var evals []*imageEval
		for img := range c.images {
			key := [2]int{img, k}
			if e := c.evaluateImg(gtBy[key], c.dets[key]); e != nil {
				evals = append(evals, e)
			}
		}
		if len(evals) == 0 {
			continue
		}
		type det struct {
			score            float64
			matched, ignored bool
		}
		var all []det
		npig := 0
		for _, e := range evals {
			for i := range e.scores {
				all = append(all, det{e.scores[i], e.matched[i], e.ignored[i]})
			}
			for _, ig := range e.gtIgnore {
				if !ig {
					npig++
				}
			}
		}
		if npig == 0 {
			continue
		}
		sort.SliceStable(all, func(i, j int) bool {
			a, b := all[i].score, all[j].score
			an, bn := math.IsNaN(a), math.IsNaN(b)
			if an || bn {
				return !an && bn
			}
			return a > b
		})
		nd := len(all)
		rc := make([]float64, nd)
		pr := make([]float64, nd)
		tp, fp := 0.0, 0.0
		eps := math.Nextafter(1, 2) - 1 // np.spacing(1)
		for i, d := range all {
			if !d.ignored {
				if d.matched {
					tp++
				} else {
					fp++
				}
			}
			rc[i] = tp / float64(npig)
			pr[i] = tp / (fp + tp + eps)
		}
		for i := nd - 1; i > 0; i-- {
			if pr[i] > pr[i-1] {
				pr[i-1] = pr[i]
			}
		}
		var q [101]float64
		for ri, r := range recThrs {
			pi := sort.SearchFloat64s(rc, r) // first index with rc >= r
			if pi >= nd {
				break
			}
			q[ri] = pr[pi]
		}
		precision[k] = q
		valid[k] = true
	}
	var s []float64
	for r := range 101 {
		for k := range K {
			if valid[k] {
				s = append(s, precision[k][r])
			}
		}
	}
	if len(s) == 0 {
		return -1
	}
	return pyref.Mean(s)
}
