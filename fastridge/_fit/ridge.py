"""The public function :func:`ridge`: one validated entry point for every solver."""

from __future__ import annotations

import time
import warnings

import numpy as np

from .._operators.design import DesignOperator
from .._solvers.ridge import DEFAULT_MAX_ITER, RidgeProblem, resolve_solver, run_solver
from .._solvers.ridge.rounding import sound_certificate
from .._solvers.stopping import certified_limit, is_certified
from .results import FitResult
from .scaling import abs_mean, check_X_scale, constant_targets, scale_problem
from .threads import blas_limit, numba_threads, resolve_n_threads
from .validation import (
    Compressed,
    canonical_csc,
    check_coef_init,
    check_flag,
    check_lam,
    check_max_iter,
    check_sample_weight,
    check_tol,
    check_X,
    check_y,
)

# Targets whose spread (max - min) is within this many units of roundoff of
# their magnitude are treated as exactly constant when an intercept is fitted.
_CONSTANT_RTOL = 4 * np.finfo(np.float64).eps


def ridge(
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
    """Ridge regression with a certified accuracy.

    Minimises, for each target ``y`` (a column of ``Y``),

        P(w, b) = 1/2 sum_i s_i (y_i - x_i . w - b)^2 + lam/2 ||w||^2

    (``b`` unpenalised, ``b = 0`` without intercept; scikit-learn's
    ``Ridge(alpha=lam)`` has the same minimiser) and stops when the
    certificate ``||grad_w P||^2 / (2 lam)``, an upper bound on ``P - P*``,
    is at most ``tol * P_null``, with ``P_null`` the objective of the best
    intercept-only model.  The reported certificate also bounds the float64
    rounding of that gradient and of the intercept (docs/certificates.md,
    section 6), so ``converged=True`` holds for the returned float values;
    where float64 cannot certify ``tol``, ``converged`` is False and a
    ``ConvergenceWarning`` names the cause.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix/array, shape (n, p)
        CSR and CSC are used in place (float32 or float64 data, int32 or int64
        indices; unsorted indices, duplicates and explicit zeros are fine).
        Other sparse formats are converted to CSR, which copies ``X``.
    y : array-like, shape (n,) or (n, k)
        One target, or ``k`` targets fitted together (``X`` is read once per
        iteration for all of them).
    lam : float or array-like of shape (k,)
        Penalty, positive; one per target allowed.
    fit_intercept : bool, default=True
        Fit the unpenalised intercept (by implicit weighted centring).
    sample_weight : float or array-like of shape (n,), optional
        Non-negative weights ``s_i``, not all zero.
    solver : {"auto", "cg", "cd", "direct", "cg-primal", "cg-dual",
        "direct-primal", "direct-dual"}, default="auto"
        ``auto`` uses ``direct`` when ``min(n, p) <= 128``, else ``cg-primal``
        for sparse ``X`` (see ``fastridge._solvers.ridge.resolve_solver`` for why)
        and ``cg`` for dense ``X``; where CG stagnates and ``min(n, p) <= 4096``,
        ``auto`` finishes with ``direct`` (docs/solvers.md).  ``cg`` and
        ``direct`` take the primal form when ``n >= p`` and the dual form
        otherwise.  ``cd`` needs CSC (CSR input is converted, one copy of
        ``X``) or dense input.
    tol : float, default=1e-8
        Relative accuracy: stop when ``certificate <= tol * P_null``.
    max_iter : int, optional
        Iteration cap (CG iterations, CD epochs, direct refinement rounds).
    n_threads : int, optional
        Threads for the kernels; None or -1 means all of Numba's threads.
    coef_init : array-like of shape (p,) or (k, p), optional
        Warm start for the iterative solvers.

    Returns
    -------
    FitResult
        Coefficients, intercepts, the certificate reached and solver details.
        A ``ConvergenceWarning`` is issued when ``max_iter`` stopped a target
        before its certificate reached ``tol * P_null``.

    Raises
    ------
    ValueError, TypeError
        For invalid input, before any work and with the inputs unchanged; also
        (after the setup pass) for ``X`` with an entry above ``1e100`` in
        absolute value, or whose largest entry is below ``1e-100``, whose squares
        float64 cannot hold (``y`` and ``sample_weight`` are rescaled instead).
    """
    t0 = time.perf_counter()
    tol = check_tol(tol)
    fit_intercept = check_flag(fit_intercept, "fit_intercept")
    Xv = check_X(X)
    n, p = Xv.shape
    Y, one_d = check_y(y, n)
    k = Y.shape[1]
    sw = check_sample_weight(sample_weight, n)
    lam_v = check_lam(lam, k)
    name = resolve_solver(solver, n, p, sparse=isinstance(Xv, Compressed))
    user_max_iter = check_max_iter(max_iter, None)  # None: the solver's default
    max_iter = check_max_iter(max_iter, DEFAULT_MAX_ITER[name])
    W0 = check_coef_init(coef_init, p, k)
    nt = resolve_n_threads(n_threads)
    if name == "cd" and isinstance(Xv, Compressed):
        Xv = canonical_csc(Xv)
    # BLAS threads only slow down the O(n + p) vector work of the iterative
    # solvers (OpenBLAS spinning against Numba's threads: a 100k-long dot went
    # from 15 us to 8 ms); the direct solvers keep BLAS for the factorisation.
    blas_threads = 1 if not name.startswith("direct") else None
    # Exact power-of-two rescaling of y and the weights (see _scaling): the fit
    # runs in units where P_null and the certificate are representable.
    scaled = scale_problem(Y, sw, lam_v, W0)
    with numba_threads(nt), blas_limit(blas_threads):
        ybar, Yc = centred_targets(scaled.Y, scaled.sw, fit_intercept)
        op = DesignOperator(Xv, scaled.sw, fit_intercept, nt, targets=Yc)
        check_X_scale(op, Xv)
        problem = RidgeProblem(op, Yc, scaled.lam, tol)
        out = run_solver(solver, name, problem, scaled.W0, max_iter, user_max_iter)
        sound = sound_certificate(
            problem,
            out.W,
            out.certificate,
            ybar,
            abs_mean(scaled),
            constant_targets(Y, sw),
            alpha=out.alpha,
        )
    W = out.W
    intercept = ybar - op.mu @ W if fit_intercept else np.zeros(k)
    ok = is_certified(sound.certificate, tol, problem.p_null)
    report = scaled.to_original(W, intercept, sound.certificate, problem.p_null)
    if not report.representable:
        ok[:] = False
    if not ok.all():
        _warn_unconverged(out, sound, problem, ok, max_iter, tol, report)

    def squeeze(a):
        return float(a[0]) if one_d else np.asarray(a, dtype=np.float64).copy()

    return FitResult(
        coef=report.W[:, 0].copy() if one_d else np.ascontiguousarray(report.W.T),
        intercept=squeeze(report.intercept),
        lam=squeeze(lam_v),
        certificate=squeeze(report.certificate),
        p_null=squeeze(report.p_null),
        tol=tol,
        converged=bool(ok.all()),
        n_iter=int(out.n_iter),
        n_passes=int(op.n_passes),
        solver=out.solver,
        seconds=time.perf_counter() - t0,
        n_threads=nt,
    )


def _warn_unconverged(out, sound, problem, ok, max_iter, tol, report) -> None:
    """One ``ConvergenceWarning`` naming why the targets in ``~ok`` are not certified."""
    bad = ~ok
    with np.errstate(divide="ignore", invalid="ignore"):
        worst = np.max(sound.certificate[bad] / problem.p_null[bad])
    limit = certified_limit(tol, problem.p_null)
    if not report.representable:
        cause = report.reason
    elif out.n_iter < max_iter and not np.all(sound.solver_certificate[bad] <= limit[bad]):
        cause = (
            "the solver stopped before max_iter because its iterations no longer lower the "
            "certificate (the float64 rounding floor of this problem); raise tol"
        )
    elif np.all(sound.solver_certificate[bad] <= limit[bad]):
        cause = (
            "the solver's float64 gradient met tol, but its rounding error (bounded "
            "from the data: column means up to "
            f"{problem.op.mean_spread_ratio():.3g} times their spread) does not let fastridge "
            "certify that accuracy; raise tol or centre and scale X"
        )
    else:
        cause = f"stopped at max_iter={max_iter}; increase max_iter or use another solver"
    warnings.warn(
        f"ridge solver {out.solver!r} did not converge to a certified fit for "
        f"{int(bad.sum())} of {len(ok)} target(s) (relative certificate {worst:.3g}, "
        f"tol {tol:.3g}): {cause}",
        _convergence_warning(),
        stacklevel=3,
    )


def centred_targets(Y: np.ndarray, sw, fit_intercept: bool):
    """``(ybar, Yc)``: weighted target means (0 without intercept) and ``Y - ybar``.

    With an intercept, a target whose values differ only by rounding is
    constant: its exact fit is ``w = 0``, ``b = mean``, ``P_null = 0``.
    Centring leaves rounding noise of size ``eps*|y|`` that the certificate
    could never resolve relative to ``P_null ~ (eps*|y|)^2``, so it is zeroed.
    """
    k = Y.shape[1]
    s = np.ones(Y.shape[0]) if sw is None else sw
    ybar = (s @ Y) / s.sum() if fit_intercept else np.zeros(k)
    Yc = Y - ybar
    if fit_intercept:
        # Constant over the rows that count (zero-weight rows do not).
        Yw = Y[s > 0] if sw is not None else Y
        if Yw.shape[0] == 0:
            return ybar, Yc
        spread = Yw.max(axis=0) - Yw.min(axis=0)
        constant = spread <= _CONSTANT_RTOL * np.abs(Yw).max(axis=0)
        Yc[:, constant] = 0.0
        # An exactly constant target gets its value as the mean (the weighted
        # average of n copies of c need not round to c), so b = c exactly.
        exact = spread == 0.0
        ybar[exact] = Yw[0, exact]
    return ybar, Yc


def _convergence_warning() -> type[Warning]:
    """scikit-learn's ``ConvergenceWarning`` (imported only when needed: ~1 s import)."""
    from sklearn.exceptions import ConvergenceWarning

    return ConvergenceWarning
