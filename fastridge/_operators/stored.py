"""Raw products with the stored ``X`` (no centring, no weights), one kernel call each.

:class:`StoredX` holds a validated ``X`` (dense, CSR or CSC), its static
thread partition and the per-thread scratch, and runs the kernels of
:mod:`fastridge._kernels` on it, counting one pass per read of ``X``.
:class:`fastridge._operators.design.DesignOperator` adds centring and weights.
"""

from __future__ import annotations

import numpy as np

from .._kernels import (
    cs_gram,
    cs_gram_multi,
    cs_major_dot,
    cs_major_dot_multi,
    cs_major_scatter,
    cs_major_scatter_multi,
    cs_moments_dot,
    cs_moments_scatter,
    cs_outer_gram,
    csr_logistic_grad,
    dense_dot,
    dense_dot_multi,
    dense_gram,
    dense_gram_multi,
    dense_logistic_grad,
    dense_moments,
    dense_scatter,
    dense_scatter_multi,
    partition,
    partition_dense,
    threaded,
)
from .layout import unsigned_view

# Largest dense float64 X (entries) whose single-vector Gram product goes through
# BLAS (``X^T (d * (X v - shift))``, two gemv) instead of the fused Numba kernel:
# while X sits in the caches the second read is nearly free and gemv is 3-4x
# faster than the kernel.  Measured (2 cores, one BLAS thread as in the
# solvers), after the kernel's row dots got 8 partial sums (2026-12-07):
# 2,000 x 200: 0.15 ms BLAS, 0.28 ms Numba on 2 threads; 2,000 x 500 (1M
# entries): 0.28 / 0.42 ms; 2,000 x 1,000 (2M): 1.28 / 1.07 ms; 4,000 x 500:
# 1.52 / 0.98 ms; 10,000 x 500: 4.6 / 2.5 ms.  (Before it, 3M: 2,000 x 1,000
# took 0.78 / 1.34 ms.)
DENSE_BLAS_GRAM_MAX_ENTRIES = 3 * 2**19


