"""Scores of ridge cross-validation: vectorised MSE / R^2 and scikit-learn scorers.

Shared by the K-fold and leave-one-out routes of :mod:`fastridge._cv.ridge`.
"""

from __future__ import annotations

import inspect

import numpy as np
from sklearn.metrics import get_scorer


def weighted_scores(
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


def call_scorer(scorer, est, X, y, sw) -> float:
    """``scorer(est, X, y)``, with ``sample_weight=sw`` when given and accepted."""
    if sw is not None and _scorer_takes_sample_weight(scorer):
        return float(scorer(est, X, y, sample_weight=sw))
    return float(scorer(est, X, y))


class IdentityRegressor:
    """Fitted-looking regressor whose ``predict(X)`` is ``X`` (for LOO predictions)."""

    _estimator_type = "regressor"

    def __sklearn_tags__(self):
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type="regressor", target_tags=TargetTags(required=True))

    def predict(self, X):
        return X

    def fit(self, X, y=None):  # pragma: no cover - never called
        return self


def loo_scores(g, Y, one_d, sw, per_target, dtype, scoring, store):
    """``(scores (L,) or (L, k), std errors, scoring name, cv_results_ or None)``.

    ``scoring`` None: the negative mean squared leave-one-out (or GCV) error;
    else a scorer applied to the leave-one-out predictions (original scale), as
    scikit-learn.  ``store``: also return scikit-learn's ``cv_results_``.
    """
    k = Y.shape[1]
    L = len(g.lams)
    if scoring is None:
        scores_t = -g.error  # (L, k)
        se_t = g.error_se
        stored = None
        if store:
            sq = g.loo_errors**2  # (n, k, L)
            stored = (sq[:, 0, :] if one_d else sq).astype(dtype)
        if per_target:
            return scores_t, se_t, "neg_mean_squared_error", stored
        # Mean over targets of per-target means = the mean over all (i, t);
        # the standard errors of the targets share one trace estimate.
        return scores_t.mean(axis=1), se_t.mean(axis=1), "neg_mean_squared_error", stored
    scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring
    name = scoring if isinstance(scoring, str) else repr(scorer)
    sqrt_s = np.ones(Y.shape[0]) if sw is None else np.sqrt(sw)
    with np.errstate(divide="ignore", invalid="ignore"):
        # e_i / sqrt(s_i) is the original-scale error; rows of weight 0 have
        # e_i = 0 and get their own target (they carry no weight in the score).
        err = np.where(sqrt_s[:, None, None] > 0, g.loo_errors / sqrt_s[:, None, None], 0.0)
    pred = Y[:, :, None] - err  # (n, k, L)
    stored = (pred[:, 0, :] if one_d else pred).astype(dtype) if store else None
    ident = IdentityRegressor()
    if per_target:
        scores = np.array(
            [
                [call_scorer(scorer, ident, pred[:, t, j], Y[:, t], sw) for t in range(k)]
                for j in range(L)
            ]
        )
    else:
        yy = Y[:, 0] if one_d else Y
        scores = np.array(
            [
                call_scorer(scorer, ident, pred[:, 0, j] if one_d else pred[:, :, j], yy, sw)
                for j in range(L)
            ]
        )
    return scores, np.zeros_like(scores), name, stored
