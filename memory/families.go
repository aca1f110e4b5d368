package memory

import "strings"

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

// ModelFamilies names the model families a Python program uses, by
// recognising library imports and estimator class names, in a fixed order.
func ModelFamilies(code string) []string {
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
