"""The engine of ``LogisticRegressionCV``: every fold's warm-started path and its scores.

Per fold, one warm-started path over all ``Cs`` (``lam = 1 / C``, fitted from
the largest ``lam`` down) by ``path_fn`` (:func:`fastridge.logistic_path` by
default) on the fold's training rows, the folds running concurrently in
threads (the Numba kernels release the GIL).  A training fold that lacks a
class, or gives it zero total weight, is fitted as the limit described in
:func:`fit_all_classes`.  Scores of all ``Cs`` on a test fold come from one
product ``X_test @ W^T`` for the named scorers ``"accuracy"``,
``"neg_log_loss"`` and ``"roc_auc"``; any other scikit-learn scorer is applied
to whatever ``estimator_for(coef, intercept, C)`` the caller passes.

This module knows no estimator class: the estimator is
:class:`fastridge._estimators.logistic_cv.LogisticRegressionCV`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.metrics import get_scorer, make_scorer, roc_auc_score

from .._fit.distributed import is_distributed
from .._fit.threads import pool_workers, thread_map
from .._fit.validation import check_predict_X
from .._paths.logistic import logistic_path

# The scorers computed for all Cs at once from the decision values (the others
# go through scikit-learn's scorer object, one lightweight estimator per C).
_FAST_SCORERS = ("accuracy", "neg_log_loss", "roc_auc")


@dataclass(frozen=True)
class LogisticFolds:
    """What :func:`logistic_cv_folds` returns, every array in the order of ``Cs``.

    Attributes
    ----------
    paths : list of PathResult or None
        Each fold's path (points in decreasing ``lam``); None where the fold
        holds one class (nothing fitted).
    coefs : ndarray of shape (n_folds, n_Cs, p) or (n_folds, n_Cs, K, p)
    intercepts : ndarray of shape (n_folds, n_Cs) or (n_folds, n_Cs, K)
    scores : ndarray of shape (n_folds, n_Cs)
        Test-fold scores.
    n_iter : ndarray of shape (n_folds, n_Cs)
        Newton iterations of every fit.
    """

    paths: list
    coefs: np.ndarray
    intercepts: np.ndarray
    scores: np.ndarray
    n_iter: np.ndarray


def logistic_cv_folds(
    X,
    y,
    codes,
    classes,
    Cs,
    folds,
    score_fn: Callable,
    *,
    sample_weight=None,
    score_weight=None,
    fit_intercept: bool = True,
    solver: str = "auto",
    tol: float = 1e-8,
    max_iter: int | None = None,
    multi_class: str = "auto",
    n_threads: int = 1,
    path_fn: Callable = logistic_path,
) -> LogisticFolds:
    """Fit every fold's path over ``Cs`` and score it on the fold's test rows.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n, p)
        Validated data (each fold copies its training and test rows).
    y : ndarray of shape (n,)
        Labels (passed to generic scorers).
    codes : ndarray of shape (n,)
        Indices of the labels into ``classes``.
    classes : ndarray of shape (K,)
        The sorted labels (at least two).
    Cs : ndarray of shape (n_Cs,)
        Positive grid, any order (``lam = 1 / C``).
    folds : list of (train, test) index arrays
    score_fn : callable
        ``score_fn(X_test, y_test, codes_test, sw_test, coef, intercept, Cs)``
        returns the ``(n_Cs,)`` test scores (see :func:`make_scoring`).
    sample_weight : ndarray of shape (n,), optional
        Weights of the fits (``class_weight`` applied).
    score_weight : ndarray of shape (n,), optional
        Weights of the test-fold scores.
    fit_intercept, solver, tol, max_iter, multi_class
        As for :func:`fastridge.logistic_path`.
    n_threads : int, default=1
        Threads in all: ``min(n_threads, n_folds)`` folds at a time, each with
        ``n_threads // workers`` kernel threads.
    path_fn : callable, default=fastridge.logistic_path
        The path solver, called as ``logistic_path`` (e.g. a partial of it
        with another operator).

    Returns
    -------
    LogisticFolds
    """
    lams = 1.0 / Cs
    # Path point j (decreasing lam) is Cs[order[j]]; stable: equal Cs keep their order.
    order = np.argsort(-lams, kind="stable")
    workers = pool_workers(n_threads, len(folds))
    fit = functools.partial(
        path_fn,
        fit_intercept=fit_intercept,
        solver=solver,
        tol=tol,
        max_iter=max_iter,
        n_threads=max(1, n_threads // workers),
    )

    def run_fold(fold):
        train, test = (np.asarray(idx) for idx in fold)
        if is_distributed(X):
            # The fold as zero weights on the blocks (no copy of its rows).
            sw_train = np.ones(X.shape[0]) if sample_weight is None else sample_weight.copy()
            sw_train[np.setdiff1d(np.arange(X.shape[0]), train)] = 0.0
            X_train, codes_train, X_test = X, codes, FoldRows(X, test)
        else:
            sw_train = None if sample_weight is None else sample_weight[train]
            X_train, codes_train, X_test = X[train], codes[train], X[test]
        path, pcoef, picpt, piter = fit_all_classes(
            fit, X_train, codes_train, sw_train, classes, lams, fit_intercept, multi_class
        )
        coef, intercept, n_iter = (np.empty_like(a) for a in (pcoef, picpt, piter))
        coef[order], intercept[order], n_iter[order] = pcoef, picpt, piter
        sw_test = None if score_weight is None else score_weight[test]
        scores = score_fn(X_test, y[test], codes[test], sw_test, coef, intercept, Cs)
        return path, coef, intercept, np.asarray(scores, dtype=np.float64), n_iter

    outs = thread_map(run_fold, folds, workers)
    return LogisticFolds(
        paths=[o[0] for o in outs],
        coefs=np.stack([o[1] for o in outs]),
        intercepts=np.stack([o[2] for o in outs]),
        scores=np.stack([o[3] for o in outs]),
        n_iter=np.stack([o[4].astype(np.int64) for o in outs]),
    )


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
    weight = np.bincount(codes, weights=sw, minlength=K)
    present = np.flatnonzero(weight > 0)
    extra = {} if K == 2 else {"multi_class": multi_class}
    if len(present) == 0:
        raise ValueError("sample_weight: every weight of a training fold is zero")
    if len(present) == K:
        path = fit(X, classes[codes], lams, sample_weight=sw, **extra)
        return path, path.coef, path.intercept, path.n_iter
    if not fit_intercept:
        Xa, ya, sw_a = _pad_absent(X, codes, sw, classes)
        path = fit(Xa, ya, lams, sample_weight=sw_a, **extra)
        return path, path.coef, path.intercept, path.n_iter
    return _fit_present(fit, X, codes, sw, classes, lams, present, multi_class)


def _pad_absent(X, codes, sw, classes):
    """``(X, y, sw)`` with one all-zero row of weight 0 per class absent from ``codes``."""
    n, p = X.shape
    absent = np.setdiff1d(np.arange(len(classes)), np.unique(codes))
    m = len(absent)
    if sp.issparse(X):
        pad = sp.csr_matrix((m, p), dtype=X.dtype).asformat(X.format)
        Xa = sp.vstack([X, pad], format=X.format)
    else:
        Xa = np.vstack([X, np.zeros((m, p), dtype=X.dtype)])
    sw_a = np.concatenate([np.ones(n) if sw is None else sw, np.zeros(m)])
    return Xa, classes[np.concatenate([codes, absent])], sw_a


def _fit_present(fit, X, codes, sw, classes, lams, present, multi_class):
    """:func:`fit_all_classes` with an intercept and a class of zero weight: the limit."""
    K, L = len(classes), len(lams)
    n, p = X.shape
    binary = K == 2
    coef = np.zeros((L, p) if binary else (L, K, p))
    intercept = np.full((L,) if binary else (L, K), -np.inf)
    keep = np.isin(codes, present) & (np.ones(n, bool) if sw is None else sw > 0)
    if len(present) == 1:
        if binary:
            intercept[:] = np.inf if present[0] == 1 else -np.inf
        else:
            intercept[:, present[0]] = 0.0 if multi_class != "ovr" else np.inf
        return None, coef, intercept, np.zeros(L, dtype=np.int64)
    if is_distributed(X):
        # Dropped rows as zero weights (labelled with a present class: no effect).
        yk = classes[np.where(keep, codes, present[0])]
        Xk, swk = X, np.where(keep, np.ones(n) if sw is None else sw, 0.0)
    else:
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
    path = fit(Xk, yk, lams, sample_weight=swk, multi_class=multi_class)
    coef[:, present] = path.coef
    intercept[:, present] = path.intercept
    return path, coef, intercept, path.n_iter


def log_normalise(a: np.ndarray) -> np.ndarray:
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


# ---------------------------------------------------------------------------
# scoring every C of a fold
# ---------------------------------------------------------------------------


def make_scoring(scoring, classes, ovr: bool = False, estimator_for: Callable | None = None):
    """``(name, fn)``; ``fn(X_test, y_test, codes_test, sw_test, coef, intercept, Cs)``
    returns the ``(n_Cs,)`` test scores of the fold's coefficients (``Cs`` order).

    ``ovr``: the multiclass model is one-vs-rest (its probabilities are the
    normalised sigmoids).  ``estimator_for(coef, intercept, C)``: a fitted
    estimator holding given coefficients, for a scorer not computed here.
    """
    if scoring is None:
        scoring = "accuracy"
    if isinstance(scoring, str) and scoring in _FAST_SCORERS:
        if scoring == "roc_auc" and len(classes) != 2:
            raise ValueError('scoring="roc_auc" needs two classes; use e.g. "roc_auc_ovr"')
        fast = _FAST[scoring]
        return scoring, (functools.partial(fast, ovr=ovr) if fast is _neg_log_loss else fast)
    scorer = get_scorer(scoring)  # raises for unknown names
    name = scoring if isinstance(scoring, str) else getattr(scoring, "__name__", repr(scoring))
    scorer = _with_labels(scorer, classes)

    def generic(X_test, y_test, codes_test, sw_test, coef, intercept, Cs):
        if isinstance(X_test, FoldRows):
            raise ValueError(
                "a custom scoring needs the test rows themselves; with a distributed X "
                "LogisticRegressionCV scores with the built-in 'accuracy' or 'neg_log_loss'"
            )
        kw = {} if sw_test is None else {"sample_weight": sw_test}
        out = np.empty(len(Cs))
        for j, C in enumerate(Cs):
            out[j] = scorer(estimator_for(coef[j], intercept[j], C), X_test, y_test, **kw)
        return out

    return name, generic


def _with_labels(scorer, classes):
    """Pass ``labels=classes`` to a metric that takes it (a test fold may miss a class),
    as scikit-learn's ``LogisticRegressionCV`` does."""
    func = getattr(scorer, "_score_func", None)
    if func is None:
        return scorer
    sig = inspect.signature(func).parameters
    if "labels" not in sig:
        return scorer
    kwargs = dict(getattr(scorer, "_kwargs", {}))
    if len(classes) == 2 and "pos_label" in sig:
        kwargs["pos_label"] = classes[-1]
    return make_scorer(
        func,
        greater_is_better=scorer._sign == 1,
        response_method=scorer._response_method,
        labels=classes,
        **kwargs,
    )


