"""Direct solves through a dense Gram matrix, for small ``min(n, p)``.

Primal (p <= n): ``H = Xc^T S Xc`` (p x p), then ``(H + lam I) w = B`` by
Cholesky.  Dual (p > n): ``K = A A^T`` (n x n, ``A = S^{1/2} Xc``), then
``(K + lam I) alpha = y_s`` and ``w = A^T alpha``.  The operator builds the
Gram matrix (``gram_dense`` / ``dual_gram_dense``: outer products of the
slices where the storage order allows, BLAS-3 on centred scratch slices for a
dense ``X``, identity blocks otherwise) without copying ``X``.

The result is then certified like every other solver (``||g(w)||^2/(2 lam)``
from the recomputed gradient); if rounding left it above ``tol * P_null``
(tiny ``lam``, ill-conditioned ``H``), iterative refinement with the same
factorisation corrects ``w`` (each round: one gradient, one triangular solve).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from ..stopping import exceeds
from .problem import RidgeProblem, SolverOutput

# Refinement rounds after the first solve.  One round recovers the digits lost
# to an ill-conditioned factorisation in all our tests; three leave margin.
_MAX_REFINE = 3


# Largest p for which direct_primal bounds lambda_min(H) by an eigendecomposition
# (eigvalsh of a 2048 x 2048 matrix: about a second on 2 cores, comparable to
# forming H from a large X; beyond it the bound is not worth its cost).
_EIG_BOUND_MAX_P = 2048


def gram_eigenvalue_lower_bound(H: np.ndarray, op) -> float:
    """A lower bound on ``lambda_min`` of the exact ``Xc^T S Xc`` from the computed ``H``.

    Weyl's inequality: the exact matrix differs from ``H`` by the rounding of
    its entries, at most ``3 gamma_{n+p+2} F^2`` in Frobenius norm (every entry
    is a sum of ``n`` products bounded by Cauchy-Schwarz with ``F^2 = sum_ij
    s_i X_ij^2``), and ``eigvalsh`` adds ``4 p u ||H||_F`` at most.  Returns 0
    when that margin swamps the eigenvalue or ``p`` is large.  With it the
    certificate ``||g||^2 / (2 (lam + lambda_min))`` stays informative when
    ``lam`` is negligible against the data (tiny ``lam``, huge weights).
    """
    from .rounding import U, gamma, rounding_scales

    p = H.shape[0]
    if p == 0 or p > _EIG_BOUND_MAX_P:
        return 0.0
    lmin = float(np.linalg.eigvalsh(H)[0])
    sc = rounding_scales(op)
    F = sc.F
    margin = 3.0 * gamma(op.n + p + 2) * F * F + 4.0 * p * U * float(np.linalg.norm(H))
    # X = X' + E (duplicate sums rounded): ||H_X - H_X'|| <= 2 ||A||_F EF + EF^2.
    margin += (2.0 * sc.AF + sc.EF) * sc.EF * (1.0 + 8.0 * U)
    bound = lmin - margin
    return bound if np.isfinite(bound) and bound > 0.0 else 0.0


class _Factor:
    """Cholesky of ``G + lam I``, with an eigendecomposition fallback."""

    def __init__(self, G: np.ndarray, lam: float):
        Glam = G + lam * np.eye(G.shape[0])
        try:
            self._cho = sla.cho_factor(Glam, lower=True, check_finite=False)
            self._eig = None
        except np.linalg.LinAlgError:
            self._cho = None
            vals, vecs = np.linalg.eigh(G)
            # Cholesky fails only when lam is below the rounding level of G
            # (about m * eps * ||G||).  Eigenvalues at that level are noise, and
            # in exact arithmetic the right-hand sides have no component along
            # the null space of G (primal: B is in range(H); dual: the null
            # space of K is that of A^T, so it does not reach w = A^T alpha).
            # Dividing the rounding-level coordinates by lam would amplify
            # rounding by up to 1/lam; they are dropped instead (pseudo-inverse,
            # as lstsq's rcond).  The certificate still judges the result.
            floor = G.shape[0] * np.finfo(np.float64).eps * max(float(vals[-1]), 0.0)
            inv = np.where(vals > floor, 1.0 / (np.maximum(vals, 0.0) + lam), 0.0)
            self._eig = (inv, vecs)

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        if self._cho is not None:
            return sla.cho_solve(self._cho, rhs, check_finite=False)
        inv, vecs = self._eig
        # ``rhs`` is (m,) or (m, k): scale each eigen-coordinate.
        scale = inv if rhs.ndim == 1 else inv[:, None]
        return vecs @ ((vecs.T @ rhs) * scale)


def _factors(G: np.ndarray, lam: np.ndarray) -> dict[float, _Factor]:
    return {float(v): _Factor(G, float(v)) for v in np.unique(lam)}


def direct_primal(problem: RidgeProblem, W0: np.ndarray, max_iter: int) -> SolverOutput:
    """Cholesky of ``H + lam I`` (p x p); ``W0`` is not needed and ignored."""
    op, lam = problem.op, problem.lam
    H = op.gram_dense()
    H = 0.5 * (H + H.T)  # exact symmetry for the factorisation
    problem._modulus = lam + gram_eigenvalue_lower_bound(H, op)
    factors = _factors(H, lam)
    B = problem.B
    W = np.empty_like(B)
    for t in range(problem.k):
        W[:, t] = factors[float(lam[t])].solve(B[:, t])
    certificate, n_iter = _certify_and_refine(problem, W, factors, max_iter)
    return SolverOutput(W=W, certificate=certificate, n_iter=n_iter, solver="direct-primal")


def _certify_and_refine(problem, W, factors, max_iter):
    """Certify ``W``; refine ``w -= (H + lam)^{-1} g`` while a target is above tol."""
    lam = problem.lam
    cols = np.arange(problem.k)
    certificate = np.empty(problem.k)
    n_iter = 1  # the factorised solve; refinement rounds add to it
    while True:
        G = problem.gradient(W, cols)
        certificate[cols] = problem.certificate_from_gradient(G, cols)
        bad = exceeds(certificate[cols], problem.tol, problem.p_null[cols])
        if not bad.any() or n_iter > min(_MAX_REFINE, max_iter - 1):
            return certificate, n_iter
        n_iter += 1
        G, cols = G[:, bad], cols[bad]
        for c, t in enumerate(cols):
            W[:, t] -= factors[float(lam[t])].solve(G[:, c])


def direct_dual(problem: RidgeProblem, W0: np.ndarray, max_iter: int) -> SolverOutput:
    """Cholesky of ``A A^T + lam I`` (n x n); ``W0`` is ignored."""
    op, lam = problem.op, problem.lam
    Kmat = op.dual_gram_dense()
    Kmat = 0.5 * (Kmat + Kmat.T)
    factors = _factors(Kmat, lam)
    sqrt_s = op.sqrt_s[:, None]
    Ys = sqrt_s * problem.Yc
    alpha = np.empty_like(Ys)
    for t in range(problem.k):
        alpha[:, t] = factors[float(lam[t])].solve(Ys[:, t])
    certificate = np.full(problem.k, np.inf)
    W = np.empty((op.p, problem.k))
    n_iter = 1  # the factorised solve; refinement rounds add to it
    cols = np.arange(problem.k)
    while True:
        W[:, cols] = op.rmatvec(sqrt_s * alpha[:, cols])
        G = problem.gradient(W, cols)
        certificate[cols] = problem.certificate_from_gradient(G, cols)
        bad = exceeds(certificate[cols], problem.tol, problem.p_null[cols])
        if not bad.any() or n_iter > min(_MAX_REFINE, max_iter - 1):
            break
        n_iter += 1
        cols = cols[bad]
        # Dual residual from the dense K (no pass over X), then a correction.
        rho = Ys[:, cols] - Kmat @ alpha[:, cols] - lam[cols] * alpha[:, cols]
        for c, t in enumerate(cols):
            alpha[:, t] += factors[float(lam[t])].solve(rho[:, c])
    return SolverOutput(
        W=W, certificate=certificate, n_iter=n_iter, solver="direct-dual", alpha=alpha
    )
