"""The ridge path algorithms on one operator: every lam of a grid, per target.

Each returns, for targets ``t`` and lams ``j``, the points as rows
``t * L + j`` of ``Wt`` (kL, p), their float64 certificates
``||grad P||^2 / (2 lam)`` (``grad P = H w - b + lam w``, recomputed from
``w`` where the algorithm's own residual is recursive) and iteration counts;
:func:`fastridge._paths.ridge.path_with_predictions` validates, certifies
soundly and reports.  The algorithms are described in
:mod:`fastridge._paths.ridge`.
"""

from __future__ import annotations

import numpy as np

from .._solvers.ridge import DEFAULT_MAX_ITER, SOLVERS, RidgeProblem
from .._solvers.ridge.cg import cg_primal
from .._solvers.ridge.multishift import multishift_cg
from .._solvers.ridge.path_subspace import subspace_path
from .._solvers.stopping import exceeds, grad_sq_threshold

# Multi-shift iterations allowed by default: like single-lam CG (2000), bounded
# because the unpreconditioned base system can stall on rounding.
_MULTISHIFT_MAX_ITER = 2000


def run_path(solver, op, Yc, B, p_null, lams, tol, max_iter, keeps=None):
    """Dispatch to a path algorithm.

    Returns ``(Wt (kL, p), cert (kL,), n_iter (kL,), name, exact (kL,))``: row
    ``t * L + j`` of ``Wt`` is target ``t`` at ``lams[j]``;
    ``exact`` marks points not in ``keeps``' Galerkin form (see
    ``fastridge._paths.ridge._predictions``).
    """
    k, L = Yc.shape[1], len(lams)
    if solver in ("cg", "cd"):
        W, cert, n_iter, name = _warm_started(solver, op, Yc, lams, tol, max_iter)
        return W.T, cert, n_iter, name, np.ones(k * L, bool)
    if solver == "subspace-cg":
        return _subspace(op, Yc, B, p_null, lams, tol, max_iter, keeps)
    k, L = Yc.shape[1], len(lams)
    grid = grid_problem(op, Yc, B, p_null, lams, tol)
    if solver == "eigen":
        W0, n_iter0, name = _eigen_path(op, Yc, B, lams), np.ones(k * L, np.int64), "eigen"
    else:
        W0, n_iter0, name = _multishift_path(op, Yc, B, grid, lams, max_iter)
    # Certify every point from its recomputed gradient (one multi-vector pass)
    # and polish those above tol with warm-started Jacobi PCG.
    polish_iter = DEFAULT_MAX_ITER["cg-primal"] if max_iter is None else max_iter
    out = cg_primal(grid, W0, polish_iter)
    return out.W.T, out.certificate, n_iter0 + out.n_iter_each, name, np.ones(k * L, bool)


def _subspace(op, Yc, B, p_null, lams, tol, max_iter, keeps=None):
    """One preconditioned Galerkin subspace per target; polish what it leaves above tol.

    ``keeps`` (a list, when given) receives each target's basis (see
    :func:`subspace_path`).
    """
    k, L = Yc.shape[1], len(lams)
    cap = _MULTISHIFT_MAX_ITER if max_iter is None else max_iter
    diag_h = op.col_sq_norms()
    parts = []
    cert = np.empty(k * L)
    n_iter = np.empty(k * L, dtype=np.int64)
    for t in range(k):
        cols = slice(t * L, (t + 1) * L)
        thresh = grad_sq_threshold(lams, tol, p_null[t])
        keep = None if keeps is None else {}
        sub = subspace_path(op, B[:, t], lams, thresh, diag_h, cap, keep)
        Wt_t, rsq, n_iter[cols] = sub.coef, sub.residual_sq, sub.n_iter
        parts.append(Wt_t)
        if keeps is not None:
            keeps.append(keep)
        cert[cols] = rsq / (2.0 * lams)
    # (kL, p), row t * L + j; one target needs no copy (175 MB at p = 438,654).
    Wt = parts[0] if k == 1 else np.concatenate(parts, axis=0)
    del parts
    bad = np.flatnonzero(exceeds(cert, tol, np.repeat(p_null, L)))
    if len(bad):
        t_bad, j_bad = np.divmod(bad, L)
        sub = RidgeProblem(op, Yc[:, t_bad], lams[j_bad], tol, rhs=B[:, t_bad])
        out = cg_primal(sub, np.ascontiguousarray(Wt[bad].T), cap)
        Wt[bad], cert[bad] = out.W.T, out.certificate
        n_iter[bad] += out.n_iter_each
    exact = np.zeros(k * L, dtype=bool)
    exact[bad] = True  # polished: no longer Z y
    return Wt, cert, n_iter, "subspace-cg", exact


