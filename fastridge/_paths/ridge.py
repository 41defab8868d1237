"""The public function :func:`ridge_path`: a certified ridge fit at every lam of a grid.

Path algorithms (``solver``):

``subspace-cg``
    One Jacobi-preconditioned Galerkin subspace per target
    (:func:`fastridge._solvers.ridge.path_subspace.subspace_path`): the basis
    is grown by products with ``H = Xc^T S Xc`` and every lam is solved in it,
    ``w(lam) = Z (Z^T H Z + lam Z^T Z)^{-1} Z^T b``; points whose certificate
    is still above ``tol`` are polished by warm-started Jacobi PCG.  What
    ``auto`` picks when ``min(n, p) > 256``.
``multishift-cg``
    One Krylov sequence for the whole grid (:mod:`fastridge._solvers.ridge.multishift`):
    each iteration costs one product with ``H = Xc^T S Xc`` (primal) or
    ``A A^T`` (dual, ``A = S^{1/2} Xc``) for every lam together, plus a sweep
    over the per-lam vectors.  Then every point is *polished*: its gradient is
    recomputed from ``w`` (one multi-vector pass for the whole grid) and the
    points the recursive residual overstated continue with warm-started,
    Jacobi-preconditioned CG until their own certificate holds.
``eigen``
    One eigendecomposition of the dense ``H`` (p x p, when p <= n) or ``A A^T``
    (n x n); then ``w(lam) = V diag(1 / (e + lam)) V^T b`` for every lam at
    O(min(n, p)^2) each; certified (and polished) like ``multishift-cg``.
``cg``, ``cd``
    The single-lam solvers run down the grid in decreasing order, each
    warm-started from the previous solution (glmnet's strategy).

Every point stops on its own certificate ``||grad P||^2 / (2 lam) <= tol * P_null``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from .._fit.distributed import is_distributed
from .._fit.ridge import RidgePlan, prepare_ridge
from .._fit.scaling import abs_mean, constant_targets
from .._fit.threads import blas_limit, numba_threads
from .._fit.validation import check_max_iter
from .._fit.warnings import convergence_warning
from .._operators.design import DesignOperator
from .._solvers.auto_rules import direct_blas_threads, ridge_path_solver
from .._solvers.ridge.rounding import sound_certificate
from .._solvers.stopping import is_certified
from .grid import check_grid, ridge_grid
from .results import PathResult
from .ridge_algorithms import grid_problem, run_path

#: Path algorithms accepted by :func:`ridge_path`.
PATH_SOLVERS = ("auto", "subspace-cg", "multishift-cg", "eigen", "cg", "cd")

# ``auto``: see fastridge._solvers.auto_rules (EIGEN_MAX_DIM, ridge_path_solver).


def ridge_path(
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
    operator_type=DesignOperator,
) -> PathResult:
    """Ridge regression over a grid of penalties, certified at every point.

    For each ``lam`` of the grid (and each target), minimises

        P(w, b) = 1/2 sum_i s_i (y_i - x_i . w - b)^2 + lam/2 ||w||^2

    (as :func:`fastridge.ridge`) and stops when ``||grad_w P||^2 / (2 lam)``,
    an upper bound on ``P - P*``, is at most ``tol * P_null``.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix/array, shape (n, p)
        As in :func:`fastridge.ridge` (CSR / CSC used in place).
    y : array-like, shape (n,) or (n, k)
        One target or ``k`` targets (all on the same grid).
    lams : array-like of float, optional
        The grid; returned sorted in decreasing order.  When None, the default
        grid: ``n_lams`` values geometric from ``lam_max`` down to
        ``lam_max * lam_min_ratio``, with
        ``lam_max = ||Xc^T S yc||^2 / (2 * 0.01 * P_null)`` (largest over
        targets).  At ``lam_max`` the fit recovers at most 1% of ``P_null``
        (``P_null - P* <= ||grad P(0)||^2 / (2 lam)`` by strong convexity), and
        scaling ``X`` by ``c`` scales the grid by ``c^2`` (see
        :mod:`fastridge._paths.grid`).
    n_lams : int, default=50
        Grid size when ``lams`` is None.
    lam_min_ratio : float, optional
        ``lam_min / lam_max`` when ``lams`` is None; default 1e-4 when
        ``n >= p``, else 1e-2 (glmnet's convention).
    fit_intercept : bool, default=True
        Fit the unpenalised intercept.
    sample_weight : float or array-like of shape (n,), optional
        Non-negative weights ``s_i``, not all zero.
    solver : {"auto", "subspace-cg", "multishift-cg", "eigen", "cg", "cd"}, default="auto"
        The path algorithm (module docstring).  ``auto``: ``eigen`` when
        ``min(n, p) <= 256``, otherwise ``subspace-cg`` (never
        ``multishift-cg``; :func:`fastridge._solvers.auto_rules.ridge_path_solver`).
    tol : float, default=1e-8
        Relative accuracy of every point: ``certificate <= tol * P_null``.
    max_iter : int, optional
        Iteration cap per stage (multi-shift iterations; polishing CG
        iterations; CG iterations or CD epochs per lam for ``cg`` / ``cd``).
    n_threads : int, optional
        Threads for the kernels; None or -1 means all of Numba's threads.
    operator_type : type, default=DesignOperator
        The design operator class built on ``X`` (the contract of
        :mod:`fastridge._operators.contract`; ``cd`` also needs column access).

    Returns
    -------
    PathResult
        ``coef`` ``(L, p)`` (``(L, k, p)`` for several targets), ``intercept``,
        ``certificate`` per point, ``n_iter`` per lam, total passes and time.
        A ``ConvergenceWarning`` is issued if a point missed its tolerance.
    """
    return path_with_predictions(
        X,
        y,
        lams,
        n_lams=n_lams,
        lam_min_ratio=lam_min_ratio,
        fit_intercept=fit_intercept,
        sample_weight=sample_weight,
        solver=solver,
        tol=tol,
        max_iter=max_iter,
        n_threads=n_threads,
        operator_type=operator_type,
    )[0]


def path_with_predictions(
    X,
    y,
    lams=None,
    *,
    rows=None,
    n_lams: int = 50,
    lam_min_ratio: float | None = None,
    fit_intercept: bool = True,
    sample_weight=None,
    solver: str = "auto",
    tol: float = 1e-8,
    max_iter: int | None = None,
    n_threads: int | None = None,
    operator_type=DesignOperator,
):
    """:func:`ridge_path`, plus the predictions ``x_i . w_j + b_j`` on ``rows``.

    Returns ``(PathResult, P)`` with ``P`` of shape ``(len(rows), L, k)``
    (None when ``rows`` is None), for cross-validation: a fold is the full
    ``X`` with zero weights on its test rows (no copy of ``X``), and
    the subspace path gets ``X z`` of every basis vector from the passes it
    makes anyway, so ``X_test w_j = (X Z)_test y_j`` costs no pass.  Other
    path algorithms (and points polished after the subspace) use explicit
    products with ``X[rows]``.  ``operator_type`` is the design operator class
    (see :func:`fastridge._fit.ridge.prepare_ridge`).
    """
    t0 = time.perf_counter()
    if solver not in PATH_SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {', '.join(PATH_SOLVERS)}")
    default_args = None

    def plan(n, p, k, sparse):
        nonlocal solver, max_iter, default_args
        user_lams, default_args = check_grid(lams, n_lams, lam_min_ratio, n, p)
        solver = ridge_path_solver(solver, n, p)
        if max_iter is not None:
            max_iter = check_max_iter(max_iter, 1)
        # BLAS stays single-threaded except for the eigendecomposition (see ridge()).
        grid = np.ones(1) if user_lams is None else user_lams
        blas = direct_blas_threads(n, p) if solver == "eigen" else 1
        return RidgePlan(lam=grid, solver=solver, csc=solver == "cd", blas_threads=blas, grid=True)

    # Exact power-of-two rescaling of y and the weights, as in ridge() (_fit/scaling.py).
    setup = prepare_ridge(
        X,
        y,
        plan,
        fit_intercept=fit_intercept,
        sample_weight=sample_weight,
        tol=tol,
        n_threads=n_threads,
        operator_type=operator_type,
    )
    keeps = [] if rows is not None and solver == "subspace-cg" else None
    solved = _solve_grid(setup, solver, max_iter, default_args, keeps)
    return _path_result(setup, solved, rows, keeps, t0)


def _path_result(setup, solved, rows, keeps, t0):
    """``(PathResult, predictions)`` in the caller's units from the solved grid.

    ``solved`` is :func:`_solve_grid`'s tuple in scaled units; the points are
    reported per lam (intercepts from the means, sound certificates, the
    convergence flags checked in both units, one warning for the points left
    uncertified) and the predictions on ``rows`` are made when asked.
    """
    Xv, scaled, op, ybar = setup.Xv, setup.scaled, setup.op, setup.ybar
    tol, fit_intercept = setup.tol, setup.fit_intercept
    nt, k, p, one_d = setup.n_threads, setup.k, setup.p, setup.one_d
    p_null = setup.problem.p_null
    lams_v, Wt, cert_f64, sound, n_iter_each, name, exact = solved
    L = len(lams_v)
    # Wt: (k*L, p), row t*L + j = target t at lams_v[j].
    coef = Wt.reshape(k, L, p).transpose(1, 0, 2)  # (L, k, p)
    intercept = (ybar[None, :] - coef @ op.mu) if fit_intercept else np.zeros((L, k))
    cert = sound.certificate.reshape(k, L).T  # (L, k)
    n_iter = n_iter_each.reshape(k, L).max(axis=0)
    ok = is_certified(cert, tol, p_null[None, :])
    pred = None
    if rows is not None:
        pred = np.ldexp(_predictions(Xv, op, rows, coef, intercept, keeps, exact), scaled.ey)
    solver_ok = is_certified(cert_f64.reshape(k, L).T, tol, p_null[None, :])  # scaled units
    report = scaled.to_original(coef, intercept, cert, p_null)
    coef, intercept, cert, p_null = report.W, report.intercept, report.certificate, report.p_null
    lams_v = np.ldexp(lams_v, scaled.es)
    if not report.representable:
        ok[:] = False
    if not ok.all():
        _warn_unconverged(name, ok, solver_ok, cert, p_null, tol, report, op)
    if one_d:
        coef, intercept, cert = coef[:, 0, :], intercept[:, 0], cert[:, 0]
    result = PathResult(
        lams=lams_v.copy(),
        coef=np.ascontiguousarray(coef),
        intercept=np.ascontiguousarray(intercept),
        certificate=np.ascontiguousarray(cert),
        p_null=float(p_null[0]) if one_d else p_null.copy(),
        n_iter=n_iter,
        n_passes=int(op.n_passes),
        tol=tol,
        converged=bool(ok.all()),
        solver=name,
        seconds=time.perf_counter() - t0,
        n_threads=nt,
    )
    return result, pred


def _solve_grid(setup, solver, max_iter, default_args, keeps):
    """Run the path algorithm on ``setup`` and certify every point soundly.

    The grid is ``setup.scaled.lam``, or the default grid from ``B`` and
    ``P_null`` when ``default_args`` is given.  Returns ``(lams, Wt, cert_f64,
    sound, n_iter, name, exact)``: row ``t * L + j`` of ``Wt`` (kL, p) is
    target ``t`` at ``lams[j]``; ``cert_f64`` the algorithm's float64
    certificates, ``sound`` the :func:`sound_certificate` (rounding included,
    as in :func:`fastridge.ridge`).
    """
    op, Yc, Y, sw, scaled = setup.op, setup.Yc, setup.Y, setup.sw, setup.scaled
    tol, ybar = setup.tol, setup.ybar
    with numba_threads(setup.n_threads), blas_limit(setup.plan.blas_threads):
        B, p_null = setup.problem.B, setup.problem.p_null
        if default_args is not None:
            lams_v = ridge_grid(op, B, p_null, *default_args)
        else:
            lams_v = scaled.lam
        L = len(lams_v)
        Wt, cert_f64, n_iter_each, name, exact = run_path(
            solver, op, Yc, B, p_null, lams_v, tol, max_iter, keeps
        )
        grid = grid_problem(op, Yc, B, p_null, lams_v, tol)
        sound = sound_certificate(
            grid,
            np.ascontiguousarray(Wt.T),
            cert_f64,
            np.repeat(ybar, L),
            np.repeat(abs_mean(scaled), L),
            np.repeat(constant_targets(Y, sw), L),
        )
    return lams_v, Wt, cert_f64, sound, n_iter_each, name, exact


def _warn_unconverged(name, ok, solver_ok, cert, p_null, tol, report, op) -> None:
    """One ``ConvergenceWarning`` for the points ``~ok`` (``cert > tol * p_null``), naming
    the cause: units not representable, float64 rounding (``solver_ok``: the solver's
    own float64 certificate met ``tol``) or ``max_iter``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        worst = float(np.max((cert / p_null[None, :])[~ok]))
    if not report.representable:
        cause = report.reason
    elif np.all(solver_ok[~ok]):
        cause = (
            "the float64 gradients met tol, but their rounding error (column means up "
            f"to {op.mean_spread_ratio():.3g} times their spread) does not let fastridge "
            "certify that accuracy; raise tol or centre and scale X"
        )
    else:
        cause = "increase max_iter"
    warnings.warn(
        f"ridge_path ({name}): {int((~ok).sum())} of {ok.size} points did not converge "
        f"(worst relative certificate {worst:.3g}, tol {tol:.3g}): {cause}",
        convergence_warning(),
        stacklevel=3,
    )


def _predictions(Xv, op, rows, coef, intercept, keeps, exact):
    """``P[r, j, t] = x_rows[r] . coef[j, t] + intercept[j, t]``, shape (len(rows), L, k).

    From the subspace's ``X Z`` where available (``exact[t * L + j]`` False:
    the point is still the Galerkin solution ``Z y_j``), else explicitly.
    """
    L, k, _ = coef.shape
    rows = np.asarray(rows)
    pred = np.empty((len(rows), L, k))
    todo = np.ones((L, k), dtype=bool)
    if keeps is not None:
        for t, keep in enumerate(keeps):
            cols = ~exact[t * L : (t + 1) * L]
            if not cols.any():
                continue
            Y = keep["Y"][:, cols]
            # X w = (X Z) y;  intercept b = ybar - mu . w is already in `intercept`.
            pred[:, cols, t] = keep["XZ"][:, rows].T @ Y + intercept[cols, t]
            todo[cols, t] = False
    if todo.any():
        j_idx, t_idx = np.nonzero(todo)
        C = coef[j_idx, t_idx].T  # (p, number of points)
        if is_distributed(Xv):  # every row in one pass, the fold's kept (no row copies)
            from ..distributed import tasks

            XC = Xv.run(tasks.x_dot, args=(np.ascontiguousarray(C),), reduce="rows")[rows]
        else:
            XC = np.asarray(_row_subset(Xv, rows) @ C)
        pred[:, j_idx, t_idx] = XC + intercept[j_idx, t_idx]
    return pred


def _row_subset(Xv, rows):
    """``X[rows]`` as a scipy/numpy matrix (a copy of those rows only)."""
    if isinstance(Xv, np.ndarray):
        return Xv[rows]
    import scipy.sparse as sp

    cls = sp.csr_matrix if Xv.format == "csr" else sp.csc_matrix
    M = cls((Xv.data, Xv.indices, Xv.indptr), shape=Xv.shape, copy=False)
    return M[rows]
