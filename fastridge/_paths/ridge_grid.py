"""The default ridge grid on data: :func:`fastridge.ridge_lams`, ``RidgeCV(alphas="auto")``.

The grid itself (``lam_max`` and the geometric sequence) is defined in
:mod:`fastridge._paths.grid`; here it is computed from ``X`` and ``y`` through
the one ridge set-up (:func:`fastridge._fit.ridge.prepare_ridge`, without
rescaling).
"""

from __future__ import annotations

import numpy as np

from .._fit.ridge import RidgePlan, prepare_ridge
from .._fit.threads import numba_threads
from .._operators.design import DesignOperator
from .grid import check_grid, default_lam_min_ratio, ridge_grid

# Default grid size (as ridge_path).
_DEFAULT_N_LAMS = 50


def ridge_lams(
    X,
    y,
    *,
    n_lams: int = 50,
    lam_min_ratio: float | None = None,
    fit_intercept: bool = True,
    sample_weight=None,
    n_threads: int | None = None,
) -> np.ndarray:
    """The default penalty grid of ridge regression for these data, decreasing.

    ``n_lams`` values geometric from ``lam_max = ||Xc^T S yc||^2 / (2 * 0.01 *
    P_null)`` (largest over targets: at ``lam_max`` the fit recovers at most 1%
    of ``P_null``) down to ``lam_max * lam_min_ratio`` (default 1e-4 when
    ``n >= p``, else 1e-2); the grid of ``RidgeCV(alphas="auto")`` (with 50
    values) and of :func:`fastridge.ridge_path` without ``lams``.  Costs one
    pass over ``X``.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix/array, shape (n, p)
    y : array-like, shape (n,) or (n, k)
    n_lams : int, default=50
    lam_min_ratio : float, optional
        In (0, 1); default 1e-4 when ``n >= p``, else 1e-2.
    fit_intercept : bool, default=True
    sample_weight : float or array-like of shape (n,), optional
    n_threads : int, optional
        Kernel threads; None uses all of Numba's threads.

    Returns
    -------
    ndarray of shape (n_lams,)
    """
    args = []

    def check(n, p):
        args.extend(check_grid(None, n_lams, lam_min_ratio, n, p)[1])

    setup = grid_setup(
        X, y, sample_weight, fit_intercept=fit_intercept, n_threads=n_threads, check=check
    )
    with numba_threads(setup.n_threads):
        return default_alphas(setup.op, setup.Yc, *args)


def default_alphas(op, Yc: np.ndarray, n_lams: int = _DEFAULT_N_LAMS, lam_min_ratio=None):
    """The default grid of :func:`fastridge.ridge_path` for these data (decreasing).

    ``lam_max = ||Xc^T S yc||^2 / (2 * 0.01 * P_null)`` (largest over targets),
    down to ``lam_max * lam_min_ratio`` (default 1e-4 when ``n >= p``, else
    1e-2); see :mod:`fastridge._paths.grid`.  ``op`` must have been built with
    ``targets=Yc``.  ``B`` is taken from the operator's set-up pass as it is
    (:func:`fastridge.ridge_path` uses the problem's ``B``, which differs from
    it by rounding when the operator centres implicitly).
    """
    if lam_min_ratio is None:
        lam_min_ratio = default_lam_min_ratio(op.n, op.p)
    return ridge_grid(op, op.xt_s_targets, 0.5 * (op.s @ Yc**2), n_lams, lam_min_ratio)


def grid_setup(
    X,
    y,
    sample_weight,
    *,
    fit_intercept,
    n_threads,
    blas_threads=None,
    tol=1e-8,
    check=None,
    operator_type=DesignOperator,
):
    """:func:`prepare_ridge` without rescaling: the operator the scores and grid are made on.

    ``check(n, p)``, when given, validates the caller's arguments before any pass.
    """

    def plan(n, p, k, sparse):
        if check is not None:
            check(n, p)
        return RidgePlan(lam=np.ones(1), blas_threads=blas_threads, grid=True)

    return prepare_ridge(
        X,
        y,
        plan,
        fit_intercept=fit_intercept,
        sample_weight=sample_weight,
        tol=tol,
        n_threads=n_threads,
        rescale=False,
        operator_type=operator_type,
    )
