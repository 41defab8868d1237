"""Numba kernels (layer 1 of DESIGN.md section 3): arrays in, arrays out.

Nothing here knows about centring, weights or solvers; see
:mod:`fastridge._operators.design` for the design operator built on these.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ._compressed import (
    cs_gram,
    cs_gram_multi,
    cs_is_strictly_sorted,
    cs_major_dot,
    cs_major_dot_multi,
    cs_major_scatter,
    cs_major_scatter_multi,
    cs_major_sq_norms,
    cs_minor_sums,
)
from ._dense import (
    dense_col_sums,
    dense_dot,
    dense_dot_multi,
    dense_gram,
    dense_gram_multi,
    dense_row_sq_norms,
    dense_scatter,
    dense_scatter_multi,
)
from ._logistic_cd import logistic_cd_epoch_csc as logistic_cd_epoch_csc
from ._logistic_cd import logistic_cd_epoch_dense as logistic_cd_epoch_dense
from ._validate import check_compressed_structure, first_non_finite, max_abs

_PRODUCT_KERNELS = (
    "cs_gram_xv",
    "cs_major_dot",
    "cs_major_dot_multi",
    "cs_major_scatter",
    "cs_major_scatter_multi",
    "cs_gram",
    "cs_gram_multi",
    "cs_major_sq_norms",
    "cs_minor_sums",
    "dense_dot",
    "dense_dot_multi",
    "dense_scatter",
    "dense_scatter_multi",
    "dense_gram",
    "dense_gram_multi",
    "dense_gram_xv",
    "dense_row_sq_norms",
    "dense_col_sums",
    "cs_moments_scatter",
    "cs_moments_dot",
    "dense_moments",
    "cs_outer_gram",
)


def _namespace(suffix: str) -> SimpleNamespace:
    from . import _compressed, _dense

    def get(name):
        mod = _compressed if name.startswith("cs_") else _dense
        return getattr(mod, name + suffix)

    return SimpleNamespace(**{name: get(name) for name in _PRODUCT_KERNELS})


#: The product kernels with ``parallel=True`` (the names above).
parallel = _namespace("")
#: Their single-threaded twins (same source, ``prange`` as ``range``).
serial = _namespace("_serial")


def partition(indptr: np.ndarray, n_threads: int) -> np.ndarray:
    """Static split of the major axis into ``n_threads`` slices of about equal nnz.

    Returns ``bounds`` (int64, length ``n_threads + 1``): thread ``t`` owns
    slices ``bounds[t]:bounds[t + 1]``.  A slice costs its nnz plus one, so
    empty rows still count.  The split depends only on the structure and the
    thread count, which makes every scatter kernel deterministic.
    """
    n_major = indptr.shape[0] - 1
    cost = indptr.astype(np.int64) + np.arange(n_major + 1, dtype=np.int64)
    targets = np.linspace(0, cost[-1], n_threads + 1)
    bounds = np.searchsorted(cost, targets, side="left").astype(np.int64)
    bounds[0] = 0
    bounds[-1] = n_major
    return np.maximum.accumulate(bounds)


def partition_dense(n_rows: int, n_threads: int) -> np.ndarray:
    """Static split of ``n_rows`` dense rows into ``n_threads`` equal slices."""
    return np.linspace(0, n_rows, n_threads + 1).astype(np.int64)


__all__ = [
    "check_compressed_structure",
    "cs_gram",
    "cs_gram_multi",
    "cs_is_strictly_sorted",
    "cs_major_dot",
    "cs_major_dot_multi",
    "cs_major_scatter",
    "cs_major_scatter_multi",
    "cs_major_sq_norms",
    "cs_minor_sums",
    "dense_col_sums",
    "dense_dot",
    "dense_dot_multi",
    "dense_gram",
    "dense_gram_multi",
    "dense_row_sq_norms",
    "dense_scatter",
    "dense_scatter_multi",
    "first_non_finite",
    "max_abs",
    "parallel",
    "partition",
    "partition_dense",
    "serial",
]
