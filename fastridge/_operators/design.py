"""The design operator: ``X`` with centring and sample weights, never copied.

Notation (DESIGN.md section 1): ``s`` are the sample weights (ones when none
are given), ``S = sum_i s_i``, ``mu = X^T s / S`` the weighted column means
when an intercept is fitted (``mu = 0`` otherwise), and the centred design is

    Xc = X - 1 mu^T.

``Xc`` is never formed: every product applies the rank-one correction to a
product with the stored ``X``.  With ``A = S^{1/2} Xc`` the ridge normal
matrices are ``A^T A = Xc^T S Xc`` (primal, p x p) and ``A A^T`` (dual, n x n).

Passes over ``X`` per call (the unit of cost in DESIGN.md section 5):

==================  ====  ====  =====
product             CSR   CSC   dense
==================  ====  ====  =====
``matvec``          1     1     1
``rmatvec``         1     1     1
``gram_matvec``     1     2     1
``dual_gram_matvec`` 2    1     2
==================  ====  ====  =====

Every method returns new float64 arrays and modifies neither ``X`` nor its
arguments.  Multi-vector versions (suffix ``_multi``) take ``(., k)`` arrays
and read ``X`` the same number of times as the single-vector ones.
"""

from __future__ import annotations

import numpy as np

from .. import _kernels as K


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


def unsigned_view(indices: np.ndarray) -> np.ndarray:
    """``indices`` viewed as the unsigned integer type of the same width (no copy).

    Numba supports negative indexing, so every ``v[j]`` with a signed ``j``
    carries a sign test and a conditional add; with an unsigned ``j`` it does
    not.  Validated indices are never negative, so the view is exact.
    Measured (fused ``X^T (X v)`` pass, 2 threads): 14.0 -> 11.0 ms on IMDB
    1-2-grams (7.7M entries), 27.8 -> 24.2 ms on the 200,000 x 100,000
    synthetic matrix; scipy's C++ ``X @ v`` is still faster per product.
    """
    kind = {4: np.uint32, 8: np.uint64}.get(indices.dtype.itemsize)
    return indices if kind is None else indices.view(kind)


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


