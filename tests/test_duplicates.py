"""Sparse ``X`` with duplicate entries: the fitted matrix is their exact sum.

scipy's matrix is the sum of the parts stored at one ``(row, column)``; the
fits must be of that matrix and their certificates must bound the true gap
(mpmath references, which sum duplicates exactly).  Duplicates are summed
once at validation (``fastridge._fit.duplicates.canonical_copy``), exactly; a
matrix without duplicates is not copied.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
from fastridge._fit.validation import check_predict_X, check_X
from fastridge._kernels import _duplicates as D

hp = pytest.importorskip("tests._hp_reference")


def _with_parts(V, parts, fmt, rng):
    """``V`` stored with each entry as ``parts(v)`` (a list), parts shuffled in each slice."""
    n, p = V.shape
    rows, cols, vals = [], [], []
    for i in range(n):
        for j in range(p):
            for x in parts(V[i, j]):
                rows.append(i)
                cols.append(j)
                vals.append(x)
    rows, cols = np.array(rows), np.array(cols)
    vals = np.array(vals, dtype=V.dtype)
    major, minor = (rows, cols) if fmt == "csr" else (cols, rows)
    n_major = n if fmt == "csr" else p
    order = np.lexsort((rng.random(len(major)), major))  # unsorted within slices
    indptr = np.r_[0, np.cumsum(np.bincount(major, minlength=n_major))]
    cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
    return cls((vals[order], minor[order], indptr), shape=(n, p))


def _problem(dtype, seed=0, n=20, p=3):
    rng = np.random.default_rng(seed)
    V = rng.standard_normal((n, p)).astype(dtype)
    y = V.astype(np.float64) @ np.array([1.0, -2.0, 0.5])[:p] + 0.1 * rng.standard_normal(n)
    return rng, V, y


_BIG = {np.float32: 1e6, np.float64: 1e17}


def _cancelling(V, fmt, rng):
    big = _BIG[V.dtype.type]
    return _with_parts(V, lambda v: [v, big, -big], fmt, rng)


def _ridge_fit(kind, X, y, lam, **kw):
    """``(coef, intercept, certificate, converged)`` of one ridge entry point."""
    if kind == "path-cd" or kind == "path-eigen":
        res = fastridge.ridge_path(X, y, [lam], solver=kind[5:], **kw)
        coef = np.asarray(res.coef).reshape(-1, X.shape[1])[0]
        cert = float(np.ravel(res.certificate)[0])
        return coef, float(np.ravel(res.intercept)[0]), cert, bool(np.all(res.converged))
    if kind == "ridgecv":
        est = fastridge.RidgeCV(alphas=[lam], **kw).fit(X, y)
        return est.coef_, float(est.intercept_), float(np.ravel(est.certificate_)[0]), True
    res = fastridge.ridge(X, y, lam, solver=kind, **kw)
    return res.coef, float(res.intercept), float(res.certificate), bool(res.converged)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ["cd", "cg-primal", "direct", "path-cd", "ridgecv"])
def test_cancelling_duplicates_ridge(fmt, dtype, kind):
    """``(v, big, -big)`` sums to ``v``: fits of ``V``, certificates sound (was 0 / 6400x off)."""
    rng, V, y = _problem(dtype)
    X = _cancelling(V, fmt, rng)
    ref = hp.ridge_reference(X, y, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coef, b, cert, conv = _ridge_fit(kind, X, y, 1.0, tol=1e-14)
    assert conv
    assert hp.ridge_gaps(ref, coef, b)[0] <= cert
    want, _ = (np.asarray(v) for v in _exact_fit(V, y, 1.0))
    np.testing.assert_allclose(coef, want, rtol=1e-7, atol=1e-7 * np.abs(want).max())


def _exact_fit(V, y, lam):
    from tests.conftest import dense_ridge_solution

    return dense_ridge_solution(V.astype(np.float64), y, lam)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["cd", "newton-cg"])
def test_cancelling_duplicates_logistic(fmt, dtype, solver):
    rng, V, y = _problem(dtype, seed=1)
    labels = np.where(y > 0, 1, -1)
    X = _cancelling(V, fmt, rng)
    ref = hp.logistic_reference(X, labels, 1.0)
    res = fastridge.logistic(X, labels, 1.0, solver=solver, tol=1e-12)
    assert res.converged
    assert hp.logistic_gap(ref, res.coef, res.intercept) <= res.certificate
    plain = fastridge.logistic(V.astype(np.float64), labels, 1.0, solver="newton-cg", tol=1e-14)
    np.testing.assert_allclose(np.ravel(res.coef), np.ravel(plain.coef), rtol=1e-6)


@pytest.mark.parametrize("kind", ["direct-primal", "cg-primal", "path-eigen", "ridgecv"])
def test_equal_duplicates_rounding_floor(kind):
    """64 parts ``v/64``: at tol=1e-14 the certificate still bounds the gap (was 8x below)."""
    rng = np.random.default_rng(7)
    n, p = 12, 3
    V = rng.standard_normal((n, p)) * 1e3
    X = _with_parts(V, lambda v: [v / 64] * 64, "csc", rng)
    y = V @ rng.standard_normal(p) + 1e-6 * rng.standard_normal(n)
    for lam in [1e-3, 1e3]:
        ref = hp.ridge_reference(X, y, lam, None, False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            coef, _, cert, _ = _ridge_fit(kind, X, y, lam, fit_intercept=False, tol=1e-14)
        assert hp.ridge_gaps(ref, coef, 0.0)[0] <= cert


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_rounded_sums_certified(fmt):
    """Sums that are not float64s (``0.1 + 0.2``): stored rounded, the bound includes it."""
    rng, V, y = _problem(np.float64, seed=3)
    X = _with_parts(V, lambda v: [v, 0.1, 0.2, -0.3], fmt, rng)
    Xv = check_X(X)
    assert Xv.rounded and Xv.dtype == np.float64
    ref = hp.ridge_reference(X, y, 1e-2)
    for solver in ["cd", "cg-primal", "direct", "cg-dual"]:
        res = fastridge.ridge(X, y, 1e-2, solver=solver, tol=1e-14)
        assert hp.ridge_gaps(ref, res.coef, res.intercept)[0] <= res.certificate, solver
    lab = np.where(y > 0, 1, -1)
    lref = hp.logistic_reference(X, lab, 1.0)
    for solver in ["cd", "newton-cg"]:
        res = fastridge.logistic(X, lab, 1.0, solver=solver, tol=1e-12)
        assert hp.logistic_gap(lref, res.coef, res.intercept) <= res.certificate, solver


def test_canonical_copy_values_and_dtype():
    rng = np.random.default_rng(4)
    V = rng.standard_normal((6, 4)).astype(np.float32)
    # float32 parts whose sums are float32s: the copy stays float32 and exact
    Xv = check_X(_cancelling(V, "csr", rng))
    assert Xv.dtype == np.float32 and not Xv.rounded
    np.testing.assert_array_equal(sp.csr_matrix((Xv.data, Xv.indices, Xv.indptr)).toarray(), V)
    assert not D.cs_has_duplicates(Xv.indptr, Xv.indices, 4)
    # float32 parts whose exact sum needs float64: promoted, still exact
    X = _with_parts(V, lambda v: [v, np.float32(2.0**-30)], "csc", rng)
    Xv = check_X(X)
    assert Xv.dtype == np.float64 and not Xv.rounded
    dense = sp.csc_matrix((Xv.data, Xv.indices, Xv.indptr), shape=V.shape).toarray()
    np.testing.assert_array_equal(dense, V.astype(np.float64) + 2.0**-30)
    # COO: scipy's tocsr would sum in float32; the parts reach the exact sum
    coo = _cancelling(V, "csr", rng).tocoo()
    assert coo.nnz == 3 * V.size
    Xv = check_X(coo)
    np.testing.assert_array_equal(sp.csr_matrix((Xv.data, Xv.indices, Xv.indptr)).toarray(), V)
    # more than a float64 pair can hold: redone with math.fsum, correctly rounded
    X = sp.csr_matrix(
        (np.array([1.0, 2.0**-60, 2.0**-120, 3.0]), np.array([0, 0, 0, 1]), np.array([0, 4])),
        shape=(1, 2),
    )
    Xv = check_X(X)
    assert Xv.rounded
    np.testing.assert_array_equal(Xv.data, [1.0, 3.0])  # 1 + 2^-60 + 2^-120 rounded
    # an overflowing sum is refused
    big = np.finfo(np.float64).max
    X = sp.csr_matrix((np.array([big, big]), np.array([0, 0]), np.array([0, 2])), shape=(1, 1))
    with pytest.raises(ValueError, match="overflows"):
        check_X(X)


@pytest.mark.parametrize(
    "parts, value, rounded",
    [
        ([1e308, 1e308, -1e308], 1e308, False),  # fsum overflows on the way; the sum is 1e308
        ([1.7e308, 1.7e308, -1.7e308, -1.7e308, 3.0], 3.0, False),
        ([1e308, 1e308, -1e308, 1e-300], 1e308, True),  # exact sum not a float64: rounded
    ],
)
def test_finite_sum_with_overflowing_partial_sums(parts, value, rounded):
    """A group whose running sum overflows but whose total is finite is summed exactly."""
    k = len(parts)
    data = np.array([*parts, 1.0])
    X = sp.csr_matrix(
        (data, np.zeros(k + 1, dtype=np.int32), np.array([0, k, k + 1])), shape=(2, 1)
    )
    Xv = check_X(X)
    assert Xv.data[0] == value and Xv.rounded == rounded
    assert Xv.data[1] == 1.0 and not D.cs_has_duplicates(Xv.indptr, Xv.indices, 1)


def _coo_cancelling(V, rng):
    """COO storing each entry as ``(v, big, -big)``: scipy's ``tocsr`` would sum it to 0."""
    return _cancelling(V, "csr", rng).tocoo()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "est", ["Ridge", "RidgeCV", "RidgeClassifier", "LogisticRegression", "LogisticRegressionCV"]
)
def test_estimators_fit_coo_duplicates_exactly(dtype, est):
    """Estimators fit the exact sums of a COO's duplicates (scikit-learn's conversion summed
    them in the data's dtype: the fit and its certificate were of another matrix)."""
    rng, V, y = _problem(dtype, seed=2)
    X = _coo_cancelling(V, rng)
    assert X.nnz == 3 * V.size
    target = y if est in ("Ridge", "RidgeCV") else (y > 0).astype(int)
    kw = (
        {"alphas": [1.0]}
        if est == "RidgeCV"
        else {"Cs": [1.0]}
        if est == "LogisticRegressionCV"
        else {}
    )
    make = getattr(fastridge, est)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        on_coo = make(tol=1e-12, **kw).fit(X, target)
        on_dense = make(tol=1e-12, **kw).fit(V, target)
    np.testing.assert_allclose(on_coo.coef_, on_dense.coef_, rtol=1e-6, atol=1e-9)
    if est == "Ridge":
        ref = hp.ridge_reference(X, y, 1.0)
        assert hp.ridge_gaps(ref, on_coo.coef_, on_coo.intercept_)[0] <= on_coo.certificate_
    if est == "LogisticRegression":
        ref = hp.logistic_reference(X, np.where(target == 1, 1.0, -1.0), 1.0)
        gap = hp.logistic_gap(ref, on_coo.coef_.ravel(), float(on_coo.intercept_[0]))
        assert gap <= float(np.ravel(on_coo.certificate_)[0])


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_predictions_use_exact_sums(fmt):
    """``predict``/``decision_function``/``predict_proba`` on a matrix with duplicates give
    the predictions of the summed matrix (scipy's product adds ``1e17 + v - 1e17`` in order)."""
    rng, V, y = _problem(np.float64, seed=3)
    X = _cancelling(V, "csr" if fmt == "coo" else fmt, rng)
    X = X.tocoo() if fmt == "coo" else X
    labels = (y > 0).astype(int)
    ridge = fastridge.Ridge(alpha=1.0).fit(V, y)
    logit = fastridge.LogisticRegression().fit(V, labels)
    ridge_cv = fastridge.RidgeCV(alphas=[1.0]).fit(V, y)
    np.testing.assert_allclose(ridge.predict(X), ridge.predict(V), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ridge_cv.predict(X), ridge_cv.predict(V), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(
        logit.decision_function(X), logit.decision_function(V), rtol=1e-12, atol=1e-12
    )
    np.testing.assert_allclose(logit.predict_proba(X), logit.predict_proba(V), rtol=1e-12)


def test_no_copy_without_duplicates():
    """Canonical input (and unsorted indices without duplicates) is used in place."""
    rng = np.random.default_rng(5)
    for fmt in ["csr", "csc"]:
        X = sp.random(30, 8, density=0.4, format=fmt, random_state=6, dtype=np.float32)
        Xv = check_X(X)
        assert np.shares_memory(Xv.data, X.data) and np.shares_memory(Xv.indices, X.indices)
        # unsorted indices, no duplicates: has_canonical_format is False, still no copy
        Xu = _with_parts(X.toarray(), lambda v: [v] if v else [], fmt, rng)
        assert not Xu.has_canonical_format
        Xv = check_X(Xu)
        assert np.shares_memory(Xv.data, Xu.data) and not Xv.rounded
    # duplicates: a copy, and the caller's arrays are untouched
    Xd = _cancelling(X.toarray()[:5], "csr", rng)
    before = Xd.data.copy()
    Xv = check_X(Xd)
    assert not np.shares_memory(Xv.data, Xd.data)
    np.testing.assert_array_equal(Xd.data, before)
    # prediction checks copy only a matrix with duplicates (its exact sums)
    assert check_predict_X(X) is X
    Xp = check_predict_X(Xd)
    assert Xp is not Xd and Xp.has_canonical_format
    np.testing.assert_array_equal(Xp.toarray(), X.toarray()[:5])
    np.testing.assert_array_equal(Xd.data, before)


def test_has_duplicates_kernel():
    ind = np.array([2, 0, 1, 1, 3, 0], dtype=np.int32)
    assert not D.cs_has_duplicates(np.array([0, 3, 6], dtype=np.int32), ind, 4)  # unsorted only
    assert D.cs_has_duplicates(np.array([0, 4, 6], dtype=np.int32), ind, 4)  # 1, 1
    ind2 = np.array([2, 0, 2], dtype=np.int64)
    assert D.cs_has_duplicates(np.array([0, 3], dtype=np.int64), ind2, 3)  # unsorted and dup


def test_reference_sums_parts_exactly():
    """The mpmath reference sums duplicates exactly (an mpf sum at 80 digits loses 1e-300)."""
    X = sp.csr_matrix(
        (np.array([1e308, 1e-300, -1e308, 2.0]), np.array([0, 0, 0, 1]), np.array([0, 4])),
        shape=(1, 2),
    )
    rows = hp.dense_rows(X)
    assert rows[0][0] == hp.mpmath.mpf(1e-300) and rows[0][1] == 2


@pytest.mark.parametrize("est", [False, True])
def test_integer_parts_are_summed_before_any_cast(est):
    """int64 parts ``(2^60 + v, -2^60)`` sum to ``v``; cast to float64 one by one they give 0."""
    rng = np.random.default_rng(8)
    V = rng.integers(-5, 6, (20, 3))
    y = V @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(20)
    parts = np.array([[2**60 + v, -(2**60)] for v in V.ravel()], dtype=np.int64).ravel()
    rows = np.repeat(np.arange(20), 3).repeat(2)
    cols = np.tile(np.arange(3), 20).repeat(2)
    X = sp.coo_matrix((parts, (rows, cols)), shape=(20, 3))
    want = fastridge.ridge(V.astype(np.float64), y, 1.0, tol=1e-12).coef
    if est:
        coef = fastridge.Ridge(alpha=1.0, tol=1e-12).fit(X, y).coef_
    else:
        res = fastridge.ridge(X, y, 1.0, tol=1e-12)
        assert res.converged
        ref = hp.ridge_reference(X, y, 1.0)
        assert hp.ridge_gaps(ref, res.coef, res.intercept)[0] <= res.certificate
        coef = res.coef
    np.testing.assert_allclose(coef, want, rtol=1e-10)


def test_long_double_and_large_integer_conversion():
    """Long-double parts are summed before the cast; integers beyond 2^53 are flagged."""
    data = np.array([1, -1], dtype=np.longdouble)
    data[0] += np.longdouble(2) ** -60
    if data[0] == 1:  # long double is float64 on this platform: nothing to test
        pytest.skip("np.longdouble has no extra precision here")
    X = sp.csr_matrix((data, np.array([0, 0]), np.array([0, 2])), shape=(1, 1))
    Xv = check_X(X)
    assert Xv.data[0] == 2.0**-60 and not Xv.rounded
    big = sp.csr_matrix(np.array([[2**60 + 1, 3]], dtype=np.int64))
    assert check_X(big).rounded
    assert not check_X(sp.csr_matrix(np.array([[2**52, 3]], dtype=np.int64))).rounded


def test_coo_with_a_row_index_out_of_range_is_refused():
    """scipy's ``tocsr`` writes out of bounds for such a COO (heap corruption); refused."""
    for bad in (-1, 3):
        X = sp.coo_matrix(([1.0, 2.0, 3.0], ([0, 1, 2], [0, 0, 0])), shape=(3, 1))
        X.row = np.array([0, bad, 2])
        with pytest.raises(ValueError, match="row index outside"):
            fastridge.ridge(X, [1.0, 2.0, 3.0], 1.0)
        with pytest.raises(ValueError, match="row index outside"):
            fastridge.Ridge().fit(X, [1.0, 2.0, 3.0])
        model = fastridge.Ridge().fit(np.eye(3)[:, :1], [1.0, 2.0, 3.0])
        with pytest.raises(ValueError, match="row index outside"):
            model.predict(X)


@pytest.mark.parametrize("kind", ["npz", "mtx", "folder"])
def test_file_readers_keep_coo_duplicates_for_exact_sums(tmp_path, kind):
    """A COO ``.npz`` / ``.mtx`` or a folder written from a COO keeps the parts, so the
    fit sums them exactly (scipy's conversion summed ``1e17 + v - 1e17`` to 0)."""
    import scipy.io

    import fastridge.io as fio

    rng, V, y = _problem(np.float64, seed=9)
    C = _cancelling(V, "csr", rng).tocoo()
    if kind == "npz":
        sp.save_npz(tmp_path / "X.npz", C)
        X = fio.read_matrix(str(tmp_path / "X.npz"))
    elif kind == "mtx":
        scipy.io.mmwrite(str(tmp_path / "X.mtx"), C, precision=17)
        X = fio.read_matrix(str(tmp_path / "X.mtx"))
    else:
        fio.write_csr_folder(C, str(tmp_path / "folder"))
        X = fio.read_csr_folder(str(tmp_path / "folder"))[0]
    X = X[0] if isinstance(X, tuple) else X
    want = fastridge.ridge(V, y, 1.0, tol=1e-12)
    res = fastridge.ridge(X, y, 1.0, tol=1e-12)
    assert res.converged
    np.testing.assert_allclose(res.coef, want.coef, rtol=1e-10)


def test_logistic_cv_scores_folds_on_exact_sums():
    """LogisticRegressionCV's built-in scorers see the summed matrix (they saw
    ``1e17 + v - 1e17`` and picked the wrong C)."""
    rng, V, y = _problem(np.float64, seed=10)
    labels = (y > 0).astype(int)
    X = _cancelling(V, "csr", rng)
    on_dup = fastridge.LogisticRegressionCV(Cs=[0.01, 1.0, 100.0], cv=3).fit(X, labels)
    on_dense = fastridge.LogisticRegressionCV(Cs=[0.01, 1.0, 100.0], cv=3).fit(V, labels)
    np.testing.assert_allclose(on_dup.scores_[1], on_dense.scores_[1], rtol=1e-10)
    assert on_dup.C_[0] == on_dense.C_[0]


def test_dense_integers_float64_cannot_hold_are_refused(tmp_path):
    """Dense integers beyond 2^53 would be rounded with no mark: refused with a clear
    error (sparse ones are marked ``rounded`` and certified with it); exact ones pass."""
    import fastridge.io as fio

    X = np.array([[2**60 + 1, 1], [3, 4], [5, 7]], dtype=np.int64)
    y = np.array([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="cannot hold exactly"):
        fastridge.ridge(X, y, 1.0)
    with pytest.raises(ValueError, match="cannot hold exactly"):
        fastridge.Ridge().fit(X, y)
    exact = np.array([[2**60, 1], [3, 4], [5, 7]], dtype=np.int64)  # 2^60 is a float64
    assert fastridge.ridge(exact, y, 1.0).coef.shape == (2,)
    np.save(tmp_path / "X.npy", X)
    with pytest.raises(fio.InputError, match="beyond 2"):
        fio.read_matrix(str(tmp_path / "X.npy"))
    sp.save_npz(tmp_path / "X.npz", sp.coo_matrix(X))
    with pytest.raises(fio.InputError, match="beyond 2"):
        fio.read_matrix(str(tmp_path / "X.npz"))


def test_predict_check_sums_integer_parts_exactly():
    """Integer parts beyond 2^53 are summed before the cast for a prediction too."""
    Xd = sp.csr_matrix(
        (
            np.array([2**60 + 1, -(2**60), 3, 5, 7, 2]),
            np.zeros(6, int),
            np.array([0, 2, 3, 4, 5, 6]),
        ),
        shape=(5, 1),
    )
    np.testing.assert_array_equal(check_predict_X(Xd).toarray().ravel(), [1, 3, 5, 7, 2])
