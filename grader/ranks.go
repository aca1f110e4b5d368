package grader

// AverageRanks is scipy's rankdata(method="average"): 1-based ranks, tied
// values sharing the mean of their ranks. The demo tasks rank with it to
// score their reference models as the graders would.
func AverageRanks(v []float64) []float64 { return averageRanks(v) }
