"""mlbench's example external agent.

A small AIDE-shaped agent that needs only numpy, pandas and scikit-learn:
for tables, and for image folders (train/ and test/ beside train.csv, read
with PIL into small pixel and colour features), it drafts two models, improves the better one, and after every node writes
the best submission so far, asks the validation server whether it is valid,
and saves an AIDE-format journal.json (nodes with plan, code, metric,
is_buggy, exec_time and node2parent) to $LOGS_DIR. mlbench imports that
journal as trace rows. Copy it as the skeleton of your own agent.
"""

import os

# One thread per native library: oversubscribed OpenMP pools are what makes
# small fits slow on busy nodes.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import json
import sys
import time
import traceback
import urllib.error
import urllib.request
import uuid

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split

DATA = os.environ.get("MLBENCH_DATA_DIR", "/home/data")
SUBMISSION_DIR = os.environ.get("SUBMISSION_DIR", "/home/submission")
LOGS_DIR = os.environ.get("LOGS_DIR", "/home/logs")
CODE_DIR = os.environ.get("CODE_DIR", "/home/code")
VALIDATE_URL = os.environ.get("MLBENCH_VALIDATE_URL", "http://localhost:5000/validate")
STEP_LIMIT = int(os.environ.get("STEP_LIMIT", "0") or 0)

LOG = open(os.path.join(LOGS_DIR, "agent.log"), "a", buffering=1)


def log(msg):
    line = time.strftime("%H:%M:%S ") + msg
    print(line, flush=True)
    LOG.write(line + "\n")


def load():
    train = pd.read_csv(os.path.join(DATA, "train.csv"))
    sample = pd.read_csv(os.path.join(DATA, "sample_submission.csv"))
    if os.path.exists(os.path.join(DATA, "test.csv")):
        return train, pd.read_csv(os.path.join(DATA, "test.csv")), sample
    if os.path.isdir(os.path.join(DATA, "train")) and os.path.isdir(os.path.join(DATA, "test")):
        return load_images(train, sample)
    raise SystemExit("no test.csv and no train/ and test/ image folders in %s" % DATA)


def image_features(folder, names, side=16):
    """Downscaled grey pixels plus a coarse colour histogram per image: small
    enough for linear models and trees, and enough for simple shapes."""
    from PIL import Image  # Debian: python3-pil

    rows = []
    for name in names:
        with Image.open(os.path.join(DATA, folder, str(name))) as im:
            rgb = im.convert("RGB")
            grey = np.asarray(rgb.convert("L").resize((side, side)), dtype=float).ravel() / 255.0
            hist = np.concatenate([np.histogram(np.asarray(rgb)[:, :, c], bins=8, range=(0, 256))[0]
                                   for c in range(3)]).astype(float)
            rows.append(np.concatenate([grey, hist / max(hist.sum(), 1.0)]))
    cols = ["f%d" % i for i in range(len(rows[0]))] if rows else []
    return pd.DataFrame(rows, columns=cols)


def load_images(train, sample):
    """An image task laid out as MLE-Bench does: train.csv names files in
    train/, the sample submission names files in test/."""
    id_col = sample.columns[0]
    log("image task: %d train and %d test images" % (len(train), len(sample)))
    feats = image_features("train", train[id_col])
    train = pd.concat([train.reset_index(drop=True), feats], axis=1)
    test = pd.concat([sample[[id_col]].reset_index(drop=True), image_features("test", sample[id_col])], axis=1)
    return train, test, sample


def describe(train, test, sample):
    """Works out the id, the target, and what the submission wants."""
    id_col = sample.columns[0]
    targets = [c for c in train.columns if c not in test.columns]
    if len(targets) != 1:
        raise SystemExit("expected exactly one target column in train.csv, found %r" % targets)
    y = train[targets[0]]
    outputs = list(sample.columns[1:])
    if len(outputs) > 1:
        kind = "proba"  # one probability column per class
    elif y.dtype == object:
        kind = "label"
    elif y.nunique() <= 20 and np.allclose(y, y.round()):
        first = sample[outputs[0]].iloc[0]
        kind = "binary" if isinstance(first, float) and first != round(first) else "label"
    else:
        kind = "regression"
    return id_col, targets[0], outputs, kind


