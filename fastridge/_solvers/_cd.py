"""Cyclic coordinate descent with residual updates (CSC or dense ``X``).

Each epoch is one pass over ``X`` (see :mod:`fastridge._kernels._cd` for the
update).  The epoch returns ``sum_j gneg_j^2``, the coordinate gradients seen
while sweeping; when ``that / (2 lam) <= tol * P_null`` the true certificate
``||g(w)||^2 / (2 lam)`` is computed from ``w`` (two passes: the residual is
recomputed exactly, then ``g = -Xc^T S (yc - Xc w) + lam w``).  Targets are
solved one after another, each with its own residual.
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
        w = np.ascontiguousarray(W[:, t])
        # Uncentred residual r = y - X w with y = yc (the offset ybar only
        # shifts the profiled intercept, which q tracks).
        r = problem.Yc[:, t] - op.matvec(w) - (mu @ w)
        q_box = np.array([op.s @ r])
        limit = problem.tol * problem.p_null[t]
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            op.n_passes += 1
            if op.kind == "csc":
                gsq = cd_epoch_csc(
                    op._indptr, op._indices, op._data, op.s, mu, op.S, curv, lam, w, r, q_box
                )
            else:
                gsq = cd_epoch_dense(op._X, op.s, mu, op.S, curv, lam, w, r, q_box)
            if gsq / (2.0 * lam) <= limit or n_iter == max_iter:
                W[:, t] = w
                G = problem.gradient(W, [t])
                certificate[t] = problem.certificate_from_gradient(G, [t])[0]
                if certificate[t] <= limit:
                    break
                # Resynchronise the residual with w (drift from sparse updates).
                r = problem.Yc[:, t] - op.matvec(w) - (mu @ w)
                q_box[0] = op.s @ r
        W[:, t] = w
        if not np.isfinite(certificate[t]):
            G = problem.gradient(W, [t])
            certificate[t] = problem.certificate_from_gradient(G, [t])[0]
        n_iter_max = max(n_iter_max, n_iter)
    return SolverOutput(W=W, certificate=certificate, n_iter=n_iter_max, solver="cd")
