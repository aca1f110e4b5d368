# ---- pipeline (fixed part of the mlbench baseline; driven by TASK and SPEC) ----
import json
import math
import os
import sys
import time
import warnings

warnings.filterwarnings("ignore")
# One OpenMP/BLAS thread and passive waiting: spinning OpenMP threads crawl on
# shared, oversubscribed machines, and one thread keeps results reproducible.
# Forests and k-NN still use N_JOBS joblib workers.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import pandas as pd

N_JOBS = max(1, min(2, os.cpu_count() or 1))
SEED = int(SPEC.get("seed", 0)) % (2**31 - 1)
VAL_FRACTION = 0.2
T0 = time.time()
IMAGE_COLUMN = "__image_path__"

FAMILIES = {
    "linear": ("sklearn.linear_model", "LogisticRegression", "Ridge"),
    "rf": ("sklearn.ensemble", "RandomForestClassifier", "RandomForestRegressor"),
    "et": ("sklearn.ensemble", "ExtraTreesClassifier", "ExtraTreesRegressor"),
    "hgb": ("sklearn.ensemble", "HistGradientBoostingClassifier", "HistGradientBoostingRegressor"),
    "knn": ("sklearn.neighbors", "KNeighborsClassifier", "KNeighborsRegressor"),
    "xgb": ("xgboost", "XGBClassifier", "XGBRegressor"),
    "nb": ("sklearn.naive_bayes", "ComplementNB", None),
}


def log(*args):
    print(*args, flush=True)


def norm(v):
    """Normalised text of a label, to match labels named in the task."""
    s = str(v).strip()
    try:
        f = float(s)
    except ValueError:
        return s.lower()
    if math.isfinite(f) and f == int(f):
        return str(int(f))
    return repr(f)


def class_index(classes, label):
    key = norm(label)
    for i, c in enumerate(classes):
        if norm(c) == key:
            return i
    return None


def positive_index(t):
    j = class_index(t["classes"], TASK.get("positive") or "")
    return len(t["classes"]) - 1 if j is None else j


def read_csv(name, id_col):
    path = os.path.join(INPUT_DIR, name)
    dtype = {id_col: str} if id_col else None
    return pd.read_csv(path, dtype=dtype, low_memory=False)


def build_targets(train):
    """Rows with a usable target, and one dict per target column."""
    label = TASK.get("label_column")
    cols = [label] if label else list(TASK["targets"])
    reg = TASK["problem"] in ("regression", "multiregression")
    keep = np.ones(len(train), dtype=bool)
    for c in cols:
        if reg:
            keep &= np.isfinite(pd.to_numeric(train[c], errors="coerce").astype(float).values)
        else:
            keep &= train[c].notna().values
    ts = []
    for c in cols:
        s = train.loc[keep, c]
        if reg:
            ts.append({"name": c, "kind": "reg", "y": pd.to_numeric(s, errors="coerce").astype(float).values})
            continue
        vals = s.values
        try:
            classes = np.unique(vals)
        except TypeError:
            vals = s.astype(str).values
            classes = np.unique(vals)
        ts.append({"name": c, "kind": "cls", "classes": classes, "y": np.searchsorted(classes, vals)})
    return keep, ts


def cat_values(s):
    return s.astype(str).where(s.notna(), "__nan__")


def column_kind(s, strict):
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return "num"
    nn = s.dropna()
    if len(nn) == 0:
        return "skip"
    if strict:
        return "cat"
    v = nn.astype(str)
    if pd.to_numeric(v, errors="coerce").notna().mean() >= 0.98:
        return "num"
    head = v.iloc[:500]
    if head.str.match(r"^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}").mean() >= 0.9:
        if pd.to_datetime(head, errors="coerce").notna().mean() >= 0.9:
            return "date"
    if v.str.len().mean() >= 30 and v.nunique() > 0.5 * len(v):
        return "text"
    return "cat"


_KINDS_LOGGED = False


