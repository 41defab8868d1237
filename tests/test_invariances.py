"""Invariances of the ridge fit (docs/architecture.md section 6).

Two inputs that describe the same problem must give the same answer: a weight of
2 and a duplicated row, a weight of 0 and a removed row, any row order, dense and
every sparse format, and (to float32 accuracy) float32 and float64 data.

Every fit runs at ``tol=1e-20`` (reachable in float64 on these small,
well-conditioned problems), where the certificate guarantees
``||w - w*|| <= sqrt(2 cert / lam) ~ 3e-10 ||w*||``: two fits of the same problem
must then agree to 1e-8 relative (1e-9 between dense and sparse) whatever path
each solver took, and :func:`assert_same_fit` checks that this guarantee holds
before comparing.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
from tests._reference import as_format, make_problem, reference_ridge, rel_err

SOLVERS = ["cg-primal", "cg-dual", "cd", "direct-primal", "direct-dual"]
TOL = 1e-20
RTOL = 1e-8
MAX_ITER = 20000


def fit(X, y, lam, solver, **kw):
    res = fastridge.ridge(X, y, lam, solver=solver, tol=TOL, max_iter=MAX_ITER, **kw)
    assert res.converged
    return res


def certified_distance(res):
    """``sqrt(2 cert / lam) / ||w||`` per target: the relative error the certificate allows."""
    cert = np.atleast_1d(res.certificate)
    norm = np.linalg.norm(np.atleast_2d(res.coef), axis=1)
    return np.sqrt(2 * cert / np.atleast_1d(res.lam)) / norm


def assert_same_fit(a, b, rtol=RTOL, *, certified=True):
    """Coefficients to ``rtol`` relative; intercepts to ``rtol`` of the model's scale.

    With ``certified``, first check that the two certificates alone imply the
    agreement (both fits solve the same problem), so the comparison is not luck.
    """
    if certified:
        assert np.all(certified_distance(a) + certified_distance(b) <= rtol)
    assert rel_err(a.coef, b.coef) <= rtol, rel_err(a.coef, b.coef)
    coef = np.atleast_2d(b.coef)
    scale = np.abs(b.intercept) + np.linalg.norm(coef, axis=1)
    assert np.all(np.abs(np.asarray(a.intercept) - np.asarray(b.intercept)) <= rtol * scale)


@pytest.fixture(
    scope="module",
    params=[(60, 20, None), (20, 60, None), (60, 20, 2)],
    ids=["n>p", "p>n", "n>p-two-targets"],
)
def problem(request):
    n, p, k = request.param
    prob = make_problem(n, p, k=k, weights=True, zero_weights=0, seed=41 + n)
    return prob, 0.1 * prob.spectral_sq


def _replicate(X, y, counts):
    """Rows repeated ``counts[i]`` times (0 removes the row)."""
    idx = np.repeat(np.arange(X.shape[0]), counts)
    return X[idx], y[idx]


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_weight_two_equals_duplicated_row(problem, solver, fit_intercept):
    prob, lam = problem
    n = prob.X.shape[0]
    w = np.ones(n)
    w[[0, 5, n - 1]] = 2.0
    Xd, yd = _replicate(prob.X, prob.y, w.astype(int))
    a = fit(
        sp.csr_matrix(prob.X), prob.y, lam, solver, sample_weight=w, fit_intercept=fit_intercept
    )
    b = fit(sp.csr_matrix(Xd), yd, lam, solver, fit_intercept=fit_intercept)
    assert_same_fit(a, b)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_integer_weights_equal_replicated_rows(problem, solver, fit_intercept):
    prob, lam = problem
    rng = np.random.default_rng(5)
    counts = rng.integers(0, 4, size=prob.X.shape[0])  # 0, 1, 2 or 3 copies
    Xr, yr = _replicate(prob.X, prob.y, counts)
    a = fit(
        sp.csc_matrix(prob.X),
        prob.y,
        lam,
        solver,
        sample_weight=counts.astype(float),
        fit_intercept=fit_intercept,
    )
    b = fit(sp.csc_matrix(Xr), yr, lam, solver, fit_intercept=fit_intercept)
    assert_same_fit(a, b)


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_weight_zero_equals_removed_row(problem, solver, fmt):
    prob, lam = problem
    n = prob.X.shape[0]
    drop = np.array([1, 7, n - 2])
    w = prob.sample_weight.copy()
    w[drop] = 0.0
    keep = np.setdiff1d(np.arange(n), drop)
    # The dropped rows carry wild values: with weight 0 they must not matter at all.
    X = prob.X.copy()
    y = prob.y.copy()
    X[drop] = 1e3
    y[drop] = -1e4
    a = fit(as_format(X, fmt), y, lam, solver, sample_weight=w)
    b = fit(as_format(X[keep], fmt), y[keep], lam, solver, sample_weight=w[keep])
    assert_same_fit(a, b)
    np.testing.assert_allclose(a.p_null, b.p_null, rtol=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_row_order(problem, solver, fmt, fit_intercept):
    prob, lam = problem
    perm = np.random.default_rng(8).permutation(prob.X.shape[0])
    kw = dict(fit_intercept=fit_intercept)
    a = fit(as_format(prob.X, fmt), prob.y, lam, solver, sample_weight=prob.sample_weight, **kw)
    b = fit(
        as_format(prob.X[perm], fmt),
        prob.y[perm],
        lam,
        solver,
        sample_weight=prob.sample_weight[perm],
        **kw,
    )
    assert_same_fit(a, b)


@pytest.mark.parametrize("solver", SOLVERS)
def test_column_order(problem, solver):
    prob, lam = problem
    perm = np.random.default_rng(9).permutation(prob.X.shape[1])
    a = fit(sp.csr_matrix(prob.X), prob.y, lam, solver, sample_weight=prob.sample_weight)
    b = fit(sp.csr_matrix(prob.X[:, perm]), prob.y, lam, solver, sample_weight=prob.sample_weight)
    assert rel_err(b.coef, a.coef[..., perm]) <= RTOL
    np.testing.assert_allclose(b.intercept, a.intercept, rtol=RTOL)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_dense_equals_csr_equals_csc(problem, solver, fit_intercept, dtype):
    prob, lam = problem
    kw = dict(sample_weight=prob.sample_weight, fit_intercept=fit_intercept)
    fits = {
        fmt: fit(as_format(prob.X, fmt, dtype), prob.y, lam, solver, **kw)
        for fmt in ("dense", "csr", "csc")
    }
    assert_same_fit(fits["csr"], fits["dense"], rtol=1e-9)
    assert_same_fit(fits["csc"], fits["dense"], rtol=1e-9)
    W, _ = reference_ridge(prob.X.astype(dtype), prob.y, lam, **kw)
    assert rel_err(fits["dense"].coef, W) <= 1e-7


@pytest.mark.parametrize("fmt", ["coo", "lil", "dok", "bsr", "dia", "csr_array", "csc_array"])
@pytest.mark.parametrize("solver", ["cg-primal", "cg-dual", "cd", "direct-primal"])
def test_every_sparse_format_equals_dense(problem, solver, fmt):
    prob, lam = problem
    if fmt.endswith("_array"):
        X = getattr(sp, fmt)(prob.X)
    else:
        X = sp.csr_matrix(prob.X).asformat(fmt)
    a = fit(X, prob.y, lam, solver, sample_weight=prob.sample_weight)
    b = fit(prob.X, prob.y, lam, solver, sample_weight=prob.sample_weight)
    assert_same_fit(a, b, rtol=1e-9)


def _messy(X, fmt, index_dtype, rng):
    """The same matrix with unsorted indices, split duplicates and explicit zeros."""
    M = sp.coo_matrix(X)
    r, c, v = M.row, M.col, M.data
    half = rng.random(len(v)) < 0.3  # split 30% of the entries into two duplicates
    r = np.concatenate([r, r[half]])
    c = np.concatenate([c, c[half]])
    v = np.concatenate([np.where(half, 0.25 * v, v), 0.75 * v[half]])
    zr = rng.integers(0, X.shape[0], 15)  # explicit zeros
    zc = rng.integers(0, X.shape[1], 15)
    r, c, v = np.concatenate([r, zr]), np.concatenate([c, zc]), np.concatenate([v, 0 * zr])
    order = rng.permutation(len(v))
    r, c, v = r[order], c[order], v[order]
    major, minor = (r, c) if fmt == "csr" else (c, r)
    n_major = X.shape[0] if fmt == "csr" else X.shape[1]
    # Build the compressed arrays by hand so scipy does not sort or sum anything.
    srt = np.argsort(major, kind="stable")
    indptr = np.zeros(n_major + 1, dtype=index_dtype)
    np.cumsum(np.bincount(major, minlength=n_major), out=indptr[1:])
    cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
    out = cls((v[srt], minor[srt], indptr), shape=X.shape)
    # scipy may downcast the index arrays on construction: set them explicitly.
    out.indices = minor[srt].astype(index_dtype)
    out.indptr = indptr
    assert out.indices.dtype == index_dtype and out.indptr.dtype == index_dtype
    return out


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_messy_sparse_structure_equals_dense(problem, solver, fmt, index_dtype):
    prob, lam = problem
    X = _messy(prob.X, fmt, index_dtype, np.random.default_rng(12))
    assert not X.has_canonical_format
    before = (X.data.copy(), X.indices.copy(), X.indptr.copy())
    a = fit(X, prob.y, lam, solver, sample_weight=prob.sample_weight)
    b = fit(prob.X, prob.y, lam, solver, sample_weight=prob.sample_weight)
    # Duplicates change the (Jacobi) preconditioner, so the paths differ: compare
    # at the certified accuracy rather than expecting identical iterates.
    assert_same_fit(a, b)
    W, _ = reference_ridge(prob.X, prob.y, lam, sample_weight=prob.sample_weight)
    assert rel_err(a.coef, W) <= RTOL
    for arr, old in zip((X.data, X.indices, X.indptr), before):  # inputs untouched
        np.testing.assert_array_equal(arr, old)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["intercept", "no-intercept"])
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_close_to_float64(problem, solver, fmt, fit_intercept):
    prob, lam = problem
    kw = dict(sample_weight=prob.sample_weight, fit_intercept=fit_intercept)
    a = fit(as_format(prob.X, fmt, np.float32), prob.y, lam, solver, **kw)
    b = fit(as_format(prob.X, fmt), prob.y, lam, solver, **kw)
    assert_same_fit(a, b, rtol=1e-4, certified=False)  # two different problems
    assert rel_err(a.coef, b.coef) > 0  # the float32 data really was used


@pytest.mark.parametrize("solver", SOLVERS)
def test_scaling_weights_equals_scaling_lam(problem, solver):
    """``P(w, b; c s, c lam) = c P(w, b; s, lam)``: the same minimiser."""
    prob, lam = problem
    X = sp.csr_matrix(prob.X)
    a = fit(X, prob.y, lam, solver, sample_weight=prob.sample_weight)
    b = fit(X, prob.y, 8.0 * lam, solver, sample_weight=8.0 * prob.sample_weight)
    assert_same_fit(a, b)
    np.testing.assert_allclose(b.p_null, 8.0 * np.asarray(a.p_null), rtol=1e-12)


@pytest.mark.parametrize("solver", SOLVERS)
def test_target_shift_and_scale(problem, solver):
    """With an intercept, ``y + c`` only moves the intercept; ``a y`` scales the whole fit."""
    prob, lam = problem
    X = sp.csc_matrix(prob.X)
    kw = dict(sample_weight=prob.sample_weight)
    base = fit(X, prob.y, lam, solver, **kw)
    shifted = fit(X, prob.y + 100.0, lam, solver, **kw)
    assert rel_err(shifted.coef, base.coef) <= RTOL
    np.testing.assert_allclose(shifted.intercept, base.intercept + 100.0, rtol=1e-9)
    scaled = fit(X, -3.0 * prob.y, lam, solver, **kw)
    assert rel_err(scaled.coef, -3.0 * base.coef) <= RTOL
    np.testing.assert_allclose(scaled.intercept, -3.0 * base.intercept, rtol=RTOL)
