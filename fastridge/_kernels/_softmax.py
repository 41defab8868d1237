"""Numba kernels for multinomial (softmax) logistic regression.

Notation: ``X`` (n, p), ``K`` classes, class probabilities ``P`` (n, K) (rows
sum to 1), sample weights ``s`` (n,).  The Hessian of the softmax loss
``sum_i s_i (logsumexp(m_i) - m_{i, y_i})`` in the margins ``m_i`` (K,) is, per
row, ``s_i (diag(p_i) - p_i p_i^T)``; applied to a margin direction ``u_i`` it
gives

    t_i = s_i * (p_i * u_i - p_i (p_i . u_i))          (elementwise products)

so the Hessian of the loss in ``(W, b)`` applied to ``(V, c)`` is
``(X^T T, 1^T T)`` with ``u_i = x_i V + c``.

Kernels (CSR rows and dense rows are read once each; CSC is handled by the
caller with two passes of the generic products):

=========================  ===================================================
``csr_softmax_hessp``      ``X^T T`` and ``1^T T`` fused, also ``U = X V``
``dense_softmax_hessp``    the same for a dense C-contiguous ``X``
``csr_grad_diag``          ``[X^T A, (X*X)^T B]`` in one pass (gradient and the
                           Jacobi diagonal of the Hessian together)
``dense_grad_diag``        the same for dense ``X``
``csc_grad_diag``          the same for CSC (a dot per column, no accumulator)
=========================  ===================================================

Conventions are those of :mod:`fastridge._kernels._compressed`: float64
accumulation, static per-thread slices with per-thread accumulators summed in
thread order (bitwise reproducible), outputs overwritten, inputs untouched,
``acc = out[None]`` with one thread to skip the reduction.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._compressed import _REDUCERS, _reduce_acc_multi, serial_clone


@njit(cache=True, nogil=True, inline="always")
def _transform_row(P, s, i, u, c, t):
    """``t = s_i (p_i * (u + c) - p_i (p_i . (u + c)))``; returns nothing, fills ``t``."""
    n_classes = u.shape[0]
    pu = 0.0
    for r in range(n_classes):
        pu += P[i, r] * (u[r] + c[r])
    si = s[i]
    for r in range(n_classes):
        t[r] = si * P[i, r] * ((u[r] + c[r]) - pu)


@njit(cache=True, nogil=True, parallel=True)
def csr_softmax_hessp(indptr, indices, data, P, s, V, c, bounds, acc, out, U, tb_parts):
    """Softmax Hessian product on CSR, one pass over ``X``.

    For every row: ``u_i = x_i V`` (stored in ``U[i]``), ``t_i`` from
    :func:`_transform_row` with the intercept direction ``c``, then
    ``out += x_i^T t_i`` and ``tb_parts[thread] += t_i``.  So on return
    ``out = X^T T`` (p, K) and ``tb_parts.sum(0) = 1^T T`` (K,).
    """
    nt = bounds.shape[0] - 1
    p = out.shape[0]
    n_classes = V.shape[1]
    for t in prange(nt):
        for j in range(p):
            for r in range(n_classes):
                acc[t, j, r] = 0.0
        u = np.zeros(n_classes)
        tr = np.zeros(n_classes)
        for r in range(n_classes):
            tb_parts[t, r] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            for r in range(n_classes):
                u[r] = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                x = np.float64(data[k])
                j = indices[k]
                for r in range(n_classes):
                    u[r] += x * V[j, r]
            for r in range(n_classes):
                U[i, r] = u[r]
            _transform_row(P, s, i, u, c, tr)
            for r in range(n_classes):
                tb_parts[t, r] += tr[r]
            for k in range(indptr[i], indptr[i + 1]):
                x = np.float64(data[k])
                j = indices[k]
                for r in range(n_classes):
                    acc[t, j, r] += x * tr[r]
    _reduce_acc_multi(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def dense_softmax_hessp(X, P, s, V, c, bounds, acc, out, U, tb_parts):
    """:func:`csr_softmax_hessp` for a dense C-contiguous ``X``."""
    nt = bounds.shape[0] - 1
    p = out.shape[0]
    n_classes = V.shape[1]
    for t in prange(nt):
        for j in range(p):
            for r in range(n_classes):
                acc[t, j, r] = 0.0
        u = np.zeros(n_classes)
        tr = np.zeros(n_classes)
        for r in range(n_classes):
            tb_parts[t, r] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            for r in range(n_classes):
                u[r] = 0.0
            for j in range(p):
                x = np.float64(X[i, j])
                for r in range(n_classes):
                    u[r] += x * V[j, r]
            for r in range(n_classes):
                U[i, r] = u[r]
            _transform_row(P, s, i, u, c, tr)
            for r in range(n_classes):
                tb_parts[t, r] += tr[r]
            for j in range(p):
                x = np.float64(X[i, j])
                for r in range(n_classes):
                    acc[t, j, r] += x * tr[r]
    _reduce_acc_multi(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def csr_grad_diag(indptr, indices, data, A, B, bounds, acc, out):
    """``out[:, :K] = X^T A`` and ``out[:, K:] = (X*X)^T B`` for ``A, B`` (n, K), one pass.

    Duplicate entries add the squares of their parts (as
    :func:`fastridge._kernels._compressed.cs_minor_sums`); the result is then
    only used as a preconditioner, where that is harmless.
    """
    nt = bounds.shape[0] - 1
    p = out.shape[0]
    n_classes = A.shape[1]
    for t in prange(nt):
        for j in range(p):
            for r in range(2 * n_classes):
                acc[t, j, r] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            for k in range(indptr[i], indptr[i + 1]):
                x = np.float64(data[k])
                x2 = x * x
                j = indices[k]
                for r in range(n_classes):
                    acc[t, j, r] += x * A[i, r]
                    acc[t, j, n_classes + r] += x2 * B[i, r]
    _reduce_acc_multi(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def dense_grad_diag(X, A, B, bounds, acc, out):
    """:func:`csr_grad_diag` for a dense C-contiguous ``X``."""
    nt = bounds.shape[0] - 1
    p = X.shape[1]
    n_classes = A.shape[1]
    for t in prange(nt):
        for j in range(p):
            for r in range(2 * n_classes):
                acc[t, j, r] = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            for j in range(p):
                x = np.float64(X[i, j])
                if x != 0.0:
                    x2 = x * x
                    for r in range(n_classes):
                        acc[t, j, r] += x * A[i, r]
                        acc[t, j, n_classes + r] += x2 * B[i, r]
    _reduce_acc_multi(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def csc_grad_diag(indptr, indices, data, A, B, out):
    """:func:`csr_grad_diag` for CSC: ``out[j] = [x_j^T A, (x_j*x_j)^T B]`` per column."""
    p = indptr.shape[0] - 1
    n_classes = A.shape[1]
    for j in prange(p):
        for r in range(2 * n_classes):
            out[j, r] = 0.0
        for k in range(indptr[j], indptr[j + 1]):
            x = np.float64(data[k])
            x2 = x * x
            i = indices[k]
            for r in range(n_classes):
                out[j, r] += x * A[i, r]
                out[j, n_classes + r] += x2 * B[i, r]


csr_softmax_hessp_serial = serial_clone(csr_softmax_hessp, **_REDUCERS)
dense_softmax_hessp_serial = serial_clone(dense_softmax_hessp, **_REDUCERS)
csr_grad_diag_serial = serial_clone(csr_grad_diag, **_REDUCERS)
dense_grad_diag_serial = serial_clone(dense_grad_diag, **_REDUCERS)
csc_grad_diag_serial = serial_clone(csc_grad_diag)
