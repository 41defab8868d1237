"""scikit-learn compatible :class:`RidgeCV`: the penalty chosen by leave-one-out, GCV or K-fold.

``cv=None`` scores every ``alpha`` without refitting (:mod:`fastridge._gcv`):
exact leave-one-out from one eigendecomposition of the smaller Gram matrix
when ``min(n, p)`` is small, otherwise GCV with a Hutchinson estimate of the
trace of the hat matrix (no ``n x n`` or ``p x p`` matrix) and the residuals
of one certified :func:`fastridge.ridge_path` on all the data.  ``cv=k`` or a
splitter: one certified :func:`fastridge.ridge_path` per fold over all
``alphas``; the test-fold predictions of all ``alphas`` come from one
multi-vector product ``X_test @ coef^T``.
"""

from __future__ import annotations

import inspect
import numbers
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, MultiOutputMixin, RegressorMixin
from sklearn.metrics import get_scorer
from sklearn.model_selection import check_cv
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted

from . import _gcv
from ._api import centred_targets, ridge
from ._cast import cast_fit
from ._estimators import Ridge
from ._grid import default_lam_min_ratio, geometric_grid, lam_max_from_gradient
from ._operators import DesignOperator
from ._path_result import CVResult
from ._ridge_path import path_with_predictions
from ._threads import blas_limit, numba_threads, pool_workers, resolve_n_threads, thread_map
from ._validation import check_predict_X, check_sample_weight, check_X, check_y, validate_data

#: Accepted ``gcv_mode`` values.
GCV_MODES = ("auto", "eigen", "svd", "gcv", "stochastic")

# ``gcv_mode="auto"`` uses exact leave-one-out when m = min(n, p) is at most
# this.  Its cost is one dense m x m Gram, eigh (~9 m^3 flops: 0.15 s at
# m = 1000, 1 s at m = 2000 on one core of this machine), A V for primal form
# (m products with X) and 2 n m L flops for L alphas -- paid once, and exact.
# The stochastic estimate costs n_probes (30) vectors times the CG iterations
# of the smallest alpha (tens to hundreds) in passes over X; below ~1000 the
# exact route is cheaper or comparable, above it the m^3 and the n x m
# eigenvector block grow faster than the Krylov cost.
EXACT_MAX_DIM = 1024
# ... and when the n x m eigenvector block fits this budget (bytes).
EXACT_MAX_BYTES = 2 * 2**30

# Default grid size when alphas=None (as ridge_path).
_DEFAULT_N_LAMS = 50

# Scorers computed for all alphas at once from the test-fold predictions.
_FAST_SCORERS = ("neg_mean_squared_error", "r2")


def default_alphas(op: DesignOperator, Yc: np.ndarray, n_lams: int = _DEFAULT_N_LAMS):
    """The default grid of :func:`fastridge.ridge_path` for these data (decreasing).

    ``lam_max = ||Xc^T S yc||^2 / (2 * 0.01 * P_null)`` (largest over targets),
    down to ``lam_max * lam_min_ratio`` (1e-4 when ``n >= p``, else 1e-2); see
    :mod:`fastridge._grid`.  ``op`` must have been built with ``targets=Yc``.
    """
    B = op.xt_s_targets
    p_null = 0.5 * (op.s @ Yc**2)
    grad0_sq = np.einsum("ij,ij->j", B, B)
    fallback = float(op.col_sq_norms().max())
    lam_max = max(lam_max_from_gradient(g, pn, fallback) for g, pn in zip(grad0_sq, p_null))
    return geometric_grid(lam_max, n_lams, default_lam_min_ratio(op.n, op.p))


#: scikit-learn's default ``alphas`` of ``RidgeCV`` (the default here too).
SKLEARN_ALPHAS = (0.1, 1.0, 10.0)