class Prep:
    """Feature preparation fitted on training rows only."""

    def __init__(self, p):
        self.p = p

    def numeric(self, X):
        cols = {}
        for c in self.num:
            s = X[c]
            v = s.astype(float) if pd.api.types.is_bool_dtype(s) else pd.to_numeric(s, errors="coerce").astype(float)
            cols[c] = v.replace([np.inf, -np.inf], np.nan)
        return pd.DataFrame(cols, index=X.index, columns=self.num)

    def fit(self, X, y):
        p = self.p
        drop = set(p.get("drop") or [])
        strict = bool(p.get("strict"))
        kinds = {"num": [], "cat": [], "date": [], "text": [], "skip": []}
        # Task-level text columns go to TF-IDF and the image path column to
        # image features (see the modality part), never to the generic kinds.
        self.tfidf_cols = [c for c in (TASK.get("text_columns") or []) if c in X.columns and c not in drop]
        self.image = IMAGE_COLUMN in X.columns
        special = set(self.tfidf_cols) | {IMAGE_COLUMN}
        for c in X.columns:
            if c not in drop and c not in special and not (p.get("text_only") and self.tfidf_cols):
                kinds[column_kind(X[c], strict)].append(c)
        self.num, self.cat = kinds["num"], kinds["cat"]
        self.date = [] if p.get("dates") == "drop" else kinds["date"]
        self.text = [] if p.get("text") == "drop" else kinds["text"]
        global _KINDS_LOGGED
        if not _KINDS_LOGGED:
            _KINDS_LOGGED = True
            log("columns: " + "; ".join(f"{k} {v}" for k, v in
                                        (("numeric", self.num), ("categorical", self.cat), ("date", self.date),
                                         ("text", self.text), ("empty", kinds["skip"]), ("dropped", sorted(drop)))
                                        if v))
        N = self.numeric(X)
        how = p.get("impute", "median")
        if how == "mean":
            fill = N.mean()
        elif how == "zero":
            fill = pd.Series(0.0, index=N.columns, dtype=float)
        else:
            fill = N.median()
        self.fill = fill.fillna(0.0)
        self.ind = [c for c in self.num if N[c].isna().any()] if p.get("indicators") else []
        rare, max_levels = int(p.get("rare_min", 5)), int(p.get("max_levels", 100))
        self.levels, self.freq = {}, {}
        for c in self.cat:
            s = cat_values(X[c])
            vc = s.value_counts()
            kept = [v for v, n in vc.items() if n >= rare][:max_levels]
            self.levels[c] = {v: i for i, v in enumerate(kept)}
            self.freq[c] = (vc / max(1, len(s))).to_dict()
        self.pairs = []
        k = int(p.get("interactions") or 0)
        if k and len(self.num) >= 2:
            F = N.fillna(self.fill)
            yy = np.asarray(y, dtype=float)
            score = {}
            for c in self.num:
                x = F[c].values
                ok = x.std() > 0 and yy.std() > 0
                score[c] = abs(np.corrcoef(x, yy)[0, 1]) if ok else 0.0
            top = sorted(self.num, key=lambda c: (-np.nan_to_num(score[c]), c))[:k]
            self.pairs = [(a, b) for i, a in enumerate(top) for b in top[i + 1:]]
        self.onehot = p.get("encoding", "ordinal") == "onehot"
        self.textprep = TextPrep(p.get("tfidf") or {}, self.tfidf_cols).fit(X) if self.tfidf_cols else None
        self.scaler = None
        how = p.get("scale", "none")
        M = self.assemble(X) if how not in (None, "", "none") else None
        if M is not None and M.shape[1]:
            from sklearn import preprocessing as pp

            if how == "robust":
                self.scaler = pp.RobustScaler()
            elif how == "quantile":
                self.scaler = pp.QuantileTransformer(
                    n_quantiles=max(2, min(200, len(M))), output_distribution="normal", random_state=SEED)
            else:
                self.scaler = pp.StandardScaler()
            self.scaler.fit(M)
        return self

    def assemble(self, X):
        n = len(X)
        parts = []
        N = self.numeric(X)
        F = N.fillna(self.fill)
        if self.num:
            parts.append(F.values)
        if self.ind:
            parts.append(N[self.ind].isna().values.astype(float))
        for a, b in self.pairs:
            parts.append((F[a].values * F[b].values)[:, None])
        for c in self.cat:
            s = cat_values(X[c])
            lv = self.levels[c]
            codes = s.map(lv).fillna(-1).astype(int).values
            if self.onehot:
                m = np.zeros((n, len(lv) + 1))
                m[np.arange(n), np.where(codes < 0, len(lv), codes)] = 1.0
                parts.append(m)
            else:
                parts.append(codes[:, None].astype(float))
            if self.p.get("freq_encoding"):
                parts.append(s.map(self.freq[c]).fillna(0.0).astype(float).values[:, None])
        for c in self.date:
            d = pd.to_datetime(X[c], errors="coerce")
            f = np.column_stack([d.dt.year, d.dt.month, d.dt.day, d.dt.dayofweek, d.dt.hour]).astype(float)
            parts.append(np.nan_to_num(f, nan=-1.0))
        for c in self.text:
            s = X[c].fillna("").astype(str)
            parts.append(np.column_stack([s.str.len(), s.str.split().str.len()]).astype(float))
        if self.image:
            parts.append(image_matrix(list(X[IMAGE_COLUMN].values), self.p.get("image") or {}).astype(float))
        if not parts:
            return np.zeros((n, 0 if self.tfidf_cols else 1))
        return np.hstack(parts).astype(float)

    def transform(self, X):
        M = self.assemble(X)
        if self.scaler is not None:
            M = self.scaler.transform(M)
        if self.textprep is None:
            return M
        T = self.textprep.transform(X)
        if M.shape[1] == 0:
            return T
        if isinstance(T, np.ndarray):
            return np.hstack([M, T])
        from scipy import sparse

        return sparse.hstack([sparse.csr_matrix(M), T]).tocsr()


