// Package pyref reproduces, bit for bit where it matters, the small pieces of
// Python and NumPy behaviour that the MLE-Bench reference graders lean on:
// Python's int() and float() literal rules and str.split() whitespace,
// Python's built-in max/min with NaN, and NumPy's blocked pairwise float64
// summation behind np.sum, np.mean and np.nanmean.
//
// Graders use it so that scores agree with the reference to the last bit
// (before the reference's round(score, 5)) and so that exactly the same
// tokens are accepted or rejected.
package pyref
