"""Adversarial checks of issue 13's speed features in combination (seeded, fast).

Every check compares the returned model's objective with a high-precision
optimum (tests/_hp_reference.py) and requires ``P(w, b) - P* <= certificate``
whenever the fit reports ``converged``:

- empty-column dropping (a sparse ``X`` with >= 25% empty columns and few
  entries per column) with zero / ``-0.0`` / subnormal sample weights, float32,
  CSR and CSC, explicitly stored zeros, columns whose entries all sit in
  zero-weight rows, several targets, paths (warm starts), multinomial and
  one-vs-rest logistic;
- ``lbfgs`` (and ``auto`` on dense ``X``) with huge column means, tiny scales,
  duplicated columns, float32 C / F order, nearly separable labels, ``p > n``;
- ``auto``'s ``dual-cd`` (binary, no intercept, ``p >= 2.5 n``) with badly
  scaled columns and zero weights;
- the zero-weight row skipping of the kernels: a fit with weights exactly 0
  (or ``-0.0``) certifies the same objective as the fit without those rows;
- the estimators' ``certificate_`` for float32 ``X``: it must bound the
  *stored* (float32-rounded) ``coef_`` / ``intercept_``, for the classifiers as
  for :class:`fastridge.Ridge` (found here: ``LogisticRegression``,
  ``LogisticRegressionCV`` and ``RidgeClassifier`` reported the float64
  certificate for float32 coefficients).
"""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
import fastridge._fit.columns as C
from fastridge._fit.compressed import Compressed
from fastridge._fit.validation import check_X

from ._hp_reference import (
    logistic_gap,
    logistic_reference,
    multinomial_gap,
    multinomial_reference,
    ridge_gaps,
    ridge_reference,
)

DPS = 40


def _assert_certified(gap, cert, scale=0.0):
    """``gap <= cert`` (a relative slack of 1e-9, and ``1e-25 scale`` for the reference)."""
    gap, cert = float(gap), float(cert)
    assert gap <= cert * (1 + 1e-9) + 1e-25 * scale, (gap, cert)


def _drops(X) -> bool:
    """Whether the fit drops empty columns of ``X`` (the rule of columns.py)."""
    Xv = check_X(X)
    return isinstance(Xv, Compressed) and C.drop_empty_columns(Xv)[1] is not None


def _weights(rng, n, kind):
    sw = rng.uniform(0.2, 3.0, n)
    sw[rng.random(n) < 0.3] = 0.0
    if kind >= 1:
        sw[rng.random(n) < 0.2] = -0.0
    if kind >= 2:
        sw[int(rng.integers(n))] = 5e-324
    sw[0] = 1.0
    return sw


def _sparse_problem(seed, fmt, dtype, targets=1, p=32, n_live=14):
    """A sparse ``X`` with ~half its columns empty, explicit zeros, and columns
    whose entries are all in zero-weight rows (empty only once those are ignored)."""
    rng = np.random.default_rng(seed)
    n = 40
    live = rng.choice(p, size=n_live, replace=False)
    k = 2 * n
    rows, cols = rng.integers(0, n, k), rng.choice(live, k)
    vals = rng.standard_normal(k) * 10.0 ** rng.uniform(-2, 2, p)[cols]
    vals[rng.random(k) < 0.15] = 0.0
    sw = _weights(rng, n, seed % 3)
    zero_rows = np.flatnonzero(sw == 0)
    ghost = np.setdiff1d(np.arange(p), live)[:3]  # entries only in zero-weight rows
    rows = np.concatenate([rows, np.repeat(zero_rows, ghost.size)])
    cols = np.concatenate([cols, np.tile(ghost, zero_rows.size)])
    vals = np.concatenate([vals, rng.standard_normal(zero_rows.size * ghost.size) * 1e3])
    X = sp.coo_matrix((vals, (rows, cols)), shape=(n, p)).asformat(fmt).astype(dtype)
    y = rng.standard_normal((n, targets)) * 3 + 1e3
    return X, (y[:, 0] if targets == 1 else y), sw


