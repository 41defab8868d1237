"""Property-based tests of every kernel in ``fastridge._kernels`` against scipy/numpy.

Random compressed matrices are built from raw ``(data, indices, indptr)`` arrays
with unsorted indices, duplicate entries (which add up), explicit zeros, empty
slices on both axes, int32/int64 indices and float32/float64 data.  The
reference is scipy's ``csr_matrix`` over the same arrays in float64 (scipy
visits every stored entry, so duplicates are summed).  The error allowed is
relative to ``|M| |v|`` (elementwise), i.e. to the sum of absolute products,
which bounds the rounding error of any summation order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from fastridge import _kernels as K
from fastridge._fit.threads import numba_threads
from fastridge._kernels import _validate as V

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)
RTOL = 1e-12

INDEX_DTYPES = (np.int32, np.int64)
DATA_DTYPES = (np.float32, np.float64)


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------
@dataclass
class CS:
    """Raw compressed arrays of ``M`` (n_major x n_minor), as the kernels take them."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    n_minor: int

    @property
    def n_major(self) -> int:
        return self.indptr.shape[0] - 1

    def scipy(self, absolute: bool = False, square: bool = False) -> sp.csr_matrix:
        """float64 scipy CSR over the same arrays (duplicates kept, summed by products).

        ``square`` squares each stored part before summing (sum of squared parts).
        """
        d = self.data.astype(np.float64)
        if square:
            d = d * d
        if absolute:
            d = np.abs(d)
        return sp.csr_matrix(
            (d, self.indices.copy(), self.indptr.copy()), shape=(self.n_major, self.n_minor)
        )

    def has_duplicates(self) -> bool:
        for i in range(self.n_major):
            sl = self.indices[self.indptr[i] : self.indptr[i + 1]]
            if len(np.unique(sl)) != len(sl):
                return True
        return False

    def copies(self):
        return self.indptr.copy(), self.indices.copy(), self.data.copy()

    def assert_unchanged(self, before):
        for a, b in zip((self.indptr, self.indices, self.data), before):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def _build(rng, n_major, n_minor, idx_dtype, data_dtype, *, canonical, sort, p_empty, zero_frac):
    n_used = int(rng.integers(0, n_minor + 1)) if n_minor else 0
    if n_used < n_minor and rng.random() < 0.3:
        n_used = n_minor  # sometimes every column may be used
    cols = rng.choice(n_minor, size=n_used, replace=False) if n_used else np.zeros(0, int)
    max_len = n_used if canonical else 2 * n_used
    lengths = rng.integers(0, max_len + 1, size=n_major) if n_used else np.zeros(n_major, int)
    lengths[rng.random(n_major) < p_empty] = 0
    parts = []
    for L in lengths:
        sl = rng.choice(cols, size=L, replace=not canonical) if L else np.zeros(0, int)
        parts.append(np.sort(sl) if sort else sl)
    indices = np.concatenate(parts).astype(idx_dtype) if parts else np.zeros(0, idx_dtype)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(idx_dtype)
    nnz = int(indptr[-1])
    data = rng.standard_normal(nnz) * 10.0 ** rng.uniform(-2, 2, nnz)
    data[rng.random(nnz) < zero_frac] = 0.0
    return CS(indptr, indices, data.astype(data_dtype), n_minor)


