"""scikit-learn compatible :class:`LogisticRegressionCV`: K-fold choice of ``C``, certified fits.

Per fold, one warm-started :func:`fastridge.logistic_path` over all ``Cs``
(``lam = 1 / C``, fitted from the largest ``lam`` down), the folds running
concurrently in threads (the Numba kernels release the GIL).  Scores of all
``Cs`` on a test fold come from one product ``X_test @ W^T`` for the named
scorers ``"accuracy"``, ``"neg_log_loss"`` and ``"roc_auc"``; any other
scikit-learn scorer is applied to a lightweight fitted estimator per ``C``.
"""

from __future__ import annotations

import functools
import inspect
import time
from numbers import Integral

import numpy as np
from scipy.special import expit, softmax
from sklearn.metrics import get_scorer, make_scorer, roc_auc_score
from sklearn.model_selection import check_cv
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.multiclass import check_classification_targets

from .._estimators.classifiers import (
    _CLASS_WEIGHT_TAKES_SW,
    _FLOATS,
    _SPARSE,
    LogisticRegression,
    _check_multi_class,
    _full_weights,
    _log_normalise,
    check_dual,
    check_penalty,
    fit_all_classes,
    logistic_solver,
    reported_solver,
)
from .._estimators.ridge import resolve_n_jobs
from .._fit.logistic import logistic
from .._fit.threads import pool_workers, resolve_n_threads, thread_map
from .._fit.validation import validate_data
from .._paths.logistic import logistic_path
from .._paths.results import CVResult, PathResult

# The scorers computed for all Cs at once from the decision values (the others
# go through scikit-learn's scorer object, one lightweight estimator per C).
_FAST_SCORERS = ("accuracy", "neg_log_loss", "roc_auc")


