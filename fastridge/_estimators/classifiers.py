"""scikit-learn compatible classifiers: :class:`LogisticRegression` and :class:`RidgeClassifier`.

Both are thin layers over the certified solvers: :func:`fastridge.logistic`
(L2-logistic regression, binary, multinomial or one-vs-rest) and
:func:`fastridge.ridge` (least squares on ``{-1, +1}`` targets, all classes in
one multi-target solve).  ``X`` may be dense or CSR / CSC (used in place, no
copy when its dtype is float32 or float64); float32 ``X`` gives float32
coefficients.
"""

from __future__ import annotations

import functools
import inspect
from numbers import Real

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator

# A private module, but the long-standing base of scikit-learn's own linear
# classifiers; its subclasses also get check_class_weight_balanced_linear_classifier
# from the estimator checks.
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._fit.logistic import logistic
from .._fit.ridge import ridge
from .._fit.validation import check_predict_X, validate_data
from .._paths.logistic import logistic_path
from .ridge import check_positive, resolve_n_jobs, ridge_solver

_FLOATS = [np.float64, np.float32]
_SPARSE = ["csr", "csc"]
_MULTI_CLASS = ("auto", "multinomial", "ovr")


def fit_all_classes(fit, X, codes, sw, classes, lams, fit_intercept: bool, multi_class: str):
    """A logistic path over ``lams`` in the layout of all ``classes``, even when some
    have no sample, or zero total weight, in ``(X, codes, sw)`` (a training fold).

    ``fit(X, y, lams, sample_weight=..., [multi_class=...])`` is
    :func:`fastridge.logistic_path` with the fixed options.  Returns ``(path,
    coef, intercept, n_iter)`` with the points in the path's order (decreasing
    ``lam``): ``coef`` ``(L, p)`` / ``(L, K, p)``, ``intercept`` ``(L,)`` /
    ``(L, K)``; ``path`` is the fit that ran (None when none was needed).

    All classes weighted: one plain path.  Otherwise (scikit-learn does not
    raise either; its lbfgs stops somewhere along a diverging intercept):

    * ``fit_intercept=False``: the problem has a minimiser; each absent class
      gets one all-zero row of weight 0, which changes no objective, so the
      path over all classes is exact.
    * ``fit_intercept=True``: there is no minimiser (an empty class's
      intercept runs to ``-inf``); we return the limit of every minimising
      sequence.  The empty classes' terms vanish from the softmax, so the
      other classes solve the problem on their own rows (rows of weight 0 are
      dropped, which is exact), and an empty class has ``w = 0`` (its penalty's
      minimiser) and ``b = -inf``.  Two classes left in a multinomial model
      are a binary model at ``lam / 2``, split as ``W = +-w/2``, ``b = +-b/2``
      (``min lam/2 (|W_0|^2 + |W_1|^2)`` subject to ``W_1 - W_0 = w`` is
      ``lam/4 |w|^2``); one-vs-rest with two left: ``W = +-w``.  One class
      left: ``w = 0`` and ``b = +inf`` for it (0 in the multinomial model,
      where only differences count), ``-inf`` for the others.
    """
    K = len(classes)
    n, p = X.shape
    L = len(lams)
    weight = np.bincount(codes, weights=sw, minlength=K)
    present = np.flatnonzero(weight > 0)
    binary = K == 2
    extra = {} if binary else {"multi_class": multi_class}
    if len(present) == 0:
        raise ValueError("sample_weight: every weight of a training fold is zero")
    if len(present) == K:
        path = fit(X, classes[codes], lams, sample_weight=sw, **extra)
        return path, path.coef, path.intercept, path.n_iter
    if not fit_intercept:
        absent = np.setdiff1d(np.arange(K), np.unique(codes))
        m = len(absent)
        pad = (
            sp.csr_matrix((m, p), dtype=X.dtype).asformat(X.format)
            if sp.issparse(X)
            else np.zeros((m, p), dtype=X.dtype)
        )
        Xa = sp.vstack([X, pad], format=X.format) if sp.issparse(X) else np.vstack([X, pad])
        sw_a = np.concatenate([np.ones(n) if sw is None else sw, np.zeros(m)])
        ya = classes[np.concatenate([codes, absent])]
        path = fit(Xa, ya, lams, sample_weight=sw_a, **extra)
        return path, path.coef, path.intercept, path.n_iter
    coef = np.zeros((L, p) if binary else (L, K, p))
    intercept = np.full((L,) if binary else (L, K), -np.inf)
    keep = np.isin(codes, present) & (np.ones(n, bool) if sw is None else sw > 0)
    if len(present) == 1:
        if binary:
            intercept[:] = np.inf if present[0] == 1 else -np.inf
        else:
            intercept[:, present[0]] = 0.0 if multi_class != "ovr" else np.inf
        return None, coef, intercept, np.zeros(L, dtype=np.int64)
    Xk, yk = X[np.flatnonzero(keep)], classes[codes[keep]]
    swk = None if sw is None else sw[keep]
    if len(present) == 2:  # K >= 3 here: binary == False
        multinomial = multi_class != "ovr"
        path = fit(Xk, yk, lams / 2 if multinomial else lams, sample_weight=swk)
        half = 0.5 if multinomial else 1.0
        lo, hi = present
        coef[:, hi], coef[:, lo] = half * path.coef, -half * path.coef
        intercept[:, hi], intercept[:, lo] = half * path.intercept, -half * path.intercept
        return path, coef, intercept, path.n_iter
    path = fit(Xk, yk, lams, sample_weight=swk, **extra)
    coef[:, present] = path.coef
    intercept[:, present] = path.intercept
    return path, coef, intercept, path.n_iter


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
        X = check_predict_X(X)  # sparse structure, as fit checks it (a bad indptr crashes X @ w)
        scores = safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
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


