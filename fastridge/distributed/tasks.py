"""What runs on the workers: one function per product, applied to one row block.

Each function takes a validated row block ``X_b`` (a CSR
:class:`~fastridge._fit.compressed.Compressed` or a C-contiguous ndarray)
and the block's slices of any n-vectors, and returns the block's partial
result for :func:`fastridge.distributed.reduce.combine` (p-sized parts) and,
where the product has an n-sized result, the block's rows of it.  They run
the same Numba kernels as one machine (:class:`~fastridge._operators.design.DesignOperator`
on the block, uncentred and with the block's weights), on one thread: the
workers are the parallelism, and one thread keeps a block's sums in one order
(deterministic results for a given partition).  Nothing here modifies
``X_b`` or its arguments.
"""

from __future__ import annotations

import numpy as np

from .._operators.design import DesignOperator
from .._operators.softmax import SoftmaxOperator
from .reduce import Pair

# Threads of the kernels inside one block task: the workers run the blocks in
# parallel (deployments use threads_per_worker = 1 and one worker per core).
BLOCK_THREADS = 1


def _op(block, s=None):
    return DesignOperator(block, s, False, BLOCK_THREADS)


def _ones(block):
    return np.ones(block.shape[0])


def _layout(block):
    """``(indptr, indices, data, dense)`` for the row-wise ``_dd`` kernels."""
    if isinstance(block, np.ndarray):
        n, p = block.shape
        return p * np.arange(n + 1, dtype=np.int64), np.empty(0, np.int64), block.reshape(-1), True
    return block.indptr, block.indices, block.data, False


def info(block):
    """``(n_b, nnz_b)`` of the block (a check that it is loaded and readable)."""
    nnz = block.size if isinstance(block, np.ndarray) else block.nnz
    return block.shape[0], int(nnz)


def row_nnz_sq_sum(block):
    """``sum_i nnz_i^2`` over the block's rows."""
    if isinstance(block, np.ndarray):
        return float(block.shape[0]) * block.shape[1] ** 2
    counts = np.diff(block.indptr).astype(np.float64)
    return float(counts @ counts)


def max_abs(block):
    """``max |X_ij|`` over the block's stored values (0 when empty)."""
    values = block if isinstance(block, np.ndarray) else block.data
    return float(np.max(np.abs(values), initial=0.0))


def sum_sq(block):
    """Sum of the squares of the block's stored values, accumulated in float64."""
    values = block if isinstance(block, np.ndarray) else block.data
    values = values.ravel(order="K")
    return float(np.einsum("i,i->", values, values, dtype=np.float64))


def x_dot(block, v):
    """``X_b v``: the block's rows of ``X v`` (v (p,) or (p, k))."""
    return _op(block)._x_dot(np.ascontiguousarray(v))


def xt_dot(block, u):
    """``X_b^T u_b`` (p,) or (p, k): a partial sum of ``X^T u``."""
    return _op(block)._xt_dot(np.ascontiguousarray(u))


def moments(block, d, G):
    """``[X_b^T d_b, (X_b*X_b)^T d_b, X_b^T G_b]`` (p, 2 + k), uncentred; ``d`` None: ones."""
    d = _ones(block) if d is None else d
    return _op(block)._moments(np.ascontiguousarray(d), np.ascontiguousarray(G))


def setup(block, s, targets):
    """The set-up moments: ``X_b^T s_b``, ``(X_b*X_b)^T s_b``, ``X_b^T (s_b * T_b)``, ``sum s_b``.

    ``s`` None means ones; ``targets`` None means no target columns.
    """
    s = _ones(block) if s is None else s
    k = 0 if targets is None else targets.shape[1]
    G = np.empty((block.shape[0], k)) if targets is None else s[:, None] * targets
    return moments(block, s, G), float(s.sum())


def careful_sums(block, s, targets):
    """The pair sums of the compensated set-up (``_dd.dd_moment_sums_rows``)."""
    from .._kernels import _dd

    s = _ones(block) if s is None else s
    k = 0 if targets is None else targets.shape[1]
    SY = (
        np.zeros((block.shape[0], k))
        if targets is None
        else np.ascontiguousarray(s[:, None] * targets)
    )
    indptr, indices, data, dense = _layout(block)
    a1h, a1l, a2h, a2l, aBh, aBl, Sh, Sl, syh, syl = _dd.dd_moment_sums_rows(
        indptr, indices, data, dense, s, SY, block.shape[1]
    )
    return (
        Pair(a1h, a1l),
        Pair(a2h, a2l),
        Pair(aBh, aBl),
        Pair(np.float64(Sh), np.float64(Sl)),
        Pair(syh, syl),
    )


