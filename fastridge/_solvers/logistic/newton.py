"""Truncated Newton (Newton-CG) for binary L2-logistic regression, certified.

Objective (docs/architecture.md, "1. The problems (exact objectives)"),
labels ``y_i in {-1, +1}``, margins ``m_i = x_i . w + b``:

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

Passes per Newton iteration: one for the gradient, which also gives the
next Hessian's set-up moments ``X^T d`` and ``(X*X)^T d`` (``moments(d, u)``;
the operator is then built with ``setup=``, no pass of its own), and the CG
passes, whose products also give ``X d_k`` for each CG direction, so that
``X delta`` is their combination (:class:`~.steps.MarginSystem`); with the
dense Hessian, one pass for it and one for ``X delta``.
"""

from __future__ import annotations

import numpy as np

from ..._kernels._binary_loss import residual_and_weights
from ..auto_rules import DENSE_MAX_P, DENSE_MAX_PASSES, use_dense_hessian
from ..linesearch import backtrack
from ..stopping import exceeds
from .certify import DataScales, certify_binary, half_sq_over, safe_norm
from .intercept import F_RTOL, binary_loss, profile_intercept, profile_intercept_and_loss
from .problem import BinaryProblem, LogisticSolverOutput
from .steps import centred_step, fused_step

# Armijo sufficient-decrease constant and backtracking factor (textbook values).
_ARMIJO = 1e-4
_BACKTRACK = 0.5
# Dense (exact) Newton steps: the rule and its constants are in ..auto_rules
# (bound here so that a test can patch them for this module).
_DENSE_MAX_P = DENSE_MAX_P
_DENSE_MAX_PASSES = DENSE_MAX_PASSES
# Smallest line-search step: below it the Newton direction is not a descent
# direction to working precision and the solver stops where it is.
MIN_STEP = 1e-10
# Column means this many times (squared) larger than the centred column
# norms make the fused Hessian products X^T D X v - mu (d . X v) lose more
# than 4 of their 16 digits to cancellation: the Hessian is then applied in
# centred two-pass form (``_centred_hessp``), exact to rounding.
_CANCEL_RATIO = 1e4


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
    operator_type = problem.operator_type
    n = X.shape[0]
    plain = operator_type(X, s, False, n_threads)  # uncentred products with X
    dense = use_dense_hessian(X, _DENSE_MAX_P, _DENSE_MAX_PASSES)
    # Null model: w = 0, best intercept (log-odds of the weighted class balance).
    zeros = np.zeros(n)
    b_null = profile_intercept(zeros, y, s, 0.0) if fit_intercept else 0.0
    p_null = binary_loss(y * b_null, s)
    w, z, b, loss = safe_start(plain, y, s, lam, fit_intercept, w0, b_null, p_null)
    scales = DataScales(X, s, fit_intercept, n_threads, operator_type=operator_type)
    centred = fit_intercept and scales.cancellation_ratio > _CANCEL_RATIO
    S = float(s.sum())

    def gradient(z, b, w):
        """``(grad F, d, setup)`` at ``(w, b)`` with margins ``z``: one pass.

        ``d = s sigma'(z + b)`` are the Newton weights there.  For the fused
        Hessian the same pass gives its set-up moments ``(X^T d, (X*X)^T d)``
        (:meth:`~fastridge._operators.design.DesignOperator.moments`), so a
        Newton iteration makes no separate set-up pass; in the centred form
        (large column means) there are none to make (``setup`` None).
        """
        u, d = residual_and_weights(z, y, s, b)
        if fit_intercept:
            # centred: X^T u' = Xc^T u (Xc centred with the s-weighted means)
            # without forming mu (1^T u)
            u -= s * (u.sum() / S)
        if centred:
            return plain.rmatvec(u) + lam * w, d, None
        M = plain.moments(d, u[:, None])
        return M[:, 2] + lam * w, d, (M[:, 0], M[:, 1])

    g, d, setup = gradient(z, b, w)
    g0_norm = safe_norm(g)
    certificate = half_sq_over(g0_norm, lam)
    n_iter = 0
    passes = 0
    while exceeds(certificate, tol, p_null) and n_iter < max_iter:
        n_iter += 1
        saturated = not (d > 0).any()
        if saturated:
            # every margin's sigma' underflowed (an overshooting step, or an
            # intercept at the centre of a wide gap between the classes): the
            # Hessian is lam I to working precision, its Newton step -g / lam
            delta, used, x_delta = -g / lam, 0, None
        elif centred:
            delta, used, x_delta = centred_step(plain, d, lam, g, g0_norm, tol, p_null, dense)
        else:
            delta, used, x_delta = fused_step(
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
                operator_type,
                setup,
            )
        passes += used
        if x_delta is None:  # the dense Hessian's step: X delta in one pass
            x_delta = plain.matvec(delta)
        # The intercept part of the joint Newton step, -(d . X delta) / D: the
        # trial margins z + t X delta + b + t c then move by the centred
        # t Xd delta, so the 1-D search starts next to its optimum even when
        # X delta is huge (column means of 1e4: b moves by ~1e4 |delta|).
        c = 0.0 if saturated else -float(d @ x_delta) / float(d.sum())
        f_old = loss + 0.5 * lam * (w @ w)
        slope = float(g @ delta)
        if not slope < 0.0:
            break  # no descent direction left (rounding level): stop honestly
        resolvable = -slope > F_RTOL * abs(f_old)
        t, state = _line_search(
            y, s, lam, fit_intercept, (w, z, b), (delta, x_delta, c), f_old, slope, resolvable
        )
        if t < MIN_STEP:
            break  # no decrease found along the step: keep the best point, stop honestly
        w, z, b, loss = state
        g, d, setup = gradient(z, b, w)
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


def _line_search(y, s, lam, fit_intercept, point, direction, f_old, slope, resolvable):
    """Armijo search on ``F`` from ``point = (w, z, b)`` along ``(delta, X delta, c)``.

    Returns ``(t, (w, z, b, loss))`` at the accepted step (``t < MIN_STEP``: none).
    """
    w, z, b = point
    delta, x_delta, c = direction

    def trial(t):
        w_new = w + t * delta
        z_new = z + t * x_delta
        if fit_intercept:
            b_new, loss_new = profile_intercept_and_loss(z_new, y, s, b + t * c)
        else:
            b_new, loss_new = 0.0, binary_loss(y * z_new, s)
        f_new = loss_new + 0.5 * lam * (w_new @ w_new)
        return f_new, (w_new, z_new, b_new, loss_new)

    # A decrease below the rounding of f cannot be tested (not resolvable):
    # near the optimum the (accurate) full step is taken.
    return backtrack(
        trial, f_old, slope, resolvable, armijo=_ARMIJO, shrink=_BACKTRACK, min_step=MIN_STEP
    )


def safe_start(plain, y, s, lam, fit_intercept, w0, b_null, p_null):
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
                b, loss = profile_intercept_and_loss(z, y, s, b_null)
            else:
                b, loss = 0.0, binary_loss(y * z, s)
            value = loss + 0.5 * lam * float(w @ w)
        if np.isfinite(value) and np.all(np.isfinite(z)) and value <= p_null:
            return w, z, b, loss
    return np.zeros_like(w), np.zeros(n), b_null, p_null