def is_text(col):
    """Free text, not a category: mostly distinct values of some length."""
    s = col.dropna().astype(str)
    return col.dtype == object and len(s) > 0 and s.nunique() > 0.5 * len(s) and s.str.len().mean() > 20


def features(train, test, id_col, target):
    cols = [c for c in test.columns if c != id_col]
    both = pd.concat([train[cols], test[cols]], keys=["train", "test"])
    texts = [c for c in cols if is_text(both[c])]
    parts = []
    for c in texts:
        from sklearn.feature_extraction.text import TfidfVectorizer

        tfidf = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=500, sublinear_tf=True)
        parts.append(tfidf.fit_transform(both[c].fillna("").astype(str)).toarray())
    other = both.drop(columns=texts)
    if len(other.columns):
        other = pd.get_dummies(other, dummy_na=True)
        parts.append(other.fillna(other.median(numeric_only=True)).astype(float).to_numpy())
    if not parts:
        raise SystemExit("no feature columns in test.csv besides the id %r" % id_col)
    X = np.hstack(parts)
    n = len(train)
    return X[:n], X[n:]


MODELS = {
    "linear": ("a linear baseline (logistic or ridge regression)",
               lambda k: Ridge(alpha=1.0) if k == "regression" else LogisticRegression(max_iter=500)),
    "forest": ("a random forest, robust to feature scale and interactions",
               lambda k: (RandomForestRegressor if k == "regression" else RandomForestClassifier)(
                   n_estimators=60, min_samples_leaf=2, n_jobs=1, random_state=0)),
    "boosting": ("gradient-boosted trees, which usually beat a forest on tabular data",
                 lambda k: (HistGradientBoostingRegressor if k == "regression" else HistGradientBoostingClassifier)(
                     max_iter=100, learning_rate=0.1, random_state=0)),
}


def predict(model, kind, X, classes=None):
    if kind == "regression" or kind == "label":
        return model.predict(X)
    p = model.predict_proba(X)
    if kind == "binary":
        return p[:, list(model.classes_).index(1)]
    order = [list(model.classes_).index(c) for c in classes]
    return p[:, order]


def score(kind, y, pred, classes):
    """Holdout metric and whether higher is better."""
    if kind == "regression":
        return float(np.sqrt(metrics.mean_squared_error(y, pred))), False
    if kind == "binary":
        return float(metrics.roc_auc_score(y, pred)), True
    if kind == "proba":
        # log_loss reads the columns in sorted label order, not ours.
        order = sorted(range(len(classes)), key=lambda i: classes[i])
        return float(metrics.log_loss(y, pred[:, order], labels=[classes[i] for i in order])), False
    return float(metrics.accuracy_score(y, pred)), True


def write_submission(sample, id_col, outputs, kind, pred):
    sub = pd.DataFrame({id_col: sample[id_col]})
    if kind == "proba":
        for i, c in enumerate(outputs):
            sub[c] = pred[:, i]
    else:
        sub[outputs[0]] = pred
    os.makedirs(SUBMISSION_DIR, exist_ok=True)
    path = os.path.join(SUBMISSION_DIR, "submission.csv")
    sub.to_csv(path + ".tmp", index=False)
    os.replace(path + ".tmp", path)
    return path