@st.composite
def compressed(draw, canonical=False, sort=False, max_major=14, max_minor=10):
    """A random compressed matrix; ``canonical``: no duplicates within a slice."""
    n_major = draw(st.integers(0, max_major))
    n_minor = draw(st.integers(0, max_minor))
    idx_dtype = draw(st.sampled_from(INDEX_DTYPES))
    data_dtype = draw(st.sampled_from(DATA_DTYPES))
    p_empty = draw(st.sampled_from([0.0, 0.3]))
    zero_frac = draw(st.sampled_from([0.0, 0.25]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return _build(
        rng,
        n_major,
        n_minor,
        idx_dtype,
        data_dtype,
        canonical=canonical,
        sort=sort,
        p_empty=p_empty,
        zero_frac=zero_frac,
    )


@st.composite
def dense_matrices(draw, max_n=14, max_p=10):
    n = draw(st.integers(0, max_n))
    p = draw(st.integers(0, max_p))
    dtype = draw(st.sampled_from(DATA_DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-2, 2, (n, p))
    X[rng.random((n, p)) < 0.2] = 0.0
    if n and rng.random() < 0.5:
        X[rng.integers(n)] = 0.0  # an empty row
    if p and rng.random() < 0.5:
        X[:, rng.integers(p)] = 0.0  # an empty column
    return np.ascontiguousarray(X.astype(dtype))


def _vector(seed, m, k=None, zeros=True):
    """float64 vector (m,) or matrix (m, k) with some exact zeros."""
    rng = np.random.default_rng(seed)
    shape = (m,) if k is None else (m, k)
    v = rng.standard_normal(shape)
    if zeros:
        v[rng.random(shape) < 0.2] = 0.0
    return np.ascontiguousarray(v)


seeds = st.integers(0, 2**32 - 1)
thread_counts = st.integers(1, 4)
n_rhs = st.integers(1, 3)


def assert_close(out, ref, scale, rtol=RTOL):
    """``|out - ref| <= rtol * scale`` elementwise (``scale`` = sum of |products|)."""
    out = np.asarray(out)
    ref = np.asarray(ref)
    assert out.shape == ref.shape
    assert out.dtype == np.float64
    assert np.all(np.isfinite(out))
    err = np.abs(out - ref)
    bad = err > rtol * np.asarray(scale)
    assert not bad.any(), (out[bad], ref[bad], np.asarray(scale)[bad] if np.ndim(scale) else 0)


def _acc(nt, *shape):
    """Per-thread scratch filled with NaN: a kernel must zero it before use."""
    return np.full((nt, *shape), np.nan)


def _out(*shape):
    return np.full(shape, np.nan)


# ---------------------------------------------------------------------------
# products
# ---------------------------------------------------------------------------
@SETTINGS
@given(M=compressed(), seed=seeds)
def test_cs_major_dot(M, seed):
    v = _vector(seed, M.n_minor)
    before, v0 = M.copies(), v.copy()
    out = _out(M.n_major)
    K.cs_major_dot(M.indptr, M.indices, M.data, v, out)
    ref = M.scipy() @ v
    assert_close(out, ref, M.scipy(absolute=True) @ np.abs(v))
    out2 = _out(M.n_major)
    K.cs_major_dot(M.indptr, M.indices, M.data, v, out2)
    np.testing.assert_array_equal(out, out2)
    M.assert_unchanged(before)
    np.testing.assert_array_equal(v, v0)


@SETTINGS
@given(M=compressed(), seed=seeds, k=n_rhs)
def test_cs_major_dot_multi(M, seed, k):
    V_ = _vector(seed, M.n_minor, k)
    before, V0 = M.copies(), V_.copy()
    out = _out(M.n_major, k)
    K.cs_major_dot_multi(M.indptr, M.indices, M.data, V_, out)
    assert_close(out, M.scipy() @ V_, M.scipy(absolute=True) @ np.abs(V_))
    out2 = _out(M.n_major, k)
    K.cs_major_dot_multi(M.indptr, M.indices, M.data, V_, out2)
    np.testing.assert_array_equal(out, out2)
    M.assert_unchanged(before)
    np.testing.assert_array_equal(V_, V0)


@SETTINGS
@given(M=compressed(), seed=seeds, nt=thread_counts)
def test_cs_major_scatter(M, seed, nt):
    u = _vector(seed, M.n_major)
    bounds = K.partition(M.indptr, nt)
    before, u0, b0 = M.copies(), u.copy(), bounds.copy()
    out = _out(M.n_minor)
    K.cs_major_scatter(M.indptr, M.indices, M.data, u, bounds, _acc(nt, M.n_minor), out)
    assert_close(out, M.scipy().T @ u, M.scipy(absolute=True).T @ np.abs(u))
    out2 = _out(M.n_minor)
    K.cs_major_scatter(M.indptr, M.indices, M.data, u, bounds, _acc(nt, M.n_minor), out2)
    np.testing.assert_array_equal(out, out2)
    M.assert_unchanged(before)
    np.testing.assert_array_equal(u, u0)
    np.testing.assert_array_equal(bounds, b0)


@SETTINGS
@given(M=compressed(), seed=seeds, nt=thread_counts, k=n_rhs)
def test_cs_major_scatter_multi(M, seed, nt, k):
    U = _vector(seed, M.n_major, k)
    bounds = K.partition(M.indptr, nt)
    before, U0 = M.copies(), U.copy()
    out = _out(M.n_minor, k)
    acc = _acc(nt, M.n_minor, k)
    K.cs_major_scatter_multi(M.indptr, M.indices, M.data, U, bounds, acc, out)
    assert_close(out, M.scipy().T @ U, M.scipy(absolute=True).T @ np.abs(U))
    out2 = _out(M.n_minor, k)
    acc = _acc(nt, M.n_minor, k)
    K.cs_major_scatter_multi(M.indptr, M.indices, M.data, U, bounds, acc, out2)
    np.testing.assert_array_equal(out, out2)
    M.assert_unchanged(before)
    np.testing.assert_array_equal(U, U0)


def _weights(seed, n):
    rng = np.random.default_rng(seed + 1)
    d = rng.uniform(0.0, 3.0, n)
    d[rng.random(n) < 0.25] = 0.0
    return d


@SETTINGS
@given(M=compressed(), seed=seeds, nt=thread_counts)
def test_cs_gram(M, seed, nt):
    v = _vector(seed, M.n_minor)
    d = _weights(seed, M.n_major)
    bounds = K.partition(M.indptr, nt)
    before, v0, d0 = M.copies(), v.copy(), d.copy()

    def run():
        out = _out(M.n_minor)
        parts = _out(nt)
        K.cs_gram(M.indptr, M.indices, M.data, d, v, bounds, _acc(nt, M.n_minor), out, parts)
        return out, parts

    out, parts = run()
    S, Sa = M.scipy(), M.scipy(absolute=True)
    z = S @ v
    za = Sa @ np.abs(v)
    assert_close(out, S.T @ (d * z), Sa.T @ (d * za))
    # dz_parts[t] = sum of d_i (M v)_i over thread t's slices
    for t in range(nt):
        sl = slice(bounds[t], bounds[t + 1])
        assert_close(parts[t], d[sl] @ z[sl], d[sl] @ za[sl])
    assert_close(parts.sum(), d @ z, d @ za)
    out2, parts2 = run()
    np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(parts, parts2)
    M.assert_unchanged(before)
    np.testing.assert_array_equal(v, v0)
    np.testing.assert_array_equal(d, d0)


@SETTINGS
@given(M=compressed(), seed=seeds, nt=thread_counts)
def test_cs_outer_gram(M, seed, nt):
    """``M^T diag(d) M`` over unsorted slices with duplicates (a duplicated
    index's pair counts twice, as in the square of the summed entry), both
    the threaded kernel and its serial twin; symmetric to the bit."""
    d = _weights(seed, M.n_major)
    bounds = K.partition(M.indptr, nt)
    before, d0 = M.copies(), d.copy()
    m = M.n_minor
    S, Sa = M.scipy(), M.scipy(absolute=True)
    ref = (S.T @ sp.diags(d) @ S).toarray()
    scale = (Sa.T @ sp.diags(d) @ Sa).toarray()
    for kernel in (K.cs_outer_gram, K.cs_outer_gram_serial):
        out = _out(m, m)
        kernel(M.indptr, M.indices, M.data, d, bounds, _acc(nt, m, m), out)
        assert_close(out, ref, scale)
        np.testing.assert_array_equal(out, out.T)
    M.assert_unchanged(before)
    np.testing.assert_array_equal(d, d0)


@SETTINGS
@given(M=compressed(), seed=seeds, nt=thread_counts, k=st.integers(0, 3))
def test_cs_moments_scatter(M, seed, nt, k):
    """``[M^T s, (M*M)^T s, M^T SY]``; one right-hand side runs its own unrolled
    loop, which must give the same bits as the general loop (the same column
    inside a two-column SY), threaded and serial alike."""
    s = _weights(seed, M.n_major)
    SY = _vector(seed + 2, M.n_major, k) if k else np.empty((M.n_major, 0))
    bounds = K.partition(M.indptr, nt)
    m = M.n_minor
    S, Sa, S2 = M.scipy(), M.scipy(absolute=True), M.scipy(square=True)
    ref = np.column_stack([S.T @ s, S2.T @ s] + ([S.T @ SY] if k else []))
    scale = np.column_stack([Sa.T @ s, S2.T @ s] + ([Sa.T @ np.abs(SY)] if k else []))
    for kernel in (K.cs_moments_scatter, K.cs_moments_scatter_serial):
        out = _out(m, 2 + k)
        kernel(M.indptr, M.indices, M.data, s, SY, bounds, _acc(nt, m, 2 + k), out)
        assert_close(out, ref.reshape(m, 2 + k), scale.reshape(m, 2 + k))
        if k == 1:
            two = np.column_stack([SY[:, 0], SY[:, 0]])
            out2 = _out(m, 4)
            kernel(M.indptr, M.indices, M.data, s, two, bounds, _acc(nt, m, 4), out2)
            np.testing.assert_array_equal(out, out2[:, :3])


@SETTINGS
@given(X=dense_matrices(), seed=seeds, nt=thread_counts, k=st.integers(0, 3))
def test_dense_moments(X, seed, nt, k):
    """:func:`test_cs_moments_scatter` for dense rows."""
    n, p = X.shape
    s = _weights(seed, n)
    SY = _vector(seed + 2, n, k) if k else np.empty((n, 0))
    bounds = K.partition_dense(n, nt)
    X64 = X.astype(np.float64)
    ref = np.column_stack([X64.T @ s, (X64 * X64).T @ s] + ([X64.T @ SY] if k else []))
    ref = ref.reshape(p, 2 + k)
    scale = np.column_stack(
        [np.abs(X64).T @ s, (X64 * X64).T @ s] + ([np.abs(X64).T @ np.abs(SY)] if k else [])
    ).reshape(p, 2 + k)
    for kernel in (K.dense_moments, K.dense_moments_serial):
        out = _out(p, 2 + k)
        kernel(X, s, SY, bounds, _acc(nt, p, 2 + k), out)
        assert_close(out, ref, scale)
        if k == 1:
            two = np.column_stack([SY[:, 0], SY[:, 0]])
            out2 = _out(p, 4)
            kernel(X, s, two, bounds, _acc(nt, p, 4), out2)
            np.testing.assert_array_equal(out, out2[:, :3])


@SETTINGS
@given(M=compressed(), seed=seeds, nt=thread_counts, k=n_rhs)
def test_cs_gram_multi(M, seed, nt, k):
    V_ = _vector(seed, M.n_minor, k)
    d = _weights(seed, M.n_major)
    bounds = K.partition(M.indptr, nt)
    before, V0 = M.copies(), V_.copy()

    def run():
        out = _out(M.n_minor, k)
        parts = _out(nt, k)
        acc = _acc(nt, M.n_minor, k)
        K.cs_gram_multi(M.indptr, M.indices, M.data, d, V_, bounds, acc, out, parts)
        return out, parts

    out, parts = run()
    S, Sa = M.scipy(), M.scipy(absolute=True)
    Z = S @ V_
    Za = Sa @ np.abs(V_)
    assert_close(out, S.T @ (d[:, None] * Z), Sa.T @ (d[:, None] * Za))
    for t in range(nt):
        sl = slice(bounds[t], bounds[t + 1])
        assert_close(parts[t], d[sl] @ Z[sl], d[sl] @ Za[sl])
    out2, parts2 = run()
    np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(parts, parts2)
    M.assert_unchanged(before)
    np.testing.assert_array_equal(V_, V0)


@SETTINGS
@given(M=compressed(), seed=seeds)
def test_cs_gram_single_matches_multi_with_one_column(M, seed):
    """The k=1 multi kernel and the vector kernel compute the same product."""
    v = _vector(seed, M.n_minor)
    d = _weights(seed, M.n_major)
    bounds = K.partition(M.indptr, 2)
    out1, p1 = _out(M.n_minor), _out(2)
    K.cs_gram(M.indptr, M.indices, M.data, d, v, bounds, _acc(2, M.n_minor), out1, p1)
    out2, p2 = _out(M.n_minor, 1), _out(2, 1)
    acc = _acc(2, M.n_minor, 1)
    K.cs_gram_multi(M.indptr, M.indices, M.data, d, v[:, None].copy(), bounds, acc, out2, p2)
    scale = M.scipy(absolute=True).T @ (d * (M.scipy(absolute=True) @ np.abs(v)))
    assert_close(out2[:, 0], out1, scale)


# ---------------------------------------------------------------------------
# norms and sums
# ---------------------------------------------------------------------------
@SETTINGS
@given(M=compressed(canonical=True), seed=seeds)
def test_cs_major_sq_norms_canonical(M, seed):
    w = _weights(seed, M.n_minor)
    before = M.copies()
    out = _out(M.n_major)
    K.cs_major_sq_norms(M.indptr, M.indices, M.data, w, out)
    Md = M.scipy().toarray()
    ref = (Md**2) @ w
    assert_close(out, ref, ref)
    M.assert_unchanged(before)
    # unit weights: squared slice norms
    K.cs_major_sq_norms(M.indptr, M.indices, M.data, np.ones(M.n_minor), out)
    ref1 = np.einsum("ij,ij->i", Md, Md)
    assert_close(out, ref1, ref1)


@SETTINGS
@given(M=compressed(), seed=seeds)
def test_cs_major_sq_norms_duplicates_sum_squared_parts(M, seed):
    """Documented: with duplicates the squares of the stored parts are summed."""
    w = _weights(seed, M.n_minor)
    out = _out(M.n_major)
    K.cs_major_sq_norms(M.indptr, M.indices, M.data, w, out)
    ref = M.scipy(square=True) @ w
    assert_close(out, ref, ref)


def test_cs_major_sq_norms_duplicate_example():
    # row 0 stores (0, 1) twice as 1 and 2: parts give 1 + 4 = 5, not (1 + 2)^2 = 9
    for idx in INDEX_DTYPES:
        indptr = np.array([0, 3, 3], idx)
        indices = np.array([1, 0, 1], idx)
        data = np.array([1.0, 3.0, 2.0])
        out = np.empty(2)
        K.cs_major_sq_norms(indptr, indices, data, np.ones(2), out)
        np.testing.assert_array_equal(out, [1.0 + 9.0 + 4.0, 0.0])
        assert not K.cs_is_strictly_sorted(indptr, indices)


@SETTINGS
@given(M=compressed(), seed=seeds, nt=thread_counts)
def test_cs_minor_sums_power1(M, seed, nt):
    u = _vector(seed, M.n_major)
    bounds = K.partition(M.indptr, nt)
    before = M.copies()
    out = _out(M.n_minor)
    K.cs_minor_sums(M.indptr, M.indices, M.data, u, 1, bounds, _acc(nt, M.n_minor), out)
    assert_close(out, M.scipy().T @ u, M.scipy(absolute=True).T @ np.abs(u))
    out2 = _out(M.n_minor)
    K.cs_minor_sums(M.indptr, M.indices, M.data, u, 1, bounds, _acc(nt, M.n_minor), out2)
    np.testing.assert_array_equal(out, out2)
    M.assert_unchanged(before)


@SETTINGS
@given(M=compressed(canonical=True), seed=seeds, nt=thread_counts)
def test_cs_minor_sums_power2_canonical(M, seed, nt):
    u = _vector(seed, M.n_major)
    bounds = K.partition(M.indptr, nt)
    out = _out(M.n_minor)
    K.cs_minor_sums(M.indptr, M.indices, M.data, u, 2, bounds, _acc(nt, M.n_minor), out)
    Md = M.scipy().toarray()
    assert_close(out, (Md**2).T @ u, (Md**2).T @ np.abs(u))
    out2 = _out(M.n_minor)
    K.cs_minor_sums(M.indptr, M.indices, M.data, u, 2, bounds, _acc(nt, M.n_minor), out2)
    np.testing.assert_array_equal(out, out2)


@SETTINGS
@given(M=compressed(), seed=seeds, nt=thread_counts)
def test_cs_minor_sums_power2_duplicates_sum_squared_parts(M, seed, nt):
    """Like ``cs_major_sq_norms``: duplicates contribute the squares of their parts."""
    u = _vector(seed, M.n_major)
    bounds = K.partition(M.indptr, nt)
    out = _out(M.n_minor)
    K.cs_minor_sums(M.indptr, M.indices, M.data, u, 2, bounds, _acc(nt, M.n_minor), out)
    Sq = M.scipy(square=True)
    assert_close(out, Sq.T @ u, Sq.T @ np.abs(u))


# ---------------------------------------------------------------------------
# dense kernels
# ---------------------------------------------------------------------------
@SETTINGS
@given(X=dense_matrices(), seed=seeds, k=n_rhs)
def test_dense_dot(X, seed, k):
    n, p = X.shape
    X0 = X.copy()
    Xd, Xa = X.astype(np.float64), np.abs(X.astype(np.float64))
    v = _vector(seed, p)
    out = _out(n)
    K.dense_dot(X, v, out)
    assert_close(out, Xd @ v, Xa @ np.abs(v))
    out2 = _out(n)
    K.dense_dot(X, v, out2)
    np.testing.assert_array_equal(out, out2)
    V_ = _vector(seed, p, k)
    outm = _out(n, k)
    K.dense_dot_multi(X, V_, outm)
    assert_close(outm, Xd @ V_, Xa @ np.abs(V_))
    np.testing.assert_array_equal(X, X0)


@SETTINGS
@given(M=compressed(), seed=seeds, k=n_rhs)
def test_gram_rows_of_zero_weight_are_skipped_exactly(M, seed, k):
    """One thread: the fused Gram products and the moments with zero weights on some rows
    are, bit for bit, those of the matrix without those rows (a fold's test rows add +-0:
    skipped)."""
    rng = np.random.default_rng(seed)
    d = _vector(seed, M.n_major)
    d[rng.random(M.n_major) < 0.4] = 0.0
    live = np.flatnonzero(d != 0.0)
    sub = CS(
        np.concatenate([[0], np.cumsum(np.diff(M.indptr)[live])]).astype(M.indptr.dtype),
        np.concatenate(
            [M.indices[M.indptr[i] : M.indptr[i + 1]] for i in live] or [M.indices[:0]]
        ),
        np.concatenate([M.data[M.indptr[i] : M.indptr[i + 1]] for i in live] or [M.data[:0]]),
        M.n_minor,
    )
    v = _vector(seed + 1, M.n_minor)
    V_ = _vector(seed + 2, M.n_minor, k)
    results = []
    for mat, dd in ((M, d), (sub, d[live])):
        bounds = np.array([0, mat.n_major], dtype=np.int64)
        out, parts = _out(M.n_minor), _out(1)
        K.cs_gram(*mat.copies(), dd, v, bounds, _acc(1, M.n_minor), out, parts, 0.3)
        outm, partsm = _out(M.n_minor, k), _out(1, k)
        K.cs_gram_multi(*mat.copies(), dd, V_, bounds, _acc(1, M.n_minor, k), outm, partsm)
        SY = _vector(seed + 3, mat.n_major, k) * (dd != 0.0)[:, None]
        if mat is M:
            SY_full = SY
        else:
            SY = SY_full[live]
        mom = _out(M.n_minor, 2 + k)
        K.cs_moments_scatter(*mat.copies(), dd, SY, bounds, _acc(1, M.n_minor, 2 + k), mom)
        results.append([out, parts, outm, partsm, mom])
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


@SETTINGS
@given(X=dense_matrices(), seed=seeds, k=n_rhs)
def test_dense_gram_rows_of_zero_weight_are_skipped_exactly(X, seed, k):
    """As for CSR: zero-weight rows of a dense X change no bit of the Gram products and
    moments."""
    n, p = X.shape
    d = _vector(seed, n)
    d[np.random.default_rng(seed).random(n) < 0.4] = 0.0
    live = d != 0.0
    v, V_ = _vector(seed + 1, p), _vector(seed + 2, p, k)
    results = []
    for mat, dd in ((X, d), (np.ascontiguousarray(X[live]), d[live])):
        bounds = np.array([0, mat.shape[0]], dtype=np.int64)
        out, parts = _out(p), _out(1)
        K.dense_gram(mat, dd, v, bounds, _acc(1, p), out, parts, 0.3)
        outm, partsm = _out(p, k), _out(1, k)
        K.dense_gram_multi(mat, dd, V_, bounds, _acc(1, p, k), outm, partsm)
        SY = (_vector(seed + 3, n, k) * live[:, None])[live if mat is not X else slice(None)]
        mom = _out(p, 2 + k)
        K.dense_moments(mat, dd, SY, bounds, _acc(1, p, 2 + k), mom)
        results.append([out, parts, outm, partsm, mom])
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def _row_dot_reference(x, v):
    """The summation order documented by ``_dense._row_dot``, in Python floats."""
    s = [0.0] * 8
    p = len(x)
    full = p - p % 8
    for j in range(full):
        s[j % 8] += float(x[j]) * float(v[j])
    for j in range(full, p):
        s[0] += float(x[j]) * float(v[j])
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0, 1, 7, 8, 9, 15, 16, 17, 40, 403])
def test_dense_row_dots_follow_the_documented_order(p, dtype):
    """dense_dot, dense_gram_xv's X v and the serial twins: 8 partial sums, bit for bit."""
    rng = np.random.default_rng(1000 + p)
    n = 5
    X = (rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-8, 8, (n, p))).astype(dtype)
    v = rng.standard_normal(p) * 10.0 ** rng.uniform(-8, 8, p)
    expected = np.array([_row_dot_reference(X[i], v) for i in range(n)])
    for dot in (K.dense_dot, K.SERIAL[K.dense_dot]):
        out = _out(n)
        dot(X, v, out)
        np.testing.assert_array_equal(out, expected)
    bounds = K.partition_dense(n, 2)
    z = _out(n)
    K.dense_gram_xv(X, np.ones(n), v, bounds, _acc(2, p), _out(p), _out(2), z)
    np.testing.assert_array_equal(z, expected)


