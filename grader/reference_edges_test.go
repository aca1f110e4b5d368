package grader_test

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/mlbench/mlbench/grader"
)

// referenceCase is one submission and what MLE-Bench's grade.py does with
// it: valid or not, and the score (NaN and infinities included).
type referenceCase struct {
	name, id, answers, submission string
	valid                         bool
	score                         float64
}

func checkReferenceCases(t *testing.T, cases []referenceCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := grade(t, tc.id, tc.answers, tc.submission)
			if rep.ValidSubmission != tc.valid {
				t.Fatalf("valid = %v (%s), want %v", rep.ValidSubmission, rep.Reason, tc.valid)
			}
			if !tc.valid {
				return
			}
			if rep.Score == nil || !near(*rep.Score, tc.score) && !(math.IsInf(tc.score, 0) && *rep.Score == tc.score) {
				t.Fatalf("score = %v, want %v", rep.Score, tc.score)
			}
			if math.IsNaN(tc.score) && (rep.AnyMedal || rep.AboveMedian) {
				t.Errorf("a NaN score earned a flag: %+v", rep)
			}
		})
	}
}

// TestReferenceNonFiniteScores: where grade.py returns NaN or an infinity
// for a valid submission, so does mlbench, and grade.json says it as
// Python's json does.
func TestReferenceNonFiniteScores(t *testing.T) {
	checkReferenceCases(t, []referenceCase{
		// scipy pearsonr of a constant input is NaN.
		{"patent constant prediction", "us-patent-phrase-to-phrase-matching",
			"id,score\na,0.25\nb,0.5\nc,1\n", "id,score\na,0.5\nb,0.5\nc,0.5\n", true, math.NaN()},
		// spearmanr of a constant column is NaN, and NaN poisons the mean.
		{"google quest constant column", "google-quest-challenge",
			questAnswers(), questSubmission(), true, math.NaN()},
		// champs: mean over types of log(MAE); a perfect type is log(0).
		{"champs perfect prediction", "champs-scalar-coupling",
			"id,molecule_name,atom_index_0,atom_index_1,type,scalar_coupling_constant\n1,m,0,1,1JHC,80\n2,m,0,2,2JHH,-10\n",
			"id,scalar_coupling_constant\n1,80\n2,-10\n", true, math.Inf(-1)},
		// cohen_kappa_score of one constant class on both sides: 0 / 0.
		{"aptos constant perfect prediction", "aptos2019-blindness-detection",
			"id_code,diagnosis\na,2\nb,2\n", "id_code,diagnosis\na,2\nb,2\n", true, math.NaN()},
		{"essay scoring constant perfect prediction", "learning-agency-lab-automated-essay-scoring-2",
			"essay_id,score\na,3\nb,3\n", "essay_id,score\na,3\nb,3\n", true, math.NaN()},
		// NaN in a trip's predictions propagates through np.percentile.
		{"smartphone NaN position", "smartphone-decimeter-2022",
			"tripId,UnixTimeMillis,LatitudeDegrees,LongitudeDegrees\nt,1,37.0,-122.0\nt,2,37.0,-122.0\n",
			"tripId,UnixTimeMillis,LatitudeDegrees,LongitudeDegrees\nt,1,37.0,-122.0\nt,2,,-122.0\n", true, math.NaN()},
		// Where Python raises instead, there is no score.
		{"AI4Code one-cell notebooks divide by zero", "AI4Code",
			"id,cell_order\na,c1\nb,c2\n", "id,cell_order\na,c1\nb,c2\n", false, 0},
	})
	rep := grade(t, "champs-scalar-coupling",
		"id,molecule_name,atom_index_0,atom_index_1,type,scalar_coupling_constant\n1,m,0,1,1JHC,80\n",
		"id,scalar_coupling_constant\n1,80\n")
	b, err := grader.MarshalIndent(rep)
	if err != nil || !strings.Contains(string(b), `"score": -Infinity`) {
		t.Fatalf("grade JSON = %s, %v", b, err)
	}
	// rank_score compares -inf <= gold_threshold (lower is better): gold.
	if !rep.GoldMedal || !rep.AnyMedal || !rep.AboveMedian || rep.SilverMedal {
		t.Errorf("-Infinity under a lower-is-better metric: %+v, want gold as rank_score gives", rep)
	}
}

