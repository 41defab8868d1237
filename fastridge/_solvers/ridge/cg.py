"""Jacobi-preconditioned conjugate gradients on the ridge normal equations.

Primal (``cg_primal``, best when n >= p) solves, for each target,

    (H + lam I) w = B,   H = Xc^T S Xc,  B = Xc^T S yc,

preconditioned by ``M = diag(H) + lam``.  The CG residual ``r = B - (H + lam) w``
is minus the gradient of ``P``, so the certificate ``||r||^2 / (2 lam)`` is
available at every iteration.  Because the recursively updated residual drifts
from the true one, a target is declared converged only after its gradient has
been recomputed from ``w`` (one more pass) and still satisfies

    ||g(w)||^2 / (2 lam) <= tol * P_null;

otherwise CG restarts from the true residual.

Dual (``cg_dual``, best when p > n) solves ``(A A^T + lam I) alpha = y_s`` with
``A = S^{1/2} Xc``, ``y_s = S^{1/2} yc`` and returns ``w = A^T alpha``; then
``g(w) = -A^T rho`` for the dual residual ``rho = y_s - (A A^T + lam) alpha``.
Its preconditioner is ``diag(A A^T) + lam``.  The bound
``||A^T rho|| <= ||A||_F ||rho||`` is far too loose to stop on, so a true
certificate (two or three passes) is computed whenever the ratio
``||A^T rho|| / ||rho||`` observed at the start or at the last check predicts
convergence.

Several targets run as independent CG recurrences sharing one multi-vector
product per iteration (``X`` is read once for all of them); a converged
target leaves the active set and costs nothing more.
"""

from __future__ import annotations

import numpy as np

from ..pcg import colwise_dot as _colwise_dot
from ..pcg import new_direction as _new_direction
from ..pcg import shift_and_dot as _shift_and_dot
from ..pcg import step_and_precondition as _step_and_precondition
from ..stopping import is_certified
from .problem import RidgeProblem, SolverOutput
from .warm import usable_warm_start


def cg_primal(problem: RidgeProblem, W0: np.ndarray, max_iter: int, monitor=None) -> SolverOutput:
    """Preconditioned CG on ``(H + lam I) w = B``; see the module docstring.

    The working arrays hold only the targets still running (``idx``); a
    target leaves them when its recomputed gradient certifies it.

    ``monitor``, if given, is called after every iteration with the running
    targets' ``||r||^2 / threshold`` (the recursive residual, or the true one
    where a check just failed; <= 1 means "at tol"); returning True stops CG
    there (the running targets are then certified from their gradient).
    """
    op, lam_all = problem.op, problem.lam
    W = np.array(usable_warm_start(problem, W0), dtype=np.float64, order="C")
    R_all = -problem.gradient(W) if np.any(W) else problem.B.copy()
    Minv_all = 1.0 / (op.col_sq_norms()[:, None] + lam_all[None, :])
    thresh_all = problem.grad_sq_threshold
    certificate = _colwise_dot(R_all, R_all) / (2.0 * lam_all)
    idx = np.flatnonzero(_colwise_dot(R_all, R_all) > thresh_all)
    # The initial residual is exact, so targets below the threshold are done.
    Wa = np.ascontiguousarray(W[:, idx])
    Ra = np.ascontiguousarray(R_all[:, idx])
    Minv = np.ascontiguousarray(Minv_all[:, idx])
    lam, thresh = lam_all[idx], thresh_all[idx]
    Za = Minv * Ra
    Pa = Za.copy()
    rz = _colwise_dot(Ra, Za)
    n_iter = 0
    n_iter_each = np.zeros(problem.k, dtype=np.int64)
    while len(idx) and n_iter < max_iter:
        n_iter += 1
        n_iter_each[idx] += 1
        Q = op.gram_matvec(Pa)
        pq = _shift_and_dot(Q, Pa, lam)
        # pq > 0 unless P = 0, which only happens when r = 0 (already certified).
        alpha = np.where(pq > 0, rz / np.where(pq > 0, pq, 1.0), 0.0)
        rr, rz_new = _step_and_precondition(Wa, Ra, Za, Pa, Q, alpha, Minv)
        beta = rz_new / np.where(rz > 0, rz, 1.0)
        maybe_done = np.flatnonzero(rr <= thresh)
        keep = np.ones(len(idx), dtype=bool)
        if len(maybe_done):
            cols = idx[maybe_done]
            W[:, cols] = Wa[:, maybe_done]
            G = problem.gradient(W, cols)
            cert = problem.certificate_from_gradient(G, cols)
            certificate[cols] = cert
            ok = is_certified(cert, problem.tol, problem.p_null[cols])
            keep[maybe_done[ok]] = False
            # Recursive residual drifted: restart those targets from the true one.
            for c, g in zip(maybe_done[~ok], G[:, ~ok].T):
                Ra[:, c] = -g
                Za[:, c] = Minv[:, c] * Ra[:, c]
                rz_new[c] = Ra[:, c] @ Za[:, c]
                beta[c] = 0.0
                rr[c] = g @ g
        if not keep.all():
            idx, lam, thresh = idx[keep], lam[keep], thresh[keep]
            Wa, Ra, Za, Pa = (np.ascontiguousarray(a[:, keep]) for a in (Wa, Ra, Za, Pa))
            Minv = np.ascontiguousarray(Minv[:, keep])
            rz_new, beta = rz_new[keep], beta[keep]
        _new_direction(Pa, Za, beta)
        rz = rz_new
        if monitor is not None and len(idx) and monitor(rr[keep] / thresh):
            break
    if len(idx):
        W[:, idx] = Wa
        certificate[idx] = problem.certificate_from_gradient(problem.gradient(W, idx), idx)
    return SolverOutput(
        W=W, certificate=certificate, n_iter=n_iter, solver="cg-primal", n_iter_each=n_iter_each
    )


