"""Binary L2-logistic regression (``fastridge.logistic``): agreement, certificate, inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

import fastridge
from fastridge.datasets import load_a9a
from tests._reference import binary_logistic_objective as _objective
from tests._reference import sklearn_binary_logistic as _reference

FORMATS = ["dense", "csr", "csc"]


def _problem(n=120, p=15, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.4)
    w = rng.standard_normal(p)
    y = np.where(X @ w + 0.3 + rng.standard_normal(n) > 0, 1, 0)
    s = rng.uniform(0.2, 2.0, n)
    return X.astype(dtype), y, s


def _as(X, fmt):
    return X if fmt == "dense" else sp.csr_matrix(X).asformat(fmt)


def _check_against_reference(res, X64, y01, s, lam, fit_intercept, coef_rtol):
    """Objective to 1e-9 relative, certificate >= suboptimality, coefficients to coef_rtol."""
    w_ref, b_ref = _reference(X64, y01, s, lam, fit_intercept)
    y_pm = np.where(y01 == 1, 1.0, -1.0)
    p_fr = _objective(X64, y_pm, s, lam, res.coef, res.intercept)
    p_ref = _objective(X64, y_pm, s, lam, w_ref, b_ref)
    assert abs(p_fr - p_ref) <= 1e-9 * p_ref
    # The certificate never under-estimates the suboptimality.
    assert res.certificate >= (p_fr - min(p_fr, p_ref)) - 1e-12 * p_ref
    assert np.linalg.norm(res.coef - w_ref) <= coef_rtol * np.linalg.norm(w_ref)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_agrees_with_sklearn_and_certificate_holds(fmt, dtype, fit_intercept, weighted):
    X, y, s = _problem(dtype=dtype)
    sw = s if weighted else None
    s_eff = s if weighted else np.ones(len(y))
    lam = 0.7
    res = fastridge.logistic(
        _as(X, fmt), y, lam, fit_intercept=fit_intercept, sample_weight=sw, tol=1e-14
    )
    assert res.converged and res.solver == "newton-cholesky"  # p = 15: dense Hessian
    # The float32 data are the same numbers as X in float64.
    _check_against_reference(
        res,
        X.astype(np.float64),
        y,
        s_eff,
        lam,
        fit_intercept,
        coef_rtol=1e-7 if dtype == np.float64 else 1e-5,
    )


@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-6])
def test_certificate_bounds_suboptimality_at_loose_tol(tol):
    X, y, s = _problem(n=200, p=30, seed=4)
    lam = 0.1
    y_pm = np.where(y == 1, 1.0, -1.0)
    res = fastridge.logistic(sp.csr_matrix(X), y, lam, sample_weight=s, tol=tol)
    w_ref, b_ref = _reference(X, y, s, lam, True)
    p_star = _objective(X, y_pm, s, lam, w_ref, b_ref)
    subopt = _objective(X, y_pm, s, lam, res.coef, res.intercept) - p_star
    assert res.certificate <= tol * res.p_null
    assert res.certificate >= subopt - 1e-12 * p_star


def test_a9a_matches_sklearn():
    X, y = load_a9a("train")
    lam = 1.0
    res = fastridge.logistic(X, y, lam, tol=1e-12)
    sk = LogisticRegression(C=1.0 / lam, tol=1e-12, max_iter=1000, solver="newton-cholesky")
    sk.fit(X, y)
    y_pm = np.where(y > 0, 1.0, -1.0)
    ones = np.ones(len(y))
    p_fr = _objective(X, y_pm, ones, lam, res.coef, res.intercept)
    p_sk = _objective(X, y_pm, ones, lam, sk.coef_.ravel(), sk.intercept_[0])
    assert abs(p_fr - p_sk) <= 1e-9 * p_sk
    np.testing.assert_array_equal(np.sign(X @ res.coef + res.intercept) > 0, sk.predict(X) > 0)


def test_weights_equal_duplicated_rows():
    X, y, _ = _problem(n=60, p=8, seed=7)
    s = np.ones(60)
    s[:10] = 2.0
    Xd = np.vstack([X, X[:10]])
    yd = np.concatenate([y, y[:10]])
    a = fastridge.logistic(X, y, 0.5, sample_weight=s, tol=1e-15)
    b = fastridge.logistic(Xd, yd, 0.5, tol=1e-15)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-8, atol=1e-10)
    assert abs(a.intercept - b.intercept) <= 1e-8


def test_huge_lam_gives_null_model_at_log_odds():
    X, y, s = _problem(seed=2)
    res = fastridge.logistic(X, y, 1e12, sample_weight=s, tol=1e-10)
    assert np.abs(res.coef).max() < 1e-9
    pos = s[y == 1].sum()
    assert res.intercept == pytest.approx(np.log(pos / s[y == 0].sum()), rel=1e-8)


def test_separable_tiny_lam_warns_and_stays_finite():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0, 0, 1, 1])
    with pytest.warns(ConvergenceWarning):
        res = fastridge.logistic(X, y, 1e-12, tol=1e-16, max_iter=5)
    assert not res.converged
    assert np.isfinite(res.coef).all() and np.isfinite(res.certificate)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.zeros(10), "single class"),
        (np.r_[np.nan, np.ones(9)], "NaN"),
    ],
)
def test_bad_labels(y, match):
    X = np.random.default_rng(0).standard_normal((10, 3))
    with pytest.raises(ValueError, match=match):
        fastridge.logistic(X, y, 1.0)


def test_string_labels_map_in_sorted_order():
    X, y, _ = _problem(seed=5)
    labels = np.where(y == 1, "spam", "ham")  # "spam" > "ham": the +1 class
    a = fastridge.logistic(X, labels, 1.0, tol=1e-14)
    b = fastridge.logistic(X, y, 1.0, tol=1e-14)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)


def test_bad_inputs_are_rejected_before_work():
    X, y, s = _problem(seed=1)
    X[0, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinity"):
        fastridge.logistic(X, y, 1.0)
    X, y, s = _problem(seed=1)
    s[3] = -1.0
    with pytest.raises(ValueError, match="negative"):
        fastridge.logistic(X, y, 1.0, sample_weight=s)
    with pytest.raises(ValueError, match="unknown solver"):
        fastridge.logistic(X, y, 1.0, solver="sag")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fastridge.logistic(X, y, 1.0)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_truncated_newton_cg_path_for_wide_data(fmt, fit_intercept):
    """p > 128 takes the Newton-CG steps (no dense Hessian).  (Named: on dense X such
    problems go to L-BFGS under auto, issue 13.)"""
    X, y, s = _problem(n=300, p=160, seed=9)
    lam = 2.0
    res = fastridge.logistic(
        _as(X, fmt), y, lam, fit_intercept=fit_intercept, sample_weight=s, tol=1e-14,
        solver="newton-cg",
    )  # fmt: skip
    assert res.converged and res.solver == "newton-cg"
    _check_against_reference(res, X, y, s, lam, fit_intercept, coef_rtol=1e-7)
