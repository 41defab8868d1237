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

from .._fit.ridge import RidgePlan, prepare_ridge
from .._fit.scaling import abs_mean, constant_targets
from .._fit.threads import blas_limit, numba_threads
from .._fit.validation import check_max_iter
from .._fit.warnings import convergence_warning
from .._operators.design import DesignOperator
from .._solvers.auto_rules import ridge_path_solver
from .._solvers.ridge import DEFAULT_MAX_ITER, SOLVERS, RidgeProblem
from .._solvers.ridge.cg import cg_primal
from .._solvers.ridge.multishift import multishift_cg
from .._solvers.ridge.path_subspace import subspace_path
from .._solvers.ridge.rounding import sound_certificate
from .._solvers.stopping import exceeds, grad_sq_threshold, is_certified
from .grid import check_grid, ridge_grid
from .results import PathResult

#: Path algorithms accepted by :func:`ridge_path`.
PATH_SOLVERS = ("auto", "subspace-cg", "multishift-cg", "eigen", "cg", "cd")

# ``auto``: see fastridge._solvers.auto_rules (EIGEN_MAX_DIM, ridge_path_solver).

# Multi-shift iterations allowed by default: like single-lam CG (2000), bounded
# because the unpreconditioned base system can stall on rounding.
_MULTISHIFT_MAX_ITER = 2000


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
        blas = None if solver == "eigen" else 1
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
    Xv, Y, sw, scaled, op = setup.Xv, setup.Y, setup.sw, setup.scaled, setup.op
    ybar, Yc, tol, fit_intercept = setup.ybar, setup.Yc, setup.tol, setup.fit_intercept
    nt, k, p, one_d = setup.n_threads, setup.k, setup.p, setup.one_d
    with numba_threads(nt), blas_limit(setup.plan.blas_threads):
        base = setup.problem
        B, p_null = base.B, base.p_null
        if default_args is not None:
            lams_v = ridge_grid(op, B, p_null, *default_args)
        else:
            lams_v = scaled.lam
        L = len(lams_v)
        keeps = [] if rows is not None and solver == "subspace-cg" else None
        Wt, cert_f64, n_iter_each, name, exact = _run(
            solver, op, Yc, B, p_null, lams_v, tol, max_iter, keeps
        )
        # Sound certificates (rounding included) for every point, as in ridge().
        grid = _grid_problem(op, Yc, B, p_null, lams_v, tol)
        sound = sound_certificate(
            grid,
            np.ascontiguousarray(Wt.T),
            cert_f64,
            np.repeat(ybar, L),
            np.repeat(abs_mean(scaled), L),
            np.repeat(constant_targets(Y, sw), L),
        )
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
            stacklevel=2,
        )
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
        Xr = _row_subset(Xv, rows)
        C = coef[j_idx, t_idx].T  # (p, number of points)
        pred[:, j_idx, t_idx] = np.asarray(Xr @ C) + intercept[j_idx, t_idx]
    return pred


def _row_subset(Xv, rows):
    """``X[rows]`` as a scipy/numpy matrix (a copy of those rows only)."""
    if isinstance(Xv, np.ndarray):
        return Xv[rows]
    import scipy.sparse as sp

    cls = sp.csr_matrix if Xv.format == "csr" else sp.csc_matrix
    M = cls((Xv.data, Xv.indices, Xv.indptr), shape=Xv.shape, copy=False)
    return M[rows]


def _run(solver, op, Yc, B, p_null, lams, tol, max_iter, keeps=None):
    """Dispatch to a path algorithm.

    Returns ``(Wt (kL, p), cert (kL,), n_iter (kL,), name, exact (kL,))``: row
    ``t * L + j`` of ``Wt`` is target ``t`` at ``lams[j]``;
    ``exact`` marks points not in ``keeps``' Galerkin form (see ``_predictions``).
    """
    k, L = Yc.shape[1], len(lams)
    if solver in ("cg", "cd"):
        W, cert, n_iter, name = _warm_started(solver, op, Yc, lams, tol, max_iter)
        return W.T, cert, n_iter, name, np.ones(k * L, bool)
    if solver == "subspace-cg":
        return _subspace(op, Yc, B, p_null, lams, tol, max_iter, keeps)
    k, L = Yc.shape[1], len(lams)
    grid = _grid_problem(op, Yc, B, p_null, lams, tol)
    if solver == "eigen":
        W0, n_iter0, name = _eigen_path(op, Yc, B, lams), np.ones(k * L, np.int64), "eigen"
    else:
        W0, n_iter0, name = _multishift_path(op, Yc, B, grid, lams, max_iter)
    # Certify every point from its recomputed gradient (one multi-vector pass)
    # and polish those above tol with warm-started Jacobi PCG.
    polish_iter = DEFAULT_MAX_ITER["cg-primal"] if max_iter is None else max_iter
    out = cg_primal(grid, W0, polish_iter)
    return out.W.T, out.certificate, n_iter0 + out.n_iter_each, name, np.ones(k * L, bool)