def make_model(family, params, cls):
    import importlib

    if family == "xgb":
        try:
            import xgboost  # noqa: F401
        except ImportError:
            log("xgboost is not importable: using HistGradientBoosting instead")
            family = "hgb"
            params = {"max_iter": params.get("n_estimators", 300), "learning_rate": params.get("learning_rate", 0.08),
                      "max_depth": params.get("max_depth"), "early_stopping": False}
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}")
    module, c_name, r_name = FAMILIES[family]
    est = getattr(importlib.import_module(module), c_name if cls else r_name)
    kw = dict(params)
    names = est().get_params()
    for k, v in (("random_state", SEED), ("n_jobs", N_JOBS)):
        if k in names and k not in kw:
            kw[k] = v
    return est(**kw)


def serial_predict(model):
    """Forests add their trees' predictions from parallel threads in any
    order, which changes the last bits; predicting serially keeps runs
    byte-identical (fitting in parallel is deterministic)."""
    if getattr(model, "n_jobs", None) not in (None, 1) and hasattr(model, "estimators_"):
        model.set_params(n_jobs=1)
    return model


_PREPARED = []


def prepared(p, Xtr, ytr, Xte, t):
    """Features of Xtr and Xte, reused across targets and ensemble members
    with the same preparation (TF-IDF and image features are costly)."""
    key = json.dumps(p, sort_keys=True) + ("/" + t["name"] if p.get("interactions") else "")
    for k, a, b, A, B in _PREPARED:
        if k == key and a is Xtr and b is Xte:
            return A, B
    prep = Prep(p).fit(Xtr, ytr)
    A, B = prep.transform(Xtr), prep.transform(Xte)
    _PREPARED.append((key, Xtr, Xte, A, B))  # keeps Xtr/Xte alive, so identity is safe
    del _PREPARED[:-4]
    return A, B


def prior_predict(t, ytr, n):
    """The training prior: class frequencies, or the mean."""
    if t["kind"] == "cls":
        freq = np.bincount(ytr, minlength=len(t["classes"])).astype(float)
        return np.tile(freq / freq.sum(), (n, 1))
    return np.full(n, float(np.mean(ytr)))