func questAnswers() string {
	return "qa_id," + strings.Join(questTargets(), ",") + "\n" + questRow("1", "0.1") + questRow("2", "0.9") + questRow("3", "0.5")
}

func questSubmission() string {
	return "qa_id," + strings.Join(questTargets(), ",") + "\n" + questRow("1", "0.5") + questRow("2", "0.5") + questRow("3", "0.5")
}

func questRow(id, v string) string { return id + strings.Repeat(","+v, len(questTargets())) + "\n" }

func questTargets() []string {
	return strings.Fields(`question_asker_intent_understanding question_body_critical question_conversational
	question_expect_short_answer question_fact_seeking question_has_commonly_accepted_answer
	question_interestingness_others question_interestingness_self question_multi_intent
	question_not_really_a_question question_opinion_seeking question_type_choice
	question_type_compare question_type_consequence question_type_definition
	question_type_entity question_type_instructions question_type_procedure
	question_type_reason_explanation question_type_spelling question_well_written
	answer_helpful answer_level_of_information answer_plausible answer_relevance
	answer_satisfaction answer_type_instructions answer_type_procedure
	answer_type_reason_explanation answer_well_written`)
}

// TestReferenceBooleanSpellings: prepare_for_accuracy_metric compares
// numpy arrays with ==, where True == 1 == 1.0 and a string never equals a
// bool; sklearn's binary check sorts the union of labels, so a string
// against booleans (both binary) raises.
func TestReferenceBooleanSpellings(t *testing.T) {
	const ans = "PassengerId,Transported\n1,True\n2,False\n3,True\n"
	cases := []referenceCase{
		{"True/False", "spaceship-titanic", ans, "PassengerId,Transported\n1,True\n2,False\n3,True\n", true, 1},
		{"lower case", "spaceship-titanic", ans, "PassengerId,Transported\n1,true\n2,false\n3,false\n", true, 0.66667},
		{"0/1", "spaceship-titanic", ans, "PassengerId,Transported\n1,1\n2,0\n3,1\n", true, 1},
		{"1.0/0.0", "spaceship-titanic", ans, "PassengerId,Transported\n1,1.0\n2,0.0\n3,0.0\n", true, 0.66667},
		{"yes/no: binary strings against booleans", "spaceship-titanic", ans, "PassengerId,Transported\n1,yes\n2,no\n3,yes\n", false, 0},
		// " True" is not a bool to pandas: the column is text, three
		// distinct strings (multiclass), and no string equals a bool.
		{"space before True", "spaceship-titanic", ans, "PassengerId,Transported\n 1, True\n2,False\n3,True\n", true, 0},
	}
	checkReferenceCases(t, cases)
	// The other way round: booleans where numbers are expected are 1/0
	// (pd.to_numeric and roc_auc_score take a bool column).
	checkReferenceCases(t, []referenceCase{
		{"pizza AUC of True/False scores", "random-acts-of-pizza",
			"request_id,requester_received_pizza\na,True\nb,False\nc,True\nd,False\n",
			"request_id,requester_received_pizza\na,True\nb,False\nc,False\nd,False\n", true, 0.75},
	})
}