def _check_l1_ratios(l1_ratios):
    """``(l1_ratios_ attribute, keep the l1_ratio axis)`` for an L2-only ``l1_ratios``.

    None or ``"warn"`` (scikit-learn 1.9's default, meaning None): plain L2,
    ``l1_ratios_ = [None]`` and no l1_ratio axis in ``scores_`` etc.  A
    sequence of zeros (``(0,)``, the value scikit-learn recommends for L2): the
    same fit, ``l1_ratios_ = [0.0, ...]`` and an l1_ratio axis, as
    scikit-learn.  Any non-zero ratio is refused (L1 is not supported).
    """
    if l1_ratios is None or (isinstance(l1_ratios, str) and l1_ratios == "warn"):
        return np.array([None], dtype=object), False
    try:
        arr = np.asarray(l1_ratios, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise ValueError(f"l1_ratios must be a sequence of zeros, got {l1_ratios!r}") from exc
    if arr.size != 1 or arr[0] != 0:
        raise ValueError(
            f"l1_ratios={l1_ratios!r} is not supported: fastridge fits the L2 penalty only "
            "(l1_ratios=(0,))"
        )
    return arr, True


def _check_Cs(Cs) -> np.ndarray:
    """``Cs`` as a float array: an int gives ``np.logspace(-4, 4, Cs)`` (scikit-learn's grid)."""
    if isinstance(Cs, Integral) and not isinstance(Cs, bool):
        if Cs < 1:
            raise ValueError(f"Cs must be a positive int or a list of positive floats, got {Cs}")
        return np.logspace(-4, 4, int(Cs))
    try:
        arr = np.asarray(Cs, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cs must be an int or a list of positive floats, got {Cs!r}") from exc
    if arr.size == 0:
        raise ValueError("Cs is empty")
    if not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
        raise ValueError(f"every C must be positive and finite (lam = 1 / C), got {Cs!r}")
    return arr


class LogisticRegressionCV(LogisticRegression):
    """L2-logistic regression with ``C`` chosen by K-fold cross-validation, certified.

    For every fold, the model of :class:`fastridge.LogisticRegression` is
    fitted on the training part at every ``C`` of ``Cs`` by one warm-started
    :func:`fastridge.logistic_path` (``lam = 1 / C``, the objective
    ``sum_i s_i loss_i + 1/(2C) ||W||^2``, whose minimiser is scikit-learn's
    ``LogisticRegression(C)``), every point certified to ``tol``; the folds run
    concurrently.  The ``C`` with the best mean test score is chosen (the first
    in ``Cs`` on ties, as scikit-learn) and, with ``refit=True``, the model is
    refitted on all the data at that ``C``.

    Parameters
    ----------
    Cs : int or array-like of float, default=10
        The grid of ``C``: an int ``m`` gives ``np.logspace(-4, 4, m)``
        (scikit-learn's default), a list is used as given (its order is the
        order of ``Cs_``, ``scores_`` and ``coefs_paths_``).
    fit_intercept : bool, default=True
        Fit unpenalised intercepts.
    cv : int, cross-validation splitter or iterable of (train, test), optional
        None: 5-fold ``StratifiedKFold`` without shuffling (scikit-learn's
        default); an int ``k``: ``StratifiedKFold(k)``.
    scoring : str or callable, optional
        None (accuracy, as scikit-learn), ``"accuracy"``, ``"neg_log_loss"``,
        ``"roc_auc"`` (binary; all three computed for all ``Cs`` from one
        matrix product per fold), or any scikit-learn scorer name or callable
        ``scorer(estimator, X, y[, sample_weight=])``.  Test-fold scores are
        weighted by ``sample_weight`` (not by ``class_weight``), as
        scikit-learn does.
    solver : str, default="auto"
        See :func:`fastridge.logistic`.
    tol : float, default=1e-8
        Relative accuracy of every certificate (each point of each path, and
        the refit).
    max_iter : int, optional
        Newton iterations per fit (None: the solver's default).
    class_weight : dict, "balanced" or None, default=None
        As for :class:`fastridge.LogisticRegression`; ``"balanced"`` is computed
        once on the whole data (as scikit-learn does) and used in every fold.
    multi_class : {"auto", "multinomial", "ovr"}, default="auto"
        As for :class:`fastridge.LogisticRegression`.  With ``"ovr"`` one ``C``
        is chosen for all classes, scoring the one-vs-rest classifier as a
        whole (its ``predict`` / ``predict_proba``).
    n_threads : int, optional
        Threads in all (None: all of Numba's).  ``min(n_threads, n_folds)``
        folds run at a time, each with ``n_threads // workers`` kernel threads.
    n_jobs : int, optional
        scikit-learn's name for the same (None: default, -1: all cores);
        ``n_threads`` wins when both are given.
    l1_ratios : "warn", None or sequence of zeros, default="warn"
        Only the L2 penalty exists here.  ``"warn"`` / None (scikit-learn 1.9's
        default): ``l1_ratios_ = [None]`` and no l1_ratio axis in the
        attributes; ``(0,)``: ``l1_ratios_ = [0.]`` and a length-1 l1_ratio
        axis, as scikit-learn lays them out.  Other values raise ValueError.
        No FutureWarning is emitted for the default (scikit-learn's
        transition warnings are not ours).
    penalty : {"l2", "deprecated"}, default="deprecated"
        As for :class:`fastridge.LogisticRegression`: L2 only.
    dual : bool, default=False
        Must be False.
    intercept_scaling, random_state, verbose
        Accepted for scikit-learn compatibility, no effect (no liblinear, no
        random choice in the solvers, nothing printed).  The folds are those
        of ``cv`` (seed a shuffling splitter there, as in scikit-learn).
    use_legacy_attributes : bool or "warn", default="warn"
        scikit-learn 1.9's switch of attribute layouts.  True or ``"warn"``
        (the legacy layout, scikit-learn 1.9's default; no warning here):
        ``C_`` and ``l1_ratio_`` arrays repeated per class, ``scores_`` and
        ``coefs_paths_`` dicts keyed by class, ``n_iter_`` of shape
        ``(1, n_folds, n_Cs)``.  False: ``C_`` and ``l1_ratio_`` floats,
        ``coefs_paths_`` of shape ``(n_folds, n_l1_ratios, n_Cs, n_classes or 1,
        n_dof)``, ``scores_`` and ``n_iter_`` of shape
        ``(n_folds, n_l1_ratios, n_Cs)``.
    refit : bool, default=True
        True: refit on all the data at the chosen ``C``, from zero, so that
        ``coef_`` is exactly that of ``LogisticRegression(C=C_[0])`` fitted on
        the same data (a warm start from the folds' mean coefficients saves a
        Newton iteration or two of one fit among ``n_folds * n_Cs + 1``, but
        makes the result depend on the folds within ``tol``).  False: ``coef_`` and
        ``intercept_`` are the means over folds of each fold's coefficients at
        its own best ``C``, and ``C_`` the mean of those ``C`` (scikit-learn's
        behaviour).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    Cs_ : ndarray of shape (n_Cs,)
        The grid, in the given order.
    C_ : ndarray of shape (1,) or (n_classes,)
        The chosen ``C`` (repeated per class for more than two classes).
    scores_ : dict
        Class label -> ``(n_folds, n_Cs)`` test scores (one key,
        ``classes_[1]``, for two classes; the same array for every class
        otherwise), as scikit-learn.
    coefs_paths_ : dict
        Class label -> ``(n_folds, n_Cs, n_features + fit_intercept)``: each
        fold's coefficients (intercept last), keys as in ``scores_``.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : ndarray of shape (1, n_folds, n_Cs)
        Newton iterations of every fit (the largest over classes for ovr);
        see ``use_legacy_attributes`` for the other layouts.
    l1_ratios_ : ndarray
        ``[None]`` or the given zeros (see ``l1_ratios``).
    l1_ratio_ : ndarray of shape (1,) or (n_classes,), or float
        Always 0 (L2), shaped as ``C_``.
    cv_result_ : CVResult
        ``lams = 1 / Cs_`` (in the order of ``Cs_``), mean score, standard
        error (sample standard deviation over folds / sqrt(n_folds)), fold
        scores, ``best_index`` into ``Cs_``, ``param_name="C"``.
    paths_ : list of PathResult
        Each fold's path (its points in decreasing ``lam``, i.e. increasing
        ``C``: not necessarily the order of ``Cs_``); over the weighted
        classes only when a fold lacks one, None when it holds one class.
    certificate_ : float, ndarray or None
        Certificate of the refit (None when ``refit=False``: averaged fold
        coefficients solve no single problem).
    result_ : FitResult or None
        The refit (None when ``refit=False``).
    solver_ : str
        The solver that ran.
    n_features_in_ : int
    feature_names_in_ : ndarray, when fitted on a DataFrame with string column names
    """

    def __init__(
        self,
        Cs: int | list = 10,
        *,
        l1_ratios="warn",
        fit_intercept: bool = True,
        cv=None,
        dual: bool = False,
        penalty="deprecated",
        scoring=None,
        solver: str = "auto",
        tol: float = 1e-8,
        max_iter: int | None = None,
        class_weight: dict | str | None = None,
        n_jobs: int | None = None,
        verbose: int = 0,
        refit: bool = True,
        intercept_scaling: float = 1.0,
        random_state=None,
        use_legacy_attributes="warn",
        multi_class: str = "auto",
        n_threads: int | None = None,
    ):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.dual = dual
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.intercept_scaling = intercept_scaling
        self.random_state = random_state
        self.use_legacy_attributes = use_legacy_attributes
        self.multi_class = multi_class
        self.n_threads = n_threads

    def get_metadata_routing(self):
        """Metadata routing as scikit-learn's: ``fit`` params go to the splitter's
        ``split`` and the scorer's ``score`` (``sample_weight`` only when the
        scorer requests it)."""
        return (
            MetadataRouter(owner=self)
            .add_self_request(self)
            .add(
                splitter=self.cv, method_mapping=MethodMapping().add(caller="fit", callee="split")
            )
            .add(
                scorer=get_scorer("accuracy" if self.scoring is None else self.scoring),
                method_mapping=MethodMapping()
                .add(caller="score", callee="score")
                .add(caller="fit", callee="score"),
            )
        )

    def fit(self, X, y, sample_weight=None, **params) -> LogisticRegressionCV:
        """Cross-validate over ``Cs`` and fit the chosen model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Dense, CSR or CSC (float32 / float64 kept; each fold copies its
            training and test rows).
        y : array-like of shape (n_samples,)
            Labels (at least two classes).  A training fold that lacks a class,
            or gives it zero total weight (``class_weight``), is fitted as the
            limit described in :func:`fit_all_classes` (that class: ``w = 0``,
            intercept ``-inf``), where scikit-learn returns wherever its
            solver stopped along the diverging intercept.
        sample_weight : float or array-like of shape (n_samples,), optional
            Non-negative weights: in the fits, and in the test-fold scores
            unless metadata routing is enabled and the scorer did not request
            them (``set_score_request(sample_weight=False)``), as scikit-learn.
        **params : dict
            Only with metadata routing enabled (``sklearn.set_config(
            enable_metadata_routing=True)``): routed to the splitter's
            ``split`` (e.g. ``groups``) and the scorer; otherwise ValueError,
            as scikit-learn.

        Returns
        -------
        self : LogisticRegressionCV
        """
        t0 = time.perf_counter()
        _raise_for_params(params, self, "fit")
        multi_class = _check_multi_class(self.multi_class)
        check_penalty(self.penalty)
        check_dual(self.dual)
        l1_ratios_, l1_axis = _check_l1_ratios(self.l1_ratios)
        legacy = self.use_legacy_attributes
        if legacy not in (True, False, "warn"):
            raise ValueError(f"use_legacy_attributes must be a bool, got {legacy!r}")
        solver = logistic_solver(self.solver)
        Cs = _check_Cs(self.Cs)
        nt = resolve_n_threads(resolve_n_jobs(self.n_jobs, self.n_threads))
        X, y = validate_data(self, X, y, accept_sparse=_SPARSE, dtype=_FLOATS)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"y has only one class ({classes.tolist()[0]!r}): at least two classes are needed"
            )
        n = X.shape[0]
        sw_full = None if sample_weight is None else _full_weights(sample_weight, n)
        sw_fit = sw_full
        split_params, score_params = {}, {"sample_weight": sw_full}
        if _routing_enabled():
            routed = process_routing(self, "fit", sample_weight=sample_weight, **params)
            split_params, score_params = routed.splitter.split, routed.scorer.score
        unsupported = sorted(set(score_params) - {"sample_weight"})
        if unsupported:
            raise ValueError(f"score parameters {unsupported} are not supported by fastridge")
        sw_score = score_params.get("sample_weight")
        sw_score = None if sw_score is None else _full_weights(sw_score, n)
        if self.class_weight is not None:
            sw = _full_weights(sample_weight, n)
            kw = {"sample_weight": sw} if _CLASS_WEIGHT_TAKES_SW else {}
            cw = compute_class_weight(self.class_weight, classes=classes, y=y, **kw)
            sw_fit = sw * np.asarray(cw, dtype=np.float64)[codes]
        if sw_fit is not None and not np.any(sw_fit > 0):
            raise ValueError("sample_weight: every weight is zero (with class_weight applied)")
        scorer_name, score_fn = _make_scoring(self.scoring, classes)
        folds = list(check_cv(self.cv, y, classifier=True).split(X, y, **split_params))
        if not folds:
            raise ValueError("cv produced no folds")
        self._ovr = len(classes) > 2 and multi_class == "ovr"
        extra = {} if len(classes) == 2 else {"multi_class": multi_class}
        lams = 1.0 / Cs
        # Path point j (decreasing lam) is Cs[order[j]]; stable: equal Cs keep their order.
        order = np.argsort(-lams, kind="stable")
        workers = pool_workers(nt, len(folds))
        per_fold = max(1, nt // workers)

        def run_fold(fold):
            train, test = (np.asarray(idx) for idx in fold)
            fit = functools.partial(
                logistic_path,
                fit_intercept=self.fit_intercept,
                solver=solver,
                tol=self.tol,
                max_iter=self.max_iter,
                n_threads=per_fold,
            )
            path, pcoef, picpt, piter = fit_all_classes(
                fit,
                X[train],
                codes[train],
                None if sw_fit is None else sw_fit[train],
                classes,
                lams,
                self.fit_intercept,
                multi_class,
            )
            coef = np.empty_like(pcoef)
            coef[order] = pcoef
            intercept = np.empty_like(picpt)
            intercept[order] = picpt
            sw_test = None if sw_score is None else sw_score[test]
            scores = score_fn(self, X[test], y[test], codes[test], sw_test, coef, intercept, Cs)
            n_iter = np.empty(len(Cs), dtype=np.int64)
            n_iter[order] = piter
            return path, coef, intercept, np.asarray(scores, dtype=np.float64), n_iter

        outs = thread_map(run_fold, folds, workers)
        paths = [o[0] for o in outs]
        coefs = np.stack([o[1] for o in outs])  # (F, L, p) or (F, L, K, p)
        intercepts = np.stack([o[2] for o in outs])  # (F, L) or (F, L, K)
        scores = np.stack([o[3] for o in outs])  # (F, L)
        n_iter = np.stack([o[4] for o in outs])  # (F, L)
        self._store_cv(X, classes, Cs, coefs, intercepts, scores, n_iter, paths)

        if self.refit:
            best = int(np.argmax(scores.sum(axis=0)))
            C_best = float(Cs[best])
            weight = np.bincount(codes, weights=sw_fit, minlength=len(classes))
            if np.all(weight > 0):
                res = logistic(
                    X,
                    y,
                    1.0 / C_best,
                    fit_intercept=self.fit_intercept,
                    sample_weight=sw_fit,
                    solver=solver,
                    tol=self.tol,
                    max_iter=self.max_iter,
                    n_threads=nt,
                    **extra,
                )
                self._store(res, X.dtype)
                self.solver_ = reported_solver(solver, res.solver)
            else:  # a class of weight 0 (class_weight): the limit, as in the folds
                self._fit_limit(X, codes, sw_fit, classes, 1.0 / C_best, solver, nt, multi_class)
            self.C_ = np.full(1 if len(classes) == 2 else len(classes), C_best)
        else:
            per_fold_best = np.argmax(scores, axis=1)
            rows = np.arange(len(folds))
            coef = coefs[rows, per_fold_best].mean(axis=0)
            intercept = intercepts[rows, per_fold_best].mean(axis=0)
            self.coef_ = np.ascontiguousarray(np.atleast_2d(coef), dtype=X.dtype)
            self.intercept_ = np.atleast_1d(np.asarray(intercept, dtype=X.dtype)).copy()
            self.certificate_ = None
            ran = [pa.solver for pa in paths if pa is not None]
            self.solver_ = reported_solver(solver, ran[0]) if ran else "none"
            self.result_ = None
            self.C_ = np.full(
                1 if len(classes) == 2 else len(classes), float(np.mean(Cs[per_fold_best]))
            )
            best = int(np.argmax(scores.sum(axis=0)))
        self.l1_ratios_ = l1_ratios_
        # scikit-learn: the chosen entry of l1_ratios_ with refit (None when not given),
        # the mean of the folds' (0.0) without.
        self.l1_ratio_ = (
            np.full(self.C_.shape, l1_ratios_[0], dtype=l1_ratios_.dtype)
            if self.refit
            else np.zeros_like(self.C_)
        )
        self._layout(l1_axis, legacy in (True, "warn"))
        mean = scores.mean(axis=0)
        n_folds = len(folds)
        std = scores.std(axis=0, ddof=1) if n_folds > 1 else np.zeros_like(mean)
        self.cv_result_ = CVResult(
            lams=lams,
            mean_score=mean,
            std_error=std / np.sqrt(n_folds),
            fold_scores=scores,
            best_index=best,
            scoring=scorer_name,
            method="kfold",
            seconds=time.perf_counter() - t0,
            param_name="C",
        )
        return self

    def _store_cv(self, X, classes, Cs, coefs, intercepts, scores, n_iter, paths) -> None:
        """The scikit-learn style attributes of the cross-validation."""
        self.classes_ = classes
        self.Cs_ = Cs
        self.paths_: list[PathResult] = paths
        self.n_iter_ = n_iter[None].astype(np.int32)
        if len(classes) == 2:
            keys = classes[1:]
            per_class = coefs[:, :, None, :]
            b = intercepts[:, :, None]
        else:
            keys = classes
            per_class = coefs
            b = intercepts
        self.scores_ = {k: scores.copy() for k in keys}
        self.coefs_paths_ = {}
        for j, k in enumerate(keys):
            path = per_class[:, :, j, :]
            if self.fit_intercept:
                path = np.concatenate([path, b[:, :, j, None]], axis=2)
            self.coefs_paths_[k] = path

    def _layout(self, l1_axis: bool, legacy: bool) -> None:
        """Lay ``scores_``, ``coefs_paths_``, ``n_iter_``, ``C_``, ``l1_ratio_`` out as
        scikit-learn 1.9 (``_store_cv`` made the legacy layout without l1_ratio axis)."""
        if legacy:
            if l1_axis:  # scikit-learn keeps a length-1 l1_ratio axis when l1_ratios is given
                self.scores_ = {c: v[:, :, None] for c, v in self.scores_.items()}
                self.coefs_paths_ = {c: v[:, :, None, :] for c, v in self.coefs_paths_.items()}
                self.n_iter_ = self.n_iter_[..., None]
            return
        keys = list(self.coefs_paths_)
        paths = np.stack([self.coefs_paths_[c] for c in keys])  # (K or 1, F, L, dof)
        # -> (F, n_l1 = 1, L, K or 1, dof)
        self.coefs_paths_ = np.moveaxis(paths[:, :, :, None, :], (0, 1, 3), (3, 0, 1))
        self.scores_ = self.scores_[keys[0]][:, None, :]
        self.n_iter_ = self.n_iter_[0][:, None, :]
        self.C_ = float(self.C_[0])
        self.l1_ratio_ = 0.0

    def score(self, X, y, sample_weight=None) -> float:
        """Score on ``(X, y)`` with ``scoring`` (accuracy when None), as scikit-learn's.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        float
        """
        scorer = get_scorer("accuracy" if self.scoring is None else self.scoring)
        kw = {} if sample_weight is None else {"sample_weight": sample_weight}
        return float(scorer(self, X, y, **kw))


# ---------------------------------------------------------------------------
# scoring every C of a fold
# ---------------------------------------------------------------------------


def _make_scoring(scoring, classes):
    """``(name, fn)``; ``fn(est, X_test, y_test, codes_test, sw_test, coef, intercept, Cs)``
    returns the ``(n_Cs,)`` test scores of the fold's coefficients (``Cs`` order)."""
    if scoring is None:
        scoring = "accuracy"
    if isinstance(scoring, str) and scoring in _FAST_SCORERS:
        if scoring == "roc_auc" and len(classes) != 2:
            raise ValueError('scoring="roc_auc" needs two classes; use e.g. "roc_auc_ovr"')
        return scoring, _FAST[scoring]
    scorer = get_scorer(scoring)  # raises for unknown names
    name = scoring if isinstance(scoring, str) else getattr(scoring, "__name__", repr(scoring))
    scorer = _with_labels(scorer, classes)

    def generic(est, X_test, y_test, codes_test, sw_test, coef, intercept, Cs):
        kw = {} if sw_test is None else {"sample_weight": sw_test}
        out = np.empty(len(Cs))
        for j, C in enumerate(Cs):
            out[j] = scorer(_fitted(est, classes, coef[j], intercept[j], C), X_test, y_test, **kw)
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


def _fitted(est, classes, coef, intercept, C) -> LogisticRegression:
    """A :class:`fastridge.LogisticRegression` holding given coefficients (no fit)."""
    m = LogisticRegression(
        C=float(C),
        fit_intercept=est.fit_intercept,
        solver=est.solver,
        tol=est.tol,
        max_iter=est.max_iter,
        multi_class=est.multi_class,
    )
    m.classes_ = classes
    m.coef_ = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    m.intercept_ = np.atleast_1d(np.asarray(intercept, dtype=np.float64)).copy()
    m.n_features_in_ = m.coef_.shape[1]
    m._ovr = est._ovr
    return m


def _decision(X_test, coef, intercept) -> np.ndarray:
    """Decision values of all Cs from one product: ``(n_test, L)`` or ``(n_test, L, K)``."""
    W = coef.reshape(-1, coef.shape[-1])  # (L, p) or (L*K, p)
    D = np.asarray(X_test @ W.T, dtype=np.float64)
    return D.reshape(D.shape[0], *coef.shape[:-1]) + intercept[None]


def _average(values: np.ndarray, sw) -> np.ndarray:
    """Mean over the first axis (test samples), weighted by ``sw`` when given."""
    if sw is None:
        return values.mean(axis=0)
    return (sw @ values) / sw.sum()


def _accuracy(est, X_test, y_test, codes_test, sw_test, coef, intercept, Cs):
    D = _decision(X_test, coef, intercept)
    # As LinearClassifierMixin.predict: d > 0 -> classes_[1]; argmax (first) otherwise.
    pred = (D > 0).astype(np.intp) if D.ndim == 2 else D.argmax(axis=2)
    return _average((pred == codes_test[:, None]).astype(np.float64), sw_test)


def _neg_log_loss(est, X_test, y_test, codes_test, sw_test, coef, intercept, Cs):
    """``-log_loss(y, predict_proba)`` per C, with scikit-learn's clipping of the
    probabilities to ``[eps, 1 - eps]`` (float64 eps), so scores agree with its scorer."""
    D = _decision(X_test, coef, intercept)
    if D.ndim == 2:  # binary, predict_proba = [1 - sigma(d), sigma(d)]
        p1 = expit(D)
        picked = np.where(codes_test[:, None] == 1, p1, 1.0 - p1)
    else:
        if est._ovr:  # sigmoids normalised in the log domain, as predict_proba
            P = np.exp(_log_normalise_3d(-np.logaddexp(0.0, -D)))
        else:
            P = softmax(D, axis=2)
        picked = np.take_along_axis(P, codes_test[:, None, None], axis=2)[:, :, 0]
    eps = np.finfo(np.float64).eps
    return -_average(-np.log(np.clip(picked, eps, 1.0 - eps)), sw_test)


def _log_normalise_3d(A: np.ndarray) -> np.ndarray:
    n, L, k = A.shape
    return _log_normalise(A.reshape(n * L, k)).reshape(n, L, k)


def _roc_auc(est, X_test, y_test, codes_test, sw_test, coef, intercept, Cs):
    D = _decision(X_test, coef, intercept)
    pos = codes_test == 1
    return np.array(
        [roc_auc_score(pos, D[:, j], sample_weight=sw_test) for j in range(D.shape[1])]
    )


_FAST = {"accuracy": _accuracy, "neg_log_loss": _neg_log_loss, "roc_auc": _roc_auc}