@SETTINGS
@given(X=dense_matrices(), seed=seeds, nt=thread_counts, k=n_rhs)
def test_dense_scatter(X, seed, nt, k):
    n, p = X.shape
    X0 = X.copy()
    Xd, Xa = X.astype(np.float64), np.abs(X.astype(np.float64))
    bounds = K.partition_dense(n, nt)
    u = _vector(seed, n)
    out = _out(p)
    K.dense_scatter(X, u, bounds, _acc(nt, p), out)
    assert_close(out, Xd.T @ u, Xa.T @ np.abs(u))
    out2 = _out(p)
    K.dense_scatter(X, u, bounds, _acc(nt, p), out2)
    np.testing.assert_array_equal(out, out2)
    U = _vector(seed, n, k)
    outm = _out(p, k)
    K.dense_scatter_multi(X, U, bounds, _acc(nt, p, k), outm)
    assert_close(outm, Xd.T @ U, Xa.T @ np.abs(U))
    outm2 = _out(p, k)
    K.dense_scatter_multi(X, U, bounds, _acc(nt, p, k), outm2)
    np.testing.assert_array_equal(outm, outm2)
    np.testing.assert_array_equal(X, X0)


@SETTINGS
@given(X=dense_matrices(), seed=seeds, nt=thread_counts, k=n_rhs)
def test_dense_gram(X, seed, nt, k):
    n, p = X.shape
    X0 = X.copy()
    Xd, Xa = X.astype(np.float64), np.abs(X.astype(np.float64))
    bounds = K.partition_dense(n, nt)
    d = _weights(seed, n)

    v = _vector(seed, p)
    out, parts = _out(p), _out(nt)
    K.dense_gram(X, d, v, bounds, _acc(nt, p), out, parts)
    z, za = Xd @ v, Xa @ np.abs(v)
    assert_close(out, Xd.T @ (d * z), Xa.T @ (d * za))
    for t in range(nt):
        sl = slice(bounds[t], bounds[t + 1])
        assert_close(parts[t], d[sl] @ z[sl], d[sl] @ za[sl])
    out2, parts2 = _out(p), _out(nt)
    K.dense_gram(X, d, v, bounds, _acc(nt, p), out2, parts2)
    np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(parts, parts2)

    V_ = _vector(seed, p, k)
    outm, partsm = _out(p, k), _out(nt, k)
    K.dense_gram_multi(X, d, V_, bounds, _acc(nt, p, k), outm, partsm)
    Z, Za = Xd @ V_, Xa @ np.abs(V_)
    assert_close(outm, Xd.T @ (d[:, None] * Z), Xa.T @ (d[:, None] * Za))
    for t in range(nt):
        sl = slice(bounds[t], bounds[t + 1])
        assert_close(partsm[t], d[sl] @ Z[sl], d[sl] @ Za[sl])
    outm2, partsm2 = _out(p, k), _out(nt, k)
    K.dense_gram_multi(X, d, V_, bounds, _acc(nt, p, k), outm2, partsm2)
    np.testing.assert_array_equal(outm, outm2)
    np.testing.assert_array_equal(partsm, partsm2)
    np.testing.assert_array_equal(X, X0)


