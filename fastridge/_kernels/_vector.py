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
