"""Numba kernels that find and sum duplicate entries of a compressed matrix.

scipy's meaning of a stored structure is that duplicates *add up*: the matrix
is the exact sum of its parts.  :func:`cs_has_duplicates` detects repeated
``(major, minor)`` pairs (unsorted indices alone are not duplicates);
:func:`cs_sum_duplicates` sums them with error-free transformations, so that
each summed value is the float64 nearest to the exact sum of its parts
(``fastridge._fit.duplicates.canonical_copy``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Per output entry: the exact sum is the stored float64 value.
SUM_EXACT = 0
#: The exact sum is not a float64: the stored value is its nearest float64.
SUM_ROUNDED = 1
#: The double-double accumulation lost bits or overflowed: redo (in Python).
SUM_REDO = 2


@njit(cache=True, nogil=True)
def cs_has_duplicates(indptr, indices, n_minor):
    """True when some slice stores one minor index twice (unsorted indices are fine).

    Sorted slices cost one comparison per entry; an unsorted slice is checked
    with a marker array of length ``n_minor`` (allocated on first need).
    """
    n_major = indptr.shape[0] - 1
    mark = np.empty(0, dtype=np.int64)
    for i in range(n_major):
        lo, hi = indptr[i], indptr[i + 1]
        ordered = True
        for k in range(lo + 1, hi):
            if indices[k] <= indices[k - 1]:
                if indices[k] == indices[k - 1]:
                    return True
                ordered = False
                break
        if ordered:
            continue
        if mark.shape[0] == 0:
            mark = np.full(n_minor, -1, dtype=np.int64)
        for k in range(lo, hi):
            j = indices[k]
            if mark[j] == i:
                return True
            mark[j] = i
    return False


@njit(cache=True, inline="always")
def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


@njit(cache=True, nogil=True)
def cs_sum_duplicates(indptr, indices, data):
    """Sorted, duplicate-free copy: ``(indptr, indices, values, status, nnz)``.

    Each slice is sorted by minor index and each group of equal indices is
    summed in float64 pairs: ``(hi, lo) <- hi + lo + x`` with three TwoSums,
    which is exact unless the pair cannot hold the sum (more than 106 bits of
    spread), when the group is marked ``SUM_REDO``.  Otherwise ``hi + lo`` is
    the exact sum and ``hi = fl(hi + lo)`` its nearest float64 (``SUM_EXACT``
    when ``lo == 0``, else ``SUM_ROUNDED``).  Only the first ``nnz`` entries of
    the returned arrays are used.
    """
    n_major = indptr.shape[0] - 1
    nnz_in = indptr[n_major]
    out_ptr = np.zeros(n_major + 1, dtype=indptr.dtype)
    out_idx = np.empty(nnz_in, dtype=indices.dtype)
    out_val = np.empty(nnz_in, dtype=np.float64)
    status = np.zeros(nnz_in, dtype=np.int8)
    m = 0
    for i in range(n_major):
        lo_k, hi_k = indptr[i], indptr[i + 1]
        if hi_k > lo_k:
            order = np.argsort(indices[lo_k:hi_k], kind="mergesort")
            k = 0
            length = hi_k - lo_k
            while k < length:
                j = indices[lo_k + order[k]]
                hi = np.float64(data[lo_k + order[k]])
                lo = 0.0
                redo = False
                k += 1
                while k < length and indices[lo_k + order[k]] == j:
                    x = np.float64(data[lo_k + order[k]])
                    s, e = _two_sum(hi, x)
                    t, f = _two_sum(lo, e)
                    hi, lo = _two_sum(s, t)
                    if f != 0.0:
                        redo = True
                    k += 1
                if not (np.isfinite(hi) and np.isfinite(lo)):
                    redo = True
                out_idx[m] = j
                out_val[m] = hi
                if redo:
                    status[m] = SUM_REDO
                elif lo != 0.0:
                    status[m] = SUM_ROUNDED
                m += 1
        out_ptr[i + 1] = m
    return out_ptr, out_idx, out_val, status, m
