"""The design operator over a :class:`~.handle.DistributedX`: the contract, one task per block.

Implements :class:`fastridge._operators.contract.DesignProducts` (and
``SoftmaxProducts`` in :mod:`.softmax`) with the same formulas as
:class:`fastridge._operators.design.DesignOperator`: each block computes the
uncentred, weighted partial product with the same Numba kernels, the partials
are added in a fixed-order tree on the workers, and the client applies the
rank-one centring with the global ``mu``.  Where one machine accumulates in
pairs (the ``careful`` set-up, :meth:`pair_gradient`) the blocks return their
pair sums and the tree adds them as pairs (:class:`~.reduce.Pair`), so the
results carry the same accuracy guarantees and the certificates stay valid.

Where the vectors live: p-vectors (iterates, gradients) are sent with each
task and reduced to the client; n-vectors that the solvers hold (weights
``s``, targets, the margins of logistic regression) stay on the client and are
sent block by block with the products that take them, or gathered from the
blocks by the products that return them.  Per CG iteration of ridge (one
:meth:`gram_matvec`) only p-vectors move; a Newton iteration of logistic
regression moves a few n-vectors (docs/distributed.md, "Cost model").

Passes are counted as on one machine (the table of :mod:`fastridge._operators.design`
for CSR), so pass counts compare across operators.  No column access:
coordinate descent refuses a distributed ``X``.
"""

from __future__ import annotations

import numpy as np

from .._kernels import _dd
from .._operators.careful import CANCELLATION_RATIO, cancellation
from .._operators.design import DesignOperator, check_setup
from .._operators.layout import dense_from_blocks
from . import tasks

_NO_COLUMNS = (
    "solver 'cd' needs column access to X, which a distributed X (row blocks on "
    "Dask workers) does not give; use solver='cg-primal' or 'auto' (ridge) or "
    "'newton-cg' (logistic)"
)


