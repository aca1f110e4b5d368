package grader

import (
	"fmt"
	"math"
	"strings"
)

// Ranking and multi-label competitions: MAP@k, lwlrap, multi-label micro-F1.

// meanAPAtK is the mean AP@k of rows zipped in order (actual from the
// answers, predicted from the submission, both split on single spaces as
// str.split(" ") does).
func meanAPAtK(actual, predicted []string, k int) float64 {
	n := min(len(actual), len(predicted))
	if n == 0 {
		return math.NaN()
	}
	var sum float64
	for i := range n {
		set := map[string]bool{}
		for _, a := range strings.Split(actual[i], " ") {
			set[a] = true
		}
		sum += apAtK(set, strings.Split(predicted[i], " "), k)
	}
	return sum / float64(n)
}

// gradeHM is MAP@12 over the customers of the answers. The submission may
// list more customers (a superset); only those in the answers count.
func gradeHM(sub, ans *Table) (float64, error) {
	if err := requireExactColumnSet(sub, []string{"customer_id", "prediction"}); err != nil {
		return 0, err
	}
	sc, ac, err := columns(sub, ans, "customer_id")
	if err != nil {
		return 0, err
	}
	key := idKey(sc, ac)
	have := make(map[string]bool, sc.Len())
	for i := range sc.Len() {
		have[key(sc, i)] = true
	}
	want := make(map[string]bool, ac.Len())
	missing, first := 0, ""
	for i := range ac.Len() {
		k := key(ac, i)
		want[k] = true
		if !have[k] {
			if missing == 0 {
				first = ac.String(i)
			}
			missing++
		}
	}
	if missing > 0 {
		return 0, &InvalidSubmission{Column: "customer_id", Reason: fmt.Sprintf("submission customer_id must cover every customer of the answers: missing %d ids (first: %s)", missing, quoteCell(first))}
	}
	var keepRows []int
	for i := range sc.Len() {
		if want[key(sc, i)] {
			keepRows = append(keepRows, i)
		}
	}
	so := sortedSubset(sc, keepRows)
	ao := sortedRows(ac)
	sp, _ := sub.Column("prediction")
	ap, err := ans.Column("prediction")
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	return meanAPAtK(gather(pyStrings(ap, nil), ao), gather(pyStrings(sp, nil), so), 12), nil
}

// sortedSubset sorts the given rows by the column (as sortedRows does).
func sortedSubset(c Column, rows []int) []int {
	all := sortedRows(c)
	in := make(map[int]bool, len(rows))
	for _, r := range rows {
		in[r] = true
	}
	out := make([]int, 0, len(rows))
	for _, r := range all {
		if in[r] {
			out = append(out, r)
		}
	}
	return out
}

// gradeHotelID is MAP@5 of hotel ids.
func gradeHotelID(sub, ans *Table) (float64, error) {
	if err := requireColumns(sub, "image", "hotel_id"); err != nil {
		return 0, err
	}
	if err := sameIDSet(sub, ans, "image"); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	return mapByID(sub, ans, "image", "hotel_id", 5)
}

// gradeWhale is MAP@5 of whale ids.
func gradeWhale(sub, ans *Table) (float64, error) {
	if err := requireExactColumnSet(sub, []string{"Image", "Id"}); err != nil {
		return 0, err
	}
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	if err := sameIDSet(sub, ans, "Image"); err != nil {
		return 0, err
	}
	return mapByID(sub, ans, "Image", "Id", 5)
}

func mapByID(sub, ans *Table, id, target string, k int) (float64, error) {
	sc, ac, err := columns(sub, ans, id)
	if err != nil {
		return 0, err
	}
	so, ao := sortedRows(sc), sortedRows(ac)
	sp, _ := sub.Column(target)
	ap, err := ans.Column(target)
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	return meanAPAtK(gather(pyStrings(ap, nil), ao), gather(pyStrings(sp, nil), so), k), nil
}

var freesoundClasses = []string{
	"Accelerating_and_revving_and_vroom", "Accordion", "Acoustic_guitar", "Applause", "Bark",
	"Bass_drum", "Bass_guitar", "Bathtub_(filling_or_washing)", "Bicycle_bell",
	"Burping_and_eructation", "Bus", "Buzz", "Car_passing_by", "Cheering",
	"Chewing_and_mastication", "Child_speech_and_kid_speaking", "Chink_and_clink",
	"Chirp_and_tweet", "Church_bell", "Clapping", "Computer_keyboard", "Crackle", "Cricket",
	"Crowd", "Cupboard_open_or_close", "Cutlery_and_silverware", "Dishes_and_pots_and_pans",
	"Drawer_open_or_close", "Drip", "Electric_guitar", "Fart", "Female_singing",
	"Female_speech_and_woman_speaking", "Fill_(with_liquid)", "Finger_snapping", "Frying_(food)",
	"Gasp", "Glockenspiel", "Gong", "Gurgling", "Harmonica", "Hi-hat", "Hiss", "Keys_jangling",
	"Knock", "Male_singing", "Male_speech_and_man_speaking", "Marimba_and_xylophone",
	"Mechanical_fan", "Meow", "Microwave_oven", "Motorcycle", "Printer", "Purr",
	"Race_car_and_auto_racing", "Raindrop", "Run", "Scissors", "Screaming", "Shatter", "Sigh",
	"Sink_(filling_or_washing)", "Skateboard", "Slam", "Sneeze", "Squeak", "Stream", "Strum", "Tap",
	"Tick-tock", "Toilet_flush", "Traffic_noise_and_roadway_noise", "Trickle_and_dribble",
	"Walk_and_footsteps", "Water_tap_and_faucet", "Waves_and_surf", "Whispering", "Writing",
	"Yell", "Zipper_(clothing)",
}

