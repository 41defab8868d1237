"""The public function :func:`logistic_path`: a certified L2-logistic path over ``lam``.

The data are validated once (:func:`fastridge._fit.logistic.prepare_logistic`);
the penalties are then fitted from the largest to the smallest, each fit
warm-started from the previous coefficients (the intercepts are profiled out
by the solvers, so the coefficients are the whole warm start).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from .._fit.logistic import (
    MEAN_SPREAD_WARN,
    LogisticProblem,
    mean_spread_ratio,
    prepare_logistic,
    solve_logistic,
)
from .._fit.threads import numba_threads
from .._operators.design import DesignOperator
from .._operators.softmax import SoftmaxOperator
from .grid import check_grid, geometric_grid, lam_max_from_gradient
from .results import PathResult


def logistic_path(
    X,
    y,
    lams=None,
    *,
    n_lams: int = 50,
    lam_min_ratio: float | None = None,
    fit_intercept: bool = True,
    sample_weight=None,
    solver: str = "auto",
    tol: float = 1e-8,
    max_iter: int | None = None,
    n_threads: int | None = None,
    multi_class: str = "auto",
    operator_type: type = DesignOperator,
    softmax_operator_type: type = SoftmaxOperator,
) -> PathResult:
    """L2-regularised logistic regression along a decreasing grid of ``lam``, certified.

    At every ``lam`` the objective is that of :func:`fastridge.logistic`:
    binary ``P(w, b) = sum_i s_i log(1 + exp(-y_i (x_i . w + b))) + lam/2 ||w||^2``
    (``y_i = +1`` for ``classes[1]``), multinomial
    ``sum_i s_i (-log softmax(W x_i + b)[y_i]) + lam/2 ||W||_F^2``, or one
    binary problem per class for ``multi_class="ovr"``; the intercepts are
    never penalised (``lam = 1 / C`` of scikit-learn's ``LogisticRegression``).

    **Grid.**  Without ``lams``: ``n_lams`` values, geometric, from ``lam_max``
    down to ``lam_max * lam_min_ratio``, where

        lam_max = ||grad F(0)||^2 / (2 * 0.01 * P_null),

    ``F(W) = min_b P(W, b)`` (intercepts profiled out), ``P_null = F(0)`` the
    objective of the best intercept-only model, and
    ``grad F(0) = X^T (s * (p0 - y))`` with ``p0`` the intercept-only
    probabilities (the weighted class frequencies; 1/2, or ``1/K``, without
    intercept).  For the multinomial model it is the ``(p, K)`` matrix
    ``X^T (s * (P0 - Y))`` (one-hot ``Y``) and the norm is Frobenius.  ``F`` is
    ``lam``-strongly convex, so ``F(0) - F* <= ||grad F(0)||^2 / (2 lam)``: at
    ``lam_max`` the fit improves on the intercept-only model by at most 1% of
    ``P_null``.  For one-vs-rest, ``lam_max`` is the largest of the per-class
    values (each class within 1% of its own null model).  Scaling ``X`` by
    ``c`` scales the grid by ``c^2`` (the solutions satisfy
    ``W(c X, c^2 lam) = W(X, lam) / c``).  If ``grad F(0) = 0`` (the null model
    is optimal at every ``lam``), ``lam_max`` is the largest diagonal entry of
    the Hessian of ``F`` at 0 instead.

    **Warm starts.**  The ``lam`` are fitted in decreasing order; each fit
    starts from the coefficients of the previous one (the first from 0).

    **Certificates.**  Each point is certified on its own, as a single
    :func:`fastridge.logistic` fit is: ``certificate[j] >= P_j(W_j, b_j) - P_j*``
    (the gradient bound ``||grad F||^2 / (2 lam_j)``) and
    ``certificate[j] <= tol * p_null`` when ``converged``.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix/array, shape (n, p)
        As for :func:`fastridge.logistic`; validated once for the whole path.
    y : array-like of shape (n,)
        Labels of any sortable type; at least two distinct.
    lams : array-like of float, optional
        Positive penalties (fitted, and returned, in decreasing order).  None:
        the default grid above.
    n_lams : int, default=50
        Size of the default grid.
    lam_min_ratio : float, optional
        ``lam_min / lam_max`` of the default grid, in (0, 1); default 1e-4
        when ``n >= p``, 1e-2 otherwise (glmnet's convention).
    fit_intercept, sample_weight, solver, tol, max_iter, n_threads, multi_class
        As for :func:`fastridge.logistic` (``max_iter`` per ``lam``).
    operator_type, softmax_operator_type : type
        The operator classes built on ``X`` (the contract of
        :mod:`fastridge._operators.contract`), as for
        :func:`fastridge._fit.logistic.prepare_logistic`; the default grid's
        gradient also goes through ``operator_type``.

    Returns
    -------
    PathResult
        ``lams`` (L,) decreasing.  Binary: ``coef`` (L, p), ``intercept`` (L,),
        ``certificate`` (L,), ``p_null`` float.  Multinomial: ``coef``
        (L, K, p), ``intercept`` (L, K), ``certificate`` (L,), ``p_null``
        float.  One-vs-rest: ``coef`` (L, K, p), ``intercept``,
        ``certificate`` (L, K), ``p_null`` (K,).  ``n_iter`` (L,) Newton
        iterations per ``lam``, ``n_passes`` for the whole path (the default
        grid's gradient included), ``classes`` the sorted labels.

    Warns
    -----
    ConvergenceWarning
        Once, listing the ``lam`` whose certificate did not reach ``tol``
        within ``max_iter`` (e.g. separable data at a tiny ``lam``).
    """
    t0 = time.perf_counter()
    prob = prepare_logistic(
        X,
        y,
        fit_intercept=fit_intercept,
        sample_weight=sample_weight,
        solver=solver,
        tol=tol,
        max_iter=max_iter,
        n_threads=n_threads,
        multi_class=multi_class,
        operator_type=operator_type,
        softmax_operator_type=softmax_operator_type,
    )
    grid, default = check_grid(lams, n_lams, lam_min_ratio, prob.n, prob.p)
    passes = 0
    if grid is None:
        lam_max, passes = _lam_max(prob)
        grid = geometric_grid(lam_max, *default)
    W0 = np.zeros((prob.p, prob.n_models))
    fits = []
    for lam in grid:
        res = solve_logistic(prob, float(lam), W0)
        fits.append(res)
        # Warm start of the next (smaller) lam: (p, n_models) as the solvers take it.
        W0 = np.asarray(res.coef, dtype=np.float64).reshape(prob.n_models, prob.p).T
    result = PathResult(
        lams=np.asarray(grid, dtype=np.float64),
        coef=np.stack([np.asarray(f.coef, dtype=np.float64) for f in fits]),
        intercept=np.stack([np.asarray(f.intercept, dtype=np.float64) for f in fits]),
        certificate=np.stack([np.asarray(f.certificate, dtype=np.float64) for f in fits]),
        p_null=fits[0].p_null,
        n_iter=np.array([f.n_iter for f in fits], dtype=np.int64),
        n_passes=int(passes + sum(f.n_passes for f in fits)),
        tol=prob.tol,
        converged=all(f.converged for f in fits),
        # the solvers that ran, in order of first use: under auto, dual CD at the
        # large lams and Newton-CG where it handed over ("dual-cd+newton-cg")
        solver="+".join(dict.fromkeys(f.solver for f in fits)),
        seconds=0.0,
        n_threads=prob.n_threads,
        classes=prob.classes,
    )
    if not result.converged:
        _warn_not_converged(result, fits, prob.max_iter, mean_spread_ratio(prob))
    object.__setattr__(result, "seconds", time.perf_counter() - t0)
    return result


def _null_probabilities(prob: LogisticProblem) -> np.ndarray:
    """Intercept-only class probabilities ``p0`` (K,): weighted frequencies, or uniform."""
    k = prob.n_classes
    if not prob.fit_intercept:
        return np.full(k, 1.0 / k)
    counts = np.bincount(prob.codes, weights=prob.s, minlength=k)
    return counts / counts.sum()


def _lam_max(prob: LogisticProblem) -> tuple[float, int]:
    """``(lam_max, passes)`` of the default grid (module :mod:`fastridge._paths.grid`).

    One pass over ``X``: ``X^T G`` for all columns of ``G`` together, where
    ``G = s * (p0 - y)`` per binary problem (one column; ``K`` for
    one-vs-rest) or ``s * (P0 - Y)`` (``K`` columns) for the multinomial model.
    """
    k, s, codes = prob.n_classes, prob.s, prob.codes
    onehot = np.zeros((prob.n, k))
    onehot[np.arange(prob.n), codes] = 1.0
    freq = _null_probabilities(prob)
    kind = prob.kind
    if kind == "binary":
        q = np.array([freq[1]])  # P(y = classes[1]) of the null model
        Y = onehot[:, 1:]
    elif kind == "ovr":
        # Class k against the rest: its null probability is freq[k] with an
        # intercept, 1/2 without (a binary problem of its own).
        q = freq if prob.fit_intercept else np.full(k, 0.5)
        Y = onehot
    else:
        q = freq
        Y = onehot
    G = s[:, None] * (q[None, :] - Y)
    with numba_threads(prob.n_threads):
        op = prob.operator_type(prob.Xv, None, False, prob.n_threads)
        grad = op.rmatvec(np.ascontiguousarray(G))  # (p, columns)
        passes = op.n_passes
        if kind == "multinomial":
            grad_sqs = [float(np.sum(grad * grad))]
            p_nulls = [float(-(s @ _log_positive(freq[codes])))]
            curvature = float(np.max(freq * (1.0 - freq)))
        else:
            grad_sqs = [float(grad[:, j] @ grad[:, j]) for j in range(q.size)]
            p_nulls = [_binary_null_loss(Y[:, j], s, q[j]) for j in range(q.size)]
            curvature = float(np.max(q * (1.0 - q)))
        valid = [
            lam_max_from_gradient(g, pn, 0.0)
            for g, pn in zip(grad_sqs, p_nulls, strict=True)
            if g > 0 and pn > 0
        ]
        if valid:
            return max(valid), passes
        # grad F(0) = 0: the largest diagonal entry of the Hessian at 0,
        # curvature * max_j sum_i s_i xc_ij^2 (scales like c^2 with X).
        hess = prob.operator_type(prob.Xv, s, prob.fit_intercept, prob.n_threads)
        fallback = curvature * float(np.max(hess.col_sq_norms(), initial=0.0))
        passes += hess.n_passes
    return lam_max_from_gradient(0.0, 0.0, fallback), passes


def _log_positive(prob_true: np.ndarray) -> np.ndarray:
    """``log`` of each sample's null class probability (0 where it is 0: such rows weigh 0)."""
    return np.log(np.where(prob_true > 0, prob_true, 1.0))


def _binary_null_loss(y01: np.ndarray, s: np.ndarray, q: float) -> float:
    """``sum_i s_i log(1 + exp(-y_i b0))`` with ``sigma(b0) = q`` (0 < q < 1), else 0."""
    if not 0.0 < q < 1.0:
        return 0.0
    b0 = np.log(q) - np.log1p(-q)
    y_pm = 2.0 * y01 - 1.0
    return float(s @ np.logaddexp(0.0, -y_pm * b0))


def _warn_not_converged(result: PathResult, fits, max_iter: int, mean_ratio: float) -> None:
    from .._fit.warnings import convergence_warning

    bad = [f.lam for f in fits if not f.converged]
    capped = [f.lam for f in fits if not f.converged and f.n_iter >= max_iter]
    rel = np.max(np.asarray(result.relative_certificate))
    if mean_ratio > MEAN_SPREAD_WARN:
        cause = (
            f"columns of X have means at least {mean_ratio:.3g} times their spread, so float64 "
            "rounding limits the accuracy that can be certified: centre X"
        )
    elif not capped:
        # as fastridge.logistic says for one fit: every such lam stopped before max_iter
        cause = (
            "each stopped before max_iter because its steps no longer reduce the objective "
            "measurably: tol is below the accuracy float64 rounding allows certifying "
            "there (the certificate includes a bound on that rounding); raise tol"
        )
    else:
        cause = (
            "the data may be separable (coefficients grow as lam -> 0): raise the "
            "smallest lam or max_iter"
        )
    where = (
        f"within max_iter={max_iter}"
        if len(capped) == len(bad)
        else f"({len(capped)} of them at max_iter={max_iter})"
    )
    warnings.warn(
        f"logistic path: {len(bad)} of {len(fits)} lams did not reach tol {result.tol:.3g} "
        f"{where} (smallest such lam {min(bad):.3g}, worst relative "
        f"certificate {rel:.3g}); " + cause,
        convergence_warning(),
        stacklevel=3,
    )
