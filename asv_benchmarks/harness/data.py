"""Ridge data sets: specifications, generators, loaders and the on-disk cache.

Job: build the matrices and targets of the ridge comparisons (``compare_ridge.py``,
``compare_path.py``, ``compare_ridge_cv.py``; the logistic data sets reuse these
matrices), deterministically (fixed seeds), once per machine: every data set is cached
as an uncompressed ``.npz`` file under ``$FASTRIDGE_BENCH_CACHE`` (default
``~/.cache/fastridge-bench``).  Real data are read from ``$FASTRIDGE_DATA`` (default
``<repository root>/../shared/data``).

``lam = rho * ||X||_2^2`` where ``||X||_2`` is the largest singular value of the *raw*
(uncentred) X, also when the intercept is on, so :func:`load_dataset` stores
``||X||_2^2`` with the data.  For the synthetic cases the values are standard normal
(mean zero), so centring barely changes ``||X||_2``; for the TF-IDF cases (positive
values) the raw norm is dominated by the mean direction and is larger than the centred
one.  The dense data sets (``D1``, ``D2``: :class:`DenseSpec`) keep X as a C-ordered
ndarray, cached as such.  Objectives and reference optima are in :mod:`harness.reference`.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from benchmarks.sampling import draws_per_row, row_columns

from . import log

# Bump when a generator changes: it is part of every cache file name.
DATA_VERSION = 2

# ----------------------------------------------------------------------------
# locations


def cache_dir() -> Path:
    d = Path(os.environ.get("FASTRIDGE_BENCH_CACHE", Path.home() / ".cache" / "fastridge-bench"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def data_dir() -> Path:
    env = os.environ.get("FASTRIDGE_DATA")
    if env:
        return Path(env)
    # asv_benchmarks/harness/data.py -> repo root -> its parent holds shared/data
    return Path(__file__).resolve().parents[3] / "shared" / "data"


# ----------------------------------------------------------------------------
# data set specifications


@dataclass(frozen=True)
class SyntheticSpec:
    n: int
    p: int
    nnz_per_row: int
    seed: int
    zipf_exponent: float = 1.1
    zipf_offset: float = 10.0
    noise: float = 0.5
    intercept: float = 0.5


@dataclass(frozen=True)
class DenseSpec:
    """Dense Gaussian data: X ~ N(0, 1) as a C-ordered ndarray."""

    n: int
    p: int
    seed: int
    noise: float = 0.5
    intercept: float = 0.5


@dataclass(frozen=True)
class ImdbSpec:
    ngram_max: int  # 1: unigrams, 2: 1-2-grams
    min_df: int
    subsample: int | None = None  # quick mode: this many random train documents


DATASETS: dict[str, object] = {
    "A": SyntheticSpec(n=200_000, p=100_000, nnz_per_row=100, seed=1),
    "B": SyntheticSpec(n=20_000, p=500_000, nnz_per_row=50, seed=2),
    "C1": ImdbSpec(ngram_max=1, min_df=1),
    "C2": ImdbSpec(ngram_max=2, min_df=2),
    "D1": DenseSpec(n=20_000, p=1_000, seed=21),
    "D2": DenseSpec(n=2_000, p=200, seed=22),
}

QUICK_DATASETS: dict[str, object] = {
    "A": SyntheticSpec(n=2_000, p=1_000, nnz_per_row=20, seed=1),
    "B": SyntheticSpec(n=300, p=5_000, nnz_per_row=20, seed=2),
    "C1": ImdbSpec(ngram_max=1, min_df=1, subsample=600),
    "C2": ImdbSpec(ngram_max=2, min_df=2, subsample=600),
    "D1": DenseSpec(n=2_000, p=300, seed=21),
    "D2": DenseSpec(n=400, p=50, seed=22),
}

DESCRIPTIONS = {
    "A": "synthetic, Zipf columns, N(0,1) values",
    "B": "synthetic, Zipf columns, N(0,1) values",
    "C1": "IMDB train TF-IDF unigrams -> rating",
    "C2": "IMDB train TF-IDF 1-2-grams (min_df=2) -> rating",
    "D1": "synthetic dense, N(0,1) values",
    "D2": "synthetic dense, N(0,1) values",
}


@dataclass(frozen=True)
class Case:
    name: str
    dataset: str
    rho: float
    fit_intercept: bool


def _rho_tag(rho: float) -> str:
    return "1" if rho == 1 else f"{rho:.0e}".replace("e-0", "e-")


def all_cases() -> list[Case]:
    cases = []
    for intercept in (True, False):
        for rho in (1.0, 1e-2, 1e-4):
            cases.append(
                Case(f"A-{_rho_tag(rho)}-{'int' if intercept else 'noint'}", "A", rho, intercept)
            )
    for rho in (1.0, 1e-2, 1e-4):
        cases.append(Case(f"B-{_rho_tag(rho)}-int", "B", rho, True))
    for ds in ("C1", "C2"):
        for rho in (1e-2, 1e-4):
            cases.append(Case(f"{ds}-{_rho_tag(rho)}-int", ds, rho, True))
    for ds in ("D1", "D2"):
        for intercept in (True, False):
            for rho in (1e-2, 1e-4):
                tag = "int" if intercept else "noint"
                cases.append(Case(f"{ds}-{_rho_tag(rho)}-{tag}", ds, rho, intercept))
    return cases


# ----------------------------------------------------------------------------
# the data sets


class MatrixData:
    """``shape`` and ``nnz`` of the data set's matrix ``X`` (CSR, or a dense ndarray
    whose every entry counts as stored)."""

    @property
    def shape(self):
        return self.X.shape

    @property
    def nnz(self):
        return int(self.X.nnz) if sp.issparse(self.X) else int(self.X.size)


@dataclass
class Dataset(MatrixData):
    key: str
    X: sp.csr_matrix | np.ndarray
    y: np.ndarray
    sigma_max_sq: float  # ||X||_2^2 of the raw X
    description: str
    build_seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    cache_stem: str = ""


def spec_tag(spec) -> str:
    """Short hash of a specification: part of its cache file names."""
    return f"{zlib.crc32(repr(spec).encode()):08x}"


def make_synthetic(spec: SyntheticSpec) -> tuple[sp.csr_matrix, np.ndarray]:
    """CSR with about ``nnz_per_row`` nonzeros per row.

    k column draws per row, duplicates dropped, k chosen so that the expected number of
    distinct columns is ``nnz_per_row``. Column j is drawn with probability proportional
    to 1/(rank(j) + offset)^exponent, where rank is a fixed random permutation of the
    columns (frequent columns are spread out, as in an alphabetic vocabulary).
    Values N(0, 1). y = X w* + intercept + noise, w* ~ N(0, 1/nnz_per_row), so X w* has
    about unit variance."""
    n, p = spec.n, spec.p
    ss = np.random.SeedSequence(spec.seed)
    root, *chunk_seeds = ss.spawn(1 + (n + 9_999) // 10_000)
    rng0 = np.random.default_rng(root)
    weights = (np.arange(p, dtype=np.float64) + spec.zipf_offset) ** (-spec.zipf_exponent)
    q = weights / weights.sum()
    cdf = np.cumsum(q)
    cdf /= cdf[-1]
    # number of draws per row whose expected count of distinct columns is nnz_per_row
    k = draws_per_row(q, spec.nnz_per_row, spec.nnz_per_row)
    perm = rng0.permutation(p).astype(np.int32)
    w_true = rng0.standard_normal(p) / np.sqrt(spec.nnz_per_row)

    indptr = np.zeros(n + 1, dtype=np.int64)
    idx_parts, val_parts = [], []
    for c, start in enumerate(range(0, n, 10_000)):
        stop = min(n, start + 10_000)
        rng = np.random.default_rng(chunk_seeds[c])
        m = stop - start
        cols, counts = row_columns(rng, cdf, perm, m, k)
        indptr[start + 1 : stop + 1] = counts
        idx_parts.append(cols.astype(np.int32))
        val_parts.append(rng.standard_normal(int(counts.sum())))
    np.cumsum(indptr, out=indptr)
    indices = np.concatenate(idx_parts)
    data = np.concatenate(val_parts)
    if indptr[-1] < np.iinfo(np.int32).max:
        indptr = indptr.astype(np.int32)
    X = sp.csr_matrix((data, indices, indptr), shape=(n, p))
    X.has_sorted_indices = True
    y = X @ w_true + spec.intercept + spec.noise * rng0.standard_normal(n)
    return X, y


def make_dense(spec: DenseSpec) -> tuple[np.ndarray, np.ndarray]:
    """Dense C-ordered X with N(0, 1) entries; y = X w* + intercept + noise, w* ~
    N(0, 1/p), so X w* has about unit variance."""
    rng = np.random.default_rng(spec.seed)
    X = rng.standard_normal((spec.n, spec.p))
    w_true = rng.standard_normal(spec.p) / np.sqrt(spec.p)
    y = X @ w_true + spec.intercept + spec.noise * rng.standard_normal(spec.n)
    return X, y


def load_imdb_train(subsample: int | None = None):
    import pandas as pd

    path = data_dir() / "imdb_reviews.tsv.xz"
    if not path.exists():
        raise FileNotFoundError(f"{path} not found (set FASTRIDGE_DATA to the shared data folder)")
    df = pd.read_csv(path, sep="\t", quoting=3)
    df = df[df["split"] == "train"].reset_index(drop=True)
    if subsample is not None:
        rows = np.sort(np.random.default_rng(0).choice(len(df), size=subsample, replace=False))
        df = df.iloc[rows].reset_index(drop=True)
    return df["text"].tolist(), df["rating"].to_numpy(dtype=np.float64)


def make_imdb(spec: ImdbSpec) -> tuple[sp.csr_matrix, np.ndarray]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts, y = load_imdb_train(spec.subsample)
    vec = TfidfVectorizer(ngram_range=(1, spec.ngram_max), min_df=spec.min_df)
    X = vec.fit_transform(texts).tocsr()
    X.sort_indices()
    return X, y


def spectral_norm_sq(X) -> float:
    """Largest singular value of X, squared (ARPACK via scipy.sparse.linalg.svds)."""
    from scipy.sparse.linalg import svds

    m = min(X.shape)
    if m <= 200:
        Xd = X.toarray() if sp.issparse(X) else X
        return float(np.linalg.norm(Xd, 2) ** 2)
    v0 = np.random.default_rng(12345).standard_normal(m)
    s = svds(X, k=1, tol=1e-10, return_singular_vectors=False, v0=v0)
    return float(s[0] ** 2)


def read_cached_csr(fname):
    """``(X, arrays)``: the CSR matrix of a harness cache file, and all its arrays."""
    with np.load(fname) as z:
        arrays = {k: z[k] for k in z.files}
    X = sp.csr_matrix(
        (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(arrays["shape"])
    )
    X.has_sorted_indices = True
    return X, arrays


def write_cached_csr(fname, X, **arrays) -> None:
    """Write a harness cache file (read back by :func:`read_cached_csr`): the CSR
    arrays of ``X`` and ``arrays``, to a temporary file renamed into place."""
    tmp = fname.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        data=X.data,
        indices=X.indices,
        indptr=X.indptr,
        shape=np.array(X.shape),
        **arrays,
    )
    tmp.replace(fname)


def read_cached_dense(fname):
    """``(X, arrays)``: the dense matrix ``X`` of a harness cache file (written by
    :func:`write_cached_dense`), and all its arrays."""
    with np.load(fname) as z:
        arrays = {k: z[k] for k in z.files}
    return np.ascontiguousarray(arrays["X"]), arrays


def write_cached_dense(fname, X, **arrays) -> None:
    """Write a harness cache file of a dense ``X`` (temporary file renamed into place)."""
    tmp = fname.with_suffix(".tmp.npz")
    np.savez(tmp, X=X, **arrays)
    tmp.replace(fname)


def read_cached_dataset(cls, fname, key: str, stat: str, description: str, stem: str):
    """A data set ``cls(key, X, y, <stat>, description, build_seconds, meta, stem)``
    read back from its cache file (CSR or dense); ``<stat>`` is the array ``stat``
    converted with the type of ``cls``'s field of that name (``float`` or ``int``)."""
    with np.load(fname) as z:
        dense = "X" in z.files
    X, z = read_cached_dense(fname) if dense else read_cached_csr(fname)
    convert = {"float": float, "int": int}[next(f.type for f in fields(cls) if f.name == stat)]
    return cls(
        key,
        X,
        z["y"],
        convert(z[stat]),
        description,
        float(z["build_seconds"]),
        json.loads(str(z["meta"])),
        stem,
    )


