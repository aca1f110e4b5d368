package task

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mlbench/mlbench/grader"
)

// The demo tasks: small synthetic problems in the MLE-Bench layout: four
// tabular ones, one per common metric family, an image task (demo_image.go)
// and a text task (demo_sentences.go). Their signal has a linear part that a plain
// baseline finds and a non-linear part (interactions, thresholds, periodic
// terms) that only a well-tuned tree ensemble recovers, so the synthetic
// leaderboard can put a plain baseline near the median and leave medals
// for better models.
const (
	demoBinary     = "demo-binary-auc"
	demoMulticlass = "demo-multiclass-logloss"
	demoRegression = "demo-regression-rmse"
	demoAccuracy   = "demo-multiclass-accuracy"
)

// DemoIDs lists the demo tasks, in suite order.
func DemoIDs() []string {
	return []string{demoBinary, demoMulticlass, demoRegression, demoAccuracy, demoImage, demoText}
}

func isDemoID(id string) bool { return slices.Contains(DemoIDs(), id) }

// demoTrain and demoTest are the row counts: one scikit-learn fit takes a
// few seconds on 2 cores.
const (
	demoTrain = 4000
	demoTest  = 2000
	demoTeams = 200
)

// demoStamp fixes dates in generated files so output is byte-identical.
var demoStamp = time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)

// EnsureDemo makes the demo tasks in r.DemoDir unless all are there.
func (r Registry) EnsureDemo() error {
	if r.DemoDir == "" {
		return fmt.Errorf("make demo tasks: no demo dir configured (data.demo_dir)")
	}
	complete := true
	for _, id := range DemoIDs() {
		if !fileExists(filepath.Join(r.DemoDir, id, SpecFile)) {
			complete = false
		}
	}
	if complete {
		return nil
	}
	return MakeDemo(r.DemoDir, r.DemoSeed)
}

// MakeDemo writes the demo tasks under dir, deterministically for a seed:
// the same seed gives byte-identical files. Each task is written to a
// temporary folder and renamed into place, so a reader never sees half a task.
func MakeDemo(dir string, seed int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("make demo tasks: %w", err)
	}
	for _, id := range DemoIDs() {
		files := demoFiles(id, seed)
		if err := writeTaskDir(dir, id, files); err != nil {
			return fmt.Errorf("make demo task %s: %w", id, err)
		}
	}
	return nil
}

