"""Certified L-BFGS for binary L2-logistic regression: one pass over ``X`` per evaluation.

Objective (docs/architecture.md, "1. The problems (exact objectives)"),
labels ``y_i in {-1, +1}``, margins ``m_i = x_i . w + b``:

    P(w, b) = sum_i s_i log(1 + exp(-y_i m_i)) + lam/2 ||w||^2

(``b`` unpenalised; ``b = 0`` without intercept).  L-BFGS minimises ``P``
jointly in ``theta = (w, c)``, where ``c = b + mu . w`` is the intercept of
the model in columns centred by their means ``mu`` (``m_i = (x_i - mu) . w +
c``): the same ``P``, but without the coupling of ``b`` to every ``w_j`` that
large column means cause (a mean of 1e6 makes the Hessian in ``(w, b)``
1e12 times worse conditioned; in ``(w, c)`` it is unchanged).  The change of
variables is free: a pass evaluates the margins as ``x_i . w + (c - mu . w)``.

One evaluation of ``P`` and its gradient is ONE fused pass over ``X``
(:meth:`fastridge._operators.design.DesignOperator.logistic_loss_grad`):

    grad_w P = X^T u - mu (1^T u) + lam w,    dP/dc = 1^T u,
    u_i = -s_i y_i sigma(-y_i m_i).

The direction comes from the two-loop recursion over the last
``_HISTORY`` pairs ``(s_k, y_k)`` (an update with ``s_k . y_k <= 0`` is
skipped), with the initial inverse Hessian ``gamma M^{-1}``: ``M``
approximates the Hessian at ``w = 0`` (``sigma' <= 1/4``): with an intercept
its Jacobi diagonal ``M_j = ||X_j - mu_j||^2 / 4 + lam``, ``M_c = S / 4``;
without one that diagonal plus the rank-one ``(n / 4) mu mu^T`` of the column
means (:func:`_initial_inverse`), and ``gamma = s^T y / (y^T M^{-1} y)`` from
the latest pair (1 before the first).  The step is
Armijo backtracking from ``t = 1``; each trial is one fused pass, whose
gradient is the next iteration's.

Certification, exactly as :mod:`.newton`: the solver stops only when
:func:`.certify.certify_binary` (margins ``X w`` from the fused pass at
that ``w``, a fresh product, never updated step by step; ``b`` profiled,
gradient of the profiled objective from scratch, with a bound on its own
rounding) gives ``certificate <= tol * P_null``; the certificate
bounds ``P(w, b) - P*`` at the returned point.  The joint gradient is not
that of the profiled objective ``F(w) = min_b P(w, b)``, so
``certify_binary`` (one pass for the gradient, one more the first time for the
row norms of its rounding bound) is called only when the cheap proxy

    ||grad_w P||^2 / (2 lam) + (dP/dc)^2 / (2 sum_i d_i)

(``d_i = s_i sigma'(m_i)``: the curvature in ``c``; the first term is
``F``'s certificate, the second the 1-D Newton estimate of ``f(b) - f(b*)``)
is below ``_PROXY_MARGIN * tol * P_null``.  When it does not certify, L-BFGS
continues from the profiled ``b`` (one more pass for its gradient) and the
next attempt waits until the proxy has dropped ``_RETRY_SHRINK`` times below
the failed one.

Counted passes: every evaluation (also rejected line-search trials), every
certification pass, the set-up pass of the scales and the warm start's pass.

``X`` stored as CSC reads ``X`` twice per evaluation (``X w``, then ``X^T u``);
an operator without ``logistic_loss_grad`` (the distributed
:class:`fastridge.distributed.DaskDesignOperator`) does the same with its
``matvec`` and ``rmatvec``.  Both give the same iterates, at twice the passes.
"""

from __future__ import annotations

import numpy as np

from ..._kernels._binary_loss import binary_loss_db, residual_and_weights
from ..stopping import certified_limit, is_certified
from .certify import DataScales, certify_binary, half_sq_over, safe_norm
from .intercept import F_RTOL, binary_loss, profile_intercept
from .newton import safe_start
from .problem import BinaryProblem, LogisticSolverOutput

