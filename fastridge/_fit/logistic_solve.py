"""Fitting a :class:`~fastridge._fit.logistic_setup.LogisticProblem` at one ``lam``.

Binary problems run one binary solver on ``y_i = +1`` for ``classes[1]``;
one-vs-rest one binary fit per class (concurrently, in threads); more than
two classes otherwise the multinomial solver.  Every fit is certified by its
solver: ``converged`` is ``certificate <= tol * P_null``.  Weights outside
``_WEIGHT_RANGE`` are rescaled exactly first: ``(s, lam) -> (s / c, lam / c)``
has the same minimiser and ``P / c``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._solvers.logistic import BinaryProblem, MultinomialProblem, run_binary, run_multinomial
from .._solvers.stopping import is_certified
from .logistic_setup import LogisticProblem
from .results import FitResult
from .threads import blas_limit, numba_threads, pool_workers, thread_map


def solve_logistic(prob: LogisticProblem, lam: float, W0: np.ndarray) -> FitResult:
    """Fit ``prob`` at the (validated) ``lam`` from ``W0`` (p, n_models); no warning.

    ``seconds`` of the result is 0: the caller times what it wants timed.
    When ``prob`` dropped empty columns (``prob.columns``), the solvers run on
    the others (``prob.fit_Xv``) and the coefficients come back with zeros in
    them (their exact optimum: fastridge._fit.columns).
    """
    if prob.columns is not None:
        kept = dataclasses.replace(prob, Xv=prob.fit_Xv, fit_Xv=None, columns=None)
        res = solve_logistic(kept, lam, prob.columns.restrict(W0, axis=0))
        return dataclasses.replace(res, coef=prob.columns.expand(res.coef, axis=-1))
    lam_v = float(lam)
    scale = _weight_scale(prob.s, lam_v)
    if scale != 1.0:
        return _rescaled_solve(prob, lam_v, W0, scale)
    nt = prob.n_threads
    common = dict(lam=lam_v, tol=prob.tol, n_threads=nt, classes=prob.classes)
    with blas_limit(1):
        if prob.kind == "binary":
            with numba_threads(nt):
                fit = _binary(prob, lam_v, 1, nt, W0[:, 0])
            return _result(fit, float(fit.intercept), common)
        if prob.kind == "ovr":
            return _one_vs_rest(prob, W0, common)
        with numba_threads(nt):
            problem = MultinomialProblem(
                prob.Xv,
                prob.codes,
                prob.n_classes,
                prob.s,
                lam_v,
                prob.fit_intercept,
                prob.tol,
                nt,
                operator_type=prob.operator_type,
                softmax_type=prob.softmax_operator_type,
            )
            fit = run_multinomial(prob.solver, problem, W0, prob.max_iter)
        return _result(fit, fit.intercept, common)


def _result(fit, intercept, common: dict) -> FitResult:
    """The :class:`FitResult` of one solver output (``converged``: certificate <= tol P_null)."""
    return FitResult(
        coef=fit.coef,
        intercept=intercept,
        certificate=float(fit.certificate),
        p_null=float(fit.p_null),
        converged=bool(is_certified(fit.certificate, common["tol"], fit.p_null)),
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


def _binary(prob: LogisticProblem, lam: float, positive: int, n_threads: int, w0):
    """Class ``positive`` (``y_i = +1``) against the rest, one binary fit (the caller sets
    the thread count)."""
    y_pm = np.where(prob.codes == positive, 1.0, -1.0)
    problem = BinaryProblem(
        prob.Xv,
        y_pm,
        prob.s,
        lam,
        prob.fit_intercept,
        prob.tol,
        n_threads,
        operator_type=prob.operator_type,
    )
    return run_binary(prob.solver, problem, w0, prob.max_iter)


def _one_vs_rest(prob: LogisticProblem, W0: np.ndarray, common: dict) -> FitResult:
    """One binary fit per class, ``min(n_threads, K)`` at a time in worker threads.

    Each worker's kernels get ``n_threads // workers`` threads (Numba's thread
    count is per calling thread); the kernels release the GIL.
    """
    nt, n_classes = common["n_threads"], prob.n_classes
    workers = pool_workers(nt, n_classes)
    per_fit = max(1, nt // workers)

    def fit_class(k: int):
        with numba_threads(per_fit):
            return _binary(prob, common["lam"], k, per_fit, W0[:, k])

    fits = thread_map(fit_class, range(n_classes), workers)
    cert = np.array([f.certificate for f in fits])
    p_null = np.array([f.p_null for f in fits])
    ok = is_certified(cert, common["tol"], p_null)
    # auto may run different solvers per class (dual CD, or Newton-CG after
    # it): name the one of the least accurate unconverged class (what the
    # ConvergenceWarning is about), and its iterations (epochs and Newton
    # iterations are not comparable).  Class 0's name and the largest n_iter
    # of all blamed dual CD for a Newton-CG class stopped at max_iter.
    bad = np.flatnonzero(~ok)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = cert / p_null
    lead = fits[int(bad[np.argmax(np.nan_to_num(rel[bad], nan=np.inf))])] if bad.size else fits[0]
    same = [f.n_iter for f in fits if f.solver == lead.solver]
    return FitResult(
        coef=np.stack([f.coef for f in fits]),
        intercept=np.array([f.intercept for f in fits], dtype=np.float64),
        certificate=cert,
        p_null=p_null,
        converged=bool(np.all(ok)),
        n_iter=int(max(same)),
        n_passes=int(sum(f.n_passes for f in fits)),
        solver=lead.solver,
        seconds=0.0,
        **common,
    )
