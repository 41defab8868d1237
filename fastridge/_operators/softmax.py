"""Products for multinomial logistic regression, ``X`` never copied.

With ``K`` classes, coefficients ``W`` (p, K), intercepts ``b`` (K,), margins
``M = X W + 1 b^T`` and probabilities ``P = softmax(M)`` row by row, the loss
``L = sum_i s_i (logsumexp(m_i) - m_{i, y_i})`` has

* gradient ``(X^T G, 1^T G)`` with ``G = s * (P - Y)`` (``Y`` one-hot);
* Hessian applied to ``(V, c)``: ``(X^T T, 1^T T)`` with, row by row,
  ``t_i = s_i (p_i * u_i - p_i (p_i . u_i))`` and ``u_i = x_i V + c``.

Passes over ``X`` per call:

=================  ====  =====  ====
product            CSR   dense  CSC
=================  ====  =====  ====
``dot``            1     1      1
``hessp``          1     1      2
``grad_diag``      1     1      1
=================  ====  =====  ====
"""

from __future__ import annotations

import numpy as np

from .._kernels import (
    csc_grad_diag,
    csr_grad_diag,
    csr_softmax_hessp,
    dense_grad_diag,
    dense_softmax_hessp,
    partition,
    partition_dense,
    threaded,
)
from .design import DesignOperator, kernel_threads

# The fused kernels per storage format (CSC has no fused Hessian product: two passes).
_HESSP = {"csr": csr_softmax_hessp, "dense": dense_softmax_hessp}
_GRAD_DIAG = {"csr": csr_grad_diag, "dense": dense_grad_diag, "csc": csc_grad_diag}


class SoftmaxOperator:
    """The multinomial products above for one validated ``X``
    (:class:`fastridge._operators.contract.SoftmaxProducts`).

    Parameters
    ----------
    X : ndarray (n, p) C-contiguous, or ``fastridge._fit.validation.Compressed``
    n_classes : int
    n_threads : int
        Threads Numba has been set to; small passes use one.
    """

    def __init__(self, X, n_classes: int, n_threads: int):
        self.n, self.p = X.shape
        self.kind = "dense" if isinstance(X, np.ndarray) else X.format
        self.n_classes = int(n_classes)
        nnz = X.nnz if self.kind != "dense" else self.n * self.p
        # The fused kernels keep a (p, 2K) accumulator per thread and do 2K
        # multiply-adds per entry: the work and the accumulator both scale with K.
        self.n_threads = kernel_threads(
            nnz * 2 * self.n_classes, 2 * self.p * self.n_classes, n_threads
        )
        hessp = _HESSP.get(self.kind)
        self._hessp = None if hessp is None else threaded(hessp, self.n_threads)
        self._grad_diag = threaded(_GRAD_DIAG[self.kind], self.n_threads)
        self._X = X
        if self.kind == "dense":
            self._args = (X,)
            self._bounds = partition_dense(self.n, self.n_threads)
        else:
            self._args = (X.indptr, X.indices, X.data)
            self._bounds = partition(X.indptr, self.n_threads)
        # Plain products X V and X^T U (no centring, no weights).
        self.plain = DesignOperator(X, None, False, n_threads)
        self._acc: dict[tuple[int, ...], np.ndarray] = {}
        self._own_passes = 0
        self.dtype = X.dtype

    supports_column_access = False
    supports_dense_gram = False

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.p)

    @property
    def n_passes(self) -> int:
        """Passes over ``X`` so far."""
        return self._own_passes + self.plain.n_passes

    def _scratch(self, width: int, out: np.ndarray) -> np.ndarray:
        if self.n_threads == 1:
            return out.reshape(1, *out.shape)
        key = (self.n_threads, self.p, width)
        acc = self._acc.get(key)
        if acc is None:
            acc = self._acc[key] = np.empty(key)
        return acc

    def dot(self, V: np.ndarray) -> np.ndarray:
        """``X V`` (n, K) for ``V`` (p, K): the margins without intercepts, one pass."""
        return self.plain.matvec(V)

    matvec = dot

    def rmatvec(self, U: np.ndarray) -> np.ndarray:
        """``X^T U`` (p, K) for ``U`` (n, K), one pass."""
        return self.plain.rmatvec(U)

    def hessp(self, P: np.ndarray, s: np.ndarray, V: np.ndarray, c: np.ndarray):
        """``(X^T T, 1^T T, X V)`` for the direction ``(V, c)`` (see the module docstring)."""
        k = self.n_classes
        if self._hessp is None:  # CSC: two passes
            U = self.plain.matvec(V)
            Uc = U + c
            T = s[:, None] * P * (Uc - np.einsum("ik,ik->i", P, Uc)[:, None])
            return self.plain.rmatvec(T), T.sum(axis=0), U
        self._own_passes += 1
        out = np.empty((self.p, k))
        U = np.empty((self.n, k))
        parts = np.empty((self.n_threads, k))
        acc = self._scratch(k, out)
        self._hessp(*self._args, P, s, V, c, self._bounds, acc, out, U, parts)
        return out, parts.sum(axis=0), U

    def grad_diag(self, A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(X^T A, (X*X)^T B)`` for ``A, B`` (n, K), one pass."""
        k = self.n_classes
        self._own_passes += 1
        out = np.empty((self.p, 2 * k))
        if self.kind == "csc":
            self._grad_diag(*self._args, A, B, out)
        else:
            acc = self._scratch(2 * k, out)
            self._grad_diag(*self._args, A, B, self._bounds, acc, out)
        return out[:, :k], out[:, k:]