# Curvature pairs kept (the usual 5-20; scikit-learn's and L-BFGS-B's default
# is 10): more pairs cost O(history * p) per iteration, noise beside a pass
# over X, but gave no fewer passes on the harness's data.
_HISTORY = 10
# Armijo sufficient-decrease constant and backtracking factor (textbook values,
# as in newton.py).
_ARMIJO = 1e-4
_BACKTRACK = 0.5
# Halvings of a line search before the direction is given up (t >= 2^-30,
# ~1e-9): a quasi-Newton direction that needs a shorter step is not a useful
# one; the memory is then dropped and the scaled gradient tried, and if that
# fails too the solver stops where it is (honestly: certificate reported).
_MAX_HALVINGS = 30
# The proxy certificate must be this far below the target before the (one- or
# two-pass) certification runs: the proxy is an estimate, and a failed
# certification costs more than the one or two iterations the margin asks for.
_PROXY_MARGIN = 0.5
# After a failed certification, the next one waits until the proxy is this
# factor below the failed one (each attempt costs a pass or two; the proxy falls
# by a roughly constant factor per iteration, so attempts are few).
_RETRY_SHRINK = 0.25
# Stall detection at the rounding floor (a tol below what float64 can certify):
# after this many consecutive iterations whose decrease of P is below its
# rounding (F_RTOL) and whose proxy did not halve, the solver stops where it
# is (at 1e6 column means and tol 1e-30 it otherwise ran its 1,000 iterations,
# 15,000 passes, accepting steps on rounding noise).
_STALL_ITERS = 10
# Halvings of a line search whose predicted decrease is below the rounding of
# P: its value comparisons are noise, so only a few steps are tried.
_MAX_HALVINGS_UNRESOLVED = 4


def lbfgs_binary(problem: BinaryProblem, w0: np.ndarray, max_iter: int) -> LogisticSolverOutput:
    """Certified L-BFGS from ``w0`` (p,); see the module docstring.

    ``max_iter`` caps the L-BFGS iterations (accepted steps).  ``solver`` of the
    output is ``"lbfgs"``; ``n_iter`` counts iterations and ``n_passes`` every
    read of ``X``.
    """
    X, y, s, lam = problem.X, problem.y, problem.s, problem.lam
    fit_intercept, tol, n_threads = problem.fit_intercept, problem.tol, problem.n_threads
    operator_type = problem.operator_type
    n, p = X.shape
    plain = operator_type(X, s, False, n_threads)  # uncentred products with X
    zeros = np.zeros(n)
    b_null = profile_intercept(zeros, y, s, 0.0) if fit_intercept else 0.0
    p_null = binary_loss(y * b_null, s)
    w, _, b, _ = safe_start(plain, y, s, lam, fit_intercept, w0, b_null, p_null)
    scales = DataScales(X, s, fit_intercept, n_threads, operator_type=operator_type)
    target = certified_limit(tol, p_null)
    mu = np.asarray(scales.mean, dtype=np.float64) if fit_intercept else np.zeros(p)
    h0 = _initial_inverse(scales, s, lam, fit_intercept, n)
    evaluate = _evaluator(plain, y, s, lam, fit_intercept, mu, p)

    theta = np.append(w, b + float(mu @ w)) if fit_intercept else w.copy()
    f, g, proxy, w, b, z = evaluate(theta)
    pairs: list[tuple[np.ndarray, np.ndarray, float]] = []
    gamma = 1.0
    n_iter = 0
    certified_at = None  # (w, b, certificate) of the last certification
    next_try = np.inf
    stalls, stall_proxy = 0, np.inf
    while True:
        if proxy <= _PROXY_MARGIN * target and proxy <= next_try:
            # z = X w from the evaluation at this w: the certification's margins
            b_cert, certificate = certify_binary(plain, scales, y, s, lam, fit_intercept, w, b, z)
            certified_at = (w, b_cert, certificate)
            if is_certified(certificate, tol, p_null):
                break
            next_try = _RETRY_SHRINK * proxy
            if fit_intercept and b_cert != b:  # continue from the profiled intercept
                theta = np.append(w, b_cert + float(mu @ w))
                f, g, proxy, w, b, z = evaluate(theta)
        if n_iter >= max_iter:
            break
        step = _search(evaluate, theta, f, g, proxy, _direction(g, pairs, gamma, h0))
        if step is None and pairs:  # drop the memory, try the scaled gradient
            pairs = []
            step = _search(evaluate, theta, f, g, proxy, -gamma * h0(g))
        if step is None:
            break  # no decrease found: stop here, honestly
        n_iter += 1
        f_old, proxy_old = f, proxy
        theta_new, f, g_new, proxy, w, b, z = step
        if f_old - f > F_RTOL * abs(f_old):
            stalls = 0
        else:  # a decrease below the rounding of P: progress only if the proxy halves
            if stalls == 0:
                stall_proxy = proxy_old
            stalls = 0 if proxy < 0.5 * stall_proxy else stalls + 1
        sk, yk = theta_new - theta, g_new - g
        sy = float(sk @ yk)
        if sy > 0.0 and np.isfinite(sy):  # a curvature pair (else skipped)
            pairs.append((sk, yk, 1.0 / sy))
            if len(pairs) > _HISTORY:
                pairs.pop(0)
            ydy = float(yk @ h0(yk))
            if ydy > 0.0 and np.isfinite(ydy):
                gamma = sy / ydy
        theta, g = theta_new, g_new
        if stalls >= _STALL_ITERS:
            break  # at the rounding floor: stop here, honestly
    if certified_at is None or certified_at[0] is not w:
        b_cert, certificate = certify_binary(plain, scales, y, s, lam, fit_intercept, w, b, z)
        certified_at = (w, b_cert, certificate)
    w, b, certificate = certified_at
    return LogisticSolverOutput(
        coef=np.array(w, dtype=np.float64),
        intercept=float(b),
        certificate=float(certificate),
        p_null=p_null,
        n_iter=n_iter,
        n_passes=plain.n_passes + scales.n_passes,
        solver="lbfgs",
    )


