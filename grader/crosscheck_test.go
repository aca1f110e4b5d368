package grader_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

// crossCheckPython computes each metric family with pandas, scikit-learn
// and scipy on the files the Go graders read. It is written from the
// libraries' documented semantics (and the reference graders' column
// choices), not from the reference code.
const crossCheckPython = `
import json, sys
import numpy as np, pandas as pd
from scipy.stats import pearsonr, spearmanr
from sklearn import metrics
from sklearn.preprocessing import MultiLabelBinarizer

def rd(d, name):
    return pd.read_csv(f"{d}/{name}", float_precision="round_trip")

def apk(actual, predicted, k):
    predicted = predicted[:k]
    score, hits = 0.0, 0
    for i, p in enumerate(predicted):
        if p in actual and p not in predicted[:i]:
            hits += 1
            score += hits / (i + 1.0)
    return score / min(len(actual), k) if actual else 0.0

out = {}
for case in json.load(open(sys.argv[1])):
    d, kind, idc = case["dir"], case["kind"], case["id"]
    a = rd(d, "answers.csv").sort_values(idc).reset_index(drop=True)
    s = rd(d, "sub.csv").sort_values(idc).reset_index(drop=True)
    cols = case.get("cols", [])
    if kind == "auc":
        v = metrics.roc_auc_score(a[cols[0]], s[cols[0]])
    elif kind == "col_auc":
        v = np.mean([metrics.roc_auc_score(a[c], s[c]) for c in cols])
    elif kind == "logloss":
        v = metrics.log_loss(a[cols].to_numpy(), s[cols].to_numpy())
    elif kind == "binlogloss":
        v = metrics.log_loss(a[cols[0]], s[cols[0]])
    elif kind == "qwk":
        v = metrics.cohen_kappa_score(s[cols[0]], a[cols[0]], weights="quadratic")
    elif kind == "f1macro":
        v = metrics.f1_score(a[cols[0]], s[cols[0]], average="macro")
    elif kind == "acc":
        v = metrics.accuracy_score(a[cols[0]], s[cols[0]])
    elif kind == "mcc":
        v = metrics.matthews_corrcoef(a[cols[0]], s[cols[0]])
    elif kind == "pearson":
        v = pearsonr(a[cols[0]], s[cols[0]])[0]
    elif kind == "spearman":
        v = np.mean([spearmanr(s[c], a[c]).correlation for c in cols])
    elif kind == "rmse":
        v = np.sqrt(metrics.mean_squared_error(a[cols[0]], s[cols[0]]))
    elif kind == "rmsle":  # nomad2018 compares rows by position, unsorted
        a, s = rd(d, "answers.csv"), rd(d, "sub.csv")
        v = np.mean([np.sqrt(metrics.mean_squared_log_error(a[c], s[c])) for c in cols])
    elif kind == "lwlrap":
        t, sc = a[cols].to_numpy(), s[cols].to_numpy()
        w = np.sum(t > 0, axis=1); keep = np.flatnonzero(w > 0)
        v = metrics.label_ranking_average_precision_score(t[keep] > 0, sc[keep], sample_weight=w[keep])
    elif kind == "microf1":
        truth = a[cols[0]].fillna("").str.split()
        classes = sorted(set(x for row in truth for x in row))
        mlb = MultiLabelBinarizer(classes=classes, sparse_output=True)
        v = metrics.f1_score(mlb.fit_transform(truth), mlb.transform(s[cols[0]].fillna("").str.split()), average="micro")
    elif kind == "jaccard":
        yt = [set(x.lower().split()) for x in a[cols[0]].fillna("")]
        yp = [set(x.lower().split()) for x in s[cols[0]].fillna("")]
        words = list(set.union(*yt, *yp))
        mlb = MultiLabelBinarizer(classes=words, sparse_output=True)
        v = metrics.jaccard_score(mlb.fit_transform(yt), mlb.transform(yp), average="samples")
    elif kind == "map5":
        v = np.mean([apk(set(x.split(" ")), y.split(" "), 5) for x, y in zip(a[cols[0]].astype(str), s[cols[0]].astype(str))])
    elif kind == "logmae":
        m = a.merge(s[[idc, cols[0]]], on=idc, suffixes=("_t", "_p"))
        v = np.mean([np.log(metrics.mean_absolute_error(g[cols[0] + "_t"], g[cols[0] + "_p"])) for _, g in m.groupby("type")])
    elif kind == "angular":
        az1, ze1, az2, ze2 = a["azimuth"], a["zenith"], s["azimuth"], s["zenith"]
        dot = np.sin(ze1) * np.sin(ze2) * (np.cos(az1) * np.cos(az2) + np.sin(az1) * np.sin(az2)) + np.cos(ze1) * np.cos(ze2)
        v = np.mean(np.abs(np.arccos(np.clip(dot, -1, 1))))
    out[case["name"]] = None if np.isnan(v) else float(v)
print(json.dumps(out))
`

