"""Empty columns of a sparse X are dropped for the fit and come back as exact zeros.

fastridge._fit.columns: the fits on the kept columns must be the fits on all
of them (same objective, same certificate), with the coefficients of the empty
columns exactly 0, for ridge and logistic regression, their paths and the CV
estimators.  Each comparison is against the same call with dropping switched
off (the threshold patched), and each test checks that dropping did happen.
"""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
import fastridge._fit.columns as C
from fastridge._fit.compressed import Compressed
from fastridge._fit.logistic_setup import prepare_logistic
from fastridge._fit.ridge import prepare_ridge
from fastridge._fit.validation import check_X

N, P = 80, 300


def _sparse(fmt: str, dtype, seed: int = 0, n: int = N, p: int = P, live: float = 0.3):
    """``n x p`` with entries only in a random ``live`` fraction of the columns."""
    rng = np.random.default_rng(seed)
    cols = rng.choice(p, size=max(1, int(live * p)), replace=False)
    rows = np.repeat(np.arange(n), 4)
    X = sp.coo_matrix(
        (rng.standard_normal(rows.size) + 0.5, (rows, rng.choice(cols, rows.size))), shape=(n, p)
    )
    X = X.tocsr() if fmt == "csr" else X.tocsc()
    X.sum_duplicates()
    return X.astype(dtype), np.setdiff1d(np.arange(p), cols)


def _no_dropping():
    return mock.patch.object(C, "DROP_MIN_EMPTY_FRACTION", 2.0)


def _empty_columns(X) -> np.ndarray:
    return np.flatnonzero(np.diff(sp.csc_matrix(X).indptr) == 0)


