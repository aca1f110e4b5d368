package task

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// The text demo task: generated sentences on three topics, in the layout
// of MLE-Bench's text competitions (spooky-author-identification: train.csv
// and test.csv with an id and a text column, one probability column per
// class in the submission).
const (
	demoText      = "demo-text-logloss"
	demoTextTrain = 2000
	demoTextTest  = 1000
)

var topicNames = []string{"harbour", "kitchen", "garden"}

// topicWords are each topic's own words; commonWords are shared. Each
// topic also has phrases of two common words in an order only it uses:
// word counts cannot tell them apart, word bigrams can.
var (
	topicWords = [][]string{
		{"boat", "tide", "anchor", "sail", "pier", "gull", "rope", "harbour", "wave", "mast", "crew", "dock"},
		{"oven", "flour", "knife", "spoon", "pan", "butter", "onion", "recipe", "kettle", "salt", "dough", "plate"},
		{"rose", "soil", "spade", "seed", "hedge", "tulip", "weed", "garden", "shed", "moss", "bloom", "pond"},
	}
	commonWords = []string{"the", "a", "old", "new", "small", "big", "early", "late", "green", "red", "quiet",
		"busy", "morning", "evening", "near", "under", "over", "with", "and", "was", "is", "seemed", "very",
		"slowly", "quickly", "again", "still", "there", "here", "light", "dark", "warm", "cold", "long"}
	topicPhrases = [][][2]string{
		{{"light", "dark"}, {"still", "warm"}, {"over", "quiet"}},
		{{"dark", "light"}, {"warm", "still"}, {"quiet", "over"}},
		{{"cold", "long"}, {"long", "cold"}, {"busy", "late"}},
	}
)

// Emission probabilities per unit of a sentence of topic k: a topic word,
// a topic phrase, or a common word.
const (
	pTopicWord   = 0.06
	pTopicPhrase = 0.10
)

// sentence draws a sentence of topic k and returns it with its unit
// log-likelihood under every topic (the oracle's evidence).
func sentence(rng *rand.Rand, k int) (string, []float64) {
	n := 8 + rng.IntN(12)
	var words []string
	ll := make([]float64, len(topicNames))
	nTopic := float64(len(topicWords[0]))
	nPhrase := float64(len(topicPhrases[0]))
	nCommon := float64(len(commonWords))
	for i := 0; i < n; i++ {
		u := rng.Float64()
		switch {
		case u < pTopicWord:
			w := topicWords[k][rng.IntN(len(topicWords[k]))]
			words = append(words, w)
			for j := range ll {
				if j == k {
					ll[j] += math.Log(pTopicWord / nTopic)
				} else {
					ll[j] += math.Log(1e-9)
				}
			}
		case u < pTopicWord+pTopicPhrase:
			ph := topicPhrases[k][rng.IntN(len(topicPhrases[k]))]
			words = append(words, ph[0], ph[1])
			for j := range ll {
				if phraseOf(j, ph) {
					ll[j] += math.Log(pTopicPhrase / nPhrase)
				} else {
					ll[j] += math.Log((1 - pTopicWord - pTopicPhrase) / nCommon * (1 - pTopicWord - pTopicPhrase) / nCommon)
				}
			}
		default:
			words = append(words, commonWords[rng.IntN(len(commonWords))])
		}
	}
	s := strings.Join(words, " ")
	return strings.ToUpper(s[:1]) + s[1:] + ".", ll
}

func phraseOf(k int, ph [2]string) bool {
	for _, p := range topicPhrases[k] {
		if p == ph {
			return true
		}
	}
	return false
}

func textTask(seed int64) map[string][]byte {
	rng := newRNG(demoText, seed)
	d := newDemoCSVs("id,text,topic", "id,text", "id,"+strings.Join(topicNames, ","))
	var yTest []int
	var oracleP, priorP [][]float64
	for i := 0; i < demoTextTrain+demoTextTest; i++ {
		k := rng.IntN(len(topicNames))
		s, ll := sentence(rng, k)
		id := fmt.Sprintf("t%05d", i)
		if i < demoTextTrain {
			fmt.Fprintf(&d.train, "%s,\"%s\",%s\n", id, s, topicNames[k])
			continue
		}
		fmt.Fprintf(&d.test, "%s,\"%s\"\n", id, s)
		fmt.Fprintf(&d.sample, "%s,%s\n", id, uniformRow(len(topicNames)))
		fmt.Fprintf(&d.answers, "%s,%s\n", id, oneHot(k, len(topicNames)))
		yTest = append(yTest, k)
		oracleP = append(oracleP, softmax(ll))
		priorP = append(priorP, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3})
	}
	oracle, prior := logLoss(yTest, oracleP), logLoss(yTest, priorP)
	lb := leaderboard(rng, gapAnchors(oracle, prior, prior, textFractions), true)
	return d.files(textDescription, lb, spec(demoText, "Demo: text classification (log loss)", "log_loss", topicNames, seed))
}

// textFractions place the anchors between the oracle's log loss (the true
// posterior of the generating process) and the class prior's. Calibrated
// with the baseline on seed 1 (hold-out log loss): naive Bayes (0.48) below
// the median, TF-IDF word 1-2-grams into a logistic regression (0.32) just
// above it, with character n-grams (0.28) at bronze; silver and gold need
// more moves or an ensemble.
var textFractions = fractions{0.10, 0.145, 0.19, 0.25}

const textDescription = `# Demo: text classification (log loss)

A synthetic text task bundled with mlbench, laid out like MLE-Bench's text
competitions. Each row is a generated sentence about one of three topics:
harbour, kitchen or garden. Predict, for every test sentence, the
probability of each topic.

` + logLossRules + `
    id,harbour,kitchen,garden
    t02000,0.33333,0.33333,0.33333

## Files
- train.csv: id, text and topic of the training sentences.
- test.csv: id and text of the test sentences.
- sample_submission.csv: a submission in the correct format.
`