func writeTaskDir(dir, id string, files map[string][]byte) error {
	tmp, err := os.MkdirTemp(dir, "."+id+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for name, b := range files {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	final := filepath.Join(dir, id)
	if err := os.RemoveAll(final); err != nil {
		return err
	}
	return os.Rename(tmp, final)
}

// demoRow is one synthetic example.
type demoRow struct {
	x    [8]float64
	miss bool // x3 missing
	cat1 string
	cat2 string
}

var (
	cat1Levels = []string{"A", "B", "C", "D", "E"}
	cat2Levels = []string{"red", "green", "blue"}
	cat1Effect = map[string]float64{"A": -0.8, "B": -0.2, "C": 0.1, "D": 0.5, "E": 0.9}
	cat2Effect = map[string]float64{"red": 0.4, "green": -0.3, "blue": 0}
)

func newRNG(id string, seed int64) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte(id))
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

func drawRow(rng *rand.Rand) demoRow {
	var r demoRow
	for i := 0; i < 6; i++ {
		r.x[i] = rng.NormFloat64()
	}
	r.x[6] = rng.Float64() * 10
	r.x[7] = math.Exp(0.5 * rng.NormFloat64())
	r.miss = rng.Float64() < 0.05
	r.cat1 = cat1Levels[rng.IntN(len(cat1Levels))]
	r.cat2 = cat2Levels[rng.IntN(len(cat2Levels))]
	return r
}

// linearPart is what a linear model with one-hot categoricals can find.
func (r demoRow) linearPart(w [3]float64) float64 {
	return w[0]*r.x[0] + w[1]*r.x[1] + w[2]*r.x[2] + cat1Effect[r.cat1]
}

// nonlinearPart needs trees (or feature engineering) to be recovered.
func (r demoRow) nonlinearPart(k float64) float64 {
	v := 1.3*math.Sin(2*r.x[3]+k) + 1.1*r.x[4]*r.x[5]
	if r.x[6] > 6 {
		v += 1.2
	}
	if r.cat2 == "red" && r.x[0] > 0 {
		v += 0.9
	}
	v += 0.6 * math.Log(r.x[7]) * cat2Effect[r.cat2] * 3
	return v
}

func demoFiles(id string, seed int64) map[string][]byte {
	switch id {
	case demoImage:
		return imageTask(seed)
	case demoText:
		return textTask(seed)
	}
	rng := newRNG(id, seed)
	rows := make([]demoRow, demoTrain+demoTest)
	for i := range rows {
		rows[i] = drawRow(rng)
	}
	switch id {
	case demoBinary:
		return binaryTask(rng, rows, seed)
	case demoMulticlass:
		return multiclassTask(rng, rows, seed, true)
	case demoAccuracy:
		return multiclassTask(rng, rows, seed, false)
	case demoRegression:
		return regressionTask(rng, rows, seed)
	}
	panic("unknown demo task " + id)
}

func featureHeader() string { return "id,x1,x2,x3,x4,x5,x6,x7,x8,cat1,cat2" }

func writeFeatures(b *bytes.Buffer, id int, r demoRow) {
	b.WriteString(strconv.Itoa(id))
	for i, v := range r.x {
		b.WriteByte(',')
		if i == 2 && r.miss {
			continue // missing value: an empty cell
		}
		b.WriteString(ff(v))
	}
	b.WriteByte(',')
	b.WriteString(r.cat1)
	b.WriteByte(',')
	b.WriteString(r.cat2)
}

func ff(v float64) string { return strconv.FormatFloat(v, 'f', 5, 64) }

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func testID(i int) int { return demoTrain + i }

func binaryTask(rng *rand.Rand, rows []demoRow, seed int64) map[string][]byte {
	d := newDemoCSVs(featureHeader()+",target", featureHeader(), "id,target")
	var yTest []int
	var pOracle, pLinear []float64
	for i, r := range rows {
		lin := r.linearPart([3]float64{0.9, -0.7, 0.5})
		z := lin + r.nonlinearPart(0) - 0.6
		y := 0
		if rng.Float64() < sigmoid(z) {
			y = 1
		}
		if i < demoTrain {
			writeFeatures(&d.train, i, r)
			fmt.Fprintf(&d.train, ",%d\n", y)
			continue
		}
		id := testID(i - demoTrain)
		writeFeatures(&d.test, id, r)
		d.test.WriteByte('\n')
		fmt.Fprintf(&d.sample, "%d,0.5\n", id)
		fmt.Fprintf(&d.answers, "%d,%d\n", id, y)
		yTest = append(yTest, y)
		pOracle = append(pOracle, sigmoid(z))
		pLinear = append(pLinear, lin)
	}
	oracle := aucScore(yTest, pOracle)
	linear := aucScore(yTest, pLinear)
	lb := leaderboard(rng, gapAnchors(oracle, linear, 0.5, fractions{0.30, 0.36, 0.42, 0.87}), false)
	return d.files(binaryDescription, lb, spec(demoBinary, "Demo: binary classification (ROC AUC)", "roc_auc", []string{"target"}, seed))
}

var classNames = []string{"alpha", "beta", "gamma"}

func multiclassTask(rng *rand.Rand, rows []demoRow, seed int64, probs bool) map[string][]byte {
	head := "id,label"
	if probs {
		head = "id," + strings.Join(classNames, ",")
	}
	d := newDemoCSVs(featureHeader()+",label", featureHeader(), head)
	weights := [][3]float64{{0.9, -0.5, 0.3}, {-0.4, 0.8, -0.6}, {0, 0, 0}}
	var yTest []int
	var oracleP, linearP [][]float64
	for i, r := range rows {
		logits := make([]float64, 3)
		lins := make([]float64, 3)
		for k := range logits {
			if k == 2 {
				continue // reference class
			}
			lins[k] = r.linearPart(weights[k])
			logits[k] = lins[k] + r.nonlinearPart(float64(k)*1.7)*0.8
		}
		p := softmax(logits)
		y := sampleCategorical(rng, p)
		if i < demoTrain {
			writeFeatures(&d.train, i, r)
			fmt.Fprintf(&d.train, ",%s\n", classNames[y])
			continue
		}
		id := testID(i - demoTrain)
		writeFeatures(&d.test, id, r)
		d.test.WriteByte('\n')
		if probs {
			fmt.Fprintf(&d.sample, "%d,%s\n", id, uniformRow(len(classNames)))
			fmt.Fprintf(&d.answers, "%d,%s\n", id, oneHot(y, len(classNames)))
		} else {
			fmt.Fprintf(&d.sample, "%d,%s\n", id, classNames[0])
			fmt.Fprintf(&d.answers, "%d,%s\n", id, classNames[y])
		}
		yTest = append(yTest, y)
		oracleP = append(oracleP, p)
		linearP = append(linearP, softmax(lins))
	}
	if probs {
		oracle, linear := logLoss(yTest, oracleP), logLoss(yTest, linearP)
		lb := leaderboard(rng, gapAnchors(oracle, linear, math.Log(3), fractions{0.50, 0.57, 0.62, 0.83}), true)
		return d.files(multiclassDescription, lb, spec(demoMulticlass, "Demo: multiclass classification (log loss)", "log_loss", classNames, seed))
	}
	oracle, linear := accuracy(yTest, oracleP), accuracy(yTest, linearP)
	lb := leaderboard(rng, gapAnchors(oracle, linear, 1.0/3, fractions{0.43, 0.54, 0.61, 0.83}), false)
	return d.files(accuracyDescription, lb, spec(demoAccuracy, "Demo: multiclass classification (accuracy)", "accuracy", []string{"label"}, seed))
}

func regressionTask(rng *rand.Rand, rows []demoRow, seed int64) map[string][]byte {
	d := newDemoCSVs(featureHeader()+",y", featureHeader(), "id,y")
	const noise = 0.8
	var sumSqOracle, sumY, sumY2 float64
	for i, r := range rows {
		lin := r.linearPart([3]float64{2.0, -1.5, 1.0})
		f := 10 + lin + 1.6*r.nonlinearPart(0)
		y := f + noise*rng.NormFloat64()
		if i < demoTrain {
			writeFeatures(&d.train, i, r)
			fmt.Fprintf(&d.train, ",%s\n", ff(y))
			continue
		}
		id := testID(i - demoTrain)
		writeFeatures(&d.test, id, r)
		d.test.WriteByte('\n')
		fmt.Fprintf(&d.sample, "%d,10.0\n", id)
		fmt.Fprintf(&d.answers, "%d,%s\n", id, ff(y))
		sumSqOracle += (y - f) * (y - f)
		sumY += y
		sumY2 += y * y
	}
	n := float64(demoTest)
	oracle := math.Sqrt(sumSqOracle / n)
	std := math.Sqrt(sumY2/n - (sumY/n)*(sumY/n))
	// The scale of the gap: a linear fit leaves roughly this much error.
	linear := 0.55 * std
	lb := leaderboard(rng, gapAnchors(oracle, linear, std, fractions{0.29, 0.37, 0.48, 1.11}), true)
	return d.files(regressionDescription, lb, spec(demoRegression, "Demo: regression (RMSE)", "rmse", []string{"y"}, seed))
}

func spec(id, name, metric string, targets []string, seed int64) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Synthetic demo task made by `mlbench tasks make-demo --seed %d`.\n", seed)
	fmt.Fprintf(&b, "id: %s\nname: %q\nmetric: %s\nid_column: id\ntarget_columns: [%s]\n", id, name, metric, strings.Join(targets, ", "))
	b.WriteString("answers: prepared/private/test.csv\nsample_submission: prepared/public/sample_submission.csv\nleaderboard: leaderboard.csv\nsplit: demo\n")
	return b.Bytes()
}