def _assert_same(a, b, rtol=1e-4):
    """Coefficients of two fits certified at tol 1e-12 (the objectives are compared to 1e-10).

    Strong convexity bounds ``||w - w'||^2 <= 8 tol P_null / lam``: about 2e-5
    for these problems (P_null ~ 50, lam >= 0.3), hence 1e-4 of the largest.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = max(np.abs(b).max(initial=0.0), 1e-300)
    assert np.abs(a - b).max(initial=0.0) <= rtol * scale


def _ridge_objective(X, Y, res, lams, sw):
    """``1/2 sum_i s_i (y_i - x_i.w - b)^2 + lam/2 ||w||^2`` per target, float64."""
    Xd = np.asarray(X.toarray(), dtype=np.float64)
    s = np.ones(Xd.shape[0]) if sw is None else sw
    W = np.atleast_2d(res.coef)
    R = Y - Xd @ W.T - np.atleast_1d(res.intercept)[None, :]
    return 0.5 * (s @ R**2) + 0.5 * np.asarray(lams) * np.sum(W**2, axis=1)


def _binary_objective(X, y, coef, intercept, lam, sw):
    """``sum_i s_i log(1 + exp(-y_i m_i)) + lam/2 ||w||^2``, y in {-1, +1}, float64."""
    Xd = np.asarray(X.toarray(), dtype=np.float64)
    s = np.ones(Xd.shape[0]) if sw is None else sw
    m = Xd @ coef + intercept
    return float(s @ np.logaddexp(0.0, -y * m) + 0.5 * lam * coef @ coef)


def _softmax_objective(X, codes, W, b, lam):
    """``sum_i -log softmax(W x_i + b)[y_i] + lam/2 ||W||_F^2``, float64."""
    Z = np.asarray(X.toarray(), dtype=np.float64) @ W.T + b[None, :]
    lse = np.logaddexp.reduce(Z, axis=1)
    return float(np.sum(lse - Z[np.arange(Z.shape[0]), codes]) + 0.5 * lam * np.sum(W * W))


def _same_objective(a, b, rtol=1e-10):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert np.all(np.abs(a - b) <= rtol * np.abs(b)), (a, b)


# ----------------------------------------------------------------------------- the map


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_drop_empty_columns_shares_data_and_renumbers(fmt):
    X, _ = _sparse(fmt, np.float64)
    Xv = check_X(X)
    compact, columns = C.drop_empty_columns(Xv)
    empty = _empty_columns(X)
    assert columns is not None and columns.p == P
    np.testing.assert_array_equal(columns.kept, np.setdiff1d(np.arange(P), empty))
    assert compact.shape == (N, P - empty.size) and compact.format == fmt
    assert np.shares_memory(compact.data, Xv.data)
    if fmt == "csc":
        assert np.shares_memory(compact.indices, Xv.indices)  # only indptr is new
    else:
        assert np.shares_memory(compact.indptr, Xv.indptr)
    M = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
    rebuilt = M((compact.data, compact.indices, compact.indptr), shape=compact.shape)
    np.testing.assert_array_equal(rebuilt.toarray(), X.toarray()[:, columns.kept])


def test_column_map_restrict_expand_round_trip():
    columns = C.ColumnMap(np.array([1, 4, 5]), 7)
    W = np.arange(2 * 7, dtype=float).reshape(2, 7)
    r = columns.restrict(W, axis=-1)
    np.testing.assert_array_equal(r, W[:, [1, 4, 5]])
    e = columns.expand(r, axis=-1)
    assert e.shape == (2, 7)
    np.testing.assert_array_equal(e[:, [1, 4, 5]], r)
    np.testing.assert_array_equal(e[:, [0, 2, 3, 6]], 0.0)
    np.testing.assert_array_equal(columns.expand(r.T, axis=0), e.T)


def test_thresholds_leave_dense_rows_full_matrices_and_explicit_zeros_alone():
    rng = np.random.default_rng(1)
    # many entries per column: not even scanned
    dense_rows = sp.random(200, 20, density=0.9, format="csr", random_state=rng)
    assert C.drop_empty_columns(check_X(dense_rows))[1] is None
    # every column has an entry: nothing to drop
    full = sp.identity(50, format="csr")
    assert C.drop_empty_columns(check_X(full))[1] is None
    # a stored zero keeps its column
    X = sp.csr_matrix((np.zeros(3), ([0, 1, 2], [0, 1, 2])), shape=(3, 40))
    compact, columns = C.drop_empty_columns(check_X(X))
    np.testing.assert_array_equal(columns.kept, [0, 1, 2])
    assert compact.shape == (3, 3) and compact.nnz == 3
    # no entries at all, and dense input: left as they are
    assert C.drop_empty_columns(check_X(sp.csr_matrix((5, 40))))[1] is None
    assert C.drop_empty_columns(np.zeros((3, 4)))[1] is None
    assert not isinstance(np.zeros((3, 4)), Compressed)


def test_the_fits_below_do_drop_columns():
    """Guard against a vacuous comparison: the test matrix does lose its empty columns."""
    for fmt in ("csr", "csc"):
        X, _ = _sparse(fmt, np.float64)
        y = np.random.default_rng(0).standard_normal(N)
        assert prepare_ridge(X, y).scaled.columns is not None
        assert prepare_logistic(X, y > 0).columns is not None
        with _no_dropping():
            assert prepare_ridge(X, y).scaled.columns is None
            assert prepare_logistic(X, y > 0).columns is None


# ----------------------------------------------------------------------------- ridge


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("solver", ["auto", "cg", "cd", "direct"])
def test_ridge_matches_the_fit_on_all_columns(fmt, dtype, fit_intercept, weighted, solver):
    X, empty = _sparse(fmt, dtype, seed=2)
    rng = np.random.default_rng(3)
    Y = rng.standard_normal((N, 2)) + 5.0
    sw = rng.uniform(0.0, 3.0, N) if weighted else None
    kw = dict(fit_intercept=fit_intercept, sample_weight=sw, solver=solver, tol=1e-12)
    got = fastridge.ridge(X, Y, [0.3, 30.0], **kw)
    with _no_dropping():
        ref = fastridge.ridge(X, Y, [0.3, 30.0], **kw)
    assert got.coef.shape == (2, P) and got.converged and ref.converged
    assert np.all(got.coef[:, empty] == 0.0)
    lams = [0.3, 30.0]
    _same_objective(_ridge_objective(X, Y, got, lams, sw), _ridge_objective(X, Y, ref, lams, sw))
    _assert_same(got.coef, ref.coef)
    _assert_same(got.intercept, ref.intercept)
    assert np.all(got.certificate <= 1e-12 * np.asarray(got.p_null))


def test_ridge_warm_start_with_values_in_empty_columns():
    X, empty = _sparse("csr", np.float64, seed=4)
    y = np.random.default_rng(5).standard_normal(N)
    w0 = np.random.default_rng(6).standard_normal(P)  # nonzero in the empty columns too
    got = fastridge.ridge(X, y, 1.0, coef_init=w0, tol=1e-12)
    ref = fastridge.ridge(X, y, 1.0, tol=1e-12)
    assert got.converged and np.all(got.coef[empty] == 0.0)
    _same_objective(
        _ridge_objective(X, y[:, None], got, [1.0], None),
        _ridge_objective(X, y[:, None], ref, [1.0], None),
    )
    _assert_same(got.coef, ref.coef)
    with pytest.raises(ValueError, match="coef_init has shape"):
        fastridge.ridge(X, y, 1.0, coef_init=w0[: P - empty.size])


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_ridge_path_and_ridge_cv_match(fmt):
    X, empty = _sparse(fmt, np.float64, seed=7)
    y = np.random.default_rng(8).standard_normal(N)
    lams = np.geomspace(100.0, 0.01, 6)
    got = fastridge.ridge_path(X, y, lams=lams, tol=1e-11)
    cv = fastridge.RidgeCV(alphas=lams, cv=3).fit(X, y)
    with _no_dropping():
        ref = fastridge.ridge_path(X, y, lams=lams, tol=1e-11)
        cv_ref = fastridge.RidgeCV(alphas=lams, cv=3).fit(X, y)
    assert got.coef.shape == (6, P) and np.all(got.coef[:, empty] == 0.0)
    _assert_same(got.coef, ref.coef)
    assert cv.alpha_ == cv_ref.alpha_ and cv.coef_.shape == (P,)
    _assert_same(cv.coef_, cv_ref.coef_)
    _assert_same(cv.predict(X), cv_ref.predict(X))


# ----------------------------------------------------------------------------- logistic


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("solver", ["auto", "newton-cg", "cd"])
def test_binary_logistic_matches_the_fit_on_all_columns(
    fmt, dtype, fit_intercept, weighted, solver
):
    X, empty = _sparse(fmt, dtype, seed=9)
    rng = np.random.default_rng(10)
    y = rng.random(N) < 0.4
    sw = rng.uniform(0.0, 3.0, N) if weighted else None
    kw = dict(fit_intercept=fit_intercept, sample_weight=sw, solver=solver, tol=1e-12)
    got = fastridge.logistic(X, y, 0.5, **kw)
    with _no_dropping():
        ref = fastridge.logistic(X, y, 0.5, **kw)
    assert got.coef.shape == (P,) and got.converged and ref.converged
    assert np.all(got.coef[empty] == 0.0)
    ypm = np.where(y, 1.0, -1.0)
    _same_objective(
        _binary_objective(X, ypm, got.coef, got.intercept, 0.5, sw),
        _binary_objective(X, ypm, ref.coef, ref.intercept, 0.5, sw),
    )
    _assert_same(got.coef, ref.coef)
    assert abs(got.intercept - ref.intercept) <= 1e-6 * max(1.0, abs(ref.intercept))
    assert got.certificate <= 1e-12 * got.p_null


def test_dual_cd_without_intercept_matches():
    X, empty = _sparse("csr", np.float64, seed=11)
    y = np.random.default_rng(12).random(N) < 0.5
    got = fastridge.logistic(X, y, 0.5, fit_intercept=False, solver="dual-cd", tol=1e-12)
    with _no_dropping():
        ref = fastridge.logistic(X, y, 0.5, fit_intercept=False, solver="dual-cd", tol=1e-12)
    assert got.converged and np.all(got.coef[empty] == 0.0)
    ypm = np.where(y, 1.0, -1.0)
    _same_objective(
        _binary_objective(X, ypm, got.coef, 0.0, 0.5, None),
        _binary_objective(X, ypm, ref.coef, 0.0, 0.5, None),
    )
    _assert_same(got.coef, ref.coef)


@pytest.mark.parametrize("multi_class", ["multinomial", "ovr"])
def test_multiclass_logistic_and_its_warm_start(multi_class):
    X, empty = _sparse("csr", np.float64, seed=13)
    rng = np.random.default_rng(14)
    y = rng.integers(0, 3, N)
    W0 = rng.standard_normal((3, P))  # nonzero in the empty columns too
    got = fastridge.logistic(X, y, 0.5, multi_class=multi_class, coef_init=W0, tol=1e-12)
    with _no_dropping():
        ref = fastridge.logistic(X, y, 0.5, multi_class=multi_class, tol=1e-12)
    assert got.coef.shape == (3, P) and got.converged
    assert np.all(got.coef[:, empty] == 0.0)
    if multi_class == "multinomial":
        _same_objective(
            _softmax_objective(X, y, got.coef, got.intercept, 0.5),
            _softmax_objective(X, y, ref.coef, ref.intercept, 0.5),
        )
    else:
        for k in range(3):
            ypm = np.where(y == k, 1.0, -1.0)
            _same_objective(
                _binary_objective(X, ypm, got.coef[k], got.intercept[k], 0.5, None),
                _binary_objective(X, ypm, ref.coef[k], ref.intercept[k], 0.5, None),
            )
    _assert_same(got.coef, ref.coef)
    _assert_same(got.intercept, ref.intercept)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_logistic_path_and_cv_estimator_match(fmt):
    X, empty = _sparse(fmt, np.float64, seed=15)
    y = np.random.default_rng(16).random(N) < 0.5
    lams = np.geomspace(10.0, 0.01, 5)
    got = fastridge.logistic_path(X, y, lams=lams, tol=1e-11)
    cv = fastridge.LogisticRegressionCV(Cs=4, cv=3, tol=1e-10).fit(X, y)
    with _no_dropping():
        ref = fastridge.logistic_path(X, y, lams=lams, tol=1e-11)
        cv_ref = fastridge.LogisticRegressionCV(Cs=4, cv=3, tol=1e-10).fit(X, y)
    assert got.coef.shape == (5, P) and np.all(got.coef[:, empty] == 0.0)
    _assert_same(got.coef, ref.coef)
    assert cv.C_ == cv_ref.C_ and cv.coef_.shape == (1, P)
    _assert_same(cv.coef_, cv_ref.coef_)
    np.testing.assert_array_equal(cv.predict(X), cv_ref.predict(X))


def test_ridge_chooses_primal_or_dual_for_the_kept_columns():
    """``cg`` / ``direct`` take the primal form when ``n >=`` the columns kept (here 60 >= 20),
    not the dual that the 2,000 columns given would imply."""
    X, empty = _sparse("csr", np.float64, seed=17, n=60, p=2000, live=0.01)
    y = np.random.default_rng(18).standard_normal(60)
    for solver, form in (("cg", "cg-primal"), ("direct", "direct-primal")):
        got = fastridge.ridge(X, y, 1.0, solver=solver, tol=1e-12)
        assert got.solver == form and got.converged and np.all(got.coef[empty] == 0.0)
        with _no_dropping():
            assert fastridge.ridge(X, y, 1.0, solver=solver).solver.endswith("dual")