def fit_predict(spec, Xtr, t, ytr, Xte):
    """Raw predictions for Xte: class probabilities (n, k) or values (n,)."""
    if spec["family"] == "prior":
        return prior_predict(t, ytr, len(Xte))
    if spec["family"] == "ensemble":
        members = spec["members"]
        w = np.asarray(spec.get("weights") or [1.0] * len(members), dtype=float)
        w = w / w.sum()
        out = 0.0
        for wi, m in zip(w, members):
            out = out + wi * fit_predict(m, Xtr, t, ytr, Xte)
        return out
    p = spec.get("prep") or {}
    max_rows = int(p.get("max_rows") or 0)
    if max_rows and len(Xtr) > max_rows:
        idx = np.sort(np.random.RandomState(SEED).choice(len(Xtr), max_rows, replace=False))
        Xtr, ytr = subsample(Xtr, idx), ytr[idx]
    A, B = prepared(p, Xtr, ytr, Xte, t)
    if t["kind"] == "cls":
        k = len(t["classes"])
        present = np.unique(ytr)
        out = np.zeros((len(Xte), k))
        if len(present) == 1:
            out[:, present[0]] = 1.0
            return out
        model = make_model(spec["family"], spec.get("params") or {}, True)
        serial_predict(model.fit(A, np.searchsorted(present, ytr)))
        out[:, present[np.asarray(model.classes_).astype(int)]] = model.predict_proba(B)
        return out
    model = make_model(spec["family"], spec.get("params") or {}, False)
    log_target = bool(p.get("log_target")) and ytr.min() > -1
    serial_predict(model.fit(A, np.log1p(ytr) if log_target else ytr))
    pred = np.asarray(model.predict(B), dtype=float)
    return np.expm1(np.clip(pred, -50, 50)) if log_target else pred


_SUBSAMPLES = {}


def subsample(X, idx):
    """The same row subsample object for every target and member, so the
    prepared features are reused."""
    key = (id(X), len(idx))
    got = _SUBSAMPLES.get(key)
    if got is None or got[0] is not X:
        got = (X, X.iloc[idx])
        _SUBSAMPLES[key] = got
    return got[1]


def finish(t, raw):
    if t["kind"] != "cls":
        return raw
    P = np.clip(np.asarray(raw, dtype=float), 1e-6, 1.0)
    return P / P.sum(axis=1, keepdims=True)


def score_one(metric, t, y, raw):
    from sklearn import metrics as skm

    if t["kind"] == "reg":
        err = raw - y
        if metric == "rmse":
            return math.sqrt(np.mean(err**2))
        if metric == "mse":
            return float(np.mean(err**2))
        if metric == "mae":
            return float(np.mean(np.abs(err)))
        if metric == "rmsle":
            d = np.log1p(np.clip(raw, 0, None)) - np.log1p(np.clip(y, 0, None))
            return math.sqrt(np.mean(d**2))
        if metric == "r2":
            return float(skm.r2_score(y, raw))
    else:
        k = raw.shape[1]
        lab = raw.argmax(axis=1)
        pos = positive_index(t)
        if metric == "roc_auc":
            if k == 2:
                yy = (y == pos).astype(int)
                return float(skm.roc_auc_score(yy, raw[:, pos])) if 0 < yy.sum() < len(yy) else float("nan")
            aucs = [skm.roc_auc_score((y == j).astype(int), raw[:, j]) for j in range(k) if 0 < (y == j).sum() < len(y)]
            return float(np.mean(aucs))
        if metric == "log_loss":
            return float(-np.mean(np.log(raw[np.arange(len(y)), y])))
        if metric == "accuracy":
            return float(np.mean(lab == y))
        if metric == "error":
            return float(np.mean(lab != y))
        if metric == "f1":
            return float(skm.f1_score(y == pos, lab == pos))
        if metric == "f1_macro":
            return float(skm.f1_score(y, lab, average="macro"))
        if metric == "f1_micro":
            return float(skm.f1_score(y, lab, average="micro"))
        if metric == "qwk":
            return float(skm.cohen_kappa_score(y, lab, weights="quadratic"))
        if metric == "mcc":
            return float(skm.matthews_corrcoef(y, lab))
    raise ValueError(f"metric {metric} does not apply to a {t['kind']} target")


def split_indices(n, ts):
    from sklearn.model_selection import train_test_split

    strat = None
    if len(ts) == 1 and ts[0]["kind"] == "cls":
        counts = np.bincount(ts[0]["y"])
        counts = counts[counts > 0]
        n_val = int(math.ceil(n * VAL_FRACTION))
        if counts.min() >= 2 and len(counts) <= min(n_val, n - n_val):
            strat = ts[0]["y"]
    return train_test_split(np.arange(n), test_size=VAL_FRACTION, random_state=SEED, stratify=strat)


