"""The fitted logistic model: class probabilities, and the limit fit of an empty class.

Shared by :class:`LogisticRegression` and :class:`LogisticRegressionCV`.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.special import expit, softmax
from sklearn.utils.validation import check_is_fitted

from .._cv.logistic import fit_all_classes, log_normalise
from .._paths.logistic import logistic_path
from ._logistic_common import reported_solver
from .chunkwise import rowwise


def fit_limit(est, X, codes, sw, classes, lam, solver, nt, multi_class) -> None:
    """Fit ``est`` when a class has zero total weight, as the limit of :func:`fit_all_classes`.

    ``certificate_`` is that of the fit over the weighted classes (None
    when only one class is weighted: nothing is fitted), ``result_`` its
    one-point :class:`PathResult` (or None).
    """
    fit = functools.partial(
        logistic_path,
        fit_intercept=est.fit_intercept,
        solver=solver,
        tol=est.tol,
        max_iter=est.max_iter,
        n_threads=nt,
    )
    path, coef, intercept, _ = fit_all_classes(
        fit, X, codes, sw, classes, np.array([lam]), est.fit_intercept, multi_class
    )
    est.coef_ = np.ascontiguousarray(np.atleast_2d(coef[0]), dtype=X.dtype)
    est.intercept_ = np.atleast_1d(np.asarray(intercept[0], dtype=X.dtype)).copy()
    est.certificate_ = None if path is None else path.certificate[0]
    est.result_ = path
    est.solver_ = "none" if path is None else reported_solver(solver, path.solver)


class LogisticProba:
    """Mixin: ``predict_log_proba`` and ``predict_proba`` from ``decision_function``.

    Needs ``_ovr`` (the multiclass model is one-vs-rest), set by ``fit``.
    """

    @rowwise
    def predict_log_proba(self, X) -> np.ndarray:
        """Log of the class probabilities, computed without forming them (no ``log(0)``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Dense, CSR or CSC.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Log-probabilities, columns in the order of ``classes_``.
        """
        d = self.decision_function(X)
        if d.ndim == 1:  # log sigma(-d), log sigma(d)
            return np.column_stack([-np.logaddexp(0, d), -np.logaddexp(0, -d)])
        if self._ovr:  # log of sigma(d_k) / sum_j sigma(d_j)
            d = -np.logaddexp(0, -d)
        return log_normalise(d)

    @rowwise
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities.

        Two classes: ``[1 - sigma(d), sigma(d)]``; multinomial: the softmax
        of the scores; one-vs-rest: the sigmoids of the scores normalised to
        sum 1 (as scikit-learn's one-vs-rest logistic regression), computed
        in the log domain so that rows whose sigmoids all underflow still get
        their true ratios.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        if self._ovr:
            return np.exp(self.predict_log_proba(X))
        d = self.decision_function(X)
        if d.ndim == 1:
            return np.column_stack([expit(-d), expit(d)])
        return softmax(d, axis=1)
