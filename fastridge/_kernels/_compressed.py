"""Numba kernels on a compressed sparse structure (CSR or CSC).

Both formats store a matrix ``M`` slice by slice along its *major* axis:
``M[i, indices[k]] += data[k]`` for ``k in range(indptr[i], indptr[i + 1])``.
For CSR the major axis is the rows (``M = X``); for CSC it is the columns
(``M = X^T``).  Every kernel here is written once for ``M`` and serves both:

=====================  ====================  ====================
kernel                 on CSR (``M = X``)    on CSC (``M = X^T``)
=====================  ====================  ====================
``cs_major_dot``       ``X v``               ``X^T u``
``cs_major_scatter``   ``X^T u``             ``X v``
``cs_gram``            ``X^T (d * (X v))``   ``X (d * (X^T u))``
=====================  ====================  ====================

Conventions (docs/architecture.md, "4. Numba conventions"):

* ``data`` is float32 or float64, ``indices``/``indptr`` one integer type;
  every product accumulates in float64 and writes float64 outputs.
* Unsorted indices, duplicate entries (they add up) and explicit zeros are
  handled by construction: each stored entry is visited once.
* Parallel kernels split the major axis into ``len(bounds) - 1`` static slices
  (``bounds`` from :func:`fastridge._kernels.partition`), one per thread.
  Scatters go into a per-thread accumulator ``acc[t]`` which is summed in
  thread order afterwards, so the result is bitwise reproducible for a given
  thread count.
* Outputs are overwritten; inputs are never modified.  ``acc`` is scratch.
"""

from __future__ import annotations

import types

import numpy as np
from numba import njit, prange

# Minor-axis length handled by one task of the accumulator reduction.  Large
# enough that the scheduling overhead is negligible, small enough that both
# threads get work for p ~ 1e4.
_REDUCE_CHUNK = 4096


@njit(cache=True, nogil=True, inline="always")
def _slice_dot(indices, data, v, lo, hi):
    """``sum_k data[k] * v[indices[k]]`` for ``k`` in ``[lo, hi)``.

    Four running sums, combined as ``(s0 + s1) + (s2 + s3)``: the gathers of
    ``v`` then overlap instead of waiting on one chain of additions (about 8%
    faster on the fused Gram pass).  The order is fixed, so the result is
    still deterministic.
    """
    s0 = 0.0
    s1 = 0.0
    s2 = 0.0
    s3 = 0.0
    k = lo
    while k + 4 <= hi:
        s0 += data[k] * v[indices[k]]
        s1 += data[k + 1] * v[indices[k + 1]]
        s2 += data[k + 2] * v[indices[k + 2]]
        s3 += data[k + 3] * v[indices[k + 3]]
        k += 4
    while k < hi:
        s0 += data[k] * v[indices[k]]
        k += 1
    return (s0 + s1) + (s2 + s3)


@njit(cache=True, nogil=True, parallel=True)
def _reduce_acc(acc, out):
    """``out[j] = sum_t acc[t, j]`` summed in thread order ``t = 0, 1, ...``.

    Nothing to do when there is one slab and it is ``out`` itself (the
    single-threaded callers pass ``acc = out[None]`` to skip the copy).
    """
    nt = acc.shape[0]
    m = out.shape[0]
    if nt == 1 and acc.ctypes.data == out.ctypes.data:
        return
    n_chunks = (m + _REDUCE_CHUNK - 1) // _REDUCE_CHUNK
    for c in prange(n_chunks):
        lo = c * _REDUCE_CHUNK
        hi = min(m, lo + _REDUCE_CHUNK)
        for j in range(lo, hi):
            s = acc[0, j]
            for t in range(1, nt):
                s += acc[t, j]
            out[j] = s