def _kept(X, coef):
    """``(X, coef)`` on the non-empty columns, after checking the others are exactly 0.

    An empty column's optimal coefficient is 0 and it adds nothing to the
    objective, so the reference is computed without it (much faster)."""
    kept = np.flatnonzero(np.diff(sp.csc_matrix(X).indptr) > 0)
    W = np.asarray(coef).reshape(-1, X.shape[1])
    assert np.all(np.delete(W, kept, axis=1) == 0)
    return sp.csc_matrix(X)[:, kept], W[:, kept]


# --------------------------------------------------------------------- ridge
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("targets", [1, 3])
@pytest.mark.parametrize("solver", ["auto", "cd", "cg"])
def test_ridge_empty_columns_with_zero_weights(fmt, dtype, targets, solver):
    seed = zlib.crc32(f"{fmt}{np.dtype(dtype).name}{targets}{solver}".encode()) % 1000
    X, y, sw = _sparse_problem(seed, fmt, dtype, targets)
    assert _drops(X)
    lam = 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fastridge.ridge(X, y, lam, sample_weight=sw, tol=1e-10, solver=solver)
        keep = sw != 0
        res_rm = fastridge.ridge(
            X[keep], y[keep], lam, sample_weight=sw[keep], tol=1e-10, solver=solver
        )
    empty = np.flatnonzero(np.diff(sp.csc_matrix(X).indptr) == 0)
    assert np.all(np.asarray(res.coef).reshape(-1, X.shape[1])[:, empty] == 0)
    for r, (XX, yy, ss) in [(res, (X, y, sw)), (res_rm, (X[keep], y[keep], sw[keep]))]:
        assert r.converged
        ref = ridge_reference(XX, yy, lam, sample_weight=ss, dps=DPS)
        cert = np.atleast_1d(r.certificate)
        for t, g in enumerate(ridge_gaps(ref, r.coef, r.intercept)):
            _assert_certified(g, cert[t] if cert.size > 1 else cert[0])


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_ridge_path_empty_columns_zero_weights(fmt):
    X, y, sw = _sparse_problem(7, fmt, np.float32, 2)
    assert _drops(X)
    lams = np.geomspace(10.0, 0.01, 4)
    path = fastridge.ridge_path(X, y, lams, sample_weight=sw, tol=1e-10, solver="cd")
    assert path.converged
    for i, lam in enumerate(lams):
        ref = ridge_reference(X, y, lam, sample_weight=sw, dps=DPS)
        for t, g in enumerate(ridge_gaps(ref, path.coef[i], path.intercept[i])):
            _assert_certified(g, np.atleast_1d(path.certificate[i])[t])


@pytest.mark.parametrize("cv", [5, None])
def test_ridge_cv_empty_columns_float32(cv):
    X, y, sw = _sparse_problem(11, "csr", np.float32)
    assert _drops(X)
    est = fastridge.RidgeCV(alphas=np.geomspace(1e-3, 10, 4), cv=cv, tol=1e-10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y, sample_weight=sw)
    ref = ridge_reference(X, y, est.alpha_, sample_weight=sw, dps=DPS)
    (gap,) = ridge_gaps(ref, est.coef_, est.intercept_)
    _assert_certified(gap, est.certificate_)