// fractions place the gold, silver, bronze and median anchors at these
// fractions of the gap between the oracle's score (the true probabilities
// or regression function) and the linear part's score. They were calibrated
// with scikit-learn on seed 1: a linear model lands near the median, a
// default HistGradientBoosting model between bronze and silver, and gold
// needs tuning or ensembling.
type fractions struct{ gold, silver, bronze, median float64 }

func gapAnchors(oracle, linear, worst float64, f fractions) anchors {
	gap := linear - oracle // negative when higher is better
	return anchors{best: oracle, gold: oracle + f.gold*gap, silver: oracle + f.silver*gap,
		bronze: oracle + f.bronze*gap, median: oracle + f.median*gap, worst: worst}
}

// anchors are the leaderboard scores at the medal ranks of a 200-team
// leaderboard (gold rank 10, silver 40, bronze 80, median between 100 and
// 101) and at its two ends.
type anchors struct{ best, gold, silver, bronze, median, worst float64 }

// leaderboard draws a Kaggle-format leaderboard.csv, best first, whose
// medal thresholds sit at the anchors.
func leaderboard(rng *rand.Rand, a anchors, lowerIsBetter bool) []byte {
	ranks := []float64{1, 10, 40, 80, 100.5, demoTeams}
	vals := []float64{a.best, a.gold, a.silver, a.bronze, a.median, a.worst}
	scores := make([]float64, demoTeams)
	for i := range scores {
		r := float64(i + 1)
		j := sort.SearchFloat64s(ranks, r)
		if j == 0 {
			scores[i] = vals[0]
			continue
		}
		if j >= len(ranks) {
			j = len(ranks) - 1
		}
		t := (r - ranks[j-1]) / (ranks[j] - ranks[j-1])
		scores[i] = vals[j-1] + t*(vals[j]-vals[j-1])
	}
	// Jitter between anchors only, then restore the order, so the medal
	// thresholds stay where the anchors put them.
	for i := range scores {
		if i == 0 || i == 9 || i == 39 || i == 79 || i == 99 || i == 100 || i == demoTeams-1 {
			continue
		}
		lo, hi := scores[i-1], scores[i+1]
		scores[i] += (rng.Float64() - 0.5) * 0.5 * math.Abs(hi-lo)
	}
	if lowerIsBetter {
		sort.Float64s(scores)
	} else {
		sort.Sort(sort.Reverse(sort.Float64Slice(scores)))
	}
	var b bytes.Buffer
	b.WriteString("scoreNullable,teamId,hasTeamName,submissionDate,score,hasScore\n")
	for i, s := range scores {
		date := demoStamp.Add(time.Duration(rng.IntN(90*24)) * time.Hour).Format("2006-01-02 15:04:05")
		fmt.Fprintf(&b, "%s,%d,True,%s,%s,True\n", ff(s), 1000+i*7+rng.IntN(7), date, ff(s))
	}
	return b.Bytes()
}