class StoredX:
    """``X`` as stored, with the kernels for ``n_threads`` (1: the serial twins)."""

    def __init__(self, X, n_threads: int):
        self.n, self.p = X.shape
        self.kind = "dense" if isinstance(X, np.ndarray) else X.format  # or "csr"/"csc"
        self.dtype = X.dtype
        self.nnz = X.nnz if self.kind != "dense" else self.n * self.p
        self.n_threads = int(n_threads)
        self._source = X
        if self.kind == "dense":
            self._X = X
            self._bounds = partition_dense(self.n, self.n_threads)
        else:
            self._indptr, self._data = X.indptr, X.data
            self._indices = unsigned_view(X.indices)
            self._bounds = partition(X.indptr, self.n_threads)
        self._acc: dict[tuple[int, ...], np.ndarray] = {}
        self.n_passes = 0

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.p)

    def _kern(self, kernel):
        """``kernel`` or its serial twin, for this operator's thread count."""
        return threaded(kernel, self.n_threads)

    def _cs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._indptr, self._indices, self._data

    def _scratch(self, *shape: int, out: np.ndarray | None = None) -> np.ndarray:
        """Per-thread accumulator of ``shape`` (reused between calls).

        With one thread the kernels scatter straight into ``out`` (given as
        ``acc = out[None]``, which the reduction recognises and skips).
        """
        if self.n_threads == 1 and out is not None:
            return out.reshape(1, *out.shape)
        key = (self.n_threads, *shape)
        acc = self._acc.get(key)
        if acc is None:
            acc = np.empty(key)
            self._acc[key] = acc
        return acc

    def _x_dot(self, v: np.ndarray) -> np.ndarray:
        """``X v`` for ``v`` (p,) or (p, k)."""
        self.n_passes += 1
        multi = v.ndim == 2
        out = np.empty((self.n, v.shape[1]) if multi else self.n)
        if self.kind == "csr":
            f = cs_major_dot_multi if multi else cs_major_dot
            self._kern(f)(*self._cs(), v, out)
        elif self.kind == "csc":
            acc = self._scratch(*out.shape, out=out)
            f = cs_major_scatter_multi if multi else cs_major_scatter
            self._kern(f)(*self._cs(), v, self._bounds, acc, out)
        else:
            self._kern(dense_dot_multi if multi else dense_dot)(self._X, v, out)
        return out

    def _xt_dot(self, u: np.ndarray) -> np.ndarray:
        """``X^T u`` for ``u`` (n,) or (n, k)."""
        self.n_passes += 1
        multi = u.ndim == 2
        out = np.empty((self.p, u.shape[1]) if multi else self.p)
        if self.kind == "csc":
            f = cs_major_dot_multi if multi else cs_major_dot
            self._kern(f)(*self._cs(), u, out)
        elif self.kind == "csr":
            acc = self._scratch(*out.shape, out=out)
            f = cs_major_scatter_multi if multi else cs_major_scatter
            self._kern(f)(*self._cs(), u, self._bounds, acc, out)
        else:
            acc = self._scratch(*out.shape, out=out)
            f = dense_scatter_multi if multi else dense_scatter
            self._kern(f)(self._X, u, self._bounds, acc, out)
        return out

    def _logistic_grad(self, w, b: float, y, s):
        """``(loss, X^T u, sum u, sum d, X w)`` of the binary logistic loss at margins ``X w + b``.

        One fused pass over dense or CSR ``X`` (:mod:`fastridge._kernels._logistic_grad`,
        whose docstring has the formulas); CSC ``X`` is read twice (``X w``, then
        ``X^T u`` with ``u`` and ``d`` from
        :func:`~fastridge._kernels._binary_loss.residual_and_weights`).
        """
        self.n_passes += 1
        out = np.empty(self.p)
        z = np.empty(self.n)
        if self.kind == "csc":
            from .._kernels._binary_loss import binary_loss_db, residual_and_weights

            self.n_passes -= 1  # counted by the two products below
            z = self._x_dot(w)
            u, d = residual_and_weights(z, y, s, b)
            loss = binary_loss_db(z, y, s, b)[0]
            return loss, self._xt_dot(u), float(u.sum()), float(d.sum()), z
        acc = self._scratch(self.p, out=out)
        parts = np.empty((self.n_threads, 3))
        if self.kind == "csr":
            f = self._kern(csr_logistic_grad)
            f(*self._cs(), w, float(b), y, s, self._bounds, acc, out, z, parts)
        else:
            f = self._kern(dense_logistic_grad)
            f(self._X, w, float(b), y, s, self._bounds, acc, out, z, parts)
        loss, su, sd = 0.0, 0.0, 0.0
        for t in range(self.n_threads):  # thread order: deterministic
            loss += parts[t, 0]
            su += parts[t, 1]
            sd += parts[t, 2]
        return float(loss), out, float(su), float(sd), z

    def _moments(self, d: np.ndarray, G: np.ndarray, out: np.ndarray | None = None):
        """``[X^T d, (X*X)^T d, X^T G]`` as a ``(p, 2 + k)`` array, in one pass."""
        self.n_passes += 1
        if out is None:
            out = np.empty((self.p, 2 + G.shape[1]))
        if self.kind == "csc":
            self._kern(cs_moments_dot)(*self._cs(), d, G, out)
        elif self.kind == "csr":
            acc = self._scratch(*out.shape, out=out)
            self._kern(cs_moments_scatter)(*self._cs(), d, G, self._bounds, acc, out)
        else:
            acc = self._scratch(*out.shape, out=out)
            self._kern(dense_moments)(self._X, d, G, self._bounds, acc, out)
        return out

    def _gram_raw(self, d: np.ndarray, v: np.ndarray, shift=None) -> tuple[np.ndarray, np.ndarray]:
        """``(X^T (d * z), d . z)`` with ``z = X v - shift``: one pass on CSR/dense, two on CSC.

        ``shift`` is a float for ``v`` (p,), a (k,) array for ``v`` (p, k), or None (0).
        """
        multi = v.ndim == 2
        if self.kind == "csc":
            z = self._x_dot(v)
            if shift is not None:
                z -= shift
            dz = z * (d[:, None] if multi else d)
            return self._xt_dot(dz), dz.sum(axis=0)
        self.n_passes += 1
        if (
            self.kind == "dense"
            and not multi
            and self._X.dtype == np.float64
            and self._X.size <= DENSE_BLAS_GRAM_MAX_ENTRIES
        ):  # an X in cache: two gemv beat the fused kernel (DENSE_BLAS_GRAM_MAX_ENTRIES)
            z = self._X @ v
            if shift is not None:
                z -= shift
            z *= d
            return self._X.T @ z, z.sum()
        out = np.empty(v.shape)
        acc = self._scratch(*out.shape, out=out)
        parts = np.empty((self.n_threads, v.shape[1]) if multi else self.n_threads)
        if not multi:
            shift = 0.0 if shift is None else float(shift)
        elif shift is not None:
            shift = np.ascontiguousarray(shift, dtype=np.float64)
        if self.kind == "csr":
            f = cs_gram_multi if multi else cs_gram
            self._kern(f)(*self._cs(), d, v, self._bounds, acc, out, parts, shift)
        else:
            f = dense_gram_multi if multi else dense_gram
            self._kern(f)(self._X, d, v, self._bounds, acc, out, parts, shift)
        return out, parts.sum(axis=0)

    def _xxt_raw(self, u: np.ndarray) -> np.ndarray:
        """``X X^T u``: one fused pass on CSC, two passes otherwise."""
        if self.kind != "csc":
            return self._x_dot(self._xt_dot(u))
        self.n_passes += 1
        multi = u.ndim == 2
        out = np.empty(u.shape)
        acc = self._scratch(*out.shape, out=out)
        ones = np.ones(self.p)
        parts = np.empty((self.n_threads, u.shape[1]) if multi else self.n_threads)
        f = cs_gram_multi if multi else cs_gram
        self._kern(f)(*self._cs(), ones, u, self._bounds, acc, out, parts)
        return out

    def _outer_gram(self, d: np.ndarray, m: int) -> np.ndarray:
        """``M^T diag(d) M`` (m x m) from outer products of the major slices, one pass."""
        self.n_passes += 1
        out = np.empty((m, m))
        acc = self._scratch(m, m, out=out)
        self._kern(cs_outer_gram)(*self._cs(), d, self._bounds, acc, out)
        return out
