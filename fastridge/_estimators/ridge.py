"""scikit-learn compatible :class:`Ridge`, and the mapping of scikit-learn's Ridge options.

Layer 6 of docs/architecture.md ("3. Layers"): a thin class over
:func:`fastridge.ridge`, with scikit-learn's solver names, ``positive`` and
``n_jobs`` translated (shared with :class:`RidgeClassifier`).
"""

from __future__ import annotations

import os
from numbers import Integral

import numpy as np

from .._fit.ridge import ridge
from .._fit.validation import check_sample_weight
from ._base import LinearRegressor
from .cast import cast_result

#: scikit-learn's Ridge solver names and the fastridge solver that reaches the
#: same minimiser: the factorisations are fastridge's ``direct`` (Cholesky, with an
#: eigendecomposition fallback), the Krylov ones its certified CG, and the
#: stochastic ones (no fastridge counterpart) its ``auto`` choice.
RIDGE_SOLVER_MAP = {
    "cholesky": "direct",
    "svd": "direct",
    "sparse_cg": "cg",
    "lsqr": "auto",
    "sag": "auto",
    "saga": "auto",
}


def ridge_solver(solver):
    """The fastridge solver name for a fastridge or scikit-learn ``solver`` of Ridge.

    ``"lbfgs"`` is refused as scikit-learn refuses it without ``positive=True``
    (which fastridge does not offer); unknown names are left to
    :func:`fastridge.ridge`, which refuses them with the list of valid ones.
    """
    if solver == "lbfgs":
        raise ValueError(
            "solver='lbfgs' is scikit-learn's solver for positive=True, which fastridge "
            "does not offer; use solver='auto'"
        )
    return RIDGE_SOLVER_MAP.get(solver, solver) if isinstance(solver, str) else solver


def check_positive(positive) -> None:
    """Refuse ``positive=True`` (scikit-learn only: a bound-constrained problem)."""
    if positive:
        raise ValueError(
            "positive=True (non-negative coefficients) is not supported by fastridge: its "
            "certificate is for the unconstrained problem; use scikit-learn's Ridge"
        )


def resolve_n_jobs(n_jobs, n_threads):
    """Kernel threads from scikit-learn's ``n_jobs`` and fastridge's ``n_threads``.

    ``n_threads`` wins when given.  ``n_jobs``: None -> None (fastridge's default,
    all of Numba's threads), ``-1`` -> all cores, ``-k`` -> ``cores + 1 - k``
    (joblib's convention), a positive int -> that many threads.
    """
    if n_threads is not None or n_jobs is None:
        return n_threads
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int or None, got {n_jobs!r}")
    if n_jobs > 0:
        return int(n_jobs)
    return max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))


