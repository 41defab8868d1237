"""Numba kernels on a dense C-contiguous matrix ``X`` (n, p).

The same products as :mod:`fastridge._kernels._compressed` for CSR (rows are
the major axis), with float64 accumulation also for float32 ``X`` (BLAS would
accumulate float32 products in float32) and the same static per-thread
partition of rows, so results are reproducible for a given thread count.
Row dot products are sums of 8 interleaved partial sums (:func:`_row_dot`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._compressed import _REDUCERS, _reduce_acc, _reduce_acc_multi, _zero_row, serial_clone

# Independent partial sums of a row's dot product.  One running sum is a chain
# of dependent additions (4 cycles each, and without fastmath LLVM may not
# reorder them); 8 chains fill the adder pipeline: the fused Gram pass on a
# 20,000 x 400 float64 X went from 10.1 to 4.9 ms (2 threads), 20,000 x 1,000
# float32 from 21 to 10 ms.  The combination order is fixed, so the result
# does not depend on threads.
_DOT_CHAINS = 8


@njit(cache=True, nogil=True, inline="always")
def _row_dot(X, i, v):
    """``X[i, :] . v`` in float64, as 8 interleaved partial sums added pairwise.

    ``s_c = sum_{j = c mod 8} X[i, j] v[j]`` for ``c = 0..7`` (the tail past the
    last multiple of 8 goes to ``s_0``), then
    ``((s_0 + s_1) + (s_2 + s_3)) + ((s_4 + s_5) + (s_6 + s_7))``.  (The CSR
    twin, ``_compressed._slice_dot``, uses 4 chains: its gathers, not its
    additions, bound it.)
    """
    p = X.shape[1]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    j = 0
    while j + _DOT_CHAINS <= p:
        s0 += np.float64(X[i, j]) * v[j]
        s1 += np.float64(X[i, j + 1]) * v[j + 1]
        s2 += np.float64(X[i, j + 2]) * v[j + 2]
        s3 += np.float64(X[i, j + 3]) * v[j + 3]
        s4 += np.float64(X[i, j + 4]) * v[j + 4]
        s5 += np.float64(X[i, j + 5]) * v[j + 5]
        s6 += np.float64(X[i, j + 6]) * v[j + 6]
        s7 += np.float64(X[i, j + 7]) * v[j + 7]
        j += _DOT_CHAINS
    while j < p:
        s0 += np.float64(X[i, j]) * v[j]
        j += 1
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@njit(cache=True, nogil=True, parallel=True)
def dense_dot(X, v, out):
    """``out = X v``."""
    n = X.shape[0]
    for i in prange(n):
        out[i] = _row_dot(X, i, v)


@njit(cache=True, nogil=True, parallel=True)
def dense_dot_multi(X, V, out):
    """``out = X V`` for ``V`` (p, k)."""
    n, p = X.shape
    k_rhs = V.shape[1]
    for i in prange(n):
        for r in range(k_rhs):
            out[i, r] = 0.0
        for j in range(p):
            x = X[i, j]
            for r in range(k_rhs):
                out[i, r] += x * V[j, r]


@njit(cache=True, nogil=True, parallel=True)
def dense_scatter(X, u, bounds, acc, out):
    """``out = X^T u`` via per-thread accumulators over row slices ``bounds``."""
    nt = bounds.shape[0] - 1
    p = X.shape[1]
    for t in prange(nt):
        for j in range(p):
            acc[t, j] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            ui = u[i]
            for j in range(p):
                acc[t, j] += ui * X[i, j]
    _reduce_acc(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def dense_scatter_multi(X, U, bounds, acc, out):
    """``out = X^T U`` for ``U`` (n, k)."""
    nt = bounds.shape[0] - 1
    p = X.shape[1]
    k_rhs = U.shape[1]
    for t in prange(nt):
        for j in range(p):
            for r in range(k_rhs):
                acc[t, j, r] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            for j in range(p):
                x = X[i, j]
                for r in range(k_rhs):
                    acc[t, j, r] += x * U[i, r]
    _reduce_acc_multi(acc, out)


# Rows whose scaled copies ``c_i x_i`` are added to the accumulator together:
# one read-modify-write of the accumulator per group instead of per row (the
# rows themselves are still in cache from their dot products).  A fused Gram
# pass, 2 threads, float64: 20,000 x 1,000 15.5 -> 10.6 ms (machine shared with
# a test run; a prototype on the idle machine: 8.3 -> 6.5), 20,000 x 400
# 3.8 -> 3.5, 2,000 x 200 0.20 -> 0.18; 200,000 x 50 unchanged.  _add_rows is
# written for groups of this size.
_ROW_GROUP = 4


@njit(cache=True, nogil=True, inline="always")
def _add_rows(a, X, i0, c0, i1, c1, i2, c2, i3, c3, m):
    """``a += c0 X[i0] + ... `` for the first ``m`` (1-4) rows of a group, grouped as
    ``(c0 x0 + c1 x1) + (c2 x2 + c3 x3)`` (a missing term is left out, not added as 0)."""
    p = X.shape[1]
    if m == 4:
        for j in range(p):
            a[j] += (c0 * X[i0, j] + c1 * X[i1, j]) + (c2 * X[i2, j] + c3 * X[i3, j])
    elif m == 3:
        for j in range(p):
            a[j] += (c0 * X[i0, j] + c1 * X[i1, j]) + c2 * X[i2, j]
    elif m == 2:
        for j in range(p):
            a[j] += c0 * X[i0, j] + c1 * X[i1, j]
    elif m == 1:
        for j in range(p):
            a[j] += c0 * X[i0, j]


@njit(cache=True, nogil=True, inline="always")
def _gram_rows(X, d, v, lo, hi, a, shift, z_out, store_z):
    """One thread's rows ``[lo, hi)`` of :func:`dense_gram`; returns ``sum_i c_i``.

    ``c_i = d_i (x_i . v - shift)``; the rows with ``c_i != 0`` are added to ``a``
    in groups of ``_ROW_GROUP`` in row order (:func:`_add_rows`), so a row whose
    ``c_i`` is 0 (zero weight included) changes no bit of ``a``.  With
    ``store_z`` every row's dot goes to ``z_out`` (zero weights included);
    without, rows of zero weight are skipped, dot product included.
    """
    dz = 0.0
    m = 0
    i0 = i1 = i2 = 0
    c0 = c1 = c2 = 0.0
    for i in range(lo, hi):
        if store_z:
            z = _row_dot(X, i, v)
            z_out[i] = z
        elif d[i] == 0.0:
            continue  # adds +-0 (a fold's test row, a zero weight): skip its dot
        else:
            z = _row_dot(X, i, v)
        c = d[i] * (z - shift)
        dz += c
        if c == 0.0:
            continue
        if m == 0:
            i0, c0, m = i, c, 1
        elif m == 1:
            i1, c1, m = i, c, 2
        elif m == 2:
            i2, c2, m = i, c, 3
        else:
            _add_rows(a, X, i0, c0, i1, c1, i2, c2, i, c, _ROW_GROUP)
            m = 0
    _add_rows(a, X, i0, c0, i1, c1, i2, c2, i0, 0.0, m)
    return dz


@njit(cache=True, nogil=True, parallel=True)
def dense_gram(X, d, v, bounds, acc, out, dz_parts, shift=0.0):
    """Fused ``out = X^T (d * (X v - shift))``, one pass over ``X``.

    ``dz_parts[t] = sum_i d_i (X v - shift)_i``; the shift centres the
    intermediate vector (see ``cs_gram``).  Rows with ``d_i = 0`` are skipped;
    the others' ``c_i x_i`` are added in groups of four (:func:`_gram_rows`).
    """
    nt = bounds.shape[0] - 1
    p = X.shape[1]
    for t in prange(nt):
        a = acc[t]  # this thread's row of the accumulator
        for j in range(p):
            a[j] = 0.0
        dz_parts[t] = _gram_rows(X, d, v, bounds[t], bounds[t + 1], a, shift, d, False)
    _reduce_acc(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def dense_gram_xv(X, d, v, bounds, acc, out, dz_parts, z_out, shift=0.0):
    """:func:`dense_gram` that also stores ``z_out = X v`` (before the shift), every row."""
    nt = bounds.shape[0] - 1
    p = X.shape[1]
    for t in prange(nt):
        a = acc[t]  # this thread's row of the accumulator
        for j in range(p):
            a[j] = 0.0
        dz_parts[t] = _gram_rows(X, d, v, bounds[t], bounds[t + 1], a, shift, z_out, True)
    _reduce_acc(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def dense_gram_multi(X, d, V, bounds, acc, out, dz_parts, shift=None):
    """Fused ``out = X^T (d * (X V - shift))`` for ``V`` (p, k).

    ``shift`` (k,) or None; ``dz_parts[t, r] = sum_i d_i (X V - shift)_ir``.
    """
    nt = bounds.shape[0] - 1
    p = X.shape[1]
    k_rhs = V.shape[1]
    for t in prange(nt):
        for j in range(p):
            for r in range(k_rhs):
                acc[t, j, r] = 0.0
        z = np.zeros(k_rhs)
        for r in range(k_rhs):
            dz_parts[t, r] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            di = d[i]
            if di == 0.0:
                continue  # adds +-0 to every sum: skip the row's dots and scatter
            for r in range(k_rhs):
                z[r] = 0.0
            for j in range(p):
                x = X[i, j]
                for r in range(k_rhs):
                    z[r] += x * V[j, r]
            if shift is not None:
                for r in range(k_rhs):
                    z[r] -= shift[r]
            for r in range(k_rhs):
                z[r] *= di
                dz_parts[t, r] += z[r]
            for j in range(p):
                x = X[i, j]
                for r in range(k_rhs):
                    acc[t, j, r] += z[r] * x
    _reduce_acc_multi(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def dense_row_sq_norms(X, out):
    """``out[i] = ||X[i, :]||^2``."""
    n, p = X.shape
    for i in prange(n):
        s = 0.0
        for j in range(p):
            x = np.float64(X[i, j])  # square in float64 also for float32 data
            s += x * x
        out[i] = s


@njit(cache=True, nogil=True, parallel=True)
def dense_col_sums(X, u, power, bounds, acc, out):
    """``out[j] = sum_i u_i X[i, j]^power`` for ``power`` in {1, 2}."""
    nt = bounds.shape[0] - 1
    p = X.shape[1]
    for t in prange(nt):
        for j in range(p):
            acc[t, j] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            ui = u[i]
            for j in range(p):
                x = np.float64(X[i, j])
                if power == 2:
                    x = x * x
                acc[t, j] += ui * x
    _reduce_acc(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def dense_moments(X, s, SY, bounds, acc, out):
    """``out[:, 0] = X^T s``, ``out[:, 1] = (X*X)^T s``, ``out[:, 2:] = X^T SY`` in one pass.

    Each thread sums into contiguous rows of its own (``m[r, j]``: unit stride
    over ``j``, so the row loop vectorises), then copies them into ``acc[t, j, r]``
    for the fixed-order reduction; the additions and their order are those of
    ``acc[t, j, r] += ...`` directly (the earlier form, whose stride of
    ``2 + k`` over ``j`` kept the loop scalar: 0.40 -> 0.12 ms on a 2,000 x
    200 X with one right-hand side, 1.29 -> 0.15 ms on 5,000 x 50 with three).
    """
    nt = bounds.shape[0] - 1
    p = X.shape[1]
    k2 = out.shape[1]
    k_rhs = SY.shape[1]
    for t in prange(nt):
        m = np.zeros((k2, p))
        m0 = m[0]
        m1 = m[1]
        for i in range(bounds[t], bounds[t + 1]):
            si = s[i]
            if si == 0.0 and _zero_row(SY, i):
                continue  # adds +-0 everywhere (a fold's test row): skipped
            if k_rhs == 1:  # as in cs_moments_scatter: no inner loop of length 1
                y0 = SY[i, 0]
                m2 = m[2]
                for j in range(p):
                    x = np.float64(X[i, j])
                    m0[j] += si * x
                    m1[j] += si * x * x
                    m2[j] += y0 * x
                continue
            for j in range(p):
                x = np.float64(X[i, j])
                m0[j] += si * x
                m1[j] += si * x * x
            for r in range(k_rhs):
                yr = SY[i, r]
                mr = m[2 + r]
                for j in range(p):
                    mr[j] += yr * np.float64(X[i, j])
        for j in range(p):
            for r in range(k2):
                acc[t, j, r] = m[r, j]
    _reduce_acc_multi(acc, out)


dense_dot_serial = serial_clone(dense_dot)
dense_dot_multi_serial = serial_clone(dense_dot_multi)
dense_scatter_serial = serial_clone(dense_scatter, **_REDUCERS)
dense_scatter_multi_serial = serial_clone(dense_scatter_multi, **_REDUCERS)
dense_gram_serial = serial_clone(dense_gram, **_REDUCERS)
dense_gram_xv_serial = serial_clone(dense_gram_xv, **_REDUCERS)
dense_gram_multi_serial = serial_clone(dense_gram_multi, **_REDUCERS)
dense_row_sq_norms_serial = serial_clone(dense_row_sq_norms)
dense_col_sums_serial = serial_clone(dense_col_sums, **_REDUCERS)
dense_moments_serial = serial_clone(dense_moments, **_REDUCERS)
