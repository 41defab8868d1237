"""The operator contract: everything a solver, path or CV engine may ask of ``X``.

An operator owns one validated ``X`` (n x p) and answers products with it; it
is the only thing above the kernels that reads ``X``.  Solvers, paths and CV
engines use the names below and nothing else (no ``_``-attributes), so a new
operator (another storage, a distributed ``X``, a plain scipy reference as in
``tests/_reference_operator.py``) drops in by implementing them.

Notation: ``s`` the sample weights (ones when none), ``S = sum_i s_i``,
``mu = X^T s / S`` when an intercept is fitted (``mu = 0`` otherwise),
``Xc = X - 1 mu^T`` (never formed), ``A = S^{1/2} Xc``.  Vectors ``v`` are
(p,) or (p, k), ``u`` are (n,) or (n, k); the ``(., k)`` forms are the
multi-vector products and read ``X`` as often as the single ones.  Every
product returns new float64 arrays and modifies neither ``X`` nor its arguments.

Pass counting: ``n_passes`` counts reads of ``X``; each product adds the
number of passes listed for it (the table of :mod:`.design`, which every
operator follows so that counts compare across operators).  A caller that
runs its own kernels on :meth:`DesignProducts.column_view` records them with
:meth:`DesignProducts.record_passes`.

Capabilities (class attributes):

* ``supports_column_access``: :meth:`DesignProducts.column_view` and
  :meth:`DesignProducts.with_column_access` work (coordinate descent needs them);
* ``supports_dense_gram``: :meth:`DesignProducts.gram_dense` and
  :meth:`DesignProducts.dual_gram_dense` are cheap enough for the direct solver
  (an operator without it may still compute them by identity blocks).

Optional: ``logistic_loss_grad(w, b, y, s) -> (loss, X^T u, sum u, sum d, X w)``
(:meth:`fastridge._operators.design.DesignOperator.logistic_loss_grad`, one
fused pass).  The L-BFGS solver uses it when the operator has it and
otherwise makes the same evaluation from ``matvec`` and ``rmatvec`` (two passes).

Predictions and margins are ``matvec`` (``Xc w``, plus the intercept) on an
operator built without intercept for ``X w``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class OperatorBase(Protocol):
    """Shape, storage, threads, pass counter and the two plain products."""

    n: int  #: rows of X
    p: int  #: columns of X
    dtype: np.dtype  #: storage type of X's values (float32 or float64)
    kind: str  #: "dense", "csr" or "csc" (how the products read X)
    n_threads: int  #: threads the products run on (1: serial)
    n_passes: int  #: reads of X so far
    supports_column_access: bool
    supports_dense_gram: bool

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, p)``."""

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """``Xc v = X v - (mu . v) 1`` (``X v`` on a softmax operator); one pass."""

    def rmatvec(self, u: np.ndarray) -> np.ndarray:
        """``Xc^T u = X^T u - mu (1^T u)`` (``X^T u`` on a softmax operator); one pass."""


