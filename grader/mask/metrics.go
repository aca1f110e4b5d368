package mask

// Dice is the reference's dice_coefficient on two masks: 2|P∩T| / (|P|+|T|),
// and bothEmpty when neither mask has a pixel (NaN for contrails and
// uw-madison, 1 for hubmap).
func Dice(c Counts, bothEmpty float64) float64 {
	if c.Pred == 0 && c.True == 0 {
		return bothEmpty
	}
	return float64(2*c.Inter) / float64(c.Pred+c.True)
}

// tgsThresholds are np.arange(0.5, 1.0, 0.05) as NumPy computes them
// (start + i*(second-first), so 0.6000000000000001 and so on).
var tgsThresholds = func() [10]float64 {
	var t [10]float64
	d := (0.5 + 0.05) - 0.5
	for i := range t {
		t[i] = 0.5 + float64(i)*d
	}
	return t
}()

// TGSPrecision is tgs-salt's per-image score as the reference computes it
// (iou_metric, adapted from a Kaggle kernel): 1 when both masks are empty,
// 0 for pixels predicted on an empty image, otherwise the fraction of the
// thresholds 0.50, 0.55, ..., 0.95 that the IoU exceeds. pixels is the
// image size.
//
// Quirk kept from the reference: the IoU comes from np.histogram2d with two
// bins, whose range collapses when the prediction is empty, so an empty
// prediction on an image with salt gets IoU = salt pixels / image pixels
// instead of 0: an empty prediction on an image that is 72% salt scores 0.5.
func TGSPrecision(c Counts, pixels int64) float64 {
	if c.True == 0 {
		if c.Pred == 0 {
			return 1
		}
		return 0
	}
	var iou float64
	if c.Pred == 0 {
		iou = float64(c.True) / float64(pixels)
	} else {
		iou = float64(c.Inter) / float64(c.True+c.Pred-c.Inter)
	}
	hits := 0
	for _, t := range tgsThresholds {
		if iou > t {
			hits++
		}
	}
	return float64(hits) / 10
}

// FBeta is scikit-learn's binary fbeta_score on flattened masks (>= 1.3):
// (1+β²)·tp / (β²·|T| + |P|), and 0 when both masks are empty.
func FBeta(c Counts, beta float64) float64 {
	b2 := beta * beta
	denom := b2*float64(c.True) + float64(c.Pred)
	if denom == 0 {
		return 0
	}
	return (1 + b2) * float64(c.Inter) / denom
}