def _evaluator(plain, y, s, lam, fit_intercept, mu, p):
    """``evaluate(theta) -> (P, grad P, proxy, w, b, X w)`` in the coordinates ``theta = (w, c)``.

    One pass with the fused kernel; two (``matvec``, ``rmatvec``) on an
    operator without it.  Non-finite values (overflowing margins) give
    ``P = inf``, which every line search rejects.
    """
    fused = getattr(plain, "logistic_loss_grad", None)

    def evaluate(theta):
        w = theta[:p]
        b = float(theta[p] - mu @ w) if fit_intercept else 0.0
        with np.errstate(over="ignore", invalid="ignore"):
            if fused is not None:
                loss, xtu, su, sd, z = fused(w, b, y, s)
            else:
                z = plain.matvec(w)
                u, d = residual_and_weights(z, y, s, b)
                loss = binary_loss_db(z, y, s, b)[0]
                xtu, su, sd = plain.rmatvec(u), float(u.sum()), float(d.sum())
            value = loss + 0.5 * lam * float(w @ w)
            g_w = xtu + lam * w
            if fit_intercept:
                g_w -= su * mu
                g = np.append(g_w, su)
                c_term = su * su / (2.0 * sd) if sd > 0.0 else (0.0 if su == 0.0 else np.inf)
            else:
                g, c_term = g_w, 0.0
            proxy = half_sq_over(safe_norm(g_w), lam) + c_term
        if not (np.isfinite(value) and np.all(np.isfinite(g))):
            value, proxy = np.inf, np.inf
        return value, g, proxy, w, b, z

    return evaluate


