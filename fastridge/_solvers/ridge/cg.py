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

from ..pcg import BlockSteps, pcg
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
    system = _PrimalSystem(problem, W0, monitor)
    n_iter = pcg(system, max_iter)
    W, idx, certificate = system.W, system.idx, system.certificate
    if len(idx):
        W[:, idx] = system.Wa
        certificate[idx] = problem.certificate_from_gradient(problem.gradient(W, idx), idx)
    return SolverOutput(
        W=W,
        certificate=certificate,
        n_iter=n_iter,
        solver="cg-primal",
        n_iter_each=system.n_iter_each,
    )


class _PrimalSystem(BlockSteps):
    """The vector work of :func:`cg_primal` (see :class:`fastridge._solvers.pcg.PCGSystem`)."""

    def __init__(self, problem: RidgeProblem, W0: np.ndarray, monitor):
        self.problem, self.monitor = problem, monitor
        op, lam_all = problem.op, problem.lam
        W = np.array(usable_warm_start(problem, W0), dtype=np.float64, order="C")
        R_all = -problem.gradient(W) if np.any(W) else problem.B.copy()
        Minv_all = 1.0 / (op.col_sq_norms()[:, None] + lam_all[None, :])
        thresh_all = problem.grad_sq_threshold
        self.W = W
        self.certificate = _colwise_dot(R_all, R_all) / (2.0 * lam_all)
        # The initial residual is exact, so targets below the threshold are done.
        self.idx = idx = np.flatnonzero(_colwise_dot(R_all, R_all) > thresh_all)
        self.Wa = np.ascontiguousarray(W[:, idx])
        self.Ra = np.ascontiguousarray(R_all[:, idx])
        self.Minv = np.ascontiguousarray(Minv_all[:, idx])
        self.lam, self.thresh = lam_all[idx], thresh_all[idx]
        self.Za = self.Minv * self.Ra
        self.Pa = self.Za.copy()
        self.rz0 = _colwise_dot(self.Ra, self.Za)
        self.n_iter_each = np.zeros(problem.k, dtype=np.int64)

    def running(self) -> bool:
        return len(self.idx) > 0

    def curvature(self) -> np.ndarray:
        self.n_iter_each[self.idx] += 1
        self.Q = self.problem.op.gram_matvec(self.Pa)
        return _shift_and_dot(self.Q, self.Pa, self.lam)

    def step(self, alpha: np.ndarray) -> np.ndarray:
        self.rr, rz_new = _step_and_precondition(
            self.Wa, self.Ra, self.Za, self.Pa, self.Q, alpha, self.Minv
        )
        return rz_new

    def settle(self, rz_new: np.ndarray, rz: np.ndarray):
        beta = self.beta(rz_new, rz)
        maybe_done = np.flatnonzero(self.rr <= self.thresh)
        keep = np.ones(len(self.idx), dtype=bool)
        if len(maybe_done):
            keep[maybe_done[self._check(maybe_done, rz_new, beta)]] = False
        rr = self.rr
        if not keep.all():
            self.idx, self.lam, self.thresh = self.idx[keep], self.lam[keep], self.thresh[keep]
            self.Wa, self.Ra, self.Za, self.Pa, self.Minv = (
                np.ascontiguousarray(a[:, keep])
                for a in (self.Wa, self.Ra, self.Za, self.Pa, self.Minv)
            )
            rz_new, beta = rz_new[keep], beta[keep]
        if self.monitor is not None and len(self.idx) and self.monitor(rr[keep] / self.thresh):
            return None
        return beta, rz_new

    def _check(self, maybe_done, rz_new, beta) -> np.ndarray:
        """Certify ``maybe_done`` from their gradient; restart the others (True: certified)."""
        problem, W = self.problem, self.W
        cols = self.idx[maybe_done]
        W[:, cols] = self.Wa[:, maybe_done]
        G = problem.gradient(W, cols)
        cert = problem.certificate_from_gradient(G, cols)
        self.certificate[cols] = cert
        ok = is_certified(cert, problem.tol, problem.p_null[cols])
        # Recursive residual drifted: restart those targets from the true one.
        Ra, Za = self.Ra, self.Za
        for c, g in zip(maybe_done[~ok], G[:, ~ok].T):
            Ra[:, c] = -g
            Za[:, c] = self.Minv[:, c] * Ra[:, c]
            rz_new[c] = Ra[:, c] @ Za[:, c]
            beta[c] = 0.0
            self.rr[c] = g @ g
        return ok

    def new_direction(self, beta: np.ndarray) -> None:
        _new_direction(self.Pa, self.Za, beta)


def cg_dual(problem: RidgeProblem, W0: np.ndarray, max_iter: int, monitor=None) -> SolverOutput:
    """Preconditioned CG on ``(A A^T + lam I) alpha = y_s``; see the module docstring.

    ``monitor`` as in :func:`cg_primal`, given ``ratio * ||rho||^2 / threshold``
    (the estimate of ``||g||^2`` that triggers a true check).
    """
    system = _DualSystem(problem, W0, monitor)
    n_iter = pcg(system, max_iter)
    if system.active.any():
        system.check(np.flatnonzero(system.active))
    return SolverOutput(
        W=system.W,
        certificate=system.certificate,
        n_iter=n_iter,
        solver="cg-dual",
        alpha=system.alpha,
    )


