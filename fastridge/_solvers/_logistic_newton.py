"""Truncated Newton (Newton-CG) for binary L2-logistic regression, certified.

Objective (DESIGN.md section 1), labels ``y_i in {-1, +1}``, margins
``m_i = x_i . w + b``:

    P(w, b) = sum_i s_i log(1 + exp(-y_i m_i)) + lam/2 ||w||^2.

The intercept is profiled out: ``F(w) = min_b P(w, b)``, with ``b*(w)`` found
by a one-dimensional Newton iteration on the margins (O(n), no pass over
``X``).  ``P`` minus ``lam/2 ||w||^2`` is jointly convex, so ``F`` is
``lam``-strongly convex and, by the envelope theorem,
``grad F(w) = grad_w P(w, b*(w)) = X^T (s * r) + lam w`` with
``r_i = -y_i sigma(-y_i m_i)``.  Hence the certificate

    F(w) - F* = P(w, b*(w)) - P*  <=  ||grad F(w)||^2 / (2 lam),

and the solver stops when it is at most ``tol * P_null`` (``P_null`` = the
objective of the best intercept-only model).

Each Newton step solves ``H_F delta = -grad F``: exactly from the dense
Hessian when that is cheap (:func:`use_dense_hessian`), otherwise
inexactly by Jacobi-preconditioned CG, where ``H_F = Xc^T D Xc + lam I`` is the Hessian of ``F``:
``D = diag(s_i sigma'(m_i))`` and ``Xc`` is ``X`` centred with the
``D``-weighted column means (the Schur complement of the intercept), which is
exactly the design operator with sample weights ``D``.  A backtracking
(Armijo) line search on ``F`` keeps every step a descent step; each trial
costs O(n) given ``X delta``.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
from scipy.special import expit

from .._kernels._binary_loss import binary_loss_db
from .._operators import DesignOperator

# Armijo sufficient-decrease constant and backtracking factor (textbook values).
_ARMIJO = 1e-4
_BACKTRACK = 0.5
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
# Dense (exact) Newton steps: allowed up to this p (the p x p Hessian and its
# Cholesky factor, 32 MiB at p = 2048, and a factorisation of ~3 GFlop)...
_DENSE_MAX_P = 2048
# ... when building it, sum_i nnz_i^2 + p^3 / 3 multiply-adds, costs at most
# this many passes' worth of multiply-adds (2 nnz per fused CG pass):
# a truncated-CG Newton step takes 10-40 passes, so the exact step is cheaper
# below ~32.  w8a (p = 300, 12 entries per row): 7 passes' worth; CG steps
# took 0.56 s against 0.23 s for scikit-learn's dense Newton.
_DENSE_MAX_PASSES = 32
# Cap on inner CG iterations per Newton step.
_MAX_INNER = 200
# Newton iterations for the 1-D intercept problem; quadratic convergence from
# the previous b makes 50 far more than needed.
_MAX_B_NEWTON = 50
# The 1-D Newton iteration stops when its step is below this (relative to
# max(1, |b|)): g is a sum of n terms, so its rounding error is ~n eps and a
# smaller step is noise; an intercept off by 1e-12 changes P by ~h 1e-24.
_B_STEP_RTOL = 1e-12
# Relative rounding level of f = sum_i s_i log(1 + exp(-t_i)) (a sum of n
# terms: a few hundred eps for n ~ 1e5).
_F_RTOL = 1e-13
# Smallest damping of a 1-D Newton step: below it the decrease is lost in the
# rounding of f and b is optimal to working precision.
_MIN_B_STEP = 1e-10


def _loss(margins_y: np.ndarray, s: np.ndarray) -> float:
    """``sum_i s_i log(1 + exp(-t_i))`` for ``t = y * m`` (overflow-safe, one sweep)."""
    return binary_loss_db(margins_y, np.ones_like(margins_y), s, 0.0)[0]


def _profile_intercept_and_loss(
    z: np.ndarray, y: np.ndarray, s: np.ndarray, b: float
) -> tuple[float, float]:
    """``(b*, f(b*))``: ``b* = argmin_b f(b)``, ``f(b) = sum_i s_i log(1 + exp(-y_i (z_i + b)))``.

    Safeguarded 1-D Newton.  The returned loss is that of the last evaluated
    point (within rounding of ``f(b*)`` when the final step was below rounding).

    Each trial point costs one sweep of :func:`binary_loss_db` (value, slope
    and curvature together); a step is halved until the value does not increase.
    """
    f, g, h = binary_loss_db(z, y, s, b)
    for _ in range(_MAX_B_NEWTON):
        if not h > 0.0:
            break
        step = g / h
        if abs(step) <= _B_STEP_RTOL * max(1.0, abs(b)):
            return b - step, f  # converged (the step is at the level of g's rounding)
        # When the predicted decrease g * step / 2 is below the rounding of f,
        # comparing values says nothing: the quadratic model is exact at that
        # scale, so the full step is taken.
        resolvable = 0.5 * g * step > _F_RTOL * abs(f)
        t = 1.0
        while True:
            b_new = b - t * step
            f_new, g_new, h_new = binary_loss_db(z, y, s, b_new)
            if f_new <= f or not resolvable:
                break
            t *= 0.5
            if t < _MIN_B_STEP:
                return b, f  # no decrease left that rounding can resolve
        b, f, g, h = b_new, f_new, g_new, h_new
    return b, f


def _profile_intercept(z: np.ndarray, y: np.ndarray, s: np.ndarray, b: float) -> float:
    """``argmin_b`` of the 1-D loss; see :func:`_profile_intercept_and_loss`."""
    return _profile_intercept_and_loss(z, y, s, b)[0]


def use_dense_hessian(X) -> bool:
    """Whether exact Newton steps from the dense ``p x p`` Hessian are cheaper than CG steps."""
    n, p = X.shape
    if p > _DENSE_MAX_P:
        return False
    if isinstance(X, np.ndarray):
        build = float(n) * p * p
        nnz = float(n) * p
    else:
        counts = np.diff(X.indptr) if X.format == "csr" else np.bincount(X.indices, minlength=n)
        build = float(np.dot(counts.astype(np.float64), counts))
        nnz = float(X.indptr[-1])
    return build + p**3 / 3.0 <= _DENSE_MAX_PASSES * 2.0 * max(nnz, 1.0)


def inner_cg_stop(g_norm: float, g0_norm: float, lam: float, tol: float, p_null: float) -> float:
    """Residual norm at which the inner CG of a Newton step stops (see the constants above)."""
    eta = min(_ETA_MAX, np.sqrt(g_norm / g0_norm)) if g0_norm > 0 else _ETA_MAX
    return max(eta * g_norm, _TARGET_FRACTION * np.sqrt(2.0 * lam * tol * p_null))


def newton_cg_binary(
    X,
    y: np.ndarray,
    s: np.ndarray,
    lam: float,
    fit_intercept: bool,
    tol: float,
    max_iter: int,
    n_threads: int,
    w0: np.ndarray,
):
    """Certified Newton; returns ``(w, b, certificate, p_null, n_iter, n_passes, solver)``.

    ``solver`` is ``"newton-cholesky"`` when the dense Hessian was used
    (:func:`use_dense_hessian`) and ``"newton-cg"`` otherwise.
    """
    n = X.shape[0]
    plain = DesignOperator(X, s, False, n_threads)  # uncentred products with X
    dense = use_dense_hessian(X)
    # Null model: w = 0, best intercept (log-odds of the weighted class balance).
    zeros = np.zeros(n)
    b = _profile_intercept(zeros, y, s, 0.0) if fit_intercept else 0.0
    p_null = _loss(y * b, s)
    w = w0.copy()
    z = plain.matvec(w) if np.any(w) else zeros.copy()
    if fit_intercept:
        b, loss = _profile_intercept_and_loss(z, y, s, b)
    else:
        loss = _loss(y * z, s)

    def gradient(z, b, w):
        r = -y * expit(-y * (z + b))
        return plain.rmatvec(s * r) + lam * w

    g = gradient(z, b, w)
    g0_norm = np.linalg.norm(g)
    certificate = float(g @ g) / (2.0 * lam)
    n_iter = 0
    passes = 0
    while certificate > tol * p_null and n_iter < max_iter:
        n_iter += 1
        m = z + b
        sig = expit(m)
        d = s * sig * (1.0 - sig)
        if not (d > 0).any():
            break
        # One setup pass: D-weighted column means and squared norms together.
        hess = DesignOperator(X, d, fit_intercept, n_threads, targets=np.empty((n, 0)))
        if dense:
            # Small p: the exact Newton step from the dense Hessian (one pass).
            H = hess.gram_dense()
            H = 0.5 * (H + H.T) + lam * np.eye(X.shape[1])
            delta = sla.solve(H, -g, assume_a="pos", check_finite=False)
        else:
            minv = 1.0 / (hess.col_sq_norms() + lam)
            stop = inner_cg_stop(np.linalg.norm(g), g0_norm, lam, tol, p_null)
            delta = _pcg(hess, lam, -g, minv, stop)
        passes += hess.n_passes
        x_delta = plain.matvec(delta)
        f_old = loss + 0.5 * lam * (w @ w)
        slope = float(g @ delta)
        resolvable = -slope > _F_RTOL * abs(f_old)
        t = 1.0
        while True:
            w_new = w + t * delta
            z_new = z + t * x_delta
            if fit_intercept:
                b_new, loss_new = _profile_intercept_and_loss(z_new, y, s, b)
            else:
                b_new, loss_new = 0.0, _loss(y * z_new, s)
            f_new = loss_new + 0.5 * lam * (w_new @ w_new)
            # A decrease below the rounding of f cannot be tested: near the
            # optimum the (accurate) full step is taken.
            if f_new <= f_old + _ARMIJO * t * slope or t < 1e-10 or not resolvable:
                break
            t *= _BACKTRACK
        w, z, b, loss = w_new, z_new, b_new, loss_new
        g = gradient(z, b, w)
        certificate = float(g @ g) / (2.0 * lam)
    # Certify from scratch: margins recomputed from w (no accumulated updates).
    z = plain.matvec(w)
    if fit_intercept:
        b = _profile_intercept(z, y, s, b)
    g = gradient(z, b, w)
    certificate = float(g @ g) / (2.0 * lam)
    solver = "newton-cholesky" if dense else "newton-cg"
    return w, b, certificate, p_null, n_iter, passes + plain.n_passes, solver


def _pcg(op: DesignOperator, lam: float, rhs: np.ndarray, minv: np.ndarray, stop: float):
    """Jacobi-PCG on ``(Xc^T D Xc + lam I) x = rhs`` until ``||r|| <= stop``."""
    x = np.zeros_like(rhs)
    r = rhs.copy()
    z = minv * r
    pdir = z.copy()
    rz = r @ z
    for _ in range(_MAX_INNER):
        if np.linalg.norm(r) <= stop:
            break
        q = op.gram_matvec(pdir) + lam * pdir
        pq = pdir @ q
        if pq <= 0:
            break
        alpha = rz / pq
        x += alpha * pdir
        r -= alpha * q
        z = minv * r
        rz_new = r @ z
        pdir = z + (rz_new / rz) * pdir
        rz = rz_new
    return x