@runtime_checkable
class DesignProducts(OperatorBase, Protocol):
    """The centred, weighted design ``Xc``, ``s`` (:class:`~.design.DesignOperator`).

    Set-up moments are attributes, computed by the constructor
    ``(X, sample_weight, fit_intercept, n_threads, targets=None, setup=None)``:
    one pass when ``targets`` (n, k) are given or an intercept is fitted, plus
    one more when ``careful``; none when ``setup = (X^T s, (X*X)^T s)`` comes
    from the caller's own :meth:`moments` pass (then as if ``targets`` were (n, 0)).
    """

    s: np.ndarray  #: (n,) sample weights
    sqrt_s: np.ndarray  #: (n,) s ** 0.5
    S: float  #: sum of s
    weighted: bool  #: whether sample weights were given
    fit_intercept: bool
    mu: np.ndarray  #: (p,) weighted column means X^T s / S (0 without intercept)
    mu_sq: float  #: mu . mu
    #: (p, k) ``X^T (s * targets)`` from the set-up pass (None without targets);
    #: exactly centred ``sum_i s_i yc_i (X_ij - mu_j)`` when ``careful``
    xt_s_targets: np.ndarray | None
    #: the set-up moments were redone in pairs (means dwarf spreads)
    careful: bool
    #: X's values are float64 roundings of exact sums of duplicates (relative
    #: error <= u per entry); the certificates add that perturbation
    x_rounded: bool

    def gram_matvec(self, v: np.ndarray) -> np.ndarray:
        """``Xc^T S Xc v = X^T (s * z) - mu (s . z)``, ``z = Xc v``: the fused
        weighted Gram product; 1 pass (CSR, dense), 2 (CSC)."""

    def gram_matvec_xv(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(Xc^T S Xc v, X v)`` for ``v`` (p,) (``X v`` raw: uncentred,
        unweighted); passes as :meth:`gram_matvec`."""

    def dual_gram_matvec(self, u: np.ndarray) -> np.ndarray:
        """``A A^T u = S^{1/2} Xc Xc^T S^{1/2} u``; 2 passes (CSR, dense, or
        ``careful``), 1 (CSC) plus the one-off ``x_mu``."""

    def gram_dense(self) -> np.ndarray:
        """Dense ``H = Xc^T S Xc`` (p x p)."""

    def dual_gram_dense(self) -> np.ndarray:
        """Dense ``A A^T`` (n x n)."""

    def moments(self, d: np.ndarray, G: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``[X^T d, (X*X)^T d, X^T G]`` (p, 2 + k), uncentred: one pass."""

    def col_sq_norms(self) -> np.ndarray:
        """The Jacobi diagonal ``diag(Xc^T S Xc)_j = sum_i s_i X_ij^2 - S mu_j^2``
        (clipped at 0); one pass unless the set-up had it."""

    def raw_col_sq_norms(self) -> np.ndarray:
        """``sum_i s_i X_ij^2`` (p,); one pass unless the set-up had it."""

    def row_sq_norms(self) -> np.ndarray:
        """The dual Jacobi diagonal ``diag(A A^T)_i = s_i ||x_i - mu||^2``;
        one pass (plus ``x_mu`` with an intercept)."""

    def mean_spread_ratio(self) -> float:
        """``max_j |mu_j| / spread_j`` (weighted); 0 without intercept."""

    def pair_gradient(
        self, Yc: np.ndarray, W: np.ndarray, lam: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(G, ||e||_s^2)`` with ``e = Yc - Xc W``, ``G = -Xc^T S e + lam W``
        per column, accumulated in twice the working precision; 1 pass (CSR,
        dense), 2 (CSC)."""

    def record_passes(self, count: int) -> None:
        """Add ``count`` passes made by the caller over :meth:`column_view`."""

    def column_view(self):
        """Canonical column layout of ``X`` (``supports_column_access`` only):
        the dense (n, p) array, or a CSC matrix (``indptr``, ``indices``,
        ``data``, ``shape``, ``format == "csc"``) with sorted, unique indices."""

    def with_column_access(self) -> DesignProducts:
        """An equivalent operator that stores :meth:`column_view` (``self`` when it does)."""


@runtime_checkable
class SoftmaxProducts(OperatorBase, Protocol):
    """Multinomial products (:class:`~.softmax.SoftmaxOperator`), ``K = n_classes``.

    ``P`` (n, K) are the probabilities, ``s`` the weights; no centring.
    """

    n_classes: int

    def dot(self, V: np.ndarray) -> np.ndarray:
        """``X V`` (n, K) for ``V`` (p, K); one pass."""

    def hessp(
        self, P: np.ndarray, s: np.ndarray, V: np.ndarray, c: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(X^T T, 1^T T, X V)`` with ``t_i = s_i (p_i * u_i - p_i (p_i . u_i))``,
        ``u_i = x_i V + c``; 1 pass (CSR, dense), 2 (CSC)."""

    def grad_diag(self, A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(X^T A, (X*X)^T B)`` for ``A, B`` (n, K); one pass."""
