"""The attributes of a fitted ``LogisticRegressionCV``, laid out as scikit-learn's.

``store_cv`` sets the legacy layout (dicts keyed by class) from the engine's
fold arrays; ``layout`` turns it into scikit-learn 1.9's layouts;
``cv_result`` makes the :class:`CVResult`.
"""

from __future__ import annotations

import numpy as np

from .._paths.results import CVResult


def store_cv(est, classes, Cs, coefs, intercepts, scores, n_iter, paths) -> None:
    """The scikit-learn style attributes of the cross-validation."""
    est.classes_ = classes
    est.Cs_ = Cs
    est.paths_ = paths
    est.n_iter_ = n_iter[None].astype(np.int32)
    if len(classes) == 2:
        keys = classes[1:]
        per_class = coefs[:, :, None, :]
        b = intercepts[:, :, None]
    else:
        keys = classes
        per_class = coefs
        b = intercepts
    est.scores_ = {k: scores.copy() for k in keys}
    est.coefs_paths_ = {}
    for j, k in enumerate(keys):
        path = per_class[:, :, j, :]
        if est.fit_intercept:
            path = np.concatenate([path, b[:, :, j, None]], axis=2)
        est.coefs_paths_[k] = path


def layout(est, l1_axis: bool, legacy: bool) -> None:
    """Lay ``scores_``, ``coefs_paths_``, ``n_iter_``, ``C_``, ``l1_ratio_`` out as
    scikit-learn 1.9 (``store_cv`` made the legacy layout without l1_ratio axis)."""
    if legacy:
        if l1_axis:  # scikit-learn keeps a length-1 l1_ratio axis when l1_ratios is given
            est.scores_ = {c: v[:, :, None] for c, v in est.scores_.items()}
            est.coefs_paths_ = {c: v[:, :, None, :] for c, v in est.coefs_paths_.items()}
            est.n_iter_ = est.n_iter_[..., None]
        return
    keys = list(est.coefs_paths_)
    paths = np.stack([est.coefs_paths_[c] for c in keys])  # (K or 1, F, L, dof)
    # -> (F, n_l1 = 1, L, K or 1, dof)
    est.coefs_paths_ = np.moveaxis(paths[:, :, :, None, :], (0, 1, 3), (3, 0, 1))
    est.scores_ = est.scores_[keys[0]][:, None, :]
    est.n_iter_ = est.n_iter_[0][:, None, :]
    est.C_ = float(est.C_[0])
    est.l1_ratio_ = 0.0


def cv_result(Cs, scores, scorer_name, seconds) -> CVResult:
    """The :class:`CVResult` of the fold scores ``(n_folds, n_Cs)``."""
    mean = scores.mean(axis=0)
    n_folds = len(scores)
    std = scores.std(axis=0, ddof=1) if n_folds > 1 else np.zeros_like(mean)
    return CVResult(
        lams=1.0 / Cs,
        mean_score=mean,
        std_error=std / np.sqrt(n_folds),
        fold_scores=scores,
        best_index=int(np.argmax(scores.sum(axis=0))),
        scoring=scorer_name,
        method="kfold",
        seconds=seconds,
        param_name="C",
    )
