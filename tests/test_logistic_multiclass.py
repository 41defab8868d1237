"""Multinomial and one-vs-rest logistic regression against scikit-learn (small synthetic data)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn.linear_model import LogisticRegression

import fastridge
from fastridge._fit.validation import check_X
from fastridge._kernels import _softmax
from fastridge._operators.softmax import SoftmaxOperator

FORMATS = ["dense", "csr", "csc"]


def _problem(n=240, p=12, k=4, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.5)
    W = rng.standard_normal((p, k))
    y = np.argmax(X @ W + rng.gumbel(size=(n, k)), axis=1)
    s = rng.uniform(0.2, 2.0, n)
    return X.astype(dtype), y, s


def _as(X, fmt):
    return X if fmt == "dense" else sp.csr_matrix(X).asformat(fmt)


def _multinomial_objective(X, y, s, lam, W, b):
    M = X @ W.T + b
    return float(s @ (logsumexp(M, axis=1) - M[np.arange(len(y)), y]) + 0.5 * lam * (W * W).sum())


def _binary_objective(X, y_pm, s, lam, w, b):
    m = X @ w + b
    return float(s @ np.logaddexp(0.0, -y_pm * m) + 0.5 * lam * w @ w)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_multinomial_matches_sklearn(fmt, dtype, fit_intercept, weighted):
    X, y, s = _problem(seed=1, dtype=dtype)
    s = s if weighted else np.ones(len(y))
    lam = 0.7
    res = fastridge.logistic(
        _as(X, fmt),
        y,
        lam,
        fit_intercept=fit_intercept,
        sample_weight=s if weighted else None,
        tol=1e-14,
    )
    assert res.converged and res.solver == "newton-cg"
    assert res.coef.shape == (4, X.shape[1]) and np.shape(res.intercept) == (4,)
    assert abs(np.sum(res.intercept)) <= 1e-12 * max(1.0, np.abs(res.intercept).max())
    np.testing.assert_array_equal(res.classes, np.arange(4))
    X64 = X.astype(np.float64)
    sk = LogisticRegression(C=1 / lam, tol=1e-14, max_iter=10_000, fit_intercept=fit_intercept)
    sk.fit(X64, y, sample_weight=s)
    b_sk = sk.intercept_ if fit_intercept else 0.0
    p_fr = _multinomial_objective(X64, y, s, lam, res.coef, res.intercept)
    p_sk = _multinomial_objective(X64, y, s, lam, sk.coef_, b_sk)
    assert p_fr <= p_sk * (1 + 1e-9)
    assert abs(p_fr - p_sk) <= 1e-9 * p_sk
    # The certificate bounds the true suboptimality (sklearn's point as the optimum bound).
    assert res.certificate >= p_fr - min(p_fr, p_sk) - 1e-13 * p_sk
    if dtype == np.float64:
        np.testing.assert_allclose(res.coef, sk.coef_, atol=1e-6 * np.abs(sk.coef_).max())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_one_vs_rest_is_one_binary_fit_per_class(fmt, fit_intercept):
    X, y, s = _problem(seed=2)
    lam = 1.3
    res = fastridge.logistic(
        _as(X, fmt),
        y,
        lam,
        fit_intercept=fit_intercept,
        sample_weight=s,
        tol=1e-14,
        multi_class="ovr",
        n_threads=2,
    )
    assert res.converged
    assert res.coef.shape == (4, X.shape[1])
    assert np.shape(res.certificate) == (4,) and np.shape(res.p_null) == (4,)
    for k in range(4):
        y_k = (y == k).astype(int)
        sk = LogisticRegression(
            C=1 / lam,
            tol=1e-14,
            max_iter=1000,
            fit_intercept=fit_intercept,
            solver="newton-cholesky",
        ).fit(X, y_k, sample_weight=s)
        y_pm = np.where(y_k == 1, 1.0, -1.0)
        b_sk = sk.intercept_[0] if fit_intercept else 0.0
        p_fr = _binary_objective(X, y_pm, s, lam, res.coef[k], res.intercept[k])
        p_sk = _binary_objective(X, y_pm, s, lam, sk.coef_[0], b_sk)
        assert abs(p_fr - p_sk) <= 1e-9 * p_sk
        assert res.certificate[k] >= p_fr - min(p_fr, p_sk) - 1e-13 * p_sk


def test_one_vs_rest_threads_do_not_change_the_result():
    X, y, s = _problem(n=300, p=150, k=5, seed=3)
    X = sp.csr_matrix(X)
    one = fastridge.logistic(X, y, 2.0, sample_weight=s, multi_class="ovr", n_threads=1)
    two = fastridge.logistic(X, y, 2.0, sample_weight=s, multi_class="ovr", n_threads=2)
    np.testing.assert_array_equal(one.coef, two.coef)
    np.testing.assert_array_equal(one.intercept, two.intercept)


@pytest.mark.parametrize("tol", [1e-2, 1e-5, 1e-8, 1e-11])
def test_multinomial_certificate_bounds_suboptimality(tol):
    X, y, s = _problem(n=200, p=140, k=3, seed=4)  # p > 128: truncated CG steps
    lam = 0.5
    ref = fastridge.logistic(X, y, lam, sample_weight=s, tol=1e-15)
    p_star = _multinomial_objective(X, y, s, lam, ref.coef, ref.intercept) - ref.certificate
    res = fastridge.logistic(X, y, lam, sample_weight=s, tol=tol)
    p_res = _multinomial_objective(X, y, s, lam, res.coef, res.intercept)
    assert res.converged and res.certificate <= tol * res.p_null
    assert res.certificate >= p_res - p_star - 1e-12 * p_star


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_softmax_hessp_matches_numpy(fmt, dtype):
    """The one-pass Hessian product against its formula (both thread settings)."""
    rng = np.random.default_rng(5)
    X, _, s = _problem(n=90, p=20, k=3, seed=6, dtype=dtype)
    P = rng.random((90, 3))
    P /= P.sum(axis=1, keepdims=True)
    V = rng.standard_normal((20, 3))
    c = rng.standard_normal(3)
    X64 = X.astype(np.float64)
    U = X64 @ V
    Uc = U + c
    T = s[:, None] * P * (Uc - (P * Uc).sum(axis=1, keepdims=True))
    for n_threads in (1, 2):
        op = SoftmaxOperator(check_X(_as(X, fmt)), 3, n_threads)
        op.n_threads = n_threads  # force the parallel kernel on this small matrix
        suffix = "" if n_threads > 1 else "_serial"
        if fmt != "csc":  # CSC uses two generic passes, no fused kernel
            op._hessp = getattr(_softmax, f"{fmt}_softmax_hessp{suffix}")
        op._grad_diag = getattr(_softmax, f"{fmt}_grad_diag{suffix}")
        op._bounds = np.linspace(0, 90, n_threads + 1).astype(np.int64)
        out, tb, U_out = op.hessp(P, s, V, c)
        np.testing.assert_allclose(out, X64.T @ T, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(tb, T.sum(axis=0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(U_out, U, rtol=1e-12, atol=1e-12)
        A, B = rng.standard_normal((90, 3)), rng.random((90, 3))
        g, d = op.grad_diag(A, B)
        np.testing.assert_allclose(g, X64.T @ A, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(d, (X64 * X64).T @ B, rtol=1e-12, atol=1e-12)
