"""Coordinate-descent epochs for ridge, on CSC columns or dense columns.

One epoch visits ``j = 0 .. p-1`` and minimises the profiled objective
``P(w)`` (see :mod:`fastridge._solvers.ridge.problem`) exactly in ``w_j``:

    gneg_j = x_j^T (s * r) - mu_j * q - lam * w_j     (= -dP/dw_j)
    w_j   += gneg_j / curv_j,   curv_j = ||xc_j||_S^2 + lam

where ``r = y - X w`` is the *uncentred* residual, updated sparsely
(``r -= delta * x_j``), and ``q = s . r`` (so the profiled intercept is
``b = q / S``).  Since ``X^T s = S mu``, ``q`` changes by ``-delta * S * mu_j``.
Without intercept ``mu = 0`` and ``q`` is not used.  ``w``, ``r`` and
``q_box[0]`` are updated in place.  Returns ``sum_j gneg_j^2`` over the epoch,
the trigger for a full (true) certificate check.

``curv`` must be exact (duplicate entries summed): an underestimated curvature
can make the iteration diverge.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, nogil=True, inline="always")
def _coordinate(dot, j, mu, q, lam, w, curv):
    """``(gneg_j, delta)`` from ``dot = x_j^T (s r)``; ``w_j += delta`` (0 if ``curv_j`` is 0)."""
    gneg = dot - mu[j] * q - lam * w[j]
    delta = gneg / curv[j] if curv[j] > 0.0 else 0.0
    if delta != 0.0:
        w[j] += delta
    return gneg, delta


@njit(cache=True, nogil=True)
def cd_epoch_csc(indptr, indices, data, s, mu, S, curv, lam, w, r, q_box):
    """One cyclic epoch on a CSC matrix; see the module docstring."""
    p = indptr.shape[0] - 1
    q = q_box[0]
    gsq = 0.0
    for j in range(p):
        lo = indptr[j]
        hi = indptr[j + 1]
        dot = 0.0
        for k in range(lo, hi):
            i = indices[k]
            dot += data[k] * s[i] * r[i]
        gneg, delta = _coordinate(dot, j, mu, q, lam, w, curv)
        gsq += gneg * gneg
        if delta != 0.0:
            for k in range(lo, hi):
                r[indices[k]] -= delta * data[k]
            q -= delta * S * mu[j]
    q_box[0] = q
    return gsq


@njit(cache=True, nogil=True)
def cd_epoch_dense(X, s, mu, S, curv, lam, w, r, q_box):
    """One cyclic epoch on a dense C-contiguous ``X`` (strided column access)."""
    n, p = X.shape
    q = q_box[0]
    gsq = 0.0
    for j in range(p):
        dot = 0.0
        for i in range(n):
            dot += X[i, j] * s[i] * r[i]
        gneg, delta = _coordinate(dot, j, mu, q, lam, w, curv)
        gsq += gneg * gneg
        if delta != 0.0:
            for i in range(n):
                r[i] -= delta * X[i, j]
            q -= delta * S * mu[j]
    q_box[0] = q
    return gsq
