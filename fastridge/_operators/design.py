"""The design operator: ``X`` with centring and sample weights, never copied.

Notation (docs/architecture.md, "1. The problems (exact objectives)"): ``s``
are the sample weights (ones when none are given), ``S = sum_i s_i``,
``mu = X^T s / S`` the weighted column means when an intercept is fitted
(``mu = 0`` otherwise), and the centred design is

    Xc = X - 1 mu^T.

``Xc`` is never formed: every product applies the rank-one correction to a
product with the stored ``X``.  With ``A = S^{1/2} Xc`` the ridge normal
matrices are ``A^T A = Xc^T S Xc`` (primal, p x p) and ``A A^T`` (dual, n x n).

The contract it implements is :mod:`fastridge._operators.contract`; the raw
kernel calls are in :mod:`.stored`, the compensated set-up in :mod:`.careful`.

Passes over ``X`` per call (the unit of cost in docs/architecture.md,
"5. Performance model"):

==================  ====  ====  =====
product             CSR   CSC   dense
==================  ====  ====  =====
``matvec``          1     1     1
``rmatvec``         1     1     1
``gram_matvec``     1     2     1
``dual_gram_matvec`` 2    1     2
``moments``         1     1     1
==================  ====  ====  =====

Every method returns new float64 arrays and modifies neither ``X`` nor its
arguments.  Multi-vector versions (suffix ``_multi``) take ``(., k)`` arrays
and read ``X`` the same number of times as the single-vector ones.
"""

from __future__ import annotations

import numpy as np

from .._kernels import (
    cs_gram_xv,
    cs_major_sq_norms,
    cs_minor_sums,
    dense_col_sums,
    dense_gram_xv,
    dense_row_sq_norms,
)
from .careful import CANCELLATION_RATIO, cancellation, careful_moments, pair_gradient
from .layout import canonical_columns, dense_from_blocks, unsigned_view
from .stored import StoredX

__all__ = [
    "CANCELLATION_RATIO",
    "PARALLEL_MIN_NNZ",
    "PARALLEL_NNZ_PER_ACCUMULATOR",
    "DesignOperator",
    "kernel_threads",
    "unsigned_view",
]


# Bytes of the float64 scratch slice of a dense X centred for the BLAS-3 Gram
# (gram_dense / dual_gram_dense): large enough that syrk/gemm run at full
# speed (hundreds of rows of p = 1,000 and up), small beside X.
_GRAM_SLICE_BYTES = 16 * 2**20


def _single_column_as_vector(method):
    """Route a ``(m, 1)`` argument to the single-vector kernels (they are faster)."""

    def wrapper(self, v):
        if v.ndim == 2 and v.shape[1] == 1:
            return method(self, np.ascontiguousarray(v[:, 0])).reshape(-1, 1)
        return method(self, np.ascontiguousarray(v))

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


# Stored entries from which the parallel kernels are used (the serial twins
# below).  A pass over 2**18 entries takes ~0.3 ms on one core; starting and
# joining Numba's thread pool costs 0.05-0.5 ms on an idle machine and far more
# on a loaded one, so smaller passes gain nothing from a second thread.
PARALLEL_MIN_NNZ = 2**18
# ... and at least this many entries per element of the per-thread
# accumulators of the scatter products (p for CSR and dense, n for CSC).
# Zeroing and reducing them costs about 3 * n_threads * m * 8 bytes of
# traffic, against nnz * 12 / 2 saved by halving a pass: below ~4 entries per
# accumulator element the second thread does not pay (20,000 x 500,000 with
# 1M entries: 2 threads were slower than 1).
PARALLEL_NNZ_PER_ACCUMULATOR = 4


def kernel_threads(nnz: int, accumulator_size: int, n_threads: int) -> int:
    """Threads worth using for a pass over ``nnz`` entries (``n_threads`` or 1).

    ``accumulator_size`` is the length of one thread's scatter accumulator
    (``p`` for a CSR ``X^T u``, ``p * k`` for ``k`` vectors at once).
    """
    if (
        n_threads > 1
        and nnz >= PARALLEL_MIN_NNZ
        and nnz >= PARALLEL_NNZ_PER_ACCUMULATOR * n_threads * accumulator_size
    ):
        return int(n_threads)
    return 1


