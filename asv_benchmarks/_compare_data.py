"""Data sets and reference optima for the side-by-side ridge comparison.

Used by ``compare_ridge.py``. Everything here is deterministic (fixed seeds) and
cached as uncompressed ``.npz`` files under ``$FASTRIDGE_BENCH_CACHE`` (default
``~/.cache/fastridge-bench``), so a case is built once per machine.

Objective (DESIGN.md section 1, unit weights)::

    P(w, b) = 1/2 * sum_i (y_i - x_i.w - b)^2 + lam/2 * ||w||^2

``lam = rho * ||X||_2^2`` where ``||X||_2`` is the largest singular value of the
*raw* (uncentred) X, also when the intercept is on.  For the synthetic cases the
values are standard normal (mean zero), so centring barely changes ``||X||_2``; for
the TF-IDF cases (positive values) the raw norm is dominated by the mean direction and
is larger than the centred one.

The reference optimum is computed independently of fastridge: Jacobi-preconditioned
CG on the normal equations of the intercept-profiled problem (implicit centring, X is
never copied or densified), using scipy's sparse products.  It stops on the exact
ridge certificate ``P(w) - P* <= ||grad P(w)||^2 / (2 lam)`` (the profiled objective is
lam-strongly convex), evaluated with a freshly computed gradient, so the reference
carries its own bound on how far it is from the true optimum.
"""

from __future__ import annotations

import json
import os
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

# Bump when a generator changes: it is part of every cache file name.
DATA_VERSION = 2

# ----------------------------------------------------------------------------
# locations


def _say(msg: str, flush: bool = True) -> None:
    print(msg, file=sys.stderr, flush=flush)