// TestReferenceLabelTypes: accuracy_score lets a text label meet integer
// classes (nothing matches) when either side has more than two classes;
// the metrics built on unique_labels (F1, kappa, MCC) refuse the mix.
func TestReferenceLabelTypes(t *testing.T) {
	checkReferenceCases(t, []referenceCase{
		{"cassava text label scores 0", "cassava-leaf-disease-classification",
			"image_id,label\na,0\nb,3\nc,4\n", "image_id,label\na,x\nb,y\nc,z\n", true, 0},
		// pandas reads a column with one text cell as text: "0" is not 0.
		{"cassava one text label among integers", "cassava-leaf-disease-classification",
			"image_id,label\na,0\nb,3\nc,4\n", "image_id,label\na,0\nb,3\nc,four\n", true, 0},
		{"cassava 1.0 equals 1", "cassava-leaf-disease-classification",
			"image_id,label\na,0\nb,3\nc,4\n", "image_id,label\na,0.0\nb,3.0\nc,4\n", true, 1},
		{"tabular dec 2021 text labels", "tabular-playground-series-dec-2021",
			"Id,Cover_Type\n1,1\n2,2\n3,3\n", "Id,Cover_Type\n1,a\n2,b\n3,c\n", true, 0},
		// text normalization compares astype(str) of whole columns.
		{"text normalization float column", "text-normalization-challenge-english-language",
			"id,after\n1,one\n2,1\n3,2.5\n", "id,after\n1,1\n2,1\n3,2.5\n", true, 0.33333},
		{"text normalization boolean column", "text-normalization-challenge-russian-language",
			"id,after\n1,True\n2,false\n3,x\n", "id,after\n1,true\n2,false\n3,true\n", true, 0.33333},
		{"aptos kappa refuses a text label", "aptos2019-blindness-detection",
			"id_code,diagnosis\na,0\nb,1\nc,2\n", "id_code,diagnosis\na,0\nb,one\nc,2\n", false, 0},
	})
}

