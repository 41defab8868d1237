"""Fused binary logistic loss and gradient: ONE pass over ``X`` (dense rows or CSR).

For coefficients ``w`` (p,), an offset ``b``, labels ``y_i in {-1, +1}`` and
weights ``s_i >= 0``, each row ``x_i`` is read once and gives

    z_i = x_i . w                             (stored in ``z_out``)
    t_i = y_i (z_i + b)
    loss_i = s_i log(1 + exp(-t_i))           (overflow-free: exponent -|t_i|)
    u_i = -s_i y_i sigma(-t_i)                (the weighted residual)
    d_i = s_i sigma(t_i) sigma(-t_i)          (the curvature in the b direction)

and ``u_i x_i`` is scattered into the thread's accumulator while the row is in
cache, so that after the fixed-order reduction

    out = X^T u,
    parts[t] = (sum loss_i, sum u_i, sum d_i) over thread t's rows.

The caller adds ``parts`` in thread order.  Rows are split statically
(``bounds`` from :func:`fastridge._kernels.partition` /
:func:`~fastridge._kernels.partition_dense`) and the accumulators are summed in
thread order (:func:`._compressed._reduce_acc`): the result is bitwise the same
for a given thread count.  float32 ``X`` is accumulated in float64.  Row dot
products use the interleaved partial sums of :func:`._dense._row_dot` and
:func:`._compressed._slice_dot`.  Outputs are overwritten; ``acc`` is scratch;
inputs are not modified.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._compressed import _REDUCERS, _reduce_acc, _slice_dot, serial_clone
from ._dense import _row_dot


@njit(cache=True, nogil=True, inline="always")
def _row_terms(z, yi, si, b):
    """``(loss_i, u_i, d_i)`` of one row from its dot product ``z`` (see the module docstring)."""
    t = yi * (z + b)
    e = np.exp(-abs(t))  # in (0, 1]: never overflows
    sig_small = e / (1.0 + e)  # sigma(-|t|)
    if t > 0.0:
        loss = np.log1p(e)  # log(1 + exp(-t))
        sig_neg = sig_small  # sigma(-t)
    else:
        loss = -t + np.log1p(e)
        sig_neg = 1.0 - sig_small
    # weight 0 gives exactly 0 terms (also for an infinite or NaN margin's loss)
    if si == 0.0:
        return 0.0, 0.0, 0.0
    return si * loss, -si * yi * sig_neg, si * sig_small * (1.0 - sig_small)


@njit(cache=True, nogil=True, parallel=True)
def dense_logistic_grad(X, w, b, y, s, bounds, acc, out, z_out, parts):
    """``out = X^T u``, ``z_out = X w``, ``parts[t] = (loss, sum u, sum d)``: one pass over ``X``.

    ``X`` (n, p) C-contiguous float32/float64; ``acc`` (n_threads, p) scratch
    (or ``out[None]`` with one thread); ``parts`` (n_threads, 3).  See the module
    docstring for ``u``, ``d`` and the loss.
    """
    nt = bounds.shape[0] - 1
    p = X.shape[1]
    for t in prange(nt):
        a = acc[t]  # this thread's row of the accumulator
        for j in range(p):
            a[j] = 0.0
        f = 0.0
        su = 0.0
        sd = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            z = _row_dot(X, i, w)
            z_out[i] = z
            li, ui, di = _row_terms(z, y[i], s[i], b)
            f += li
            su += ui
            sd += di
            if ui != 0.0:
                for j in range(p):
                    a[j] += ui * X[i, j]
        parts[t, 0] = f
        parts[t, 1] = su
        parts[t, 2] = sd
    _reduce_acc(acc, out)


@njit(cache=True, nogil=True, parallel=True)
def csr_logistic_grad(indptr, indices, data, w, b, y, s, bounds, acc, out, z_out, parts):
    """:func:`dense_logistic_grad` for CSR ``X`` (``indptr, indices, data``): one pass.

    Duplicate entries add up and unsorted indices are fine (each stored entry is
    visited once in the dot and once in the scatter).
    """
    nt = bounds.shape[0] - 1
    p = out.shape[0]
    for t in prange(nt):
        a = acc[t]
        for j in range(p):
            a[j] = 0.0
        f = 0.0
        su = 0.0
        sd = 0.0
        for i in range(bounds[t], bounds[t + 1]):
            lo = indptr[i]
            hi = indptr[i + 1]
            z = _slice_dot(indices, data, w, lo, hi)
            z_out[i] = z
            li, ui, di = _row_terms(z, y[i], s[i], b)
            f += li
            su += ui
            sd += di
            if ui != 0.0:
                for k in range(lo, hi):
                    a[indices[k]] += ui * data[k]
        parts[t, 0] = f
        parts[t, 1] = su
        parts[t, 2] = sd
    _reduce_acc(acc, out)


dense_logistic_grad_serial = serial_clone(dense_logistic_grad, **_REDUCERS)
csr_logistic_grad_serial = serial_clone(csr_logistic_grad, **_REDUCERS)