def _subspace(op, Yc, B, p_null, lams, tol, max_iter, keeps=None):
    """One preconditioned Galerkin subspace per target; polish what it leaves above tol.

    ``keeps`` (a list, when given) receives each target's basis (see
    :func:`subspace_path`).
    """
    k, L = Yc.shape[1], len(lams)
    cap = _MULTISHIFT_MAX_ITER if max_iter is None else max_iter
    diag_h = op.col_sq_norms()
    parts = []
    cert = np.empty(k * L)
    n_iter = np.empty(k * L, dtype=np.int64)
    for t in range(k):
        cols = slice(t * L, (t + 1) * L)
        thresh = grad_sq_threshold(lams, tol, p_null[t])
        keep = None if keeps is None else {}
        sub = subspace_path(op, B[:, t], lams, thresh, diag_h, cap, keep)
        Wt_t, rsq, n_iter[cols] = sub.coef, sub.residual_sq, sub.n_iter
        parts.append(Wt_t)
        if keeps is not None:
            keeps.append(keep)
        cert[cols] = rsq / (2.0 * lams)
    # (kL, p), row t * L + j; one target needs no copy (175 MB at p = 438,654).
    Wt = parts[0] if k == 1 else np.concatenate(parts, axis=0)
    del parts
    bad = np.flatnonzero(exceeds(cert, tol, np.repeat(p_null, L)))
    if len(bad):
        t_bad, j_bad = np.divmod(bad, L)
        sub = RidgeProblem(op, Yc[:, t_bad], lams[j_bad], tol, rhs=B[:, t_bad])
        out = cg_primal(sub, np.ascontiguousarray(Wt[bad].T), cap)
        Wt[bad], cert[bad] = out.W.T, out.certificate
        n_iter[bad] += out.n_iter_each
    exact = np.zeros(k * L, dtype=bool)
    exact[bad] = True  # polished: no longer Z y
    return Wt, cert, n_iter, "subspace-cg", exact


def _grid_problem(op, Yc, B, p_null, lams, tol) -> RidgeProblem:
    """A :class:`RidgeProblem` whose column ``t * L + j`` is target ``t`` at ``lams[j]``."""
    k, L = Yc.shape[1], len(lams)
    problem = RidgeProblem(
        op, np.repeat(Yc, L, axis=1), np.tile(lams, k), tol, rhs=np.repeat(B, L, axis=1)
    )
    # The same sums as the targets' own P_null (set, not recomputed, so both agree).
    problem.p_null = np.repeat(p_null, L)
    problem.grad_sq_threshold = grad_sq_threshold(problem.lam, tol, problem.p_null)
    return problem


def _multishift_path(op, Yc, B, grid: RidgeProblem, lams, max_iter):
    """Multi-shift CG on the primal (sparse, or n >= p) or dual normal equations."""
    k, L = Yc.shape[1], len(lams)
    cap = _MULTISHIFT_MAX_ITER if max_iter is None else max_iter
    thresh = grid.grad_sq_threshold.reshape(k, L)
    dual = op.kind == "dense" and op.p > op.n
    if not dual:
        out = multishift_cg(op.gram_matvec, B, lams, thresh, cap)
        W0 = out.X.reshape(k * L, op.p).T
        return np.ascontiguousarray(W0), out.n_iter.reshape(k * L), "multishift-cg-primal"
    # Dual: (A A^T + lam) alpha = y_s, w = A^T alpha, grad P(w) = -A^T rho.  The
    # residual threshold uses the observed ||A^T r0||^2 / ||r0||^2 (an estimate
    # of the gain from rho to the gradient, not a bound: polishing certifies).
    sqrt_s = op.sqrt_s[:, None]
    Ys = sqrt_s * Yc
    AtY = op.rmatvec(sqrt_s * Ys)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.einsum("ij,ij->j", AtY, AtY) / np.einsum("ij,ij->j", Ys, Ys)
    gain = np.where(np.isfinite(gain) & (gain > 0), gain, 1.0)
    out = multishift_cg(op.dual_gram_matvec, Ys, lams, thresh / gain[:, None], cap)
    alpha = out.X.reshape(k * L, op.n).T
    W0 = op.rmatvec(np.ascontiguousarray(sqrt_s * alpha))
    return W0, out.n_iter.reshape(k * L), "multishift-cg-dual"


def _eigen_path(op, Yc, B, lams) -> np.ndarray:
    """``w(lam)`` for every lam from one eigendecomposition; returns ``(p, kL)``."""
    k, L = Yc.shape[1], len(lams)
    if op.p <= op.n:
        H = op.gram_dense()
        e, V = np.linalg.eigh(0.5 * (H + H.T))
        e = np.maximum(e, 0.0)  # rounding can leave tiny negative eigenvalues
        C = V.T @ B  # (p, k)
        coef = C[:, :, None] / (e[:, None, None] + lams[None, None, :])  # (p, k, L)
        return V @ coef.reshape(op.p, k * L)
    Kmat = op.dual_gram_dense()
    e, U = np.linalg.eigh(0.5 * (Kmat + Kmat.T))
    e = np.maximum(e, 0.0)
    sqrt_s = op.sqrt_s[:, None]
    C = U.T @ (sqrt_s * Yc)  # (n, k)
    alpha = U @ (C[:, :, None] / (e[:, None, None] + lams[None, None, :])).reshape(op.n, k * L)
    return op.rmatvec(np.ascontiguousarray(sqrt_s * alpha))


def _warm_started(solver, op, Yc, lams, tol, max_iter):
    """The single-lam solver down the grid, each lam warm-started from the last."""
    name = "cg-primal" if solver == "cg" else "cd"
    fn = SOLVERS[name]
    cap = DEFAULT_MAX_ITER[name] if max_iter is None else max_iter
    k, L = Yc.shape[1], len(lams)
    W = np.zeros((op.p, k * L))
    cert = np.empty(k * L)
    n_iter = np.zeros(k * L, dtype=np.int64)
    w_prev = np.zeros((op.p, k))
    cols = np.arange(k) * L
    for j, lam in enumerate(lams):
        problem = RidgeProblem(op, Yc, np.full(k, lam), tol)
        out = fn(problem, w_prev, cap)
        W[:, cols + j] = out.W
        cert[cols + j] = out.certificate
        n_iter[cols + j] = out.n_iter if out.n_iter_each is None else out.n_iter_each
        w_prev = out.W
    return W, cert, n_iter, name
