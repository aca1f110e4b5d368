package grader_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// header joins column names into a CSV header line.
func header(cols ...string) string { return strings.Join(cols, ",") + "\n" }

// wideRows builds an id + classes table where row i has value vals[i][k]
// in class column k (missing entries are 0).
func wideRows(idCol string, classes []string, ids []string, vals map[int]map[int]string) string {
	var b strings.Builder
	b.WriteString(header(append([]string{idCol}, classes...)...))
	for i, id := range ids {
		b.WriteString(id)
		for k := range classes {
			v := "0"
			if s, ok := vals[i][k]; ok {
				v = s
			}
			b.WriteString("," + v)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func googleQuestCols() []string {
	return strings.Fields(`question_asker_intent_understanding question_body_critical question_conversational
question_expect_short_answer question_fact_seeking question_has_commonly_accepted_answer
question_interestingness_others question_interestingness_self question_multi_intent
question_not_really_a_question question_opinion_seeking question_type_choice question_type_compare
question_type_consequence question_type_definition question_type_entity question_type_instructions
question_type_procedure question_type_reason_explanation question_type_spelling question_well_written
answer_helpful answer_level_of_information answer_plausible answer_relevance answer_satisfaction
answer_type_instructions answer_type_procedure answer_type_reason_explanation answer_well_written`)
}

func freesoundCols() []string {
	return strings.Fields(`Accelerating_and_revving_and_vroom Accordion Acoustic_guitar Applause Bark Bass_drum
Bass_guitar Bathtub_(filling_or_washing) Bicycle_bell Burping_and_eructation Bus Buzz Car_passing_by Cheering
Chewing_and_mastication Child_speech_and_kid_speaking Chink_and_clink Chirp_and_tweet Church_bell Clapping
Computer_keyboard Crackle Cricket Crowd Cupboard_open_or_close Cutlery_and_silverware Dishes_and_pots_and_pans
Drawer_open_or_close Drip Electric_guitar Fart Female_singing Female_speech_and_woman_speaking Fill_(with_liquid)
Finger_snapping Frying_(food) Gasp Glockenspiel Gong Gurgling Harmonica Hi-hat Hiss Keys_jangling Knock
Male_singing Male_speech_and_man_speaking Marimba_and_xylophone Mechanical_fan Meow Microwave_oven Motorcycle
Printer Purr Race_car_and_auto_racing Raindrop Run Scissors Screaming Shatter Sigh Sink_(filling_or_washing)
Skateboard Slam Sneeze Squeak Stream Strum Tap Tick-tock Toilet_flush Traffic_noise_and_roadway_noise
Trickle_and_dribble Walk_and_footsteps Water_tap_and_faucet Waves_and_surf Whispering Writing Yell Zipper_(clothing)`)
}

var hmsCols = []string{"seizure_vote", "lpd_vote", "gpd_vote", "lrda_vote", "grda_vote", "other_vote"}

// TestKnownValues checks one hand-computed score per metric family (and
// per competition quirk) through the public Grade entry point.
func TestKnownValues(t *testing.T) {
	gq := googleQuestCols()
	gqVals := map[int]map[int]string{}
	for i := range 4 {
		gqVals[i] = map[int]string{}
		for k := range gq {
			gqVals[i][k] = fmt.Sprint(i)
		}
	}
	fs := freesoundCols()
	tests := []struct {
		name, id, answers, sub string
		want                   float64
	}{
		{"roc auc, rows reordered", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\nc,1\nd,0\n", "id,has_cactus\nb,0.2\na,0.9\nc,0.3\nd,0.4\n", 0.75},
		{"roc auc, tied scores count one half", "seti-breakthrough-listen",
			"id,target\n1,1\n2,0\n3,1\n4,0\n", "id,target\n1,0.5\n2,0.5\n3,0.5\n4,0.1\n", 0.75},
		{"roc auc, boolean answers", "random-acts-of-pizza",
			"request_id,requester_received_pizza\nx,True\ny,False\n", "request_id,requester_received_pizza\nx,0.7\ny,0.2\n", 1},
		{"numeric ids match as numbers", "tabular-playground-series-may-2022",
			"id,target\n1,1\n2,0\n", "id,target\n2.0,0.1\n1.0,0.9\n", 1},
		{"column-wise auc", "plant-pathology-2020-fgvc7",
			"image_id,healthy,multiple_diseases,rust,scab\na,1,0,0,1\nb,0,1,1,0\n",
			"image_id,healthy,multiple_diseases,rust,scab\na,0.9,0.1,0.5,0.4\nb,0.1,0.9,0.6,0.5\n", 0.75},
		{"weighted auc (alaska2)", "alaska2-image-steganalysis",
			"Id,Label\na,1\nb,0\nc,1\nd,0\n", "Id,Label\na,0.9\nb,0.8\nc,0.3\nd,0.1\n", 0.82143},
		{"binary log loss", "dogs-vs-cats-redux-kernels-edition",
			"id,label\n1,1\n2,0\n", "id,label\n2,0.4\n1,0.8\n", 0.36698},
		{"binary log loss clips at machine epsilon", "statoil-iceberg-classifier-challenge",
			"id,is_iceberg\na,1\nb,0\n", "id,is_iceberg\na,0\nb,0\n", Round(-math.Log(0x1p-52) / 2)},
		{"multi-class log loss", "spooky-author-identification",
			"id,EAP,HPL,MWS\nx,1,0,0\ny,0,0,1\n", "id,EAP,HPL,MWS\ny,0.5,0.25,0.25\nx,0.5,0.25,0.25\n", 1.03972},
		{"lmsys row sums rounded to 6 decimals", "lmsys-chatbot-arena",
			"id,winner_model_a,winner_model_b,winner_tie\n1,1,0,0\n",
			"id,winner_model_a,winner_model_b,winner_tie\n1,0.4999996,0.25,0.25\n", 0.69315},
		{"accuracy", "cassava-leaf-disease-classification",
			"image_id,label\na,1\nb,2\nc,3\nd,4\n", "image_id,label\nd,4\nc,3\nb,1\na,1\n", 0.75},
		{"accuracy compares integral floats as numbers", "tabular-playground-series-dec-2021",
			"Id,Cover_Type\n1,2\n2,3\n", "Id,Cover_Type\n1,2.0\n2,1.0\n", 0.5},
		{"accuracy of booleans", "spaceship-titanic",
			"PassengerId,Transported\na,True\nb,False\n", "PassengerId,Transported\na,true\nb,True\n", 0.5},
		{"text accuracy, missing is 'nan'", "text-normalization-challenge-english-language",
			"id,after\n0_0,one\n0_1,two\n", "id,after\n0_0,one\n0_1,\n", 0.5},
		{"top-1 error uses the first token", "inaturalist-2019-fgvc6",
			"id,predicted\n1,5\n2,7\n", "id,predicted\n1,5 7 9\n2,9 7\n", 0.5},
		{"macro f1", "herbarium-2021-fgvc8",
			"Id,Predicted\n1,0\n2,0\n3,1\n4,1\n", "Id,Predicted\n1,0\n2,1\n3,1\n4,1\n", 0.73333},
		{"macro f1 counts labels only predicted", "iwildcam-2019-fgvc6",
			"Id,Category\n1,0\n2,0\n", "Id,Category\n1,0\n2,5\n", Round((2.0/3 + 0) / 2)},
		{"quadratic weighted kappa", "aptos2019-blindness-detection",
			"id_code,diagnosis\na,0\nb,1\nc,2\n", "id_code,diagnosis\na,0\nb,2\nc,2\n", 0.8},
		{"matthews correlation", "nfl-player-contact-detection",
			"contact_id,contact\na,1\nb,1\nc,0\nd,0\n", "contact_id,contact\na,1\nb,0\nc,0\nd,0\n", 0.57735},
		{"matthews correlation undefined is 0", "nfl-player-contact-detection",
			"contact_id,contact\na,1\nb,0\n", "contact_id,contact\na,0\nb,0\n", 0},
		{"rmse", "petfinder-pawpularity-score",
			"Id,Pawpularity\na,10\nb,20\n", "Id,Pawpularity\na,13\nb,16\n", 3.53553},
		{"rmse sorted by key, positional", "new-york-city-taxi-fare-prediction",
			"key,fare_amount\nk2,20\nk1,10\n", "key,fare_amount\nk1,13\nk2,16\n", 3.53553},
		{"mae rounded to an integer, halves to even", "predict-volcanic-eruptions-ingv-oe",
			"segment_id,time_to_eruption\n1,100\n2,200\n", "segment_id,time_to_eruption\n2,205\n1,100\n", 2},
		{"mae over inspiratory rows", "ventilator-pressure-prediction",
			"id,pressure,u_out\n1,10,0\n2,20,1\n3,30,0\n", "id,pressure\n1,11\n2,99\n3,33\n", 2},
		{"mean column-wise rmsle, positional", "nomad2018-predict-transparent-conductors",
			"id,formation_energy_ev_natom,bandgap_energy_ev\n1,0,1\n2,0,2\n",
			fmt.Sprintf("id,formation_energy_ev_natom,bandgap_energy_ev\n9,%v,1\n8,0,2\n", math.E-1), 0.35355},
		{"log mae per type", "champs-scalar-coupling",
			"id,type,scalar_coupling_constant\n1,A,10\n2,A,10\n3,B,5\n", "id,scalar_coupling_constant\n1,11\n2,13\n3,6\n", 0.34657},
		{"mcrmse over kept rows", "stanford-covid-vaccine",
			"id_seqpos,reactivity,deg_Mg_pH10,deg_Mg_50C,keep\na_0,1,1,1,True\na_1,5,5,5,False\n",
			"id_seqpos,reactivity,deg_pH10,deg_Mg_pH10,deg_50C,deg_Mg_50C\na_0,2,0,3,0,1\na_1,0,0,0,0,0\n", 1},
		{"pearson", "us-patent-phrase-to-phrase-matching",
			"id,score\na,1\nb,2\nc,3\n", "id,score\na,1\nb,2\nc,4\n", 0.98198},
		{"pearson of constant predictions is NaN", "us-patent-phrase-to-phrase-matching",
			"id,score\na,1\nb,2\nc,3\n", "id,score\na,1\nb,1\nc,1\n", math.NaN()},
		{"spearman of identical ranks", "google-quest-challenge",
			wideRows("qa_id", gq, []string{"1", "2", "3", "4"}, gqVals), wideRows("qa_id", gq, []string{"4", "3", "2", "1"}, map[int]map[int]string{0: all(len(gq), "9"), 1: all(len(gq), "7"), 2: all(len(gq), "1"), 3: all(len(gq), "0")}), 1},
		{"kendall tau", "AI4Code",
			"id,cell_order\nnb,a b c d\n", "id,cell_order\nnb,a c b d\n", 0.66667},
		{"map@5", "whale-categorization-playground",
			"Image,Id\n1.jpg,w1\n2.jpg,new_whale\n", "Image,Id\n1.jpg,w2 w1 w3\n2.jpg,new_whale w9\n", 0.75},
		{"map@12 ignores extra customers", "h-and-m-personalized-fashion-recommendations",
			"customer_id,prediction\nc1,0101 0102\n", "customer_id,prediction\nc0,0101\nc1,0102 0999 0101\n", Round((1 + 2.0/3) / 2)},
		{"levenshtein", "billion-word-imputation",
			"id,sentence\n1,the cat sat\n2,a dog\n", "id,sentence\n1,the cat\n2,a dog\n", 2},
		{"levenshtein of unicode text", "bms-molecular-translation",
			"image_id,InChI\n1,InChI=1S/é\n", "image_id,InChI\n1,InChI=1S/e\n", 1},
		{"normalised gesture edit distance", "multi-modal-gesture-recognition",
			"Id,Sequence\n1,1 2 3\n", "Id,Sequence\n1,1 3\n", 0.33333},
		{"word jaccard", "tweet-sentiment-extraction",
			"textID,selected_text\na,hello there world\n", "textID,selected_text\na,Hello world\n", 0.66667},
		{"samples jaccard, empty vs empty is 0", "chaii-hindi-and-tamil-question-answering",
			"id,PredictionString\na,x y\nb,\n", "id,PredictionString\na,X\nb,\n", 0.25},
		{"multi-label micro f1 ignores unknown labels", "imet-2020-fgvc7",
			"id,attribute_ids\na,1 2\nb,3\n", "id,attribute_ids\na,1 3 99\nb,\n", 0.4},
		{"lwlrap", "freesound-audio-tagging-2019",
			wideRows("fname", fs, []string{"a.wav", "b.wav"}, map[int]map[int]string{0: {0: "1"}, 1: {0: "1", 1: "1"}}),
			wideRows("fname", fs, []string{"a.wav", "b.wav"}, map[int]map[int]string{0: {0: "0.9"}, 1: {1: "0.9", 2: "0.8", 0: "0.7"}}), 0.88889},
		{"probabilistic f1", "rsna-breast-cancer-detection",
			"prediction_id,cancer\na,1\nb,0\nc,1\n", "prediction_id,cancer\na,0.8\nb,0.4\nc,0.6\n", 0.73684},
		{"weighted multi-label log loss", "rsna-2022-cervical-spine-fracture-detection",
			"row_id,fractured\n" + rsnaRows("s1", "0"), "row_id,fractured\n" + rsnaRows("s1", "0.5"), 0.69315},
		{"kl divergence of vote shares", "hms-harmful-brain-activity-classification",
			header(append([]string{"eeg_id"}, hmsCols...)...) + "7,3,0,0,0,0,0\n",
			header(append([]string{"eeg_id"}, hmsCols...)...) + "7,0.5,0.1,0.1,0.1,0.1,0.1\n", 0.69315},
		{"mean angular error", "icecube-neutrinos-in-deep-ice",
			"event_id,azimuth,zenith\n1,1,1\n", "event_id,azimuth,zenith\n1,1,1.5\n", 0.5},
		{"haversine p50/p95 per trip", "smartphone-decimeter-2022",
			"tripId,UnixTimeMillis,LatitudeDegrees,LongitudeDegrees\nt,1,0,0\nt,2,0,0\n",
			"tripId,UnixTimeMillis,LatitudeDegrees,LongitudeDegrees\nt,1,0,0\nt,2,0,0\n", 0},
		{"laplace log likelihood", "osic-pulmonary-fibrosis-progression",
			"Patient_Week,Patient,FVC\np_1,p,2000\np_2,p,2100\n", "Patient_Week,FVC,Confidence\np_1,1900,100\np_2,2100,\n",
			Round((-math.Sqrt2*100/100 - math.Log(math.Sqrt2*100) + -math.Log(math.Sqrt2*70)) / 2)},
		{"jigsaw bias metric, perfect predictions", "jigsaw-unintended-bias-in-toxicity-classification",
			jigsawAnswers(), jigsawPerfect(), 1},
		{"jigsaw toxic skips -1 rows", "jigsaw-toxic-comment-classification-challenge",
			"id,toxic,severe_toxic,obscene,threat,insult,identity_hate\na,1,1,1,1,1,1\nb,0,0,0,0,0,0\nc,-1,-1,-1,-1,-1,-1\n",
			"id,toxic,severe_toxic,obscene,threat,insult,identity_hate\nc,1,1,1,1,1,1\nb,0.1,0.1,0.1,0.1,0.1,0.1\na,0.9,0.9,0.9,0.9,0.9,0.05\n", Round(5.0 / 6)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := grade(t, tc.id, tc.answers, tc.sub)
			if !rep.ValidSubmission || rep.Score == nil {
				t.Fatalf("submission invalid: %s", rep.Reason)
			}
			if !near(*rep.Score, tc.want) {
				t.Errorf("score = %v, want %v", *rep.Score, tc.want)
			}
		})
	}
}

// Round is the grader's 5-decimal rounding, for expected values.
func Round(x float64) float64 { return math.Round(x*1e5) / 1e5 }

func all(n int, v string) map[int]string {
	m := map[int]string{}
	for k := range n {
		m[k] = v
	}
	return m
}

func rsnaRows(study, v string) string {
	var b strings.Builder
	for _, c := range []string{"patient_overall", "C1", "C2", "C3", "C4", "C5", "C6", "C7"} {
		fmt.Fprintf(&b, "%s_%s,%s\n", study, c, v)
	}
	return b.String()
}

var jigsawIdentities = []string{"male", "female", "homosexual_gay_or_lesbian", "christian", "jewish", "muslim", "black", "white", "psychiatric_or_mental_illness"}

// jigsawAnswers has, for every identity, toxic and non-toxic comments with
// and without the identity, so that every subset has both classes.
func jigsawAnswers() string {
	var b strings.Builder
	b.WriteString(header(append([]string{"id", "toxicity"}, jigsawIdentities...)...))
	id := 0
	for k := range jigsawIdentities {
		for _, tox := range []string{"0.9", "0.1"} {
			for _, in := range []bool{true, false} {
				b.WriteString(fmt.Sprintf("%d,%s", id, tox))
				for j := range jigsawIdentities {
					v := "0"
					if in && j == k {
						v = "1"
					}
					b.WriteString("," + v)
				}
				b.WriteString("\n")
				id++
			}
		}
	}
	return b.String()
}

func jigsawPerfect() string {
	var b strings.Builder
	b.WriteString("id,prediction\n")
	id := 0
	for range jigsawIdentities {
		for _, p := range []string{"0.7", "0.2"} {
			for range 2 {
				fmt.Fprintf(&b, "%d,%s\n", id, p)
				id++
			}
		}
	}
	return b.String()
}

// TestInvalidSubmissions checks that bad submissions are invalid with a
// precise reason, never an error.
func TestInvalidSubmissions(t *testing.T) {
	tests := []struct {
		name, id, answers, sub, reason string
	}{
		{"missing column", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\n", "id,target\na,1\nb,0\n", "column 'has_cactus' not found; columns are: id, target"},
		{"row count", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\n", "id,has_cactus\na,1\n", "submission has 1 rows, expected 2"},
		{"missing ids", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\n", "id,has_cactus\na,1\nz,0\n", "missing 1 ids (first: 'b')"},
		{"probability out of range", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\n", "id,has_cactus\na,1\nb,1.3\n", "row 2, column 'has_cactus': probability 1.3 outside [0, 1]"},
		{"not a number", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\n", "id,has_cactus\na,high\nb,0\n", "row 1, column 'has_cactus': 'high' is not a number"},
		{"missing probability", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\n", "id,has_cactus\na,\nb,0\n", "row 1, column 'has_cactus': probability NaN outside [0, 1]"},
		{"one class in the answers", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,1\n", "id,has_cactus\na,1\nb,0\n", "only one class"},
		{"row does not sum to 1", "spooky-author-identification",
			"id,EAP,HPL,MWS\nx,1,0,0\ny,0,0,1\n", "id,EAP,HPL,MWS\nx,0.5,0.25,0.25\ny,0.5,0.25,0.18\n", "row 2: probabilities sum to 0.93, not 1"},
		{"lmsys sum off in the 6th decimal", "lmsys-chatbot-arena",
			"id,winner_model_a,winner_model_b,winner_tie\n1,1,0,0\n",
			"id,winner_model_a,winner_model_b,winner_tie\n1,0.499999,0.25,0.25\n", "sum to"},
		{"spooky wrong shape", "spooky-author-identification",
			"id,EAP,HPL,MWS\nx,1,0,0\n", "id,EAP,HPL,MWS,extra\nx,1,0,0,0\n", "shape is (1, 5), expected (1, 4)"},
		{"leaf extra column", "leaf-classification",
			"id,Acer,Quercus\n1,1,0\n", "id,Acer,Quercus,Ulmus\n1,1,0,0\n", "unexpected 'Ulmus'"},
		{"accuracy: string vs number labels", "cassava-leaf-disease-classification",
			"image_id,label\na,1\nb,2\n", "image_id,label\na,one\nb,2\n", "mix of label input types"},
		{"accuracy: continuous predictions", "cassava-leaf-disease-classification",
			"image_id,label\na,1\nb,2\n", "image_id,label\na,1.5\nb,2\n", "row 1, column 'label': label 1.5 is not a class"},
		{"macro f1: not an integer", "herbarium-2022-fgvc9",
			"Id,Predicted\n1,0\n2,1\n", "Id,Predicted\n1,0\n2,x\n", "row 2, column 'Predicted': 'x' is not an integer"},
		{"inaturalist: float column", "inaturalist-2019-fgvc6",
			"id,predicted\n1,5\n2,7\n", "id,predicted\n1,5.0\n2,7\n", "non-integer numbers"},
		{"pawpularity out of range", "petfinder-pawpularity-score",
			"Id,Pawpularity\na,10\nb,20\n", "Id,Pawpularity\na,0\nb,20\n", "row 1, column 'Pawpularity': value 0 outside [1, 100]"},
		{"rmsle of a negative prediction", "nomad2018-predict-transparent-conductors",
			"id,formation_energy_ev_natom,bandgap_energy_ev\n1,0,1\n", "id,formation_energy_ev_natom,bandgap_energy_ev\n1,-0.1,1\n", "negative"},
		{"volcano id set", "predict-volcanic-eruptions-ingv-oe",
			"segment_id,time_to_eruption\n1,100\n2,200\n", "segment_id,time_to_eruption\n1,100\n3,200\n", "missing 1 ids (first: '2')"},
		{"ai4code unknown cell", "AI4Code",
			"id,cell_order\nnb,a b c\n", "id,cell_order\nnb,a b x\n", "cell 'c' of the notebook is missing"},
		{"tweet both empty divides by zero", "tweet-sentiment-extraction",
			"textID,selected_text\na,\n", "textID,selected_text\na,\n", "both empty"},
		{"freesound column order", "freesound-audio-tagging-2019",
			"fname,Accordion\na,1\n", "fname,Accordion\na,1\n", "expected the 80 classes"},
		{"icecube infinite", "icecube-neutrinos-in-deep-ice",
			"event_id,azimuth,zenith\n1,1,1\n", "event_id,azimuth,zenith\n1,inf,1\n", "not a finite number"},
		{"jigsaw bias: a subset with one class", "jigsaw-unintended-bias-in-toxicity-classification",
			"id,toxicity," + strings.Join(jigsawIdentities, ",") + "\n1,0.9,1,1,1,1,1,1,1,1,1\n2,0.1,0,0,0,0,0,0,0,0,0\n",
			"id,prediction\n1,0.9\n2,0.1\n", "only one class"},
		{"hms rows must sum to 1", "hms-harmful-brain-activity-classification",
			header(append([]string{"eeg_id"}, hmsCols...)...) + "7,3,0,0,0,0,0\n",
			header(append([]string{"eeg_id"}, hmsCols...)...) + "7,0.5,0.1,0.1,0.1,0.1,0.2\n", "row 1: probabilities sum to 1.1, not 1"},
		{"unterminated quote", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\n", "id,has_cactus\na,1\n\"b,0\n", "unterminated quoted field starting on line 3"},
		{"too many fields", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\n", "id,has_cactus\na,1,7\nb,0\n", "row 1: has 3 fields, the header has 2 (line 2)"},
		{"empty file", "aerial-cactus-identification",
			"id,has_cactus\na,1\nb,0\n", "", "columns are: (none: the file is empty)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := grade(t, tc.id, tc.answers, tc.sub)
			if rep.ValidSubmission || rep.Score != nil {
				t.Fatalf("submission valid with score %v, want invalid", *rep.Score)
			}
			if !rep.SubmissionExists {
				t.Errorf("submission_exists = false")
			}
			if !strings.Contains(rep.Reason, tc.reason) {
				t.Errorf("reason = %q, want it to contain %q", rep.Reason, tc.reason)
			}
			if rep.AnyMedal || rep.GoldMedal || rep.AboveMedian {
				t.Errorf("invalid submission earned a medal flag: %+v", rep)
			}
		})
	}
}
