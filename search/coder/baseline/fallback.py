# ---- fallback (mlbench baseline): no model family fits this task ----
# It writes the best submission the sample submission and the training
# targets allow, in exactly the sample's format: per prediction column the
# training mean (real values), the most frequent training value (labels),
# the training class frequencies (one probability column per class), an
# empty mask for run-length-encoded masks, else the sample's own values.
import os
import re
import sys
import time

import numpy as np
import pandas as pd

T0 = time.time()
RLE = re.compile(r"^\s*\d+(\s+\d+)*\s*$")


def log(*args):
    print(*args, flush=True)


def read(name):
    # Strings as written, empty cells as "": the sample's format survives.
    return pd.read_csv(os.path.join(INPUT_DIR, name), dtype=str, keep_default_na=False)


def numeric(s):
    v = pd.to_numeric(s.replace("", np.nan), errors="coerce")
    return v if v.notna().sum() >= 0.98 * max(1, (s != "").sum()) else None


def guess(col, sample, train, label_freq):
    """The value (or values) to write in one prediction column, and how."""
    cur = sample[col]
    if label_freq is not None and col in label_freq:
        return label_freq[col], "training frequency of class " + col
    if train is not None and col in train.columns:
        s = train[col]
        v = numeric(s)
        if v is not None and numeric(cur) is not None:
            levels = v.dropna().unique()
            if len(levels) > 20 or not np.all(levels == np.round(levels)):
                return repr(float(v.mean())), "training mean"
        mode = s.value_counts().idxmax() if len(s) else ""
        return mode, "most frequent training value" + (" (empty)" if mode == "" else "")
    vals = cur[cur != ""]
    if len(vals) and vals.map(lambda x: bool(RLE.match(x))).all():
        return "", "empty mask (run-length encoding)"
    return None, "the sample submission's values"


def class_frequencies(sample, train, id_col):
    """Columns of the sample named after the classes of a train column."""
    if train is None:
        return None
    cols = [c for c in sample.columns if c != id_col]
    best, hits = None, 0
    for c in train.columns:
        if c == id_col or c in cols:
            continue
        vc = train[c].value_counts(normalize=True)
        n = sum(1 for k in cols if k in vc.index)
        if n > hits:
            best, hits = vc, n
    if best is None or hits < max(2, len(cols) // 2):
        return None
    out = {k: float(best.get(k, 0.0)) for k in cols}
    total = sum(out.values()) or 1.0
    return {k: repr(max(v / total, 1e-6)) for k, v in out.items()}


def main():
    id_col = FALLBACK.get("id_column") or None
    sample = read(TASK["sample_file"])
    train = None
    if FALLBACK.get("train_file"):
        try:
            train = read(FALLBACK["train_file"])
        except Exception as e:  # noqa: BLE001 - the sample alone still gives a valid submission
            log(f"training table unreadable ({e}): keeping the sample's values")
    log(f"fallback: {FALLBACK.get('reason', '')}")
    log(f"data: sample submission {sample.shape}" + (f", train {train.shape}" if train is not None else ""))
    label_freq = class_frequencies(sample, train, id_col)
    sub = sample.copy()
    for col in sub.columns:
        if col == id_col:
            continue
        value, how = guess(col, sample, train, label_freq)
        if value is not None:
            sub[col] = value
        log(f"column {col}: {how}")
    folder = os.path.dirname(SUBMISSION_PATH)
    if folder:
        os.makedirs(folder, exist_ok=True)
    sub.to_csv(SUBMISSION_PATH, index=False)
    log(f"submission: {SUBMISSION_PATH} ({len(sub)} rows, {sub.shape[1]} columns)")
    # No model, so no hold-out: the metric line only lets the search keep
    # the node; the item is marked as a fallback in the results.
    log("validation_metric_name: fallback (no model)")
    log("validation_metric: 0.0")
    log(f"elapsed: {time.time() - T0:.1f}s")


if __name__ == "__main__":
    main()
