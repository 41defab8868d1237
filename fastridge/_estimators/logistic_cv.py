"""scikit-learn compatible :class:`LogisticRegressionCV`: K-fold choice of ``C``, certified fits.

The folds are fitted and scored by the engine in :mod:`fastridge._cv.logistic`
(one warm-started :func:`fastridge.logistic_path` per fold over all ``Cs``);
this module holds the estimator: its parameters, metadata routing, the
choice of ``C_``, the refit and the scikit-learn layouts of the attributes.
"""

from __future__ import annotations

import functools
import time

import numpy as np
from sklearn.metrics import get_scorer
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
)

from .._cv.logistic import LogisticFolds, logistic_cv_folds, make_scoring
from .._fit.distributed import split_view
from .._fit.logistic import logistic
from ._logistic_common import reported_solver
from ._logistic_cv_attributes import cv_result, layout, store_cv
from ._logistic_cv_setup import FitSetup, validate_fit
from ._logistic_model import fit_limit
from .classifiers import LogisticRegression


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
        s = validate_fit(self, X, y, sample_weight, params)
        scorer_name, score_fn = make_scoring(
            self.scoring,
            s.classes,
            len(s.classes) > 2 and s.multi_class == "ovr",
            functools.partial(_fitted, self, s.classes),
        )
        splitter = check_cv(self.cv, s.y, classifier=True)
        folds = list(splitter.split(split_view(s.X), s.y, **s.split_params))
        if not folds:
            raise ValueError("cv produced no folds")
        self._ovr = len(s.classes) > 2 and s.multi_class == "ovr"
        res = logistic_cv_folds(
            s.X,
            s.y,
            s.codes,
            s.classes,
            s.Cs,
            folds,
            score_fn,
            score_weight=s.sw_score,
            multi_class=s.multi_class,
            **self._fit_kwargs(s),
        )
        store_cv(
            self, s.classes, s.Cs, res.coefs, res.intercepts, res.scores, res.n_iter, res.paths
        )
        if self.refit:
            self._refit(s, res)
        else:
            self._average_folds(s, res)
        self.l1_ratios_ = s.l1_ratios_
        # scikit-learn: the chosen entry of l1_ratios_ with refit (None when not given),
        # the mean of the folds' (0.0) without.
        self.l1_ratio_ = (
            np.full(self.C_.shape, s.l1_ratios_[0], dtype=s.l1_ratios_.dtype)
            if self.refit
            else np.zeros_like(self.C_)
        )
        layout(self, s.l1_axis, s.legacy)
        self.cv_result_ = cv_result(s.Cs, res.scores, scorer_name, time.perf_counter() - t0)
        return self

    def _fit_kwargs(self, s: FitSetup) -> dict:
        """The options of every fit: the folds' paths and the refit."""
        return {
            "sample_weight": s.sw_fit,
            "fit_intercept": self.fit_intercept,
            "solver": s.solver,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "n_threads": s.n_threads,
        }

    def _refit(self, s: FitSetup, res: LogisticFolds) -> None:
        """Fit on all the data at the ``C`` of the best mean score (from zero)."""
        K = len(s.classes)
        C_best = float(s.Cs[int(np.argmax(res.scores.sum(axis=0)))])
        weight = np.bincount(s.codes, weights=s.sw_fit, minlength=K)
        if np.all(weight > 0):
            fit = logistic(
                s.X,
                s.y,
                1.0 / C_best,
                **self._fit_kwargs(s),
                **({} if K == 2 else {"multi_class": s.multi_class}),
            )
            self._store(fit, s.X, s.sw_fit)
            self.solver_ = reported_solver(s.solver, fit.solver)
        else:  # a class of weight 0 (class_weight): the limit, as in the folds
            args = (s.X, s.codes, s.sw_fit, s.classes, 1.0 / C_best, s.solver, s.n_threads)
            fit_limit(self, *args, s.multi_class)
        self.C_ = np.full(1 if K == 2 else K, C_best)

    def _average_folds(self, s: FitSetup, res: LogisticFolds) -> None:
        """``refit=False``: the means over folds of each fold's model at its own best ``C``."""
        per_fold_best = np.argmax(res.scores, axis=1)
        rows = np.arange(len(res.scores))
        coef = res.coefs[rows, per_fold_best].mean(axis=0)
        intercept = res.intercepts[rows, per_fold_best].mean(axis=0)
        self.coef_ = np.ascontiguousarray(np.atleast_2d(coef), dtype=s.X.dtype)
        self.intercept_ = np.atleast_1d(np.asarray(intercept, dtype=s.X.dtype)).copy()
        self.certificate_ = None
        ran = [pa.solver for pa in res.paths if pa is not None]
        self.solver_ = reported_solver(s.solver, ran[0]) if ran else "none"
        self.result_ = None
        K = len(s.classes)
        self.C_ = np.full(1 if K == 2 else K, float(np.mean(s.Cs[per_fold_best])))

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