class FoldRows:
    """The test rows of a fold of a distributed ``X``, for the built-in scorers.

    ``FoldRows(X, rows) @ M`` is ``(X @ M)[rows]``: one pass over every block
    (rows outside the fold are computed and dropped; no rows are copied).
    Scorers that need the rows themselves (a custom ``scoring``) cannot use it.
    """

    def __init__(self, X, rows):
        self.X = X
        self.rows = np.asarray(rows)
        self.shape = (len(self.rows), X.shape[1])

    def __matmul__(self, M):
        from ..distributed import tasks

        full = self.X.run(tasks.x_dot, args=(np.ascontiguousarray(M, np.float64),), reduce="rows")
        return full[self.rows]


def _decision(X_test, coef, intercept) -> np.ndarray:
    """Decision values of all Cs from one product: ``(n_test, L)`` or ``(n_test, L, K)``."""
    W = coef.reshape(-1, coef.shape[-1])  # (L, p) or (L*K, p)
    if sp.issparse(X_test) and not X_test.has_canonical_format:
        # duplicates summed exactly, not in order by scipy's product (the fold rows
        # were validated by the fit: no second structure pass when there are none)
        X_test = check_predict_X(X_test)
    D = np.asarray(X_test @ W.T, dtype=np.float64)
    return D.reshape(D.shape[0], *coef.shape[:-1]) + intercept[None]


