"""Logistic data sets: specifications, loaders and the on-disk cache.

Job: the data of ``compare_logistic.py`` and ``compare_logistic_cv.py``,
deterministic (fixed seeds) and cached under ``$FASTRIDGE_BENCH_CACHE`` like the ridge
data of :mod:`harness.data`, whose matrices are reused: the synthetic case is the X
of ridge case A (200,000 x 100,000, ~100 nonzeros per row), the IMDB cases are the
TF-IDF matrices C1 / C2 (sentiment labels instead of ratings); a9a, w8a and news20
are LIBSVM files.

Binary labels are stored as -1.0 / +1.0 (+1 is the larger original label, as in
scikit-learn and fastridge), multinomial labels as class indices 0..K-1.  Objectives
and reference optima are in :mod:`harness.logistic_reference`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

from . import data as cdata
from . import log

# Bump when a generator changes: it is part of every cache file name.
DATA_VERSION = 1


# ----------------------------------------------------------------------------
# data sets


@dataclass(frozen=True)
class PlantedLabels:
    """Binary labels on the X of ridge data set ``base``: y_i = +1 with probability
    sigmoid(scale * x_i.w* + offset), w* ~ N(0, 1/nnz_per_row) (so x_i.w* has about
    unit variance)."""

    base: str  # key of _compare_data.DATASETS
    seed: int
    scale: float = 2.0
    offset: float = 0.5


@dataclass(frozen=True)
class ImdbLabels:
    """The TF-IDF X of ridge data set ``base`` (C1 / C2) with the sentiment label:
    +1 when the rating is >= 7 (the IMDB train split has ratings 1-4 and 7-10)."""

    base: str


@dataclass(frozen=True)
class SvmlightSpec:
    fname: str
    n_features: int
    tfidf: bool = False  # TfidfTransformer() on the counts
    multiclass: bool = False
    subsample: int | None = None  # quick mode: this many random rows ...
    drop_empty_columns: bool = False  # ... and only the columns they use


@dataclass(frozen=True)
class SeparableDense:
    """Dense Gaussian ``X`` (C-ordered, N(0, 1) entries) with labels ``sign(x_i . w*)``,
    ``w* ~ N(0, I)``: linearly separable, the case where Newton steps saturate."""

    n: int
    p: int
    seed: int


DATASETS: dict[str, object] = {
    "S": PlantedLabels("A", seed=11),
    "a9a": SvmlightSpec("a9a.svm.gz", 123),
    "w8a": SvmlightSpec("w8a.svm.gz", 300),
    "imdb1": ImdbLabels("C1"),
    "imdb2": ImdbLabels("C2"),
    "news20": SvmlightSpec("news20_bydate_bow.train.svm.gz", 61188, tfidf=True, multiclass=True),
    "G": SeparableDense(n=20_000, p=400, seed=31),
}

QUICK_DATASETS: dict[str, object] = {
    "S": PlantedLabels("A", seed=11),  # ridge QUICK_DATASETS["A"]: 2,000 x 1,000
    "a9a": SvmlightSpec("a9a.svm.gz", 123, subsample=1_000),
    "w8a": SvmlightSpec("w8a.svm.gz", 300, subsample=1_000),
    "imdb1": ImdbLabels("C1"),  # ridge quick C1: 600 documents
    "imdb2": ImdbLabels("C2"),
    "news20": SvmlightSpec(
        "news20_bydate_bow.train.svm.gz",
        61188,
        tfidf=True,
        multiclass=True,
        subsample=600,
        drop_empty_columns=True,
    ),
    "G": SeparableDense(n=1_000, p=50, seed=31),
}

DESCRIPTIONS = {
    "S": "synthetic X of ridge case A, labels from a planted w",
    "a9a": "a9a (LIBSVM), binary",
    "w8a": "w8a (LIBSVM), binary",
    "imdb1": "IMDB train TF-IDF unigrams -> sentiment",
    "imdb2": "IMDB train TF-IDF 1-2-grams (min_df=2) -> sentiment",
    "news20": "20 Newsgroups bydate train, TF-IDF of counts, 20 classes",
    "G": "synthetic dense Gaussian X, separable labels sign(X w*)",
}


@dataclass(frozen=True)
class Case:
    name: str
    dataset: str
    lam: float | None = None  # absolute lam (C = 1/lam) ...
    lam_per_n: float | None = None  # ... or lam = lam_per_n * n
    fit_intercept: bool = True

    def lam_for(self, n: int) -> float:
        return self.lam if self.lam is not None else self.lam_per_n * n


def _tag(x: float) -> str:
    return "1" if x == 1 else f"{x:.0e}".replace("e-0", "e-")


def all_cases() -> list[Case]:
    cases = [Case(f"S-{_tag(r)}n", "S", lam_per_n=r) for r in (1e-3, 1e-5)]
    # Without intercept: the setting of the reference timings, and the one
    # where liblinear (which penalises its intercept) solves the same problem.
    cases.append(Case("S-1e-3n-noint", "S", lam_per_n=1e-3, fit_intercept=False))
    for ds, lams, noint in (
        ("a9a", (1.0, 1e-2), True),
        ("w8a", (1.0, 1e-2), True),
        ("imdb1", (1.0, 1e-1), True),
        ("imdb2", (1.0, 1e-1), False),
        ("news20", (1e-1, 1.0), False),
        ("G", (1.0, 1e-2), False),
    ):
        cases += [Case(f"{ds}-{_tag(lam)}", ds, lam=lam) for lam in lams]
        if noint:
            cases.append(Case(f"{ds}-1-noint", ds, lam=1.0, fit_intercept=False))
    return cases


# --quick without --cases: one case per data set (every case with --cases all)
QUICK_CASES = ["S-1e-3n", "a9a-1", "w8a-1-noint", "imdb1-1", "imdb2-1e-1", "news20-1e-1"]


@dataclass
class Dataset(cdata.MatrixData):
    key: str
    X: sp.csr_matrix
    y: np.ndarray  # binary: -1.0 / +1.0; multinomial: int class index 0..K-1
    n_classes: int
    description: str
    build_seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    cache_stem: str = ""

    @property
    def multiclass(self) -> bool:
        return self.n_classes > 2


def _int32_csr(X) -> sp.csr_matrix:
    """CSR with sorted int32 indices (liblinear refuses int64 indices)."""
    X = sp.csr_matrix(X)
    X.sum_duplicates()
    X.sort_indices()
    if X.nnz < np.iinfo(np.int32).max:
        X.indices = X.indices.astype(np.int32, copy=False)
        X.indptr = X.indptr.astype(np.int32, copy=False)
    return X


def _build_svmlight(spec: SvmlightSpec):
    from sklearn.datasets import load_svmlight_file

    path = cdata.data_dir() / spec.fname
    if not path.exists():
        raise FileNotFoundError(f"{path} not found (set FASTRIDGE_DATA to the shared data folder)")
    X, y = load_svmlight_file(str(path), n_features=spec.n_features)
    X = X.tocsr()
    if spec.subsample is not None and spec.subsample < X.shape[0]:
        rows = np.sort(np.random.default_rng(0).choice(X.shape[0], spec.subsample, replace=False))
        X, y = X[rows], y[rows]
        if spec.drop_empty_columns:
            X = X.tocsc()[:, np.flatnonzero(np.diff(X.tocsc().indptr))].tocsr()
    if spec.tfidf:
        from sklearn.feature_extraction.text import TfidfTransformer

        X = TfidfTransformer().fit_transform(X)
    classes, idx = np.unique(y, return_inverse=True)
    if spec.multiclass:
        yy = idx.astype(np.int64)
    else:
        if len(classes) != 2:
            raise ValueError(f"{spec.fname}: {len(classes)} classes, expected 2")
        yy = np.where(idx == 1, 1.0, -1.0)
    return _int32_csr(X), yy, len(classes)


def load_dataset(key: str, quick: bool = False, verbose: bool = True) -> Dataset:
    spec = (QUICK_DATASETS if quick else DATASETS)[key]
    if isinstance(spec, PlantedLabels | ImdbLabels):
        # X from the ridge data cache (built there on first use)
        base = cdata.load_dataset(spec.base, quick=quick, verbose=verbose)
        t0 = time.perf_counter()
        X = _int32_csr(base.X)
        if isinstance(spec, PlantedLabels):
            rng = np.random.default_rng(spec.seed)
            nnz_row = max(1.0, X.nnz / X.shape[0])
            w = rng.standard_normal(X.shape[1]) / np.sqrt(nnz_row)
            prob = expit(spec.scale * (X @ w) + spec.offset)
            y = np.where(rng.random(X.shape[0]) < prob, 1.0, -1.0)
        else:
            y = np.where(base.y >= 7, 1.0, -1.0)
        stem = f"{key}-{base.cache_stem}-{cdata.spec_tag(spec)}"
        return Dataset(
            key,
            X,
            y,
            2,
            DESCRIPTIONS[key],
            time.perf_counter() - t0,
            {"spec": repr(spec), "base": base.cache_stem},
            stem,
        )
    if isinstance(spec, SeparableDense):
        t0 = time.perf_counter()
        rng = np.random.default_rng(spec.seed)
        X = rng.standard_normal((spec.n, spec.p))
        y = np.where(X @ rng.standard_normal(spec.p) > 0.0, 1.0, -1.0)
        stem = f"log-{key}{'-quick' if quick else ''}-{cdata.spec_tag(spec)}"
        meta = {"spec": repr(spec)}
        return Dataset(key, X, y, 2, DESCRIPTIONS[key], time.perf_counter() - t0, meta, stem)
    stem = f"log-{key}{'-quick' if quick else ''}-v{DATA_VERSION}-{cdata.spec_tag(spec)}"
    fname = cdata.cache_dir() / f"data-{stem}.npz"
    if fname.exists():
        return cdata.read_cached_dataset(Dataset, fname, key, "n_classes", DESCRIPTIONS[key], stem)
    if verbose:
        log(f"[data] building {key}{' (quick)' if quick else ''} -> {fname}")
    t0 = time.perf_counter()
    X, y, k = _build_svmlight(spec)
    t_build = time.perf_counter() - t0
    meta = {"spec": repr(spec)}
    cdata.write_cached_csr(
        fname, X, y=y, n_classes=k, build_seconds=t_build, meta=json.dumps(meta)
    )
    return Dataset(key, X, y, k, DESCRIPTIONS[key], t_build, meta, stem)