class DesignOperator:
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
    """

    def __init__(self, X, sample_weight, fit_intercept: bool, n_threads: int, targets=None):
        self.n, self.p = X.shape
        self.kind = "dense" if isinstance(X, np.ndarray) else X.format  # or "csr"/"csc"
        self.dtype = X.dtype
        # X holds the caller's duplicate sums rounded to float64 (relative error
        # <= u per entry; fastridge._fit.validation.canonical_copy): the bounds add it.
        self.x_rounded = bool(getattr(X, "rounded", False))
        self.nnz = X.nnz if self.kind != "dense" else self.n * self.p
        # Below PARALLEL_MIN_NNZ stored entries the single-threaded twins run:
        # waking the thread pool costs more than such a pass.
        scatter_dim = self.p if self.kind != "csc" else self.n
        self.n_threads = kernel_threads(self.nnz, scatter_dim, n_threads)
        self._k = K.parallel if self.n_threads > 1 else K.serial
        if self.kind == "dense":
            self._X = X
            self._bounds = K.partition_dense(self.n, self.n_threads)
        else:
            self._indptr, self._data = X.indptr, X.data
            self._indices = unsigned_view(X.indices)
            self._bounds = K.partition(X.indptr, self.n_threads)
        self.weighted = sample_weight is not None
        self.s = (
            np.ones(self.n) if sample_weight is None else np.asarray(sample_weight, np.float64)
        )
        self.sqrt_s = np.sqrt(self.s)
        self.S = float(self.s.sum())
        self.fit_intercept = bool(fit_intercept)
        self._acc: dict[tuple[int, ...], np.ndarray] = {}
        self.n_passes = 0
        self._col_sq_raw = None
        self.xt_s_targets = None
        if targets is not None:
            # One pass for X^T s, (X*X)^T s and X^T (s * targets) together.
            moments = self._moments(self.s[:, None] * targets)
            col_sums = moments[:, 0]
            self._col_sq_raw = moments[:, 1].copy()
            self.xt_s_targets = np.ascontiguousarray(moments[:, 2:])
        elif self.fit_intercept:
            col_sums = self._xt_dot(self.s)
        if self.fit_intercept:
            self.mu = col_sums / self.S
        else:
            self.mu = np.zeros(self.p)
        # Whether float64 centring formulas (X^T S X - S mu mu^T and the like)
        # cancel here; then the setup moments are redone in pairs (_dd) and the
        # products that cannot centre per entry switch to forms that do.
        self.careful = False
        self._col_sq_centred = None
        if self.fit_intercept and self._col_sq_raw is not None:
            if _cancellation(self._col_sq_raw, self.S, self.mu) > CANCELLATION_RATIO:
                self._careful_moments(targets)
        with np.errstate(over="ignore"):  # X beyond 1e154: refused by check_X_scale
            self.mu_sq = float(self.mu @ self.mu)
        self._x_mu = None  # X mu, computed on first use by the CSC dual product

    def _careful_moments(self, targets: np.ndarray) -> None:
        """Redo the setup moments in pairs: ``mu``, centred column norms, ``B``.

        One serial compensated pass (:mod:`fastridge._kernels._dd`); ``B``
        becomes ``sum_i s_i yc_i (X_ij - mu_j)`` exactly centred instead of
        ``X^T (s yc)``, which carries ``mu_j`` times the rounding of
        ``sum_i s_i yc_i``.
        """
        from .._kernels import _dd

        self.n_passes += 1
        SY = np.ascontiguousarray(self.s[:, None] * targets)
        out = np.empty((self.p, 3 + SY.shape[1]))
        if self.kind == "csc":
            _dd.dd_moments_major_dot(
                self._indptr, self._indices, self._data, self.s, SY, True, out
            )
        else:
            indptr, indices, data, dense = self._rows_layout()
            _dd.dd_moments_major_scatter(indptr, indices, data, dense, self.s, SY, True, out)
        self.mu = out[:, 0].copy()
        self._col_sq_centred = out[:, 1].copy()
        self._col_sq_raw = out[:, 2].copy()
        self.xt_s_targets = np.ascontiguousarray(out[:, 3:])
        self.careful = True

    def _rows_layout(self):
        """``(indptr, indices, data, dense)`` of a CSR or dense ``X`` for the ``_dd`` kernels."""
        if self.kind == "dense":
            indptr = self.p * np.arange(self.n + 1, dtype=np.int64)
            return indptr, np.empty(0, np.int64), self._X.reshape(-1), True
        return self._indptr, self._indices, self._data, False

    # ------------------------------------------------------------------
    # raw products with the stored X (no centring, no weights)
    # ------------------------------------------------------------------
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
            f = self._k.cs_major_dot_multi if multi else self._k.cs_major_dot
            f(self._indptr, self._indices, self._data, v, out)
        elif self.kind == "csc":
            acc = self._scratch(*out.shape, out=out)
            f = self._k.cs_major_scatter_multi if multi else self._k.cs_major_scatter
            f(self._indptr, self._indices, self._data, v, self._bounds, acc, out)
        else:
            (self._k.dense_dot_multi if multi else self._k.dense_dot)(self._X, v, out)
        return out

    def _moments(self, SY: np.ndarray) -> np.ndarray:
        """``[X^T s, (X*X)^T s, X^T SY]`` as a ``(p, 2 + k)`` array, in one pass."""
        self.n_passes += 1
        out = np.empty((self.p, 2 + SY.shape[1]))
        if self.kind == "csc":
            self._k.cs_moments_dot(self._indptr, self._indices, self._data, self.s, SY, out)
        elif self.kind == "csr":
            acc = self._scratch(*out.shape, out=out)
            self._k.cs_moments_scatter(
                self._indptr, self._indices, self._data, self.s, SY, self._bounds, acc, out
            )
        else:
            acc = self._scratch(*out.shape, out=out)
            self._k.dense_moments(self._X, self.s, SY, self._bounds, acc, out)
        return out

    def _xt_dot(self, u: np.ndarray) -> np.ndarray:
        """``X^T u`` for ``u`` (n,) or (n, k)."""
        self.n_passes += 1
        multi = u.ndim == 2
        out = np.empty((self.p, u.shape[1]) if multi else self.p)
        if self.kind == "csc":
            f = self._k.cs_major_dot_multi if multi else self._k.cs_major_dot
            f(self._indptr, self._indices, self._data, u, out)
        elif self.kind == "csr":
            acc = self._scratch(*out.shape, out=out)
            f = self._k.cs_major_scatter_multi if multi else self._k.cs_major_scatter
            f(self._indptr, self._indices, self._data, u, self._bounds, acc, out)
        else:
            acc = self._scratch(*out.shape, out=out)
            f = self._k.dense_scatter_multi if multi else self._k.dense_scatter
            f(self._X, u, self._bounds, acc, out)
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
        out = np.empty(v.shape)
        acc = self._scratch(*out.shape, out=out)
        parts = np.empty((self.n_threads, v.shape[1]) if multi else self.n_threads)
        if not multi:
            shift = 0.0 if shift is None else float(shift)
        elif shift is not None:
            shift = np.ascontiguousarray(shift, dtype=np.float64)
        if self.kind == "csr":
            f = self._k.cs_gram_multi if multi else self._k.cs_gram
            f(self._indptr, self._indices, self._data, d, v, self._bounds, acc, out, parts, shift)
        else:
            f = self._k.dense_gram_multi if multi else self._k.dense_gram
            f(self._X, d, v, self._bounds, acc, out, parts, shift)
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
        f = self._k.cs_gram_multi if multi else self._k.cs_gram
        f(self._indptr, self._indices, self._data, ones, u, self._bounds, acc, out, parts)
        return out

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
                self._k.cs_gram_xv(
                    self._indptr,
                    self._indices,
                    self._data,
                    self.s,
                    v,
                    self._bounds,
                    acc,
                    out,
                    parts,
                    z,
                    shift,
                )
            else:
                self._k.dense_gram_xv(self._X, self.s, v, self._bounds, acc, out, parts, z, shift)
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
        costing ``sum_i nnz_i^2``.  Otherwise ``gram_matvec`` on blocks of
        the identity (``p`` right-hand sides, read ``X`` once per block).
        """
        if self.kind != "csr" or self.careful:
            return _dense_from_blocks(self.gram_matvec, self.p, self.n_threads)
        H = self._outer_gram(self.s, self.p)
        if self.fit_intercept:
            H -= self.S * np.outer(self.mu, self.mu)
        return H

    def dual_gram_dense(self) -> np.ndarray:
        """Dense ``A A^T = S^{1/2} Xc Xc^T S^{1/2}`` (n x n).

        CSC: ``X X^T`` from outer products of the columns, then the centring
        ``- m 1^T - 1 m^T + ||mu||^2 1 1^T`` with ``m = X mu``.  Otherwise
        ``dual_gram_matvec`` on blocks of the identity.
        """
        if self.kind != "csc" or self.careful:
            return _dense_from_blocks(self.dual_gram_matvec, self.n, self.n_threads)
        K = self._outer_gram(np.ones(self.p), self.n)
        if self.fit_intercept:
            m = self.x_mu
            K -= m[:, None]
            K -= m[None, :]
            K += self.mu_sq
        return self.sqrt_s[:, None] * K * self.sqrt_s[None, :]

    def _outer_gram(self, d: np.ndarray, m: int) -> np.ndarray:
        self.n_passes += 1
        out = np.empty((m, m))
        acc = self._scratch(m, m, out=out)
        self._k.cs_outer_gram(self._indptr, self._indices, self._data, d, self._bounds, acc, out)
        return out

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
            self._k.cs_minor_sums(
                self._indptr, self._indices, self._data, self.s, 2, self._bounds, acc, out
            )
        elif self.kind == "csc":
            self._k.cs_major_sq_norms(self._indptr, self._indices, self._data, self.s, out)
        else:
            acc = self._scratch(self.p, out=out)
            self._k.dense_col_sums(self._X, self.s, 2, self._bounds, acc, out)
        self._col_sq_raw = out
        return out

    def row_sq_norms(self) -> np.ndarray:
        """``diag(A A^T)_i = s_i ||x_i - mu||^2 = s_i (||x_i||^2 - 2 x_i . mu + ||mu||^2)``."""
        out = np.empty(self.n)
        self.n_passes += 1
        if self.kind == "csr":
            self._k.cs_major_sq_norms(
                self._indptr, self._indices, self._data, np.ones(self.p), out
            )
        elif self.kind == "csc":
            acc = self._scratch(self.n, out=out)
            ones = np.ones(self.p)
            self._k.cs_minor_sums(
                self._indptr, self._indices, self._data, ones, 2, self._bounds, acc, out
            )
        else:
            self._k.dense_row_sq_norms(self._X, out)
        if self.fit_intercept:
            out += self.mu_sq - 2.0 * self.x_mu
        return self.s * np.maximum(out, 0.0)


