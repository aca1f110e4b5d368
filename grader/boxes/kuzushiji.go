package boxes

// PageCounts are the true positives, false positives and false negatives
// of kuzushiji-recognition pages.
type PageCounts struct{ TP, FP, FN int64 }

// Add sums counts.
func (c PageCounts) Add(o PageCounts) PageCounts {
	return PageCounts{c.TP + o.TP, c.FP + o.FP, c.FN + o.FN}
}

// KuzushijiPage scores one page as the organisers' score_page: each true
// character, in order, takes the first unused prediction with its label
// whose centre lies strictly inside its box; unused predictions are false
// positives and unmatched characters false negatives. (Pages whose
// prediction or truth string is missing are counted by the caller: the
// reference counts their tokens.)
func KuzushijiPage(preds []Point, truth []Char) PageCounts {
	var c PageCounts
	used := make([]bool, len(preds))
	for _, t := range truth {
		found := -1
		for i, p := range preds {
			if used[i] || p.Label != t.Label {
				continue
			}
			if t.XMin < p.X && t.XMax > p.X && t.YMin < p.Y && t.YMax > p.Y {
				found = i
				break
			}
		}
		if found < 0 {
			c.FN++
			continue
		}
		c.TP++
		used[found] = true
	}
	for _, u := range used {
		if !u {
			c.FP++
		}
	}
	return c
}

// KuzushijiF1 is the pooled F1 of the organisers' kuzushiji_f1: 0 when
// there is no prediction, no true character, or no true positive.
func KuzushijiF1(c PageCounts) float64 {
	if c.TP+c.FP == 0 || c.TP+c.FN == 0 {
		return 0
	}
	precision := float64(c.TP) / float64(c.TP+c.FP)
	recall := float64(c.TP) / float64(c.TP+c.FN)
	if precision > 0 && recall > 0 {
		return (2 * precision * recall) / (precision + recall)
	}
	return 0
}
