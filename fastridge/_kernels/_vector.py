"""Fused vector updates of preconditioned CG, one sweep over the vectors each.

CG's own vector work is O(p k) per iteration; done with NumPy it is about
fifteen sweeps over (p, k) arrays, which costs more than the pass over a
sparse ``X`` when p is large and rows are short (a 20,000 x 500,000 matrix
with 1M entries).  These kernels do the same updates in three sweeps.  Every
column ``r`` is an independent CG recurrence; all arrays are C-contiguous
``(m, k)`` float64 and reductions are summed in index order (deterministic).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def shift_and_dot(Q, P, lam):
    """``Q += lam * P`` in place; return ``pq[r] = sum_j P[j, r] Q[j, r]``."""
    m, k = Q.shape
    pq = np.zeros(k)
    for j in range(m):
        for r in range(k):
            q = Q[j, r] + lam[r] * P[j, r]
            Q[j, r] = q
            pq[r] += P[j, r] * q
    return pq


@njit(cache=True, nogil=True)
def step_and_precondition(W, R, Z, P, Q, alpha, Minv):
    """``W += alpha P``, ``R -= alpha Q``, ``Z = Minv * R`` in place.

    Returns ``(rr, rz)`` with ``rr[r] = ||R[:, r]||^2`` and ``rz[r] = R[:, r] . Z[:, r]``.
    """
    m, k = W.shape
    rr = np.zeros(k)
    rz = np.zeros(k)
    for j in range(m):
        for r in range(k):
            a = alpha[r]
            W[j, r] += a * P[j, r]
            res = R[j, r] - a * Q[j, r]
            R[j, r] = res
            z = Minv[j, r] * res
            Z[j, r] = z
            rr[r] += res * res
            rz[r] += res * z
    return rr, rz


@njit(cache=True, nogil=True)
def new_direction(P, Z, beta):
    """``P = Z + beta * P`` in place."""
    m, k = P.shape
    for j in range(m):
        for r in range(k):
            P[j, r] = Z[j, r] + beta[r] * P[j, r]


# One-target versions on 1-D arrays: the (m, 1) loops above do not vectorise.


@njit(cache=True, nogil=True)
def shift_and_dot_1d(q, p, lam):
    """``q += lam * p`` in place; return ``p . q``."""
    pq = 0.0
    for j in range(q.shape[0]):
        qj = q[j] + lam * p[j]
        q[j] = qj
        pq += p[j] * qj
    return pq


@njit(cache=True, nogil=True)
def step_and_precondition_1d(w, r, z, p, q, alpha, minv):
    """``w += alpha p``, ``r -= alpha q``, ``z = minv * r``; return ``(r . r, r . z)``."""
    rr = 0.0
    rz = 0.0
    for j in range(w.shape[0]):
        w[j] += alpha * p[j]
        res = r[j] - alpha * q[j]
        r[j] = res
        zj = minv[j] * res
        z[j] = zj
        rr += res * res
        rz += res * zj
    return rr, rz


@njit(cache=True, nogil=True)
def new_direction_1d(p, z, beta):
    """``p = z + beta * p`` in place."""
    for j in range(p.shape[0]):
        p[j] = z[j] + beta * p[j]