# Ratio max_j S mu_j^2 / sum_i s_i (X_ij - mu_j)^2 above which the setup
# moments are redone in pairs (``DesignOperator.careful``): float64 centring
# formulas lose log10(ratio) digits, and 1e4 (4 digits, leaving ~12) is where
# that starts to show in tol = 1e-8 fits of ill-conditioned problems while
# staying clear of ordinary data (column means a few times the spread).
CANCELLATION_RATIO = 1e4


def _cancellation(raw_sq: np.ndarray, S: float, mu: np.ndarray) -> float:
    """``max_j S mu_j^2 / (raw_j - S mu_j^2)``: how much the float64 centring cancels."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mean_sq = S * mu * mu
        centred = raw_sq - mean_sq
        ratio = np.where(mean_sq > 0, mean_sq / np.maximum(centred, 1e-300 * raw_sq), 0.0)
    return float(np.max(ratio, initial=0.0))


# Memory budget (bytes) for the per-thread accumulators of one block of the
# identity in ``_dense_from_blocks``: b columns need n_threads * m * b doubles.
_BLOCK_BYTES = 256 * 2**20


def _dense_from_blocks(apply, m: int, n_threads: int) -> np.ndarray:
    """Dense ``m x m`` matrix of the symmetric linear map ``apply``, by identity blocks."""
    block = max(1, min(m, _BLOCK_BYTES // (8 * m * max(1, n_threads))))
    G = np.empty((m, m))
    for lo in range(0, m, block):
        hi = min(m, lo + block)
        E = np.zeros((m, hi - lo))
        E[np.arange(lo, hi), np.arange(hi - lo)] = 1.0
        G[:, lo:hi] = apply(E)
    return G
