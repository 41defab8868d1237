"""The validated inputs of ``LogisticRegressionCV.fit``: options, data, weights, routing.

scikit-learn's checks in its order (parameters first, then the data), the
metadata routing of ``split`` and ``score`` parameters, and the weights of the
fits (``class_weight`` applied) and of the test-fold scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.utils.metadata_routing import _raise_for_params, _routing_enabled, process_routing

from .._fit.threads import resolve_n_threads
from .._fit.validation import validate_data
from ._base import FLOATS, SPARSE
from ._logistic_common import (
    check_Cs,
    check_dual,
    check_l1_ratios,
    check_multi_class,
    check_penalty,
    class_weighted,
    encode_labels,
    full_weights,
    logistic_solver,
)
from .ridge import resolve_n_jobs


@dataclass
class FitSetup:
    """The validated inputs of one ``LogisticRegressionCV.fit``."""

    X: object
    y: np.ndarray
    classes: np.ndarray
    codes: np.ndarray
    Cs: np.ndarray
    solver: str
    multi_class: str
    n_threads: int
    sw_fit: np.ndarray | None
    sw_score: np.ndarray | None
    split_params: dict
    l1_ratios_: np.ndarray
    l1_axis: bool
    legacy: bool


def validate_fit(est, X, y, sample_weight, params) -> FitSetup:
    """Check ``est``'s parameters and the data; the weights of the fits and of the scores."""
    _raise_for_params(params, est, "fit")
    multi_class = check_multi_class(est.multi_class)
    check_penalty(est.penalty)
    check_dual(est.dual)
    l1_ratios_, l1_axis = check_l1_ratios(est.l1_ratios)
    legacy = est.use_legacy_attributes
    if legacy not in (True, False, "warn"):
        raise ValueError(f"use_legacy_attributes must be a bool, got {legacy!r}")
    logistic_solver(est.solver)  # refuses liblinear before the data are checked
    Cs = check_Cs(est.Cs)
    nt = resolve_n_threads(resolve_n_jobs(est.n_jobs, est.n_threads))
    X, y = validate_data(est, X, y, accept_sparse=SPARSE, dtype=FLOATS)
    classes, codes = encode_labels(y)
    solver = logistic_solver(est.solver, len(classes), multi_class)
    n = X.shape[0]
    sw_full = None if sample_weight is None else full_weights(sample_weight, n)
    split_params, score_params = {}, {"sample_weight": sw_full}
    if _routing_enabled():
        routed = process_routing(est, "fit", sample_weight=sample_weight, **params)
        split_params, score_params = routed.splitter.split, routed.scorer.score
    unsupported = sorted(set(score_params) - {"sample_weight"})
    if unsupported:
        raise ValueError(f"score parameters {unsupported} are not supported by fastridge")
    sw_score = score_params.get("sample_weight")
    sw_score = None if sw_score is None else full_weights(sw_score, n)
    sw_fit = class_weighted(sw_full, est.class_weight, classes, y, codes)
    if sw_fit is not None and not np.any(sw_fit > 0):
        raise ValueError("sample_weight: every weight is zero (with class_weight applied)")
    return FitSetup(
        X=X,
        y=y,
        classes=classes,
        codes=codes,
        Cs=Cs,
        solver=solver,
        multi_class=multi_class,
        n_threads=nt,
        sw_fit=sw_fit,
        sw_score=sw_score,
        split_params=split_params,
        l1_ratios_=l1_ratios_,
        l1_axis=l1_axis,
        legacy=legacy in (True, "warn"),
    )