@SETTINGS
@given(X=dense_matrices(), seed=seeds, nt=thread_counts)
def test_dense_norms_and_col_sums(X, seed, nt):
    n, p = X.shape
    X0 = X.copy()
    Xd = X.astype(np.float64)
    out = _out(n)
    K.dense_row_sq_norms(X, out)
    ref = np.einsum("ij,ij->i", Xd, Xd)
    assert_close(out, ref, ref)
    bounds = K.partition_dense(n, nt)
    u = _vector(seed, n)
    for power in (1, 2):
        Xp = Xd**power
        out = _out(p)
        K.dense_col_sums(X, u, power, bounds, _acc(nt, p), out)
        assert_close(out, Xp.T @ u, np.abs(Xp).T @ np.abs(u))
        out2 = _out(p)
        K.dense_col_sums(X, u, power, bounds, _acc(nt, p), out2)
        np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(X, X0)


# ---------------------------------------------------------------------------
# determinism and thread counts
# ---------------------------------------------------------------------------
@settings(max_examples=15, deadline=None, derandomize=True)
@given(M=compressed(max_major=40, max_minor=30), seed=seeds, nt=thread_counts)
def test_results_do_not_depend_on_numba_thread_count(M, seed, nt):
    """For fixed ``bounds`` the output is bitwise the same whatever Numba's thread count."""
    u = _vector(seed, M.n_major)
    v = _vector(seed, M.n_minor)
    d = _weights(seed, M.n_major)
    bounds = K.partition(M.indptr, nt)
    results = []
    for threads in (1, 2):
        with numba_threads(min(threads, numba.config.NUMBA_NUM_THREADS)):
            dot = _out(M.n_major)
            K.cs_major_dot(M.indptr, M.indices, M.data, v, dot)
            sc = _out(M.n_minor)
            K.cs_major_scatter(M.indptr, M.indices, M.data, u, bounds, _acc(nt, M.n_minor), sc)
            g, parts = _out(M.n_minor), _out(nt)
            K.cs_gram(M.indptr, M.indices, M.data, d, v, bounds, _acc(nt, M.n_minor), g, parts)
            results.append((dot, sc, g, parts))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------------