// gradeFreesound is label-weighted label-ranking average precision. The
// submission's columns must be exactly fname and the 80 classes, in the
// vocabulary's order.
func gradeFreesound(sub, ans *Table) (float64, error) {
	if err := requireRows(sub, ans.Len()); err != nil {
		return 0, err
	}
	cols := sub.Columns()
	if len(cols) == 0 || cols[0] != "fname" {
		return 0, invalidf("the first column must be 'fname'; columns are: %s", sub.columnList())
	}
	if len(cols)-1 != len(freesoundClasses) {
		return 0, invalidf("submission has %d class columns, expected the %d classes of the vocabulary in order", len(cols)-1, len(freesoundClasses))
	}
	for k, c := range freesoundClasses {
		if cols[k+1] != c {
			return 0, &InvalidSubmission{Column: cols[k+1], Reason: fmt.Sprintf("column %d is '%s', expected '%s' (class columns must follow the vocabulary's order)", k+2, cols[k+1], c)}
		}
	}
	perm, err := alignByID(sub, ans, "fname")
	if err != nil {
		return 0, err
	}
	n, m := ans.Len(), len(freesoundClasses)
	scores := make([][]float64, m)
	truth := make([][]float64, m)
	for k, c := range freesoundClasses {
		v, err := submissionFloats(sub, c)
		if err != nil {
			return 0, err
		}
		for i, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return 0, &InvalidSubmission{Row: i + 1, Column: c, Reason: "score is missing or not finite"}
			}
		}
		scores[k] = gather(v, perm)
		if truth[k], err = answerFloats(ans, c); err != nil {
			return 0, err
		}
	}
	var num, den float64
	row := make([]float64, m)
	for i := range n {
		var rel []int
		for k := range m {
			row[k] = scores[k][i]
			if truth[k][i] > 0 {
				rel = append(rel, k)
			}
		}
		if len(rel) == 0 {
			continue
		}
		w := float64(len(rel))
		den += w
		if len(rel) == m {
			num += w
			continue
		}
		var ap float64
		for _, j := range rel {
			rank, relRank := 0, 0
			for k := range m {
				if row[k] >= row[j] {
					rank++
				}
			}
			for _, r := range rel {
				if row[r] >= row[j] {
					relRank++
				}
			}
			ap += float64(relRank) / float64(rank)
		}
		num += w * ap / float64(len(rel))
	}
	if den == 0 {
		return 0, fmt.Errorf("answers have no labels")
	}
	return num / den, nil
}

// multiLabelF1 is micro-F1 over space-separated labels, with the label
// vocabulary taken from the answers only: predicted labels the answers
// never use are ignored, not counted as false positives (the reference's
// MultiLabelBinarizer(classes=answer labels) drops them).
type multiLabelF1 struct{ id, target string }

func (g multiLabelF1) Grade(sub, ans *Table) (float64, error) {
	perm, err := alignAfterColumns(sub, ans, g.id, g.id, g.target)
	if err != nil {
		return 0, err
	}
	sc, _ := sub.Column(g.target)
	if err := requireText(sc, true); err != nil {
		return 0, err
	}
	ac, err := ans.Column(g.target)
	if err != nil {
		return 0, fmt.Errorf("answers: %w", err)
	}
	vocab := map[string]bool{}
	truth := make([]map[string]bool, ans.Len())
	for i := range truth {
		truth[i] = map[string]bool{}
		if ac.IsNA(i) {
			continue
		}
		for _, l := range pyFields(ac.String(i)) {
			vocab[l] = true
			truth[i][l] = true
		}
	}
	var tp, fp, fn float64
	for i, j := range perm {
		pred := map[string]bool{}
		if !sc.IsNA(j) {
			for _, l := range pyFields(sc.String(j)) {
				if vocab[l] {
					pred[l] = true
				}
			}
		}
		for l := range pred {
			if truth[i][l] {
				tp++
			} else {
				fp++
			}
		}
		for l := range truth[i] {
			if !pred[l] {
				fn++
			}
		}
	}
	if d := 2*tp + fp + fn; d > 0 {
		return 2 * tp / d, nil
	}
	return 0, nil
}