def _initial_inverse(scales, s, lam, fit_intercept, n):
    """``h0(q) = M^{-1} q``: the initial inverse Hessian of L-BFGS, up to ``gamma``.

    ``M`` approximates the Hessian at ``w = 0`` (``sigma' <= 1/4``), scaled to
    the mean weight ``s_bar = S / n_live``.  With an intercept, in the centred
    coordinates ``(w, c)``: ``M = diag(||X_j - mu_j||^2 s_bar / 4 + lam, S / 4)``
    (Jacobi).  Without one, the Hessian keeps the mean direction,
    ``X^T X = Xc^T Xc + n mu mu^T``: ``M = diag(||X_j - mu_j||^2 s_bar / 4 + lam)
    + (n s_bar / 4) mu mu^T``, inverted by Sherman-Morrison (O(p)); a diagonal
    alone puts the mean's weight on every column (a9a without intercept:
    373 passes against 136 with one).  Only the scaling of the steps rests on
    ``M``, never the certificate.  Measured against the identity (one run each,
    tol 1e-8, intercept): G lam 0.01 92 passes with ``M``, 118 without; a9a lam 1
    136 / 222; w8a lam 1 226 / 125 (the one loss).  Without intercept the
    rank-one mean term took a9a lam 1 from 373 to 164 passes, w8a 180 to 144,
    IMDB unigrams 60 to 26.
    """
    S = float(s.sum())
    s_bar = S / max(int(np.count_nonzero(s)), 1)
    mean = np.asarray(scales.mean, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        if fit_intercept:
            csq = scales.xc_norm**2  # bounds ||X_j - mu_j||^2
        else:  # sum X^2 - n mean^2 cancels when means dwarf spreads: floor it
            sumsq = scales.col_norm**2
            csq = np.maximum(sumsq - n * mean**2, 1e-8 * sumsq)
        d_w = 0.25 * s_bar * csq + lam
    d_w = np.where(np.isfinite(d_w), d_w, lam)  # (an overflowing norm: lam alone)
    if fit_intercept:
        d_inv = 1.0 / np.append(d_w, 0.25 * S)
        return lambda q: d_inv * q
    d_inv = 1.0 / d_w
    c = 0.25 * s_bar * n
    with np.errstate(over="ignore", invalid="ignore"):
        dm = d_inv * mean
        denom = 1.0 + c * float(mean @ dm)
    if not (np.isfinite(denom) and np.all(np.isfinite(dm))):
        return lambda q: d_inv * q

    def h0(q):
        return d_inv * q - (c * float(dm @ q) / denom) * dm

    return h0


def _direction(g, pairs, gamma, h0):
    """``-H g`` by the two-loop recursion, ``H_0 = gamma h0``."""
    q = g.copy()
    alphas = []
    for sk, yk, rho in reversed(pairs):
        a = rho * float(sk @ q)
        q -= a * yk
        alphas.append(a)
    r = gamma * h0(q)
    for (sk, yk, rho), a in zip(pairs, reversed(alphas)):
        beta = rho * float(yk @ r)
        r += (a - beta) * sk
    return -r


def _search(evaluate, theta, f, g, proxy, direction):
    """Armijo backtracking from ``t = 1``: ``(theta, P, grad, proxy, w, b, X w)`` or None.

    None when ``direction`` is not a descent direction or no step down to
    ``2^-_MAX_HALVINGS`` decreases ``P`` enough.  When the predicted decrease
    is below the rounding of ``P`` (``F_RTOL``: values cannot be compared), a
    step is accepted if ``P`` stays within that rounding and the proxy (the
    gradient) decreases.
    """
    slope = float(g @ direction)
    if not (slope < 0.0 and np.isfinite(slope)):
        return None
    resolvable = -slope > F_RTOL * abs(f)
    t = 1.0
    for _ in range((_MAX_HALVINGS if resolvable else _MAX_HALVINGS_UNRESOLVED) + 1):
        theta_t = theta + t * direction
        f_t, g_t, proxy_t, w_t, b_t, z_t = evaluate(theta_t)
        if f_t <= f + _ARMIJO * t * slope or (
            not resolvable and f_t <= f + F_RTOL * abs(f) and proxy_t < proxy
        ):
            return theta_t, f_t, g_t, proxy_t, w_t, b_t, z_t
        t *= _BACKTRACK
    return None
