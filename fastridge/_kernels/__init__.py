"""Numba kernels (layer 1 of docs/architecture.md, "3. Layers"): arrays in, arrays out.

Nothing here knows about centring, weights or solvers; see
:mod:`fastridge._operators.design` for the design operator built on these.
"""

from __future__ import annotations

import numpy as np

from ._compressed import (
    _reduce_acc,
    _reduce_acc_multi,
    _reduce_acc_multi_serial,
    _reduce_acc_serial,
    cs_gram,
    cs_gram_multi,
    cs_gram_multi_serial,
    cs_gram_serial,
    cs_gram_xv,
    cs_gram_xv_serial,
    cs_is_strictly_sorted,
    cs_major_dot,
    cs_major_dot_multi,
    cs_major_dot_multi_serial,
    cs_major_dot_serial,
    cs_major_scatter,
    cs_major_scatter_multi,
    cs_major_scatter_multi_serial,
    cs_major_scatter_serial,
    cs_major_sq_norms,
    cs_major_sq_norms_serial,
    cs_minor_sums,
    cs_minor_sums_serial,
    cs_moments_dot,
    cs_moments_dot_serial,
    cs_moments_scatter,
    cs_moments_scatter_serial,
    cs_outer_gram,
    cs_outer_gram_serial,
)
from ._dense import (
    dense_col_sums,
    dense_col_sums_serial,
    dense_dot,
    dense_dot_multi,
    dense_dot_multi_serial,
    dense_dot_serial,
    dense_gram,
    dense_gram_multi,
    dense_gram_multi_serial,
    dense_gram_serial,
    dense_gram_xv,
    dense_gram_xv_serial,
    dense_moments,
    dense_moments_serial,
    dense_row_sq_norms,
    dense_row_sq_norms_serial,
    dense_scatter,
    dense_scatter_multi,
    dense_scatter_multi_serial,
    dense_scatter_serial,
)
from ._logistic_cd import logistic_cd_epoch_csc as logistic_cd_epoch_csc
from ._logistic_cd import logistic_cd_epoch_dense as logistic_cd_epoch_dense
from ._logistic_grad import (
    csr_logistic_grad,
    csr_logistic_grad_serial,
    dense_logistic_grad,
    dense_logistic_grad_serial,
)
from ._multishift import multishift_update, multishift_update_serial
from ._softmax import (
    csc_grad_diag,
    csc_grad_diag_serial,
    csr_grad_diag,
    csr_grad_diag_serial,
    csr_softmax_hessp,
    csr_softmax_hessp_serial,
    dense_grad_diag,
    dense_grad_diag_serial,
    dense_softmax_hessp,
    dense_softmax_hessp_serial,
)
from ._validate import check_compressed_structure, first_non_finite, max_abs

#: Every ``parallel=True`` kernel and its single-threaded twin (same source,
#: ``prange`` run as ``range``, made by :func:`._compressed.serial_clone` next
#: to the kernel).  Callers name the parallel kernel and ask :func:`threaded`
#: for the one to run; a new parallel kernel gets its twin here.
SERIAL = {
    _reduce_acc: _reduce_acc_serial,
    _reduce_acc_multi: _reduce_acc_multi_serial,
    cs_major_dot: cs_major_dot_serial,
    cs_major_dot_multi: cs_major_dot_multi_serial,
    cs_major_scatter: cs_major_scatter_serial,
    cs_major_scatter_multi: cs_major_scatter_multi_serial,
    cs_gram: cs_gram_serial,
    cs_gram_xv: cs_gram_xv_serial,
    cs_gram_multi: cs_gram_multi_serial,
    cs_major_sq_norms: cs_major_sq_norms_serial,
    cs_minor_sums: cs_minor_sums_serial,
    cs_moments_scatter: cs_moments_scatter_serial,
    cs_moments_dot: cs_moments_dot_serial,
    cs_outer_gram: cs_outer_gram_serial,
    dense_dot: dense_dot_serial,
    dense_dot_multi: dense_dot_multi_serial,
    dense_scatter: dense_scatter_serial,
    dense_scatter_multi: dense_scatter_multi_serial,
    dense_gram: dense_gram_serial,
    dense_gram_xv: dense_gram_xv_serial,
    dense_gram_multi: dense_gram_multi_serial,
    dense_row_sq_norms: dense_row_sq_norms_serial,
    dense_col_sums: dense_col_sums_serial,
    dense_moments: dense_moments_serial,
    csr_softmax_hessp: csr_softmax_hessp_serial,
    dense_softmax_hessp: dense_softmax_hessp_serial,
    csr_grad_diag: csr_grad_diag_serial,
    dense_grad_diag: dense_grad_diag_serial,
    csc_grad_diag: csc_grad_diag_serial,
    multishift_update: multishift_update_serial,
    dense_logistic_grad: dense_logistic_grad_serial,
    csr_logistic_grad: csr_logistic_grad_serial,
}


def threaded(kernel, n_threads: int):
    """``kernel`` when ``n_threads > 1``, else its serial twin from :data:`SERIAL`."""
    return kernel if n_threads > 1 else SERIAL[kernel]


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
    "SERIAL",
    "check_compressed_structure",
    "cs_gram",
    "cs_gram_multi",
    "cs_gram_xv",
    "cs_is_strictly_sorted",
    "cs_major_dot",
    "cs_major_dot_multi",
    "cs_major_scatter",
    "cs_major_scatter_multi",
    "cs_major_sq_norms",
    "cs_minor_sums",
    "cs_moments_dot",
    "cs_moments_scatter",
    "cs_outer_gram",
    "csc_grad_diag",
    "csr_grad_diag",
    "csr_logistic_grad",
    "csr_softmax_hessp",
    "dense_col_sums",
    "dense_dot",
    "dense_dot_multi",
    "dense_grad_diag",
    "dense_gram",
    "dense_gram_multi",
    "dense_gram_xv",
    "dense_logistic_grad",
    "dense_moments",
    "dense_row_sq_norms",
    "dense_scatter",
    "dense_scatter_multi",
    "dense_softmax_hessp",
    "first_non_finite",
    "logistic_cd_epoch_csc",
    "logistic_cd_epoch_dense",
    "max_abs",
    "multishift_update",
    "partition",
    "partition_dense",
    "threaded",
]
