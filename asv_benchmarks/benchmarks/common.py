"""Shared helpers for the fastridge asv benchmarks (no benchmarks in this module).

Sizes
-----
Every benchmark module takes its problem sizes from :func:`size`, which returns the
full size normally and a tiny one when the environment variable
``FASTRIDGE_ASV_SMOKE=1`` is set (``asv_benchmarks/smoke.py`` sets it), so the same
code is exercised by CI in seconds.

Data
----
Synthetic matrices come from :func:`synthetic_csr`: deterministic (fixed seed), about
``nnz_per_row`` distinct columns per row drawn with Zipf-like frequencies
``~ 1 / (rank + 10)^1.1`` where the rank is a fixed random permutation of the columns
(frequent columns are spread out, as in an alphabetic vocabulary).  Real data sets are
read from ``$FASTRIDGE_DATA`` or ``<repo root>/../shared/data``; a benchmark whose
file is absent raises ``NotImplementedError`` in ``setup`` (asv's way to skip).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .sampling import draws_per_row, row_columns

SMOKE = os.environ.get("FASTRIDGE_ASV_SMOKE", "") not in ("", "0")


def size(full, smoke):
    """``full`` in a real run, ``smoke`` under ``FASTRIDGE_ASV_SMOKE=1``."""
    return smoke if SMOKE else full


def data_dir() -> Path:
    """Folder of the shared real data sets (``$FASTRIDGE_DATA`` overrides)."""
    env = os.environ.get("FASTRIDGE_DATA")
    if env:
        return Path(env)
    # asv_benchmarks/benchmarks/common.py -> parents[2] is the repository root,
    # parents[3] the folder that holds it and shared/.
    return Path(__file__).resolve().parents[3] / "shared" / "data"


def data_file(name: str) -> Path:
    """Path of a shared data file; ``NotImplementedError`` (asv: skip) when absent."""
    path = data_dir() / name
    if not path.is_file():
        raise NotImplementedError(f"{path} not found (set FASTRIDGE_DATA)")
    return path


@functools.lru_cache(maxsize=4)
def synthetic_csr(n: int, p: int, nnz_per_row: int, seed: int = 0) -> sp.csr_matrix:
    """Deterministic CSR float64 matrix, int32 indices, sorted and without duplicates.

    Each row draws ``k`` columns (``k`` chosen so that the expected number of distinct
    ones is ``nnz_per_row``) with Zipf-like probabilities; values are N(0, 1).
    Cached per process: callers must not modify the result.
    """
    rng = np.random.default_rng(seed)
    q = (np.arange(p, dtype=np.float64) + 10.0) ** -1.1
    q /= q.sum()
    cdf = np.cumsum(q)
    cdf /= cdf[-1]
    k = draws_per_row(q, nnz_per_row, min(nnz_per_row, p))
    perm = rng.permutation(p).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    idx_parts, val_parts = [], []
    chunk = 20_000
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        m = stop - start
        cols, counts = row_columns(rng, cdf, perm, m, k)
        indptr[start + 1 : stop + 1] = counts
        idx_parts.append(cols)
        val_parts.append(rng.standard_normal(idx_parts[-1].shape[0]))
    np.cumsum(indptr, out=indptr)
    X = sp.csr_matrix(
        (np.concatenate(val_parts), np.concatenate(idx_parts), indptr.astype(np.int32)),
        shape=(n, p),
    )
    X.has_sorted_indices = True
    X.data.flags.writeable = False
    X.indices.flags.writeable = False
    X.indptr.flags.writeable = False
    return X


def synthetic_target(X, seed: int = 1, noise: float = 0.5) -> np.ndarray:
    """``y = X w* + 0.5 + noise``, with ``X w*`` of about unit variance."""
    rng = np.random.default_rng(seed)
    nnz_per_row = max(1.0, X.nnz / X.shape[0])
    w = rng.standard_normal(X.shape[1]) / np.sqrt(nnz_per_row)
    return X @ w + 0.5 + noise * rng.standard_normal(X.shape[0])


def spectral_norm_sq(X, n_iter: int = 30, seed: int = 0) -> float:
    """``||X||_2^2`` estimated by a fixed number of power iterations (deterministic).

    Used only to scale the penalty ``lam = rho * ||X||_2^2``; a few digits suffice.
    """
    v = np.random.default_rng(seed).standard_normal(X.shape[1])
    v /= np.linalg.norm(v)
    s = 0.0
    for _ in range(n_iter):
        w = X.T @ (X @ v)
        s = float(np.linalg.norm(w))
        if s == 0.0:
            return 0.0
        v = w / s
    return s


def median_seconds(fn, repeat: int) -> float:
    """Median wall time of ``repeat`` calls of ``fn()``."""
    import time

    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))
