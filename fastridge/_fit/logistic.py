"""The public function :func:`logistic`: L2-logistic regression, certified.

Binary problems run one of the binary solvers; more than two classes run the
multinomial (softmax) Newton-CG, or one binary fit per class
(one-vs-rest, the classes fitted concurrently in threads).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np

from .. import _kernels as K
from .._operators.design import DesignOperator
from .._operators.softmax import SoftmaxOperator
from .._solvers.logistic import BinaryProblem, MultinomialProblem, run_binary, run_multinomial
from .._solvers.stopping import is_certified
from .results import FitResult
from .threads import blas_limit, numba_threads, pool_workers, resolve_n_threads, thread_map
from .validation import (
    canonical_csc,
    check_coef_init,
    check_flag,
    check_lam,
    check_max_iter,
    check_sample_weight,
    check_tol,
    check_X,
)

#: Solver names accepted by :func:`logistic`.
LOGISTIC_SOLVERS = ("auto", "newton-cg", "cd")
#: ``multi_class`` values accepted by :func:`logistic`.
MULTI_CLASS = ("auto", "multinomial", "ovr")
# Newton iterations allowed by default; Newton-CG typically needs 5-20.
_DEFAULT_MAX_ITER = 100
# Largest |X_ij| accepted.  Beyond it a margin x.w overflows exp() (at
# |x.w| > 709) for any coefficient above 1e-27 and the loss saturates, so
# the Hessian underflows to 0 and Newton cannot move: reject with a message
# instead of returning a silent non-answer.
_MAX_ABS_X = 1e30


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
    solver : {"auto", "newton-cg", "cd"}, default="auto"
        ``"newton-cg"``: Newton's method with the profiled intercept; for
        binary problems with a cheap dense Hessian (``p <= 2048`` and building
        it costs at most ~32 passes over ``X``) its steps come from the dense
        Hessian (reported as ``"newton-cholesky"``), otherwise from truncated
        preconditioned CG.  ``"cd"`` (binary and one-vs-rest only):
        proximal Newton with coordinate-descent inner solves on CSC columns
        (CSR input is converted, one copy of ``X``).  ``"auto"`` is
        ``"newton-cg"``: in our measurements ``cd`` was faster only on sparse
        text-like data with an intercept and a large penalty, and then by at
        most 1.6x, while it lost by 1.3-100x elsewhere (docs/solvers.md).
    tol : float, default=1e-8
        Relative accuracy: ``certificate <= tol * P_null``.
    max_iter : int, optional
        Newton iterations per problem (default 100).
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
        _warn_not_converged(result, prob.max_iter, _mean_spread_ratio(prob))
    object.__setattr__(result, "seconds", time.perf_counter() - t0)
    return result


@dataclass(frozen=True)
class LogisticProblem:
    """A validated logistic problem without its penalty: what every ``lam`` of a path shares.

    Built by :func:`prepare_logistic` (all validation and any conversion of
    ``X`` happen there, once); :func:`solve_logistic` fits one ``lam``.
    """

    Xv: object  # validated dense ndarray or Compressed (CSC for solver="cd")
    classes: np.ndarray  # sorted distinct labels
    codes: np.ndarray  # (n,) class index of each sample
    s: np.ndarray  # (n,) float64 sample weights (ones when none were given)
    fit_intercept: bool
    solver: str
    multi_class: str
    tol: float
    max_iter: int
    n_threads: int
    # The operators the solvers build on Xv (fastridge._operators.contract).
    operator_type: type = DesignOperator
    softmax_operator_type: type = SoftmaxOperator

    @property
    def n(self) -> int:
        return self.Xv.shape[0]

    @property
    def p(self) -> int:
        return self.Xv.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def kind(self) -> str:
        """``"binary"``, ``"multinomial"`` or ``"ovr"``: the model that is fitted."""
        if self.n_classes == 2:
            return "binary"
        return "ovr" if self.multi_class == "ovr" else "multinomial"

    @property
    def n_models(self) -> int:
        """Coefficient vectors: 1 for a binary problem, ``K`` otherwise."""
        return 1 if self.n_classes == 2 else self.n_classes


def prepare_logistic(
    X,
    y,
    *,
    fit_intercept: bool = True,
    sample_weight=None,
    solver: str = "auto",
    tol: float = 1e-8,
    max_iter: int | None = None,
    n_threads: int | None = None,
    multi_class: str = "auto",
    operator_type: type = DesignOperator,
    softmax_operator_type: type = SoftmaxOperator,
) -> LogisticProblem:
    """Validate the arguments of :func:`logistic` (all but ``lam`` and ``coef_init``).

    ``operator_type`` / ``softmax_operator_type`` build the operators the
    solvers use (the contract of :mod:`fastridge._operators.contract`).
    """
    if solver not in LOGISTIC_SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(LOGISTIC_SOLVERS)}")
    if multi_class not in MULTI_CLASS:
        raise ValueError(
            f"unknown multi_class {multi_class!r}; choose one of {', '.join(MULTI_CLASS)}"
        )
    tol = check_tol(tol)
    fit_intercept = check_flag(fit_intercept, "fit_intercept")
    Xv = check_X(X)
    n = Xv.shape[0]
    _check_magnitude(Xv)
    classes, codes = _encode_labels(y, n)
    n_classes = len(classes)
    sw = check_sample_weight(sample_weight, n)
    max_iter = check_max_iter(max_iter, _DEFAULT_MAX_ITER)
    if solver == "cd" and n_classes > 2 and multi_class != "ovr":
        raise ValueError(
            'solver="cd" fits binary problems only: use multi_class="ovr" or '
            'solver="newton-cg" for more than two classes'
        )
    if solver == "cd" and not isinstance(Xv, np.ndarray):
        Xv = canonical_csc(Xv)  # once here, not once per class (a copy for CSR)
    if fit_intercept and sw is not None:
        class_weight = np.bincount(codes, weights=sw, minlength=n_classes)
        if not (class_weight > 0).all():
            empty = classes[int(np.flatnonzero(class_weight <= 0)[0])]
            raise ValueError(
                f"class {empty!r} has zero total sample weight: with an intercept the "
                "problem has no minimiser (that class's intercept runs to -inf); drop "
                "its rows or give them weight"
            )
    return LogisticProblem(
        Xv=Xv,
        classes=classes,
        codes=codes,
        s=np.ones(n) if sw is None else sw,
        fit_intercept=bool(fit_intercept),
        solver=solver,
        multi_class=multi_class,
        tol=tol,
        max_iter=max_iter,
        n_threads=resolve_n_threads(n_threads),
        operator_type=operator_type,
        softmax_operator_type=softmax_operator_type,
    )


def solve_logistic(prob: LogisticProblem, lam: float, W0: np.ndarray) -> FitResult:
    """Fit ``prob`` at the (validated) ``lam`` from ``W0`` (p, n_models); no warning.

    ``seconds`` of the result is 0: the caller times what it wants timed.
    """
    scale = _weight_scale(prob.s, float(lam))
    if scale != 1.0:
        return _rescaled_solve(prob, float(lam), W0, scale)
    Xv, codes, s, nt = prob.Xv, prob.codes, prob.s, prob.n_threads
    tol, max_iter, solver, fit_intercept = prob.tol, prob.max_iter, prob.solver, prob.fit_intercept
    n_classes = prob.n_classes
    lam_v = float(lam)
    common = dict(lam=lam_v, tol=tol, n_threads=nt, classes=prob.classes)
    with blas_limit(1):
        if n_classes == 2:
            y_pm = np.where(codes == 1, 1.0, -1.0)
            with numba_threads(nt):
                fit = _binary(
                    solver,
                    Xv,
                    y_pm,
                    s,
                    lam_v,
                    fit_intercept,
                    tol,
                    max_iter,
                    nt,
                    W0[:, 0],
                    prob.operator_type,
                )
            return FitResult(
                coef=fit.coef,
                intercept=float(fit.intercept),
                certificate=float(fit.certificate),
                p_null=float(fit.p_null),
                converged=bool(is_certified(fit.certificate, tol, fit.p_null)),
                n_iter=int(fit.n_iter),
                n_passes=int(fit.n_passes),
                solver=fit.solver,
                seconds=0.0,
                **common,
            )
        if prob.multi_class == "ovr":
            return _one_vs_rest(
                solver,
                Xv,
                codes,
                n_classes,
                s,
                fit_intercept,
                max_iter,
                W0,
                common,
                prob.operator_type,
            )
        with numba_threads(nt):
            problem = MultinomialProblem(
                Xv,
                codes,
                n_classes,
                s,
                lam_v,
                fit_intercept,
                tol,
                nt,
                operator_type=prob.operator_type,
                softmax_type=prob.softmax_operator_type,
            )
            fit = run_multinomial(solver, problem, W0, max_iter)
        return FitResult(
            coef=fit.coef,
            intercept=fit.intercept,
            certificate=float(fit.certificate),
            p_null=float(fit.p_null),
            converged=bool(is_certified(fit.certificate, tol, fit.p_null)),
            n_iter=int(fit.n_iter),
            n_passes=int(fit.n_passes),
            solver=fit.solver,
            seconds=0.0,
            **common,
        )


# Sample weights whose largest entry lies outside this range are rescaled
# (weights and lam divided by it: the same minimiser, P scaled by 1/c), so
# that P_null, the gradient and the certificate neither overflow nor
# underflow (weights of 1e300 gave an infinite certificate, weights of
# 1e-300 a certificate of 0 for w = 0 declared converged).
_WEIGHT_RANGE = (1e-100, 1e100)


def _weight_scale(s: np.ndarray, lam: float) -> float:
    """``c = max(s)`` when the weights need rescaling (see ``_WEIGHT_RANGE``), else 1."""
    top = float(np.max(s))
    if _WEIGHT_RANGE[0] <= top <= _WEIGHT_RANGE[1]:
        return 1.0
    scaled_lam = lam / top
    if not (np.isfinite(scaled_lam) and scaled_lam > 0.0):
        return 1.0  # lam / c would underflow or overflow: leave the problem as given
    return top


def _rescaled_solve(prob: LogisticProblem, lam: float, W0: np.ndarray, c: float) -> FitResult:
    """Solve with weights ``s / c`` and penalty ``lam / c``; report ``P``-sized values times ``c``.

    ``converged`` is decided on the scaled problem (``certificate <= tol * P_null``
    is invariant to the scaling); if scaling back overflows, the result is
    reported as not converged rather than with an infinite certificate.
    """
    import dataclasses

    scaled = dataclasses.replace(prob, s=prob.s / c)
    res = solve_logistic(scaled, lam / c, W0)
    cert = np.asarray(res.certificate, dtype=np.float64) * c
    p_null = np.asarray(res.p_null, dtype=np.float64) * c
    finite = bool(np.all(np.isfinite(cert)) and np.all(np.isfinite(p_null)))
    as_type = float if np.ndim(res.certificate) == 0 else np.asarray
    return dataclasses.replace(
        res,
        lam=lam,
        certificate=as_type(cert),
        p_null=as_type(p_null),
        converged=bool(res.converged and finite),
    )


def _binary(solver, Xv, y_pm, s, lam, fit_intercept, tol, max_iter, n_threads, w0, operator_type):
    """One binary fit with the chosen solver (the caller sets the thread count)."""
    problem = BinaryProblem(
        Xv, y_pm, s, lam, fit_intercept, tol, n_threads, operator_type=operator_type
    )
    return run_binary(solver, problem, w0, max_iter)


def _one_vs_rest(
    solver, Xv, codes, n_classes, s, fit_intercept, max_iter, W0, common, operator_type
) -> FitResult:
    """One binary fit per class, ``min(n_threads, K)`` at a time in worker threads.

    Each worker's kernels get ``n_threads // workers`` threads (Numba's thread
    count is per calling thread); the kernels release the GIL.
    """
    nt = common["n_threads"]
    workers = pool_workers(nt, n_classes)
    per_fit = max(1, nt // workers)

    def fit_class(k: int):
        y_pm = np.where(codes == k, 1.0, -1.0)
        with numba_threads(per_fit):
            return _binary(
                solver,
                Xv,
                y_pm,
                s,
                common["lam"],
                fit_intercept,
                common["tol"],
                max_iter,
                per_fit,
                W0[:, k],
                operator_type,
            )

    fits = thread_map(fit_class, range(n_classes), workers)
    cert = np.array([f.certificate for f in fits])
    p_null = np.array([f.p_null for f in fits])
    return FitResult(
        coef=np.stack([f.coef for f in fits]),
        intercept=np.array([f.intercept for f in fits], dtype=np.float64),
        certificate=cert,
        p_null=p_null,
        converged=bool(np.all(is_certified(cert, common["tol"], p_null))),
        n_iter=int(max(f.n_iter for f in fits)),
        n_passes=int(sum(f.n_passes for f in fits)),
        solver=fits[0].solver,
        seconds=0.0,
        **common,
    )


# Columns whose mean is this many times their spread lose about log10 of it
# in digits to rounding in the margins x . w + b, which the certificate's
# rounding-error bound then reflects: worth naming as the likely cause.
_MEAN_SPREAD_WARN = 1e3


def _mean_spread_ratio(prob: LogisticProblem) -> float:
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
    if result.n_iter < max_iter and mean_ratio <= _MEAN_SPREAD_WARN:
        cause = (
            "the solver stopped before max_iter because its steps no longer reduce the "
            "objective measurably: tol is below the accuracy float64 rounding allows "
            "certifying here (the certificate includes a bound on that rounding); raise tol"
        )
    elif mean_ratio > _MEAN_SPREAD_WARN:
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


def _check_magnitude(Xv) -> None:
    """Reject entries whose size makes ``exp`` of any non-tiny margin overflow."""
    values = Xv if isinstance(Xv, np.ndarray) else Xv.data
    big = K.max_abs(values)
    if big > _MAX_ABS_X:
        raise ValueError(
            f"X has an entry of absolute value {big:.3g} > {_MAX_ABS_X:g}: exp(x . w) "
            "overflows for such features and the logistic loss saturates; rescale X "
            "(for example with sklearn.preprocessing.MaxAbsScaler)"
        )


def _encode_labels(y, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(classes, codes)``: sorted distinct labels (scikit-learn's ``classes_``) and indices."""
    ya = np.asarray(y)
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya[:, 0]
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(f"y must be one-dimensional with {n} entries, got shape {ya.shape}")
    if ya.dtype.kind == "c":
        raise TypeError("y is complex")
    if ya.dtype.kind == "f" and not np.isfinite(ya).all():
        raise ValueError("y contains NaN or infinity")
    if ya.dtype.kind == "O":
        # Missing labels (None, or NaN from pandas) are not a class; np.unique
        # would count every NaN of an object array as a class of its own.
        missing = np.equal(ya, None) | (ya != ya)
        if missing.any():
            pos = int(np.flatnonzero(missing)[0])
            raise ValueError(f"y contains NaN or None (a missing label) at position {pos}")
    if ya.dtype.kind == "f" and np.any(ya != np.round(ya)):
        # scikit-learn's type_of_target calls such a target "continuous" and
        # its classifiers refuse it; fitting one class per distinct value
        # would be meaningless.
        raise ValueError(
            "Unknown label type: continuous. y has non-integer float values (for example "
            f"{float(ya[np.flatnonzero(ya != np.round(ya))[0]])!r}): logistic regression needs "
            "class labels; use fastridge.ridge for a real-valued target"
        )
    classes, codes = np.unique(ya, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y has a single class ({classes[0]!r}): at least two are needed")
    return classes, codes.reshape(-1).astype(np.intp)
