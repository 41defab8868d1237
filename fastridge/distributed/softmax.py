"""Multinomial products over a :class:`~.handle.DistributedX` (``SoftmaxProducts``).

The formulas of :class:`fastridge._operators.softmax.SoftmaxOperator`, one
task per block (its fused kernels on the block), the p x K parts added in the
fixed-order tree, the n x K parts gathered in row order.
"""

from __future__ import annotations

import numpy as np

from . import tasks
from .operator import DaskDesignOperator


class DaskSoftmaxOperator:
    """``SoftmaxProducts`` for a distributed ``X`` (no centring)."""

    supports_column_access = False
    supports_dense_gram = False

    def __init__(self, X, n_classes: int, n_threads: int):
        self.X = X
        self.n, self.p = X.shape
        self.kind = "csr"
        self.dtype = np.dtype(X.dtype)
        self.n_classes = int(n_classes)
        self.n_threads = int(n_threads)
        self.plain = DaskDesignOperator(X, None, False, n_threads)
        self._own_passes = 0

    @property
    def shape(self):
        return (self.n, self.p)

    @property
    def n_passes(self) -> int:
        return self._own_passes + self.plain.n_passes

    def dot(self, V):
        """``X V`` (n, K), one pass."""
        return self.plain.matvec(V)

    matvec = dot

    def rmatvec(self, U):
        """``X^T U`` (p, K), one pass."""
        return self.plain.rmatvec(U)

    def hessp(self, P, s, V, c):
        """``(X^T T, 1^T T, X V)`` (see :meth:`SoftmaxOperator.hessp`), one pass."""
        self._own_passes += 1
        (out, tsum), U = self.X.run(
            tasks.softmax_hessp,
            (np.asarray(P, np.float64), np.asarray(s, np.float64)),
            (self.n_classes, np.ascontiguousarray(V, np.float64), np.asarray(c, np.float64)),
            reduce="both",
        )
        return out, tsum, U

    def grad_diag(self, A, B):
        """``(X^T A, (X*X)^T B)``, one pass."""
        self._own_passes += 1
        return self.X.run(
            tasks.softmax_grad_diag,
            (np.asarray(A, np.float64), np.asarray(B, np.float64)),
            (self.n_classes,),
        )