def _check_alphas(alphas) -> np.ndarray | None:
    """``alphas`` as a float array; None for ``"auto"`` (the data-derived grid)."""
    if isinstance(alphas, str):
        if alphas != "auto":
            raise ValueError(f"alphas must be 'auto' or positive numbers, got {alphas!r}")
        return None
    if alphas is None:
        raise ValueError(
            "alphas=None is not a grid: give positive numbers, or 'auto' for the "
            "data-derived grid of fastridge.ridge_path"
        )
    arr = np.asarray(alphas)
    if arr.dtype.kind not in "fiu":
        # Name the first offending entry in scikit-learn's words ("alphas[2]
        # must be an instance of float, not str"), so code matching its
        # messages keeps working.
        for i, a in enumerate(np.ravel(np.asarray(alphas, dtype=object))):
            if not isinstance(a, numbers.Real) or isinstance(a, bool):
                raise TypeError(
                    f"alphas[{i}] must be an instance of float, not {type(a).__name__}: "
                    f"alphas must be positive numbers, got {alphas!r}"
                )
        raise TypeError(f"alphas must be positive numbers, got {alphas!r}")
    arr = arr.astype(np.float64).ravel()
    if arr.size == 0:
        raise ValueError("alphas is empty")
    bad = np.flatnonzero(~np.isfinite(arr) | (arr <= 0))
    if bad.size:
        i = int(bad[0])
        a = np.ravel(np.asarray(alphas, dtype=object))[i]
        a = a.item() if isinstance(a, np.generic) else a
        # scikit-learn's wording ("alphas[1] == -1, must be > 0.0"), then ours;
        # alpha = 0 is refused for every cv (the certificate needs alpha > 0).
        raise ValueError(
            f"alphas[{i}] == {a!r}, must be > 0.0 and finite: alphas must be finite and "
            f"positive, got {alphas!r}"
        )
    return arr


def _weighted_scores(
    Yt: np.ndarray, pred: np.ndarray, st: np.ndarray | None, name: str
) -> np.ndarray:
    """Per-target ``neg_mean_squared_error`` or ``r2`` of ``pred`` (nt, L, k): (L, k).

    Weighted by ``st`` when given.  ``r2`` follows scikit-learn's
    ``r2_score``: 1 where the target is constant on the fold and predicted
    exactly, 0 where constant and not, NaN for fewer than two test samples.
    """
    w = np.ones(Yt.shape[0]) if st is None else st
    W = w.sum()
    resid = Yt[:, None, :] - pred
    sse = np.einsum("i,ilk->lk", w, resid * resid)
    if name == "neg_mean_squared_error":
        return -sse / W
    ybar = (w @ Yt) / W
    sst = w @ (Yt - ybar) ** 2  # (k,)
    if Yt.shape[0] < 2:
        return np.full(sse.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = 1.0 - sse / sst[None, :]
    const = sst[None, :] == 0
    return np.where(const, np.where(sse == 0, 1.0, 0.0), r2)


def _scorer_takes_sample_weight(scorer) -> bool:
    from sklearn.metrics._scorer import _BaseScorer

    if isinstance(scorer, _BaseScorer):
        return True
    try:
        params = inspect.signature(scorer).parameters
    except (TypeError, ValueError):
        return False
    return "sample_weight" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
    )


def _call_scorer(scorer, est, X, y, sw) -> float:
    if sw is not None and _scorer_takes_sample_weight(scorer):
        return float(scorer(est, X, y, sample_weight=sw))
    return float(scorer(est, X, y))


class _IdentityRegressor:
    """Fitted-looking regressor whose ``predict(X)`` is ``X`` (for LOO predictions)."""

    _estimator_type = "regressor"

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True))

    def predict(self, X):
        return X

    def fit(self, X, y=None):  # pragma: no cover - never called
        return self


def _frozen_ridge(coef, intercept, p: int, fit_intercept: bool, feature_names=None) -> Ridge:
    """A :class:`fastridge.Ridge` carrying given coefficients (for third-party scorers)."""
    est = Ridge(fit_intercept=fit_intercept)
    est.coef_ = coef
    est.intercept_ = intercept
    est.n_features_in_ = p
    if feature_names is not None:
        est.feature_names_in_ = feature_names
    return est