def cg_dual(problem: RidgeProblem, W0: np.ndarray, max_iter: int, monitor=None) -> SolverOutput:
    """Preconditioned CG on ``(A A^T + lam I) alpha = y_s``; see the module docstring.

    ``monitor`` as in :func:`cg_primal`, given ``ratio * ||rho||^2 / threshold``
    (the estimate of ``||g||^2`` that triggers a true check).
    """
    op, lam = problem.op, problem.lam
    sqrt_s = op.sqrt_s[:, None]
    Ys = sqrt_s * problem.Yc
    W0 = usable_warm_start(problem, W0)
    if np.any(W0):
        # The dual point implied by w0 (exact at the optimum: alpha* = (y_s - A w*) / lam).
        alpha = (Ys - sqrt_s * op.matvec(W0)) / lam
        R = Ys - op.dual_gram_matvec(alpha) - lam * alpha
    else:
        alpha = np.zeros_like(Ys)
        R = Ys.copy()
    row_sq = op.row_sq_norms()
    Minv = 1.0 / (row_sq[:, None] + lam[None, :])
    frob_sq = float(row_sq.sum())
    thresh = problem.grad_sq_threshold
    # ratio[j] estimates ||A^T rho||^2 / ||rho||^2, only to decide when a true
    # check is worth its passes.  Start from the initial residual (one pass);
    # each check lowers it to the observed value.  ||A||_F^2 bounds it.
    rr0 = _colwise_dot(R, R)
    AtR = op.rmatvec(sqrt_s * R)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rr0 > 0, _colwise_dot(AtR, AtR) / rr0, frob_sq)
    ratio = np.minimum(ratio, frob_sq)
    del AtR
    certificate = np.full(problem.k, np.inf)
    W = np.zeros((op.p, problem.k))
    active = np.ones(problem.k, dtype=bool)

    def check(cols: np.ndarray) -> np.ndarray:
        """True certificate of ``w = A^T alpha`` for ``cols``; stores ``W``; returns ok."""
        W[:, cols] = op.rmatvec(sqrt_s * alpha[:, cols])
        G = problem.gradient(W, cols)
        cert = problem.certificate_from_gradient(G, cols)
        certificate[cols] = cert
        rho_sq = _colwise_dot(R[:, cols], R[:, cols])
        with np.errstate(divide="ignore", invalid="ignore"):
            observed = np.where(rho_sq > 0, 2.0 * lam[cols] * cert / rho_sq, ratio[cols])
        ratio[cols] = np.minimum(ratio[cols], observed)
        return is_certified(cert, problem.tol, problem.p_null[cols])

    rr = _colwise_dot(R, R)
    first = np.flatnonzero(ratio * rr <= thresh)
    if len(first):
        active[first[check(first)]] = False
    Z = Minv * R
    P = Z.copy()
    rz = _colwise_dot(R, Z)
    n_iter = 0
    while active.any() and n_iter < max_iter:
        n_iter += 1
        idx = np.flatnonzero(active)
        Pa = P[:, idx]
        Q = op.dual_gram_matvec(Pa) + lam[idx] * Pa
        pq = _colwise_dot(Pa, Q)
        a = np.where(pq > 0, rz[idx] / np.where(pq > 0, pq, 1.0), 0.0)
        alpha[:, idx] += a * Pa
        R[:, idx] -= a * Q
        rr = _colwise_dot(R[:, idx], R[:, idx])
        trigger = ratio[idx] * rr <= thresh[idx]
        if trigger.any():
            cols = idx[trigger]
            ok = check(cols)
            active[cols[ok]] = False
        idx_s = np.flatnonzero(active)
        if len(idx_s) == 0:
            break
        if monitor is not None:
            rr_s = _colwise_dot(R[:, idx_s], R[:, idx_s])
            if monitor(ratio[idx_s] * rr_s / thresh[idx_s]):
                break
        Zs = Minv[:, idx_s] * R[:, idx_s]
        rz_new = _colwise_dot(R[:, idx_s], Zs)
        beta = rz_new / np.where(rz[idx_s] > 0, rz[idx_s], 1.0)
        P[:, idx_s] = Zs + beta * P[:, idx_s]
        rz[idx_s] = rz_new
    if active.any():
        check(np.flatnonzero(active))
    return SolverOutput(W=W, certificate=certificate, n_iter=n_iter, solver="cg-dual", alpha=alpha)
