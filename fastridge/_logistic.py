"""The public function :func:`logistic`: binary L2-logistic regression, certified."""

from __future__ import annotations

import time
import warnings

import numpy as np

from ._result import FitResult
from ._solvers._logistic_newton import newton_cg_binary
from ._threads import blas_limit, numba_threads, resolve_n_threads
from ._validation import (
    check_coef_init,
    check_lam,
    check_max_iter,
    check_sample_weight,
    check_tol,
    check_X,
)

#: Solver names accepted by :func:`logistic`.
LOGISTIC_SOLVERS = ("auto", "newton-cg")
# Newton iterations allowed by default; Newton-CG typically needs 5-20.
_DEFAULT_MAX_ITER = 100


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
) -> FitResult:
    """Binary L2-regularised logistic regression with a certified accuracy.

    Minimises ``P(w, b) = sum_i s_i log(1 + exp(-y_i (x_i . w + b))) + lam/2 ||w||^2``
    over ``w`` and the unpenalised ``b`` (``y_i = +1`` for the larger of the two
    labels, ``-1`` for the smaller, as scikit-learn orders ``classes_``; the
    same minimiser as ``sklearn.linear_model.LogisticRegression(C=1/lam)``),
    and stops when ``||grad F(w)||^2 / (2 lam) <= tol * P_null``, where
    ``F(w) = min_b P(w, b)`` and ``P_null`` is the objective of the best
    intercept-only model.  That certificate bounds ``P(w, b) - P*`` from above
    (see :mod:`fastridge._solvers._logistic_newton`).

    Parameters are those of :func:`fastridge.ridge`; ``y`` must have exactly two
    distinct labels.  ``solver="auto"`` / ``"newton-cg"``: Newton's method,
    with exact steps from the dense Hessian when ``p <= 128`` (reported as
    ``"newton-cholesky"``) and truncated CG steps otherwise.

    Returns
    -------
    FitResult
        ``coef`` (p,), ``intercept``, ``certificate``, ``p_null``, ...
    """
    t0 = time.perf_counter()
    if solver not in LOGISTIC_SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(LOGISTIC_SOLVERS)}")
    tol = check_tol(tol)
    Xv = check_X(X)
    n, p = Xv.shape
    y_pm = _binary_labels(y, n)
    sw = check_sample_weight(sample_weight, n)
    lam_v = float(check_lam(lam, 1)[0])
    max_iter = check_max_iter(max_iter, _DEFAULT_MAX_ITER)
    w0 = check_coef_init(coef_init, p, 1)[:, 0]
    nt = resolve_n_threads(n_threads)
    s = np.ones(n) if sw is None else sw
    with numba_threads(nt), blas_limit(1):
        w, b, cert, p_null, n_iter, n_passes, used = newton_cg_binary(
            Xv, y_pm, s, lam_v, fit_intercept, tol, max_iter, nt, w0
        )
    converged = cert <= tol * p_null
    if not converged:
        from ._api import _convergence_warning

        warnings.warn(
            f"logistic solver {used!r} stopped at max_iter={max_iter} with relative "
            f"certificate {cert / p_null:.3g} > tol {tol:.3g}; the data may be separable "
            "(coefficients grow as lam -> 0): increase lam or max_iter",
            _convergence_warning(),
            stacklevel=2,
        )
    return FitResult(
        coef=w,
        intercept=float(b),
        lam=lam_v,
        certificate=float(cert),
        p_null=float(p_null),
        tol=tol,
        converged=bool(converged),
        n_iter=int(n_iter),
        n_passes=int(n_passes),
        solver=used,
        seconds=time.perf_counter() - t0,
        n_threads=nt,
    )


def _binary_labels(y, n: int) -> np.ndarray:
    """Map two distinct labels to -1 / +1 (sorted order, as scikit-learn's ``classes_``)."""
    ya = np.asarray(y)
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(f"y must be one-dimensional with {n} entries, got shape {ya.shape}")
    if ya.dtype.kind == "c":
        raise TypeError("y is complex")
    if ya.dtype.kind == "f" and not np.isfinite(ya).all():
        raise ValueError("y contains NaN or infinity")
    classes, codes = np.unique(ya, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"y has a single class ({classes[0]!r}): two are needed")
    if len(classes) > 2:
        raise ValueError(
            f"y has {len(classes)} classes; logistic() is binary (multiclass is not built yet)"
        )
    return np.where(codes == 1, 1.0, -1.0)