def validate(path):
    """POSTs the file as multipart field 'file', like validate_submission.sh."""
    boundary = uuid.uuid4().hex
    with open(path, "rb") as f:
        body = (b"--" + boundary.encode() + b"\r\n"
                b'Content-Disposition: form-data; name="file"; filename="submission.csv"\r\n'
                b"Content-Type: text/csv\r\n\r\n" + f.read() + b"\r\n--" + boundary.encode() + b"--\r\n")
    req = urllib.request.Request(VALIDATE_URL, data=body, method="POST",
                                 headers={"Content-Type": "multipart/form-data; boundary=" + boundary})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            answer = json.load(r)
    except urllib.error.HTTPError as e:
        answer = {"error": "HTTP %d" % e.code, "details": e.read(500).decode(errors="replace")}
    except Exception as e:  # the server may be unreachable outside mlbench
        answer = {"error": str(e)}
    log("validation: %s" % json.dumps(answer))
    return answer


class Journal:
    """An AIDE journal: a list of nodes and node2parent (AIDE's format v2)."""

    def __init__(self):
        self.nodes, self.node2parent = [], {}

    def add(self, plan, code, parent, metric, maximize, is_buggy, exec_time, out, analysis, exc_type=None):
        node = {
            "id": uuid.uuid4().hex, "step": len(self.nodes), "ctime": time.time(), "plan": plan, "code": code,
            "_term_out": out, "exec_time": exec_time, "exc_type": exc_type, "exc_info": None, "exc_stack": None,
            "analysis": analysis, "metric": {"value": metric, "maximize": maximize}, "is_buggy": is_buggy,
        }
        self.nodes.append(node)
        if parent is not None:
            self.node2parent[node["id"]] = parent["id"]
        self.save()
        return node

    def save(self):
        path = os.path.join(LOGS_DIR, "journal.json")
        with open(path + ".tmp", "w") as f:
            json.dump({"nodes": self.nodes, "node2parent": self.node2parent, "__version": "2"}, f)
        os.replace(path + ".tmp", path)


def main():
    train, test, sample = load()
    id_col, target, outputs, kind = describe(train, test, sample)
    log("task %s: target %s, submission %s (%s)" % (os.environ.get("COMPETITION_ID"), target, outputs, kind))
    X, X_test = features(train, test, id_col, target)
    y = train[target].to_numpy()
    X_tr, X_va, y_tr, y_va = train_test_split(X, y, test_size=0.2, random_state=0)
    journal, best = Journal(), None
    plans = [("linear", None), ("forest", None), ("boosting", "best")]
    for step, (name, parent) in enumerate(plans):
        if STEP_LIMIT and step >= STEP_LIMIT:
            log("step limit %d reached" % STEP_LIMIT)
            break
        desc, make = MODELS[name]
        plan = ("Improve the best model so far with " if parent else "Draft ") + desc + "."
        code = "model = %s\nmodel.fit(X_train, y_train)\n" % make(kind).__repr__()
        start = time.time()
        try:
            model = make(kind).fit(X_tr, y_tr)
            metric, maximize = score(kind, y_va, predict(model, kind, X_va, outputs), outputs)
            out, buggy, exc = ["holdout metric %.5f\n" % metric], False, None
        except Exception as e:
            metric, maximize, buggy, exc = None, None, True, type(e).__name__
            out = [traceback.format_exc()]
        elapsed = time.time() - start
        node = journal.add(plan, code, best if parent else None, metric, maximize, buggy, elapsed, out,
                           "%s: holdout metric %s" % (name, metric))
        log("node %d (%s): metric %s in %.1fs" % (step, name, metric, elapsed))
        better = best is not None and metric is not None and (
            metric > best["metric"]["value"] if maximize else metric < best["metric"]["value"])
        if not buggy and (best is None or better):
            best = node
            full = make(kind).fit(X, y)
            path = write_submission(sample, id_col, outputs, kind, predict(full, kind, X_test, outputs))
            with open(os.path.join(CODE_DIR, "solution.py"), "w") as f:
                f.write(code)
            validate(path)
    if best is None:
        log("no working model")
        return 1
    log("best node %s: metric %s" % (best["id"], best["metric"]["value"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
