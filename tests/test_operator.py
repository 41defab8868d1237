"""The design operator against dense numpy formulas.

With ``s`` the weights (ones when none), ``mu = X^T s / S`` when an intercept is
fitted (0 otherwise), ``Xc = X - mu`` and ``A = sqrt(s) * Xc``:
``matvec = Xc v``, ``rmatvec = Xc^T u``, ``gram_matvec = A^T A v``,
``dual_gram_matvec = A A^T u``, ``col_sq_norms = diag(A^T A)``,
``row_sq_norms = diag(A A^T)``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from fastridge._fit.threads import numba_threads
from fastridge._fit.validation import check_X
from fastridge._operators.design import DesignOperator

KINDS = ("csr", "csc", "dense")
DTYPES = (np.float32, np.float64)
SHAPES = ((30, 12), (12, 30))
RTOL = 1e-10


def _raw_compressed(rng, n_major, n_minor, canonical):
    """Major-axis arrays with unsorted indices, duplicates (unless canonical), explicit
    zeros, an empty major slice and an empty minor slice."""
    used = np.arange(1, n_minor)  # minor index 0 stays empty
    indptr = [0]
    indices = []
    for i in range(n_major):
        L = 0 if i == 2 else int(rng.integers(0, min(6, len(used)) + 1))
        sl = rng.choice(used, size=L, replace=not canonical)
        indices.extend(sl.tolist())
        indptr.append(indptr[-1] + L)
    nnz = indptr[-1]
    data = rng.standard_normal(nnz)
    data[rng.random(nnz) < 0.15] = 0.0
    return data, np.array(indices, np.int32), np.array(indptr, np.int32)


def make_X(kind, dtype, shape, seed=0, canonical=False):
    """A (n, p) matrix in ``kind`` with the awkward features of ``_raw_compressed``."""
    rng = np.random.default_rng(seed)
    n, p = shape
    if kind == "csc":
        data, indices, indptr = _raw_compressed(rng, p, n, canonical)
        X = sp.csc_matrix((data.astype(dtype), indices, indptr), shape=shape)
    else:
        data, indices, indptr = _raw_compressed(rng, n, p, canonical)
        X = sp.csr_matrix((data.astype(dtype), indices, indptr), shape=shape)
        if kind == "dense":
            X = np.ascontiguousarray(X.toarray())
    if sp.issparse(X) and not canonical:
        assert not X.has_canonical_format
    return X


def dense_ref(X, s, fit_intercept):
    # duplicates are summed in float64 (as the kernels do), not in X's dtype
    Xd = X.astype(np.float64).toarray() if sp.issparse(X) else X.astype(np.float64)
    n, p = Xd.shape
    w = np.ones(n) if s is None else s
    mu = w @ Xd / w.sum() if fit_intercept else np.zeros(p)
    Xc = Xd - mu
    A = np.sqrt(w)[:, None] * Xc
    return Xd, mu, Xc, A


def _weights(n, weighted, seed=1):
    if not weighted:
        return None
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.0, 2.0, n)
    s[rng.random(n) < 0.2] = 0.0
    s[0] = 1.5
    return s


def _arrays(X):
    return (X.data, X.indices, X.indptr) if sp.issparse(X) else (X,)


def _snapshot(X):
    return [a.copy() for a in _arrays(X)]


def _assert_same(X, snap):
    for a, b in zip(_arrays(X), snap):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def close(out, ref, scale=None):
    out = np.asarray(out)
    assert out.dtype == np.float64
    assert out.shape == ref.shape
    scale = np.abs(ref).max(initial=0.0) if scale is None else np.asarray(scale)
    err = np.abs(out - ref)
    bad = err > RTOL * (np.abs(ref) + scale) + 1e-300
    assert not bad.any(), (out[bad], ref[bad])


def _operator(X, s, fit_intercept, nt):
    Xv = check_X(X)
    return DesignOperator(Xv, s, fit_intercept, nt)


def _operator_grid(test):
    """Parametrise over kind x dtype x intercept x weights x shape x threads."""
    for deco in (
        pytest.mark.parametrize("n_threads", [1, 2]),
        pytest.mark.parametrize("shape", SHAPES, ids=["n>p", "p>n"]),
        pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"]),
        pytest.mark.parametrize("fit_intercept", [False, True], ids=["no-intercept", "intercept"]),
        pytest.mark.parametrize("dtype", DTYPES, ids=["f32", "f64"]),
        pytest.mark.parametrize("kind", KINDS),
    ):
        test = deco(test)
    return test


@_operator_grid
def test_products_match_dense_formulas(kind, dtype, fit_intercept, weighted, shape, n_threads):
    X = make_X(kind, dtype, shape)
    n, p = shape
    s = _weights(n, weighted)
    s0 = None if s is None else s.copy()
    snap = _snapshot(X)
    Xd, mu, Xc, A = dense_ref(X, s, fit_intercept)
    rng = np.random.default_rng(7)
    with numba_threads(n_threads):
        op = _operator(X, s, fit_intercept, n_threads)
        assert op.kind == kind
        assert op.n == n and op.p == p
        close(op.mu, mu, np.abs(Xd).max())
        np.testing.assert_allclose(op.S, n if s is None else s.sum(), rtol=1e-14)
        for k in (None, 1, 3):
            v = rng.standard_normal(p if k is None else (p, k))
            u = rng.standard_normal(n if k is None else (n, k))
            v0, u0 = v.copy(), u.copy()
            sv = np.abs(Xd).max() * np.abs(v).sum()  # scale of an entry of Xc v
            su = np.abs(Xd).max() * np.abs(u).sum()
            close(op.matvec(v), Xc @ v, sv)
            close(op.rmatvec(u), Xc.T @ u, su)
            close(op.gram_matvec(v), A.T @ (A @ v), np.abs(A).T @ (np.abs(A) @ np.abs(v)))
            close(op.dual_gram_matvec(u), A @ (A.T @ u), np.abs(A) @ (np.abs(A).T @ np.abs(u)))
            np.testing.assert_array_equal(v, v0)
            np.testing.assert_array_equal(u, u0)
    _assert_same(X, snap)
    if s is not None:
        np.testing.assert_array_equal(s, s0)


@_operator_grid
def test_sq_norms_match_dense_formulas(kind, dtype, fit_intercept, weighted, shape, n_threads):
    """Column/row norms of ``A`` (exact for matrices without duplicate entries)."""
    X = make_X(kind, dtype, shape, canonical=True)
    n, _ = shape
    s = _weights(n, weighted)
    snap = _snapshot(X)
    Xd, _, _, A = dense_ref(X, s, fit_intercept)
    w = np.ones(n) if s is None else s
    with numba_threads(n_threads):
        op = _operator(X, s, fit_intercept, n_threads)
        col = op.col_sq_norms()
        row = op.row_sq_norms()
    # the formulas subtract S mu^2 from sum s x^2: error relative to the latter
    close(col, np.einsum("ij,ij->j", A, A), (w @ Xd**2).max())
    close(row, np.einsum("ij,ij->i", A, A), (w[:, None] * Xd**2).sum(axis=1).max() * 4)
    assert np.all(col >= 0) and np.all(row >= 0)
    _assert_same(X, snap)


@pytest.mark.parametrize("kind", KINDS)
def test_products_are_deterministic(kind):
    X = make_X(kind, np.float64, (40, 15), seed=3)
    s = _weights(40, True)
    rng = np.random.default_rng(0)
    v, u = rng.standard_normal((15, 2)), rng.standard_normal((40, 2))
    with numba_threads(2):
        runs = []
        for _ in range(2):
            op = _operator(X, s, True, 2)
            runs.append(
                [
                    op.matvec(v),
                    op.rmatvec(u),
                    op.gram_matvec(v),
                    op.dual_gram_matvec(u),
                    op.gram_matvec(v[:, 0]),
                    op.col_sq_norms(),
                    op.row_sq_norms(),
                ]
            )
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_read_only_X(kind, fit_intercept):
    """The operator works on read-only arrays (so it never writes into X)."""
    # duplicate-free (a matrix with duplicates is summed into a documented copy;
    # tests/test_duplicates.py), but with unsorted indices and explicit zeros
    X = make_X(kind, np.float64, (25, 10), seed=5, canonical=True)
    for a in _arrays(X):
        a.setflags(write=False)
    snap = _snapshot(X)
    Xd, _, Xc, A = dense_ref(X, None, fit_intercept)
    rng = np.random.default_rng(1)
    v, u = rng.standard_normal(10), rng.standard_normal((25, 2))
    with numba_threads(2):
        Xv = check_X(X)
        validated = (Xv,) if kind == "dense" else (Xv.data, Xv.indices, Xv.indptr)
        for a in validated:
            assert not a.flags.writeable  # no copy was made
        op = DesignOperator(Xv, None, fit_intercept, 2)
        scale = np.abs(Xd).sum()
        close(op.matvec(v), Xc @ v, scale * 10)
        close(op.rmatvec(u), Xc.T @ u, scale * 10)
        close(op.gram_matvec(v), A.T @ (A @ v), scale**2)
        close(op.dual_gram_matvec(u), A @ (A.T @ u), scale**2)
        op.col_sq_norms()
        op.row_sq_norms()
    _assert_same(X, snap)


@pytest.mark.parametrize("kind", ["csr", "csc"])
def test_operator_shares_the_callers_arrays(kind):
    """No copy of a duplicate-free float CSR/CSC X (unsorted indices and explicit zeros
    included): the validated arrays are the caller's.  With duplicates, a copy."""
    X = make_X(kind, np.float32, (20, 8), canonical=True)
    Xv = check_X(X)
    assert Xv.data is X.data or np.shares_memory(Xv.data, X.data)
    assert np.shares_memory(Xv.indices, X.indices)
    assert np.shares_memory(Xv.indptr, X.indptr)
    X = make_X(kind, np.float32, (20, 8))  # with duplicates: summed into a copy
    Xv = check_X(X)
    assert not np.shares_memory(Xv.data, X.data)
    assert Xv.nnz < X.nnz


