"""Coordinate-descent solver for binary L2-logistic regression (``cd_binary``), called directly."""

from __future__ import annotations

from dataclasses import astuple

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize_scalar

from fastridge._fit.validation import check_X
from fastridge._solvers.logistic.cd import cd_binary
from fastridge._solvers.logistic.problem import BinaryProblem
from tests._reference import binary_logistic_objective as _objective
from tests._reference import binary_logistic_problem
from tests._reference import sklearn_binary_logistic as _reference

FORMATS = ["dense", "csr", "csc"]


def _problem(n=150, p=20, seed=0, dtype=np.float64):
    return binary_logistic_problem(n, p, seed, dtype, offset=0.4)


def _as(X, fmt):
    return X if fmt == "dense" else sp.csr_matrix(X).asformat(fmt)


def _fit(X, y, s, lam, fit_intercept, tol=1e-13, max_iter=200, w0=None):
    Xv = check_X(X)
    p = Xv.shape[1]
    w0 = np.zeros(p) if w0 is None else w0
    out = cd_binary(BinaryProblem(Xv, y, s, lam, fit_intercept, tol, 1), w0, max_iter)
    return astuple(out)  # (w, b, certificate, p_null, n_iter, n_passes, solver)


def _certificate_from_scratch(X, y, s, lam, w, fit_intercept):
    """``||grad F(w)||^2 / (2 lam)`` with ``b*(w)`` found by a bounded 1-D minimiser."""
    z = X @ w
    if fit_intercept:
        res = minimize_scalar(
            lambda b: float(s @ np.logaddexp(0.0, -y * (z + b))),
            bracket=(-1.0, 1.0),
            tol=1e-12,
        )
        b = res.x
    else:
        b = 0.0
    r = -y / (1.0 + np.exp(y * (z + b)))
    g = X.T @ (s * r) + lam * w
    return float(g @ g) / (2.0 * lam), b


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_agrees_with_sklearn_and_certificate_holds(fmt, dtype, fit_intercept, weighted):
    X, y, s = _problem(dtype=dtype)
    s = s if weighted else np.ones(len(y))
    lam = 0.7
    tol = 1e-13
    w, b, cert, p_null, n_iter, n_passes, solver = _fit(_as(X, fmt), y, s, lam, fit_intercept)
    assert solver == "cd"
    assert cert <= tol * p_null
    assert n_iter >= 1 and n_passes > n_iter
    assert b == 0.0 or fit_intercept
    X64 = X.astype(np.float64)  # the float32 data are the same numbers in float64
    w_ref, b_ref = _reference(X64, y, s, lam, fit_intercept)
    p_cd = _objective(X64, y, s, lam, w, b)
    p_ref = _objective(X64, y, s, lam, w_ref, b_ref)
    assert abs(p_cd - p_ref) <= 1e-9 * p_ref
    # The certificate never under-estimates the suboptimality.
    assert cert >= (p_cd - min(p_cd, p_ref)) - 1e-12 * p_ref
    np.testing.assert_allclose(w, w_ref, rtol=0, atol=1e-5 * np.abs(w_ref).max())
    # P_null: the best intercept-only objective (w = 0).
    _, b0 = _certificate_from_scratch(X64, y, s, lam, np.zeros(X.shape[1]), fit_intercept)
    assert p_null == pytest.approx(_objective(X64, y, s, lam, np.zeros(X.shape[1]), b0), 1e-12)