#: scikit-learn's LogisticRegression solvers that minimise the same L2 problem
#: (unpenalised intercept): fastridge runs its own certified solver for them.
_SKLEARN_SAME_MINIMISER = ("lbfgs", "sag", "saga")


def logistic_solver(solver):
    """The fastridge solver for a fastridge or scikit-learn logistic ``solver``.

    ``"lbfgs"``, ``"sag"``, ``"saga"`` -> ``"auto"`` (same minimiser; fastridge
    has no quasi-Newton or stochastic solver); ``"newton-cholesky"`` ->
    ``"newton-cg"`` (fastridge's Newton method, which takes its steps from a
    Cholesky factorisation of the dense Hessian when that is cheap, and from
    truncated CG otherwise); ``"liblinear"`` is refused: it penalises the
    intercept, so it has another minimiser.  Other names go to
    :func:`fastridge.logistic`, which refuses unknown ones.
    """
    if solver == "liblinear":
        raise ValueError(
            "solver='liblinear' is scikit-learn only: it penalises the intercept "
            "(intercept_scaling), a different problem; use solver='auto'"
        )
    if solver in _SKLEARN_SAME_MINIMISER:
        return "auto"
    if solver == "newton-cholesky":
        return "newton-cg"
    return solver


def reported_solver(asked: str, ran: str) -> str:
    """``solver_``: the fastridge solver that ran, named as asked when it is the same method.

    fastridge's Newton solver reports ``"newton-cholesky"`` when its steps came
    from the dense Hessian; that is still the ``"newton-cg"`` solver the user
    asked for, so ``solver_`` says ``"newton-cg"`` then (``result_.solver``
    keeps the detail).  ``"auto"`` and scikit-learn aliases report what ran.
    """
    if asked == "newton-cg" and ran == "newton-cholesky":
        return "newton-cg"
    return ran


def check_penalty(penalty, l1_ratio=None) -> None:
    """Accept only the plain L2 penalty (scikit-learn's spellings of it).

    ``penalty``: ``"l2"`` or ``"deprecated"`` (scikit-learn 1.9's default,
    meaning L2 unless ``l1_ratio`` says otherwise).  ``penalty=None`` (no
    penalty) is refused: the certificate needs ``lam = 1/C > 0``; use a large
    ``C``.  ``l1_ratio`` must be 0 or None.
    """
    if penalty is None:
        raise ValueError(
            "penalty=None (no penalty) is not supported: fastridge's certificate needs "
            "lam = 1/C > 0; use a large finite C instead"
        )
    if penalty not in ("l2", "deprecated"):
        raise ValueError(
            f"penalty={penalty!r} is not supported: fastridge fits the L2 penalty only "
            "(penalty='l2')"
        )
    if l1_ratio is not None and not (
        isinstance(l1_ratio, Real) and not isinstance(l1_ratio, bool) and l1_ratio == 0
    ):
        raise ValueError(
            f"l1_ratio={l1_ratio!r} is not supported: fastridge fits the L2 penalty only "
            "(l1_ratio=0)"
        )


