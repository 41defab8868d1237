"""scikit-learn compatible estimators (layer 5 of DESIGN.md section 3)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from ._api import ridge
from ._validation import check_predict_X


class Ridge(MultiOutputMixin, RegressorMixin, BaseEstimator):
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
    solver : str, default="auto"
        See :func:`fastridge.ridge`.
    tol : float, default=1e-8
        Relative accuracy of the certificate.
    max_iter : int, optional
        Iteration cap of the solver.
    n_threads : int, optional
        Kernel threads; None uses all of Numba's threads.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Same dtype as ``X`` (float32 input gives float32 coefficients).
    intercept_ : float or ndarray of shape (n_targets,)
    n_iter_ : int
        Solver iterations.
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
        solver: str = "auto",
        tol: float = 1e-8,
        max_iter: int | None = None,
        n_threads: int | None = None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.n_threads = n_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(self, X, y, sample_weight=None) -> Ridge:
        """Fit the model; ``X`` dense or sparse, ``y`` of shape (n,) or (n, k)."""
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=True,
        )
        res = ridge(
            X,
            y,
            self.alpha,
            fit_intercept=self.fit_intercept,
            sample_weight=sample_weight,
            solver=self.solver,
            tol=self.tol,
            max_iter=self.max_iter,
            n_threads=self.n_threads,
        )
        dtype = X.dtype
        self.coef_ = np.asarray(res.coef, dtype=dtype)
        self.intercept_ = (
            dtype.type(res.intercept)
            if np.ndim(res.intercept) == 0
            else np.asarray(res.intercept, dtype=dtype)
        )
        self.n_iter_ = res.n_iter
        self.certificate_ = res.certificate
        self.solver_ = res.solver
        self.result_ = res
        return self

    def predict(self, X) -> np.ndarray:
        """``X @ coef_.T + intercept_``."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
        )
        check_predict_X(X)  # sparse structure, as fit checks it (a bad indptr crashes X @ w)
        return np.asarray(X @ self.coef_.T) + self.intercept_
