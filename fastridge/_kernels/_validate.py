"""O(nnz) checks run before any kernel touches memory.

A kernel indexing with a corrupt ``indptr`` or an out-of-range column index
would read or write outside its arrays (Numba does no bounds checks), so the
API layer calls these first and turns their codes into clear errors.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Codes returned by :func:`check_compressed_structure`.
STRUCTURE_OK = 0
INDPTR_START_NOT_ZERO = 1
INDPTR_DECREASING = 2
INDPTR_END_MISMATCH = 3
INDEX_OUT_OF_RANGE = 4


@njit(cache=True, nogil=True)
def check_compressed_structure(indptr, indices, n_minor, n_data):
    """Validate a CSR/CSC structure; return ``(code, position)``.

    Checks, in order: ``indptr[0] == 0``; ``indptr`` non-decreasing;
    ``indptr[-1]`` equal to the number of stored entries (``len(indices)`` and
    ``len(data)``, passed as ``n_data``); every index in ``[0, n_minor)``.
    ``position`` locates the first violation (slice or entry number).
    """
    n_major = indptr.shape[0] - 1
    if indptr[0] != 0:
        return INDPTR_START_NOT_ZERO, 0
    for i in range(n_major):
        if indptr[i + 1] < indptr[i]:
            return INDPTR_DECREASING, i
    nnz = indptr[n_major]
    if nnz != indices.shape[0] or nnz != n_data:
        return INDPTR_END_MISMATCH, n_major
    for k in range(nnz):
        j = indices[k]
        if j < 0 or j >= n_minor:
            return INDEX_OUT_OF_RANGE, k
    return STRUCTURE_OK, -1


@njit(cache=True, nogil=True)
def first_non_finite(values):
    """Index of the first NaN or +-inf in the flat array ``values``, or -1."""
    flat = values.ravel()
    for k in range(flat.shape[0]):
        if not np.isfinite(flat[k]):
            return k
    return -1


@njit(cache=True, nogil=True)
def max_abs(values):
    """``max |values|`` over the flat array (0 when empty), accumulated in float64."""
    flat = values.ravel()
    best = 0.0
    for k in range(flat.shape[0]):
        a = abs(np.float64(flat[k]))
        if a > best:
            best = a
    return best