def grid_problem(op, Yc, B, p_null, lams, tol) -> RidgeProblem:
    """A :class:`RidgeProblem` whose column ``t * L + j`` is target ``t`` at ``lams[j]``."""
    k, L = Yc.shape[1], len(lams)
    problem = RidgeProblem(
        op, np.repeat(Yc, L, axis=1), np.tile(lams, k), tol, rhs=np.repeat(B, L, axis=1)
    )
    # The same sums as the targets' own P_null (set, not recomputed, so both agree).
    problem.p_null = np.repeat(p_null, L)
    problem.grad_sq_threshold = grad_sq_threshold(problem.lam, tol, problem.p_null)
    return problem


def _multishift_path(op, Yc, B, grid: RidgeProblem, lams, max_iter):
    """Multi-shift CG on the primal (sparse, or n >= p) or dual normal equations."""
    k, L = Yc.shape[1], len(lams)
    cap = _MULTISHIFT_MAX_ITER if max_iter is None else max_iter
    thresh = grid.grad_sq_threshold.reshape(k, L)
    dual = op.kind == "dense" and op.p > op.n
    if not dual:
        out = multishift_cg(op.gram_matvec, B, lams, thresh, cap)
        W0 = out.X.reshape(k * L, op.p).T
        return np.ascontiguousarray(W0), out.n_iter.reshape(k * L), "multishift-cg-primal"
    # Dual: (A A^T + lam) alpha = y_s, w = A^T alpha, grad P(w) = -A^T rho.  The
    # residual threshold uses the observed ||A^T r0||^2 / ||r0||^2 (an estimate
    # of the gain from rho to the gradient, not a bound: polishing certifies).
    sqrt_s = op.sqrt_s[:, None]
    Ys = sqrt_s * Yc
    AtY = op.rmatvec(sqrt_s * Ys)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.einsum("ij,ij->j", AtY, AtY) / np.einsum("ij,ij->j", Ys, Ys)
    gain = np.where(np.isfinite(gain) & (gain > 0), gain, 1.0)
    out = multishift_cg(op.dual_gram_matvec, Ys, lams, thresh / gain[:, None], cap)
    alpha = out.X.reshape(k * L, op.n).T
    W0 = op.rmatvec(np.ascontiguousarray(sqrt_s * alpha))
    return W0, out.n_iter.reshape(k * L), "multishift-cg-dual"


def _eigen_path(op, Yc, B, lams) -> np.ndarray:
    """``w(lam)`` for every lam from one eigendecomposition; returns ``(p, kL)``."""
    k, L = Yc.shape[1], len(lams)
    if op.p <= op.n:
        H = op.gram_dense()
        e, V = np.linalg.eigh(0.5 * (H + H.T))
        e = np.maximum(e, 0.0)  # rounding can leave tiny negative eigenvalues
        C = V.T @ B  # (p, k)
        coef = C[:, :, None] / (e[:, None, None] + lams[None, None, :])  # (p, k, L)
        return V @ coef.reshape(op.p, k * L)
    Kmat = op.dual_gram_dense()
    e, U = np.linalg.eigh(0.5 * (Kmat + Kmat.T))
    e = np.maximum(e, 0.0)
    sqrt_s = op.sqrt_s[:, None]
    C = U.T @ (sqrt_s * Yc)  # (n, k)
    alpha = U @ (C[:, :, None] / (e[:, None, None] + lams[None, None, :])).reshape(op.n, k * L)
    return op.rmatvec(np.ascontiguousarray(sqrt_s * alpha))


def _warm_started(solver, op, Yc, lams, tol, max_iter):
    """The single-lam solver down the grid, each lam warm-started from the last."""
    name = "cg-primal" if solver == "cg" else "cd"
    fn = SOLVERS[name]
    cap = DEFAULT_MAX_ITER[name] if max_iter is None else max_iter
    k, L = Yc.shape[1], len(lams)
    W = np.zeros((op.p, k * L))
    cert = np.empty(k * L)
    n_iter = np.zeros(k * L, dtype=np.int64)
    w_prev = np.zeros((op.p, k))
    cols = np.arange(k) * L
    for j, lam in enumerate(lams):
        problem = RidgeProblem(op, Yc, np.full(k, lam), tol)
        out = fn(problem, w_prev, cap)
        W[:, cols + j] = out.W
        cert[cols + j] = out.certificate
        n_iter[cols + j] = out.n_iter if out.n_iter_each is None else out.n_iter_each
        w_prev = out.W
    return W, cert, n_iter, name