def kfold_scores(
    X,
    Y: np.ndarray,
    one_d: bool,
    sw: np.ndarray | None,
    lams: np.ndarray,
    folds,
    *,
    fit_intercept: bool,
    scoring,
    per_target: bool,
    tol: float,
    n_threads: int | None,
) -> np.ndarray:
    """Test scores of every fold and ``lam``: ``(F, L)``, or ``(F, L, k)`` per target.

    One :func:`fastridge.ridge_path` per fold over all ``lams`` (in the order
    given).  A fold is ``X`` itself with zero weights on its test rows (no copy
    of ``X``); the test predictions for every ``lam`` come with the path (see
    :func:`fastridge._ridge_path.path_with_predictions`).  ``scoring`` is
    ``"neg_mean_squared_error"`` or ``"r2"`` (vectorised, weighted by the test
    rows' ``sw``; uniform average over targets unless ``per_target``), or a
    scorer callable applied to a :class:`fastridge.Ridge` holding each fold's
    coefficients.

    Folds run in ``min(n_threads, n_folds)`` Python threads, the kernel
    threads divided among them (the kernels release the GIL; Numba's thread
    count is per thread).  Measured on the 200,000 x 100,000 benchmark, four
    fold paths: 2.41-2.58 s one after another with 2 kernel threads each,
    2.09-2.17 s two at a time with one each (the vector work between passes
    then overlaps).  BLAS is held at one thread for the whole pool.
    """
    L, k = len(lams), Y.shape[1]
    order = np.argsort(-lams, kind="stable")  # ridge_path returns decreasing lams
    n, p = X.shape
    out = np.empty((len(folds), L, k) if per_target else (len(folds), L))
    base = np.ones(n) if sw is None else sw
    nt = resolve_n_threads(n_threads)
    workers = pool_workers(nt, len(folds))
    per_worker = max(1, nt // workers)

    def fold_path(fold):
        train, test = fold
        train_mask = np.zeros(n, dtype=bool)
        train_mask[train] = True
        return path_with_predictions(
            X,
            Y,
            lams,
            rows=test if isinstance(scoring, str) else None,
            fit_intercept=fit_intercept,
            sample_weight=np.where(train_mask, base, 0.0),
            tol=tol,
            n_threads=per_worker,
        )

    with blas_limit(1):
        paths = thread_map(fold_path, folds, workers)
    for f, ((_train, test), (path, pred_sorted)) in enumerate(zip(folds, paths)):
        st = None if sw is None else sw[test]
        coef = np.empty((L, k, p))
        intercept = np.empty((L, k))
        coef[order] = path.coef.reshape(L, k, p)
        intercept[order] = path.intercept.reshape(L, k)
        Yt = Y[test]
        if isinstance(scoring, str):
            pred = np.empty_like(pred_sorted)
            pred[:, order] = pred_sorted
            s = _weighted_scores(Yt, pred, st, scoring)
            out[f] = s if per_target else s.mean(axis=1)
            continue
        Xt = X[test]
        y_t = Yt[:, 0] if one_d else Yt
        for j in range(L):
            if per_target:
                for t in range(k):
                    est = _frozen_ridge(coef[j, t], intercept[j, t], p, fit_intercept)
                    out[f, j, t] = _call_scorer(scoring, est, Xt, Yt[:, t], st)
            else:
                c = coef[j, 0] if one_d else coef[j]
                b = intercept[j, 0] if one_d else intercept[j]
                est = _frozen_ridge(c, b, p, fit_intercept)
                out[f, j] = _call_scorer(scoring, est, Xt, y_t, st)
    return out


class RidgeCV(MultiOutputMixin, RegressorMixin, BaseEstimator):
    """Ridge regression with the penalty chosen by cross-validation, certified.

    For each ``alpha`` (``lam``), the model of :class:`fastridge.Ridge`
    (``1/2 sum_i s_i (y_i - x_i . w - b)^2 + alpha/2 ||w||^2``, the minimiser
    of scikit-learn's ``Ridge(alpha)``) is scored, the best ``alpha`` chosen
    (the first in ``alphas`` on ties, as scikit-learn) and the model at that
    ``alpha`` fitted on all the data to the certified accuracy ``tol``.

    ``cv=None`` (no refits, :mod:`fastridge._gcv` has the formulas):

    * ``gcv_mode="eigen"`` (or ``"svd"``, an alias kept for scikit-learn
      compatibility: the eigendecomposition of the smaller Gram matrix *is* the
      thin SVD of ``S^{1/2} Xc``): exact leave-one-out errors, equal to
      scikit-learn's ``RidgeCV(cv=None)``; ``cv_result_.method == "loo"``.
    * ``"gcv"``: exact generalised cross-validation through the same
      eigendecomposition (``"gcv"``).
    * ``"stochastic"``: GCV with a Hutchinson estimate of ``tr(Hat)`` from
      ``n_probes`` Rademacher probes solved by multi-shift CG for all
      ``alphas`` at once, and the residuals of one certified
      :func:`fastridge.ridge_path` on all the data; forms no ``n x n`` or
      ``p x p`` matrix and reports the standard error of the score
      (``"gcv-stochastic"``).
    * ``"auto"``: ``"eigen"`` when ``min(n, p) <= EXACT_MAX_DIM`` (1024) and
      the ``n x min(n, p)`` eigenvector block fits in 2 GiB, else
      ``"stochastic"``.

    ``cv=int`` (``KFold`` without shuffling) or a splitter / iterable of
    ``(train, test)``: one certified :func:`fastridge.ridge_path` per fold over
    all ``alphas``, scored on the test rows (``"kfold"``).

    Parameters
    ----------
    alphas : array-like of float or "auto", default=(0.1, 1.0, 10.0)
        Positive penalties; their order is kept in ``cv_results_``,
        ``alphas_`` and ``cv_result_``.  The default is scikit-learn's.
        ``"auto"`` (opt-in, fastridge only): the default grid of
        :func:`fastridge.ridge_path` on all the data (50 values, decreasing
        from the ``lam`` where the fit explains 1% of the null objective).
    fit_intercept : bool, default=True
    cv : int, splitter or iterable of (train, test), optional
        None for leave-one-out / GCV (see above).
    scoring : str or callable, optional
        None: negative mean squared (leave-one-out) error for ``cv=None``,
        R^2 for K-fold (scikit-learn's defaults).  For K-fold,
        ``"neg_mean_squared_error"`` and ``"r2"`` are computed for all
        ``alphas`` from one product per fold; any other scikit-learn scorer
        name or callable ``scorer(estimator, X, y)`` is applied to a
        :class:`fastridge.Ridge` holding each fold's coefficients.  K-fold
        test scores are weighted by ``sample_weight`` (so that integer weights
        equal repeated rows; scikit-learn's ``RidgeCV`` ignores the weights in
        K-fold scores unless metadata routing is enabled).  For the exact
        leave-one-out a scorer is applied to the leave-one-out predictions
        (as scikit-learn); the GCV modes accept only None.
    gcv_mode : {"auto", "eigen", "svd", "gcv", "stochastic"}, default="auto"
    alpha_per_target : bool, default=False
        Choose one ``alpha`` per target (multi-target ``y``) from its own score.
        Only with ``cv=None``: like scikit-learn, a ValueError otherwise.
    store_cv_results : bool, default=False
        Keep ``cv_results_`` (``cv=None`` with exact leave-one-out only, as
        scikit-learn).
    n_probes : int, default=30
        Hutchinson probes of the stochastic GCV (standard error ~ 1/sqrt(n_probes)).
    random_state : int, numpy Generator, RandomState or None, default=0
        Seed of the stochastic GCV probes, its only random choice
        (``np.random.default_rng(random_state)``; a ``RandomState`` draws the
        seed from itself; None gives fresh, unreproducible probes).  Not a
        scikit-learn ``RidgeCV`` parameter (it has no stochastic mode); the
        default 0 keeps fits reproducible.
    tol : float, default=1e-8
        Relative accuracy of every certified fit (paths and the final fit).
    n_threads : int, optional
        Kernel threads; None uses all of Numba's threads.

    Attributes
    ----------
    alpha_ : float or ndarray of shape (n_targets,)
        The chosen penalty (one per target with ``alpha_per_target``).
    best_score_ : float or ndarray of shape (n_targets,)
    coef_ : ndarray of shape (n_features,) or (n_targets, n_features)
        Same dtype as ``X``.
    intercept_ : float or ndarray of shape (n_targets,)
    certificate_ : float or ndarray
        Upper bound on ``P(w, b) - P*`` of the returned model at ``alpha_``.
    cv_results_ : ndarray of shape (n_samples, n_alphas) or (n_samples, n_targets, n_alphas)
        With ``store_cv_results``: squared leave-one-out errors (scoring None)
        or leave-one-out predictions (scikit-learn's layout and meaning).
    cv_result_ : CVResult
        Scores over ``alphas_`` (mean, standard error, fold scores, chosen
        index, method ``"loo"``, ``"gcv"``, ``"gcv-stochastic"`` or ``"kfold"``).
    alphas_ : ndarray
        The penalties scored.
    gcv_ : fastridge._gcv.GCVScores or None
        For ``cv=None``: degrees of freedom, their standard error and the
        probe-solve bound (stochastic), residual sums of squares.
    n_features_in_ : int
    feature_names_in_ : ndarray, when fitted on a DataFrame with string column names
    """

    def __init__(
        self,
        alphas=SKLEARN_ALPHAS,
        *,
        fit_intercept: bool = True,
        cv=None,
        scoring=None,
        gcv_mode: str = "auto",
        alpha_per_target: bool = False,
        store_cv_results: bool = False,
        n_probes: int = 30,
        random_state=0,
        tol: float = 1e-8,
        n_threads: int | None = None,
    ):
        self.alphas = alphas
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.gcv_mode = gcv_mode
        self.alpha_per_target = alpha_per_target
        self.store_cv_results = store_cv_results
        self.n_probes = n_probes
        self.random_state = random_state
        self.tol = tol
        self.n_threads = n_threads

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------
    def _check_params(self):
        if self.gcv_mode not in GCV_MODES:
            raise ValueError(f"gcv_mode must be one of {GCV_MODES}, got {self.gcv_mode!r}")
        if (
            isinstance(self.n_probes, bool)
            or not isinstance(self.n_probes, numbers.Integral)
            or self.n_probes < 2
        ):
            raise ValueError(f"n_probes must be an integer >= 2, got {self.n_probes!r}")
        rs = self.random_state
        if not (
            rs is None
            or isinstance(rs, (np.random.Generator, np.random.RandomState))
            or (isinstance(rs, numbers.Integral) and not isinstance(rs, bool))
        ):
            raise ValueError(
                f"random_state must be None, an int, a numpy Generator or RandomState, got {rs!r}"
            )
        if self.cv is not None and self.store_cv_results:
            raise ValueError("cv!=None and store_cv_results=True are incompatible")
        if self.cv is not None and self.alpha_per_target:
            # scikit-learn's message and type: per-target alphas need the per-target
            # leave-one-out / GCV scores.
            raise ValueError("cv!=None and alpha_per_target=True are incompatible")

    def _seed(self):
        """``random_state`` as an argument of ``np.random.default_rng``.

        A ``RandomState`` gives a seed drawn from it (so it advances, as
        scikit-learn's estimators consume their ``RandomState``).
        """
        rs = self.random_state
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(np.iinfo(np.int32).max))
        return rs

    def _resolve_mode(self, n: int, p: int) -> str:
        mode = self.gcv_mode
        if mode == "auto":
            m = min(n, p)
            exact = m <= EXACT_MAX_DIM and 8 * n * m <= EXACT_MAX_BYTES
            mode = "eigen" if exact else "stochastic"
        return {"eigen": "loo", "svd": "loo", "gcv": "gcv", "stochastic": "gcv-stochastic"}[mode]

    def fit(self, X, y, sample_weight=None) -> RidgeCV:
        """Score every alpha, choose, and fit on all the data at the chosen alpha."""
        t0 = time.perf_counter()
        self._check_params()
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=True,
        )
        Xv = check_X(X)
        n, p = Xv.shape
        Y, one_d = check_y(y, n)
        k = Y.shape[1]
        sw = check_sample_weight(sample_weight, n)
        user_alphas = _check_alphas(self.alphas)
        per_target = bool(self.alpha_per_target) and k > 1
        nt = resolve_n_threads(self.n_threads)

        if self.cv is None:
            method = self._resolve_mode(n, p)
            if method != "loo" and self.scoring is not None:
                raise ValueError(
                    f"scoring={self.scoring!r} needs per-sample leave-one-out predictions: "
                    "use gcv_mode='eigen' or a K-fold cv (GCV estimates the mean squared "
                    "error only)"
                )
            if self.store_cv_results and method != "loo":
                raise ValueError(
                    "store_cv_results=True needs the per-sample leave-one-out errors: "
                    "use gcv_mode='eigen' (or 'auto' on a problem with small min(n, p))"
                )
            store = method == "loo" and (self.store_cv_results or self.scoring is not None)
            blas = None if method != "gcv-stochastic" else 1
            with numba_threads(nt), blas_limit(blas):
                _, Yc = centred_targets(Y, sw, self.fit_intercept)
                op = DesignOperator(Xv, sw, self.fit_intercept, nt, targets=Yc)
                alphas = default_alphas(op, Yc) if user_alphas is None else user_alphas
                if method == "gcv-stochastic":
                    # Fitted values on every row come from the path's X Z (no pass).
                    path, fitted = path_with_predictions(
                        X,
                        Y,
                        alphas,
                        rows=np.arange(n),
                        fit_intercept=self.fit_intercept,
                        sample_weight=sw,
                        tol=self.tol,
                        n_threads=nt,
                    )
                    order = np.argsort(-alphas, kind="stable")
                    coef_all = np.empty((len(alphas), k, p))
                    coef_all[order] = path.coef.reshape(len(alphas), k, p)
                    icpt_all = np.empty((len(alphas), k))
                    icpt_all[order] = path.intercept.reshape(len(alphas), k)
                    cert_all = np.empty((len(alphas), k))
                    cert_all[order] = path.certificate.reshape(len(alphas), k)
                    resid = Y[:, None, :] - fitted  # (n, L sorted, k)
                    rss = np.empty((len(alphas), k))
                    rss[order] = np.einsum("i,ilk->lk", op.s, resid * resid)
                    del resid, fitted
                    g = _gcv.stochastic_gcv(
                        op,
                        Yc,
                        alphas,
                        coef_all,
                        n_probes=int(self.n_probes),
                        random_state=self._seed(),
                        rss=rss,
                    )
                else:
                    g = _gcv.exact_scores(op, Yc, alphas, method=method, store=store)
            self.gcv_ = g
            scores, se, scoring_name = self._gcv_scores(g, Y, one_d, sw, per_target, X.dtype)
            fold_scores = None
        else:
            if user_alphas is None:
                with numba_threads(nt):
                    _, Yc = centred_targets(Y, sw, self.fit_intercept)
                    op = DesignOperator(Xv, sw, self.fit_intercept, nt, targets=Yc)
                    alphas = default_alphas(op, Yc)
            else:
                alphas = user_alphas
            method = "kfold"
            folds = list(check_cv(self.cv, y, classifier=False).split(X, y))
            scoring_name = "r2" if self.scoring is None else self.scoring
            if isinstance(scoring_name, str):
                fast = scoring_name in _FAST_SCORERS
                scorer = scoring_name if fast else get_scorer(scoring_name)
            else:
                scorer, scoring_name = scoring_name, repr(scoring_name)
            fold_scores = kfold_scores(
                X,
                Y,
                one_d,
                sw,
                alphas,
                folds,
                fit_intercept=self.fit_intercept,
                scoring=scorer,
                per_target=per_target,
                tol=self.tol,
                n_threads=nt,
            )
            F = len(folds)
            scores = fold_scores.mean(axis=0)
            std = fold_scores.std(axis=0, ddof=1) if F > 1 else np.zeros_like(scores)
            se = std / np.sqrt(F)
            self.gcv_ = None

        # First maximum in the order of alphas (scikit-learn's tie rule); NaN never wins.
        best = np.argmax(np.where(np.isnan(scores), -np.inf, scores), axis=0)
        self.alphas_ = alphas
        if per_target:
            self.alpha_ = alphas[best].copy()
            self.best_score_ = scores[best, np.arange(k)]
        else:
            best = int(best)
            self.alpha_ = float(alphas[best])
            self.best_score_ = float(scores[best])

        # The model at the chosen alpha: the certified path point when the path
        # ran on all the data (stochastic GCV), else one certified fit.
        if method == "gcv-stochastic":
            bi = best if per_target else np.full(k, best)
            coef = coef_all[bi, np.arange(k)]
            icpt = icpt_all[bi, np.arange(k)]
            cert = cert_all[bi, np.arange(k)]
            p_null = np.atleast_1d(path.p_null)
            if not path.converged:
                bad = cert > self.tol * p_null
                if bad.any():
                    from ._api import _convergence_warning

                    warnings.warn(
                        f"RidgeCV: the path point at the chosen alpha did not converge to "
                        f"a certified fit for {int(bad.sum())} of {k} target(s)",
                        _convergence_warning(),
                        stacklevel=2,
                    )
            lam_final = alphas[bi]
            if one_d:
                coef, icpt, cert = coef[0], float(icpt[0]), float(cert[0])
                p_null, lam_final = float(p_null[0]), float(lam_final[0])
        else:
            res = ridge(
                X,
                y,
                self.alpha_,
                fit_intercept=self.fit_intercept,
                sample_weight=sw,
                tol=self.tol,
                n_threads=nt,
            )
            coef, icpt, cert = res.coef, res.intercept, res.certificate
            p_null, lam_final = res.p_null, res.lam
        coef, icpt, cert = cast_fit(
            X, coef, icpt, cert, p_null, lam_final, self.tol, sw, self.fit_intercept
        )
        if not one_d and k == 1:  # y (n, 1): scikit-learn 1.9 gives coef_ (p,), intercept_ (1,)
            coef, icpt = coef.reshape(-1), np.asarray(icpt).reshape(1)
        self.coef_ = coef
        self.intercept_ = icpt
        self.certificate_ = cert
        self.cv_result_ = CVResult(
            lams=np.asarray(alphas, dtype=np.float64).copy(),
            mean_score=scores,
            std_error=se,
            fold_scores=fold_scores,
            best_index=best,
            scoring=str(scoring_name),
            method=method,
            seconds=time.perf_counter() - t0,
        )
        return self

    def _gcv_scores(self, g, Y, one_d, sw, per_target, dtype):
        """``(scores (L,) or (L, k), std errors, scoring name)``; sets ``cv_results_``."""
        k = Y.shape[1]
        L = len(g.lams)
        if self.scoring is None:
            scores_t = -g.error  # (L, k)
            se_t = g.error_se
            if self.store_cv_results:
                sq = g.loo_errors**2  # (n, k, L)
                self.cv_results_ = (sq[:, 0, :] if one_d else sq).astype(dtype)
            if per_target:
                return scores_t, se_t, "neg_mean_squared_error"
            # Mean over targets of per-target means = the mean over all (i, t);
            # the standard errors of the targets share one trace estimate.
            return scores_t.mean(axis=1), se_t.mean(axis=1), "neg_mean_squared_error"
        # A scorer on the leave-one-out predictions (original scale), as scikit-learn.
        scorer = get_scorer(self.scoring) if isinstance(self.scoring, str) else self.scoring
        name = self.scoring if isinstance(self.scoring, str) else repr(scorer)
        sqrt_s = np.ones(Y.shape[0]) if sw is None else np.sqrt(sw)
        with np.errstate(divide="ignore", invalid="ignore"):
            # e_i / sqrt(s_i) is the original-scale error; rows of weight 0 have
            # e_i = 0 and get their own target (they carry no weight in the score).
            err = np.where(sqrt_s[:, None, None] > 0, g.loo_errors / sqrt_s[:, None, None], 0.0)
        pred = Y[:, :, None] - err  # (n, k, L)
        if self.store_cv_results:
            self.cv_results_ = (pred[:, 0, :] if one_d else pred).astype(dtype)
        ident = _IdentityRegressor()
        if per_target:
            scores = np.array(
                [
                    [_call_scorer(scorer, ident, pred[:, t, j], Y[:, t], sw) for t in range(k)]
                    for j in range(L)
                ]
            )
        else:
            yy = Y[:, 0] if one_d else Y
            scores = np.array(
                [
                    _call_scorer(scorer, ident, pred[:, 0, j] if one_d else pred[:, :, j], yy, sw)
                    for j in range(L)
                ]
            )
        return scores, np.zeros_like(scores), name

    def predict(self, X) -> np.ndarray:
        """``X @ coef_.T + intercept_``."""
        check_is_fitted(self)
        X = validate_data(
            self, X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32], reset=False
        )
        X = check_predict_X(X)  # sparse structure, as fit checks it (a bad indptr crashes X @ w)
        return safe_sparse_dot(X, self.coef_.T, dense_output=True) + self.intercept_