def read_record(fname, cls):
    """A ``cls`` dataclass read back from :func:`write_record`'s file; array fields stay
    arrays, scalar ones are converted with the field's type (``float``, ``int``,
    ``str``) as annotated."""
    convert = {"float": float, "int": int, "str": str}
    with np.load(fname) as z:
        return cls(**{f.name: convert.get(f.type, np.asarray)(z[f.name]) for f in fields(cls)})


def write_record(fname, record) -> None:
    """Write a dataclass of arrays and scalars as an ``.npz`` file (temporary file
    renamed into place, so an interrupted run leaves no partial cache entry)."""
    tmp = fname.with_suffix(".tmp.npz")
    np.savez(tmp, **asdict(record))
    tmp.replace(fname)


def load_dataset(key: str, quick: bool = False, verbose: bool = True) -> Dataset:
    spec = (QUICK_DATASETS if quick else DATASETS)[key]
    stem = f"{key}{'-quick' if quick else ''}-v{DATA_VERSION}-{spec_tag(spec)}"
    fname = cache_dir() / f"data-{stem}.npz"
    if fname.exists():
        return read_cached_dataset(Dataset, fname, key, "sigma_max_sq", DESCRIPTIONS[key], stem)
    if verbose:
        log(f"[data] building {key}{' (quick)' if quick else ''} -> {fname}")
    t0 = time.perf_counter()
    if isinstance(spec, SyntheticSpec):
        X, y = make_synthetic(spec)
    elif isinstance(spec, DenseSpec):
        X, y = make_dense(spec)
    else:
        X, y = make_imdb(spec)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    s2 = spectral_norm_sq(X)
    t_svd = time.perf_counter() - t0
    meta = {"spec": repr(spec), "svds_seconds": t_svd}
    if verbose:
        log(
            f"[data] {key}: {X.shape[0]} x {X.shape[1]}, "
            f"{'nnz ' + str(X.nnz) if sp.issparse(X) else 'dense'}, built in {t_build:.1f} s, "
            f"||X||_2^2 = {s2:.6g} ({t_svd:.1f} s)"
        )
    write = write_cached_dense if isinstance(spec, DenseSpec) else write_cached_csr
    write(fname, X, y=y, sigma_max_sq=s2, build_seconds=t_build, meta=json.dumps(meta))
    return Dataset(key, X, y, s2, DESCRIPTIONS[key], t_build, meta, stem)


# ----------------------------------------------------------------------------
# the lam grid of the path and cross-validation comparisons

# rho geometric from RHO_MAX down to RHO_MIN (lam = rho ||X||_2^2), as in the issue's
# reference measurement of glmnet and scikit-learn paths.
RHO_MAX, RHO_MIN = 10.0, 0.01
N_LAMS = 50


def grid_for(ds, n_lams=N_LAMS) -> np.ndarray:
    """The decreasing grid ``rho * ||X||_2^2``, rho geometric from 10 to 0.01."""
    return np.geomspace(RHO_MAX, RHO_MIN, n_lams) * ds.sigma_max_sq
