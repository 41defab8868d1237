"""Dual coordinate descent (LIBLINEAR ``-s 7``) for binary L2-logistic regression, no intercept.

Objective (docs/architecture.md, "1. The problems (exact objectives)"),
without intercept, labels ``y_i in {-1, +1}``, weights ``s_i >= 0``:

    P(w) = sum_i s_i log(1 + exp(-y_i x_i . w)) + lam/2 ||w||^2.

Dual.  For ``0 <= alpha <= s`` the conjugate of the loss gives
``s log(1 + exp(-t)) = max_alpha [-alpha t - H_s(alpha)]`` with
``H_s(alpha) = alpha log alpha + (s - alpha) log(s - alpha) - s log s``
(maximiser ``alpha = s sigma(-t)``).  Minimising over ``w`` for fixed
``alpha`` gives ``w(alpha) = X^T (alpha * y) / lam`` and the dual

    D(alpha) = -1/(2 lam) ||X^T (alpha * y)||^2 - sum_i H_{s_i}(alpha_i)  <=  P(w)  (any w),

maximised (weak duality) by ``alpha*_i = s_i sigma(-y_i x_i . w*)``.  The
solver minimises ``-D``, which is Yu, Huang & Lin (2011, Machine Learning 85,
eq. (4)) with ``C_i = s_i`` and ``Q = Y X X^T Y / lam`` (their problem is
``P / lam`` in ``alpha' = alpha / lam``; ``-D(alpha) = lam f_paper(alpha') +
const``, and a coordinate derivative is the same number in both, so the
paper's inner tolerances carry over).  Each coordinate step is the paper's
Algorithm 3 (modified Newton on the 1-D problem, with ``alpha_i`` and
``s_i - alpha_i`` both stored so that ``log`` never sees a cancelled
difference): :mod:`fastridge._kernels._logistic_dual_cd`.  Rows are visited
in a random order per epoch from a seeded generator (deterministic results);
``w`` is kept equal to ``X^T (alpha * y) / lam`` by a sparse update per row.

Stopping: the certificate of every logistic solver
(:mod:`fastridge._solvers.logistic.newton`), not a dual-gap heuristic:
``P`` is ``lam``-strongly convex, so ``P(w) - P* <= ||grad P(w)||^2 / (2 lam)``
with ``grad P(w) = X^T r + lam w``, ``r_i = -s_i y_i sigma(-y_i x_i . w)``
(margins recomputed from ``w``: two passes, ``X w`` and ``X^T r``).  Every
check computes it with :func:`certify_binary` (with its rounding-error
bound), so the check that stops the solver is also the returned
certificate; checks are made after the epochs where a cheap estimate says it
is below the limit (``_FIRST_CHECK``).  The duality gap ``P(w) - D(alpha)`` would cost the
same two passes (``||X^T(alpha y)||`` needs ``w`` exactly, the loss needs
``X w``) and is not what :func:`certify_binary` reports, so it is not used.

Passes (``n_passes``): 1 per epoch, 1 to start (``w`` from ``alpha`` and the
column moments of :class:`DataScales`, together; 2 with a warm start), 2 per
certificate check (the last one is the returned certificate); the row norms
(``||x_i||^2``, for the 1-D problems and the certificate's bound) come from
the first epoch's dot products, or from one more pass when some ``s_i = 0``.

Why no intercept: the unpenalised intercept adds the equality constraint
``sum_i y_i alpha_i = 0`` to the dual, which single-coordinate steps cannot
keep (LIBLINEAR instead penalises a constant feature: another objective).
The fit layer refuses ``fit_intercept=True`` with this solver.

Scale: dual CD is not scale invariant.  Its rate depends on ``||x_i||^2 /
lam`` and on the correlation of the rows; a column of large norm makes
``w_j = X_j^T (alpha y) / lam`` a sum that must cancel to many digits (1e-58
for a column of norm 1e29), which float64 cannot.  Such fits stop at
``max_iter`` with an honest certificate; when that certificate exceeds
``P_null`` (``w`` possibly worse than ``0``), ``w = 0`` is returned instead.

Storage: rows.  CSR and dense C-contiguous ``X`` are read as they are; the
fit layer converts CSC to CSR (one documented copy,
:func:`fastridge._fit.logistic_setup.prepare_logistic`).  The epochs run
on one thread; the checks use ``n_threads``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..._kernels._logistic_dual_cd import dual_cd_epoch_csr, dual_cd_epoch_dense
from ..._operators.layout import unsigned_view
from ..stopping import certified_limit
from .certify import DataScales, certify_binary
from .intercept import binary_loss
from .problem import BinaryProblem, LogisticSolverOutput

# Seed of the generator of the row orders: fixed, so that a fit is
# deterministic (same input, same bits).
_SEED = 0
# Cold start alpha_i = _ALPHA_START * s_i (LIBLINEAR: min(0.001 C, 1e-8) with
# C ~ 1): strictly inside (0, s_i) for the logarithms, w(alpha) ~ 0.  Also the
# floor (as a fraction of s_i) of a warm start's alpha = s sigma(-y X w0):
# sigma underflows to 0 for saturated margins.
_ALPHA_START = 1e-8
# Rows with s_i <= _S_MIN keep alpha_i = 0 (as rows of zero weight): their
# dual variables cannot be kept inside (0, s_i) in float64 (_ALPHA_START s_i
# would be subnormal; s_i = 1e-320 made a division by zero).  The fit layer
# scales the largest weight into [1e-100, 1e100], so their pull on w (at most
# s_i ||x_i|| / lam) is 190 orders below the others'; the certificate counts
# them exactly.
_S_MIN = 1e-290
# Inner (1-D Newton) tolerances on |g'|.  A row takes its first Newton step
# unless |g'| < _INNER_EPS_MIN; further steps while |g'| >= innereps, which
# starts loose (LIBLINEAR's 1e-2) and is divided by 10 after an epoch that made
# few steps beyond the first per row (at most n / _FEW_NEWTON_DIV extra: as
# LIBLINEAR's rule), down to _INNER_EPS_MIN.  LIBLINEAR instead skips a row
# whose |g'| is below innereps; measured on IMDB unigrams (no intercept, C = 1,
# target 1e-8 P*): that made epochs with a few hundred steps for 25,000 rows
# (a wasted pass each, the dot products read for nothing) and a certificate
# that rose after each tightening, 13 epochs; always stepping took 8.  g' is a
# difference of log-odds (y_i x_i . w - log((s_i - alpha_i) / alpha_i)), O(1)
# and known to ~1e-16 relative: 1e-14 is close to rounding (a tol of 1e-12
# needs |g'| ~ 1e-7..1e-9 on our tests).
_INNER_EPS_START = 1e-2
_INNER_EPS_MIN = 1e-14
_FEW_NEWTON_DIV = 10
# Newton iterations per 1-D problem (LIBLINEAR's max_inner_iter); 2-5 are
# typical, the cap only binds on pathological (saturated) rows.
_MAX_INNER = 100
# When to compute the certificate (a check costs passes over X, an epoch one):
# after the epoch whose estimate (_epoch: the certificate if the rows were
# orthogonal), scaled by kappa = certificate / estimate at the last check,
# is below the limit; and in any case at epochs _FIRST_CHECK, then _GROWTH
# times the epoch of the last check (so an estimate that is too high costs
# at most a factor _GROWTH in epochs, and a too low one one check per
# recalibration).  On IMDB unigrams (no intercept, C = 1) the certificate was
# 1.3-60 times the estimate.
_FIRST_CHECK = 8
_GROWTH = 2


def dual_cd_binary(problem: BinaryProblem, w0: np.ndarray, max_iter: int) -> LogisticSolverOutput:
    """Certified dual CD from ``w0`` (p,), not modified; see the module docstring.

    ``problem.X`` is a dense C-contiguous ndarray or a CSR ``Compressed``;
    ``problem.fit_intercept`` must be False.  ``max_iter`` caps the epochs;
    at the cap the current ``w`` is returned with its honest certificate.
    ``n_iter`` counts epochs; ``solver`` is ``"dual-cd"``.  A warm start
    ``w0 != 0`` starts the dual at ``alpha = s sigma(-y X w0)`` (one more
    pass); the returned ``w`` is ``X^T (alpha y) / lam``, not ``w0``.
    """
    X, y, s, lam = problem.X, problem.y, problem.s, problem.lam
    if problem.fit_intercept:
        raise ValueError(
            "solver 'dual-cd' fits no intercept: use fit_intercept=False, or solver "
            "'newton-cg' or 'cd' with an intercept"
        )
    if not isinstance(X, np.ndarray) and X.format != "csr":
        raise ValueError("solver 'dual-cd' reads rows: X must be dense or CSR")
    n_threads, operator_type = problem.n_threads, problem.operator_type
    n = X.shape[0]
    plain = operator_type(X, s, False, n_threads)
    p_null = binary_loss(np.zeros(n), s)
    limit = certified_limit(problem.tol, p_null)
    alpha, alpha_c = _start(plain, y, s, w0)
    # One pass: w = X^T (alpha y) / lam and the column moments X^T 1,
    # (X*X)^T 1 the certificate's rounding bound needs (DataScales).
    M = plain.moments(np.ones(n), (alpha * y)[:, None])
    w = M[:, 2] / lam
    scales = DataScales(
        X, s, False, n_threads, operator_type=operator_type, setup=(M[:, 0], M[:, 1])
    )
    # Curvature of the 1-D problems qd_i = ||x_i||^2 / lam, and the row norms
    # of the certificate's rounding bound: computed by the first epoch in the
    # loop of each row's dot product when it visits every row (all s_i > 0),
    # otherwise by a pass of their own.
    rsq = np.empty(n)
    qd = np.empty(n)
    fill = bool(np.all(s > _S_MIN)) and max_iter > 0
    if not fill:
        qd[:] = scales.row_norm() ** 2 / lam

    def certificate(w):
        """The final certificate (margins from scratch, rounding bound): two passes."""
        return certify_binary(plain, scales, y, s, lam, False, w, 0.0)[1]

    order = np.flatnonzero(s > _S_MIN)  # the others have alpha_i = 0 fixed
    rng = np.random.default_rng(_SEED)
    innereps = _INNER_EPS_START
    epochs = 0
    kappa = 1.0  # certificate / estimate at the last check
    certified_at = -1  # the epoch after which cert was computed
    next_check = _FIRST_CHECK
    resynced = False
    while epochs < max_iter and order.shape[0] > 0:
        rng.shuffle(order)
        newton, est = _epoch(
            X, y, s, (qd, rsq, fill), 1.0 / lam, order, alpha, alpha_c, w, innereps
        )
        epochs += 1
        if fill:
            scales.use_row_sq_norms(rsq)
            fill = False
        if newton <= order.shape[0] + order.shape[0] // _FEW_NEWTON_DIV:
            innereps = max(_INNER_EPS_MIN, 0.1 * innereps)
        # No 1-D step was taken at the finest inner tolerance: the dual is
        # stationary to rounding, more epochs change nothing.
        stationary = newton == 0 and innereps == _INNER_EPS_MIN
        if not (kappa * est <= limit or epochs >= next_check or stationary):
            continue
        cert = certificate(w)
        certified_at = epochs
        if cert <= limit:
            break
        if est > 0.0:
            kappa = cert / est
        if stationary:
            if resynced:
                break  # stalled at rounding: return the point with its honest certificate
            # w was updated incrementally (rounding drift): recompute it from alpha once.
            w = plain.rmatvec(alpha * y) / lam
            resynced = True
            certified_at = -1
        next_check = _GROWTH * epochs
    if certified_at != epochs:  # w changed since the last check (or none was made)
        cert = certificate(w)
    if not cert <= p_null:
        # The certificate bounds P(w) - P* and is capped at P(w): above
        # P_null = P(0) it says w may be worse than w = 0, whose certificate is
        # at most P_null.  Happens when w = X^T (alpha y) / lam cannot be
        # represented: columns of norm ~1e29 need the sum to cancel to 1e-58
        # (dual CD is not scale invariant; newton-cg is).  Return the better one.
        zero = np.zeros_like(w)
        cert_zero = certificate(zero)
        if cert_zero < cert or not cert == cert:
            w, cert = zero, cert_zero
    return LogisticSolverOutput(
        coef=w,
        intercept=0.0,
        certificate=cert,
        p_null=p_null,
        n_iter=epochs,
        n_passes=epochs + plain.n_passes + scales.n_passes,
        solver="dual-cd",
    )


def _start(plain, y, s, w0):
    """``(alpha, s - alpha)``: cold (``_ALPHA_START s``) or from the warm start ``w0``;
    0 for rows with ``s_i <= _S_MIN``."""
    active = s > _S_MIN
    w0 = np.asarray(w0, dtype=np.float64)
    if np.all(np.isfinite(w0)) and np.any(w0):
        with np.errstate(over="ignore", invalid="ignore"):
            m = plain.matvec(w0)
        if np.all(np.isfinite(m)):
            # alpha = s sigma(-y m): the smaller of alpha and s - alpha is
            # computed directly (no cancellation) and floored inside (0, s),
            # the other one is s minus it.
            floor = _ALPHA_START * s
            alpha = np.maximum(s * expit(-y * m), floor)
            alpha_c = np.maximum(s * expit(y * m), floor)
            low = alpha <= alpha_c
            alpha_c = np.where(low, s - alpha, alpha_c)
            alpha = np.where(low, alpha, s - alpha_c)
            return np.where(active, alpha, 0.0), np.where(active, alpha_c, 0.0)
    alpha = np.where(active, _ALPHA_START * s, 0.0)
    return alpha, np.where(active, s - alpha, 0.0)


def _epoch(X, y, s, rows, inv_lam, order, alpha, alpha_c, w, innereps):
    """One epoch over ``order`` (in place): ``(Newton iterations, certificate estimate)``.

    ``rows = (qd, rsq, fill)``: with ``fill`` the epoch writes ``rsq`` and ``qd``.
    """
    qd, rsq, fill = rows
    if isinstance(X, np.ndarray):
        _, newton, est = dual_cd_epoch_dense(
            X, y, s, qd, rsq, fill, inv_lam, order, alpha, alpha_c, w, innereps,
            _INNER_EPS_MIN, _MAX_INNER,
        )  # fmt: skip
    else:
        _, newton, est = dual_cd_epoch_csr(
            X.indptr, unsigned_view(X.indices), X.data, y, s, qd, rsq, fill, inv_lam, order,
            alpha, alpha_c, w, innereps, _INNER_EPS_MIN, _MAX_INNER,
        )  # fmt: skip
    return newton, est
