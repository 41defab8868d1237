"""Duplicate entries of a validated sparse matrix, summed exactly, and the CSC layout cd needs.

scipy's matrix with an entry stored more than once is the sum of the parts.
:func:`canonical_copy` replaces such a matrix by a duplicate-free copy whose
values are the exact sums rounded once (never summed part by part in the
data's dtype); :func:`canonical_csc` gives coordinate descent its sorted CSC
layout without changing a value.  Both return :class:`Compressed` copies and
never modify their input.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import scipy.sparse as sp

from .. import _kernels as K
from .._kernels import _duplicates as D
from .compressed import Compressed


def canonical_copy(Xv: Compressed, name: str = "X") -> Compressed:
    """A sorted copy of ``Xv`` without duplicates: each value the exact sum of its parts.

    The parts are summed in float64 pairs (error-free TwoSums,
    :func:`fastridge._kernels._duplicates.cs_sum_duplicates`; the rare group
    whose sum a pair cannot hold is redone with ``math.fsum``), so each value
    is the float64 nearest to the exact sum -- never a sum rounded part by part
    in the data's dtype, which can lose everything (``v + 1e17 - 1e17``).
    The copy keeps float32 data when every sum is exactly a float32, else it
    is float64; when some sum is not even a float64 (``0.1 + 0.2``) the copy
    is marked ``rounded`` (relative error at most ``u`` per entry: sums of
    floats are exact in the subnormal range).  Explicit zeros are kept.
    """
    indptr, indices, values, status, m = D.cs_sum_duplicates(Xv.indptr, Xv.indices, Xv.data)
    indices, values, status = indices[:m].copy(), values[:m].copy(), status[:m]
    redo = np.flatnonzero(status == D.SUM_REDO)
    if len(redo):
        major = np.searchsorted(indptr, redo, side="right") - 1
        slice_parts: dict[int, dict[int, list[float]]] = {}
        for pos, i in zip(redo, major, strict=True):
            if i not in slice_parts:  # one scan of each slice, however many groups redo
                sl = slice(Xv.indptr[i], Xv.indptr[i + 1])
                by_index: dict[int, list[float]] = {}
                for j, v in zip(Xv.indices[sl].tolist(), Xv.data[sl].astype(np.float64).tolist()):
                    by_index.setdefault(j, []).append(v)
                slice_parts[i] = by_index
            total, exact = _exact_sum(slice_parts[i][int(indices[pos])])
            if not math.isfinite(total):
                raise ValueError(f"{name} has duplicate entries whose sum overflows float64")
            values[pos] = total
            status[pos] = D.SUM_EXACT if exact else D.SUM_ROUNDED
    rounded = bool((status == D.SUM_ROUNDED).any())
    if Xv.dtype == np.float32 and not rounded:
        as32 = values.astype(np.float32)
        if np.array_equal(as32.astype(np.float64), values):
            values = as32
    return Compressed(Xv.format, Xv.shape, values, indices, indptr, rounded)


def _exact_sum(parts: list[float]) -> tuple[float, bool]:
    """The float64 nearest to ``sum(parts)`` and whether it is the exact sum.

    ``math.fsum`` is correctly rounded but raises ``OverflowError`` when a
    partial sum overflows even though the total is finite (``1e308 + 1e308 -
    1e308``); those groups are summed in exact rationals instead (slow, and
    only reached by such groups).  A total that is not finite is returned as
    ``inf`` (the caller refuses it).
    """
    try:
        total = math.fsum(parts)  # correctly rounded
        return total, math.fsum([*parts, -total]) == 0.0
    except OverflowError:
        pass
    exact = sum((Fraction(v) for v in parts), Fraction(0))
    try:
        total = float(exact)  # correctly rounded (Fraction.__float__ rounds to nearest)
    except OverflowError:
        return math.inf, False
    return total, Fraction(total) == exact


def conversion_rounds(data: np.ndarray) -> bool:
    """Whether casting integer or long-double ``data`` to float64 rounds some value.

    Integers up to ``2^53`` in magnitude are floats exactly (larger ones are
    flagged even when they happen to be exact: the flag only widens the
    certificate by the unit roundoff).  Booleans, float16 and float32 convert
    exactly.
    """
    if data.size == 0 or (data.dtype.itemsize <= 4 and data.dtype.kind in "fb"):
        return False
    if data.dtype.kind in "iu":
        return bool(data.max() > 2**53 or (data.dtype.kind == "i" and data.min() < -(2**53)))
    if data.dtype.kind == "f":  # float128 / long double
        return not np.array_equal(data.astype(np.float64).astype(data.dtype), data)
    return False


def _as_exact(values: np.ndarray) -> list:
    """Python ints (integer data) or Fractions (floating data) equal to ``values``."""
    if values.dtype.kind in "iub":
        return [int(v) for v in values]
    return [Fraction(*v.as_integer_ratio()) for v in values]


def canonical_copy_exact(Xv: Compressed, name: str = "X") -> Compressed:
    """:func:`canonical_copy` for integer or long-double data, summed in exact arithmetic.

    Each group of parts is summed as Python integers (or rationals) and rounded
    once to float64; ``rounded`` marks a copy where some sum is not a float64.
    Object arithmetic, O(nnz) Python operations: reached only by such data
    with duplicates.
    """
    n_major = len(Xv.indptr) - 1
    major = np.repeat(np.arange(n_major), np.diff(Xv.indptr))
    order = np.lexsort((Xv.indices, major))
    major, minor = major[order], Xv.indices[order]
    starts = np.flatnonzero(np.r_[True, (major[1:] != major[:-1]) | (minor[1:] != minor[:-1])])
    exact = np.empty(len(order), dtype=object)
    exact[:] = _as_exact(Xv.data[order])
    sums = np.add.reduceat(exact, starts) if len(starts) else exact[:0]
    values = np.empty(len(starts), dtype=np.float64)
    rounded = False
    for g, total in enumerate(sums):
        try:
            values[g] = float(total)  # correctly rounded (int and Fraction)
        except OverflowError:
            raise ValueError(f"{name} has duplicate entries whose sum overflows float64") from None
        if not math.isfinite(values[g]):
            raise ValueError(f"{name} has duplicate entries whose sum overflows float64")
        rounded = rounded or Fraction(values[g]) != total
    indptr = np.zeros(n_major + 1, dtype=np.int64)
    np.cumsum(np.bincount(major[starts], minlength=n_major), out=indptr[1:])
    indices = np.ascontiguousarray(minor[starts])
    if indices.dtype != np.int64 and indptr[-1] <= np.iinfo(indices.dtype).max:
        indptr = indptr.astype(indices.dtype)
    else:
        indices = indices.astype(np.int64)
    return Compressed(Xv.format, Xv.shape, values, indices, indptr, rounded)


def canonical_csc(Xv: Compressed) -> Compressed:
    """CSC with strictly sorted indices, as coordinate descent needs (copies when it must).

    ``Xv`` comes from :func:`check_X`, which has already summed duplicates
    exactly (:func:`canonical_copy`); so only the layout changes here, never a
    value (scipy's ``sum_duplicates`` would sum in the data's dtype).
    """
    if Xv.format == "csc" and K.cs_is_strictly_sorted(Xv.indptr, Xv.indices):
        return Xv
    if D.cs_has_duplicates(Xv.indptr, Xv.indices, Xv.shape[1 if Xv.format == "csr" else 0]):
        Xv = canonical_copy(Xv)  # not reached through check_X
        if Xv.format == "csc":
            return Xv
    cls = sp.csr_matrix if Xv.format == "csr" else sp.csc_matrix
    M = cls((Xv.data, Xv.indices, Xv.indptr), shape=Xv.shape)
    M = M.tocsc() if Xv.format == "csr" else M.copy()  # copy of X
    M.sort_indices()
    return Compressed("csc", Xv.shape, M.data, M.indices, M.indptr, Xv.rounded)