class _DualSystem(BlockSteps):
    """The vector work of :func:`cg_dual` (see :class:`fastridge._solvers.pcg.PCGSystem`).

    Full-width arrays with an ``active`` mask; ``z`` is formed in
    :meth:`settle`, after the check, for the targets still running.
    """

    def __init__(self, problem: RidgeProblem, W0: np.ndarray, monitor):
        self.problem, self.monitor = problem, monitor
        op, lam = problem.op, problem.lam
        self.sqrt_s = sqrt_s = op.sqrt_s[:, None]
        Ys = sqrt_s * problem.Yc
        W0 = usable_warm_start(problem, W0)
        if np.any(W0):
            # The dual point implied by w0 (exact at the optimum: alpha* = (y_s - A w*) / lam).
            self.alpha = (Ys - sqrt_s * op.matvec(W0)) / lam
            self.R = Ys - op.dual_gram_matvec(self.alpha) - lam * self.alpha
        else:
            self.alpha = np.zeros_like(Ys)
            self.R = Ys.copy()
        R = self.R
        row_sq = op.row_sq_norms()
        self.Minv = 1.0 / (row_sq[:, None] + lam[None, :])
        frob_sq = float(row_sq.sum())
        self.thresh = problem.grad_sq_threshold
        # ratio[j] estimates ||A^T rho||^2 / ||rho||^2, only to decide when a true
        # check is worth its passes.  Start from the initial residual (one pass);
        # each check lowers it to the observed value.  ||A||_F^2 bounds it.
        rr0 = _colwise_dot(R, R)
        AtR = op.rmatvec(sqrt_s * R)
        # A subnormal ||rho||^2 overflows the quotient to inf (min() below caps it).
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ratio = np.where(rr0 > 0, _colwise_dot(AtR, AtR) / rr0, frob_sq)
        self.ratio = np.minimum(ratio, frob_sq)
        del AtR
        self.certificate = np.full(problem.k, np.inf)
        self.W = np.zeros((op.p, problem.k))
        self.active = np.ones(problem.k, dtype=bool)
        rr = _colwise_dot(R, R)
        first = np.flatnonzero(self.ratio * rr <= self.thresh)
        if len(first):
            self.active[first[self.check(first)]] = False
        Z = self.Minv * R
        self.P = Z.copy()
        self.rz0 = _colwise_dot(R, Z)[self.active]

    def check(self, cols: np.ndarray) -> np.ndarray:
        """True certificate of ``w = A^T alpha`` for ``cols``; stores ``W``; returns ok."""
        problem, lam, R, ratio = self.problem, self.problem.lam, self.R, self.ratio
        self.W[:, cols] = self.problem.op.rmatvec(self.sqrt_s * self.alpha[:, cols])
        G = problem.gradient(self.W, cols)
        cert = problem.certificate_from_gradient(G, cols)
        self.certificate[cols] = cert
        rho_sq = _colwise_dot(R[:, cols], R[:, cols])
        # rho_sq can be subnormal once the dual residual has vanished: the quotient
        # overflows to inf, which min() below ignores (no RuntimeWarning for the user).
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            observed = np.where(rho_sq > 0, 2.0 * lam[cols] * cert / rho_sq, ratio[cols])
        ratio[cols] = np.minimum(ratio[cols], observed)
        return is_certified(cert, problem.tol, problem.p_null[cols])

    def running(self) -> bool:
        return bool(self.active.any())

    def curvature(self) -> np.ndarray:
        self.idx = idx = np.flatnonzero(self.active)
        self.Pa = Pa = self.P[:, idx]
        self.Q = self.problem.op.dual_gram_matvec(Pa) + self.problem.lam[idx] * Pa
        return _colwise_dot(Pa, self.Q)

    def step(self, a: np.ndarray) -> None:
        idx = self.idx
        self.alpha[:, idx] += a * self.Pa
        self.R[:, idx] -= a * self.Q

    def settle(self, rz_new: None, rz: np.ndarray):
        idx, R, ratio, thresh = self.idx, self.R, self.ratio, self.thresh
        rr = _colwise_dot(R[:, idx], R[:, idx])
        trigger = ratio[idx] * rr <= thresh[idx]
        if trigger.any():
            cols = idx[trigger]
            self.active[cols[self.check(cols)]] = False
        self.idx_s = idx_s = np.flatnonzero(self.active)
        if len(idx_s) == 0:
            return None
        if self.monitor is not None:
            rr_s = _colwise_dot(R[:, idx_s], R[:, idx_s])
            if self.monitor(ratio[idx_s] * rr_s / thresh[idx_s]):
                return None
        self.Zs = self.Minv[:, idx_s] * R[:, idx_s]
        rz_new = _colwise_dot(R[:, idx_s], self.Zs)
        return self.beta(rz_new, rz[self.active[idx]]), rz_new

    def new_direction(self, beta: np.ndarray) -> None:
        idx_s = self.idx_s
        self.P[:, idx_s] = self.Zs + beta * self.P[:, idx_s]