@pytest.mark.parametrize("fmt", FORMATS)
def test_wide_problem_and_small_lam(fmt):
    """p > n and a small penalty: the slow regime of coordinate descent still converges."""
    X, y, s = _problem(n=60, p=90, seed=3)
    lam = 1e-2
    w, b, cert, p_null, *_ = _fit(_as(X, fmt), y, s, lam, True, tol=1e-12, max_iter=5000)
    assert cert <= 1e-12 * p_null
    w_ref, b_ref = _reference(X, y, s, lam, True)
    p_cd = _objective(X, y, s, lam, w, b)
    p_ref = _objective(X, y, s, lam, w_ref, b_ref)
    assert abs(p_cd - p_ref) <= 1e-9 * p_ref
    assert cert >= (p_cd - min(p_cd, p_ref)) - 1e-12 * p_ref


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_zero_weights_drop_rows(fmt, fit_intercept):
    """Rows of weight zero change nothing: same fit as with the rows removed."""
    X, y, s = _problem(seed=1)
    s[::4] = 0.0
    keep = s > 0
    lam = 0.5
    w, b, _cert, p_null, *_ = _fit(_as(X, fmt), y, s, lam, fit_intercept)
    w2, b2, _cert2, p_null2, *_ = _fit(_as(X[keep], fmt), y[keep], s[keep], lam, fit_intercept)
    assert p_null == pytest.approx(p_null2, rel=1e-12)
    np.testing.assert_allclose(w, w2, rtol=1e-7, atol=1e-9)
    assert b == pytest.approx(b2, rel=1e-7, abs=1e-9)
    w_ref, b_ref = _reference(X[keep], y[keep], s[keep], lam, fit_intercept)
    p_cd = _objective(X, y, s, lam, w, b)
    p_ref = _objective(X, y, s, lam, w_ref, b_ref)
    assert abs(p_cd - p_ref) <= 1e-9 * p_ref


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_max_iter_one_reports_honest_certificate(fmt, fit_intercept):
    """After one outer iteration the certificate is the true one at the returned point."""
    X, y, s = _problem(n=200, p=30, seed=2)
    lam = 0.05
    w, b, cert, p_null, n_iter, *_ = _fit(_as(X, fmt), y, s, lam, fit_intercept, max_iter=1)
    assert n_iter == 1
    assert np.any(w != 0.0)
    cert_ref, b_ref = _certificate_from_scratch(X, y, s, lam, w, fit_intercept)
    # Far from the optimum the gradient bound can exceed P(w, b) itself, which
    # is also a certificate (P* >= 0) and caps it (issue 10).
    cert_ref = min(cert_ref, _objective(X, y, s, lam, w, b_ref))
    assert cert == pytest.approx(cert_ref, rel=1e-6)
    assert b == pytest.approx(b_ref, rel=1e-6, abs=1e-9)
    assert cert > 1e-13 * p_null  # not converged: the caller would warn
    w_ref, b_opt = _reference(X, y, s, lam, fit_intercept)
    gap = _objective(X, y, s, lam, w, b) - _objective(X, y, s, lam, w_ref, b_opt)
    assert gap > 0.0
    assert cert >= gap


def test_max_iter_zero_returns_warm_start_and_its_certificate():
    X, y, s = _problem(seed=4)
    # A warm start better than the null model (halfway to the optimum, by
    # convexity of F): one worse than the null model, or with a non-finite
    # objective, is replaced by w = 0 (issue 10; tests/test_logistic_soundness.py).
    w_opt, _ = _reference(X, y, s, 0.3, True)
    rng = np.random.default_rng(7)
    w0 = 0.5 * w_opt + 1e-3 * rng.standard_normal(X.shape[1])
    w, _b, cert, p_null, n_iter, *_ = _fit(X, y, s, 0.3, True, max_iter=0, w0=w0)
    assert _objective(X, y, s, 0.3, w0, _b) < p_null
    assert n_iter == 0
    np.testing.assert_array_equal(w, w0)
    cert_ref, b_ref = _certificate_from_scratch(X, y, s, 0.3, w0, True)
    cert_ref = min(cert_ref, _objective(X, y, s, 0.3, w0, b_ref))  # P(w, b) caps it
    assert cert == pytest.approx(cert_ref, rel=1e-6)


def test_warm_start_converges_and_inputs_untouched():
    """Read-only inputs are fine and never written to; a warm start at the optimum stays."""
    X, y, s = _problem(seed=5)
    Xs = sp.csc_matrix(X)
    for a in (Xs.data, Xs.indices, Xs.indptr, y, s):
        a.flags.writeable = False
    copies = [a.copy() for a in (Xs.data, Xs.indices, Xs.indptr, y, s)]
    w, _b, _cert, p_null, _n_iter, *_ = _fit(Xs, y, s, 0.4, True)
    w0 = w.copy()
    w0.flags.writeable = False
    w2, _b2, cert2, _, n_iter2, *_ = _fit(Xs, y, s, 0.4, True, w0=w0)
    assert n_iter2 <= 1
    assert cert2 <= 1e-13 * p_null
    np.testing.assert_allclose(w2, w, rtol=1e-9, atol=1e-12)
    for a, c in zip((Xs.data, Xs.indices, Xs.indptr, y, s), copies):
        np.testing.assert_array_equal(a, c)


def test_unsorted_csc_with_duplicates():
    """CSC with unsorted indices and duplicate entries (they add up) gives the same fit."""
    X, y, s = _problem(seed=6)
    A = sp.coo_matrix(X)
    rng = np.random.default_rng(8)
    half = rng.random(A.nnz) < 0.5
    # Split every other entry into two duplicates, then shuffle the storage.
    rows = np.concatenate([A.row, A.row[half]])
    cols = np.concatenate([A.col, A.col[half]])
    vals = np.concatenate([np.where(half, 0.5, 1.0) * A.data, 0.5 * A.data[half]])
    # Column-major storage, rows in random order within each column.
    o = np.lexsort((rng.random(len(vals)), cols))
    indptr = np.searchsorted(cols[o], np.arange(X.shape[1] + 1))
    csc = sp.csc_matrix((vals[o], rows[o], indptr), shape=X.shape)
    assert not csc.has_canonical_format
    w, b, *_ = _fit(csc, y, s, 0.6, True)
    w2, b2, *_ = _fit(X, y, s, 0.6, True)
    np.testing.assert_allclose(w, w2, rtol=1e-8, atol=1e-10)
    assert b == pytest.approx(b2, rel=1e-8)
