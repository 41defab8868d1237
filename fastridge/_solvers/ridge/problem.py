"""The ridge problem with the intercept profiled out, shared by all solvers.

For targets ``Y`` (n, k), weights ``s`` and penalties ``lam`` (k,), with
``ybar = s^T Y / S`` (0 without intercept) and ``Yc = Y - ybar``:

    P(w) = 1/2 sum_i s_i (yc_i - xc_i . w)^2 + lam/2 ||w||^2

per target, where ``xc_i = x_i - mu`` (see :mod:`fastridge._operators.design`).
Minimising the ridge objective (docs/architecture.md, "1. The problems
(exact objectives)") over ``b`` for fixed ``w`` gives
``b = ybar - mu . w`` and exactly this ``P(w)``, so a certificate for ``P(w)``
certifies ``(w, b)``.  ``P`` is ``lam``-strongly convex with gradient

    g(w) = Xc^T S (Xc w - yc) + lam w = H w + lam w - B,
    H = Xc^T S Xc,  B = Xc^T S yc,

and ``P(w) - P* <= ||g(w)||^2 / (2 lam)``, which is also the duality gap at
the dual point ``theta = S^{1/2} (yc - Xc w)`` (docs/certificates.md).
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field

import numpy as np

from ..._operators.contract import DesignProducts
from ..stopping import grad_sq_threshold


@dataclass
class RidgeProblem:
    """Solver input: operator, centred targets, penalties, tolerance.

    ``Y`` and everything derived are float64 ``(n, k)`` / ``(p, k)`` arrays.
    ``B`` is ``rhs`` when given (``Xc^T S Yc`` known to the caller, e.g. a path
    solving the same targets at other penalties), else it comes from the
    operator's setup pass when the operator was built with ``targets=Yc``,
    else it is computed on first use (one pass).
    """

    op: DesignProducts
    Yc: np.ndarray  # (n, k) centred targets
    lam: np.ndarray  # (k,)
    tol: float
    p_null: np.ndarray = field(init=False)  # (k,)
    _B: np.ndarray | None = field(init=False, default=None)
    _modulus: np.ndarray | None = field(init=False, default=None)
    rhs: InitVar[np.ndarray | None] = None

    def __post_init__(self, rhs):
        self._B = rhs
        self.p_null = 0.5 * (self.op.s @ self.Yc**2)
        # ||g||^2 threshold that certifies ||g||^2 / (2 lam) <= tol * p_null.
        self.grad_sq_threshold = grad_sq_threshold(self.lam, self.tol, self.p_null)

    @property
    def k(self) -> int:
        return self.Yc.shape[1]

    @property
    def B(self) -> np.ndarray:
        """``Xc^T S yc`` (p, k)."""
        if self._B is None:
            # Xc^T S yc = X^T (s * yc) - mu (s . yc) for any yc; the second term
            # is zero in exact arithmetic (yc is centred) but not in float64,
            # where it would leave mu times the rounding of s . yc in B.
            if self.op.xt_s_targets is not None:
                self._B = self.op.xt_s_targets
                if self.op.fit_intercept and not self.op.careful:
                    self._B = self._B - np.multiply.outer(self.op.mu, self.op.s @ self.Yc)
            else:
                self._B = self.op.rmatvec(self.op.s[:, None] * self.Yc)
        return self._B

    def gradient(self, W: np.ndarray, cols=None) -> np.ndarray:
        """``g = H W + lam W - B`` for the targets ``cols`` (all when None)."""
        cols = slice(None) if cols is None else cols
        Wc = W[:, cols]
        return self.op.gram_matvec(Wc) + self.lam[cols] * Wc - self.B[:, cols]

    def certificate_from_gradient(self, G: np.ndarray, cols=None) -> np.ndarray:
        """``||g||^2 / (2 m)`` per target, ``m = self.modulus`` (``lam`` unless a
        solver proved a larger strong-convexity modulus, see ``direct_primal``)."""
        cols = slice(None) if cols is None else cols
        return np.einsum("ij,ij->j", G, G) / (2.0 * self.modulus[cols])

    @property
    def modulus(self) -> np.ndarray:
        """Strong-convexity modulus of ``P`` per target used by the certificate (k,).

        ``lam`` always works (``P`` is ``lam + lambda_min(H)``-strongly convex);
        a solver that has bounded ``lambda_min(H)`` from below sets
        ``_modulus = lam + that bound``.
        """
        return self.lam if self._modulus is None else self._modulus

    def objective(self, W: np.ndarray) -> np.ndarray:
        """``P(w)`` per target (one pass): ``1/2 ||S^{1/2}(Xc w - yc)||^2 + lam/2 ||w||^2``."""
        R = self.op.matvec(W) - self.Yc
        return 0.5 * (self.op.s @ R**2) + 0.5 * self.lam * np.einsum("ij,ij->j", W, W)


@dataclass
class SolverOutput:
    """What a solver hands back to the API layer."""

    W: np.ndarray  # (p, k)
    certificate: np.ndarray  # (k,)
    n_iter: int
    solver: str
    n_iter_each: np.ndarray | None = None  # (k,) iterations per target, when tracked
    # (n, k) dual solvers' ``a`` with ``W = A^T a`` (``A = S^{1/2} Xc``): lets the
    # certificate use the dual residual (fastridge._solvers.ridge.rounding.dual_certificate)
    alpha: np.ndarray | None = None
