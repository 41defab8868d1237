"""The public function :func:`ridge`: one validated entry point for every solver."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._operators.design import DesignOperator
from .._solvers.auto_rules import direct_blas_threads
from .._solvers.ridge import DEFAULT_MAX_ITER, RidgeProblem, resolve_solver, run_solver
from .._solvers.ridge.rounding import sound_certificate
from .._solvers.stopping import certified_limit, is_certified
from .columns import drop_empty_columns
from .distributed import is_distributed, operator_types, refuse_column_solver
from .duplicates import canonical_csc
from .results import FitResult, XvShape
from .scaling import ScaledProblem, abs_mean, check_X_scale, constant_targets, scale_problem
from .threads import blas_limit, numba_threads, resolve_n_threads
from .validation import (
    Compressed,
    check_coef_init,
    check_flag,
    check_lam,
    check_max_iter,
    check_sample_weight,
    check_tol,
    check_X,
    check_y,
)
from .warnings import convergence_warning

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
        indices; unsorted indices and explicit zeros are fine).  Duplicates are
        fine too: the matrix is their exact sum, and an ``X`` with duplicates is
        replaced by one copy holding those sums (float64 if a sum is not a
        float32).  Other sparse formats are converted to CSR, which copies ``X``.
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
    user_max_iter = None

    def plan(n, p, k, sparse):
        nonlocal max_iter, user_max_iter
        lam_v = check_lam(lam, k)
        name = resolve_solver(solver, n, p, sparse=sparse)
        user_max_iter = check_max_iter(max_iter, None)  # None: the solver's default
        max_iter = check_max_iter(max_iter, DEFAULT_MAX_ITER[name])
        # BLAS threads only slow down the O(n + p) vector work of the iterative
        # solvers (OpenBLAS spinning against Numba's threads: a 100k-long dot went
        # from 15 us to 8 ms); the direct solvers keep BLAS threads for a large
        # Gram only (auto_rules.direct_blas_threads).
        blas = 1 if not name.startswith("direct") else direct_blas_threads(n, p)
        return RidgePlan(lam=lam_v, solver=name, csc=name == "cd", blas_threads=blas)

    setup = prepare_ridge(
        X,
        y,
        plan,
        fit_intercept=fit_intercept,
        sample_weight=sample_weight,
        tol=tol,
        n_threads=n_threads,
        coef_init=coef_init,
    )
    return _solve_and_report(setup, solver, max_iter, user_max_iter, t0)


def _solve_and_report(setup, solver, max_iter, user_max_iter, t0) -> FitResult:
    """Run the planned solver on ``setup``, certify soundly, report in the caller's units.

    The intercept comes from the means (``b = ybar - mu . w``); ``converged``
    is the sound certificate against ``tol * P_null`` (false when the result
    is not representable in the caller's units), with one warning otherwise.
    """
    scaled, problem, op, ybar = setup.scaled, setup.problem, setup.op, setup.ybar
    tol, k, one_d, nt = setup.tol, setup.k, setup.one_d, setup.n_threads
    with numba_threads(nt), blas_limit(setup.plan.blas_threads):
        out = run_solver(solver, setup.plan.solver, problem, scaled.W0, max_iter, user_max_iter)
        sound = sound_certificate(
            problem,
            out.W,
            out.certificate,
            ybar,
            abs_mean(scaled),
            constant_targets(setup.Y, setup.sw),
            alpha=out.alpha,
        )
    W = out.W
    intercept = ybar - op.mu @ W if setup.fit_intercept else np.zeros(k)
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
        lam=squeeze(setup.plan.lam),
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
        convergence_warning(),
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


@dataclass(frozen=True)
class RidgePlan:
    """What a caller of :func:`prepare_ridge` decides once the shape of the data is known."""

    lam: np.ndarray  # validated penalties: (k,) for one fit, the grid (L,) for a path
    solver: str | None = None  # the caller's solver or path algorithm (kept, not used here)
    csc: bool = False  # coordinate descent needs CSC columns (a copy for CSR input)
    blas_threads: int | None = 1  # BLAS threads while the operator is built (None: as is)
    grid: bool = False  # lam is a grid: the problem gets lam = 1 (only B and P_null matter)


@dataclass(frozen=True)
class RidgeSetup(XvShape):
    """A validated, centred (and rescaled) ridge problem with its operator.

    What :func:`fastridge.ridge`, :func:`fastridge.ridge_path`, ``RidgeCV`` and
    the command line share; built by :func:`prepare_ridge`.
    """

    Xv: object  # validated dense ndarray or Compressed (CSC when plan.csc)
    Y: np.ndarray  # (n, k) validated targets, in the units given
    one_d: bool  # y was one-dimensional
    sw: np.ndarray | None  # validated sample weights, in the units given
    fit_intercept: bool
    tol: float
    n_threads: int
    plan: RidgePlan
    scaled: ScaledProblem | None  # the power-of-two rescaling (None: rescale=False)
    ybar: np.ndarray  # (k,) weighted target means (0 without intercept), fitting units
    Yc: np.ndarray  # (n, k) centred targets, fitting units
    op: object  # the design operator, built with targets=Yc
    problem: RidgeProblem  # at plan.lam (lam = 1 for a grid)

    @property
    def k(self) -> int:
        return self.Y.shape[1]


def _default_plan(n: int, p: int, k: int, sparse: bool) -> RidgePlan:
    return RidgePlan(lam=np.ones(1), grid=True)


def prepare_ridge(
    X,
    y,
    plan: Callable[[int, int, int, bool], RidgePlan] = _default_plan,
    *,
    fit_intercept: bool = True,
    sample_weight=None,
    tol: float = 1e-8,
    n_threads: int | None = None,
    coef_init=None,
    rescale: bool = True,
    operator_type=DesignOperator,
) -> RidgeSetup:
    """Validate, choose threads, rescale, centre and build the operator and the problem.

    The one ridge set-up.  All validation happens before any pass over ``X``:
    ``tol``, ``fit_intercept``, ``X``, ``y``, ``sample_weight``, then
    ``plan(n, p, k, sparse)`` (the caller's own checks: ``lam``, solver,
    ``max_iter``; it returns the :class:`RidgePlan`), then ``coef_init``; only
    the scan of a sparse ``X``'s column indices for empty columns
    (:mod:`fastridge._fit.columns`, which reads no value) comes before ``plan``,
    whose ``p`` is then the number of columns kept.  Then,
    with ``n_threads`` Numba threads and ``plan.blas_threads`` BLAS threads:
    the exact power-of-two rescaling of ``y``, the weights and ``lam``
    (:mod:`fastridge._fit.scaling`; skipped with ``rescale=False``, which also
    skips the check of ``X``'s scale), the weighted centring of the targets,
    ``operator_type(Xv, sw, fit_intercept, n_threads, targets=Yc)`` and the
    :class:`RidgeProblem`.  The caller runs its solver under the same thread
    counts.
    """
    tol = check_tol(tol)
    fit_intercept = check_flag(fit_intercept, "fit_intercept")
    Xv = check_X(X)
    operator_type, _ = operator_types(Xv, operator_type)
    n, p = Xv.shape
    Y, one_d = check_y(y, n)
    k = Y.shape[1]
    sw = check_sample_weight(sample_weight, n)
    # Columns without entries: solved without them, zeros in the results
    # (scaled.to_original puts them back), and the plan (primal or dual, direct
    # for small shapes) made for the columns that remain; not for the grid set-up
    # (rescale=False), which reports no coefficients.
    columns = None
    if rescale:
        Xv, columns = drop_empty_columns(Xv)
    chosen = plan(n, Xv.shape[1], k, isinstance(Xv, Compressed) or is_distributed(Xv))
    refuse_column_solver(Xv, "cd" if chosen.csc else "")
    W0 = check_coef_init(coef_init, p, k)
    if columns is not None:
        W0 = columns.restrict(W0, axis=0)
    nt = resolve_n_threads(n_threads)
    if chosen.csc and isinstance(Xv, Compressed):
        Xv = canonical_csc(Xv)
    scaled = scale_problem(Y, sw, chosen.lam, W0, columns) if rescale else None
    Yf, swf = (scaled.Y, scaled.sw) if rescale else (Y, sw)
    with numba_threads(nt), blas_limit(chosen.blas_threads):
        ybar, Yc = centred_targets(Yf, swf, fit_intercept)
        op = operator_type(Xv, swf, fit_intercept, nt, targets=Yc)
        if rescale:
            check_X_scale(op, Xv)
        lam_p = np.ones(k) if chosen.grid else (scaled.lam if rescale else chosen.lam)
        problem = RidgeProblem(op, Yc, lam_p, tol)
    return RidgeSetup(
        Xv, Y, one_d, sw, fit_intercept, tol, nt, chosen, scaled, ybar, Yc, op, problem
    )
