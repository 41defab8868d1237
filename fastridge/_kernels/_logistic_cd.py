"""Coordinate-descent epochs on the Newton model of binary L2-logistic regression.

At the current point ``(w, b)`` with margins ``m = X w + b`` the solver
(:mod:`fastridge._solvers.logistic.cd`) forms the quadratic model of
``P(w + dw, b + db)``

    Q(dw, db) = g . u + 1/2 sum_i d_i u_i^2 + lam/2 ||w + dw||^2,
    u = X dw + db 1,

with ``g_i = -s_i y_i sigma(-y_i m_i)`` (loss gradient in the margins) and
``d_i = s_i sigma(m_i) (1 - sigma(m_i))`` (loss curvature).  The intercept
step is profiled out exactly: ``db*(dw) = -q / Sd`` with ``Sd = sum_i d_i``
and ``q = sum_i v_i``, where ``v = g + d * (X dw)`` is the *working gradient*
(the model's gradient in the margins before the intercept step).  The
profiled model ``Q(dw) = min_db Q(dw, db)`` has, with ``mu_j = x_j . d / Sd``,

    dQ/d dw_j = x_j . v - mu_j q + lam (w_j + dw_j),
    curv_j   = sum_i d_i x_ij^2 - Sd mu_j^2 + lam,

(the second is the Schur complement of the intercept in the 2 x 2 block of
``(dw_j, db)``), so one coordinate step ``dw_j -= (dQ/d dw_j) / curv_j``
minimises ``Q`` exactly over ``(dw_j, db)`` jointly, as the ridge CD kernel
(:mod:`fastridge._kernels._cd`) does with weighted means.  Without intercept
pass ``mu = 0`` (``q`` is then unused).

After a step ``delta`` on coordinate ``j`` the state is updated sparsely:
``v_i += delta d_i x_ij``, ``e_i += delta x_ij`` (``e = X dw``, the change of
the margins, which the line search needs) and ``q += delta Sd mu_j``.

Modified in place: ``dw``, ``v``, ``e`` and ``q_box[0]``.  Everything else is
read only; ``X`` may be float32 (products accumulate in float64).  Each
function returns ``sum_j (dQ/d dw_j)^2`` over the sweep (the gradients seen
just before each coordinate step), which the driver uses to stop the inner
epochs.  ``curv`` must be exact (duplicate entries summed) and positive; it
is at least ``lam``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def logistic_cd_epoch_csc(indptr, indices, data, d, mu, Sd, curv, lam, w, dw, v, e, q_box):
    """One cyclic epoch ``j = 0 .. p-1`` over CSC columns; see the module docstring."""
    p = indptr.shape[0] - 1
    q = q_box[0]
    gsq = 0.0
    for j in range(p):
        lo = indptr[j]
        hi = indptr[j + 1]
        dot = 0.0
        for k in range(lo, hi):
            dot += np.float64(data[k]) * v[indices[k]]
        grad = dot - mu[j] * q + lam * (w[j] + dw[j])
        gsq += grad * grad
        delta = -grad / curv[j]
        if delta != 0.0:
            dw[j] += delta
            for k in range(lo, hi):
                i = indices[k]
                x = np.float64(data[k])
                v[i] += delta * d[i] * x
                e[i] += delta * x
            q += delta * Sd * mu[j]
    q_box[0] = q
    return gsq


@njit(cache=True, nogil=True)
def logistic_cd_epoch_dense(X, d, mu, Sd, curv, lam, w, dw, v, e, q_box):
    """One cyclic epoch on a dense C-contiguous ``X`` (strided column access)."""
    n, p = X.shape
    q = q_box[0]
    gsq = 0.0
    for j in range(p):
        dot = 0.0
        for i in range(n):
            dot += np.float64(X[i, j]) * v[i]
        grad = dot - mu[j] * q + lam * (w[j] + dw[j])
        gsq += grad * grad
        delta = -grad / curv[j]
        if delta != 0.0:
            dw[j] += delta
            for i in range(n):
                x = np.float64(X[i, j])
                v[i] += delta * d[i] * x
                e[i] += delta * x
            q += delta * Sd * mu[j]
    q_box[0] = q
    return gsq
