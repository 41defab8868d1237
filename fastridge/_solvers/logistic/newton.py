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
Hessian when that is cheap (:func:`fastridge._solvers.auto_rules.use_dense_hessian`), otherwise
inexactly by Jacobi-preconditioned CG, where ``H_F = Xc^T D Xc + lam I`` is the Hessian of ``F``:
``D = diag(s_i sigma'(m_i))`` and ``Xc`` is ``X`` centred with the
``D``-weighted column means (the Schur complement of the intercept), which is
exactly the design operator with sample weights ``D``.  A backtracking
(Armijo) line search on ``F`` keeps every step a descent step; each trial
costs O(n) given ``X delta``.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as sla
from scipy.special import expit

from ..._kernels._binary_loss import binary_loss_db
from ..._operators.design import DesignOperator
from ..auto_rules import DENSE_MAX_P, DENSE_MAX_PASSES, use_dense_hessian
from ..stopping import exceeds, grad_sq_threshold
from .problem import BinaryProblem, LogisticSolverOutput

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
# Dense (exact) Newton steps: the rule and its constants are in ..auto_rules
# (bound here so that a test can patch them for this module).
_DENSE_MAX_P = DENSE_MAX_P
_DENSE_MAX_PASSES = DENSE_MAX_PASSES
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
# Smallest line-search step: below it the Newton direction is not a descent
# direction to working precision and the solver stops where it is.
_MIN_STEP = 1e-10
# Unit roundoff of float64 (the rounding-error bounds of ``certify_binary``).
_EPS = np.finfo(np.float64).eps / 2
# Column means this many times (squared) larger than the centred column
# norms make the fused Hessian products X^T D X v - mu (d . X v) lose more
# than 4 of their 16 digits to cancellation: the Hessian is then applied in
# centred two-pass form (``_centred_hessp``), exact to rounding.
_CANCEL_RATIO = 1e4


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


def inner_cg_stop(g_norm: float, g0_norm: float, lam: float, tol: float, p_null: float) -> float:
    """Residual norm at which the inner CG of a Newton step stops (see the constants above)."""
    eta = min(_ETA_MAX, np.sqrt(g_norm / g0_norm)) if g0_norm > 0 else _ETA_MAX
    return max(eta * g_norm, _TARGET_FRACTION * np.sqrt(grad_sq_threshold(lam, tol, p_null)))


def newton_cg_binary(
    problem: BinaryProblem, w0: np.ndarray, max_iter: int
) -> LogisticSolverOutput:
    """Certified Newton from ``w0`` (p,); see the module docstring.

    ``solver`` of the output is ``"newton-cholesky"`` when the dense Hessian was used
    (:func:`fastridge._solvers.auto_rules.use_dense_hessian`) and ``"newton-cg"`` otherwise.

    Floating point: the gradient is ``X^T u' + lam w`` with the centred
    residual ``u' = u - s (1^T u) / S``, ``u = s * r`` (equal to ``grad F`` in
    exact arithmetic since ``1^T u = f'(b*) = 0``), so an intercept known only
    to rounding does not leak ``mu f'(b)`` into it when columns have large
    means.  When the means are large (see ``_CANCEL_RATIO``) the Hessian is
    applied in centred form as well, and the final certificate carries a
    bound on its own rounding error (:func:`certify_binary`).
    """
    X, y, s, lam = problem.X, problem.y, problem.s, problem.lam
    fit_intercept, tol, n_threads = problem.fit_intercept, problem.tol, problem.n_threads
    n = X.shape[0]
    plain = DesignOperator(X, s, False, n_threads)  # uncentred products with X
    dense = use_dense_hessian(X, _DENSE_MAX_P, _DENSE_MAX_PASSES)
    # Null model: w = 0, best intercept (log-odds of the weighted class balance).
    zeros = np.zeros(n)
    b_null = _profile_intercept(zeros, y, s, 0.0) if fit_intercept else 0.0
    p_null = _loss(y * b_null, s)
    w, z, b, loss = _safe_start(plain, y, s, lam, fit_intercept, w0, b_null, p_null)
    scales = DataScales(X, s, fit_intercept, n_threads)
    centred = fit_intercept and scales.cancellation_ratio > _CANCEL_RATIO
    S = float(s.sum())

    def gradient(z, b, w):
        return plain.rmatvec(_centred_residual(z, b, y, s, S, fit_intercept)) + lam * w

    g = gradient(z, b, w)
    g0_norm = safe_norm(g)
    certificate = half_sq_over(g0_norm, lam)
    n_iter = 0
    passes = 0
    while exceeds(certificate, tol, p_null) and n_iter < max_iter:
        n_iter += 1
        m = z + b
        sig = expit(m)
        d = s * sig * (1.0 - sig)
        if not (d > 0).any():
            break
        if centred:
            delta, used = _centred_step(plain, d, lam, g, g0_norm, tol, p_null, dense)
        else:
            delta, used = _fused_step(
                X, d, fit_intercept, lam, g, g0_norm, tol, p_null, dense, n_threads
            )
        passes += used
        x_delta = plain.matvec(delta)
        # The intercept part of the joint Newton step, -(d . X delta) / D: the
        # trial margins z + t X delta + b + t c then move by the centred
        # t Xd delta, so the 1-D search starts next to its optimum even when
        # X delta is huge (column means of 1e4: b moves by ~1e4 |delta|).
        c = -float(d @ x_delta) / float(d.sum())
        f_old = loss + 0.5 * lam * (w @ w)
        slope = float(g @ delta)
        if not slope < 0.0:
            break  # no descent direction left (rounding level): stop honestly
        resolvable = -slope > _F_RTOL * abs(f_old)
        t = 1.0
        while True:
            w_new = w + t * delta
            z_new = z + t * x_delta
            if fit_intercept:
                b_new, loss_new = _profile_intercept_and_loss(z_new, y, s, b + t * c)
            else:
                b_new, loss_new = 0.0, _loss(y * z_new, s)
            f_new = loss_new + 0.5 * lam * (w_new @ w_new)
            # A decrease below the rounding of f cannot be tested: near the
            # optimum the (accurate) full step is taken.
            if f_new <= f_old + _ARMIJO * t * slope or not resolvable:
                break
            t *= _BACKTRACK
            if t < _MIN_STEP:
                break
        if t < _MIN_STEP:
            break  # no decrease found along the step: keep the best point, stop honestly
        w, z, b, loss = w_new, z_new, b_new, loss_new
        g = gradient(z, b, w)
        certificate = half_sq_over(safe_norm(g), lam)
    # Certify from scratch: margins recomputed from w (no accumulated updates).
    b, certificate = certify_binary(plain, scales, y, s, lam, fit_intercept, w, b)
    solver = "newton-cholesky" if dense else "newton-cg"
    return LogisticSolverOutput(
        coef=w,
        intercept=b,
        certificate=certificate,
        p_null=p_null,
        n_iter=n_iter,
        n_passes=passes + plain.n_passes + scales.n_passes,
        solver=solver,
    )


def _centred_residual(z, b, y, s, S, fit_intercept):
    """``u' = u - s (1^T u) / S`` with ``u_i = -s_i y_i sigma(-y_i (z_i + b))``.

    ``X^T u' = Xc^T u`` (``Xc`` centred with the ``s``-weighted means) without
    forming ``mu (1^T u)``; without an intercept ``u`` itself.
    """
    u = s * (-y * expit(-y * (z + b)))
    if fit_intercept:
        u -= s * (u.sum() / S)
    return u


def _safe_start(plain, y, s, lam, fit_intercept, w0, b_null, p_null):
    """``(w, z, b, loss)`` at the warm start ``w0``, or at ``w = 0`` when ``w0`` is unusable.

    A warm start whose objective is not finite (huge or non-finite entries:
    ``X w0`` or ``||w0||^2`` overflows) or is worse than the null model's
    would only cost iterations (or stall Newton on saturated margins):
    the null model ``(0, b_null)`` is used instead.
    """
    n = y.shape[0]
    w = np.array(w0, dtype=np.float64)
    if np.all(np.isfinite(w)) and np.any(w):
        with np.errstate(over="ignore", invalid="ignore"):
            z = plain.matvec(w)
            if fit_intercept:
                b, loss = _profile_intercept_and_loss(z, y, s, b_null)
            else:
                b, loss = 0.0, _loss(y * z, s)
            value = loss + 0.5 * lam * float(w @ w)
        if np.isfinite(value) and np.all(np.isfinite(z)) and value <= p_null:
            return w, z, b, loss
    return np.zeros_like(w), np.zeros(n), b_null, p_null


def _fused_step(X, d, fit_intercept, lam, g, g0_norm, tol, p_null, dense, n_threads):
    """Newton step from the one-pass (fused) products; ``(delta, passes)``.

    With an intercept the Hessian of ``F`` is ``Xd^T D Xd + lam I`` (``X``
    centred with the ``d``-weighted means, the Schur complement of the
    intercept); without, ``X^T D X + lam I``.
    """
    # One setup pass: D-weighted column means and squared norms together.
    hess = DesignOperator(X, d, fit_intercept, n_threads, targets=np.empty((X.shape[0], 0)))
    if dense:
        # Small p: the exact Newton step from the dense Hessian (one pass).
        H = hess.gram_dense()
        delta = _solve_dense(0.5 * (H + H.T), lam, g)
    else:
        minv = 1.0 / (hess.col_sq_norms() + lam)
        stop = inner_cg_stop(np.linalg.norm(g), g0_norm, lam, tol, p_null)
        delta = _pcg(hess.gram_matvec, lam, -g, minv, stop)
    return delta, hess.n_passes


def _centred_step(plain, d, lam, g, g0_norm, tol, p_null, dense):
    """Newton step with the Hessian applied in centred form (large column means).

    ``H_F v = Xd^T D Xd v + lam v`` with ``Xd = X - 1 mu_d^T``, ``mu_d = X^T d / D``:
    ``q = X v - (d . X v) / D`` (the centred margins, an n-vector), then
    ``X^T (d q - d (1^T d q) / D)``.  Both subtractions act on n-vectors of
    the size of the centred quantities, so nothing of size ``|mu|`` cancels.
    Two passes per product (the fused kernel cannot centre in between).
    """
    before = plain.n_passes
    D = float(d.sum())

    def hessp(v):
        q = plain.matvec(v)  # (n,) or (n, k)
        q -= (d @ q) / D
        dd = d[:, None] if q.ndim == 2 else d
        t = dd * q
        t -= dd * (t.sum(axis=0) / D)
        return plain.rmatvec(t)

    p = g.shape[0]
    if dense:
        H = _dense_from_hessp(hessp, p)
        delta = _solve_dense(0.5 * (H + H.T), lam, g)
    else:
        # The Jacobi diagonal would cancel like the products: plain CG.
        stop = inner_cg_stop(np.linalg.norm(g), g0_norm, lam, tol, p_null)
        delta = _pcg(hessp, lam, -g, np.ones(p), stop)
    # matvec/rmatvec passes were counted by plain; report them to the caller
    # as Hessian passes and remove them from plain's count.
    used = plain.n_passes - before
    plain.n_passes = before
    return delta, used


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
    floor = max(p * 2 * _EPS * max(float(ev[-1]), 0.0), lam, np.finfo(np.float64).tiny)
    return V @ ((V.T @ -g) / np.maximum(ev, floor))


class DataScales:
    """Column and row scales of ``X`` for the rounding-error bound of the certificate.

    One pass at construction: the plain column sums and squared sums
    ``sum_i X_ij^2`` (and ``X^T s`` when weighted); row norms are computed on
    first use (one more pass, only at the final certification).

    Attributes
    ----------
    col_norm : ndarray (p,)
        ``||X_j||_2``.
    xc_norm : ndarray (p,)
        An upper bound on ``||X_j - mu_j 1||_2`` (``mu``: the ``s``-weighted
        means), valid in spite of the cancellation in ``sum X^2 - n m^2``:
        the computed value plus ``2 gamma_n sum_i X_ij^2`` covers its rounding.
    cancellation_ratio : float
        ``max_j n mu_j^2 / ||X_j - mu_j||^2``: how many times the centred
        column norms are smaller than the means' contribution.
    """

    def __init__(self, X, s, fit_intercept: bool, n_threads: int):
        n = X.shape[0]
        self._X = X
        self._n_threads = n_threads
        op = DesignOperator(X, None, True, n_threads, targets=np.empty((n, 0)))
        self.n_passes = op.n_passes
        sumsq = op._col_sq_raw
        mean = op.mu  # unweighted means
        self.col_norm = np.sqrt(sumsq)
        gamma = _gamma(n + 2)
        csq = np.maximum(sumsq - n * mean**2, 0.0) + 2.0 * gamma * sumsq
        if fit_intercept and not np.all(s == s[0]):
            mu_s = DesignOperator(X, s, False, n_threads).rmatvec(s) / float(s.sum())
            self.n_passes += 1
            # sum (X - mu_s)^2 = sum (X - mean)^2 + n (mean - mu_s)^2
            csq = csq + n * (mean - mu_s) ** 2 * (1.0 + 4.0 * gamma)
        self.xc_norm = np.sqrt(csq) if fit_intercept else self.col_norm
        tiny = np.finfo(np.float64).tiny
        self.cancellation_ratio = float(np.max(n * mean**2 / np.maximum(csq, tiny), initial=0.0))
        self._row_norm = None

    def row_norm(self) -> np.ndarray:
        """``||x_i||_2`` (n,), one pass on first use."""
        if self._row_norm is None:
            op = DesignOperator(self._X, None, False, self._n_threads)
            self._row_norm = np.sqrt(op.row_sq_norms())
            self.n_passes += op.n_passes
        return self._row_norm


def safe_norm(v: np.ndarray) -> float:
    """``||v||_2`` without overflow or underflow of the squares (scaled by ``max |v|``)."""
    top = float(np.max(np.abs(v), initial=0.0))
    if top == 0.0 or not np.isfinite(top):
        return top
    return top * float(np.linalg.norm(v / top))


def half_sq_over(norm: float, lam: float) -> float:
    """``norm^2 / (2 lam)`` computed as ``(norm / sqrt(2 lam))^2`` (no underflow of ``norm^2``)."""
    return (norm / np.sqrt(2.0 * lam)) ** 2


def _gamma(k: int) -> float:
    """``gamma_k = k u / (1 - k u)``: relative error bound of a k-term dot product."""
    return k * _EPS / (1.0 - k * _EPS)


def certify_binary(plain, scales, y, s, lam, fit_intercept, w, b):
    """``(b, certificate)`` at ``w``: margins from scratch, ``b`` re-profiled, bound with rounding.

    In exact arithmetic ``P(w, b) - P* <= (f(b) - f(b*)) + ||grad F(w)||^2 / (2 lam)``
    and ``grad F(w) = Xc^T u(b*)``.  The computed ``g = fl(X^T u'(b)) + lam w``
    differs from ``grad F(w)`` by at most ``e`` with, column by column,

    * ``gamma_{n+2} ||X_j|| ||u'||``: rounding of the product ``X^T u'``;
    * ``||Xc_j|| ||du||``: ``du_i`` bounds the error of ``u'_i`` from the
      margins ``m_i = x_i . w + b`` (error at most
      ``gamma_p ||x_i|| ||w|| + u (|z_i| + |b| + |m_i|)``; ``|dr/dm| <= 1/4``)
      and from the centring;
    * ``||Xc_j|| ||d|| |db|``: ``b`` off ``b*`` by ``|db| <= (|f'(b)| + err f') / f''(b)``
      (one Newton step; ``b`` is at the rounding level of the 1-D problem).

    The certificate is ``(||g|| + ||e||)^2 / (2 lam) + |f'(b)| |db|`` (the last
    term bounds ``f(b) - f(b*)`` by convexity), rounded up, and at most
    ``P(w, b)`` (since ``P* >= 0``).  A non-finite value (overflow) means
    "not certified": ``inf`` is returned.
    """
    n, p = plain.n, plain.p
    S = float(s.sum())
    z = plain.matvec(w)
    if fit_intercept:
        b = _profile_intercept(z, y, s, b)
    with np.errstate(over="ignore", invalid="ignore"):
        m = z + b
        r = -y * expit(-y * m)
        u = s * r
        fprime = float(u.sum()) if fit_intercept else 0.0
        up = u - s * (fprime / S) if fit_intercept else u
        g = plain.rmatvec(up) + lam * w
        w_norm = float(np.linalg.norm(w))
        # Error of each margin, then of u' (sigma' <= 1/4; expit and the
        # products add a few relative units).
        dm = _gamma(p + 2) * scales.row_norm() * w_norm + _EPS * (np.abs(z) + abs(b) + np.abs(m))
        du = s * (0.25 * dm + 4.0 * _EPS * np.abs(r))
        if fit_intercept:
            err_sum = _gamma(n + 2) * float(np.abs(u).sum())
            du = du + s * ((float(du.sum()) + err_sum) / S + 2.0 * _EPS * abs(fprime) / S)
            sig = expit(m)
            d = s * sig * (1.0 - sig)
            h = float(d.sum())
            db = (abs(fprime) + err_sum) / h if h > 0 else np.inf
            d_norm = float(np.linalg.norm(d))
        else:
            db, d_norm, fprime = 0.0, 0.0, 0.0
        e = (
            _gamma(n + 2) * scales.col_norm * float(np.linalg.norm(up))
            + scales.xc_norm * (float(np.linalg.norm(du)) + d_norm * db)
            + 2.0 * _EPS * lam * np.abs(w)
        )
        bound = half_sq_over(safe_norm(g) + safe_norm(e), lam)
        bound += abs(fprime) * db if db > 0 else 0.0
        bound *= 1.0 + 8.0 * _EPS  # the rounding of this formula itself
        # P* >= 0 (loss and penalty are non-negative), so P(w, b) itself is a
        # certificate: it caps the bound where the intercept has no curvature
        # left (saturated margins: |db| unbounded) or the terms overflow.
        value = _loss(y * m, s) + 0.5 * lam * float(w @ w)
        cap = value * (1.0 + _gamma(n + 8))
        bound = bound if bound <= cap else cap  # also replaces a NaN bound
    if not np.isfinite(bound):
        bound = np.inf
    return float(b), float(bound)


def _pcg(hessp, lam: float, rhs: np.ndarray, minv: np.ndarray, stop: float):
    """Jacobi-PCG on ``(H + lam I) x = rhs`` (``hessp(v) = H v``) until ``||r|| <= stop``."""
    x = np.zeros_like(rhs)
    r = rhs.copy()
    z = minv * r
    pdir = z.copy()
    rz = r @ z
    for _ in range(_MAX_INNER):
        if np.linalg.norm(r) <= stop:
            break
        q = hessp(pdir) + lam * pdir
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