def cache_dir() -> Path:
    d = Path(os.environ.get("FASTRIDGE_BENCH_CACHE", Path.home() / ".cache" / "fastridge-bench"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def data_dir() -> Path:
    env = os.environ.get("FASTRIDGE_DATA")
    if env:
        return Path(env)
    # asv_benchmarks/_compare_data.py -> repo root -> its parent holds shared/data
    return Path(__file__).resolve().parents[2] / "shared" / "data"


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
class ImdbSpec:
    ngram_max: int  # 1: unigrams, 2: 1-2-grams
    min_df: int
    subsample: int | None = None  # quick mode: this many random train documents


DATASETS: dict[str, object] = {
    "A": SyntheticSpec(n=200_000, p=100_000, nnz_per_row=100, seed=1),
    "B": SyntheticSpec(n=20_000, p=500_000, nnz_per_row=50, seed=2),
    "C1": ImdbSpec(ngram_max=1, min_df=1),
    "C2": ImdbSpec(ngram_max=2, min_df=2),
}

QUICK_DATASETS: dict[str, object] = {
    "A": SyntheticSpec(n=2_000, p=1_000, nnz_per_row=20, seed=1),
    "B": SyntheticSpec(n=300, p=5_000, nnz_per_row=20, seed=2),
    "C1": ImdbSpec(ngram_max=1, min_df=1, subsample=600),
    "C2": ImdbSpec(ngram_max=2, min_df=2, subsample=600),
}

DESCRIPTIONS = {
    "A": "synthetic, Zipf columns, N(0,1) values",
    "B": "synthetic, Zipf columns, N(0,1) values",
    "C1": "IMDB train TF-IDF unigrams -> rating",
    "C2": "IMDB train TF-IDF 1-2-grams (min_df=2) -> rating",
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
    return cases


# ----------------------------------------------------------------------------
# the data sets


@dataclass
class Dataset:
    key: str
    X: sp.csr_matrix
    y: np.ndarray
    sigma_max_sq: float  # ||X||_2^2 of the raw X
    description: str
    build_seconds: float = 0.0
    meta: dict = field(default_factory=dict)
    cache_stem: str = ""

    @property
    def shape(self):
        return self.X.shape

    @property
    def nnz(self):
        return int(self.X.nnz)


def _spec_tag(spec) -> str:
    text = repr(spec)
    return f"{zlib.crc32(text.encode()):08x}"


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
    k = spec.nnz_per_row
    while k < 10 * spec.nnz_per_row and np.sum(-np.expm1(k * np.log1p(-q))) < spec.nnz_per_row:
        k += 1
    perm = rng0.permutation(p).astype(np.int32)
    w_true = rng0.standard_normal(p) / np.sqrt(spec.nnz_per_row)

    indptr = np.zeros(n + 1, dtype=np.int64)
    idx_parts, val_parts = [], []
    for c, start in enumerate(range(0, n, 10_000)):
        stop = min(n, start + 10_000)
        rng = np.random.default_rng(chunk_seeds[c])
        m = stop - start
        ranks = np.searchsorted(cdf, rng.random((m, k)), side="right")
        np.minimum(ranks, p - 1, out=ranks)
        cols = np.sort(perm[ranks], axis=1)
        keep = np.ones((m, k), dtype=bool)
        keep[:, 1:] = cols[:, 1:] != cols[:, :-1]
        counts = keep.sum(axis=1)
        indptr[start + 1 : stop + 1] = counts
        idx_parts.append(cols[keep].astype(np.int32))
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
        return float(np.linalg.norm(X.toarray(), 2) ** 2)
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


def load_dataset(key: str, quick: bool = False, verbose: bool = True) -> Dataset:
    spec = (QUICK_DATASETS if quick else DATASETS)[key]
    stem = f"{key}{'-quick' if quick else ''}-v{DATA_VERSION}-{_spec_tag(spec)}"
    fname = cache_dir() / f"data-{stem}.npz"
    if fname.exists():
        X, z = read_cached_csr(fname)
        return Dataset(
            key,
            X,
            z["y"],
            float(z["sigma_max_sq"]),
            DESCRIPTIONS[key],
            float(z["build_seconds"]),
            json.loads(str(z["meta"])),
            stem,
        )
    if verbose:
        _say(f"[data] building {key}{' (quick)' if quick else ''} -> {fname}", flush=True)
    t0 = time.perf_counter()
    if isinstance(spec, SyntheticSpec):
        X, y = make_synthetic(spec)
    else:
        X, y = make_imdb(spec)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    s2 = spectral_norm_sq(X)
    t_svd = time.perf_counter() - t0
    meta = {"spec": repr(spec), "svds_seconds": t_svd}
    if verbose:
        _say(
            f"[data] {key}: {X.shape[0]} x {X.shape[1]}, nnz {X.nnz}, built in {t_build:.1f} s, "
            f"||X||_2^2 = {s2:.6g} ({t_svd:.1f} s)",
            flush=True,
        )
    write_cached_csr(fname, X, y=y, sigma_max_sq=s2, build_seconds=t_build, meta=json.dumps(meta))
    return Dataset(key, X, y, s2, DESCRIPTIONS[key], t_build, meta, stem)


# ----------------------------------------------------------------------------
# objective and reference optimum


def objective(X, y, lam: float, coef, intercept: float) -> float:
    r = y - X @ coef
    if intercept != 0.0:
        r -= intercept
    return 0.5 * float(np.dot(r, r)) + 0.5 * lam * float(np.dot(coef, coef))


def null_objective(y, fit_intercept: bool) -> float:
    """Objective of the best intercept-only model (w = 0)."""
    r = y - y.mean() if fit_intercept else y
    return 0.5 * float(np.dot(r, r))


@dataclass
class Reference:
    coef: np.ndarray
    intercept: float
    p_star: float  # P(coef, intercept) of the reference point (>= true optimum)
    gap: float  # certificate: P(coef, intercept) - P_true* <= gap
    p_null: float
    n_iter: int
    seconds: float


def _pcg_reference(X, y, lam, fit_intercept, rel_gap=1e-13, max_iter=100_000, verbose=True):
    n, p = X.shape
    Xt = X.T  # CSC view, no copy
    if fit_intercept:
        mu = np.asarray(Xt @ np.ones(n)) / n
        yc = y - y.mean()
    else:
        mu = np.zeros(p)
        yc = y

    def centred_xv(v):
        t = X @ v
        if fit_intercept:
            t -= t.mean()
        return t

    def hess(v):  # (Xc^T Xc + lam I) v ; Xc^T u = X^T u when sum(u) = 0
        return Xt @ centred_xv(v) + lam * v

    rhs = Xt @ yc
    colsq = np.bincount(X.indices, weights=X.data * X.data, minlength=p)
    if fit_intercept:
        colsq = colsq - n * mu * mu
    dinv = 1.0 / (np.maximum(colsq, 0.0) + lam)

    def full_objective(w):
        r = yc - centred_xv(w)
        return 0.5 * float(np.dot(r, r)) + 0.5 * lam * float(np.dot(w, w))

    w = np.zeros(p)
    r = rhs.copy()  # r = rhs - H w = -grad
    z = dinv * r
    d = z.copy()
    rz = float(np.dot(r, z))
    check_every = 25
    best_gap, best_at = np.inf, 0
    gap = np.inf
    it = 0
    for it in range(1, max_iter + 1):
        hd = hess(d)
        alpha = rz / float(np.dot(d, hd))
        w += alpha * d
        r -= alpha * hd
        if it % check_every == 0:
            r = rhs - hess(w)  # residual replacement: true (negative) gradient
            gap = float(np.dot(r, r)) / (2.0 * lam)
            P = full_objective(w)
            if verbose and it % (check_every * 20) == 0:
                _say(f"[ref]   it {it}: gap/P = {gap / P:.3e}", flush=True)
            if gap <= rel_gap * P:
                break
            if gap < 0.5 * best_gap:
                best_gap, best_at = gap, it
            elif it - best_at > 2000:
                _say(f"[ref]   stagnated at gap/P = {gap / P:.3e}", flush=True)
                break
        z = dinv * r
        rz_new = float(np.dot(r, z))
        d *= rz_new / rz
        d += z
        rz = rz_new
    b = float(y.mean() - mu @ w) if fit_intercept else 0.0
    g = rhs - hess(w)
    gap = float(np.dot(g, g)) / (2.0 * lam)
    return w, b, gap, it


def reference(ds: Dataset, lam: float, fit_intercept: bool, verbose=True) -> Reference:
    fname = cache_dir() / f"ref-{ds.cache_stem}-{float(lam).hex()}-{int(fit_intercept)}.npz"
    if fname.exists():
        with np.load(fname) as z:
            return Reference(
                z["coef"],
                float(z["intercept"]),
                float(z["p_star"]),
                float(z["gap"]),
                float(z["p_null"]),
                int(z["n_iter"]),
                float(z["seconds"]),
            )
    if verbose:
        _say(
            f"[ref] computing reference for {ds.key} lam={lam:.6g} intercept={fit_intercept}",
            flush=True,
        )
    t0 = time.perf_counter()
    w, b, gap, it = _pcg_reference(ds.X, ds.y, lam, fit_intercept, verbose=verbose)
    seconds = time.perf_counter() - t0
    p_star = objective(ds.X, ds.y, lam, w, b)
    p_null = null_objective(ds.y, fit_intercept)
    if verbose:
        _say(
            f"[ref] done in {seconds:.1f} s, {it} PCG iterations, P* = {p_star:.12g}, "
            f"certificate/P* = {gap / p_star:.2e}",
            flush=True,
        )
    tmp = fname.with_suffix(".tmp.npz")
    np.savez(
        tmp, coef=w, intercept=b, p_star=p_star, gap=gap, p_null=p_null, n_iter=it, seconds=seconds
    )
    tmp.replace(fname)
    return Reference(w, b, p_star, gap, p_null, it, seconds)