# structure checks
# ---------------------------------------------------------------------------
def _strictly_sorted_ref(indptr, indices):
    return all(
        np.all(np.diff(indices[indptr[i] : indptr[i + 1]].astype(np.int64)) > 0)
        for i in range(len(indptr) - 1)
    )


@SETTINGS
@given(M=st.one_of(compressed(), compressed(canonical=True, sort=True), compressed(sort=True)))
def test_cs_is_strictly_sorted(M):
    got = K.cs_is_strictly_sorted(M.indptr, M.indices)
    assert got == _strictly_sorted_ref(M.indptr, M.indices)
    if got:
        # strictly sorted implies scipy's canonical format
        S = M.scipy()
        assert S.has_canonical_format


def test_cs_is_strictly_sorted_examples():
    for idx in INDEX_DTYPES:
        ip = np.array([0, 2, 2, 4], idx)
        assert K.cs_is_strictly_sorted(ip, np.array([0, 3, 1, 2], idx))
        assert not K.cs_is_strictly_sorted(ip, np.array([0, 3, 2, 1], idx))  # unsorted
        assert not K.cs_is_strictly_sorted(ip, np.array([0, 3, 2, 2], idx))  # duplicate
        # a decrease across a slice boundary is fine
        assert K.cs_is_strictly_sorted(ip, np.array([2, 3, 0, 1], idx))
        assert K.cs_is_strictly_sorted(np.zeros(1, idx), np.zeros(0, idx))


