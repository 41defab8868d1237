"""Sparse-format conversion that keeps every stored entry (numpy and scipy only).

scipy's COO-to-CSR conversion sums duplicate entries in the data's dtype, part
by part, which can lose everything (``1e20 + v - 1e20`` is 0); fastridge sums
them exactly at validation instead, so every reader and the validation layer
convert with :func:`coo_to_csr`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def coo_to_csr(X) -> sp.csr_matrix:
    """CSR with the same stored entries as a COO ``X``, in a new ``indptr`` and copies
    of ``data`` and ``col`` (scipy's ``tocsr`` would sum duplicates in the data's
    dtype; ``fastridge._fit.duplicates.canonical_copy`` sums them exactly).

    A row index outside ``[0, n)`` raises ``ValueError`` (scipy's ``tocsr``
    does not check it and writes out of bounds); column indices are checked
    by the caller's structure check.
    """
    n = X.shape[0]
    row, col = np.asarray(X.row), np.asarray(X.col)
    if row.ndim != 1 or row.shape != col.shape or row.shape != np.shape(X.data):
        raise ValueError("X is a malformed COO matrix: row, col and data differ in length")
    if row.dtype.kind not in "iu" or col.dtype.kind not in "iu":
        raise TypeError("X has non-integer row or column indices")
    if row.size and (row.min() < 0 or row.max() >= n):
        # scipy's tocsr does not check and writes out of bounds
        bad = int(np.flatnonzero((row < 0) | (row >= n))[0])
        raise ValueError(
            f"X has a broken sparse structure: stored entry {bad} has a row index outside [0, {n})"
        )
    order = np.argsort(row, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=indptr[1:])
    return sp.csr_matrix((X.data[order], col[order], indptr), shape=X.shape)


#: Integers up to this magnitude are float64 values exactly (53-bit significand).
FLOAT64_EXACT_INT = 2**53


def inexact_in_float64(values: np.ndarray) -> bool:
    """Whether casting integer ``values`` to float64 would round some of them.

    Only integers beyond ``2^53`` in magnitude can round; those are checked
    one by one (rare).  Non-integer arrays give False (float16/32/64 convert
    exactly; long doubles are not accepted by the readers).
    """
    if values.dtype.kind not in "iu" or values.size == 0:
        return False
    a = values.ravel()
    big = a > FLOAT64_EXACT_INT
    if a.dtype.kind == "i":
        big |= a < -FLOAT64_EXACT_INT
    return any(int(float(v)) != int(v) for v in a[big])