@pytest.mark.parametrize("bad", [-0.0, 5e-324])
def test_ridge_signed_zero_and_subnormal_weights(bad):
    """``-0.0`` is a zero weight (skipped rows change nothing); ``5e-324`` is not."""
    rng = np.random.default_rng(3)
    n, p = 30, 6
    X = rng.standard_normal((n, p)) + 1e6
    y = rng.standard_normal(n)
    sw = rng.uniform(0.5, 2.0, n)
    sw[::4] = bad
    ref = ridge_reference(X, y, 0.3, sample_weight=sw, dps=DPS)
    keep = sw != 0
    ref_rm = ridge_reference(X[keep], y[keep], 0.3, sample_weight=sw[keep], dps=DPS)
    if bad == 0:  # a zero weight, whatever its sign: the optimum of the fit without the rows
        assert abs(float(ref.pstar[0] - ref_rm.pstar[0])) <= 1e-30 * float(ref.pstar[0])
    for solver in ["auto", "cd", "cg"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fastridge.ridge(X, y, 0.3, sample_weight=sw, tol=1e-10, solver=solver)
        (gap,) = ridge_gaps(ref, res.coef, res.intercept)
        assert res.converged or solver == "cd"  # cd: the 1e6 means are its worst case
        if res.converged:
            _assert_certified(gap, res.certificate)


# ------------------------------------------------------------------ logistic
def _labels(X, rng):
    m = np.asarray(X @ np.ones(X.shape[1])).ravel()
    y = np.where(m - np.median(m) + 0.3 * rng.standard_normal(X.shape[0]) > 0, 1.0, -1.0)
    y[:2] = [1.0, -1.0]
    return y


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_empty_columns_with_zero_weights(fmt, dtype, fit_intercept):
    X, _, sw = _sparse_problem(5, fmt, dtype)
    assert _drops(X)
    rng = np.random.default_rng(5)
    y = _labels(X, rng)
    sw[:2] = 1.0
    res = fastridge.logistic(X, y, 0.1, fit_intercept=fit_intercept, sample_weight=sw, tol=1e-10)
    assert res.converged
    Xk, w = _kept(X, res.coef)
    ref = logistic_reference(Xk, y, 0.1, sample_weight=sw, fit_intercept=fit_intercept, dps=DPS)
    _assert_certified(logistic_gap(ref, w, res.intercept), res.certificate, ref.pstar)
    path = fastridge.logistic_path(
        X, y, [3.0, 0.3], fit_intercept=fit_intercept, sample_weight=sw, tol=1e-10
    )
    for i, lam in enumerate([3.0, 0.3]):
        Xk, w = _kept(X, path.coef[i])
        ref = logistic_reference(
            Xk, y, lam, sample_weight=sw, fit_intercept=fit_intercept, dps=DPS
        )
        gap = logistic_gap(ref, w, path.intercept[i] if fit_intercept else 0.0)
        _assert_certified(gap, path.certificate[i], ref.pstar)


@pytest.mark.parametrize("multi_class", ["multinomial", "ovr"])
def test_multiclass_empty_columns_with_zero_weights(multi_class):
    X, _, sw = _sparse_problem(9, "csr", np.float64, p=16, n_live=5)
    assert _drops(X)
    rng = np.random.default_rng(9)
    labels = rng.integers(0, 3, X.shape[0])
    labels[:3] = [0, 1, 2]
    sw[:3] = 1.0
    res = fastridge.logistic(X, labels, 0.2, sample_weight=sw, tol=1e-10, multi_class=multi_class)
    assert res.converged
    Xk, W = _kept(X, res.coef)
    if multi_class == "multinomial":
        ref = multinomial_reference(Xk, labels, 3, 0.2, sample_weight=sw, dps=30)
        _assert_certified(multinomial_gap(ref, W, res.intercept), res.certificate, ref.pstar)
        return
    for c in range(3):
        y = np.where(labels == c, 1.0, -1.0)
        ref = logistic_reference(Xk, y, 0.2, sample_weight=sw, dps=DPS)
        gap = logistic_gap(ref, W[c], res.intercept[c])
        _assert_certified(gap, np.atleast_1d(res.certificate)[c], ref.pstar)


@pytest.mark.parametrize(
    "kind", ["huge-mean", "tiny-scale", "duplicated", "separable", "wide", "zero-weights"]
)
@pytest.mark.parametrize("layout", ["C32", "F64"])
def test_lbfgs_hard_dense(kind, layout):
    rng = np.random.default_rng(zlib.crc32(f"{kind}{layout}".encode()) % 1000)
    n, p = 30, 5
    if kind == "wide":
        n, p = 12, 20
    X = rng.standard_normal((n, p))
    if kind == "huge-mean":
        X[:, :3] += 3e6
    if kind == "tiny-scale":
        X *= 10.0 ** np.array([-150, 0, -6, 6, 0])
    if kind == "duplicated":
        X[:, 1] = X[:, 0]
        X[:, 3] = X[:, 0]
    y = _labels(X / np.abs(X).max(axis=0), rng)
    if kind == "separable":
        y = np.where(X[:, 0] > 0, 1.0, -1.0)
    sw = None
    if kind == "zero-weights":
        sw = np.where(y > 0, 3.0, 0.5) * rng.uniform(0.5, 1.5, n)  # class_weight-like
        sw[2::3] = 0.0
        sw[3::7] = -0.0
    X = X.astype(np.float32 if layout.endswith("32") else np.float64)
    X = np.asfortranarray(X) if layout.startswith("F") else np.ascontiguousarray(X)
    lam = 1e-3 if kind == "separable" else 0.1
    for solver in ["lbfgs", "auto"]:
        res = fastridge.logistic(X, y, lam, sample_weight=sw, tol=1e-10, solver=solver)
        if not res.converged:
            continue
        ref = logistic_reference(X, y, lam, sample_weight=sw, dps=DPS)
        _assert_certified(logistic_gap(ref, res.coef, res.intercept), res.certificate, ref.pstar)
        # warm start at a smaller lam
        warm = fastridge.logistic(
            X, y, lam / 3, sample_weight=sw, tol=1e-10, solver=solver, coef_init=res.coef
        )
        if warm.converged:
            ref = logistic_reference(X, y, lam / 3, sample_weight=sw, dps=DPS)
            gap = logistic_gap(ref, warm.coef, warm.intercept)
            _assert_certified(gap, warm.certificate, ref.pstar)


@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_auto_dual_cd_badly_scaled_zero_weights(scaled, fmt):
    rng = np.random.default_rng(13 + scaled)
    n, p = 10, 30
    X = rng.standard_normal((n, p))
    if scaled:
        X *= 10.0 ** rng.choice([-8, -3, 0, 3, 6], p)
    y = _labels(X, rng)
    sw = rng.uniform(0.5, 2.0, n)
    sw[3::3] = 0.0
    sw[4] = -0.0
    X = sp.csr_matrix(X) if fmt == "csr" else X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = fastridge.logistic(X, y, 0.5, fit_intercept=False, sample_weight=sw, tol=1e-9)
    assert res.solver.startswith("dual-cd") or res.solver.startswith("newton")
    if res.converged:
        ref = logistic_reference(X, y, 0.5, sample_weight=sw, fit_intercept=False, dps=DPS)
        _assert_certified(logistic_gap(ref, res.coef, 0.0), res.certificate, ref.pstar)


# -------------------------------------- estimators: float32 coefficients stored
@pytest.mark.parametrize("seed", [1, 5, 10])
def test_logistic_regression_float32_certificate_bounds_stored_coef(seed):
    """``certificate_`` bounds the float32 ``coef_`` that is stored, not only the
    float64 fit in ``result_`` (seeds where Newton ends far below tol, so the
    rounding to float32 dominates the gap)."""
    rng = np.random.default_rng(seed)
    n, p = 30, 3
    X = rng.standard_normal((n, p)).astype(np.float32)
    y = (X[:, 0] + rng.standard_normal(n) > 0).astype(int)
    clf = fastridge.LogisticRegression(C=1.0).fit(X, y)
    assert clf.coef_.dtype == np.float32
    ref = logistic_reference(X, np.where(y == 1, 1.0, -1.0), 1.0, dps=DPS)
    gap = logistic_gap(ref, clf.coef_.ravel(), float(clf.intercept_[0]))
    _assert_certified(gap, clf.certificate_)
    cv = fastridge.LogisticRegressionCV(Cs=[1.0], cv=3).fit(X, y)
    gap = logistic_gap(ref, cv.coef_.ravel(), float(cv.intercept_[0]))
    _assert_certified(gap, cv.certificate_)


def test_multinomial_and_ridge_classifier_float32_certificate():
    rng = np.random.default_rng(2)
    n, p = 30, 3
    X = rng.standard_normal((n, p)).astype(np.float32)
    labels = rng.integers(0, 3, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = fastridge.LogisticRegression(C=1.0, tol=1e-14).fit(X, labels)
    ref = multinomial_reference(X, labels, 3, 1.0, dps=30)
    _assert_certified(multinomial_gap(ref, clf.coef_, clf.intercept_), clf.certificate_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rc = fastridge.RidgeClassifier(alpha=0.7, tol=1e-14).fit(X, labels)
    Y = np.where(labels[:, None] == np.arange(3), 1.0, -1.0)
    ref = ridge_reference(X, Y, 0.7, dps=DPS)
    for t, g in enumerate(ridge_gaps(ref, rc.coef_, rc.intercept_)):
        _assert_certified(g, rc.certificate_[t])
