"""Reference operators: the operator contract on plain numpy/scipy products.

:class:`ReferenceOperator` implements
:class:`fastridge._operators.contract.DesignProducts` and
:class:`ReferenceSoftmaxOperator` implements
:class:`fastridge._operators.contract.SoftmaxProducts` with ``X @ v``,
``X.T @ u`` and explicit centring ``Xc = X - 1 mu^T`` (formed densely: these
are for small test problems).  No Numba kernel is involved.  The pass
counters follow the table of :mod:`fastridge._operators.design` (and of
:mod:`fastridge._operators.softmax`), so that a solver run through a
reference operator and through the real one must report the same counts.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from fastridge._operators.careful import CANCELLATION_RATIO

# Memory budget of one identity block (the same as fastridge._operators.layout):
# only the number of blocks matters here, for the pass count.
_BLOCK_BYTES = 256 * 2**20


def _as_matrix(X):
    """``(M, kind)``: ``X`` as a float64 dense array or scipy CSR/CSC matrix."""
    if isinstance(X, np.ndarray):
        return np.asarray(X, dtype=np.float64), "dense"
    cls = sp.csr_matrix if X.format == "csr" else sp.csc_matrix
    M = cls((np.asarray(X.data, np.float64), X.indices, X.indptr), shape=X.shape)
    return M, X.format


def _n_blocks(m: int, n_threads: int) -> int:
    block = max(1, min(m, _BLOCK_BYTES // (8 * m * max(1, n_threads))))
    return -(-m // block)


class ReferenceOperator:
    """``Xc = X - 1 mu^T`` with weights ``s``; same constructor as ``DesignOperator``."""

    supports_column_access = False
    supports_dense_gram = True

    def __init__(
        self, X, sample_weight, fit_intercept: bool, n_threads: int, targets=None, setup=None
    ):
        self.M, self.kind = _as_matrix(X)
        self.n, self.p = X.shape
        self.dtype = X.dtype
        self.n_threads = 1
        self.n_passes = 0
        self.weighted = sample_weight is not None
        self.s = np.ones(self.n) if sample_weight is None else np.asarray(sample_weight, float)
        self.sqrt_s = np.sqrt(self.s)
        self.S = float(self.s.sum())
        self.fit_intercept = bool(fit_intercept)
        self._raw_sq = None
        self._centred_sq = None
        self.xt_s_targets = None
        self.careful = False
        self.x_rounded = bool(getattr(X, "rounded", False))
        if setup is not None:  # the caller's pass had the set-up moments: none here
            targets = np.empty((self.n, 0))
        elif targets is not None or self.fit_intercept:
            self.n_passes += 1  # the set-up pass
        col_sums = self.M.T @ self.s
        self.mu = col_sums / self.S if self.fit_intercept else np.zeros(self.p)
        if targets is not None:
            self._raw_sq = np.asarray(self._sq().T @ self.s).ravel()
            self.xt_s_targets = np.asarray(self.M.T @ (self.s[:, None] * targets))
            if self.fit_intercept and self._cancels():
                self.n_passes += 1  # the careful pass
                self.careful = True
                self._centred_sq = (self._dense_xc() ** 2).T @ self.s
                self.xt_s_targets = self._dense_xc().T @ (self.s[:, None] * targets)
        self.mu_sq = float(self.mu @ self.mu)
        self._x_mu = None

    # helpers (no passes counted) ---------------------------------------
    def _sq(self):
        return self.M.multiply(self.M) if sp.issparse(self.M) else self.M**2

    def _dense_xc(self) -> np.ndarray:
        D = self.M.toarray() if sp.issparse(self.M) else self.M
        return D - self.mu[None, :]

    def _cancels(self) -> bool:
        mean_sq = self.S * self.mu**2
        centred = self._raw_sq - mean_sq
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(mean_sq > 0, mean_sq / np.maximum(centred, 1e-300 * self._raw_sq), 0)
        return float(np.max(ratio, initial=0.0)) > CANCELLATION_RATIO

    def _xc(self, v):
        return np.asarray(self.M @ v) - self.mu @ v

    def _xct(self, u):
        return np.asarray(self.M.T @ u) - np.multiply.outer(self.mu, u.sum(axis=0))

    def _gram_passes(self) -> int:
        return 2 if self.kind == "csc" else 1

    # the contract -------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.p)

    def matvec(self, v):
        self.n_passes += 1
        return self._xc(v)

    def rmatvec(self, u):
        self.n_passes += 1
        return self._xct(u)

    def gram_matvec(self, v):
        self.n_passes += self._gram_passes()
        z = self._xc(v)
        return self._xct(z * (self.s[:, None] if v.ndim == 2 else self.s))

    def gram_matvec_xv(self, v):
        self.n_passes += self._gram_passes()
        return self._xct(self.s * self._xc(v)), np.asarray(self.M @ v)

    @property
    def x_mu(self):
        if self._x_mu is None:
            self.n_passes += 1
            self._x_mu = np.asarray(self.M @ self.mu)
        return self._x_mu

    def dual_gram_matvec(self, u):
        if self.kind != "csc" or self.careful:
            self.n_passes += 2
        else:
            self.n_passes += 1
            if self.fit_intercept:
                self.x_mu  # noqa: B018  (its one-off pass)
        sq = self.sqrt_s[:, None] if u.ndim == 2 else self.sqrt_s
        return sq * self._xc(self._xct(sq * u))

    def gram_dense(self):
        if (self.kind == "csr" and not self.careful) or self.kind == "dense":
            self.n_passes += 1  # dense: BLAS-3 on centred row slices, X read once
        else:
            self.n_passes += _n_blocks(self.p, self.n_threads) * self._gram_passes()
        Xc = self._dense_xc()
        return Xc.T @ (self.s[:, None] * Xc)

    def dual_gram_dense(self):
        if self.kind == "csc" and not self.careful:
            self.n_passes += 1
            if self.fit_intercept:
                self.x_mu  # noqa: B018
        elif self.kind == "dense":
            self.n_passes += 1  # BLAS-3 on centred column slices, X read once
        else:
            self.n_passes += 2 * _n_blocks(self.n, self.n_threads)
        A = self.sqrt_s[:, None] * self._dense_xc()
        return A @ A.T

    def moments(self, d, G, out=None):
        self.n_passes += 1
        res = np.column_stack(
            [self.M.T @ d, self._sq().T @ d, np.asarray(self.M.T @ G).reshape(self.p, -1)]
        )
        if out is None:
            return res
        out[...] = res
        return out

    def raw_col_sq_norms(self):
        if self._raw_sq is None:
            self.n_passes += 1
            self._raw_sq = np.asarray(self._sq().T @ self.s).ravel()
        return self._raw_sq

    def col_sq_norms(self):
        if self._centred_sq is not None:
            return self._centred_sq.copy()
        self.raw_col_sq_norms()  # counts its pass when the set-up did not have it
        return (self._dense_xc() ** 2).T @ self.s

    def row_sq_norms(self):
        self.n_passes += 1
        if self.fit_intercept:
            self.x_mu  # noqa: B018
        return self.s * (self._dense_xc() ** 2).sum(axis=1)

    def mean_spread_ratio(self):
        if not self.fit_intercept:
            return 0.0
        centred = self.col_sq_norms()
        mean_sq = self.S * self.mu**2
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(mean_sq > 0, mean_sq / centred, 0.0)
        return float(np.sqrt(np.max(ratio, initial=0.0)))

    def pair_gradient(self, Yc, W, lam):
        self.n_passes += 2 if self.kind == "csc" else 1
        E = Yc - self._xc(W)
        G = -self._xct(self.s[:, None] * E) + lam * W
        return G, self.s @ E**2

    def record_passes(self, count: int) -> None:
        self.n_passes += int(count)

    def column_view(self):
        raise NotImplementedError("the reference operator has no column access")

    def with_column_access(self):
        raise NotImplementedError("the reference operator has no column access")


class ReferenceSoftmaxOperator:
    """The multinomial products with numpy/scipy; same constructor as ``SoftmaxOperator``."""

    supports_column_access = False
    supports_dense_gram = False

    def __init__(self, X, n_classes: int, n_threads: int):
        self.M, self.kind = _as_matrix(X)
        self.n, self.p = X.shape
        self.dtype = X.dtype
        self.n_classes = int(n_classes)
        self.n_threads = 1
        self.n_passes = 0

    @property
    def shape(self) -> tuple[int, int]:
        return (self.n, self.p)

    def dot(self, V):
        self.n_passes += 1
        return np.asarray(self.M @ V)

    matvec = dot

    def rmatvec(self, U):
        self.n_passes += 1
        return np.asarray(self.M.T @ U)

    def hessp(self, P, s, V, c):
        self.n_passes += 2 if self.kind == "csc" else 1
        U = np.asarray(self.M @ V)
        Uc = U + c
        T = s[:, None] * P * (Uc - np.einsum("ik,ik->i", P, Uc)[:, None])
        return np.asarray(self.M.T @ T), T.sum(axis=0), U

    def grad_diag(self, A, B):
        self.n_passes += 1
        sq = self.M.multiply(self.M) if sp.issparse(self.M) else self.M**2
        return np.asarray(self.M.T @ A), np.asarray(sq.T @ B)
