package memory

import (
	"encoding/json"
	"strings"
)

// familyPatterns maps a model family to substrings of Python code that
// reveal it. Order is the order families are reported in.
var familyPatterns = []struct {
	family   string
	patterns []string
}{
	{"lightgbm", []string{"lightgbm", "lgb.", "LGBM"}},
	{"xgboost", []string{"xgboost", "xgb.", "XGB"}},
	{"catboost", []string{"catboost", "CatBoost"}},
	{"random_forest", []string{"RandomForest"}},
	{"extra_trees", []string{"ExtraTrees"}},
	{"sklearn_gbm", []string{"GradientBoostingClassifier", "GradientBoostingRegressor", "HistGradientBoosting"}},
	{"linear", []string{"LogisticRegression", "LinearRegression", "Ridge(", "RidgeClassifier", "Lasso(", "ElasticNet", "SGDClassifier", "SGDRegressor"}},
	{"svm", []string{"SVC(", "SVR(", "LinearSVC", "LinearSVR"}},
	{"knn", []string{"KNeighbors"}},
	{"naive_bayes", []string{"MultinomialNB", "GaussianNB", "BernoulliNB", "ComplementNB"}},
	{"mlp", []string{"MLPClassifier", "MLPRegressor"}},
	{"pytorch", []string{"import torch", "from torch"}},
	{"tensorflow", []string{"tensorflow", "keras"}},
	{"transformers", []string{"transformers"}},
	{"timm", []string{"import timm", "from timm"}},
}

// recipePrefix starts the comment line in which a coder embeds the
// machine-readable design of its program (the offline baseline's spec).
const recipePrefix = "# mlbench-spec: "

// Recipe returns the machine-readable design a program carries in its last
// "# mlbench-spec: " comment line (JSON), or "" when it has none.
func Recipe(code string) string {
	for rest := code; ; {
		i := strings.LastIndex(rest, recipePrefix)
		if i < 0 {
			return ""
		}
		if i == 0 || rest[i-1] == '\n' {
			line := rest[i+len(recipePrefix):]
			if j := strings.IndexByte(line, '\n'); j >= 0 {
				line = line[:j]
			}
			return strings.TrimSpace(line)
		}
		rest = rest[:i]
	}
}

// recipeFamilies maps the family names of recipes to the names
// [ModelFamilies] reports.
var recipeFamilies = map[string]string{
	"linear": "linear", "rf": "random_forest", "et": "extra_trees", "hgb": "sklearn_gbm",
	"knn": "knn", "xgb": "xgboost", "lgbm": "lightgbm", "catboost": "catboost", "mlp": "mlp",
}

// familiesOfRecipe names the families a recipe uses (an ensemble's
// members'), or nil when it does not parse.
func familiesOfRecipe(recipe string) []string {
	type spec struct {
		Family  string `json:"family"`
		Members []spec `json:"members"`
	}
	var s spec
	if json.Unmarshal([]byte(recipe), &s) != nil || s.Family == "" {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	var walk func(spec)
	walk = func(s spec) {
		if len(s.Members) > 0 {
			for _, m := range s.Members {
				walk(m)
			}
			return
		}
		f := s.Family
		if n, ok := recipeFamilies[f]; ok {
			f = n
		}
		if f != "" && !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	walk(s)
	return out
}

// ModelFamilies names the model families a Python program uses, in a fixed
// order. A program that carries a recipe (see [Recipe]) uses the families
// the recipe names: such programs are generic pipelines that mention every
// estimator they could build. Otherwise families are recognised by library
// imports and estimator class names.
func ModelFamilies(code string) []string {
	if f := familiesOfRecipe(Recipe(code)); f != nil {
		return f
	}
	var out []string
	for _, f := range familyPatterns {
		for _, p := range f.patterns {
			if strings.Contains(code, p) {
				out = append(out, f.family)
				break
			}
		}
	}
	return out
}
