"""Preconditioned conjugate gradients, written once.

:func:`pcg` is the Jacobi-PCG iteration on a symmetric positive definite
system ``A x = b``, or on several independent ones held as columns:

    alpha = r.z / d.A d,   x += alpha d,   r -= alpha A d,   z = M^{-1} r,
    beta = r_new.z_new / r.z,   d = z + beta d.

It is the only such loop in the package.  The vector work lives in a
*system* object (:class:`PCGSystem`), so that each caller keeps its own
storage, floating-point order and stopping rule: the binary Newton step
(:class:`VectorSystem`, NumPy vectors, ``||r|| <= stop``), the multinomial
one (a flat ``(p K)`` block updated by the fused kernels of
:mod:`fastridge._kernels._vector` plus its ``K`` intercept entries), and the
ridge CG (:mod:`fastridge._solvers.ridge.cg`: several targets sharing one
multi-vector product per iteration, with the block steps
:func:`shift_and_dot`, :func:`step_and_precondition`, :func:`new_direction`,
per-target certified stopping checks and restarts).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from .._kernels import _vector as V


class PCGSystem(Protocol):
    """The vector work of one PCG run (one system, or several as columns).

    ``rz0`` is ``r_0 . z_0`` of the start (a float, or one per running column).
    :class:`ScalarSteps` and :class:`BlockSteps` give ``step_length`` and
    ``settle`` for the two shapes.
    """

    rz0: float | np.ndarray

    def running(self) -> bool:
        """Asked before each iteration: is there anything left to solve?"""

    def curvature(self):
        """Form ``q = A d`` (one product) and return ``d . q``."""

    def step_length(self, rz, pq):
        """``alpha = r.z / d.A d``, or None to stop (no curvature)."""

    def step(self, alpha):
        """``x += alpha d``, ``r -= alpha q``, ``z = M^{-1} r``; return ``r . z``.

        A block system may defer ``z`` (and return None) to :meth:`settle`,
        when its stopping check must come first.
        """

    def settle(self, rz_new, rz):
        """``(beta, r.z)`` for the columns still running, or None to stop.

        Where a system checks its stopping rule, restarts or drops columns,
        or asks a monitor whether to go on.
        """

    def new_direction(self, beta) -> None:
        """``d = z + beta d``."""


def pcg(system: PCGSystem, max_iter: int) -> int:
    """The Jacobi-PCG loop: run ``system`` for at most ``max_iter`` products.

    It stops when ``system.running()`` is False, when ``step_length`` or
    ``settle`` return None, or at ``max_iter``; returns the iterations done.
    """
    rz = system.rz0
    n_iter = 0
    while n_iter < max_iter and system.running():
        n_iter += 1
        alpha = system.step_length(rz, system.curvature())
        if alpha is None:
            break
        settled = system.settle(system.step(alpha), rz)
        if settled is None:
            break
        beta, rz = settled
        system.new_direction(beta)
    return n_iter


class ScalarSteps:
    """One system, run until ``||r|| <= stop``; it stops when ``d . A d`` is not positive.

    With ``nan_curvature_stops`` also when it is NaN (``not d.Ad > 0``);
    without, only when ``d.Ad <= 0`` (a NaN continues, as the binary Newton
    step always did).
    """

    stop: float
    nan_curvature_stops: bool = True

    def running(self) -> bool:
        return not self.residual_norm() <= self.stop

    def step_length(self, rz: float, pq: float):
        if (not pq > 0.0) if self.nan_curvature_stops else pq <= 0:
            return None
        return rz / pq

    def settle(self, rz_new: float, rz: float):
        return rz_new / rz, rz_new


class BlockSteps:
    """Independent systems as columns, one multi-vector product per iteration.

    A column whose ``d . A d`` is not positive takes no step (``alpha = 0``):
    that only happens when ``d = 0``, i.e. ``r = 0``, already solved.
    """

    @staticmethod
    def step_length(rz: np.ndarray, pq: np.ndarray) -> np.ndarray:
        return np.where(pq > 0, rz / np.where(pq > 0, pq, 1.0), 0.0)

    @staticmethod
    def beta(rz_new: np.ndarray, rz: np.ndarray) -> np.ndarray:
        """``r_new.z_new / r.z`` per column (0 where ``r.z`` is 0)."""
        return rz_new / np.where(rz > 0, rz, 1.0)


class VectorSystem(ScalarSteps):
    """``(H + lam I) x = rhs`` on NumPy vectors with ``hessp(v) = H v`` and ``M^{-1} = minv``."""

    def __init__(self, hessp, lam: float, rhs: np.ndarray, minv: np.ndarray, stop: float):
        self.hessp, self.lam, self.minv, self.stop = hessp, lam, minv, stop
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
