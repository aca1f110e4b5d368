package pyref

import "math"

// numpyBlock is the length of the chunks NumPy's reduction iterator hands to
// the add loop; each chunk is summed pairwise and the chunk sums are added
// in order.
const numpyBlock = 8192

// Sum is np.sum of a float64 array: blocked pairwise summation, exactly as
// NumPy 1.x computes it (so results agree to the last bit).
func Sum(xs []float64) float64 {
	s := 0.0
	for i := 0; i < len(xs); i += numpyBlock {
		end := min(i+numpyBlock, len(xs))
		s += pairwise(xs[i:end])
	}
	return s
}

// pairwise is NumPy's pairwise_sum for float64: plain sums below 8 items,
// 8 interleaved accumulators up to 128, recursive halving above.
func pairwise(a []float64) float64 {
	n := len(a)
	switch {
	case n < 8:
		res := 0.0
		for _, x := range a {
			res += x
		}
		return res
	case n <= 128:
		var r [8]float64
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += a[i]
			r[1] += a[i+1]
			r[2] += a[i+2]
			r[3] += a[i+3]
			r[4] += a[i+4]
			r[5] += a[i+5]
			r[6] += a[i+6]
			r[7] += a[i+7]
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	default:
		n2 := n / 2
		n2 -= n2 % 8
		return pairwise(a[:n2]) + pairwise(a[n2:])
	}
}

// Mean is np.mean: Sum / len, NaN for an empty array (NumPy warns and
// returns NaN).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return Sum(xs) / float64(len(xs))
}

// NanMean is np.nanmean: NaNs are replaced by zero for the (pairwise) sum
// and left out of the count; all-NaN or empty gives NaN. xs is not modified.
func NanMean(xs []float64) float64 {
	buf := make([]float64, len(xs))
	cnt := 0
	for i, x := range xs {
		if math.IsNaN(x) {
			continue
		}
		buf[i] = x
		cnt++
	}
	if cnt == 0 {
		return math.NaN()
	}
	return Sum(buf) / float64(cnt)
}