# passes over X per call, from the table in fastridge/_operators/design.py
PASSES = {
    "matvec": {"csr": 1, "csc": 1, "dense": 1},
    "rmatvec": {"csr": 1, "csc": 1, "dense": 1},
    "gram_matvec": {"csr": 1, "csc": 2, "dense": 1},
    "dual_gram_matvec": {"csr": 2, "csc": 1, "dense": 2},
}


@pytest.mark.parametrize("k", [None, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_passes_over_X(kind, k):
    X = make_X(kind, np.float64, (20, 9))
    with numba_threads(1):
        op = _operator(X, None, True, 1)
        op.dual_gram_matvec(np.ones(20))  # warm the cached X mu
        args = {
            "matvec": np.ones(9 if k is None else (9, k)),
            "rmatvec": np.ones(20 if k is None else (20, k)),
            "gram_matvec": np.ones(9 if k is None else (9, k)),
            "dual_gram_matvec": np.ones(20 if k is None else (20, k)),
        }
        for name, arg in args.items():
            before = op.n_passes
            getattr(op, name)(arg)
            assert op.n_passes - before == PASSES[name][kind], name


@pytest.mark.parametrize("kind", KINDS)
def test_sq_norms_of_large_float32_values(kind):
    """float32 entries above ~1.8e19 have squares beyond float32 range; the norms are
    accumulated in float64 and must stay finite and correct."""
    X = make_X(kind, np.float64, (20, 8), canonical=True)
    X = X * 1e20
    X = X.astype(np.float32)
    if kind == "dense":
        X = np.ascontiguousarray(X)
    *_, A = dense_ref(X, None, False)
    with numba_threads(1):
        op = _operator(X, None, False, 1)
        col = op.col_sq_norms()
        row = op.row_sq_norms()
    np.testing.assert_allclose(col, np.einsum("ij,ij->j", A, A), rtol=1e-10)
    np.testing.assert_allclose(row, np.einsum("ij,ij->i", A, A), rtol=1e-10)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_blas_gram_is_centred_entry_by_entry(weighted, dtype):
    """Dense ``gram_dense`` / ``dual_gram_dense`` (BLAS-3 on centred slices) at means of 1e8.

    ``X^T S X - S mu mu^T`` would lose every digit here (1e16 * n against a
    spread of 1); the slices are centred before the product, so both Gram
    matrices match a long-double reference with the exact means to 1e-10
    relative.  Slices of a few
    rows (the scratch size patched down) exercise the accumulation over slices.
    """
    from fastridge._operators import design

    rng = np.random.default_rng(11)
    n, p = 203, 7
    mean = 1e8 if dtype == np.float64 else 1e4  # float32 holds no spread of 1 at 1e8
    X = (mean + rng.standard_normal((n, p))).astype(dtype)
    s = rng.uniform(0.0, 2.0, n) if weighted else None
    sw = np.ones(n) if s is None else s
    Xl = X.astype(np.longdouble)
    mu = (sw[:, None] * Xl).sum(0) / sw.sum()
    Xc = Xl - mu
    H_ref = Xc.T @ (sw[:, None] * Xc)  # a shift of mu moves H in second order only
    saved = design._GRAM_SLICE_BYTES
    try:
        for slice_bytes in (saved, 8 * 16 * max(n, p)):  # one slice; many of 16 rows/columns
            design._GRAM_SLICE_BYTES = slice_bytes
            op = DesignOperator(check_X(X), s, True, 1)
            H = op.gram_dense()
            K = op.dual_gram_dense()
            # K is projected off its null vector sqrt(s / S), which removes the
            # first-order effect of the rounded means: the exact means are its reference
            A = np.sqrt(sw.astype(np.longdouble))[:, None] * Xc
            K_ref = A @ A.T
            assert float(np.abs(H - H_ref).max() / np.abs(H_ref).max()) <= 1e-10
            assert float(np.abs(K - K_ref).max() / np.abs(K_ref).max()) <= 1e-10
    finally:
        design._GRAM_SLICE_BYTES = saved


@pytest.mark.parametrize(
    ("fmt", "n", "p", "dual"),
    [("csr", 12, 900, True), ("csc", 900, 12, False)],
)
def test_gram_blocks_keep_the_intermediates_inside_the_budget(fmt, n, p, dual, monkeypatch):
    """The identity blocks of ``dense_from_blocks`` are sized by the larger dimension.

    The dual Gram of a CSR ``X`` maps each block through ``X^T`` (p-long
    per-thread accumulators), the primal Gram of a CSC ``X`` through ``X``
    (n-long): sized by the Gram's own dimension alone, a block took
    ``n_threads * p * b`` doubles (9.5 GB for a 3,000 x 200,000 CSR in
    ``direct-dual``).  The Gram must not change.
    """
    from fastridge._operators import layout

    rng = np.random.default_rng(40)
    X = sp.random(n, p, density=0.05, format=fmt, random_state=rng) + 0.0
    s = rng.uniform(0.5, 2.0, n)
    nt = 2
    seen = []
    with numba_threads(nt):
        op = DesignOperator(check_X(X), s, True, nt)
        # room for 3 columns of the identity per block (the threads the operator uses)
        budget = 8 * max(n, p) * max(1, op.n_threads) * 3
        monkeypatch.setattr(layout, "_BLOCK_BYTES", budget)
        apply = op.dual_gram_matvec if dual else op.gram_matvec

        def spy(E):
            seen.append(E.shape[1])
            return apply(E)

        monkeypatch.setattr(op, "dual_gram_matvec" if dual else "gram_matvec", spy)
        G = op.dual_gram_dense() if dual else op.gram_dense()
    assert seen and max(seen) <= 3
    Xd = X.toarray()
    mu = s @ Xd / s.sum()
    Xc = Xd - mu
    ref = (
        (np.sqrt(s)[:, None] * Xc) @ (np.sqrt(s)[:, None] * Xc).T
        if dual
        else Xc.T @ (s[:, None] * Xc)
    )
    np.testing.assert_allclose(G, ref, rtol=1e-10, atol=1e-12 * np.abs(ref).max())