@njit(cache=True, nogil=True, parallel=True)
def _reduce_acc_multi(acc, out):
    """``out[j, :] = sum_t acc[t, j, :]`` summed in thread order (no-op if ``acc = out[None]``)."""
    nt = acc.shape[0]
    m = out.shape[0]
    if nt == 1 and acc.ctypes.data == out.ctypes.data:
        return
    k = out.shape[1]
    n_chunks = (m + _REDUCE_CHUNK - 1) // _REDUCE_CHUNK
    for c in prange(n_chunks):
        lo = c * _REDUCE_CHUNK
        hi = min(m, lo + _REDUCE_CHUNK)
        for j in range(lo, hi):
            for r in range(k):
                s = acc[0, j, r]
                for t in range(1, nt):
                    s += acc[t, j, r]
                out[j, r] = s


@njit(cache=True, nogil=True, parallel=True)
def cs_major_dot(indptr, indices, data, v, out):
    """``out[i] = sum_k data[k] * v[indices[k]]`` over slice ``i``: ``out = M v``.

    Each output entry is independent, so the loop is parallel with no
    accumulator and deterministic for any thread count.
    """
    n_major = indptr.shape[0] - 1
    for i in prange(n_major):
        out[i] = _slice_dot(indices, data, v, indptr[i], indptr[i + 1])


@njit(cache=True, nogil=True, parallel=True)
def cs_major_dot_multi(indptr, indices, data, V, out):
    """``out[i, :] = sum_k data[k] * V[indices[k], :]``: ``out = M V`` for ``V`` (m, k)."""
    n_major = indptr.shape[0] - 1
    k_rhs = V.shape[1]
    for i in prange(n_major):
        for r in range(k_rhs):
            out[i, r] = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            x = data[k]
            j = indices[k]
            for r in range(k_rhs):
                out[i, r] += x * V[j, r]