def check_setup(setup, targets, n: int, p: int) -> np.ndarray:
    """The (n, 0) targets an operator built from precomputed ``setup`` moments stands for.

    ``setup`` is ``(X^T s, (X*X)^T s)``, two (p,) arrays; ``targets`` must be
    None (the set-up moments of targets are not part of it).
    """
    if targets is not None and np.shape(targets)[1:] != (0,):
        raise ValueError("setup= replaces the set-up pass: pass no targets with it")
    if len(setup) != 2 or any(np.shape(m) != (p,) for m in setup):
        raise ValueError(f"setup must be (X^T s, (X*X)^T s), two arrays of shape ({p},)")
    return np.empty((n, 0))


class DesignOperator(StoredX):
    """Products with ``Xc = X - 1 mu^T`` and weights ``s``, without copying ``X``.

    Parameters
    ----------
    X : ndarray (n, p) C-contiguous, or ``fastridge._fit.validation.Compressed``
        Validated beforehand (:func:`fastridge._fit.validation.check_X`):
        float32/float64 data, one integer type for ``indices`` and ``indptr``.
    sample_weight : ndarray (n,) float64 or None
        Non-negative weights ``s``; None means ``s = 1``.
    fit_intercept : bool
        Whether to centre (``mu = X^T s / S``) or not (``mu = 0``).
    n_threads : int
        Thread count the static row/column partition is made for; the caller
        must have set Numba to this many threads (see ``_threads``).  Matrices
        with fewer than ``PARALLEL_MIN_NNZ`` entries use one thread.
    targets : ndarray (n, k) float64, optional
        When given, the setup pass also computes ``xt_s_targets = X^T (s * targets)``
        (and the squared column norms), so that ``mu``, ``diag(H)`` and the
        ridge right-hand side cost one pass together instead of three.
    setup : tuple of two ndarrays (p,), optional
        ``(X^T s, (X*X)^T s)`` for these weights, from a pass the caller made
        anyway (:meth:`moments`): the set-up pass is skipped, as if ``targets``
        were (n, 0).  Not with ``targets``.
    """

    supports_column_access = True
    supports_dense_gram = True

    def __init__(
        self, X, sample_weight, fit_intercept: bool, n_threads: int, targets=None, setup=None
    ):
        n, p = X.shape
        kind = "dense" if isinstance(X, np.ndarray) else X.format  # or "csr"/"csc"
        nnz = X.nnz if kind != "dense" else n * p
        # X holds the caller's duplicate sums rounded to float64 (relative error
        # <= u per entry; fastridge._fit.duplicates.canonical_copy): the bounds add it.
        x_rounded = bool(getattr(X, "rounded", False))
        # Below PARALLEL_MIN_NNZ stored entries the single-threaded twins run:
        # waking the thread pool costs more than such a pass.
        super().__init__(X, kernel_threads(nnz, p if kind != "csc" else n, n_threads))
        self.x_rounded = x_rounded
        self._requested_threads = n_threads
        self.weighted = sample_weight is not None
        self.s = (
            np.ones(self.n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        )
        self.sqrt_s = np.sqrt(self.s)
        self.S = float(self.s.sum())
        self.fit_intercept = bool(fit_intercept)
        self._col_sq_raw = None
        self.xt_s_targets = None
        if setup is not None:
            targets = check_setup(setup, targets, n, p)
            col_sums = np.asarray(setup[0], np.float64)
            self._col_sq_raw = np.array(setup[1], np.float64)
            self.xt_s_targets = np.empty((p, 0))
        elif targets is not None:
            # One pass for X^T s, (X*X)^T s and X^T (s * targets) together.
            moments = self._moments(self.s, self.s[:, None] * targets)
            col_sums = moments[:, 0]
            self._col_sq_raw = moments[:, 1].copy()
            self.xt_s_targets = np.ascontiguousarray(moments[:, 2:])
        elif self.fit_intercept:
            col_sums = self._xt_dot(self.s)
        self.mu = col_sums / self.S if self.fit_intercept else np.zeros(self.p)
        # Whether float64 centring formulas (X^T S X - S mu mu^T and the like)
        # cancel here; then the setup moments are redone in pairs (_dd) and the
        # products that cannot centre per entry switch to forms that do.
        self.careful = False
        self._col_sq_centred = None
        if self.fit_intercept and self._col_sq_raw is not None:
            if cancellation(self._col_sq_raw, self.S, self.mu) > CANCELLATION_RATIO:
                self._careful_moments(targets)
        with np.errstate(over="ignore"):  # X beyond 1e154: refused by check_X_scale
            self.mu_sq = float(self.mu @ self.mu)
        self._x_mu = None  # X mu, computed on first use by the CSC dual product
        self._columns = None  # the column view, made on first use

    def _careful_moments(self, targets: np.ndarray) -> None:
        """Redo the setup moments in pairs: ``mu``, centred column norms, ``B``
        (:func:`fastridge._operators.careful.careful_moments`)."""
        out = careful_moments(self, targets)
        self.mu = out[:, 0].copy()
        self._col_sq_centred = out[:, 1].copy()
        self._col_sq_raw = out[:, 2].copy()
        self.xt_s_targets = np.ascontiguousarray(out[:, 3:])
        self.careful = True

    # ------------------------------------------------------------------
    # pass counting, moments, column access, compensated gradient
    # ------------------------------------------------------------------
    def record_passes(self, count: int) -> None:
        """Count ``count`` passes a caller made over :meth:`column_view` itself."""
        self.n_passes += int(count)

    def moments(self, d: np.ndarray, G: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``[X^T d, (X*X)^T d, X^T G]`` (p, 2 + k) for ``d`` (n,), ``G`` (n, k): one pass.

        Uncentred and unweighted (``d`` plays the weights); ``out`` is reused when given.
        """
        return self._moments(d, G, out)

    def logistic_loss_grad(self, w: np.ndarray, b: float, y: np.ndarray, s: np.ndarray):
        """``(loss, X^T u, sum u, sum d, X w)`` of the binary logistic loss at ``m = X w + b``.

        ``loss = sum_i s_i log(1 + exp(-y_i m_i))``, ``u_i = -s_i y_i sigma(-y_i m_i)``,
        ``d_i = s_i sigma(m_i) sigma(-m_i)``; ``y`` (+-1) and ``s`` are the
        arguments, not the operator's weights, and ``X`` is not centred (an
        operator built without intercept).  One fused pass over dense or CSR
        ``X`` (:mod:`fastridge._kernels._logistic_grad`), two over CSC.
        """
        if self.fit_intercept:
            raise ValueError("logistic_loss_grad is a product with the stored X: no intercept")
        return self._logistic_grad(np.ascontiguousarray(w, dtype=np.float64), b, y, s)

    def column_view(self):
        """``X`` with column access: the dense array, or a canonical
        :class:`~fastridge._operators.layout.CSCView` (a copy, made once, for a
        CSR or non-canonical CSC ``X``)."""
        if self._columns is None:
            self._columns = canonical_columns(self._source)
        return self._columns

    def with_column_access(self) -> DesignOperator:
        """This operator, or the same one built on :meth:`column_view` when ``X``
        is not already stored that way (its set-up redone, without targets)."""
        cols = self.column_view()
        if self.kind == "dense" or (self.kind == "csc" and cols.data is self._data):
            return self
        s = self.s if self.weighted else None
        op = DesignOperator(cols, s, self.fit_intercept, self._requested_threads)
        op.x_rounded = self.x_rounded  # the same stored values, in another layout
        return op

    def pair_gradient(self, Yc: np.ndarray, W: np.ndarray, lam: np.ndarray):
        """``(G, ||e||_s^2)`` with ``G = Xc^T S (Xc W - Yc) + lam W`` and ``e = Yc - Xc W``,
        per column, accumulated in pairs (:func:`fastridge._operators.careful.pair_gradient`):
        one pass over CSR or dense ``X``, two over CSC."""
        return pair_gradient(self, Yc, W, lam)

    # ------------------------------------------------------------------
    # centred, weighted products
    # ------------------------------------------------------------------
    @_single_column_as_vector
    def matvec(self, v: np.ndarray) -> np.ndarray:
        """``Xc v = X v - (mu . v) 1`` for ``v`` (p,) or (p, k)."""
        return self._x_dot(v) - self.mu @ v

    @_single_column_as_vector
    def rmatvec(self, u: np.ndarray) -> np.ndarray:
        """``Xc^T u = X^T u - mu (1^T u)`` for ``u`` (n,) or (n, k)."""
        t = self._xt_dot(u)
        if self.fit_intercept:
            t -= np.multiply.outer(self.mu, u.sum(axis=0))
        return t

    @_single_column_as_vector
    def gram_matvec(self, v: np.ndarray) -> np.ndarray:
        """``Xc^T S Xc v = X^T (s * z) - mu (s . z)`` with ``z = X v - (mu . v) = Xc v``.

        The identity holds for any ``z`` because ``Xc^T s = 0``.  Centring ``z``
        row by row (the kernels' ``shift``) before it is scattered keeps the
        product accurate when the column means dwarf their spread: expanding
        ``X^T S X v - S mu (mu . v)`` instead loses ``log10(mean^2 / spread^2)``
        digits.  One pass over a CSR or dense ``X`` (the fused kernel), two over CSC.
        """
        shift = (self.mu @ v) if self.fit_intercept else None
        out, dz = self._gram_raw(self.s, v, shift)
        if self.fit_intercept:
            if v.ndim == 1:
                out -= float(dz) * self.mu
            else:
                out -= np.multiply.outer(self.mu, dz)
        return out

    def gram_matvec_xv(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(Xc^T S Xc v, X v)`` for ``v`` (p,): :meth:`gram_matvec` plus the raw
        product ``X v`` (uncentred, unweighted, every row), from the same pass on
        CSR and dense ``X`` (CSC computes ``X v`` first anyway).
        """
        shift = float(self.mu @ v) if self.fit_intercept else 0.0
        if self.kind == "csc":
            z = self._x_dot(v)
            dz = (z - shift) * self.s
            out, sdz = self._xt_dot(dz), float(dz.sum())
        else:
            self.n_passes += 1
            out = np.empty(self.p)
            z = np.empty(self.n)
            acc = self._scratch(self.p, out=out)
            parts = np.empty(self.n_threads)
            if self.kind == "csr":
                f = self._kern(cs_gram_xv)
                f(*self._cs(), self.s, v, self._bounds, acc, out, parts, z, shift)
            else:
                f = self._kern(dense_gram_xv)
                f(self._X, self.s, v, self._bounds, acc, out, parts, z, shift)
            sdz = float(parts.sum())
        if self.fit_intercept:
            out -= sdz * self.mu
        return out, z

    @_single_column_as_vector
    def dual_gram_matvec(self, u: np.ndarray) -> np.ndarray:
        """``A A^T u = S^{1/2} Xc Xc^T S^{1/2} u``.

        With ``u' = S^{1/2} u``, ``sigma = 1^T u'`` and ``m = X mu``:
        ``Xc Xc^T u' = X X^T u' - m sigma - 1 (m . u') + 1 ||mu||^2 sigma``.
        CSC does ``X X^T u'`` in one fused pass; CSR and dense do
        ``Xc (Xc^T u')`` in two.
        """
        sq = self.sqrt_s[:, None] if u.ndim == 2 else self.sqrt_s
        u1 = sq * u
        if self.kind != "csc" or self.careful:
            return sq * self.matvec(self.rmatvec(u1))
        out = self._xxt_raw(u1)
        if self.fit_intercept:
            m = self.x_mu
            sigma = u1.sum(axis=0)
            out -= np.multiply.outer(m, sigma)
            out -= m @ u1 - self.mu_sq * sigma
        return sq * out

    def gram_dense(self) -> np.ndarray:
        """Dense ``H = Xc^T S Xc`` (p x p).

        CSR: ``X^T S X - S mu mu^T`` from outer products of the rows, one pass
        costing ``sum_i nnz_i^2``.  Dense: BLAS-3 on row slices centred in a
        scratch copy (:meth:`_dense_gram_blas`).  CSC: ``gram_matvec`` on
        blocks of the identity (``p`` right-hand sides, read ``X`` once per block).
        """
        if self.kind == "dense":
            return self._dense_gram_blas()
        if self.kind != "csr" or self.careful:
            return dense_from_blocks(self.gram_matvec, self.p, self.n_threads, self.n)
        H = self._outer_gram(self.s, self.p)
        if self.fit_intercept:
            H -= self.S * np.outer(self.mu, self.mu)
        return H

    def dual_gram_dense(self) -> np.ndarray:
        """Dense ``A A^T = S^{1/2} Xc Xc^T S^{1/2}`` (n x n).

        CSC: ``X X^T`` from outer products of the columns, then the centring
        ``- m 1^T - 1 m^T + ||mu||^2 1 1^T`` with ``m = X mu``.  Dense: BLAS-3
        on column slices centred in a scratch copy (:meth:`_dense_dual_gram_blas`).
        Otherwise ``dual_gram_matvec`` on blocks of the identity.
        """
        if self.kind == "dense":
            return self._dense_dual_gram_blas()
        if self.kind != "csc" or self.careful:
            return dense_from_blocks(self.dual_gram_matvec, self.n, self.n_threads, self.p)
        K = self._outer_gram(np.ones(self.p), self.n)
        if self.fit_intercept:
            m = self.x_mu
            K -= m[:, None]
            K -= m[None, :]
            K += self.mu_sq
        return self.sqrt_s[:, None] * K * self.sqrt_s[None, :]

    def _centred_slice(self, rows=slice(None), cols=slice(None)) -> np.ndarray:
        """``Xc[rows, cols] = X[rows, cols] - mu[cols]`` in float64, read-only for the caller.

        A scratch copy when it must be centred or converted; without an
        intercept a float64 ``X`` is returned as a view (no copy of the slice).
        """
        if not self.fit_intercept:
            return np.asarray(self._X[rows, cols], dtype=np.float64)
        Xb = np.array(self._X[rows, cols], dtype=np.float64)
        Xb -= self.mu[cols]
        return Xb

    def _dense_gram_blas(self) -> np.ndarray:
        """``Xc^T S Xc`` of a dense ``X`` by BLAS-3, ``sum_b Xc_b^T (s_b * Xc_b)`` over row slices.

        Each slice of rows is centred in a float64 scratch copy (``_GRAM_SLICE_BYTES``;
        ``X`` itself is not copied or modified), so the means are subtracted
        entry by entry, never as ``- S mu mu^T`` from the raw Gram (no
        cancellation when the means dwarf the spread).  Unweighted slices go
        through ``Xc_b^T Xc_b`` (numpy calls ``syrk``), weighted ones ``gemm``.
        Every entry is a sum of ``n`` rounded products, within the rounding
        bound that :func:`~fastridge._solvers.ridge.direct.gram_eigenvalue_lower_bound`
        assumes.  The result is symmetric up to rounding (``gemm``).
        """
        n, p = self.n, self.p
        self.n_passes += 1  # X is read once, slice by slice
        H = np.zeros((p, p))
        step = max(1, min(n, _GRAM_SLICE_BYTES // (8 * max(p, 1))))
        for a in range(0, n, step):
            b = min(n, a + step)
            Xb = self._centred_slice(rows=slice(a, b))
            if self.weighted:
                H += Xb.T @ (self.s[a:b, None] * Xb)
            else:
                H += Xb.T @ Xb
        return H

    def _dense_dual_gram_blas(self) -> np.ndarray:
        """``S^{1/2} Xc Xc^T S^{1/2}`` of a dense ``X`` by BLAS-3 over column slices.

        ``Xc Xc^T = sum_c Xc[:, c] Xc[:, c]^T``, each column slice centred in a
        float64 scratch copy (``X`` is not copied or modified); then the
        weights on both sides.
        """
        n, p = self.n, self.p
        self.n_passes += 1  # X is read once, slice by slice
        K = np.zeros((n, n))
        step = max(1, min(p, _GRAM_SLICE_BYTES // (8 * max(n, 1))))
        for a in range(0, p, step):
            Xc = self._centred_slice(cols=slice(a, min(p, a + step)))
            K += Xc @ Xc.T
        K = self.sqrt_s[:, None] * K * self.sqrt_s[None, :]
        if self.fit_intercept and self.S > 0:
            # The exact K has the null vector q = sqrt(s / S).  Centring by the
            # rounded mu (mu + dmu) adds -(A dmu) q^T sqrt(S) and its transpose:
            # a first-order coupling to q of size |dmu| |A|, about u |mu| |A|, that
            # the spread cannot dwarf when the means do (1e8: a relative 1e-9 in
            # K).  With a tiny lam the solve amplifies it by 1/lam (direct-dual on
            # means of 1e8, lam 1e-15 of the data: certificates 1e3-1e5 P_null).
            # (I - q q^T) removes it exactly: A = A* - sqrt(s) dmu^T and q^T A* = 0.
            q = self.sqrt_s / np.sqrt(self.S)
            Kq = K @ q
            K -= np.outer(Kq, q) + np.outer(q, Kq - (q @ Kq) * q)
        return K

    @property
    def x_mu(self) -> np.ndarray:
        """``X mu`` (n,), computed once on first use (one pass)."""
        if self._x_mu is None:
            self._x_mu = self._x_dot(self.mu)
        return self._x_mu

    def col_sq_norms(self) -> np.ndarray:
        """``diag(Xc^T S Xc)_j = sum_i s_i X_ij^2 - S mu_j^2`` (clipped at 0), one pass.

        With duplicate entries this is exact only when they have been summed
        (see ``cs_major_sq_norms``); CG uses it only as a preconditioner, and
        coordinate descent is given a canonical matrix.
        """
        if self._col_sq_centred is not None:
            return self._col_sq_centred.copy()
        out = self.raw_col_sq_norms() - self.S * self.mu**2
        return np.maximum(out, 0.0)

    def mean_spread_ratio(self) -> float:
        """``max_j |mu_j| / spread_j`` (weighted): how far the centring formulas cancel."""
        if not self.fit_intercept:
            return 0.0
        centred = self.col_sq_norms()
        mean_sq = self.S * self.mu**2
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(mean_sq > 0, mean_sq / centred, 0.0)
        return float(np.sqrt(np.max(ratio, initial=0.0)))

    def raw_col_sq_norms(self) -> np.ndarray:
        """``sum_i s_i X_ij^2`` per column (uncentred); one pass unless the setup had it."""
        if self._col_sq_raw is not None:
            return self._col_sq_raw
        out = np.empty(self.p)
        self.n_passes += 1
        if self.kind == "csr":
            acc = self._scratch(self.p, out=out)
            self._kern(cs_minor_sums)(*self._cs(), self.s, 2, self._bounds, acc, out)
        elif self.kind == "csc":
            self._kern(cs_major_sq_norms)(*self._cs(), self.s, out)
        else:
            acc = self._scratch(self.p, out=out)
            self._kern(dense_col_sums)(self._X, self.s, 2, self._bounds, acc, out)
        self._col_sq_raw = out
        return out

    def row_sq_norms(self) -> np.ndarray:
        """``diag(A A^T)_i = s_i ||x_i - mu||^2 = s_i (||x_i||^2 - 2 x_i . mu + ||mu||^2)``."""
        out = np.empty(self.n)
        self.n_passes += 1
        if self.kind == "csr":
            self._kern(cs_major_sq_norms)(*self._cs(), np.ones(self.p), out)
        elif self.kind == "csc":
            acc = self._scratch(self.n, out=out)
            ones = np.ones(self.p)
            self._kern(cs_minor_sums)(*self._cs(), ones, 2, self._bounds, acc, out)
        else:
            self._kern(dense_row_sq_norms)(self._X, out)
        if self.fit_intercept:
            out += self.mu_sq - 2.0 * self.x_mu
        return self.s * np.maximum(out, 0.0)
