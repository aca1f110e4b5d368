package grader

import "github.com/mlbench/mlbench/grader/structured"

// graders holds every competition's grader by id: adding a competition is
// one line here (plus its grading function in the family file whose metric
// it shares). A repeated id does not compile.
var graders = map[string]CompetitionGrader{
	// ROC AUC (auc.go)
	"aerial-cactus-identification":                        aurocGrader{id: "id", target: "has_cactus"},
	"detecting-insults-in-social-commentary":              aurocGrader{id: "Comment", target: "Insult"},
	"histopathologic-cancer-detection":                    aurocGrader{id: "id", target: "label"},
	"mlsp-2013-birds":                                     aurocGrader{id: "Id", target: "Probability"},
	"random-acts-of-pizza":                                aurocGrader{id: "request_id", target: "requester_received_pizza"},
	"rsna-miccai-brain-tumor-radiogenomic-classification": aurocGrader{id: "BraTS21ID", target: "MGMT_value"},
	"seti-breakthrough-listen":                            aurocGrader{id: "id", target: "target"},
	"siim-isic-melanoma-classification":                   aurocGrader{id: "image_name", target: "target"},
	"tabular-playground-series-may-2022":                  aurocGrader{id: "id", target: "target"},
	"the-icml-2013-whale-challenge-right-whale-redux":     aurocGrader{id: "clip", target: "probability"},
	"invasive-species-monitoring":                         aurocGrader{id: "name", target: "invasive"},
	"ranzcr-clip-catheter-line-classification":            GraderFunc(gradeRanzcr),
	"plant-pathology-2020-fgvc7":                          GraderFunc(gradePlantPathology2020),
	"jigsaw-toxic-comment-classification-challenge":       GraderFunc(gradeJigsawToxic),
	"playground-series-s3e18":                             GraderFunc(gradePlaygroundS3E18),
	"alaska2-image-steganalysis":                          GraderFunc(gradeAlaska2),
	"jigsaw-unintended-bias-in-toxicity-classification":   GraderFunc(gradeJigsawBias),

	// accuracy, F1 and kappa (classification.go)
	"cassava-leaf-disease-classification":           accuracyGrader{id: "image_id", target: "label"},
	"cdiscount-image-classification-challenge":      accuracyGrader{id: "_id", target: "category_id"},
	"iwildcam-2020-fgvc7":                           accuracyGrader{id: "Id", target: "Category"},
	"tabular-playground-series-dec-2021":            accuracyGrader{id: "Id", target: "Cover_Type"},
	"tensorflow-speech-recognition-challenge":       accuracyGrader{id: "fname", target: "label"},
	"ml2021spring-hw2":                              accuracyGrader{id: "Id", target: "ClassId"},
	"movie-review-sentiment-analysis-kernels-only":  accuracyGrader{id: "PhraseId", target: "Sentiment"},
	"spaceship-titanic":                             accuracyGrader{id: "PassengerId", target: "Transported"},
	"text-normalization-challenge-english-language": textAccuracyGrader{id: "id", target: "after"},
	"text-normalization-challenge-russian-language": textAccuracyGrader{id: "id", target: "after"},
	"inaturalist-2019-fgvc6":                        GraderFunc(gradeINaturalist),
	"paddy-disease-classification":                  GraderFunc(gradePaddy),
	"plant-seedlings-classification":                GraderFunc(gradePlantSeedlings),
	"herbarium-2020-fgvc7":                          macroF1Grader{id: "Id", target: "Predicted"},
	"herbarium-2021-fgvc8":                          macroF1Grader{id: "Id", target: "Predicted"},
	"herbarium-2022-fgvc9":                          macroF1Grader{id: "Id", target: "Predicted"},
	"iwildcam-2019-fgvc6":                           macroF1Grader{id: "Id", target: "Category"},
	"aptos2019-blindness-detection":                 GraderFunc(gradeAptos),
	"learning-agency-lab-automated-essay-scoring-2": GraderFunc(gradeEssayScoring),
	"nfl-player-contact-detection":                  GraderFunc(gradeNFLContact),

	// correlations (correlation.go)
	"us-patent-phrase-to-phrase-matching": GraderFunc(gradePatent),
	"google-quest-challenge":              GraderFunc(gradeGoogleQuest),
	"AI4Code":                             GraderFunc(gradeAI4Code),

	// distances (geo.go)
	"icecube-neutrinos-in-deep-ice": GraderFunc(gradeIceCube),
	"smartphone-decimeter-2022":     GraderFunc(gradeSmartphone),

	// log loss and likelihoods (loss.go)
	"dog-breed-identification":                    GraderFunc(gradeDogBreed),
	"leaf-classification":                         GraderFunc(gradeLeaf),
	"spooky-author-identification":                GraderFunc(gradeSpooky),
	"lmsys-chatbot-arena":                         GraderFunc(gradeLMSYS),
	"dogs-vs-cats-redux-kernels-edition":          binaryLogLossGrader{id: "id", target: "label", checkRows: true},
	"statoil-iceberg-classifier-challenge":        binaryLogLossGrader{id: "id", target: "is_iceberg"},
	"rsna-2022-cervical-spine-fracture-detection": GraderFunc(gradeRSNA2022),
	"rsna-breast-cancer-detection":                GraderFunc(gradeRSNABreast),
	"hms-harmful-brain-activity-classification":   GraderFunc(gradeHMS),

	// ranking and multi-label (ranking.go)
	"h-and-m-personalized-fashion-recommendations": GraderFunc(gradeHM),
	"hotel-id-2021-fgvc8":                          GraderFunc(gradeHotelID),
	"whale-categorization-playground":              GraderFunc(gradeWhale),
	"freesound-audio-tagging-2019":                 GraderFunc(gradeFreesound),
	"facebook-recruiting-iii-keyword-extraction":   multiLabelF1{id: "Id", target: "Tags"},
	"imet-2020-fgvc7":                              multiLabelF1{id: "id", target: "attribute_ids"},
	"plant-pathology-2021-fgvc8":                   multiLabelF1{id: "image", target: "labels"},

	// regression errors (regression.go)
	"denoising-dirty-documents":                GraderFunc(gradeDenoising),
	"new-york-city-taxi-fare-prediction":       GraderFunc(gradeTaxiFare),
	"petfinder-pawpularity-score":              GraderFunc(gradePawpularity),
	"stanford-covid-vaccine":                   GraderFunc(gradeCovidVaccine),
	"nomad2018-predict-transparent-conductors": GraderFunc(gradeNomad),
	"ventilator-pressure-prediction":           GraderFunc(gradeVentilator),
	"predict-volcanic-eruptions-ingv-oe":       GraderFunc(gradeVolcano),
	"champs-scalar-coupling":                   GraderFunc(gradeChamps),
	"osic-pulmonary-fibrosis-progression":      GraderFunc(gradeOSIC),

	// text (text.go)
	"billion-word-imputation":                  GraderFunc(gradeBillionWord),
	"bms-molecular-translation":                GraderFunc(gradeBMS),
	"multi-modal-gesture-recognition":          GraderFunc(gradeGestures),
	"chaii-hindi-and-tamil-question-answering": GraderFunc(gradeChaii),
	"tweet-sentiment-extraction":               GraderFunc(gradeTweetSentiment),

	// JSONL answers (tf2qa.go)
	"tensorflow2-question-answering": tf2qaGrader{},
}

// The segmentation, detection and positional graders stream their files
// (grader/structured); each is registered under its competition id.
func init() {
	for id, fn := range structured.Graders {
		if _, dup := graders[id]; dup {
			panic("grader: two graders for " + id)
		}
		graders[id] = streamGrader{id: id, fn: fn}
	}
}