def to_columns(ts, raws):
    out = {}
    if TASK["output"] == "class_proba":
        t, P = ts[0], raws[0]
        cols = []
        for cc in TASK["classes"]:
            j = class_index(t["classes"], cc["label"])
            cols.append(P[:, j] if j is not None else np.zeros(len(P)))
        M = np.clip(np.column_stack(cols), 1e-6, None)
        M = M / M.sum(axis=1, keepdims=True)
        for j, cc in enumerate(TASK["classes"]):
            out[cc["column"]] = M[:, j]
        return out
    for name, t, raw in zip(TASK["targets"], ts, raws):
        if TASK["output"] == "value":
            out[name] = raw
        elif TASK["output"] == "proba":
            out[name] = raw[:, positive_index(t)]
        else:
            out[name] = t["classes"][raw.argmax(axis=1)]
    return out


def write_submission(sample, test, id_col, cols):
    sub = pd.DataFrame(cols)
    if id_col and id_col in test.columns:
        keys = test[id_col].astype(str).values
        if pd.Index(keys).has_duplicates:
            raise ValueError(f"test ids in column {id_col} are not unique")
        sub.index = keys
        want = sample[id_col].astype(str).values
        missing = pd.Index(want).difference(sub.index)
        if len(missing):
            raise ValueError(f"{len(missing)} ids of the sample submission are not in the test file, e.g. {list(missing[:3])}")
        sub = sub.loc[want].reset_index(drop=True)
        sub[id_col] = sample[id_col].values
    elif len(sub) != len(sample):
        raise ValueError(f"{len(sub)} test rows but {len(sample)} sample submission rows and no id column to match them")
    elif id_col:
        sub[id_col] = sample[id_col].values
    sub = sub[list(sample.columns)]
    folder = os.path.dirname(SUBMISSION_PATH)
    if folder:
        os.makedirs(folder, exist_ok=True)
    sub.to_csv(SUBMISSION_PATH, index=False)
    log(f"submission: {SUBMISSION_PATH} ({len(sub)} rows, {sub.shape[1]} columns)")


def main():
    id_col = TASK.get("id_column") or None
    train = read_csv(TASK["train_file"], id_col)
    sample = read_csv(TASK["sample_file"], id_col)
    # Image tasks may have no test table: the sample's ids are the test rows.
    test = read_csv(TASK["test_file"], id_col) if TASK.get("test_file") else sample[[id_col]].copy()
    log(f"data: train {train.shape}, test {test.shape}, sample submission {sample.shape}")
    keep, ts = build_targets(train)
    images = TASK.get("images")
    exclude = set(TASK["targets"]) | {TASK.get("label_column"), id_col, (images or {}).get("column")}
    test_cols = set(test.columns)
    feats = [c for c in train.columns if c in test_cols and c not in exclude]
    X = train.loc[keep, feats].reset_index(drop=True)
    Xt = test[feats].copy()
    if images:
        X[IMAGE_COLUMN] = image_paths(train.loc[keep, images["column"]].values, images["train"])
        Xt[IMAGE_COLUMN] = image_paths(test[images["column"]].values, images["test"])
        log(f"images: {len(X)} train, {len(Xt)} test, e.g. {X[IMAGE_COLUMN].iloc[0]}")
    log(f"model: {SPEC['family']}, features: {len(feats)} columns, targets: {[t['name'] for t in ts]}")

    tr, va = split_indices(len(X), ts)
    Xtr, Xva = X.iloc[tr], X.iloc[va]
    scores = []
    for t in ts:
        raw = finish(t, fit_predict(SPEC, Xtr, t, t["y"][tr], Xva))
        scores.append(score_one(TASK["metric"], t, t["y"][va], raw))
    # A rare label may have one class in the hold-out: average the rest.
    if all(s != s for s in scores):
        raise ValueError(f"the {TASK['metric']} of every target is undefined on the hold-out (one class only?)")
    score = float(np.nanmean(scores))
    log(f"validation_metric_name: {TASK['metric']}")
    log(f"lower_is_better: {str(TASK['lower_is_better']).lower()}")
    log(f"validation_metric: {score!r}")

    raws = [finish(t, fit_predict(SPEC, X, t, t["y"], Xt)) for t in ts]
    write_submission(sample, test, id_col, to_columns(ts, raws))
    log(f"elapsed: {time.time() - T0:.1f}s")


if __name__ == "__main__":
    main()
