"""What every fastridge estimator shares: accepted input, sparse tags, prediction, fit attributes.

The estimators take dense, CSR or CSC ``X`` in float64 or float32 (kept: no
copy) and predict ``X @ coef_.T + intercept_`` on the same formats.  Layer 6
of docs/architecture.md ("3. Layers").
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin

# A private module, but the long-standing base of scikit-learn's own linear
# classifiers; its subclasses also get check_class_weight_balanced_linear_classifier
# from the estimator checks.
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted

from .._fit.validation import check_predict_X, validate_data
from .cast import cast_result
from .chunkwise import rowwise

#: The dtypes kept as given (others are converted to float64).
FLOATS = [np.float64, np.float32]
#: The sparse formats used in place.
SPARSE = ["csr", "csc"]


class SparseInput:
    """Mixin: the estimator accepts sparse ``X`` (scikit-learn's input tag)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def linear_scores(est, X) -> np.ndarray:
    """``X @ est.coef_.T + est.intercept_`` on validated dense, CSR or CSC ``X``."""
    check_is_fitted(est)
    X = validate_data(est, X, accept_sparse=SPARSE, dtype=FLOATS, reset=False)
    X = check_predict_X(X)  # sparse structure, as fit checks it (a bad indptr crashes X @ w)
    return safe_sparse_dot(X, est.coef_.T, dense_output=True) + est.intercept_


def store_result(est, res, solver=None) -> None:
    """Set ``certificate_``, ``solver_`` (``res.solver`` unless given) and ``result_``."""
    est.certificate_ = res.certificate
    est.solver_ = res.solver if solver is None else solver
    est.result_ = res


class _RowwisePredict:
    """Mixin: the classifiers' ``predict`` on dask arrays and ``DistributedX`` too."""

    @rowwise
    def predict(self, X) -> np.ndarray:
        """Predicted class labels (see scikit-learn's ``LinearClassifierMixin.predict``)."""
        return super().predict(X)


class LinearClassifier(SparseInput, _RowwisePredict, LinearClassifierMixin, BaseEstimator):
    """Shared prediction code: scores ``X @ coef_.T + intercept_`` on dense, CSR or CSC ``X``."""

    @rowwise
    def decision_function(self, X) -> np.ndarray:
        """Confidence scores ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Dense, CSR or CSC (used without conversion).

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One column per class; a single column (returned 1-D) for two
            classes, where a positive score predicts ``classes_[1]``.
        """
        scores = linear_scores(self, X)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def _store(self, res, X, sample_weight) -> None:
        """Set ``coef_`` (2-D), ``intercept_`` (1-D) in ``X.dtype`` and the result attributes.

        ``certificate_`` bounds the stored (rounded) coefficients: for a float32
        ``X`` it is the float64 one widened for the cast (:func:`~.cast.cast_fit`).
        """
        coef, intercept, certificate = cast_result(X, res, sample_weight, self.fit_intercept)
        coef = np.atleast_2d(coef)
        self.coef_ = np.ascontiguousarray(coef, dtype=X.dtype)
        self.intercept_ = np.broadcast_to(
            np.asarray(intercept, dtype=X.dtype), (coef.shape[0],)
        ).copy()
        store_result(self, res)
        self.certificate_ = certificate


class LinearRegressor(SparseInput, MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Shared prediction code of :class:`Ridge` and :class:`RidgeCV`."""

    def _validate_fit_data(self, X, y):
        """``(X, y)`` of ``fit`` validated as scikit-learn's (dtype and sparse format kept)."""
        return validate_data(
            self, X, y, accept_sparse=SPARSE, dtype=FLOATS, multi_output=True, y_numeric=True
        )

    @rowwise
    def predict(self, X) -> np.ndarray:
        """Predicted values ``X @ coef_.T + intercept_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Same formats as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        return linear_scores(self, X)