def _structure_ref(indptr, indices, n_minor, n_data):
    """Python transcription of the documented check order."""
    indptr = indptr.astype(np.int64)
    n_major = len(indptr) - 1
    if indptr[0] != 0:
        return V.INDPTR_START_NOT_ZERO, 0
    for i in range(n_major):
        if indptr[i + 1] < indptr[i]:
            return V.INDPTR_DECREASING, i
    nnz = indptr[-1]
    if nnz != len(indices) or nnz != n_data:
        return V.INDPTR_END_MISMATCH, n_major
    for k in range(nnz):
        if not 0 <= indices[k] < n_minor:
            return V.INDEX_OUT_OF_RANGE, k
    return V.STRUCTURE_OK, -1


CORRUPTIONS = ("none", "start", "decrease", "end", "data_len", "index_high", "index_neg")


@settings(max_examples=120, deadline=None, derandomize=True)
@given(M=compressed(), how=st.sampled_from(CORRUPTIONS), seed=seeds)
def test_check_compressed_structure(M, how, seed):
    rng = np.random.default_rng(seed)
    indptr, indices = M.indptr.copy(), M.indices.copy()
    n_data = M.data.shape[0]
    nnz = int(indptr[-1])
    n_major = M.n_major
    if how == "start":
        indptr[0] = rng.choice([1, -1, 5])
    elif how == "decrease" and n_major >= 1:
        i = int(rng.integers(0, n_major))
        indptr[i + 1] = indptr[i] - 1 - int(rng.integers(0, 3))
    elif how == "end":
        indptr[-1] += rng.choice([1, 2, 7])
    elif how == "data_len":
        n_data = nnz + int(rng.choice([-1, 1])) if nnz else 1
    elif how in ("index_high", "index_neg") and nnz:
        k = int(rng.integers(0, nnz))
        indices[k] = M.n_minor + int(rng.integers(0, 3)) if how == "index_high" else -1
    expected = _structure_ref(indptr, indices, M.n_minor, n_data)
    code, pos = K.check_compressed_structure(indptr, indices, M.n_minor, n_data)
    assert (int(code), int(pos)) == (int(expected[0]), int(expected[1]))
    if how == "none":
        assert code == V.STRUCTURE_OK and pos == -1


def test_check_compressed_structure_examples():
    for idx in INDEX_DTYPES:
        ip = np.array([0, 2, 3], idx)
        ix = np.array([0, 2, 1], idx)
        ok = (V.STRUCTURE_OK, -1)
        assert K.check_compressed_structure(ip, ix, 3, 3) == ok
        assert K.check_compressed_structure(ip, ix, 2, 3) == (V.INDEX_OUT_OF_RANGE, 1)
        assert K.check_compressed_structure(ip, ix, 3, 4) == (V.INDPTR_END_MISMATCH, 2)
        assert K.check_compressed_structure(np.array([1, 2, 3], idx), ix, 3, 3) == (
            V.INDPTR_START_NOT_ZERO,
            0,
        )
        assert K.check_compressed_structure(np.array([0, 3, 2], idx), ix, 3, 3) == (
            V.INDPTR_DECREASING,
            1,
        )
        assert K.check_compressed_structure(ip, np.array([0, -1, 1], idx), 3, 3) == (
            V.INDEX_OUT_OF_RANGE,
            1,
        )
        # the empty matrix with no minor axis is valid
        assert K.check_compressed_structure(np.zeros(4, idx), np.zeros(0, idx), 0, 0) == ok