// TestReferenceRLETokens follows rle_decode (mlebench/competitions/
// utils.py) through contrails' grade.py: starts = s[0::2] and lengths =
// s[1::2] are broadcast by NumPy, so one or three values decode and five
// do not.
func TestReferenceRLETokens(t *testing.T) {
	const ans = "record_id,encoded_pixels,height,width\n1,1 4,4,4\n2,-,4,4\n"
	checkReferenceCases(t, []referenceCase{
		{"pairs", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,1 4\n2,-\n", true, 1},
		{"one value sets nothing", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,3\n2,-\n", true, 0},
		{"three values share a length", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,1 2 3\n2,-\n", true, 1},
		{"five values", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,1 1 2 1 3\n2,-\n", false, 0},
		{"zero length", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,1 0\n2,-\n", false, 0},
		{"unsorted", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,3 1 1 1\n2,-\n", false, 0},
		{"overlap", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,1 3 2 1\n2,-\n", false, 0},
		{"not an integer", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,1.0 4\n2,-\n", false, 0},
		{"negative start", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,-1 4\n2,-\n", false, 0},
		// NumPy slicing: a run past the image is cut, a start past it sets nothing.
		{"out of range", "google-research-identify-contrails-reduce-global-warming", ans, "record_id,encoded_pixels\n1,1 4 15 9 100 2\n2,-\n", true, 0.8},
		{"tgs five values", "tgs-salt-identification-challenge", "id,rle_mask\na,1 4\n", "id,rle_mask\na,1 1 2 1 3\n", false, 0},
	})
}

// TestReportJSONNonFinite: reports and aggregates with NaN and infinite
// scores round-trip through MarshalIndent and DecodeJSON, strings that
// spell the tokens stay strings, and finite reports indent exactly as
// encoding/json does.
func TestReportJSONNonFinite(t *testing.T) {
	for _, score := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0.5} {
		s := score
		rep := grader.Report{CompetitionID: "NaN", Score: &s, GoldThreshold: 1, SilverThreshold: math.NaN(),
			BronzeThreshold: 0.5, MedianThreshold: 0.25, ValidSubmission: true, SubmissionExists: true,
			SubmissionPath: `Infinity "NaN" \ {[,:]}`, Reason: "-Infinity"}
		agg := grader.AggregateReports([]grader.Report{rep, {CompetitionID: "b"}})
		b, err := grader.MarshalIndent(agg)
		if err != nil {
			t.Fatal(err)
		}
		var back grader.Aggregate
		if err := grader.DecodeJSON(b, &back); err != nil {
			t.Fatalf("%v:\n%s", err, b)
		}
		got := back.CompetitionReports[0]
		if got.Score == nil || !(near(*got.Score, score) || *got.Score == score) {
			t.Errorf("score %v read back as %v", score, got.Score)
		}
		if got.CompetitionID != "NaN" || got.SubmissionPath != rep.SubmissionPath || got.Reason != "-Infinity" ||
			!math.IsNaN(got.SilverThreshold) || got.GoldThreshold != 1 || back.CompetitionReports[1].Score != nil {
			t.Errorf("round trip: %+v", got)
		}
		if score == 0.5 {
			compact, _ := rep.MarshalJSON()
			var want bytes.Buffer
			if err := json.Indent(&want, compact, "", "  "); err != nil {
				t.Fatal(err)
			}
			mine, _ := grader.MarshalIndent(rep)
			if !bytes.Equal(mine, want.Bytes()) {
				t.Errorf("indent differs from encoding/json:\n%s\n%s", mine, want.Bytes())
			}
		}
	}
}

// TestReferenceBooleanPredictions: pandas reads a whole column of
// True/False as bool, and NumPy and scikit-learn take it as 1/0 in every
// family of grader: binary log loss, one-hot (multi-column) log loss and
// multi-column ROC AUC. A True among numbers makes the column text, which
// the range checks of grade.py refuse. Scores from sklearn 1.2.1.
func TestReferenceBooleanPredictions(t *testing.T) {
	const spooky = "id,EAP,HPL,MWS\na,1,0,0\nb,0,1,0\nc,0,0,1\n"
	jigsaw := func(a, b, c string) string {
		return "id,toxic,severe_toxic,obscene,threat,insult,identity_hate\na," + a + "\nb," + b + "\nc," + c + "\nd," + b + "\n"
	}
	jigsawAnswers := jigsaw("1,0,1,0,0,1", "0,1,0,1,1,0", "1,1,0,0,1,0")
	const plant = "image_id,healthy,multiple_diseases,rust,scab\n"
	checkReferenceCases(t, []referenceCase{
		{"statoil True/False probabilities", "statoil-iceberg-classifier-challenge",
			"id,is_iceberg\na,1\nb,0\nc,1\n", "id,is_iceberg\na,True\nb,False\nc,False\n", true, 12.01455},
		{"statoil a true among numbers", "statoil-iceberg-classifier-challenge",
			"id,is_iceberg\na,1\nb,0\nc,1\n", "id,is_iceberg\na,true\nb,0.2\nc,0.7\n", false, 0},
		{"spooky one-hot True/False", "spooky-author-identification",
			spooky, "id,EAP,HPL,MWS\na,True,False,False\nb,false,TRUE,false\nc,True,False,False\n", true, 12.01455},
		{"spooky True among probabilities", "spooky-author-identification",
			spooky, "id,EAP,HPL,MWS\na,True,False,False\nb,0.1,0.9,0\nc,1,0,0\n", false, 0},
		{"spooky boolean answers", "spooky-author-identification",
			"id,EAP,HPL,MWS\na,True,False,False\nb,False,True,False\nc,False,False,True\n",
			"id,EAP,HPL,MWS\na,0.8,0.1,0.1\nb,0.1,0.8,0.1\nc,0.2,0.2,0.6\n", true, 0.31904},
		{"jigsaw boolean and float columns", "jigsaw-toxic-comment-classification-challenge", jigsawAnswers,
			jigsaw("True,0.1,True,False,False,True", "False,0.9,True,True,True,False", "True,0.4,False,False,True,False"), true, 0.94444},
		{"plant pathology True/False", "plant-pathology-2020-fgvc7",
			plant + "a,1,0,0,0\nb,0,1,0,0\nc,0,0,1,0\nd,0,0,0,1\ne,1,0,0,0\n",
			plant + "a,True,False,False,False\nb,False,True,False,False\nc,False,False,True,False\nd,False,False,False,True\ne,False,False,False,True\n", true, 0.90625},
		{"pizza 0/1 and 0.0 scores against boolean answers", "random-acts-of-pizza",
			"request_id,requester_received_pizza\na,True\nb,False\nc,True\nd,False\n",
			"request_id,requester_received_pizza\na,1\nb,0.0\nc,0.3\nd,0.5\n", true, 0.75},
	})
}
