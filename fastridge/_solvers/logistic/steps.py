"""One Newton step of the binary solver: ``H_F delta = -grad F``.

Exactly from the dense Hessian when that is cheap
(:func:`fastridge._solvers.auto_rules.use_dense_hessian`), otherwise
inexactly by Jacobi-PCG (:func:`fastridge._solvers.pcg.pcg`); the Hessian
products fused in one pass (:func:`fused_step`) or, for columns with large
means, in centred two-pass form (:func:`centred_step`).

Both return ``(delta, passes, x_delta)``.  The line search needs the margins'
direction ``X delta``; by CG that is ``sum_k alpha_k X d_k`` over the CG
directions ``d_k``, and every Hessian product already computes ``X d_k`` on
its way (:meth:`~fastridge._operators.contract.DesignProducts.gram_matvec_xv`),
so the CG accumulates it (:class:`MarginSystem`) and a Newton iteration
makes no pass of its own for ``X delta`` (``x_delta`` None: the dense
Hessian's step, which the caller multiplies out in one pass).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as sla

from ..._operators.design import DesignOperator
from ..pcg import VectorSystem, pcg
from ..stopping import grad_sq_threshold
from .certify import EPS

# Inner CG stops at ||residual|| <= eta * ||grad F|| with eta = min(0.5,
# sqrt(||grad F|| / ||grad F_0||)): superlinear outer convergence without
# solving early Newton systems to full accuracy (Eisenstat-Walker style).
_ETA_MAX = 0.5
# ... but never below this fraction of the gradient norm that certifies
# (||grad F||^2 / (2 lam) <= tol * P_null): after the step the gradient is
# about the CG residual plus a term quadratic in the step, so solving further
# only overshoots the requested accuracy (the last Newton step on news20
# took 61 CG iterations to land 4 decades below tol without this floor).
_TARGET_FRACTION = 0.5
# Cap on inner CG iterations per Newton step.
_MAX_INNER = 200


def inner_cg_stop(g_norm: float, g0_norm: float, lam: float, tol: float, p_null: float) -> float:
    """Residual norm at which the inner CG of a Newton step stops (see the constants above)."""
    eta = min(_ETA_MAX, np.sqrt(g_norm / g0_norm)) if g0_norm > 0 else _ETA_MAX
    return max(eta * g_norm, _TARGET_FRACTION * np.sqrt(grad_sq_threshold(lam, tol, p_null)))


def fused_step(
    X,
    d,
    fit_intercept,
    lam,
    g,
    g0_norm,
    tol,
    p_null,
    dense,
    n_threads,
    operator_type=DesignOperator,
    setup=None,
):
    """Newton step from the one-pass (fused) products; ``(delta, passes)``.

    With an intercept the Hessian of ``F`` is ``Xd^T D Xd + lam I`` (``X``
    centred with the ``d``-weighted means, the Schur complement of the
    intercept); without, ``X^T D X + lam I``.  ``setup``: ``(X^T d, (X*X)^T d)``
    when the caller's gradient pass computed them (no set-up pass here).
    """
    if setup is None:
        # One setup pass: D-weighted column means and squared norms together.
        hess = operator_type(X, d, fit_intercept, n_threads, targets=np.empty((X.shape[0], 0)))
    else:
        hess = operator_type(X, d, fit_intercept, n_threads, setup=setup)
    if dense:
        # Small p: the exact Newton step from the dense Hessian (one pass).
        H = hess.gram_dense()
        delta = _solve_dense(0.5 * (H + H.T), lam, g)
    else:
        minv = 1.0 / (hess.col_sq_norms() + lam)
        stop = inner_cg_stop(np.linalg.norm(g), g0_norm, lam, tol, p_null)
        delta, x_delta = _pcg(hess.gram_matvec_xv, lam, -g, minv, stop, X.shape[0])
        return delta, hess.n_passes, x_delta
    return delta, hess.n_passes, None


def centred_step(plain, d, lam, g, g0_norm, tol, p_null, dense):
    """Newton step with the Hessian applied in centred form (large column means).

    ``H_F v = Xd^T D Xd v + lam v`` with ``Xd = X - 1 mu_d^T``, ``mu_d = X^T d / D``:
    ``q = X v - (d . X v) / D`` (the centred margins, an n-vector), then
    ``X^T (d q - d (1^T d q) / D)``.  Both subtractions act on n-vectors of
    the size of the centred quantities, so nothing of size ``|mu|`` cancels.
    Two passes per product (the fused kernel cannot centre in between).
    """
    before = plain.n_passes
    D = float(d.sum())

    def hessp_xv(v):
        """``(H_F v - lam v, X v)``: the product and the raw margins it passes through."""
        xv = plain.matvec(v)  # (n,) or (n, k); plain is uncentred: X v
        q = xv - (d @ xv) / D
        dd = d[:, None] if q.ndim == 2 else d
        t = dd * q
        t -= dd * (t.sum(axis=0) / D)
        return plain.rmatvec(t), xv

    p = g.shape[0]
    x_delta = None
    if dense:
        H = _dense_from_hessp(lambda v: hessp_xv(v)[0], p)
        delta = _solve_dense(0.5 * (H + H.T), lam, g)
    else:
        # The Jacobi diagonal would cancel like the products: plain CG.
        stop = inner_cg_stop(np.linalg.norm(g), g0_norm, lam, tol, p_null)
        delta, x_delta = _pcg(hessp_xv, lam, -g, np.ones(p), stop, plain.shape[0])
    # matvec/rmatvec passes were counted by plain; report them to the caller
    # as Hessian passes and remove them from plain's count.
    used = plain.n_passes - before
    plain.n_passes = before
    return delta, used, x_delta


# Columns of the identity per block when a dense Hessian is built from
# products (memory: n x block doubles).
_HESS_BLOCK = 256


def _dense_from_hessp(hessp, p: int) -> np.ndarray:
    """Dense ``p x p`` matrix of the symmetric map ``hessp`` (identity blocks)."""
    H = np.empty((p, p))
    for lo in range(0, p, _HESS_BLOCK):
        hi = min(p, lo + _HESS_BLOCK)
        E = np.zeros((p, hi - lo))
        E[np.arange(lo, hi), np.arange(hi - lo)] = 1.0
        H[:, lo:hi] = hessp(E)
    return H


def _solve_dense(H: np.ndarray, lam: float, g: np.ndarray) -> np.ndarray:
    """Newton step ``(H + lam I)^{-1} (-g)``; never raises on a singular system.

    Cholesky first.  When ``H + lam I`` is not numerically positive definite
    (``lam`` below the rounding of ``H``, e.g. ``lam = 1e-30`` with p > n),
    the step uses the eigendecomposition with eigenvalues floored at
    ``p eps max(eig)`` (a regularised Newton step, still a descent direction);
    with a non-finite ``H``, the steepest-descent step ``-g / max(diag)``.
    The line search makes any descent direction safe.
    """
    p = H.shape[0]
    A = H + lam * np.eye(p)
    try:
        with warnings.catch_warnings():
            # Ill-conditioned but factorised: the step is still a descent
            # direction (the line search checks it); no warning to the user.
            warnings.simplefilter("ignore", sla.LinAlgWarning)
            return sla.solve(A, -g, assume_a="pos", check_finite=False)
    except (np.linalg.LinAlgError, ValueError):
        pass
    if not np.all(np.isfinite(A)):
        scale = np.nanmax(np.abs(np.diag(A)))
        return -g / (scale if np.isfinite(scale) and scale > 0 else 1.0)
    ev, V = np.linalg.eigh(A)
    # p eps max(eig): the eigenvalues below it are rounding noise of H.
    floor = max(p * 2 * EPS * max(float(ev[-1]), 0.0), lam, np.finfo(np.float64).tiny)
    return V @ ((V.T @ -g) / np.maximum(ev, floor))


class MarginSystem(VectorSystem):
    """:class:`~fastridge._solvers.pcg.VectorSystem` that also forms ``X x``.

    ``hessp_xv(v) = (H v, X v)`` (one pass); each step ``x += alpha d`` adds
    ``alpha X d`` to ``xx``, so that at the end ``xx = X x`` (``x`` starts at
    0) to the rounding of the ``k`` updates, without a product of its own.
    """

    def __init__(self, hessp_xv, lam, rhs, minv, stop, n: int):
        super().__init__(None, lam, rhs, minv, stop)
        self.hessp_xv = hessp_xv
        self.xx = np.zeros(n)
        self.xd = None

    def curvature(self) -> float:
        hd, self.xd = self.hessp_xv(self.d)
        self.q = hd + self.lam * self.d
        return self.d @ self.q

    def step(self, alpha: float) -> float:
        self.xx += alpha * self.xd
        return super().step(alpha)


def _pcg(hessp_xv, lam: float, rhs: np.ndarray, minv: np.ndarray, stop: float, n: int):
    """Jacobi-PCG on ``(H + lam I) x = rhs`` until ``||r|| <= stop``; ``(x, X x)``.

    ``hessp_xv(v) = (H v, X v)`` (:class:`MarginSystem`).
    """
    system = MarginSystem(hessp_xv, lam, rhs, minv, stop, n)
    # d.Ad NaN continues here (the binary step's behaviour since it was written).
    system.nan_curvature_stops = False
    pcg(system, _MAX_INNER)
    return system.x, system.xx