class Ridge(LinearRegressor):
    """Ridge regression with a certified accuracy, scikit-learn style.

    Minimises ``1/2 sum_i s_i (y_i - x_i . w - b)^2 + alpha/2 ||w||^2`` (the
    minimiser of ``sklearn.linear_model.Ridge(alpha)``) with the solvers of
    :func:`fastridge.ridge`, and stops when the certificate of suboptimality
    is at most ``tol`` times the objective of the intercept-only model.

    Parameters
    ----------
    alpha : float or array-like of shape (n_targets,), default=1.0
        Penalty (``lam``), positive.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept.
    copy_X : bool, default=True
        Accepted for scikit-learn compatibility: fastridge never writes into
        ``X`` (a copy is never needed, so none is made).
    max_iter : int, optional
        Iteration cap of the solver.
    tol : float, default=1e-8
        Relative accuracy of the certificate: the fit stops when
        ``certificate <= tol * P_null``.  Deliberately not scikit-learn's 1e-4,
        which is a solver-specific stopping threshold with another meaning.
    solver : str, default="auto"
        See :func:`fastridge.ridge`.  scikit-learn's names are accepted and
        mapped to the fastridge solver that reaches the same minimiser:
        ``"cholesky"``, ``"svd"`` -> ``"direct"``; ``"sparse_cg"`` -> ``"cg"``;
        ``"lsqr"``, ``"sag"``, ``"saga"`` -> ``"auto"``.  ``"lbfgs"`` (only for
        ``positive=True`` in scikit-learn) is refused.  ``solver_`` names the
        solver that ran.
    positive : bool, default=False
        Must be False: non-negative coefficients are a scikit-learn-only
        option (ValueError otherwise).
    random_state : int, RandomState instance or None, default=None
        Accepted for scikit-learn compatibility; fastridge's ridge solvers
        make no random choice (scikit-learn uses it only for sag / saga).
    n_jobs : int, optional
        Kernel threads, scikit-learn style: None for fastridge's default (all
        of Numba's threads), -1 for all cores, -k for all but k - 1.
        Not a scikit-learn Ridge parameter, offered for symmetry with the
        classifiers; ``n_threads`` wins when both are given.
    n_threads : int, optional
        Kernel threads; None uses all of Numba's threads.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Same dtype as ``X`` (float32 input gives float32 coefficients).
        ``y`` of shape (n, 1) gives shape (n_features,), as scikit-learn 1.9.
    intercept_ : float or ndarray of shape (n_targets,)
        Shape (1,) for ``y`` of shape (n, 1), as scikit-learn 1.9.
    n_iter_ : ndarray of shape (n_targets,) or None
        Iterations of the solver, one entry per target as scikit-learn
        (the targets are solved together, so the entries are equal).  The
        direct solvers count their one factorisation as 1 (scikit-learn gives
        None for cholesky / svd; an array is kept here so that ``n_iter_``
        always has one meaning and its estimator checks' ``n_iter_ >= 1`` hold).
    certificate_ : float or ndarray
        Upper bound on the suboptimality ``P(w, b) - P*`` reached.
    solver_ : str
        The solver that ran.
    result_ : FitResult
        Everything :func:`fastridge.ridge` returned.
    n_features_in_ : int
    feature_names_in_ : ndarray, when fitted on a DataFrame with string column names
    """

    def __init__(
        self,
        alpha=1.0,
        *,
        fit_intercept: bool = True,
        copy_X: bool = True,
        max_iter: int | None = None,
        tol: float = 1e-8,
        solver: str = "auto",
        positive: bool = False,
        random_state=None,
        n_jobs: int | None = None,
        n_threads: int | None = None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.copy_X = copy_X
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.positive = positive
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.n_threads = n_threads

    def fit(self, X, y, sample_weight=None) -> Ridge:
        """Fit the model; ``X`` dense or sparse, ``y`` of shape (n,) or (n, k)."""
        check_positive(self.positive)
        solver = ridge_solver(self.solver)
        X, y = self._validate_fit_data(X, y)
        res = ridge(
            X,
            y,
            self.alpha,
            fit_intercept=self.fit_intercept,
            sample_weight=sample_weight,
            solver=solver,
            tol=self.tol,
            max_iter=self.max_iter,
            n_threads=resolve_n_jobs(self.n_jobs, self.n_threads),
        )
        dtype = X.dtype
        sw = check_sample_weight(sample_weight, X.shape[0])
        coef, intercept, certificate = cast_result(X, res, sw, self.fit_intercept)
        k = 1 if np.ndim(y) == 1 else y.shape[1]
        if np.ndim(y) == 2 and k == 1:  # scikit-learn 1.9: coef_ (p,), intercept_ (1,)
            coef, intercept = coef.reshape(-1), np.asarray(intercept, dtype=dtype).reshape(1)
        self.coef_ = coef
        self.intercept_ = intercept
        self.n_iter_ = np.full(k, max(1, res.n_iter), dtype=np.int32)
        self.certificate_ = certificate
        self.solver_ = res.solver
        self.result_ = res
        return self
