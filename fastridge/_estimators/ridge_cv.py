"""scikit-learn compatible :class:`RidgeCV`: the penalty chosen by leave-one-out, GCV or K-fold.

The scoring is done by the engine in :mod:`fastridge._cv.ridge`; this module
holds the estimator: its parameters, the choice of ``alpha_`` and the final
certified fit.
"""

from __future__ import annotations

import functools
import numbers
import time

import numpy as np

from .._cv.ridge import (
    GCV_MODES,
    default_alphas,
    grid_setup,
    kfold_cv,
    loo_gcv,
    path_point,
    resolve_gcv_mode,
)
from .._cv.scoring import loo_scores
from .._fit.ridge import ridge
from .._fit.threads import numba_threads, resolve_n_threads
from .._fit.validation import check_sample_weight, check_X, check_y
from .._paths.results import CVResult
from ._base import LinearRegressor
from .cast import cast_fit
from .ridge import Ridge

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


def _frozen_ridge(coef, intercept, p: int, fit_intercept: bool, feature_names=None) -> Ridge:
    """A :class:`fastridge.Ridge` carrying given coefficients (for third-party scorers)."""
    est = Ridge(fit_intercept=fit_intercept)
    est.coef_ = coef
    est.intercept_ = intercept
    est.n_features_in_ = p
    if feature_names is not None:
        est.feature_names_in_ = feature_names
    return est


class RidgeCV(LinearRegressor):
    """Ridge regression with the penalty chosen by cross-validation, certified.

    For each ``alpha`` (``lam``), the model of :class:`fastridge.Ridge`
    (``1/2 sum_i s_i (y_i - x_i . w - b)^2 + alpha/2 ||w||^2``, the minimiser
    of scikit-learn's ``Ridge(alpha)``) is scored, the best ``alpha`` chosen
    (the first in ``alphas`` on ties, as scikit-learn) and the model at that
    ``alpha`` fitted on all the data to the certified accuracy ``tol``.

    ``cv=None`` (no refits, :mod:`fastridge._cv.gcv` has the formulas):

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
    gcv_ : fastridge._cv.gcv.GCVScores or None
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

    def fit(self, X, y, sample_weight=None) -> RidgeCV:
        """Score every alpha, choose, and fit on all the data at the chosen alpha."""
        t0 = time.perf_counter()
        self._check_params()
        X, y = self._validate_fit_data(X, y)
        Xv = check_X(X)
        n, p = Xv.shape
        Y, one_d = check_y(y, n)
        k = Y.shape[1]
        sw = check_sample_weight(sample_weight, n)
        user_alphas = _check_alphas(self.alphas)
        per_target = bool(self.alpha_per_target) and k > 1
        nt = resolve_n_threads(self.n_threads)
        path = fold_scores = None
        if self.cv is None:
            method, alphas, path, scores, se, scoring_name = self._score_loo(
                X, Y, one_d, sw, user_alphas, per_target, nt
            )
        else:
            method = "kfold"
            alphas = user_alphas
            if alphas is None:
                setup = grid_setup(X, Y, sw, fit_intercept=self.fit_intercept, n_threads=nt)
                with numba_threads(setup.n_threads):
                    alphas = default_alphas(setup.op, setup.Yc)
            fold_scores, scores, se, scoring_name = kfold_cv(
                X,
                y,
                Y,
                one_d,
                sw,
                alphas,
                self.cv,
                self.scoring,
                per_target=per_target,
                estimator_for=functools.partial(
                    _frozen_ridge, p=p, fit_intercept=self.fit_intercept
                ),
                fit_intercept=self.fit_intercept,
                tol=self.tol,
                n_threads=nt,
            )
            self.gcv_ = None
        best = self._choose(alphas, scores, per_target, k)
        self._fit_final(X, y, sw, alphas, best, path, per_target, one_d, k, nt)
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

    def _score_loo(self, X, Y, one_d, sw, user_alphas, per_target, nt):
        """``cv=None``: ``(method, alphas, path or None, scores, std errors, scoring name)``."""
        n, p = X.shape
        method = resolve_gcv_mode(self.gcv_mode, n, p)
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
        alphas, g, path = loo_gcv(
            X,
            Y,
            sw,
            user_alphas,
            method=method,
            store=store,
            fit_intercept=self.fit_intercept,
            tol=self.tol,
            n_threads=nt,
            n_probes=int(self.n_probes),
            random_state=self._seed() if method == "gcv-stochastic" else None,
        )
        self.gcv_ = g
        scores, se, name, stored = loo_scores(
            g, Y, one_d, sw, per_target, X.dtype, self.scoring, self.store_cv_results
        )
        if stored is not None:
            self.cv_results_ = stored
        return method, alphas, path, scores, se, name

    def _choose(self, alphas, scores, per_target: bool, k: int):
        """Set ``alphas_``, ``alpha_``, ``best_score_``; return the best index (per target)."""
        # First maximum in the order of alphas (scikit-learn's tie rule); NaN never wins.
        best = np.argmax(np.where(np.isnan(scores), -np.inf, scores), axis=0)
        self.alphas_ = alphas
        if per_target:
            self.alpha_ = alphas[best].copy()
            self.best_score_ = scores[best, np.arange(k)]
            return best
        best = int(best)
        self.alpha_ = float(alphas[best])
        self.best_score_ = float(scores[best])
        return best

    def _fit_final(self, X, y, sw, alphas, best, path, per_target, one_d, k, nt) -> None:
        """The model at the chosen alpha: the certified path point when the path ran
        on all the data (stochastic GCV), else one certified fit."""
        if path is not None:
            coef, icpt, cert, p_null, lam_final = path_point(
                path, alphas, best, per_target, one_d, self.tol
            )
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
