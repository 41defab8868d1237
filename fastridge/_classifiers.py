"""scikit-learn compatible classifiers: :class:`LogisticRegression` and :class:`RidgeClassifier`.

Both are thin layers over the certified solvers: :func:`fastridge.logistic`
(L2-logistic regression, binary, multinomial or one-vs-rest) and
:func:`fastridge.ridge` (least squares on ``{-1, +1}`` targets, all classes in
one multi-target solve).  ``X`` may be dense or CSR / CSC (used in place, no
copy when its dtype is float32 or float64); float32 ``X`` gives float32
coefficients.
"""

from __future__ import annotations

import inspect
from numbers import Real

import numpy as np
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator

# A private module, but the long-standing base of scikit-learn's own linear
# classifiers; its subclasses also get check_class_weight_balanced_linear_classifier
# from the estimator checks.
from sklearn.linear_model._base import LinearClassifierMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ._api import ridge
from ._logistic import logistic
from ._validation import check_predict_X

_FLOATS = [np.float64, np.float32]
_SPARSE = ["csr", "csc"]
_MULTI_CLASS = ("auto", "multinomial", "ovr")


class _LinearClassifier(LinearClassifierMixin, BaseEstimator):
    """Shared prediction code: scores ``X @ coef_.T + intercept_`` on dense, CSR or CSC ``X``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

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
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=_SPARSE, dtype=_FLOATS, reset=False)
        check_predict_X(X)  # sparse structure, as fit checks it (a bad indptr crashes X @ w)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def _store(self, res, dtype) -> None:
        """Set ``coef_`` (2-D), ``intercept_`` (1-D) in ``dtype`` and the result attributes."""
        coef = np.atleast_2d(np.asarray(res.coef))
        self.coef_ = np.ascontiguousarray(coef, dtype=dtype)
        self.intercept_ = np.broadcast_to(
            np.asarray(res.intercept, dtype=dtype), (coef.shape[0],)
        ).copy()
        self.certificate_ = res.certificate
        self.solver_ = res.solver
        self.result_ = res


def _full_weights(sample_weight, n: int) -> np.ndarray:
    """``sample_weight`` as a new float64 array of shape (n,) (None: ones; a scalar: constant).

    Only the shape is checked here; the values are validated by the solver.
    """
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim == 0:
        return np.full(n, float(sw))
    if sw.shape != (n,):
        raise ValueError(f"sample_weight has shape {sw.shape}; expected ({n},)")
    return sw.copy()


def _log_normalise(a: np.ndarray) -> np.ndarray:
    """``a - log(sum_j exp(a_j))`` per row, accurate also for the largest entry.

    With ``m`` the row maximum and ``z = a - m``, the result is
    ``z - log1p(sum of exp(z) over the other entries)``: no cancellation
    between two large numbers (the scores may be in the thousands) and full
    relative accuracy for a log-probability close to 0.
    """
    rows = np.arange(a.shape[0])
    top = a.argmax(axis=1)
    z = a - a[rows, top][:, None]
    e = np.exp(z)
    e[rows, top] = 0
    return z - np.log1p(e.sum(axis=1, keepdims=True))


def _check_multi_class(multi_class) -> str:
    if not isinstance(multi_class, str) or multi_class not in _MULTI_CLASS:
        raise ValueError(
            f"multi_class must be one of {', '.join(map(repr, _MULTI_CLASS))}; got {multi_class!r}"
        )
    return multi_class


def _lam_from_C(C) -> float:
    if isinstance(C, (bool, np.bool_)) or not isinstance(C, Real):
        raise TypeError(f"C must be a positive real number, got {C!r}")
    if not (np.isfinite(C) and C > 0):
        raise ValueError(f"C must be positive and finite (lam = 1 / C), got {C!r}")
    return 1.0 / float(C)


# Recent scikit-learn weights the class counts of class_weight="balanced" by
# sample_weight (as its LogisticRegression does); older versions count samples,
# and so do we with them (whatever the installed LogisticRegression does).
_CLASS_WEIGHT_TAKES_SW = "sample_weight" in inspect.signature(compute_class_weight).parameters


class LogisticRegression(_LinearClassifier):
    """L2-regularised logistic regression with a certified accuracy, scikit-learn style.

    Minimises, over the coefficients ``W`` and unpenalised intercepts ``b``,
    ``sum_i s_i loss_i + 1/(2C) ||W||^2`` with the logistic loss (two classes,
    and each class against the rest for ``multi_class="ovr"``) or the
    multinomial (softmax) loss, through :func:`fastridge.logistic` with
    ``lam = 1 / C``.  That is the minimiser of
    ``sklearn.linear_model.LogisticRegression(C=C)`` (L2 penalty).  The solver
    stops when its certificate of suboptimality is at most ``tol`` times the
    objective of the intercept-only model.

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the penalty, positive and finite.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept per class.
    solver : str, default="auto"
        See :func:`fastridge.logistic`.
    tol : float, default=1e-8
        Relative accuracy of the certificate.
    max_iter : int, optional
        Iteration cap of the solver (None: the solver's default).
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight`` as scikit-learn's
        ``LogisticRegression`` does (``"balanced"``: ``n / (n_classes * count)``,
        counts weighted by ``sample_weight``).  For ``"ovr"`` the weights are
        those of the original classes.
    multi_class : {"auto", "multinomial", "ovr"}, default="auto"
        For more than two classes: ``"multinomial"`` (softmax loss; what
        ``"auto"`` means, as in current scikit-learn) or ``"ovr"`` (one binary
        problem per class, fitted in parallel).  Two classes always give the
        binary model.
    n_threads : int, optional
        Kernel threads; None uses all of Numba's threads.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Same dtype as ``X`` (float32 input gives float32 coefficients).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Zeros when ``fit_intercept=False``.  Multinomial intercepts are only
        defined up to a common shift (the probabilities do not depend on it).
    n_iter_ : ndarray of shape (1,)
        Solver iterations (the largest over the classes for ``"ovr"``).
    certificate_ : float or ndarray of shape (n_classes,)
        Upper bound on the suboptimality ``P(W, b) - P*`` reached (one per
        class for ``"ovr"``).
    solver_ : str
        The solver that ran.
    result_ : FitResult
        Everything :func:`fastridge.logistic` returned.
    n_features_in_ : int
    feature_names_in_ : ndarray, when fitted on a DataFrame with string column names
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        fit_intercept: bool = True,
        solver: str = "auto",
        tol: float = 1e-8,
        max_iter: int | None = None,
        class_weight: dict | str | None = None,
        multi_class: str = "auto",
        n_threads: int | None = None,
    ):
        self.C = C
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.multi_class = multi_class
        self.n_threads = n_threads

    def fit(self, X, y, sample_weight=None) -> LogisticRegression:
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Dense, CSR or CSC; float32 / float64 sparse input is not copied.
        y : array-like of shape (n_samples,)
            Labels of any type (at least two distinct values).
        sample_weight : float or array-like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        self : LogisticRegression
        """
        multi_class = _check_multi_class(self.multi_class)
        lam = _lam_from_C(self.C)
        X, y = validate_data(self, X, y, accept_sparse=_SPARSE, dtype=_FLOATS)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has only one class ({classes.tolist()[0]!r}): at least two classes are needed"
            )
        if self.class_weight is not None:
            sw = _full_weights(sample_weight, X.shape[0])
            kw = {"sample_weight": sw} if _CLASS_WEIGHT_TAKES_SW else {}
            cw = compute_class_weight(self.class_weight, classes=classes, y=y, **kw)
            sample_weight = sw * np.asarray(cw, dtype=np.float64)[codes]
        extra = {} if len(classes) == 2 else {"multi_class": multi_class}
        res = logistic(
            X,
            y,  # logistic() orders the classes as np.unique does, like classes_ here
            lam,
            fit_intercept=self.fit_intercept,
            sample_weight=sample_weight,
            solver=self.solver,
            tol=self.tol,
            max_iter=self.max_iter,
            n_threads=self.n_threads,
            **extra,
        )
        self.classes_ = classes
        self._store(res, X.dtype)
        self.n_iter_ = np.array([res.n_iter], dtype=np.int32)
        self._ovr = len(classes) > 2 and multi_class == "ovr"
        return self

    def predict_log_proba(self, X) -> np.ndarray:
        """Log of the class probabilities, computed without forming them (no ``log(0)``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        d = self.decision_function(X)
        if d.ndim == 1:  # log sigma(-d), log sigma(d)
            return np.column_stack([-np.logaddexp(0, d), -np.logaddexp(0, -d)])
        if self._ovr:  # log of sigma(d_k) / sum_j sigma(d_j)
            d = -np.logaddexp(0, -d)
        return _log_normalise(d)

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


class RidgeClassifier(_LinearClassifier):
    """Classifier by ridge regression on ``{-1, +1}`` targets, certified, scikit-learn style.

    The labels are binarised as scikit-learn's ``RidgeClassifier`` does
    (``LabelBinarizer(pos_label=1, neg_label=-1)``: one column for two
    classes, one per class otherwise, one per output for multilabel ``y``)
    and all columns are fitted in one call of :func:`fastridge.ridge`
    (minimiser of ``1/2 sum_i s_i (y_i - x_i . w - b)^2 + alpha/2 ||w||^2``
    per column, the same as ``sklearn.linear_model.RidgeClassifier(alpha)``).

    Parameters
    ----------
    alpha : float, default=1.0
        Penalty (``lam``), positive.
    fit_intercept : bool, default=True
        Fit an unpenalised intercept per column.
    solver : str, default="auto"
        See :func:`fastridge.ridge`.
    tol : float, default=1e-8
        Relative accuracy of the certificate.
    max_iter : int, optional
        Iteration cap of the solver.
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``
        (``sklearn.utils.class_weight.compute_sample_weight``, as scikit-learn's
        ``RidgeClassifier``).
    n_threads : int, optional
        Kernel threads; None uses all of Numba's threads.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted labels (the output indices for multilabel ``y``).
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Same dtype as ``X``.
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
        Solver iterations (the largest over the columns).
    certificate_ : ndarray of shape (n_columns,)
        Upper bound on the suboptimality reached, per column.
    solver_ : str
        The solver that ran.
    result_ : FitResult
        Everything :func:`fastridge.ridge` returned.
    n_features_in_ : int
    feature_names_in_ : ndarray, when fitted on a DataFrame with string column names
    """

    def __init__(
        self,
        alpha: float = 1.0,
        *,
        fit_intercept: bool = True,
        solver: str = "auto",
        tol: float = 1e-8,
        max_iter: int | None = None,
        class_weight: dict | str | None = None,
        n_threads: int | None = None,
    ):
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_threads = n_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def fit(self, X, y, sample_weight=None) -> RidgeClassifier:
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Dense, CSR or CSC; float32 / float64 sparse input is not copied.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Labels of any type, or a multilabel indicator matrix.
        sample_weight : float or array-like of shape (n_samples,), optional
            Non-negative weights.

        Returns
        -------
        self : RidgeClassifier
        """
        X, y = validate_data(
            self, X, y, accept_sparse=_SPARSE, dtype=_FLOATS, multi_output=True, y_numeric=False
        )
        binarizer = LabelBinarizer(pos_label=1, neg_label=-1)
        Y = binarizer.fit_transform(y)
        if not binarizer.y_type_.startswith("multilabel"):
            y = column_or_1d(y, warn=True)
        if self.class_weight:
            sw = _full_weights(sample_weight, X.shape[0])
            sample_weight = sw * compute_sample_weight(self.class_weight, y)
        res = ridge(
            X,
            np.asarray(Y, dtype=np.float64),  # 2-D: coef (k, p) even for one column
            self.alpha,
            fit_intercept=self.fit_intercept,
            sample_weight=sample_weight,
            solver=self.solver,
            tol=self.tol,
            max_iter=self.max_iter,
            n_threads=self.n_threads,
        )
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        self._store(res, X.dtype)
        self.n_iter_ = res.n_iter
        return self

    def predict(self, X) -> np.ndarray:
        """Predicted labels: sign of the score (two classes), argmax (several),
        or one sign per output (multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        if self._label_binarizer.y_type_.startswith("multilabel"):
            d = self.decision_function(X)
            return self._label_binarizer.inverse_transform(np.where(d > 0, 1.0, -1.0))
        return super().predict(X)