def check_dual(dual) -> None:
    """Refuse ``dual=True`` (liblinear's dual formulation, scikit-learn only)."""
    if dual:
        raise ValueError(
            "dual=True (liblinear's dual formulation) is not supported: fastridge solves "
            "the primal problem; use dual=False"
        )


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


class LogisticRegression(SparseCoefMixin, _LinearClassifier):
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
        ``"lbfgs"``, ``"sag"``, ``"saga"`` (same minimiser) run ``"auto"``;
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
        multi_class = _check_multi_class(self.multi_class)
        check_penalty(self.penalty, self.l1_ratio)
        check_dual(self.dual)
        solver = logistic_solver(self.solver)
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
        nt = resolve_n_jobs(self.n_jobs, self.n_threads)
        sample_weight = None if sample_weight is None else _full_weights(sample_weight, len(codes))
        weight = np.bincount(codes, weights=sample_weight, minlength=len(classes))
        if self.fit_intercept and not np.all(weight > 0):
            # A class of zero total weight: no minimiser; the limit (fit_all_classes).
            if not np.any(weight > 0):
                raise ValueError("sample_weight: every weight is zero")
            self.classes_ = classes
            self._fit_limit(X, codes, sample_weight, classes, lam, solver, nt, multi_class)
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
        self._store(res, X.dtype)
        self.solver_ = reported_solver(solver, res.solver)
        self.n_iter_ = np.array([res.n_iter], dtype=np.int32)
        self._ovr = len(classes) > 2 and multi_class == "ovr"
        return self

    def _fit_limit(self, X, codes, sw, classes, lam, solver, nt, multi_class) -> None:
        """Fit when a class has zero total weight, as the limit of :func:`fit_all_classes`.

        ``certificate_`` is that of the fit over the weighted classes (None
        when only one class is weighted: nothing is fitted), ``result_`` its
        one-point :class:`PathResult` (or None).
        """
        fit = functools.partial(
            logistic_path,
            fit_intercept=self.fit_intercept,
            solver=solver,
            tol=self.tol,
            max_iter=self.max_iter,
            n_threads=nt,
        )
        path, coef, intercept, _ = fit_all_classes(
            fit, X, codes, sw, classes, np.array([lam]), self.fit_intercept, multi_class
        )
        self.coef_ = np.ascontiguousarray(np.atleast_2d(coef[0]), dtype=X.dtype)
        self.intercept_ = np.atleast_1d(np.asarray(intercept[0], dtype=X.dtype)).copy()
        self.certificate_ = None if path is None else path.certificate[0]
        self.result_ = path
        self.solver_ = "none" if path is None else reported_solver(solver, path.solver)

    def _warm_coef(self, classes, p: int):
        """``coef_init`` for ``warm_start``: the previous ``coef_`` when it fits, else None."""
        if not self.warm_start or not hasattr(self, "coef_"):
            return None
        prev = getattr(self, "classes_", None)
        if prev is None or not np.array_equal(prev, classes) or self.coef_.shape[1] != p:
            return None
        coef = np.asarray(self.coef_.toarray() if hasattr(self.coef_, "toarray") else self.coef_)
        return coef[0] if len(classes) == 2 else coef

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
            solver=solver,
            tol=self.tol,
            max_iter=self.max_iter,
            n_threads=resolve_n_jobs(self.n_jobs, self.n_threads),
        )
        self._label_binarizer = binarizer
        self.classes_ = binarizer.classes_
        self._store(res, X.dtype)
        k = self.coef_.shape[0]
        self.n_iter_ = np.full(k, max(1, res.n_iter), dtype=np.int32)
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
