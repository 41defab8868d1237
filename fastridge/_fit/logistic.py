"""The public function :func:`logistic`: L2-logistic regression, certified.

Binary problems run one of the binary solvers; more than two classes run the
multinomial (softmax) Newton-CG, or one binary fit per class
(one-vs-rest, the classes fitted concurrently in threads).  The set-up is in
:mod:`.logistic_setup` (:func:`prepare_logistic`), one ``lam`` is fitted by
:mod:`.logistic_solve` (:func:`solve_logistic`); their names are re-exported here.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from .logistic_setup import LOGISTIC_SOLVERS, MULTI_CLASS, LogisticProblem, prepare_logistic
from .logistic_solve import solve_logistic
from .results import FitResult
from .validation import check_coef_init, check_lam

__all__ = [
    "LOGISTIC_SOLVERS",
    "MEAN_SPREAD_WARN",
    "MULTI_CLASS",
    "LogisticProblem",
    "logistic",
    "mean_spread_ratio",
    "prepare_logistic",
    "solve_logistic",
]


def logistic(
    X,
    y,
    lam,
    *,
    fit_intercept: bool = True,
    sample_weight=None,
    solver: str = "auto",
    tol: float = 1e-8,
    max_iter: int | None = None,
    n_threads: int | None = None,
    coef_init=None,
    multi_class: str = "auto",
) -> FitResult:
    """L2-regularised logistic regression with a certified accuracy.

    **Binary** (two distinct labels): minimises

        P(w, b) = sum_i s_i log(1 + exp(-y_i (x_i . w + b))) + lam/2 ||w||^2

    over ``w`` and the unpenalised ``b``, with ``y_i = +1`` for ``classes[1]``
    (the larger label, as scikit-learn orders ``classes_``) and ``-1`` for
    ``classes[0]``: the minimiser of
    ``sklearn.linear_model.LogisticRegression(C=1/lam)``.

    **Multinomial** (more than two labels, ``multi_class`` "auto" or
    "multinomial"): minimises
    ``sum_i s_i (-log softmax(W x_i + b)[y_i]) + lam/2 ||W||_F^2``, as
    scikit-learn's LogisticRegression does for more than two classes.

    **One-vs-rest** (``multi_class="ovr"``): one binary problem per class
    (that class against the others), fitted concurrently.

    Every fit stops when ``||grad F||^2 / (2 lam) <= tol * P_null``, where
    ``F(w) = min_b P(w, b)`` (the intercepts profiled out) and ``P_null`` is
    the objective of the best intercept-only model; that certificate bounds
    ``P(w, b) - P*`` from above (derivations in
    :mod:`fastridge._solvers.logistic.newton` and
    :mod:`fastridge._solvers.logistic.multinomial`).  The reported
    certificate is computed from scratch at the returned point and includes a
    bound on its own float64 rounding error (large column means, huge
    coefficients), so ``converged=True`` holds for the numbers actually
    computed; where rounding prevents reaching ``tol`` the fit reports
    ``converged=False`` and the warning names the cause.  Sample weights
    outside 1e-100..1e100 are rescaled internally (with ``lam``).

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix/array, shape (n, p)
        As for :func:`fastridge.ridge`.  Entries larger than 1e30 in absolute
        value are rejected (``exp`` would overflow; rescale the features).
    y : array-like of shape (n,)
        Labels of any sortable type (ints, strings, bools, integral floats); at
        least two distinct.  Non-integral floats (a continuous target, in
        scikit-learn's ``type_of_target`` terms) are refused with ValueError.
    lam : float
        Penalty, positive (``C = 1 / lam``).
    fit_intercept : bool, default=True
        Fit unpenalised intercepts (profiled out exactly).
    sample_weight : float or array-like of shape (n,), optional
        Non-negative weights ``s_i``, not all zero.
    solver : {"auto", "newton-cg", "cd", "dual-cd", "lbfgs"}, default="auto"
        ``"newton-cg"``: Newton's method with the profiled intercept; for
        binary problems with a cheap dense Hessian (``p <= 2048`` and building
        it costs at most ~32 passes over ``X``) its steps come from the dense
        Hessian (reported as ``"newton-cholesky"``), otherwise from truncated
        preconditioned CG.  ``"cd"`` (binary and one-vs-rest only):
        proximal Newton with coordinate-descent inner solves on CSC columns
        (CSR input is converted, one copy of ``X``).
        ``"dual-cd"`` (binary and one-vs-rest only, ``fit_intercept=False``
        only): LIBLINEAR's dual coordinate descent (``-s 7``) on the rows of
        dense or CSR ``X`` (CSC input is converted, one copy of ``X``),
        stopped on the same certificate.  ``"lbfgs"`` (binary and one-vs-rest
        only): L-BFGS on ``w`` and the intercept jointly (the intercept of the
        model in mean-centred columns), one fused pass over dense or CSR
        ``X`` per evaluation (two over CSC or a distributed ``X``), stopped on
        the same certificate (computed from scratch when a cheap estimate says
        it will pass); 0.4-0.9x the time of Newton-CG on dense data, up to
        20x more on sparse data with few columns.  ``"auto"``: ``"dual-cd"`` for
        binary (and one-vs-rest) problems without intercept on dense or CSR
        ``X`` with ``p >= 2.5 n``, where it was 2-8x faster in our
        measurements, continued by ``"newton-cg"`` from its coefficients if
        40 epochs do not certify; ``"lbfgs"`` for other binary (and
        one-vs-rest) problems on dense ``X`` whose Newton steps would come
        from CG (more than ~64 columns), continued by ``"newton-cg"`` if 300
        iterations do not certify; ``"newton-cg"`` otherwise (``cd`` was
        faster only on sparse text-like data with an intercept and a large
        penalty, by at most 1.6x, and lost by 1.3-100x elsewhere).  See
        docs/solvers.md.
    tol : float, default=1e-8
        Relative accuracy: ``certificate <= tol * P_null``.
    max_iter : int, optional
        Newton iterations per problem (default 100); epochs for ``"dual-cd"``
        (default 1000); iterations for ``"lbfgs"`` (default 1000).
    n_threads : int, optional
        Kernel threads (all of Numba's by default).  One-vs-rest runs
        ``min(n_threads, K)`` classes at a time.
    coef_init : array-like, optional
        Warm start: ``(p,)`` for a binary problem, ``(K, p)`` otherwise.
    multi_class : {"auto", "multinomial", "ovr"}, default="auto"
        For more than two classes: "auto" and "multinomial" fit the softmax
        model, "ovr" one binary model per class.  Ignored for two classes.

    Returns
    -------
    FitResult
        Binary: ``coef`` (p,), ``intercept`` float.  Multinomial: ``coef``
        (K, p), ``intercept`` (K,) summing to zero (softmax is invariant to a
        common shift), scalar ``certificate`` and ``p_null``.  One-vs-rest:
        ``coef`` (K, p), and ``intercept``, ``certificate``, ``p_null`` of
        shape (K,).  ``classes`` holds the sorted labels.
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
    )
    lam_v = float(check_lam(lam, 1)[0])
    W0 = check_coef_init(coef_init, prob.p, prob.n_models)
    result = solve_logistic(prob, lam_v, W0)
    if not result.converged:
        _warn_not_converged(result, prob.max_iter, mean_spread_ratio(prob))
    object.__setattr__(result, "seconds", time.perf_counter() - t0)
    return result


# Columns whose mean is this many times their spread lose about log10 of it
# in digits to rounding in the margins x . w + b, which the certificate's
# rounding-error bound then reflects: worth naming as the likely cause.
MEAN_SPREAD_WARN = 1e3


def mean_spread_ratio(prob: LogisticProblem) -> float:
    """``max_j |mean_j| / spread_j`` of X's columns (one pass, only when warning)."""
    from .._solvers.logistic.certify import DataScales

    scales = DataScales(prob.Xv, prob.s, True, prob.n_threads, operator_type=prob.operator_type)
    ratio = scales.cancellation_ratio
    return float(np.sqrt(ratio))


def _warn_not_converged(result: FitResult, max_iter: int, mean_ratio: float = 0.0) -> None:
    from .warnings import convergence_warning

    rel = np.max(np.asarray(result.relative_certificate))
    # The user asked for "newton-cg" (or "auto"); "newton-cholesky" is how its steps were made.
    name = (
        "'newton-cg' (Newton steps from a Cholesky factorisation of the dense Hessian)"
        if result.solver == "newton-cholesky"
        else repr(result.solver)
    )
    if result.solver == "dual-cd" and result.n_iter >= max_iter:
        cause = (
            "dual coordinate descent converges slowly when ||x_i||^2 / lam is large for "
            "badly scaled or correlated columns (large column norms or means, small lam): "
            "use solver='newton-cg', rescale X, or increase max_iter"
        )
    elif result.n_iter < max_iter and mean_ratio <= MEAN_SPREAD_WARN:
        cause = (
            "the solver stopped before max_iter because its steps no longer reduce the "
            "objective measurably: tol is below the accuracy float64 rounding allows "
            "certifying here (the certificate includes a bound on that rounding); raise tol"
        )
    elif mean_ratio > MEAN_SPREAD_WARN:
        cause = (
            f"columns of X have means at least {mean_ratio:.3g} times their spread, so "
            "float64 rounding of the margins (and, without an intercept, the "
            "conditioning) limits the accuracy that can be certified: centre X (for "
            "example with sklearn.preprocessing.StandardScaler)"
        )
    else:
        cause = (
            "the data may be separable (coefficients grow as lam -> 0): increase lam or max_iter"
        )
    warnings.warn(
        f"logistic solver {name} stopped after {result.n_iter} iterations "
        f"(max_iter={max_iter}) with relative certificate {rel:.3g} > tol {result.tol:.3g}; "
        + cause,
        convergence_warning(),
        stacklevel=3,
    )
