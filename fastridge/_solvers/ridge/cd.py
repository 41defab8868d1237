"""Cyclic coordinate descent with residual updates (CSC or dense ``X``).

Each epoch is one pass over ``X`` (see :mod:`fastridge._kernels._cd` for the
update).  The epoch returns ``sum_j gneg_j^2``, the coordinate gradients seen
while sweeping; when that, scaled by the last epoch's contraction factor and
divided by ``2 lam``, is at most ``tol * P_null``, the true certificate
``||g(w)||^2 / (2 lam)`` is computed from ``w`` (two passes: the residual is
recomputed exactly, then ``g = -Xc^T S (yc - Xc w) + lam w``; the exact
residual also replaces the incrementally updated one).  Targets are solved
one after another, each with its own residual.

Safeguards: an epoch that moves no coordinate although it started from an
exact residual is a fixed point of the sweep in float64, so the target stops
with its exact certificate (converged or not) instead of repeating it until
``max_iter``; so does a target whose exact certificate stops decreasing
across checks (``_MAX_FLAT_CHECKS``).  Exact arithmetic makes every epoch decrease ``P``, but an
inexact curvature ``||xc_j||_S^2`` (cancellation with large column means)
can make the sweep diverge; if ``w`` or the epoch's gradient sum stops being
finite, the target keeps the better of its last finite ``w`` and ``w = 0``
and reports a certificate of ``inf`` (not converged): a finite certificate
computed from such a run could not be trusted.
"""

from __future__ import annotations

import numpy as np

from ..._kernels._cd import cd_epoch_csc, cd_epoch_dense
from ..stopping import certified_limit
from .problem import RidgeProblem, SolverOutput
from .warm import usable_warm_start

# Exact checks are made only when the sweep's own gradient says tol is
# reached.  While CD makes progress the exact certificate falls, but slowly and
# with rounding noise on top (we8there at tol 1e-12 needed more than 30 checks
# between new minima); when this many checks in a row find no new minimum the
# certificate sits at its rounding floor and further epochs cannot help.  100
# bounds the waste at an unreachable tol to ~300 passes.
_MAX_FLAT_CHECKS = 100


def cd(problem: RidgeProblem, W0: np.ndarray, max_iter: int) -> SolverOutput:
    """Coordinate descent for every target; see the module docstring."""
    op = problem.op
    if not op.supports_column_access or op.kind not in ("csc", "dense"):
        raise ValueError("coordinate descent needs a CSC or dense matrix")
    cols = op.column_view()  # canonical CSC or dense: X itself here
    curv0 = op.col_sq_norms()
    W = usable_warm_start(problem, W0).copy()
    certificate = np.full(problem.k, np.inf)
    n_iter_max = 0
    mu = op.mu
    for t in range(problem.k):
        lam = float(problem.lam[t])
        # curv_j >= lam > 0 (check_lam), so no coordinate step divides by 0;
        # the kernels also skip a coordinate whose curvature is not positive.
        curv = curv0 + lam
        yc = problem.Yc[:, t]
        w = np.ascontiguousarray(W[:, t])
        w_last = w.copy()  # last finite iterate, for a diverging sweep
        # Uncentred residual r = yc - X w (the offset ybar only shifts the
        # profiled intercept, which q = s . r tracks).  Exact and free at w = 0.
        r = yc.copy() if not np.any(w) else _exact_state(op, yc, w, lam)[0]
        q_box = np.array([op.s @ r])
        limit = certified_limit(problem.tol, problem.p_null[t])
        n_iter = 0
        gsq_prev = np.inf
        r_exact = True  # r was recomputed from w (not updated) since the last move
        best, n_flat = np.inf, 0  # lowest exact certificate; checks since then
        done = False
        while n_iter < max_iter:
            n_iter += 1
            op.record_passes(1)
            w_last[:] = w
            if op.kind == "csc":
                gsq = cd_epoch_csc(
                    cols.indptr, cols.indices, cols.data, op.s, mu, op.S, curv, lam, w, r, q_box
                )
            else:
                gsq = cd_epoch_dense(cols, op.s, mu, op.S, curv, lam, w, r, q_box)
            if not (np.isfinite(gsq) and np.isfinite(w).all()):
                w[:] = _finite_fallback(op, yc, w_last, lam, problem.p_null[t])
                certificate[t] = np.inf
                done = True
                break
            # gsq saw the gradient while sweeping; the gradient at the end of
            # the sweep is smaller by about the epoch's contraction factor
            # (unknown after an epoch that saw a zero gradient: take 1).
            contraction = min(1.0, gsq / gsq_prev) if gsq_prev > 0.0 else 1.0
            predicted = gsq * contraction
            stalled = gsq == 0.0 and r_exact  # nothing moved from an exact state
            r_exact = gsq == 0.0 and r_exact
            gsq_prev = gsq
            if predicted / (2.0 * lam) <= limit or n_iter == max_iter:
                r, g = _exact_state(op, yc, w, lam)  # also resynchronises r
                q_box[0] = op.s @ r
                r_exact = True
                certificate[t] = (g @ g) / (2.0 * lam)
                if certificate[t] < best:
                    best, n_flat = certificate[t], 0
                else:
                    n_flat += 1
                if certificate[t] <= limit or stalled or n_flat >= _MAX_FLAT_CHECKS:
                    done = True
                    break
        W[:, t] = w
        if not done:  # max_iter == 0: certify the warm start
            g = _exact_state(op, yc, w, lam)[1]
            certificate[t] = (g @ g) / (2.0 * lam)
        n_iter_max = max(n_iter_max, n_iter)
    return SolverOutput(W=W, certificate=certificate, n_iter=n_iter_max, solver="cd")


def _finite_fallback(op, yc: np.ndarray, w_last: np.ndarray, lam: float, p_null: float):
    """The better of ``w_last`` (finite) and ``0`` by the objective (one pass)."""
    with np.errstate(over="ignore", invalid="ignore"):
        r = yc - op.matvec(w_last)  # yc - Xc w
        b = (op.s @ r) / op.S if op.fit_intercept else 0.0
        P = 0.5 * (op.s @ (r - b) ** 2) + 0.5 * lam * (w_last @ w_last)
    return w_last if P <= p_null else np.zeros_like(w_last)


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
