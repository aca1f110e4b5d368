# ---- image and text features (mlbench baseline; used by Prep) ----
import zipfile

_EXTRACTED = {}
_IMAGE_FEATURES = {}


def image_root(src):
    """The folder holding one split's images. A zip archive is extracted
    once into the working directory, never into the read-only data."""
    arch = src.get("archive")
    if not arch:
        return os.path.join(INPUT_DIR, src.get("dir") or "")
    if arch not in _EXTRACTED:
        dst = os.path.join(os.getcwd(), "extracted", arch.replace("/", "_").replace(".zip", ""))
        done = os.path.join(dst, ".mlbench-extracted")
        if not os.path.exists(done):
            t0 = time.time()
            with zipfile.ZipFile(os.path.join(INPUT_DIR, arch)) as z:
                z.extractall(dst)  # zipfile drops absolute and ".." parts
            open(done, "w").close()
            log(f"extracted {arch} into {dst} in {time.time() - t0:.1f}s")
        _EXTRACTED[arch] = dst
    return os.path.join(_EXTRACTED[arch], src.get("dir") or "")


def image_paths(values, src):
    root = image_root(src)
    ext = src.get("ext") or ""
    return [os.path.join(root, os.path.basename(str(v).replace("\\", "/")) + ext) for v in values]


def pil_image():
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError("PIL is not importable: install python3-pil (apt-get install python3-pil) "
                          "or pillow (pip install pillow)") from e
    return Image


def one_image(Image, path, size, hog, hist):
    """Downscaled pixels, per-channel mean/std, colour histograms and a
    HOG-like histogram of gradient orientations over a 4x4 grid."""
    im = Image.open(path)
    try:
        im.draft("RGB", (size * 4, size * 4))  # fast JPEG downscaling
    except Exception:
        pass
    im = im.convert("RGB")
    big = np.asarray(im.resize((32, 32), Image.BILINEAR), dtype=np.float32) / 255.0
    small = big if size == 32 else np.asarray(im.resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
    parts = [small.ravel(), big.mean(axis=(0, 1)), big.std(axis=(0, 1))]
    if hist:
        for ch in range(3):
            h, _ = np.histogram(big[:, :, ch], bins=8, range=(0.0, 1.0))
            parts.append(h.astype(np.float32) / big[:, :, ch].size)
    if hog:
        g = big.mean(axis=2)
        gx = np.zeros_like(g)
        gy = np.zeros_like(g)
        gx[:, 1:-1] = g[:, 2:] - g[:, :-2]
        gy[1:-1, :] = g[2:, :] - g[:-2, :]
        mag = np.hypot(gx, gy)
        ang = (np.arctan2(gy, gx) % np.pi) / np.pi * 8
        b = np.minimum(ang.astype(int), 7)
        cells = np.zeros((4, 4, 8), dtype=np.float32)
        for i in range(4):
            for j in range(4):
                sl = (slice(i * 8, i * 8 + 8), slice(j * 8, j * 8 + 8))
                cells[i, j] = np.bincount(b[sl].ravel(), weights=mag[sl].ravel(), minlength=8)[:8]
        pooled = cells.sum(axis=(0, 1))
        cells /= np.linalg.norm(cells, axis=2, keepdims=True) + 1e-6
        # The pooled histogram and edge density do not depend on where the
        # object sits: shape evidence a model can use from few images.
        strong = mag > 0.5 * mag.max() if mag.max() > 0 else mag > 0
        parts += [cells.ravel(), pooled / (pooled.sum() + 1e-6), np.array([strong.mean()], dtype=np.float32)]
    return np.concatenate(parts).astype(np.float32)


def image_matrix(paths, cfg):
    """Features of every image (cached per path and settings); an image
    that cannot be read gets zeros, and most failing is an error."""
    Image = pil_image()
    size = int(cfg.get("size") or 16)
    hog, hist = bool(cfg.get("hog", True)), bool(cfg.get("hist", True))
    key = (size, hog, hist)
    cache = _IMAGE_FEATURES.setdefault(key, {})
    rows, bad, width = [], [], None
    for p in paths:
        f = cache.get(p)
        if f is None:
            try:
                f = one_image(Image, p, size, hog, hist)
                cache[p] = f
            except Exception as e:  # noqa: BLE001 - a damaged file is one row of zeros
                bad.append((p, e))
        if f is not None and width is None:
            width = len(f)
        rows.append(f)
    if len(bad) > len(paths) // 2:
        p, e = bad[0]
        raise OSError(f"{len(bad)} of {len(paths)} images could not be read, e.g. {p}: {e}")
    if bad:
        log(f"{len(bad)} images could not be read (zero features), e.g. {bad[0][0]}")
    return np.vstack([r if r is not None else np.zeros(width, dtype=np.float32) for r in rows])


def text_of(X, cols):
    s = X[cols[0]].fillna("").astype(str)
    for c in cols[1:]:
        s = s + " \n " + X[c].fillna("").astype(str)
    return s.values


class TextPrep:
    """TF-IDF word (and character) n-grams of the text columns, optionally
    reduced by truncated SVD for models that need dense input."""

    def __init__(self, cfg, cols):
        self.cfg, self.cols = cfg, cols

    def fit(self, X):
        from sklearn.feature_extraction.text import TfidfVectorizer

        cfg = self.cfg
        texts = text_of(X, self.cols)
        n_max = int(cfg.get("max_features") or 50000)
        min_df = 2 if len(texts) >= 50 else 1
        self.vecs = [TfidfVectorizer(ngram_range=(1, int(cfg.get("word") or 1)), min_df=min_df, max_features=n_max,
                                     sublinear_tf=True, strip_accents="unicode", dtype=np.float32)]
        if cfg.get("char"):
            self.vecs.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=min_df, max_features=n_max,
                                             sublinear_tf=True, dtype=np.float32))
        mats = [v.fit_transform(texts) for v in self.vecs]
        self.svd = None
        k = int(cfg.get("svd") or 0)
        if k:
            from scipy import sparse
            from sklearn.decomposition import TruncatedSVD

            M = sparse.hstack(mats).tocsr()
            k = max(1, min(k, M.shape[1] - 1, M.shape[0] - 1))
            self.svd = TruncatedSVD(n_components=k, random_state=SEED).fit(M)
        return self

    def transform(self, X):
        from scipy import sparse

        texts = text_of(X, self.cols)
        M = sparse.hstack([v.transform(texts) for v in self.vecs]).tocsr()
        return self.svd.transform(M) if self.svd is not None else M
