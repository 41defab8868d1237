"""Coordinate descent (proximal Newton, glmnet style) for binary L2-logistic regression.

Objective (docs/architecture.md, "1. The problems (exact objectives)"),
labels ``y_i in {-1, +1}``, margins ``m_i = x_i . w + b``:

    P(w, b) = sum_i s_i log(1 + exp(-y_i m_i)) + lam/2 ||w||^2,

``b`` unpenalised.  Certificate and stopping rule are those of
:mod:`fastridge._solvers.logistic.newton`: with ``F(w) = min_b P(w, b)``
(``lam``-strongly convex) and ``grad F(w) = X^T g + lam w``,
``g_i = -s_i y_i sigma(-y_i m_i)`` at the profiled ``b*(w)``,

    P(w, b*(w)) - P*  <=  ||grad F(w)||^2 / (2 lam)  <=  tol * P_null.

Algorithm.  Each outer iteration at ``(w, b*(w))``:

1. one pass over ``X`` (a column-moment kernel) gives ``X^T g`` (hence
   ``grad F`` and the certificate), ``X^T d`` and ``(X*X)^T d`` with
   ``d_i = s_i sigma'(m_i)``: the weighted means ``mu = X^T d / Sd`` and the
   exact diagonal of the profiled Hessian ``Xc^T D Xc + lam I``;
2. a few cyclic CD epochs (:mod:`fastridge._kernels._logistic_cd`) on the
   quadratic (Newton) model of ``P`` around ``(w, b)``, each coordinate step
   minimising the model exactly over ``(w_j, b)`` jointly (the intercept
   profiled by weighted means, as in ridge CD).  The epochs stop when the
   model's gradient, predicted from the sweep, is below
   ``eta * ||grad F||`` (``eta`` as in Newton-CG) or after ``_MAX_INNER``
   epochs;
3. a backtracking (Armijo) line search on ``F`` along ``dw``, each trial
   O(n) given ``e = X dw`` (kept by the epochs) with ``b`` re-profiled by
   the same 1-D Newton as Newton-CG.

Passes per outer iteration: 1 + the inner epochs; the final certificate is
always computed from margins recomputed from ``w`` (one extra pass when the
last margins were updated incrementally).

Why primal proximal Newton and not LIBLINEAR's dual CD: the dual CD of Yu,
Huang & Lin (2011) penalises the intercept (a constant feature); the exact,
unpenalised intercept adds the constraint ``sum_i s_i y_i alpha_i = 0`` and
needs pairwise (SMO-like) updates.  The primal model profiles ``b`` exactly
for free (weighted means), shares the certificate code with Newton-CG, and
costs no ``log``/``exp`` inside the inner loop (the dual needs a 1-D Newton
with logarithms per coordinate).

Inexact inner solves: the setup pass of the next outer iteration costs the
same as one epoch, and far from the optimum an accurate model solution is
wasted, so the epochs stop at the Eisenstat-Walker-like tolerance above.

Measured (2 threads, tol=1e-9, median of 3, against ``newton_cg_binary`` on
CSR): CD wins only on sparse, weakly correlated columns with an intercept and
a large penalty (IMDB TF-IDF at lam/n = 1e-3: 0.62x the time of Newton-CG;
200k x 100k random sparse: 0.97x).  It loses 1.3-100x elsewhere: few dense,
correlated columns (a9a, w8a: 3-100x), small penalties (lam/n = 1e-5), and
no intercept with non-negative features (the all-ones direction, which the
profiled intercept otherwise removes, is then badly conditioned for cyclic
CD).  Newton-CG's Krylov steps are insensitive to such correlations.

Storage: CSC (``X`` in CSR is converted, one documented copy, by
the operator's ``with_column_access``/``column_view``; duplicates were already summed
exactly by ``check_X``, so the curvature is exact) or dense columns (strided reads of a
C-contiguous array).
The epochs run on one thread; the setup and certificate passes use
``n_threads`` (column-parallel on CSC, deterministic).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..._kernels._logistic_cd import logistic_cd_epoch_csc, logistic_cd_epoch_dense
from ..linesearch import backtrack
from ..stopping import certified_limit
from .certify import DataScales, certify_binary, half_sq_over, safe_norm
from .intercept import F_RTOL, binary_loss, profile_intercept
from .newton import safe_start
from .problem import BinaryProblem, LogisticSolverOutput

# Armijo sufficient-decrease constant and backtracking factor (textbook
# values, the same as Newton-CG).
_ARMIJO = 1e-4
_BACKTRACK = 0.5
# Inner epochs stop when the predicted model gradient is at most
# eta * ||grad F|| with eta = min(_ETA_MAX, sqrt(||grad F|| / ||grad F_0||)):
# loose models far from the optimum, tighter ones close to it (superlinear
# outer convergence), as the Eisenstat-Walker rule in Newton-CG.
_ETA_MAX = 0.5
# Cap on inner epochs per outer iteration.  On well-conditioned data the eta
# rule stops after 2-6 epochs and the cap never binds; on ill-conditioned data
# (a9a, w8a at lam/n = 1e-5) cyclic CD contracts slowly, and a cap of 8 made
# 4x more outer iterations (each with an extra setup pass and O(n) exp/log
# work) than 32, for 1.5-2x the time.
_MAX_INNER = 32
# Smallest line-search step before giving up on the direction (it is a
# descent direction, so this only triggers at rounding level).
_MIN_STEP = 1e-10


def cd_binary(problem: BinaryProblem, w0: np.ndarray, max_iter: int) -> LogisticSolverOutput:
    """Certified CD from ``w0`` (p,), not modified; see the module docstring.

    ``problem.X`` is a dense C-contiguous ndarray or ``Compressed`` (CSR or
    CSC) as returned by :func:`fastridge._fit.validation.check_X`; CSR (and
    CSC with unsorted indices) is copied to canonical CSC by the operator's
    ``with_column_access``/``column_view``; duplicates were summed by ``check_X``.
    ``max_iter`` caps the outer (proximal Newton) iterations; at the cap the
    current point is returned with its honest certificate.  The output's
    certificate is ``||grad F(w)||^2 / (2 lam)`` from margins recomputed from
    ``w`` and ``b`` re-profiled, with its rounding-error bound; ``n_iter``
    counts outer iterations, ``n_passes`` the setup passes, epochs and
    products; ``solver`` is ``"cd"``.
    """
    plain, X, p_null, point = _start(problem, w0)
    w, b, n_iter, passes = _outer_iterations(problem, plain, X, p_null, point, max_iter)
    # The certificate with its rounding-error bound (fastridge._solvers.logistic.newton).
    s, fit_intercept = problem.s, problem.fit_intercept
    scales = DataScales(
        X, s, fit_intercept, problem.n_threads, operator_type=problem.operator_type
    )
    b, certificate = certify_binary(plain, scales, problem.y, s, problem.lam, fit_intercept, w, b)
    passes += plain.n_passes + scales.n_passes
    return LogisticSolverOutput(
        coef=w,
        intercept=float(b),
        certificate=certificate,
        p_null=p_null,
        n_iter=n_iter,
        n_passes=passes,
        solver="cd",
    )


def _start(problem: BinaryProblem, w0: np.ndarray):
    """``(plain operator, X by columns, P_null, (w, z = X w, b))`` at the safe start."""
    X, y, s, lam = problem.X, problem.y, problem.s, problem.lam
    fit_intercept = problem.fit_intercept
    # Uncentred products with X, stored by columns: a canonical CSC copy for
    # CSR (documented), CSC as is when canonical.
    plain = problem.operator_type(X, s, False, problem.n_threads).with_column_access()
    X = plain.column_view()
    zeros = np.zeros(X.shape[0])
    b = profile_intercept(zeros, y, s, 0.0) if fit_intercept else 0.0
    p_null = binary_loss(y * b, s)
    w, z, b, _ = safe_start(plain, y, s, lam, fit_intercept, w0, b, p_null)
    return plain, X, p_null, (w, z, b)


def _outer_iterations(problem: BinaryProblem, plain, X, p_null, point, max_iter: int):
    """Proximal Newton steps until certified, ``max_iter`` or stalled: ``(w, b, n_iter, epochs)``.

    Ends on margins recomputed from ``w`` (``exact``), not updated ones.
    """
    y, s, lam, fit_intercept = problem.y, problem.s, problem.lam, problem.fit_intercept
    limit = certified_limit(problem.tol, p_null)
    w, z, b = point
    dense = isinstance(X, np.ndarray)
    S = float(s.sum())
    exact = True  # z was computed from w (not updated incrementally)
    stalled = False  # a line search found no decrease
    n_iter = 0
    passes = 0
    g0_norm = None
    moments = np.empty((X.shape[1], 3))
    while True:
        m = z + b
        g, d, grad = _newton_model(plain, y, s, lam, fit_intercept, S, w, m, moments)
        certificate = half_sq_over(safe_norm(grad), lam)
        if certificate <= limit or n_iter >= max_iter or stalled:
            if exact:
                break
            # Certify from scratch: margins recomputed from w, b re-profiled.
            z = plain.matvec(w)
            if fit_intercept:
                b = profile_intercept(z, y, s, b)
            exact = True
            continue
        n_iter += 1
        g_norm = np.sqrt(2.0 * lam * certificate)
        if g0_norm is None:
            g0_norm = g_norm
        eta = min(_ETA_MAX, np.sqrt(g_norm / g0_norm)) if g0_norm > 0 else _ETA_MAX
        accepted, used = _outer_step(
            problem, X, dense, (w, z, b), m, (g, d, grad, moments), eta * g_norm
        )
        passes += used
        if accepted is None:
            stalled = True  # no decrease along the step: keep the best point, stop honestly
            continue
        w, z, b = accepted
        exact = False
    return w, b, n_iter, passes


def _newton_model(plain, y, s, lam, fit_intercept, S, w, m, moments):
    """``(g, d, grad F)`` at margins ``m``; fills ``moments`` (one pass)."""
    sig = expit(m)
    g = s * (-y * expit(-y * m))
    if fit_intercept:
        # Centred residual: X^T g is then Xc^T g, without the leak
        # mu f'(b) of an intercept known to rounding (large column means).
        g -= s * (g.sum() / S)
    d = s * sig * (1.0 - sig)
    # One pass: X^T d, (X*X)^T d and X^T g (column-parallel on CSC).
    plain.moments(d, g[:, None], out=moments)  # counted in plain.n_passes
    return g, d, moments[:, 2] + lam * w


def _outer_step(problem: BinaryProblem, X, dense, point, m, model, stop_norm):
    """CD epochs on the Newton model, then the line search: ``((w, z, b) or None, epochs)``."""
    y, s, lam, fit_intercept = problem.y, problem.s, problem.lam, problem.fit_intercept
    w, z, b = point
    g, d, grad, moments = model
    Sd = float(d.sum())
    dw, e, used = _epochs(X, dense, d, g, moments, Sd, fit_intercept, lam, w, stop_norm**2)
    # Backtracking line search on F(w) = min_b P(w, b) along dw.
    c = -float(d @ e) / Sd if fit_intercept and Sd > 0.0 else 0.0
    f_old = binary_loss(y * m, s) + 0.5 * lam * float(w @ w)
    slope = float(grad @ dw)
    resolvable = -slope > F_RTOL * abs(f_old)
    t, accepted = _line_search(
        y, s, lam, fit_intercept, (w, z, b), (dw, e, c), f_old, slope, resolvable
    )
    return (None if t < _MIN_STEP else accepted), used


def _epochs(X, dense, d, g, moments, Sd, fit_intercept, lam, w, stop):
    """CD epochs on the Newton model until its predicted gradient is ``<= stop``.

    ``moments`` holds ``X^T d``, ``(X*X)^T d`` (and ``X^T g``) from the setup
    pass.  Returns ``(dw, e = X dw, epochs)``.
    """
    n, p = X.shape
    if fit_intercept and Sd > 0.0:
        mu = moments[:, 0] / Sd
        curv = np.maximum(moments[:, 1] - Sd * mu**2, 0.0) + lam
    else:
        mu = np.zeros(p)
        curv = moments[:, 1] + lam
    dw = np.zeros(p)
    v = g.copy()
    e = np.zeros(n)
    q_box = np.array([v.sum()])
    gsq_prev = 0.0  # no previous epoch
    epochs = 0
    for _ in range(_MAX_INNER):
        epochs += 1
        if dense:
            gsq = logistic_cd_epoch_dense(X, d, mu, Sd, curv, lam, w, dw, v, e, q_box)
        else:
            gsq = logistic_cd_epoch_csc(
                X.indptr, X.indices, X.data, d, mu, Sd, curv, lam, w, dw, v, e, q_box
            )
        # gsq saw the model gradient while sweeping; at the end of the
        # sweep it is smaller by about the epoch's contraction factor.
        predicted = gsq * min(1.0, gsq / gsq_prev) if gsq_prev > 0.0 else gsq
        gsq_prev = gsq
        if predicted <= stop:
            break
    return dw, e, epochs


def _line_search(y, s, lam, fit_intercept, point, direction, f_old, slope, resolvable):
    """Armijo search on ``F(w) = min_b P(w, b)`` from ``(w, z, b)`` along ``(dw, X dw, c)``.

    Returns ``(t, (w, z, b))`` at the accepted step (``t < _MIN_STEP``: none).
    """
    w, z, b = point
    dw, e, c = direction

    def trial(t):
        w_new = w + t * dw
        z_new = z + t * e
        # Start the 1-D search at b + t c, c = -(d . e) / D: the intercept
        # part of the joint step (X dw can be huge when means are large).
        b_new = profile_intercept(z_new, y, s, b + t * c) if fit_intercept else 0.0
        f_new = binary_loss(y * (z_new + b_new), s) + 0.5 * lam * float(w_new @ w_new)
        return f_new, (w_new, z_new, b_new)

    # A decrease below the rounding of f cannot be tested (not resolvable):
    # near the optimum the (accurate) full step is taken.
    return backtrack(
        trial, f_old, slope, resolvable, armijo=_ARMIJO, shrink=_BACKTRACK, min_step=_MIN_STEP
    )
