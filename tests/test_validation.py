"""Input validation of ``fastridge.ridge`` (issue 2, item 7).

Bad input: the right exception type, a message naming the problem, raised before
any work, with the caller's arrays unchanged.  Awkward but valid input: the
correct answer, compared with a dense float64 solve of the same problem.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

import fastridge

pytestmark = pytest.mark.filterwarnings("error::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ("auto", "cg", "cd")
SHAPES = {"n>p": (60, 25), "p>n": (25, 60)}
# The certificate bounds P - P* by tol * P_null, so it bounds ||w - w*|| by about
# sqrt(2 tol P_null) / lambda_min(H + lam): at tol = 1e-14 only ~1e-7 relative on
# these problems.  A tighter tol makes the 1e-8 comparison a guaranteed one (the
# float64 gradient floor is far below it).
TOL = 1e-18
RTOL = 1e-8


def make_dense(shape=(60, 25), seed=0, density=0.3):
    rng = np.random.default_rng(seed)
    D = rng.standard_normal(shape)
    D[rng.random(shape) > density] = 0.0
    return D


def make_y(D, seed=1, k=None):
    rng = np.random.default_rng(seed)
    n, p = D.shape
    W = rng.standard_normal((p,) if k is None else (p, k))
    noise = 0.1 * rng.standard_normal((n,) if k is None else (n, k))
    return D @ W + noise + 2.0


def make_weights(n, seed=2):
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.2, 2.0, n)
    s[rng.random(n) < 0.15] = 0.0
    return s


# ---------------------------------------------------------------------------
# snapshots of the caller's arrays
# ---------------------------------------------------------------------------
def _leaves(obj):
    """Every ndarray a value exposes (the arrays of a sparse matrix, or itself)."""
    if sp.issparse(obj):
        names = ("data", "indices", "indptr", "row", "col", "offsets")
        out = [getattr(obj, a) for a in names if isinstance(getattr(obj, a, None), np.ndarray)]
        if obj.format in ("lil", "dok"):
            out = [obj.toarray()]  # no flat arrays to compare: compare the values
        return out
    if isinstance(obj, np.ndarray):
        return [obj]
    if isinstance(obj, list | tuple):
        return [np.asarray(obj)]
    return []


def snapshot(*objs):
    return [[(a.copy(), a.dtype, a.shape) for a in _leaves(o)] for o in objs]


def assert_unchanged(snap, *objs):
    for before, o in zip(snap, objs):
        after = _leaves(o)
        assert len(after) == len(before)
        for (b, dt, shape), a in zip(before, after):
            assert a.dtype == dt and a.shape == shape
            np.testing.assert_array_equal(a, b)  # NaN == NaN here


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------
def _csr(shape=(60, 25)):
    return sp.csr_matrix(make_dense(shape))


def _with_data_value(fmt, value, pos=3):
    X = sp.csr_matrix(make_dense()) if fmt == "csr" else sp.csc_matrix(make_dense())
    X.data[pos] = value
    return X


def _dense_with(value, where=(4, 7)):
    D = make_dense()
    D[where] = value
    return D


def _broken(mutate, fmt="csr"):
    """A valid CSR/CSC copy whose arrays are mutated after construction."""
    X = (sp.csr_matrix if fmt == "csr" else sp.csc_matrix)(make_dense(), copy=True)
    mutate(X)
    return X


def _index(value, pos=5):
    def f(X):
        X.indices[pos] = value

    return f


def _decreasing(X):
    i = int(np.flatnonzero(np.diff(X.indptr) > 0)[3])  # a non-empty slice
    X.indptr[i + 1] = X.indptr[i] - 1


def _end_mismatch(X):
    X.indptr[-1] = X.indptr[-1] - 1


def _start_not_zero(X):
    X.indptr[0] = 1


def _y():
    return make_y(make_dense())


N, P = 60, 25

# id -> (kwargs builder, exception, message regex)
BAD = {
    "nan-in-dense-X": (lambda: dict(X=_dense_with(np.nan)), ValueError, r"X contains NaN"),
    "inf-in-dense-X": (lambda: dict(X=_dense_with(np.inf)), ValueError, r"X contains NaN or inf"),
    "-inf-in-dense-X": (
        lambda: dict(X=_dense_with(-np.inf)),
        ValueError,
        r"X contains NaN or infinity",
    ),
    "nan-in-f32-dense-X": (
        lambda: dict(X=_dense_with(np.nan).astype(np.float32)),
        ValueError,
        r"X contains NaN",
    ),
    "nan-in-csr-X": (lambda: dict(X=_with_data_value("csr", np.nan)), ValueError, r"X contains"),
    "inf-in-csr-X": (lambda: dict(X=_with_data_value("csr", np.inf)), ValueError, r"X contains"),
    "nan-in-csc-X": (lambda: dict(X=_with_data_value("csc", np.nan)), ValueError, r"X contains"),
    "-inf-in-csc-X": (
        lambda: dict(X=_with_data_value("csc", -np.inf)),
        ValueError,
        r"X contains NaN or infinity",
    ),
    "nan-in-coo-X": (
        lambda: dict(X=sp.coo_matrix(_dense_with(np.nan))),
        ValueError,
        r"X contains NaN",
    ),
    "nan-in-y": (
        lambda: dict(y=np.where(np.arange(N) == 9, np.nan, _y())),
        ValueError,
        r"y contains NaN",
    ),
    "inf-in-y": (
        lambda: dict(y=np.where(np.arange(N) == 9, np.inf, _y())),
        ValueError,
        r"y contains NaN or infinity",
    ),
    "nan-in-2d-y": (
        lambda: dict(y=np.where(np.arange(N)[:, None] == 9, np.nan, np.ones((N, 2)))),
        ValueError,
        r"y contains NaN",
    ),
    "nan-in-weights": (
        lambda: dict(sample_weight=np.where(np.arange(N) == 2, np.nan, 1.0)),
        ValueError,
        r"sample_weight contains NaN",
    ),
    "inf-in-weights": (
        lambda: dict(sample_weight=np.where(np.arange(N) == 2, np.inf, 1.0)),
        ValueError,
        r"sample_weight contains NaN or infinity",
    ),
    "y-too-short": (lambda: dict(y=_y()[:-1]), ValueError, r"X has 60 rows but y has 59"),
    "y-too-long": (lambda: dict(y=np.ones(61)), ValueError, r"X has 60 rows but y has 61"),
    "weights-too-short": (
        lambda: dict(sample_weight=np.ones(59)),
        ValueError,
        r"sample_weight has shape \(59,\), expected \(60,\)",
    ),
    "weights-2d": (
        lambda: dict(sample_weight=np.ones((60, 1))),
        ValueError,
        r"sample_weight has shape \(60, 1\)",
    ),
    "negative-lam": (lambda: dict(lam=-1.0), ValueError, r"lam must be positive"),
    "nan-lam": (lambda: dict(lam=np.nan), ValueError, r"lam is NaN"),
    "zero-lam": (lambda: dict(lam=0.0), ValueError, r"lam must be positive: at lam = 0"),
    "zero-lam-int": (lambda: dict(lam=0), ValueError, r"at lam = 0 .*strongly convex"),
    "inf-lam": (lambda: dict(lam=np.inf), ValueError, r"lam must be finite"),
    "negative-lam-in-array": (
        lambda: dict(y=np.ones((N, 3)), lam=np.array([1.0, -2.0, 3.0])),
        ValueError,
        r"lam must be positive",
    ),
    "lam-wrong-length": (
        lambda: dict(y=np.ones((N, 3)), lam=np.array([1.0, 2.0])),
        ValueError,
        r"lam has shape \(2,\); expected a scalar or \(3,\)",
    ),
    "lam-per-target-for-one-target": (
        lambda: dict(lam=[1.0, 2.0]),
        ValueError,
        r"lam has shape \(2,\)",
    ),
    "complex-lam": (lambda: dict(lam=1.0 + 1.0j), TypeError, r"lam must be real"),
    "negative-weights": (
        lambda: dict(sample_weight=np.where(np.arange(N) == 11, -0.5, 1.0)),
        ValueError,
        r"sample_weight has negative entries \(first at 11\)",
    ),
    "zero-weights": (
        lambda: dict(sample_weight=np.zeros(N)),
        ValueError,
        r"sample_weight is zero everywhere",
    ),
    "zero-scalar-weight": (
        lambda: dict(sample_weight=0.0),
        ValueError,
        r"sample_weight is zero everywhere",
    ),
    "negative-scalar-weight": (
        lambda: dict(sample_weight=-1.0),
        ValueError,
        r"sample_weight has negative entries",
    ),
    "csr-index-too-large": (
        lambda: dict(X=_broken(_index(P))),
        ValueError,
        r"broken sparse structure: stored entry 5 has an index outside \[0, 25\)",
    ),
    "csr-index-negative": (
        lambda: dict(X=_broken(_index(-1))),
        ValueError,
        r"broken sparse structure: stored entry 5 has an index outside \[0, 25\)",
    ),
    "csc-index-too-large": (
        lambda: dict(X=_broken(_index(N), "csc")),
        ValueError,
        r"broken sparse structure: stored entry 5 has an index outside \[0, 60\)",
    ),
    "csr-indptr-decreasing": (
        lambda: dict(X=_broken(_decreasing)),
        ValueError,
        r"broken sparse structure: indptr is not monotone",
    ),
    "csc-indptr-decreasing": (
        lambda: dict(X=_broken(_decreasing, "csc")),
        ValueError,
        r"broken sparse structure: indptr is not monotone",
    ),
    "csr-indptr-end-mismatch": (
        lambda: dict(X=_broken(_end_mismatch)),
        ValueError,
        r"broken sparse structure: indptr\[-1\] does not match the number of stored entries",
    ),
    "csr-indptr-start-not-zero": (
        lambda: dict(X=_broken(_start_not_zero)),
        ValueError,
        r"broken sparse structure: indptr\[0\] must be 0",
    ),
    "csc-indptr-start-not-zero": (
        lambda: dict(X=_broken(_start_not_zero, "csc")),
        ValueError,
        r"indptr\[0\] must be 0",
    ),
    "complex-dense-X": (
        lambda: dict(X=make_dense().astype(complex)),
        TypeError,
        r"X is complex",
    ),
    "complex-csr-X": (
        lambda: dict(X=sp.csr_matrix(make_dense().astype(complex))),
        TypeError,
        r"X is complex",
    ),
    "complex-y": (lambda: dict(y=_y().astype(complex)), TypeError, r"y is complex"),
    "complex-weights": (
        lambda: dict(sample_weight=np.ones(N, complex)),
        TypeError,
        r"sample_weight is complex",
    ),
    "zero-rows-dense": (
        lambda: dict(X=np.zeros((0, P)), y=np.zeros(0)),
        ValueError,
        r"X has shape \(0, 25\): at least one row and one column needed",
    ),
    "zero-rows-csr": (
        lambda: dict(X=sp.csr_matrix((0, P)), y=np.zeros(0)),
        ValueError,
        r"X has shape \(0, 25\)",
    ),
    "zero-columns-dense": (
        lambda: dict(X=np.zeros((N, 0))),
        ValueError,
        r"X has shape \(60, 0\): at least one row and one column needed",
    ),
    "zero-columns-csc": (
        lambda: dict(X=sp.csc_matrix((N, 0))),
        ValueError,
        r"X has shape \(60, 0\)",
    ),
    "1d-X": (lambda: dict(X=np.ones(N)), ValueError, r"X must be 2-dimensional"),
    "string-X": (lambda: dict(X=np.full((N, P), "a")), TypeError, r"X must be numeric"),
    "unknown-solver": (
        lambda: dict(solver="lbfgs"),
        ValueError,
        r"unknown solver 'lbfgs'; choose one of auto, cg, cd",
    ),
    "tol-zero": (lambda: dict(tol=0.0), ValueError, r"tol must be a positive finite number"),
    "tol-negative": (lambda: dict(tol=-1e-8), ValueError, r"tol must be a positive finite"),
    "tol-nan": (lambda: dict(tol=np.nan), ValueError, r"tol must be a positive finite"),
    "tol-inf": (lambda: dict(tol=np.inf), ValueError, r"tol must be a positive finite"),
    "tol-string": (lambda: dict(tol="1e-8"), ValueError, r"tol must be a positive finite"),
    "max-iter-negative": (
        lambda: dict(max_iter=-1),
        ValueError,
        r"max_iter must be a non-negative integer",
    ),
    "max-iter-float": (lambda: dict(max_iter=10.5), ValueError, r"max_iter must be a non-neg"),
    "max-iter-bool": (lambda: dict(max_iter=True), ValueError, r"max_iter must be a non-neg"),
    "coef-init-short": (
        lambda: dict(coef_init=np.zeros(P - 1)),
        ValueError,
        r"coef_init has shape \(24,\); expected \(25,\) or \(1, 25\)",
    ),
    "coef-init-transposed-multi": (
        lambda: dict(y=np.ones((N, 3)), coef_init=np.zeros((P, 3))),
        ValueError,
        r"coef_init has shape \(25, 3\); expected \(25,\) or \(3, 25\)",
    ),
    "coef-init-1d-for-multi": (
        lambda: dict(y=np.ones((N, 3)), coef_init=np.zeros(P)),
        ValueError,
        r"coef_init has shape \(25,\)",
    ),
    "coef-init-nan": (
        lambda: dict(coef_init=np.full(P, np.nan)),
        ValueError,
        r"coef_init contains NaN",
    ),
    "n-threads-zero": (lambda: dict(n_threads=0), ValueError, r"n_threads must be >= 1"),
    "n-threads-float": (lambda: dict(n_threads=1.5), TypeError, r"n_threads must be an int"),
}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_rejected_and_inputs_unchanged(case, solver):
    build, exc, match = BAD[case]
    kwargs = dict(X=make_dense(), y=_y(), lam=1.0)
    kwargs.update(build())
    if case == "unknown-solver":
        solver = kwargs.pop("solver")
    snap = snapshot(*kwargs.values())
    X, y, lam = kwargs.pop("X"), kwargs.pop("y"), kwargs.pop("lam")
    with pytest.raises(exc, match=match):
        fastridge.ridge(X, y, lam, solver=solver, **kwargs)
    assert_unchanged(snap, X, y, lam, *kwargs.values())


def test_broken_structure_is_rejected_before_conversion_for_cd():
    """coordinate descent converts CSR to CSC: validation must come first."""
    X = _broken(_index(10**6))
    snap = snapshot(X)
    with pytest.raises(ValueError, match="index outside"):
        fastridge.ridge(X, _y(), 1.0, solver="cd")
    assert_unchanged(snap, X)


def test_indptr_of_wrong_length_is_rejected():
    X = _csr()
    X.indptr = X.indptr[:-1].copy()
    with pytest.raises(ValueError, match=r"malformed: indptr has length 60, expected 61"):
        fastridge.ridge(X, _y(), 1.0)


# ---------------------------------------------------------------------------
# awkward but valid input: correct results
# ---------------------------------------------------------------------------
def _major_arrays(D, rng, *, shuffle=False, duplicates=False, zeros=False):
    """Raw CSR arrays of ``D`` (rows = major axis), optionally with unsorted indices,
    entries split into two stored parts, and explicit zeros."""
    n, p = D.shape
    data, indices, indptr = [], [], [0]
    for i in range(n):
        cols = list(np.flatnonzero(D[i]))
        vals = [D[i, j] for j in cols]
        if duplicates:
            for j in list(cols):
                if rng.random() < 0.4:
                    a = rng.standard_normal()
                    k = cols.index(j)
                    vals[k] = D[i, j] - a
                    cols.append(j)
                    vals.append(a)
        if zeros:
            for j in rng.choice(p, size=2, replace=True):
                cols.append(int(j))
                vals.append(0.0)
        order = rng.permutation(len(cols)) if shuffle else np.argsort(cols, kind="stable")
        indices.extend(int(cols[k]) for k in order)
        data.extend(float(vals[k]) for k in order)
        indptr.append(len(indices))
    return np.array(data), np.array(indices, np.int32), np.array(indptr, np.int32)


def raw_sparse(D, fmt, seed=0, **flags):
    rng = np.random.default_rng(seed)
    if fmt == "csr":
        data, indices, indptr = _major_arrays(D, rng, **flags)
        return sp.csr_matrix((data, indices, indptr), shape=D.shape)
    data, indices, indptr = _major_arrays(D.T, rng, **flags)
    return sp.csc_matrix((data, indices, indptr), shape=D.shape)


def _int64(X):
    X.indices = X.indices.astype(np.int64)
    X.indptr = X.indptr.astype(np.int64)
    return X


def _read_only(X):
    for a in _leaves(X):
        a.setflags(write=False)
    return X


def _memmap(D, tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, D)
    Xm = np.load(path, mmap_mode="r")
    assert isinstance(Xm, np.memmap)
    return Xm


def _empty_rows_and_cols(D):
    D = D.copy()
    D[[0, 5, 6]] = 0.0
    D[:, [1, 2, 10]] = 0.0
    return D


# id -> builder(D, tmp_path) returning (X given to ridge, its dense float64 equivalent)
GOOD = {
    "csr-unsorted": lambda D, t: (raw_sparse(D, "csr", shuffle=True), D),
    "csc-unsorted": lambda D, t: (raw_sparse(D, "csc", shuffle=True), D),
    "csr-duplicates": lambda D, t: (raw_sparse(D, "csr", shuffle=True, duplicates=True), D),
    "csc-duplicates": lambda D, t: (raw_sparse(D, "csc", shuffle=True, duplicates=True), D),
    "csc-duplicates-sorted": lambda D, t: (raw_sparse(D, "csc", duplicates=True), D),
    "csr-explicit-zeros": lambda D, t: (raw_sparse(D, "csr", zeros=True), D),
    "csc-explicit-zeros": lambda D, t: (raw_sparse(D, "csc", zeros=True, shuffle=True), D),
    "csr-empty-rows-cols": lambda D, t: (
        sp.csr_matrix(_empty_rows_and_cols(D)),
        _empty_rows_and_cols(D),
    ),
    "csc-empty-rows-cols": lambda D, t: (
        sp.csc_matrix(_empty_rows_and_cols(D)),
        _empty_rows_and_cols(D),
    ),
    "dense-empty-rows-cols": lambda D, t: (_empty_rows_and_cols(D), _empty_rows_and_cols(D)),
    "csr-int64-indices": lambda D, t: (_int64(sp.csr_matrix(D)), D),
    "csc-int64-indices": lambda D, t: (_int64(sp.csc_matrix(D)), D),
    "csr-int64-everything-awkward": lambda D, t: (
        _int64(raw_sparse(D, "csr", shuffle=True, duplicates=True, zeros=True)),
        D,
    ),
    "csr-read-only": lambda D, t: (_read_only(sp.csr_matrix(D)), D),
    "csc-read-only": lambda D, t: (_read_only(raw_sparse(D, "csc", duplicates=True)), D),
    "dense-read-only": lambda D, t: (_read_only(D.copy()), D),
    "dense-memmap": lambda D, t: (_memmap(D, t), D),
    "dense-fortran": lambda D, t: (np.asfortranarray(D), D),
    "dense-float32": lambda D, t: (D.astype(np.float32), D.astype(np.float32)),
    "csr-float32": lambda D, t: (sp.csr_matrix(D.astype(np.float32)), D.astype(np.float32)),
    "csr_matrix": lambda D, t: (sp.csr_matrix(D), D),
    "csr_array": lambda D, t: (sp.csr_array(D), D),
    "csc_matrix": lambda D, t: (sp.csc_matrix(D), D),
    "csc_array": lambda D, t: (sp.csc_array(D), D),
    "coo_matrix": lambda D, t: (sp.coo_matrix(D), D),
    "coo_array": lambda D, t: (sp.coo_array(D), D),
    "coo-duplicates": lambda D, t: (_coo_with_duplicates(D), D),
    "lil_matrix": lambda D, t: (sp.lil_matrix(D), D),
    "lil_array": lambda D, t: (sp.lil_array(D), D),
    "dok_matrix": lambda D, t: (sp.dok_matrix(D), D),
    "dok_array": lambda D, t: (sp.dok_array(D), D),
    "bsr_matrix": lambda D, t: (sp.bsr_matrix(D, blocksize=(5, 5)), D),
    "bsr_array": lambda D, t: (sp.bsr_array(D), D),
    "dia_matrix": lambda D, t: (sp.dia_matrix(D), D),
    "dia_array": lambda D, t: (sp.dia_array(D), D),
    "dense-int64": lambda D, t: (_ints(D), _ints(D).astype(np.float64)),
    "dense-int32": lambda D, t: (_ints(D).astype(np.int32), _ints(D).astype(np.float64)),
    "dense-bool": lambda D, t: (D != 0, (D != 0).astype(np.float64)),
    "csr-int-data": lambda D, t: (sp.csr_matrix(_ints(D)), _ints(D).astype(np.float64)),
    "csc-int8-data": lambda D, t: (
        sp.csc_matrix(_ints(D).astype(np.int8)),
        _ints(D).astype(np.float64),
    ),
    "dense-all-zero-columns": lambda D, t: (_zero_cols(D), _zero_cols(D)),
    "csr-all-zero-columns": lambda D, t: (sp.csr_matrix(_zero_cols(D)), _zero_cols(D)),
    "csc-all-zero-columns": lambda D, t: (sp.csc_matrix(_zero_cols(D)), _zero_cols(D)),
}


def _ints(D):
    return np.round(3 * D).astype(np.int64)


def _zero_cols(D):
    D = D.copy()
    D[:, ::4] = 0.0
    return D


def _coo_with_duplicates(D):
    r, c = np.nonzero(D)
    v = D[r, c]
    half = 0.3 * v
    return sp.coo_matrix(
        (np.concatenate([v - half, half]), (np.concatenate([r, r]), np.concatenate([c, c]))),
        shape=D.shape,
    )


def assert_solution(res, ref, rtol=RTOL):
    coef, b = ref
    coef_err = np.linalg.norm(np.asarray(res.coef) - coef)
    scale = max(np.linalg.norm(coef), 1e-300)
    assert coef_err <= rtol * scale, (coef_err, scale)
    assert np.all(np.abs(np.asarray(res.intercept) - b) <= rtol * (np.abs(b) + scale))


def _fit_and_compare(X, Xref, y, ridge_reference, solver, **kwargs):
    snap = snapshot(X, y, kwargs.get("sample_weight"))
    res = fastridge.ridge(X, y, kwargs.pop("lam", 1.0), solver=solver, tol=TOL, **kwargs)
    assert_unchanged(snap, X, y, kwargs.get("sample_weight"))
    lam = res.lam
    ref = ridge_reference(
        Xref,
        y,
        lam,
        sample_weight=kwargs.get("sample_weight"),
        fit_intercept=kwargs.get("fit_intercept", True),
    )
    assert res.converged
    assert np.all(np.asarray(res.certificate) <= TOL * np.asarray(res.p_null))
    assert_solution(res, ref)
    # and the certified bound itself: ||w - w*||^2 <= 2 certificate / lam per target
    err = np.atleast_2d(np.asarray(res.coef) - ref[0])
    cert = np.atleast_1d(res.certificate)
    lam_t = np.atleast_1d(res.lam)
    # Slack for the reference's own rounding error (dense solve: ~1e-13 relative).
    ref_rounding = (1e-13 * np.linalg.norm(np.atleast_2d(ref[0]), axis=1)) ** 2 + 1e-28
    assert np.all(np.einsum("ij,ij->i", err, err) <= 2 * cert / lam_t * (1 + 1e-6) + ref_rounding)
    return res, ref


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("case", list(GOOD))
def test_valid_input_gives_correct_results(case, shape, solver, ridge_reference, tmp_path):
    D = make_dense(SHAPES[shape], seed=3)
    X, Xref = GOOD[case](D, tmp_path)
    y = make_y(np.asarray(Xref, dtype=np.float64), seed=4)
    _fit_and_compare(X, Xref, y, ridge_reference, solver)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize(
    "case", ["csr-int64-everything-awkward", "csc-duplicates", "dense-memmap", "coo_array"]
)
def test_valid_input_weighted_multi_target(case, fit_intercept, solver, ridge_reference, tmp_path):
    D = make_dense((60, 25), seed=5)
    X, Xref = GOOD[case](D, tmp_path)
    y = make_y(Xref, seed=6, k=3)
    s = make_weights(60)
    _fit_and_compare(
        X,
        Xref,
        y,
        ridge_reference,
        solver,
        lam=np.array([0.5, 2.0, 10.0]),
        sample_weight=s,
        fit_intercept=fit_intercept,
    )


def _read_only_copy(a):
    a = np.array(a)
    a.setflags(write=False)
    return a


@pytest.mark.parametrize("solver", SOLVERS)
def test_read_only_y_weights_and_coef_init(solver, ridge_reference):
    D = make_dense(seed=7)
    X = _read_only(sp.csr_matrix(D))
    y = _read_only_copy(make_y(D))
    s = _read_only_copy(make_weights(60))
    w0 = _read_only_copy(np.ones(25))
    res = fastridge.ridge(X, y, 1.0, sample_weight=s, coef_init=w0, solver=solver, tol=TOL)
    assert_solution(res, ridge_reference(D, y, 1.0, sample_weight=s))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_constant_y(fmt, shape, weighted, solver):
    D = make_dense(SHAPES[shape], seed=8)
    X = D if fmt == "dense" else sp.csr_matrix(D).asformat(fmt)
    n = D.shape[0]
    y = np.full(n, 3.7)
    s = make_weights(n) if weighted else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fastridge.ridge(X, y, 1.0, sample_weight=s, solver=solver, tol=1e-8)
    np.testing.assert_allclose(res.coef, 0.0, atol=1e-12)
    np.testing.assert_allclose(res.intercept, 3.7, rtol=1e-12)
    # nothing to fit: w = 0 is exact, so the fit must be reported as converged, without a
    # ConvergenceWarning (y - ybar is rounding noise, P_null ~ 1e-28: a purely relative
    # stopping rule cannot be met there)
    assert [str(w.message) for w in caught] == []
    assert res.converged


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_constant_y_without_intercept(fmt, solver, ridge_reference):
    D = make_dense(seed=9)
    X = D if fmt == "dense" else sp.csr_matrix(D).asformat(fmt)
    y = np.full(60, -2.5)
    res = fastridge.ridge(X, y, 1.0, fit_intercept=False, solver=solver, tol=TOL)
    assert res.intercept == 0.0
    assert_solution(res, ridge_reference(D, y, 1.0, fit_intercept=False))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_very_large_lam(fmt, shape, weighted, solver, ridge_reference):
    D = make_dense(SHAPES[shape], seed=10)
    X = D if fmt == "dense" else sp.csr_matrix(D).asformat(fmt)
    n = D.shape[0]
    y = make_y(D, seed=11)
    s = make_weights(n) if weighted else None
    res = fastridge.ridge(X, y, 1e12, sample_weight=s, solver=solver, tol=TOL)
    w = np.ones(n) if s is None else s
    # coefficients ~ Xc^T S yc / lam, tiny
    assert np.linalg.norm(res.coef) <= 1e-8
    np.testing.assert_allclose(res.intercept, w @ y / w.sum(), rtol=1e-9)
    assert_solution(res, ridge_reference(D, y, 1e12, sample_weight=s))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
def test_scalar_sample_weight(fmt, solver, ridge_reference):
    D = make_dense(seed=12)
    X = D if fmt == "dense" else sp.csr_matrix(D).asformat(fmt)
    y = make_y(D, seed=13)
    res = fastridge.ridge(X, y, 1.0, sample_weight=2.5, solver=solver, tol=TOL)
    assert_solution(res, ridge_reference(D, y, 1.0, sample_weight=np.full(60, 2.5)))
    # a scalar weight c equals no weights with lam / c
    res1 = fastridge.ridge(X, y, 1.0 / 2.5, solver=solver, tol=TOL)
    assert_solution(res1, (res.coef, res.intercept), rtol=1e-7)


def test_all_zero_column_coefficients_are_zero():
    D = _zero_cols(make_dense(seed=14))
    y = make_y(D, seed=15)
    for solver in SOLVERS:
        res = fastridge.ridge(sp.csr_matrix(D), y, 1.0, solver=solver, tol=TOL)
        np.testing.assert_array_equal(res.coef[::4], 0.0)


def test_validation_errors_come_before_any_work(monkeypatch):
    """A bad lam is reported even though a broken solver would fail: nothing ran."""
    from fastridge._fit import ridge as _api

    def boom(*args, **kwargs):
        raise AssertionError("the operator was built before validation finished")

    monkeypatch.setattr(_api, "DesignOperator", boom)
    with pytest.raises(ValueError, match="lam"):
        fastridge.ridge(make_dense(), _y(), -1.0)
    with pytest.raises(ValueError, match="coef_init"):
        fastridge.ridge(make_dense(), _y(), 1.0, coef_init=np.zeros(3))
    with pytest.raises(ValueError, match="unknown solver"):
        fastridge.ridge(make_dense(), _y(), 1.0, solver="nope")


def test_convergence_warning_is_a_warning_not_an_error():
    """max_iter=1 is valid input: a ConvergenceWarning, not an exception."""
    D = make_dense(seed=16)
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        res = fastridge.ridge(sp.csr_matrix(D), make_y(D), 1e-3, solver="cg", max_iter=1, tol=TOL)
    assert not res.converged


# ---------------------------------------------------------------------------
# issue 10: predict validates sparse structure; no narrowing before the check;
# booleans and flags
# ---------------------------------------------------------------------------
def _fitted_estimators():
    from sklearn.datasets import make_classification

    Xc, yc = make_classification(80, 8, n_informative=4, n_classes=3, random_state=0)
    Xs = sp.csr_matrix(np.where(np.abs(Xc) > 0.5, Xc, 0.0))
    yr = Xs @ np.random.default_rng(0).standard_normal(8)
    return Xs, [
        ("predict", fastridge.Ridge(alpha=1.0).fit(Xs, yr)),
        ("predict", fastridge.RidgeCV(alphas=[0.1, 1.0]).fit(Xs, yr)),
        ("predict", fastridge.RidgeClassifier().fit(Xs, yc)),
        ("predict_proba", fastridge.LogisticRegression().fit(Xs, yc)),
        ("decision_function", fastridge.LogisticRegression().fit(Xs, yc)),
        ("predict", fastridge.LogisticRegressionCV(Cs=[1.0], cv=2).fit(Xs, yc)),
    ]


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_predict_validates_sparse_structure(fmt):
    """Issue 10: ``indptr[-1]`` beyond nnz segfaulted in predict (scipy's product
    reads past the arrays); an out-of-range index returned garbage.  Both now
    raise the ValueError that fit raises."""
    Xs, fitted = _fitted_estimators()
    for method, est in fitted:
        good = Xs.asformat(fmt)
        ref = getattr(est, method)(good)
        beyond = good.copy()
        beyond.indptr[-1] = 10**8
        with pytest.raises(ValueError, match=r"indptr\[-1\] does not match"):
            getattr(est, method)(beyond)
        out_of_range = good.copy()
        out_of_range.indices[3] = 1000
        with pytest.raises(ValueError, match=r"index outside \[0, "):
            getattr(est, method)(out_of_range)
        np.testing.assert_array_equal(getattr(est, method)(good), ref)  # valid input unchanged


def test_cli_decision_values_validate_structure():
    from fastridge._cli.results import decision_values

    X = _csr()
    X.indptr[-1] = 10**8
    with pytest.raises(ValueError, match="broken sparse structure"):
        decision_values(X, np.ones(X.shape[1]), 0.0)


def _wrapped_int64_indptr():
    """CSR with int32 indices and an int64 indptr that is valid only modulo 2^32."""
    X = _csr()
    X.indices = X.indices.astype(np.int32)
    indptr = X.indptr.astype(np.int64)
    indptr[1:-1] += 2**32  # non-monotone at the end (and past nnz): broken as int64
    X.indptr = indptr
    assert np.array_equal(indptr.astype(np.int32), _csr().indptr)  # the cast hides it
    return X


def test_int64_indptr_is_checked_before_narrowing():
    """Issue 10: the int32 copy of a wrapped int64 indptr looked valid and was used."""
    X = _wrapped_int64_indptr()
    with pytest.raises(ValueError, match="broken sparse structure: indptr is not monotone"):
        fastridge.ridge(X, _y(), 1.0)
    with pytest.raises(ValueError, match="broken sparse structure"):
        fastridge.logistic(X, np.sign(_y()), 1.0)


def test_mixed_index_dtypes_still_accepted():
    """A valid int64 indptr with int32 indices is narrowed (values fit) and fits as before."""
    from fastridge._fit.validation import check_X

    X = _csr()
    X.indices = X.indices.astype(np.int32)
    X.indptr = X.indptr.astype(np.int64)
    Xv = check_X(X)
    assert Xv.indptr.dtype == Xv.indices.dtype == np.int32
    np.testing.assert_array_equal(Xv.indptr, X.indptr)
    ref = fastridge.ridge(_csr(), _y(), 1.0, tol=TOL).coef
    np.testing.assert_allclose(fastridge.ridge(X, _y(), 1.0, tol=TOL).coef, ref, rtol=1e-12)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"lam": True}, r"lam must be a number, got the bool True"),
        ({"lam": np.bool_(True)}, r"lam must be a number, got the bool"),
        ({"lam": np.array([True])}, r"lam must be numbers, got booleans"),
        ({"tol": True}, r"tol must be a number, got the bool True"),
        ({"fit_intercept": "no"}, r"fit_intercept must be True or False, got 'no'"),
        ({"fit_intercept": 1}, r"fit_intercept must be True or False, got 1"),
        ({"fit_intercept": None}, r"fit_intercept must be True or False, got None"),
    ],
)
@pytest.mark.parametrize("entry", ["ridge", "ridge_path", "logistic", "logistic_path"])
def test_bools_and_flags_are_typed(kwargs, match, entry):
    """Issue 10: ``lam=True``, ``tol=True`` were taken as 1 and ``fit_intercept="no"``
    fitted an intercept.  Each function entry point now refuses them in one line."""
    X, y = _csr(), _y()
    if entry.startswith("logistic"):
        y = np.sign(y)
    kwargs = dict(kwargs)
    lam = kwargs.pop("lam", 1.0)
    if entry.endswith("_path") and isinstance(lam, bool | np.bool_ | np.ndarray):
        match = r"lams must be numbers, got booleans"  # the grid check (fastridge._paths.grid)
    with pytest.raises(TypeError, match=match):
        if entry.endswith("_path"):
            getattr(fastridge, entry)(X, y, lams=np.atleast_1d(lam), **kwargs)
        else:
            getattr(fastridge, entry)(X, y, lam, **kwargs)


def test_numpy_bool_flag_accepted():
    X, y = _csr(), _y()
    a = fastridge.ridge(X, y, 1.0, fit_intercept=np.bool_(False), tol=TOL)
    b = fastridge.ridge(X, y, 1.0, fit_intercept=False, tol=TOL)
    np.testing.assert_array_equal(a.coef, b.coef)
    assert a.intercept == 0.0


def test_mtx_integer_out_of_range_is_an_input_error(tmp_path):
    """An integer out of range in a MatrixMarket file is an InputError naming the file
    (scipy raised a bare OverflowError)."""
    import fastridge.io as fio

    path = tmp_path / "big.mtx"
    path.write_text(
        "%%MatrixMarket matrix coordinate integer general\n2 1 1\n1 1 18446744073709551616\n"
    )
    with pytest.raises(fio.InputError, match=r"big\.mtx"):
        fio.read_matrix(str(path))