def gram(block, s, v, shift):
    """``(X_b^T (s_b * z_b), s_b . z_b)`` with ``z_b = X_b v - shift`` (one pass)."""
    s = _ones(block) if s is None else s
    return _op(block)._gram_raw(s, np.ascontiguousarray(v), shift)


def gram_xv(block, s, v, shift):
    """``((X_b^T (s_b * z_b), s_b . z_b), X_b v)`` with ``z_b = X_b v - shift`` (one pass)."""
    s = _ones(block) if s is None else s
    op = DesignOperator(block, s, False, BLOCK_THREADS)
    # the uncentred operator's gram_matvec_xv with the kernels' shift
    out, z = _gram_xv_shifted(op, v, shift)
    return out, z


def _gram_xv_shifted(op, v, shift):
    from .._kernels import cs_gram_xv, dense_gram_xv

    if op.kind == "csc":  # not produced by the inputs; kept for completeness
        z = op._x_dot(v)
        dz = (z - shift) * op.s
        return (op._xt_dot(dz), float(dz.sum())), z
    out = np.empty(op.p)
    z = np.empty(op.n)
    acc = op._scratch(op.p, out=out)
    parts = np.empty(op.n_threads)
    if op.kind == "csr":
        op._kern(cs_gram_xv)(*op._cs(), op.s, v, op._bounds, acc, out, parts, z, float(shift))
    else:
        op._kern(dense_gram_xv)(op._X, op.s, v, op._bounds, acc, out, parts, z, float(shift))
    return (out, float(parts.sum())), z


def outer_gram(block, s):
    """``X_b^T diag(s_b) X_b`` (p x p), one pass (CSR) or by identity blocks (dense)."""
    s = _ones(block) if s is None else s
    if isinstance(block, np.ndarray):
        Xs = block.astype(np.float64, copy=False)
        return Xs.T @ (s[:, None] * Xs)
    return _op(block)._outer_gram(s, block.shape[1])


def raw_col_sq_norms(block, s):
    """``sum_{i in b} s_i X_ij^2`` (p,)."""
    return _op(block, s).raw_col_sq_norms()


def row_sq_norms(block):
    """``||x_i||^2`` for the block's rows (n_b,)."""
    return _op(block).row_sq_norms()


def pair_gradient_sums(block, s, Yc, W, c_hi, c_lo):
    """The pair sums of the ridge gradient on the block, and its ``sum s e^2`` (k,)."""
    from .._kernels import _dd

    s = _ones(block) if s is None else s
    indptr, indices, data, dense = _layout(block)
    rsq = np.empty(W.shape[1])
    acc_h, acc_l, rs_h, rs_l = _dd.dd_gradient_sums_rows(
        indptr, indices, data, dense, s, np.ascontiguousarray(Yc), W, c_hi, c_lo, rsq
    )
    return Pair(acc_h, acc_l), Pair(rs_h, rs_l), rsq


def softmax_hessp(block, P, s, n_classes, V, c):
    """``((X_b^T T_b, 1^T T_b), X_b V)`` of :meth:`SoftmaxOperator.hessp` on the block."""
    op = SoftmaxOperator(block, n_classes, BLOCK_THREADS)
    out, tsum, U = op.hessp(np.ascontiguousarray(P), np.ascontiguousarray(s), V, c)
    return (out, tsum), U


def softmax_grad_diag(block, A, B, n_classes):
    """``(X_b^T A_b, (X_b*X_b)^T B_b)``."""
    op = SoftmaxOperator(block, n_classes, BLOCK_THREADS)
    return op.grad_diag(np.ascontiguousarray(A), np.ascontiguousarray(B))


def first(result):
    """The summable part of a ``(summable, rows)`` result."""
    return result[0]


def second(result):
    """The row part of a ``(summable, rows)`` result."""
    return result[1]