@njit(cache=True, nogil=True, parallel=True)
def cs_major_scatter(indptr, indices, data, u, bounds, acc, out):
    """``out[j] = sum_i u[i] * M[i, j]``: ``out = M^T u``.

    Thread ``t`` scatters slices ``bounds[t]:bounds[t+1]`` into ``acc[t]``
    (shape ``(n_threads, n_minor)``); the slabs are then summed in order.
    """
    nt = bounds.shape[0] - 1
    m = out.shape[0]
    for t in prange(nt):
        for j in range(m):
            acc[t, j] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            ui = u[i]
            if ui != 0.0:
                for k in range(indptr[i], indptr[i + 1]):
                    acc[t, indices[k]] += ui * data[k]
    _reduce_acc(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def cs_major_scatter_multi(indptr, indices, data, U, bounds, acc, out):
    """``out[j, :] = sum_i M[i, j] * U[i, :]``: ``out = M^T U`` for ``U`` (n_major, k)."""
    nt = bounds.shape[0] - 1
    m = out.shape[0]
    k_rhs = U.shape[1]
    for t in prange(nt):
        for j in range(m):
            for r in range(k_rhs):
                acc[t, j, r] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            for k in range(indptr[i], indptr[i + 1]):
                x = data[k]
                j = indices[k]
                for r in range(k_rhs):
                    acc[t, j, r] += x * U[i, r]
    _reduce_acc_multi(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def cs_gram(indptr, indices, data, d, v, bounds, acc, out, dz_parts, shift=0.0):
    """Fused ``out = M^T (d * (M v - shift))`` in ONE pass over ``M``.

    For each slice ``i``: ``z_i = M[i, :] . v - shift`` (a dot over the slice),
    then ``d_i * z_i * M[i, :]`` is scattered into the thread's accumulator
    while the slice is still in cache.  Also writes ``dz_parts[t] = sum_i d_i z_i``
    over thread ``t``'s slices (the operator needs ``d . z`` for centring).
    The operator passes ``shift = mu . v`` so that ``z = Xc v`` is centred
    before it is scattered: expanding ``Xc^T S Xc`` as ``X^T S X - S mu mu^T``
    instead loses every digit when the column means dwarf their spread.
    A slice with ``d_i = 0`` (the test rows of a cross-validation fold) adds
    ``+-0`` to every sum and is skipped, dot product included.
    """
    nt = bounds.shape[0] - 1
    m = out.shape[0]
    for t in prange(nt):
        for j in range(m):
            acc[t, j] = 0.0
        dz = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            if d[i] == 0.0:
                continue  # adds +-0 (a fold's test row, a zero weight): skip its dot
            c = d[i] * (_slice_dot(indices, data, v, indptr[i], indptr[i + 1]) - shift)
            dz += c
            if c != 0.0:
                for k in range(indptr[i], indptr[i + 1]):
                    acc[t, indices[k]] += c * data[k]
        dz_parts[t] = dz
    _reduce_acc(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def cs_gram_xv(indptr, indices, data, d, v, bounds, acc, out, dz_parts, z_out, shift=0.0):
    """:func:`cs_gram` that also stores ``z_out = M v`` (the dots it computes
    anyway, before the shift).

    Slices with ``d_i = 0`` skip the scatter but still get their dot: a
    cross-validation fold (zero weights on its test rows) gets the test
    predictions ``M_test v`` from the same pass.
    """
    nt = bounds.shape[0] - 1
    m = out.shape[0]
    for t in prange(nt):
        for j in range(m):
            acc[t, j] = 0.0
        dz = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            z = _slice_dot(indices, data, v, indptr[i], indptr[i + 1])
            z_out[i] = z
            c = d[i] * (z - shift)
            dz += c
            if c != 0.0:
                for k in range(indptr[i], indptr[i + 1]):
                    acc[t, indices[k]] += c * data[k]
        dz_parts[t] = dz
    _reduce_acc(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def cs_gram_multi(indptr, indices, data, d, V, bounds, acc, out, dz_parts, shift=None):
    """Fused ``out = M^T (d * (M V - shift))`` for ``V`` (n_minor, k), reading ``M`` once.

    ``shift`` (k,) is subtracted from every row of ``M V`` (None: no shift;
    see :func:`cs_gram`); ``dz_parts[t, r] = sum_i d_i (M V - shift)[i, r]``
    over thread ``t``'s slices.
    """
    nt = bounds.shape[0] - 1
    m = out.shape[0]
    k_rhs = V.shape[1]
    for t in prange(nt):
        for j in range(m):
            for r in range(k_rhs):
                acc[t, j, r] = 0.0
        z = np.zeros(k_rhs)
        for r in range(k_rhs):
            dz_parts[t, r] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            di = d[i]
            if di == 0.0:
                continue  # adds +-0 to every sum: skip the row's dots and scatter
            for r in range(k_rhs):
                z[r] = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                x = data[k]
                j = indices[k]
                for r in range(k_rhs):
                    z[r] += x * V[j, r]
            if shift is not None:
                for r in range(k_rhs):
                    z[r] -= shift[r]
            for r in range(k_rhs):
                z[r] *= di
                dz_parts[t, r] += z[r]
            for k in range(indptr[i], indptr[i + 1]):
                x = data[k]
                j = indices[k]
                for r in range(k_rhs):
                    acc[t, j, r] += z[r] * x
    _reduce_acc_multi(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def cs_major_sq_norms(indptr, indices, data, w, out):
    """``out[i] = sum_k w[indices[k]] * data[k]^2`` over slice ``i``.

    With ``w = 1`` these are the squared norms of the slices (row norms for
    CSR, column norms for CSC); a weight on the minor axis gives weighted
    norms (``sum_i s_i X_ij^2`` per column of a CSC matrix).

    Duplicate entries ``(i, j)`` stored twice add the squares of the parts,
    not the square of their sum: exact only for matrices without duplicates
    (the operator reports whether the structure is canonical).
    """
    n_major = indptr.shape[0] - 1
    for i in prange(n_major):
        s = 0.0
        for k in range(indptr[i], indptr[i + 1]):
            x = np.float64(data[k])
            s += w[indices[k]] * (x * x)
        out[i] = s


@njit(cache=True, nogil=True, parallel=True)
def cs_minor_sums(indptr, indices, data, u, power, bounds, acc, out):
    """``out[j] = sum_i u[i] * M[i, j]^power`` for ``power`` in {1, 2}.

    With ``power=1`` this is :func:`cs_major_scatter`; ``power=2`` gives
    weighted squared norms along the minor axis (column norms for CSR).  As in
    :func:`cs_major_sq_norms`, duplicate entries add the squares of their parts.
    """
    nt = bounds.shape[0] - 1
    m = out.shape[0]
    for t in prange(nt):
        for j in range(m):
            acc[t, j] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            ui = u[i]
            if ui != 0.0:
                for k in range(indptr[i], indptr[i + 1]):
                    x = np.float64(data[k])  # square in float64 also for float32 data
                    if power == 2:
                        x = x * x
                    acc[t, indices[k]] += ui * x
    _reduce_acc(acc, out)


@njit(cache=True, nogil=True)
def cs_is_strictly_sorted(indptr, indices):
    """True when every slice's indices are strictly increasing (sorted, no duplicates)."""
    n_major = indptr.shape[0] - 1
    for i in range(n_major):
        for k in range(indptr[i] + 1, indptr[i + 1]):
            if indices[k] <= indices[k - 1]:
                return False
    return True


@njit(cache=True, nogil=True, inline="always")
def _zero_row(A, i):
    """Whether row ``i`` of the 2-D ``A`` is all zeros."""
    for r in range(A.shape[1]):
        if A[i, r] != 0.0:
            return False
    return True


@njit(cache=True, nogil=True, parallel=True)
def cs_moments_scatter(indptr, indices, data, s, SY, bounds, acc, out):
    """One pass of weighted moments along the minor axis (columns of a CSR ``X``).

    ``out[j, 0] = sum_i s_i M_ij``, ``out[j, 1] = sum_i s_i M_ij^2`` and
    ``out[j, 2 + r] = sum_i SY[i, r] M_ij`` (``SY = s * Y``): the column means,
    squared column norms and ``X^T S Y`` a ridge fit needs, reading ``M`` once.
    With duplicate entries ``out[:, 1]`` sums squares of the parts.

    One right-hand side (the logistic gradient pass) has its own loop: the
    general loop over ``k_rhs`` inside the loop over entries doubled the time
    of the pass (case A: 95 ms with one column against 46 ms with none; the
    unrolled loop costs 55).  The additions are the same, in the same order.
    A slice with ``s_i = 0`` and ``SY[i] = 0`` adds ``+-0`` and is skipped.
    """
    nt = bounds.shape[0] - 1
    m = out.shape[0]
    k2 = out.shape[1]
    k_rhs = SY.shape[1]
    for t in prange(nt):
        for j in range(m):
            for r in range(k2):
                acc[t, j, r] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            si = s[i]
            if si == 0.0 and _zero_row(SY, i):
                continue  # adds +-0 everywhere (a fold's test row): skipped
            if k_rhs == 1:
                y0 = SY[i, 0]
                for k in range(indptr[i], indptr[i + 1]):
                    x = np.float64(data[k])
                    j = indices[k]
                    acc[t, j, 0] += si * x
                    acc[t, j, 1] += si * x * x
                    acc[t, j, 2] += y0 * x
                continue
            for k in range(indptr[i], indptr[i + 1]):
                x = np.float64(data[k])
                j = indices[k]
                acc[t, j, 0] += si * x
                acc[t, j, 1] += si * x * x
                for r in range(k_rhs):
                    acc[t, j, 2 + r] += SY[i, r] * x
    _reduce_acc_multi(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def cs_moments_dot(indptr, indices, data, s, SY, out):
    """The moments of :func:`cs_moments_scatter` along the major axis (columns of CSC)."""
    n_major = indptr.shape[0] - 1
    k_rhs = SY.shape[1]
    for j in prange(n_major):
        m1 = 0.0
        m2 = 0.0
        for r in range(k_rhs):
            out[j, 2 + r] = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            x = np.float64(data[k])
            i = indices[k]
            m1 += s[i] * x
            m2 += s[i] * x * x
            for r in range(k_rhs):
                out[j, 2 + r] += SY[i, r] * x
        out[j, 0] = m1
        out[j, 1] = m2


@njit(cache=True, nogil=True, parallel=True)
def cs_outer_gram(indptr, indices, data, d, bounds, acc, out):
    """Dense ``out = M^T diag(d) M`` (m x m) as a sum of outer products of slices.

    ``out[j1, j2] = sum_i d_i M[i, j1] M[i, j2]``: for CSR that is
    ``X^T D X`` (p x p), for CSC ``X D X^T`` (n x n).  Costs
    ``sum_i nnz_i (nnz_i + 1) / 2`` multiply-adds: each pair of a slice's
    entries once (``kb >= ka``), added to the upper triangle, then mirrored;
    far less than ``m`` matrix-vector products when slices are short.
    Indices need not be sorted; a duplicated index (two entries of one
    slice in the same column, which fits never pass) is counted twice, as
    its pair is in ``(x_a + x_b)^2``.  ``acc`` is ``(n_threads, m, m)``
    scratch.  (An earlier version visited all ``nnz_i^2`` ordered pairs and
    kept half: w8a's 300 x 300 Gram took 9.4 ms, now about half.)
    """
    nt = bounds.shape[0] - 1
    m = out.shape[0]
    for t in prange(nt):
        for a in range(m):
            for b in range(m):
                acc[t, a, b] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            di = d[i]
            if di == 0.0:
                continue
            lo = indptr[i]
            hi = indptr[i + 1]
            for ka in range(lo, hi):
                xa = di * data[ka]
                ja = indices[ka]
                acc[t, ja, ja] += xa * data[ka]
                for kb in range(ka + 1, hi):
                    jb = indices[kb]
                    v = xa * data[kb]
                    if jb > ja:  # upper triangle only; mirrored below
                        acc[t, ja, jb] += v
                    elif jb < ja:  # unsorted indices
                        acc[t, jb, ja] += v
                    else:  # a duplicated index: the pair counts twice
                        acc[t, ja, ja] += 2.0 * v
    _reduce_acc_multi(acc, out)
    for a in range(m):
        for b in range(a + 1, m):
            out[b, a] = out[a, b]


def serial_clone(dispatcher, **global_overrides):
    """A non-parallel twin of a ``parallel=True`` kernel, from the same source.

    ``prange`` runs as ``range``; globals named in ``global_overrides`` (the
    reduction helpers) are replaced by their serial twins.  The twin gets its
    own ``__qualname__`` so the two never share an on-disk cache entry.
    Small problems use the twins: starting the thread pool costs more than a
    pass over a matrix of a few hundred thousand entries.
    """
    fn = dispatcher.py_func
    glb = dict(fn.__globals__)
    glb.update(global_overrides)
    twin = types.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__, fn.__closure__)
    twin.__qualname__ = fn.__qualname__ + "_serial"
    twin.__module__ = fn.__module__
    twin.__doc__ = fn.__doc__
    return njit(cache=True, nogil=True)(twin)


_reduce_acc_serial = serial_clone(_reduce_acc)
_reduce_acc_multi_serial = serial_clone(_reduce_acc_multi)
_REDUCERS = {"_reduce_acc": _reduce_acc_serial, "_reduce_acc_multi": _reduce_acc_multi_serial}

cs_major_dot_serial = serial_clone(cs_major_dot)
cs_major_dot_multi_serial = serial_clone(cs_major_dot_multi)
cs_major_scatter_serial = serial_clone(cs_major_scatter, **_REDUCERS)
cs_major_scatter_multi_serial = serial_clone(cs_major_scatter_multi, **_REDUCERS)
cs_gram_serial = serial_clone(cs_gram, **_REDUCERS)
cs_gram_xv_serial = serial_clone(cs_gram_xv, **_REDUCERS)
cs_gram_multi_serial = serial_clone(cs_gram_multi, **_REDUCERS)
cs_major_sq_norms_serial = serial_clone(cs_major_sq_norms)
cs_minor_sums_serial = serial_clone(cs_minor_sums, **_REDUCERS)
cs_moments_scatter_serial = serial_clone(cs_moments_scatter, **_REDUCERS)
cs_moments_dot_serial = serial_clone(cs_moments_dot)
cs_outer_gram_serial = serial_clone(cs_outer_gram, **_REDUCERS)
