"""Preconditioned conjugate gradients, written once.

:func:`pcg` is the Jacobi-PCG iteration on a symmetric positive definite
system ``A x = b`` with ``x_0 = 0``, run until ``||r|| <= stop``:

    alpha = r.z / d.A d,   x += alpha d,   r -= alpha A d,   z = M^{-1} r,
    beta = r_new.z_new / r.z,   d = z + beta d.

The vector work lives in a *system* object (:class:`PCGSystem`), so that
each caller keeps its own storage and floating-point order (the binary
Newton step uses NumPy vectors, the multinomial one a flat ``(p K)`` block
updated by the fused kernels of :mod:`fastridge._kernels._vector` plus its
``K`` intercept entries).  The block forms (:func:`shift_and_dot`,
:func:`step_and_precondition`, :func:`new_direction`: several independent
systems sharing one multi-vector product per iteration) are the steps of the
ridge CG (:mod:`fastridge._solvers.ridge.cg`), whose loop adds per-target
true-residual checks and restarts.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .._kernels import _vector as V


class PCGSystem(Protocol):
    """The vector work of one PCG run; ``rz0`` is ``r_0 . z_0`` of the start."""

    rz0: float

    def residual_norm(self) -> float:
        """``||r||`` compared with ``stop`` before each iteration."""

    def curvature(self) -> float:
        """Form ``q = A d`` (one product) and return ``d . q``."""

    def step(self, alpha: float) -> float:
        """``x += alpha d``, ``r -= alpha q``, ``z = M^{-1} r``; return ``r . z``."""

    def new_direction(self, beta: float) -> None:
        """``d = z + beta d``."""


def pcg(system: PCGSystem, stop: float, max_iter: int, nan_curvature_stops: bool = True) -> None:
    """Run PCG on ``system`` until ``||r|| <= stop``, ``max_iter`` products or no curvature.

    It stops when ``d . A d`` is not positive: with ``nan_curvature_stops``
    also when it is NaN (``not d.Ad > 0``); without, only when ``d.Ad <= 0``
    (a NaN continues, as the binary Newton step always did).
    """
    rz = system.rz0
    for _ in range(max_iter):
        if system.residual_norm() <= stop:
            break
        pq = system.curvature()
        if (not pq > 0.0) if nan_curvature_stops else pq <= 0:
            break
        alpha = rz / pq
        rz_new = system.step(alpha)
        beta = rz_new / rz
        system.new_direction(beta)
        rz = rz_new


class VectorSystem:
    """``(H + lam I) x = rhs`` on NumPy vectors with ``hessp(v) = H v`` and ``M^{-1} = minv``."""

    def __init__(self, hessp, lam: float, rhs: np.ndarray, minv: np.ndarray):
        self.hessp, self.lam, self.minv = hessp, lam, minv
        self.x = np.zeros_like(rhs)
        self.r = rhs.copy()
        self.z = minv * self.r
        self.d = self.z.copy()
        self.q = None
        self.rz0 = self.r @ self.z

    def residual_norm(self) -> float:
        return np.linalg.norm(self.r)

    def curvature(self) -> float:
        self.q = self.hessp(self.d) + self.lam * self.d
        return self.d @ self.q

    def step(self, alpha: float) -> float:
        self.x += alpha * self.d
        self.r -= alpha * self.q
        self.z = self.minv * self.r
        return self.r @ self.z

    def new_direction(self, beta: float) -> None:
        self.d = self.z + beta * self.d


# ---------------------------------------------------------------- block steps


def colwise_dot(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A_j . B_j`` for every column ``j``."""
    return np.einsum("ij,ij->j", A, B)


def shift_and_dot(Q, P, lam):
    """``Q += lam P`` column-wise; returns ``P_j . Q_j`` (fused, one sweep)."""
    if Q.shape[1] == 1:
        return np.array([V.shift_and_dot_1d(Q[:, 0], P[:, 0], lam[0])])
    return V.shift_and_dot(Q, P, lam)


def step_and_precondition(W, R, Z, P, Q, alpha, Minv):
    """``W += alpha P``, ``R -= alpha Q``, ``Z = Minv R``; returns ``(R.R, R.Z)`` per column."""
    if W.shape[1] == 1:
        rr, rz = V.step_and_precondition_1d(
            W[:, 0], R[:, 0], Z[:, 0], P[:, 0], Q[:, 0], alpha[0], Minv[:, 0]
        )
        return np.array([rr]), np.array([rz])
    return V.step_and_precondition(W, R, Z, P, Q, alpha, Minv)


def new_direction(P, Z, beta):
    """``P = Z + beta P`` column-wise, in place."""
    if P.shape[1] == 1:
        V.new_direction_1d(P[:, 0], Z[:, 0], beta[0])
    else:
        V.new_direction(P, Z, beta)