def _average(values: np.ndarray, sw) -> np.ndarray:
    """Mean over the first axis (test samples), weighted by ``sw`` when given."""
    if sw is None:
        return values.mean(axis=0)
    return (sw @ values) / sw.sum()


def _accuracy(X_test, y_test, codes_test, sw_test, coef, intercept, Cs):
    D = _decision(X_test, coef, intercept)
    # As LinearClassifierMixin.predict: d > 0 -> classes_[1]; argmax (first) otherwise.
    pred = (D > 0).astype(np.intp) if D.ndim == 2 else D.argmax(axis=2)
    return _average((pred == codes_test[:, None]).astype(np.float64), sw_test)


def _neg_log_loss(X_test, y_test, codes_test, sw_test, coef, intercept, Cs, *, ovr=False):
    """``-log_loss(y, predict_proba)`` per C, with scikit-learn's clipping of the
    probabilities to ``[eps, 1 - eps]`` (float64 eps), so scores agree with its scorer."""
    D = _decision(X_test, coef, intercept)
    if D.ndim == 2:  # binary, predict_proba = [1 - sigma(d), sigma(d)]
        p1 = expit(D)
        picked = np.where(codes_test[:, None] == 1, p1, 1.0 - p1)
    else:
        if ovr:  # sigmoids normalised in the log domain, as predict_proba
            P = np.exp(_log_normalise_3d(-np.logaddexp(0.0, -D)))
        else:
            P = softmax(D, axis=2)
        picked = np.take_along_axis(P, codes_test[:, None, None], axis=2)[:, :, 0]
    eps = np.finfo(np.float64).eps
    return -_average(-np.log(np.clip(picked, eps, 1.0 - eps)), sw_test)


def _log_normalise_3d(A: np.ndarray) -> np.ndarray:
    n, L, k = A.shape
    return log_normalise(A.reshape(n * L, k)).reshape(n, L, k)


def _roc_auc(X_test, y_test, codes_test, sw_test, coef, intercept, Cs):
    D = _decision(X_test, coef, intercept)
    pos = codes_test == 1
    return np.array(
        [roc_auc_score(pos, D[:, j], sample_weight=sw_test) for j in range(D.shape[1])]
    )


_FAST = {"accuracy": _accuracy, "neg_log_loss": _neg_log_loss, "roc_auc": _roc_auc}


__all__ = [
    "LogisticFolds",
    "fit_all_classes",
    "log_normalise",
    "logistic_cv_folds",
    "make_scoring",
]