type crossCase struct {
	Name string   `json:"name"`
	Comp string   `json:"-"`
	Kind string   `json:"kind"`
	ID   string   `json:"id"`
	Cols []string `json:"cols"`
	Dir  string   `json:"dir"`
}

// TestCrossCheckPython grades random submissions for one competition of
// each metric family and compares with scikit-learn/scipy. It needs
// Debian's /usr/bin/python3 with pandas, scipy and scikit-learn.
// cellPairs builds n rows of k true values and k predictions, one cell
// at a time in row order (so a random gen draws in a fixed order): gen
// gives a cell's true value and its prediction.
func cellPairs(n, k int, gen func() (y, p float64)) (ys, ps [][]float64) {
	ys, ps = make([][]float64, n), make([][]float64, n)
	for i := range n {
		ys[i], ps[i] = make([]float64, k), make([]float64, k)
		for j := range k {
			ys[i][j], ps[i][j] = gen()
		}
	}
	return ys, ps
}

func TestCrossCheckPython(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import pandas, scipy, sklearn").Run(); err != nil {
		t.Skipf("%s with pandas, scipy and scikit-learn is not available: %v", py, err)
	}
	rng := rand.New(rand.NewPCG(7, 11))
	n := 600
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("r%04d", i)
	}
	// shuffled submission order: the graders must align by id.
	order := rng.Perm(n)
	type table struct {
		head string
		row  func(i int) string
	}
	write := func(dir, name string, tb table, shuffle bool) {
		var b strings.Builder
		b.WriteString(tb.head + "\n")
		for k := range n {
			i := k
			if shuffle {
				i = order[k]
			}
			b.WriteString(ids[i] + "," + tb.row(i) + "\n")
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := func(x float64) string { return fmt.Sprintf("%.17g", x) }
	bin := make([]int, n)
	lab := make([]int, n)
	pred := make([]int, n)
	score := make([]float64, n)
	cont := make([]float64, n)
	contP := make([]float64, n)
	for i := range n {
		bin[i] = rng.IntN(2)
		lab[i] = rng.IntN(5)
		pred[i] = lab[i]
		if rng.Float64() < 0.4 {
			pred[i] = rng.IntN(6)
		}
		score[i] = math.Round((0.3*float64(bin[i])+0.7*rng.Float64())*100) / 100 // ties
		cont[i] = rng.Float64() * 10
		contP[i] = cont[i] + rng.NormFloat64()
		if contP[i] < 0 {
			contP[i] = 0
		}
	}
	probs := func(k int) [][]float64 {
		p := make([][]float64, n)
		for i := range p {
			p[i] = make([]float64, k)
			var s float64
			for j := range p[i] {
				p[i][j] = 0.05 + rng.Float64()
				s += p[i][j]
			}
			for j := range p[i] {
				p[i][j] /= s
			}
		}
		return p
	}
	join := func(v []float64) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = f(x)
		}
		return strings.Join(s, ",")
	}
	words := []string{"alpha", "beta", "gamma", "delta", "eps", "zeta"}
	pick := func() string {
		var w []string
		for _, x := range words {
			if rng.Float64() < 0.35 {
				w = append(w, x)
			}
		}
		return strings.Join(w, " ")
	}

	var cases []crossCase
	add := func(name, comp, kind, id string, cols []string, ans, sub table) {
		c, err := grader.Lookup(comp)
		if err != nil {
			t.Fatal(err)
		}
		root := t.TempDir()
		p := filepath.Join(root, filepath.FromSlash(c.Answers))
		os.MkdirAll(filepath.Dir(p), 0o755)
		write(filepath.Dir(p), filepath.Base(p), ans, false)
		write(root, "sub.csv", sub, true)
		// The Python side reads both from one dir.
		b, _ := os.ReadFile(p)
		os.WriteFile(filepath.Join(root, "answers.csv"), b, 0o644)
		cases = append(cases, crossCase{Name: name, Comp: comp, Kind: kind, ID: id, Cols: cols, Dir: root})
	}

	add("roc auc", "aerial-cactus-identification", "auc", "id", []string{"has_cactus"},
		table{"id,has_cactus", func(i int) string { return fmt.Sprint(bin[i]) }},
		table{"id,has_cactus", func(i int) string { return f(score[i]) }})
	pp := []string{"healthy", "multiple_diseases", "rust", "scab"}
	ppTruth := make([][]int, n)
	ppScore := make([][]float64, n)
	for i := range n {
		ppTruth[i] = []int{rng.IntN(2), rng.IntN(2), rng.IntN(2), rng.IntN(2)}
		ppScore[i] = []float64{rng.Float64() + 0.5*float64(ppTruth[i][0]), rng.Float64(), rng.Float64() + float64(ppTruth[i][2]), rng.Float64()}
	}
	add("column-wise auc", "plant-pathology-2020-fgvc7", "col_auc", "image_id", pp,
		table{"image_id," + strings.Join(pp, ","), func(i int) string {
			return strings.Trim(strings.Join(strings.Fields(fmt.Sprint(ppTruth[i])), ","), "[]")
		}},
		table{"image_id," + strings.Join(pp, ","), func(i int) string { return join(ppScore[i]) }})
	spooky := []string{"EAP", "HPL", "MWS"}
	sp := probs(3)
	add("multi-class log loss", "spooky-author-identification", "logloss", "id", spooky,
		table{"id,EAP,HPL,MWS", func(i int) string { o := []string{"0", "0", "0"}; o[lab[i]%3] = "1"; return strings.Join(o, ",") }},
		table{"id,EAP,HPL,MWS", func(i int) string { return join(sp[i]) }})
	add("binary log loss", "dogs-vs-cats-redux-kernels-edition", "binlogloss", "id", []string{"label"},
		table{"id,label", func(i int) string { return fmt.Sprint(bin[i]) }},
		table{"id,label", func(i int) string { return f(0.02 + 0.96*score[i]) }})
	add("quadratic weighted kappa", "aptos2019-blindness-detection", "qwk", "id_code", []string{"diagnosis"},
		table{"id_code,diagnosis", func(i int) string { return fmt.Sprint(lab[i]) }},
		table{"id_code,diagnosis", func(i int) string { return fmt.Sprint(min(pred[i], 4)) }})
	add("macro f1", "herbarium-2021-fgvc8", "f1macro", "Id", []string{"Predicted"},
		table{"Id,Predicted", func(i int) string { return fmt.Sprint(lab[i]) }},
		table{"Id,Predicted", func(i int) string { return fmt.Sprint(pred[i]) }})
	add("accuracy", "cassava-leaf-disease-classification", "acc", "image_id", []string{"label"},
		table{"image_id,label", func(i int) string { return fmt.Sprint(lab[i]) }},
		table{"image_id,label", func(i int) string { return fmt.Sprint(pred[i]) }})
	add("matthews", "nfl-player-contact-detection", "mcc", "contact_id", []string{"contact"},
		table{"contact_id,contact", func(i int) string { return fmt.Sprint(bin[i]) }},
		table{"contact_id,contact", func(i int) string { return fmt.Sprint(int(score[i] + 0.3)) }})
	add("pearson", "us-patent-phrase-to-phrase-matching", "pearson", "id", []string{"score"},
		table{"id,score", func(i int) string { return f(cont[i]) }},
		table{"id,score", func(i int) string { return f(contP[i]) }})
	gq := googleQuestCols()
	gqT, gqP := cellPairs(n, len(gq), func() (float64, float64) {
		y := float64(rng.IntN(4)) / 3 // many ties, as in the real answers
		return y, math.Round((y+rng.Float64())*20) / 20
	})
	add("spearman", "google-quest-challenge", "spearman", "qa_id", gq,
		table{"qa_id," + strings.Join(gq, ","), func(i int) string { return join(gqT[i]) }},
		table{"qa_id," + strings.Join(gq, ","), func(i int) string { return join(gqP[i]) }})
	add("rmse", "denoising-dirty-documents", "rmse", "id", []string{"value"},
		table{"id,value", func(i int) string { return f(cont[i] / 10) }},
		table{"id,value", func(i int) string { return f(contP[i] / 10) }})
	nomad := []string{"formation_energy_ev_natom", "bandgap_energy_ev"}
	add("rmsle", "nomad2018-predict-transparent-conductors", "rmsle", "id", nomad,
		table{"id," + strings.Join(nomad, ","), func(i int) string { return f(cont[i]) + "," + f(cont[i]/3) }},
		table{"id," + strings.Join(nomad, ","), func(i int) string { return f(contP[i]) + "," + f(contP[i]/2) }})
	fs := freesoundCols()
	fsT, fsS := cellPairs(n, len(fs), func() (float64, float64) {
		y := 0.0
		if rng.Float64() < 0.03 {
			y = 1
		}
		return y, math.Round((rng.Float64()+0.5*y)*50) / 50
	})
	add("lwlrap", "freesound-audio-tagging-2019", "lwlrap", "fname", fs,
		table{"fname," + strings.Join(fs, ","), func(i int) string { return join(fsT[i]) }},
		table{"fname," + strings.Join(fs, ","), func(i int) string { return join(fsS[i]) }})
	tags := make([]string, n)
	tagP := make([]string, n)
	for i := range n {
		tags[i], tagP[i] = pick(), pick()
		if rng.Float64() < 0.2 {
			tagP[i] += " unseen"
		}
	}
	tagP[0] = "alpha x" // keep the column textual
	add("multi-label micro f1", "imet-2020-fgvc7", "microf1", "id", []string{"attribute_ids"},
		table{"id,attribute_ids", func(i int) string { return tags[i] }},
		table{"id,attribute_ids", func(i int) string { return tagP[i] }})
	add("samples jaccard", "chaii-hindi-and-tamil-question-answering", "jaccard", "id", []string{"PredictionString"},
		table{"id,PredictionString", func(i int) string { return tags[i] }},
		table{"id,PredictionString", func(i int) string { return strings.ToUpper(tagP[i]) }})
	add("map@5", "whale-categorization-playground", "map5", "Image", []string{"Id"},
		table{"Image,Id", func(i int) string { return words[lab[i]] }},
		table{"Image,Id", func(i int) string {
			p := rng.Perm(len(words))
			return strings.Join([]string{words[p[0]], words[p[1]], words[p[2]], words[p[3]], words[p[4]]}, " ")
		}})
	add("log mae per type", "champs-scalar-coupling", "logmae", "id", []string{"scalar_coupling_constant"},
		table{"id,type,scalar_coupling_constant", func(i int) string { return fmt.Sprintf("%dJH%c,%s", 1+lab[i]%3, 'C', f(cont[i])) }},
		table{"id,scalar_coupling_constant", func(i int) string { return f(contP[i]) }})
	add("angular error", "icecube-neutrinos-in-deep-ice", "angular", "event_id", nil,
		table{"event_id,azimuth,zenith", func(i int) string { return f(cont[i]*0.6) + "," + f(cont[i]*0.3) }},
		table{"event_id,azimuth,zenith", func(i int) string { return f(contP[i]*0.6) + "," + f(cont[i]*0.31) }})

	manifest, _ := json.Marshal(cases)
	mpath := filepath.Join(t.TempDir(), "cases.json")
	os.WriteFile(mpath, manifest, 0o644)
	script := filepath.Join(t.TempDir(), "crosscheck.py")
	os.WriteFile(script, []byte(crossCheckPython), 0o644)
	out, err := exec.Command(py, script, mpath).Output()
	if err != nil {
		t.Fatalf("python: %v", err)
	}
	var want map[string]*float64
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			rep, err := grader.Grade(context.Background(), grader.Request{CompetitionID: c.Comp, SubmissionPath: filepath.Join(c.Dir, "sub.csv"), DataDir: c.Dir})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.ValidSubmission {
				t.Fatalf("invalid: %s", rep.Reason)
			}
			w := want[c.Name]
			if w == nil {
				t.Fatalf("python gave no value")
			}
			if math.Abs(*rep.Score-*w) > 0.5e-5+1e-12 {
				t.Errorf("score %v, scikit-learn/scipy %v", *rep.Score, *w)
			}
		})
	}
}
