"""scikit-learn compatible classifiers: :class:`LogisticRegression` and :class:`RidgeClassifier`.

Both are thin layers over the certified solvers: :func:`fastridge.logistic`
(L2-logistic regression, binary, multinomial or one-vs-rest) and
:func:`fastridge.ridge` (least squares on ``{-1, +1}`` targets, all classes in
one multi-target solve).  ``X`` may be dense or CSR / CSC (used in place, no
copy when its dtype is float32 or float64); float32 ``X`` gives float32
coefficients.  The shared checks are in :mod:`._logistic_common`, the shared
prediction code in :mod:`._base`.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model._base import SparseCoefMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._fit.logistic import logistic
from .._fit.ridge import ridge
from .._fit.validation import validate_data
from ._base import FLOATS, SPARSE, LinearClassifier
from ._logistic_common import (
    check_dual,
    check_multi_class,
    check_penalty,
    class_weighted,
    encode_labels,
    full_weights,
    lam_from_C,
    logistic_solver,
    reported_solver,
)
from ._logistic_model import LogisticProba, fit_limit
from .chunkwise import rowwise
from .ridge import check_positive, resolve_n_jobs, ridge_solver


class LogisticRegression(LogisticProba, SparseCoefMixin, LinearClassifier):
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
    penalty : {"l2", "deprecated"}, default="deprecated"
        Only the L2 penalty exists here.  ``"deprecated"`` (scikit-learn
        1.9's default) and ``"l2"`` mean it; any other value, ``None``
        included (no penalty: the certificate needs ``lam = 1/C > 0``),
        raises ValueError.  Keyword-only here (scikit-learn's first positional
        parameter), so that ``LogisticRegression(C)`` keeps working.
    l1_ratio : float or None, default=0.0
        Must be 0 (or None): the L1 part of elastic-net is not supported.
    dual : bool, default=False
        Must be False (liblinear's dual formulation is scikit-learn only).
    solver : str, default="auto"
        See :func:`fastridge.logistic`.  scikit-learn's names are accepted:
        ``"lbfgs"`` runs fastridge's certified L-BFGS (binary and one-vs-rest;
        ``"auto"`` for a multinomial fit); ``"sag"``, ``"saga"`` (same
        minimiser) run ``"auto"``;
        ``"newton-cholesky"`` runs ``"newton-cg"``, fastridge's Newton
        method, which takes its steps from a Cholesky factorisation of the
        dense Hessian when that is cheap and from truncated CG otherwise;
        ``"liblinear"`` is refused (it penalises the intercept: another
        problem).  Deliberately not scikit-learn's default ``"lbfgs"``.
    tol : float, default=1e-8
        Relative accuracy of the certificate (``certificate <= tol * P_null``).
        Deliberately not scikit-learn's 1e-4, a solver-specific threshold.
    max_iter : int, optional
        Iteration cap of the solver (None: the solver's default; not
        scikit-learn's 100 lbfgs iterations, which Newton does not need).
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight`` as scikit-learn's
        ``LogisticRegression`` does (``"balanced"``: ``n / (n_classes * count)``,
        counts weighted by ``sample_weight``).  For ``"ovr"`` the weights are
        those of the original classes.
    multi_class : {"auto", "multinomial", "ovr"}, default="auto"
        For more than two classes: ``"multinomial"`` (softmax loss; what
        ``"auto"`` means, as in current scikit-learn) or ``"ovr"`` (one binary
        problem per class, fitted in parallel).  Two classes always give the
        binary model.  (Removed from scikit-learn 1.9; kept here.)
    intercept_scaling : float, default=1
        Accepted for scikit-learn compatibility and ignored: it only matters
        for liblinear, which penalises the intercept; fastridge never does.
    random_state : int, RandomState instance or None, default=None
        Accepted for scikit-learn compatibility; the solvers make no random
        choice (scikit-learn uses it only for sag / saga / liblinear).
    verbose : int, default=0
        Accepted for scikit-learn compatibility; fastridge prints nothing.
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting on data of the same
        shape and classes (the result is certified to ``tol`` either way).
    n_jobs : int, optional
        Threads, scikit-learn style: None for fastridge's default (all of
        Numba's threads), -1 for all cores, -k for all but k - 1.
        ``n_threads`` wins when both are given.
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
        The solver that ran (``"newton-cg"`` when asked for, even when its
        steps came from the dense Hessian; ``result_.solver`` then says
        ``"newton-cholesky"``).
    result_ : FitResult
        Everything :func:`fastridge.logistic` returned.
    n_features_in_ : int
    feature_names_in_ : ndarray, when fitted on a DataFrame with string column names
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        penalty="deprecated",
        l1_ratio=0.0,
        dual: bool = False,
        tol: float = 1e-8,
        fit_intercept: bool = True,
        intercept_scaling: float = 1,
        class_weight: dict | str | None = None,
        random_state=None,
        solver: str = "auto",
        max_iter: int | None = None,
        multi_class: str = "auto",
        verbose: int = 0,
        warm_start: bool = False,
        n_jobs: int | None = None,
        n_threads: int | None = None,
    ):
        self.C = C
        self.penalty = penalty
        self.l1_ratio = l1_ratio
        self.dual = dual
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.intercept_scaling = intercept_scaling
        self.class_weight = class_weight
        self.random_state = random_state
        self.solver = solver
        self.max_iter = max_iter
        self.multi_class = multi_class
        self.verbose = verbose
        self.warm_start = warm_start
        self.n_jobs = n_jobs
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
        multi_class = check_multi_class(self.multi_class)
        check_penalty(self.penalty, self.l1_ratio)
        check_dual(self.dual)
        logistic_solver(self.solver)  # refuses liblinear before the data are checked
        lam = lam_from_C(self.C)
        X, y = validate_data(self, X, y, accept_sparse=SPARSE, dtype=FLOATS)
        classes, codes = encode_labels(y)
        solver = logistic_solver(self.solver, len(classes), multi_class)
        sample_weight = class_weighted(sample_weight, self.class_weight, classes, y, codes)
        extra = {} if len(classes) == 2 else {"multi_class": multi_class}
        nt = resolve_n_jobs(self.n_jobs, self.n_threads)
        sample_weight = None if sample_weight is None else full_weights(sample_weight, len(codes))
        weight = np.bincount(codes, weights=sample_weight, minlength=len(classes))
        if self.fit_intercept and not np.all(weight > 0):
            # A class of zero total weight: no minimiser; the limit (fit_all_classes).
            if not np.any(weight > 0):
                raise ValueError("sample_weight: every weight is zero")
            self.classes_ = classes
            fit_limit(self, X, codes, sample_weight, classes, lam, solver, nt, multi_class)
            it = 0 if self.result_ is None else int(np.max(self.result_.n_iter))
            self.n_iter_ = np.array([it], dtype=np.int32)
            self._ovr = len(classes) > 2 and multi_class == "ovr"
            return self
        res = logistic(
            X,
            y,  # logistic() orders the classes as np.unique does, like classes_ here
            lam,
            fit_intercept=self.fit_intercept,
            sample_weight=sample_weight,
            solver=solver,
            tol=self.tol,
            max_iter=self.max_iter,
            n_threads=nt,
            coef_init=self._warm_coef(classes, X.shape[1]),
            **extra,
        )
        self.classes_ = classes
        self._store(res, X, sample_weight)
        self.solver_ = reported_solver(solver, res.solver)
        self.n_iter_ = np.array([res.n_iter], dtype=np.int32)
        self._ovr = len(classes) > 2 and multi_class == "ovr"
        return self

    def _warm_coef(self, classes, p: int):
        """``coef_init`` for ``warm_start``: the previous ``coef_`` when it fits, else None."""
        if not self.warm_start or not hasattr(self, "coef_"):
            return None
        prev = getattr(self, "classes_", None)
        if prev is None or not np.array_equal(prev, classes) or self.coef_.shape[1] != p:
            return None
        coef = np.asarray(self.coef_.toarray() if hasattr(self.coef_, "toarray") else self.coef_)
        return coef[0] if len(classes) == 2 else coef


class RidgeClassifier(LinearClassifier):
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
    copy_X : bool, default=True
        Accepted for scikit-learn compatibility: ``X`` is never written to.
    max_iter : int, optional
        Iteration cap of the solver.
    tol : float, default=1e-8
        Relative accuracy of the certificate (deliberately not scikit-learn's
        1e-4, a solver-specific threshold with another meaning).
    class_weight : dict, "balanced" or None, default=None
        Weights per class, multiplied into ``sample_weight``
        (``sklearn.utils.class_weight.compute_sample_weight``, as scikit-learn's
        ``RidgeClassifier``).
    solver : str, default="auto"
        See :func:`fastridge.ridge`; scikit-learn's names are mapped as for
        :class:`fastridge.Ridge`.
    positive : bool, default=False
        Must be False (scikit-learn only).
    random_state : int, RandomState instance or None, default=None
        Accepted for scikit-learn compatibility; no random choice is made.
    n_jobs : int, optional
        Threads, scikit-learn style (None: default, -1: all cores);
        ``n_threads`` wins when both are given.
    n_threads : int, optional
        Kernel threads; None uses all of Numba's threads.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The sorted labels (the output indices for multilabel ``y``).
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Same dtype as ``X``.
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (n_columns,) or None
        Solver iterations, one entry per column (solved together, so equal);
        the direct solvers count as 1 (scikit-learn gives None for them).
    certificate_ : ndarray of shape (n_columns,)
        Upper bound on the suboptimality reached, per column.
    solver_ : str
        The solver that ran.
    result_ : FitResult
        Everything :func:`fastridge.ridge` returned.
    n_features_in_ : int
        Number of columns of ``X`` seen in ``fit``.
    feature_names_in_ : ndarray, when fitted on a DataFrame with string column names
    """

    def __init__(
        self,
        alpha: float = 1.0,
        *,
        fit_intercept: bool = True,
        copy_X: bool = True,
        max_iter: int | None = None,
        tol: float = 1e-8,
        class_weight: dict | str | None = None,
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
        self.class_weight = class_weight
        self.solver = solver
        self.positive = positive
        self.random_state = random_state
        self.n_jobs = n_jobs
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
        check_positive(self.positive)
        solver = ridge_solver(self.solver)
        X, y = validate_data(
            self, X, y, accept_sparse=SPARSE, dtype=FLOATS, multi_output=True, y_numeric=False
        )
        binarizer = LabelBinarizer(pos_label=1, neg_label=-1)
        Y = binarizer.fit_transform(y)
        if not binarizer.y_type_.startswith("multilabel"):
            y = column_or_1d(y, warn=True)
        if self.class_weight:
            sw = full_weights(sample_weight, X.shape[0])
            sample_weight = sw * compute_sample_weight(self.class_weight, y)
        res = ridge(
            X,
            np.asarray(Y, dtype=np.float64),  # 2-D: coef (k, p) even for one column
            self.alpha,
            fit_intercept=self.fit_intercept,
            sample_weight=sample_weight,
            solver=solver,
            tol=self.tol,
            max_iter=self.max_iter,
            n_threads=resolve_n_jobs(self.n_jobs, self.n_threads),
        )
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        self._store(res, X, sample_weight)
        k = self.coef_.shape[0]
        self.n_iter_ = np.full(k, max(1, res.n_iter), dtype=np.int32)
        return self

    @rowwise
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
