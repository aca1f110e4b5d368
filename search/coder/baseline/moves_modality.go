package baseline

// Moves that change how images and text become features. They join the
// moves table at start-up; candidates interleaves them with the family's
// own moves for image and text tasks.
func init() {
	for _, m := range []move{
		{"larger_images", "use more pixels per image (a larger downscaled image)",
			func(s Spec, p Profile) bool { return hasImages(s, p) && s.Prep.Image.Size < 32 },
			func(s *Spec, _ Profile) { s.Prep.Image.Size = min(32, s.Prep.Image.Size+8) }},
		{"gradient_histograms", "add histograms of gradient orientations (shape, HOG-like)",
			func(s Spec, p Profile) bool { return hasImages(s, p) && !s.Prep.Image.HOG },
			func(s *Spec, _ Profile) { s.Prep.Image.HOG = true }},
		{"colour_histograms", "add per-channel colour histograms",
			func(s Spec, p Profile) bool { return hasImages(s, p) && !s.Prep.Image.Hist },
			func(s *Spec, _ Profile) { s.Prep.Image.Hist = true }},
		{"char_ngrams", "add TF-IDF character 2-5-grams (spelling, punctuation, style)",
			func(s Spec, p Profile) bool { return hasWords(s, p) && !s.Prep.TFIDF.Char },
			func(s *Spec, _ Profile) { s.Prep.TFIDF.Char = true }},
		{"word_trigrams", "extend word n-grams to trigrams",
			func(s Spec, p Profile) bool { return hasWords(s, p) && s.Prep.TFIDF.Word < 3 },
			func(s *Spec, _ Profile) { s.Prep.TFIDF.Word = 3 }},
		{"more_terms", "keep twice as many TF-IDF terms",
			func(s Spec, p Profile) bool { return hasWords(s, p) && s.Prep.TFIDF.MaxFeatures < 200000 },
			func(s *Spec, _ Profile) { s.Prep.TFIDF.MaxFeatures = min(200000, 2*max(1, s.Prep.TFIDF.MaxFeatures)) }},
		{"more_svd_components", "keep twice as many SVD components of the text",
			func(s Spec, p Profile) bool {
				return p.Modality == ModalityText && s.Prep.TFIDF.SVD > 0 && s.Prep.TFIDF.SVD < 400
			},
			func(s *Spec, _ Profile) { s.Prep.TFIDF.SVD = min(400, 2*s.Prep.TFIDF.SVD) }},
		{"smoother_nb", "raise naive Bayes smoothing",
			func(s Spec, _ Profile) bool { return s.Family == FamilyNB && num(s, "alpha", 1) < 3 },
			func(s *Spec, _ Profile) { setParam(s, "alpha", round3(min(3, 3*num(*s, "alpha", 1)))) }},
	} {
		moves[m.name] = m
	}
	improveOrder[FamilyNB] = []string{"char_ngrams", "smoother_nb", "word_trigrams", "more_terms"}
	draftVariants = append(draftVariants, moves["char_ngrams"], moves["larger_images"])
}

// hasImages says s turns the images of an image task into features.
func hasImages(s Spec, p Profile) bool {
	return p.Modality == ModalityImage && s.Prep.Image.Size > 0
}

// hasWords says s turns the text of a text task into word TF-IDF features.
func hasWords(s Spec, p Profile) bool {
	return p.Modality == ModalityText && s.Prep.TFIDF.Word > 0
}

// modalityMoves are tried early on image and text tasks.
var modalityMoves = map[Modality][]string{
	ModalityImage: {"larger_images", "gradient_histograms", "colour_histograms"},
	ModalityText:  {"char_ngrams", "word_trigrams", "more_svd_components", "more_terms"},
}

// interleave merges the modality's moves into a family's order: one of
// each in turn, so both kinds of change are tried early.
func interleave(mod, fam []string) []string {
	var out []string
	for i := 0; i < max(len(mod), len(fam)); i++ {
		if i < len(mod) {
			out = append(out, mod[i])
		}
		if i < len(fam) {
			out = append(out, fam[i])
		}
	}
	return out
}
