"""Cyclic coordinate descent with residual updates (CSC or dense ``X``).

Each epoch is one pass over ``X`` (see :mod:`fastridge._kernels._cd` for the
update).  The epoch returns ``sum_j gneg_j^2``, the coordinate gradients seen
while sweeping; when that, scaled by the last epoch's contraction factor and
divided by ``2 lam``, is at most ``tol * P_null``, the true certificate
``||g(w)||^2 / (2 lam)`` is computed from ``w`` (two passes: the residual is
recomputed exactly, then ``g = -Xc^T S (yc - Xc w) + lam w``; the exact
residual also replaces the incrementally updated one).  Targets are solved
one after another, each with its own residual.
"""

from __future__ import annotations

import numpy as np

from .._kernels._cd import cd_epoch_csc, cd_epoch_dense
from ._problem import RidgeProblem, SolverOutput


def cd(problem: RidgeProblem, W0: np.ndarray, max_iter: int) -> SolverOutput:
    """Coordinate descent for every target; see the module docstring."""
    op = problem.op
    if op.kind not in ("csc", "dense"):
        raise ValueError("coordinate descent needs a CSC or dense matrix")
    curv0 = op.col_sq_norms()
    W = W0.copy()
    certificate = np.full(problem.k, np.inf)
    n_iter_max = 0
    mu = op.mu
    for t in range(problem.k):
        lam = float(problem.lam[t])
        curv = curv0 + lam
        yc = problem.Yc[:, t]
        w = np.ascontiguousarray(W[:, t])
        # Uncentred residual r = yc - X w (the offset ybar only shifts the
        # profiled intercept, which q = s . r tracks).  Exact and free at w = 0.
        r = yc.copy() if not np.any(w) else _exact_state(op, yc, w, lam)[0]
        q_box = np.array([op.s @ r])
        limit = problem.tol * problem.p_null[t]
        n_iter = 0
        gsq_prev = np.inf
        while n_iter < max_iter:
            n_iter += 1
            op.n_passes += 1
            if op.kind == "csc":
                gsq = cd_epoch_csc(
                    op._indptr, op._indices, op._data, op.s, mu, op.S, curv, lam, w, r, q_box
                )
            else:
                gsq = cd_epoch_dense(op._X, op.s, mu, op.S, curv, lam, w, r, q_box)
            # gsq saw the gradient while sweeping; the gradient at the end of
            # the sweep is smaller by about the epoch's contraction factor.
            predicted = gsq * min(1.0, gsq / gsq_prev)
            gsq_prev = gsq
            if predicted / (2.0 * lam) <= limit or n_iter == max_iter:
                r, g = _exact_state(op, yc, w, lam)  # also resynchronises r
                q_box[0] = op.s @ r
                certificate[t] = (g @ g) / (2.0 * lam)
                if certificate[t] <= limit:
                    break
        W[:, t] = w
        if not np.isfinite(certificate[t]):
            g = _exact_state(op, yc, w, lam)[1]
            certificate[t] = (g @ g) / (2.0 * lam)
        n_iter_max = max(n_iter_max, n_iter)
    return SolverOutput(W=W, certificate=certificate, n_iter=n_iter_max, solver="cd")


def _exact_state(op, yc: np.ndarray, w: np.ndarray, lam: float):
    """Residual ``r = yc - X w`` and gradient ``g(w)`` recomputed from ``w`` (two passes).

    With ``b = s . r / S`` (zero without intercept), ``r - b = yc - Xc w`` and
    ``g = -Xc^T S (r - b) + lam w = -X^T (s (r - b)) + lam w`` (the centring
    term ``mu * sum(s (r - b))`` vanishes).
    """
    r = yc - op.matvec(w) - (op.mu @ w)
    b = (op.s @ r) / op.S if op.fit_intercept else 0.0
    g = lam * w - op.rmatvec(op.s * (r - b))
    return r, g