@SETTINGS
@given(
    shape=st.sampled_from([(0,), (1,), (7,), (40,), (3, 5), (6, 1)]),
    dtype=st.sampled_from(DATA_DTYPES),
    n_bad=st.integers(0, 3),
    seed=seeds,
)
def test_first_non_finite(shape, dtype, n_bad, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    size = a.size
    for _ in range(n_bad if size else 0):
        a.flat[rng.integers(size)] = rng.choice([np.nan, np.inf, -np.inf])
    a0 = a.copy()
    bad = np.flatnonzero(~np.isfinite(a.ravel()))
    expected = int(bad[0]) if bad.size else -1
    assert K.first_non_finite(a) == expected
    np.testing.assert_array_equal(a, a0)


def test_first_non_finite_examples():
    for dtype in DATA_DTYPES:
        a = np.array([1.0, np.finfo(dtype).max, -0.0, np.inf, np.nan], dtype)
        assert K.first_non_finite(a) == 3
        assert K.first_non_finite(a[:3].copy()) == -1
        assert K.first_non_finite(np.array([np.nan, 1.0], dtype)) == 0
        assert K.first_non_finite(np.array([[1.0, 2.0], [-np.inf, 0.0]], dtype)) == 2


# ---------------------------------------------------------------------------
# partitions
# ---------------------------------------------------------------------------
@SETTINGS
@given(M=compressed(max_major=60, max_minor=12), nt=st.integers(1, 8))
def test_partition(M, nt):
    indptr0 = M.indptr.copy()
    b = K.partition(M.indptr, nt)
    np.testing.assert_array_equal(M.indptr, indptr0)
    assert b.dtype == np.int64
    assert b.shape == (nt + 1,)
    assert b[0] == 0 and b[-1] == M.n_major
    assert np.all(np.diff(b) >= 0)
    # about equal cost: a slice costs nnz + 1, a thread at most its share plus one slice
    cost = np.diff(M.indptr.astype(np.int64)) + 1
    total = cost.sum()
    biggest = cost.max() if cost.size else 0
    for t in range(nt):
        assert cost[b[t] : b[t + 1]].sum() <= total / nt + biggest


@pytest.mark.parametrize("idx", INDEX_DTYPES)
def test_partition_edge_cases(idx):
    empty = np.zeros(1, idx)  # no slices at all
    for nt in (1, 3):
        np.testing.assert_array_equal(K.partition(empty, nt), np.zeros(nt + 1))
    one = np.array([0, 5], idx)
    np.testing.assert_array_equal(K.partition(one, 1), [0, 1])
    b = K.partition(one, 4)
    assert b[0] == 0 and b[-1] == 1 and np.all(np.diff(b) >= 0)
    # equal slices split evenly
    even = np.arange(0, 41, 5).astype(idx)  # 8 slices of 5
    np.testing.assert_array_equal(K.partition(even, 2), [0, 4, 8])
    np.testing.assert_array_equal(K.partition(even, 4), [0, 2, 4, 6, 8])


@SETTINGS
@given(n=st.integers(0, 200), nt=st.integers(1, 8))
def test_partition_dense(n, nt):
    b = K.partition_dense(n, nt)
    assert b.dtype == np.int64
    assert b.shape == (nt + 1,)
    assert b[0] == 0 and b[-1] == n
    sizes = np.diff(b)
    assert np.all(sizes >= 0)
    assert sizes.max() - sizes.min() <= 1


# ---------------------------------------------------------------------------
# a hand-made matrix with every awkward feature at once
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("idx", INDEX_DTYPES)
@pytest.mark.parametrize("dtype", DATA_DTYPES)
@pytest.mark.parametrize("nt", [1, 2, 3])
def test_awkward_matrix_all_kernels(idx, dtype, nt):
    # 5 x 4: row 1 empty, column 3 empty, row 0 unsorted with a duplicate (0, 2),
    # row 2 has an explicit zero, row 4 is a lone duplicate pair summing to 0.
    indptr = np.array([0, 3, 3, 5, 6, 8], idx)
    indices = np.array([2, 0, 2, 1, 0, 1, 2, 2], idx)
    data = np.array([1.5, -2.0, 0.5, 0.0, 4.0, 3.0, 1.0, -1.0], dtype)
    dense = np.array(
        [[-2.0, 0, 2.0, 0], [0, 0, 0, 0], [4.0, 0.0, 0, 0], [0, 3.0, 0, 0], [0, 0, 0.0, 0]]
    )
    M = CS(indptr, indices, data, 4)
    np.testing.assert_array_equal(M.scipy().toarray(), dense)
    v = np.array([1.0, 2.0, -3.0, 5.0])
    u = np.array([1.0, -1.0, 2.0, 0.5, 7.0])
    bounds = K.partition(indptr, nt)
    out = np.empty(5)
    K.cs_major_dot(indptr, indices, data, v, out)
    np.testing.assert_allclose(out, dense @ v, rtol=1e-15)
    out = np.empty(4)
    K.cs_major_scatter(indptr, indices, data, u, bounds, _acc(nt, 4), out)
    np.testing.assert_allclose(out, dense.T @ u, rtol=1e-15)
    parts = np.empty(nt)
    K.cs_gram(indptr, indices, data, u**2, v, bounds, _acc(nt, 4), out, parts)
    np.testing.assert_allclose(out, dense.T @ (u**2 * (dense @ v)), rtol=1e-15)
    np.testing.assert_allclose(parts.sum(), u**2 @ (dense @ v), rtol=1e-15)
    # duplicates: squares of parts (row 0: 1.5^2 + 4 + 0.25, row 4: 1 + 1)
    out = np.empty(5)
    K.cs_major_sq_norms(indptr, indices, data, np.ones(4), out)
    np.testing.assert_allclose(out, [6.5, 0.0, 16.0, 9.0, 2.0], rtol=1e-15)


# ---------------------------------------------------------------------------
# float32 data: squares must be taken in float64 (docs/architecture.md section 4)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("big", [1e20, 3e-25])
def test_squares_of_float32_data_are_taken_in_float64(big):
    """``x * x`` of a float32 value overflows (|x| > 1.8e19) or underflows in float32."""
    X = np.array([[big, 1.0], [2.0 * big, 3.0]], np.float32)
    Xd = X.astype(np.float64)
    row_ref = np.einsum("ij,ij->i", Xd, Xd)
    col_ref = (Xd**2).sum(axis=0)
    ones2 = np.ones(2)

    out = np.empty(2)
    K.dense_row_sq_norms(X, out)
    np.testing.assert_allclose(out, row_ref, rtol=1e-12)

    out = np.empty(2)
    K.dense_col_sums(X, ones2, 2, K.partition_dense(2, 1), _acc(1, 2), out)
    np.testing.assert_allclose(out, col_ref, rtol=1e-12)

    indptr = np.array([0, 2, 4], np.int32)
    indices = np.array([0, 1, 0, 1], np.int32)
    data = X.ravel().copy()
    out = np.empty(2)
    K.cs_major_sq_norms(indptr, indices, data, ones2, out)
    np.testing.assert_allclose(out, row_ref, rtol=1e-12)

    out = np.empty(2)
    K.cs_minor_sums(indptr, indices, data, ones2, 2, K.partition(indptr, 1), _acc(1, 2), out)
    np.testing.assert_allclose(out, col_ref, rtol=1e-12)


# ---------------------------------------------------------------------------
# fused binary logistic loss and gradient (_logistic_grad): one pass per row
# ---------------------------------------------------------------------------
def _logistic_reference(X64, w, b, y, s):
    """float64 NumPy ``(loss, X^T u, sum u, sum d, z)`` and error scales for them."""
    from scipy.special import expit

    z = X64 @ w
    t = y * (z + b)
    live = s > 0
    loss_terms = np.where(live, s * np.logaddexp(0.0, -t), 0.0)
    u = -s * y * expit(-t)
    d = s * expit(t) * expit(-t)
    return loss_terms.sum(), X64.T @ u, u.sum(), d.sum(), z


def _logistic_case(seed, n, p):
    rng = np.random.default_rng(seed + 7)
    w = rng.standard_normal(p) * 10.0 ** rng.uniform(-2, 0.5)
    b = float(rng.standard_normal() * 3.0)
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    s = _weights(seed, n)  # a quarter of them exactly zero
    return w, b, y, s


def _check_logistic(run, X64, w, b, y, s, nt):
    """Run a fused kernel twice (bitwise equal) and compare it with the reference."""
    p = X64.shape[1]
    loss_ref, g_ref, su_ref, sd_ref, z_ref = _logistic_reference(X64, w, b, y, s)
    Xa = np.abs(X64)
    za = Xa @ np.abs(w)
    # |d loss_i| <= s_i |dz_i| and |du_i| <= s_i |dz_i| / 4: scales of the errors
    err_z = RTOL * za
    out, z, parts = run()
    assert_close(z, z_ref, za)
    assert parts.shape == (nt, 3)
    assert_close(parts[:, 0].sum(), loss_ref, abs(loss_ref) + s @ (za + 1.0))
    assert_close(parts[:, 1].sum(), su_ref, s @ (1.0 + err_z))
    assert_close(parts[:, 2].sum(), sd_ref, s @ (1.0 + err_z))
    scale = Xa.T @ (s * (1.0 + za)) if p else np.zeros(0)
    assert_close(out, g_ref, scale)
    out2, z2, parts2 = run()
    np.testing.assert_array_equal(out, out2)
    np.testing.assert_array_equal(z, z2)
    np.testing.assert_array_equal(parts, parts2)
    return out, z, parts


@SETTINGS
@given(X=dense_matrices(), seed=seeds, nt=st.integers(1, 3))
def test_dense_logistic_grad(X, seed, nt):
    n, p = X.shape
    w, b, y, s = _logistic_case(seed, n, p)
    bounds = K.partition_dense(n, nt)
    before = X.copy()
    results = []
    for kernel in (K.dense_logistic_grad, K.dense_logistic_grad_serial):

        def run(kernel=kernel):
            out, z, parts = _out(p), _out(n), _out(nt, 3)
            kernel(X, w, b, y, s, bounds, _acc(nt, p), out, z, parts)
            return out, z, parts

        results.append(_check_logistic(run, X.astype(np.float64), w, b, y, s, nt))
    # the serial twin makes the same additions in the same order
    for a, c in zip(*results):
        np.testing.assert_array_equal(a, c)
    if nt == 1:  # one thread scatters straight into out (acc = out[None])
        out, z, parts = _out(p), _out(n), _out(1, 3)
        K.dense_logistic_grad_serial(X, w, b, y, s, bounds, out[None], out, z, parts)
        np.testing.assert_array_equal(out, results[0][0])
    np.testing.assert_array_equal(X, before)


@SETTINGS
@given(M=compressed(), seed=seeds, nt=st.integers(1, 3))
def test_csr_logistic_grad(M, seed, nt):
    n, p = M.n_major, M.n_minor
    w, b, y, s = _logistic_case(seed, n, p)
    bounds = K.partition(M.indptr, nt)
    before = M.copies()
    X64 = M.scipy().toarray()  # duplicates summed, in float64
    results = []
    for kernel in (K.csr_logistic_grad, K.csr_logistic_grad_serial):

        def run(kernel=kernel):
            out, z, parts = _out(p), _out(n), _out(nt, 3)
            kernel(M.indptr, M.indices, M.data, w, b, y, s, bounds, _acc(nt, p), out, z, parts)
            return out, z, parts

        results.append(_check_logistic(run, X64, w, b, y, s, nt))
    for a, c in zip(*results):
        np.testing.assert_array_equal(a, c)
    M.assert_unchanged(before)


@pytest.mark.parametrize("kind", ["dense", "csr"])
@pytest.mark.parametrize("dtype", DATA_DTYPES)
def test_logistic_grad_saturated_margins_and_zero_weights(kind, dtype):
    """Margins of +-inf and 1e307 give finite terms; a zero weight silences any row."""
    X = np.array([[1e3, 0.0], [-1e3, 2.0], [0.0, 0.0], [1.0, 1.0]], dtype)
    w = np.array([1e307, 1.0])
    y = np.array([1.0, 1.0, -1.0, 1.0])
    s = np.array([1.0, 0.0, 2.0, 1.0])  # row 1 (margin -inf) has no weight
    n, p = X.shape
    bounds = K.partition_dense(n, 2) if kind == "dense" else None
    out, z, parts = np.empty(p), np.empty(n), np.empty((2, 3))
    if kind == "dense":
        K.dense_logistic_grad(X, w, 0.0, y, s, bounds, _acc(2, p), out, z, parts)
    else:
        M = sp.csr_matrix(X)
        bounds = K.partition(M.indptr, 2)
        args = (M.indptr, M.indices, M.data)
        K.csr_logistic_grad(*args, w, 0.0, y, s, bounds, _acc(2, p), out, z, parts)
    # row 0: t = inf (loss 0, u 0); row 2: t = 0 (loss 2 log 2, u = 2 * 1/2)
    # row 3: t = 1e307 (loss 0)
    assert np.isinf(z[0]) and np.isinf(z[1])
    np.testing.assert_allclose(parts[:, 0].sum(), 2.0 * np.log(2.0), rtol=1e-15)
    np.testing.assert_allclose(parts[:, 1].sum(), 1.0, rtol=1e-15)
    np.testing.assert_allclose(parts[:, 2].sum(), 0.5, rtol=1e-15)
    np.testing.assert_array_equal(out, np.zeros(p))  # row 2 is empty