func softmax(z []float64) []float64 {
	m := slices.Max(z)
	out := make([]float64, len(z))
	var s float64
	for i, v := range z {
		out[i] = math.Exp(v - m)
		s += out[i]
	}
	for i := range out {
		out[i] /= s
	}
	return out
}

func sampleCategorical(rng *rand.Rand, p []float64) int {
	u := rng.Float64()
	for k, v := range p {
		if u < v {
			return k
		}
		u -= v
	}
	return len(p) - 1
}

// aucScore is the ROC AUC of scores s for labels y (ties count half): the
// Mann-Whitney statistic of the positives' ranks.
func aucScore(y []int, s []float64) float64 {
	var rankSumPos, pos float64
	for i, r := range grader.AverageRanks(s) {
		if y[i] == 1 {
			rankSumPos += r
			pos++
		}
	}
	neg := float64(len(y)) - pos
	return (rankSumPos - pos*(pos+1)/2) / (pos * neg)
}

func logLoss(y []int, p [][]float64) float64 {
	var s float64
	for i, k := range y {
		s -= math.Log(math.Max(p[i][k], 1e-15))
	}
	return s / float64(len(y))
}

func accuracy(y []int, p [][]float64) float64 {
	var hit float64
	for i, k := range y {
		if argmax(p[i]) == k {
			hit++
		}
	}
	return hit / float64(len(y))
}

func argmax(v []float64) int {
	best := 0
	for i := range v {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// IsDemo reports whether id names a demo task.
func IsDemo(id string) bool { return isDemoID(id) }