class DaskDesignOperator:
    """Products with ``Xc = X - 1 mu^T`` and weights ``s`` for a distributed ``X``.

    Parameters are those of :class:`~fastridge._operators.design.DesignOperator`;
    ``X`` is a :class:`~.handle.DistributedX`.  ``n_threads`` is accepted for
    the contract and not used: each block task runs on one worker thread.
    """

    supports_column_access = False
    supports_dense_gram = True

    def __init__(
        self, X, sample_weight, fit_intercept: bool, n_threads: int, targets=None, setup=None
    ):
        self.X = X
        self.n, self.p = X.shape
        self.dtype = np.dtype(X.dtype)
        self.kind = "csr"
        self.nnz = X.nnz
        self.n_threads = int(n_threads)
        self.n_passes = 0
        self.x_rounded = bool(X.rounded)
        self.weighted = sample_weight is not None
        # The weights go to the workers as block slices; None is sent as None
        # (ones made on the worker), so an unweighted operator moves no n-vector.
        s = None if sample_weight is None else np.asarray(sample_weight, np.float64)
        self.s = np.ones(self.n) if s is None else s
        # Scattered once: every weighted pass then sends futures, not the values.
        self._s_arg = X.keep(s)
        self.sqrt_s = np.sqrt(self.s)
        self.S = float(self.s.sum())
        self.fit_intercept = bool(fit_intercept)
        self._col_sq_raw = None
        self._col_sq_centred = None
        self.xt_s_targets = None
        self.careful = False
        if setup is not None:
            targets = check_setup(setup, targets, self.n, self.p)
            col_sums = np.asarray(setup[0], np.float64)
            self._col_sq_raw = np.array(setup[1], np.float64)
            self.xt_s_targets = np.empty((self.p, 0))
        elif targets is not None or self.fit_intercept:
            T = None if targets is None else np.asarray(targets, np.float64)
            mom, _ = self._pass(tasks.setup, (self._s_arg, T))
            col_sums = mom[:, 0]
            self._col_sq_raw = mom[:, 1].copy()
            if T is not None:
                self.xt_s_targets = np.ascontiguousarray(mom[:, 2:])
        self.mu = col_sums / self.S if self.fit_intercept else np.zeros(self.p)
        if self.fit_intercept and self._col_sq_raw is not None and targets is not None:
            if cancellation(self._col_sq_raw, self.S, self.mu) > CANCELLATION_RATIO:
                self._careful_moments(np.asarray(targets, np.float64))
        with np.errstate(over="ignore"):
            self.mu_sq = float(self.mu @ self.mu)
        self._x_mu = None

    # ------------------------------------------------------------------
    def _pass(self, fn, rows=(), args=(), reduce="sum", count=1):
        self.n_passes += count
        return self.X.run(fn, rows, args, reduce=reduce)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.p)

    def _careful_moments(self, targets):
        """The set-up moments in pairs across the blocks (``_dd.dd_moment_sums_rows``)."""
        a1, a2, aB, S, sy = self._pass(tasks.careful_sums, (self._s_arg, targets))
        out = np.empty((self.p, 3 + targets.shape[1]))
        _dd._finish_moments(
            a1.hi,
            a1.lo,
            a2.hi,
            a2.lo,
            aB.hi,
            aB.lo,
            float(S.hi),
            float(S.lo),
            sy.hi,
            sy.lo,
            True,
            out,
        )
        self.mu = out[:, 0].copy()
        self._col_sq_centred = out[:, 1].copy()
        self._col_sq_raw = out[:, 2].copy()
        self.xt_s_targets = np.ascontiguousarray(out[:, 3:])
        self.careful = True

    def record_passes(self, count: int) -> None:
        self.n_passes += int(count)

    def column_view(self):
        raise ValueError(_NO_COLUMNS)

    def with_column_access(self):
        raise ValueError(_NO_COLUMNS)

    # ------------------------------------------------------------------
    # raw products
    # ------------------------------------------------------------------
    def _x_dot(self, v):
        return self._pass(tasks.x_dot, args=(np.ascontiguousarray(v, np.float64),), reduce="rows")

    def _xt_dot(self, u):
        return self._pass(tasks.xt_dot, (np.asarray(u, np.float64),))

    def moments(self, d, G, out=None):
        """``[X^T d, (X*X)^T d, X^T G]`` (p, 2 + k), uncentred: one pass.

        ``d`` is kept on the workers (:meth:`~.handle.DistributedX.keep`): it is
        the weights of the operator a caller builds next from these moments
        (``setup=``), which then finds it there.
        """
        d = self.X.keep(np.asarray(d, np.float64))
        res = self._pass(tasks.moments, (d, np.asarray(G, np.float64)))
        if out is not None:
            out[...] = res
            return out
        return res

    # ------------------------------------------------------------------
    # centred, weighted products: DesignOperator's formulas.  Those that need
    # only the raw products (_x_dot, _xt_dot) and the set-up attributes are
    # DesignOperator's own methods; the fused ones run the block tasks.
    # ------------------------------------------------------------------
    matvec = DesignOperator.matvec  # Xc v = X v - (mu . v) 1
    rmatvec = DesignOperator.rmatvec  # Xc^T u = X^T u - mu (1^T u)
    x_mu = DesignOperator.x_mu  # X mu, once
    col_sq_norms = DesignOperator.col_sq_norms  # sum s X^2 - S mu^2, clipped at 0
    mean_spread_ratio = DesignOperator.mean_spread_ratio

    def gram_matvec(self, v):
        """``Xc^T S Xc v = X^T (s * z) - mu (s . z)``, ``z = X v - mu . v`` centred row by row."""
        v = np.ascontiguousarray(v, np.float64)
        if v.ndim == 2 and v.shape[1] == 1:
            return self.gram_matvec(np.ascontiguousarray(v[:, 0])).reshape(-1, 1)
        shift = None
        if self.fit_intercept:
            shift = float(self.mu @ v) if v.ndim == 1 else np.ascontiguousarray(self.mu @ v)
        out, dz = self._pass(tasks.gram, (self._s_arg,), (v, shift))
        if self.fit_intercept:
            out = out - (float(dz) * self.mu if v.ndim == 1 else np.multiply.outer(self.mu, dz))
        return out

    def gram_matvec_xv(self, v):
        """``(Xc^T S Xc v, X v)`` for ``v`` (p,): one pass; ``X v`` is gathered from the blocks."""
        v = np.ascontiguousarray(v, np.float64)
        shift = float(self.mu @ v) if self.fit_intercept else 0.0
        (out, sdz), z = self._pass(tasks.gram_xv, (self._s_arg,), (v, shift), reduce="both")
        if self.fit_intercept:
            out = out - float(sdz) * self.mu
        return out, z

    def dual_gram_matvec(self, u):
        """``A A^T u = S^{1/2} Xc (Xc^T S^{1/2} u)``: two passes."""
        sq = self.sqrt_s[:, None] if np.ndim(u) == 2 else self.sqrt_s
        return sq * self.matvec(self.rmatvec(sq * u))

    def gram_dense(self):
        """Dense ``H = Xc^T S Xc`` (p x p): the blocks' ``X_b^T S_b X_b``, minus ``S mu mu^T``."""
        if self.careful:
            return dense_from_blocks(self.gram_matvec, self.p, 1, self.n)
        H = self._pass(tasks.outer_gram, (self._s_arg,))
        if self.fit_intercept:
            H = H - self.S * np.outer(self.mu, self.mu)
        return H

    def dual_gram_dense(self):
        """Dense ``A A^T`` (n x n) by identity blocks (n passes: only for small n)."""
        return dense_from_blocks(self.dual_gram_matvec, self.n, 1, self.p)

    def raw_col_sq_norms(self):
        """``sum_i s_i X_ij^2``; one pass unless the set-up had it."""
        if self._col_sq_raw is None:
            self._col_sq_raw = self._pass(tasks.raw_col_sq_norms, (self._s_arg,))
        return self._col_sq_raw

    def row_sq_norms(self):
        """``s_i ||x_i - mu||^2`` (n,), gathered from the blocks."""
        out = self._pass(tasks.row_sq_norms, reduce="rows")
        if self.fit_intercept:
            out = out + self.mu_sq - 2.0 * self.x_mu
        return self.s * np.maximum(out, 0.0)

    def pair_gradient(self, Yc, W, lam):
        """``(G, ||e||_s^2)`` in pairs across the blocks (``_dd.dd_gradient_sums_rows``)."""
        W = np.ascontiguousarray(W, np.float64)
        k = W.shape[1]
        c_hi = np.empty(k)
        c_lo = np.empty(k)
        for r in range(k):
            c_hi[r], c_lo[r] = _dd.dd_dot(self.mu, np.ascontiguousarray(W[:, r]))
        acc, rs, rsq = self._pass(
            tasks.pair_gradient_sums,
            (self._s_arg, np.asarray(Yc, np.float64)),
            (W, c_hi, c_lo),
        )
        G = np.empty_like(W)
        _dd._finish_gradient(
            acc.hi, acc.lo, rs.hi, rs.lo, self.mu, W, np.asarray(lam, np.float64), G
        )
        return G, np.asarray(rsq, np.float64)
