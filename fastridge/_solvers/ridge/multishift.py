"""Multi-shift conjugate gradients: one Krylov sequence for a whole lam grid.

Solves, for every shift ``sigma_j`` (the grid of penalties) and every
right-hand side ``b_t`` (the columns of ``B``),

    (H + sigma_j I) x_{jt} = b_t,

with one product ``H v`` per iteration for all ``j`` (Jegerlehner 1996,
"Krylov space solvers for shifted linear systems"; Frommer 2003).  The Krylov
space ``K_k(H + sigma I, b)`` does not depend on ``sigma``, so CG runs on the
*base* system ``(H + sigma_0 I) x = b`` with ``sigma_0 = min_j sigma_j`` (the
slowest to converge), and every shifted system's CG iterate is obtained from
the base recurrence with scalar bookkeeping.  With the base CG scalars
``alpha_k = r_k.r_k / p_k.(H + sigma_0) p_k`` and
``beta_k = r_{k+1}.r_{k+1} / r_k.r_k`` and ``delta = sigma_j - sigma_0 >= 0``:

    zeta_{k+1} = zeta_k zeta_{k-1} alpha_{k-1}
                 / (alpha_k beta_{k-1} (zeta_{k-1} - zeta_k)
                    + zeta_{k-1} alpha_{k-1} (1 + delta alpha_k))
    alpha^j_k = alpha_k zeta_{k+1} / zeta_k,   beta^j_k = (zeta_{k+1} / zeta_k)^2 beta_k
    x^j_{k+1} = x^j_k + alpha^j_k p^j_k,       p^j_{k+1} = zeta_{k+1} r_{k+1} + beta^j_k p^j_k

(``zeta_{-1} = zeta_0 = 1``, ``alpha_{-1} = 1``, ``beta_{-1} = 0``).  The
shifted residual is ``r^j_k = zeta_k r_k`` exactly in exact arithmetic, and
``|zeta_k| <= 1`` decreases for ``delta >= 0``, so larger shifts converge first.
A shift whose residual satisfies ``|zeta|^2 ||r||^2 <= threshold`` is frozen
(its vectors are no longer updated); the iteration ends when all are frozen.

There is no preconditioner: a preconditioner other than a multiple of the
identity breaks the shift invariance of the Krylov space.  The caller
certifies the result and polishes (preconditioned, warm-started CG) what the
recursive residual overstated; see :mod:`fastridge._paths.ridge`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._kernels._multishift import multishift_update, multishift_update_serial

# Shifts are frozen when the recursive residual reaches this fraction of the
# caller's threshold.  The recursive residual drifts from the true one by
# rounding (relative ~1e-12 to 1e-10 of ||b|| after a few hundred iterations),
# so aiming a little lower lets most shifts pass the true-gradient check
# without polishing; a factor 4 in ||r||^2 is half an iteration's worth of
# convergence on a typical path (||r|| shrinks by >= 2x per iteration there).
_TARGET_FRACTION = 0.25

# Vector work (shifts x length) from which the update runs in parallel: below
# ~2**16 doubles a sweep takes < 50 us and thread start-up would dominate.
_PARALLEL_MIN_WORK = 2**16


@dataclass
class MultishiftOutput:
    """``X[t, j]`` solves ``(H + shifts[j]) x = B[:, t]``."""

    X: np.ndarray  # (k, L, m)
    residual_sq: np.ndarray  # (k, L) recursive ||r^j||^2 at exit
    n_iter: np.ndarray  # (k, L) iteration at which each system was frozen
    n_products: int  # products with H (all targets in one call each)


def multishift_cg(
    matvec, B: np.ndarray, shifts: np.ndarray, threshold: np.ndarray, max_iter: int
) -> MultishiftOutput:
    """Multi-shift CG for ``(H + shifts[j] I) x = B[:, t]``; see the module docstring.

    Parameters
    ----------
    matvec : callable
        ``V (m, k) -> H V (m, k)`` for a symmetric positive semi-definite ``H``.
    B : ndarray, shape (m, k)
        Right-hand sides (float64).
    shifts : ndarray, shape (L,)
        Positive shifts (any order).
    threshold : ndarray, shape (k, L)
        Freeze system ``(t, j)`` once its residual ``||r||^2`` falls below
        ``_TARGET_FRACTION * threshold[t, j]``.
    max_iter : int
        Cap on base iterations (products with ``H``).

    Returns
    -------
    MultishiftOutput
        Nothing passed in is modified.
    """
    B = np.asarray(B, dtype=np.float64)
    m, k = B.shape
    shifts = np.asarray(shifts, dtype=np.float64)
    sigma0 = float(shifts.min())
    R = B.T.copy()  # base residuals, (k, m) (a copy: B is the caller's)
    P = B.copy()  # base directions, (m, k)
    rr = np.einsum("ij,ij->j", B, B)
    alpha_prev = np.ones(k)
    beta_prev = np.zeros(k)
    sh = _Shifted(B, shifts, sigma0, threshold)
    active = np.flatnonzero(rr[sh.target] > sh.limit)
    update = multishift_update if m * len(active) >= _PARALLEL_MIN_WORK else None
    it = 0
    while len(active) and it < max_iter:
        it += 1
        live = np.unique(sh.target[active])  # targets whose base CG must continue
        alpha, beta, rr_new = _base_step(matvec, P, R, rr, live, sigma0)
        sh.advance(active, R, (alpha, alpha_prev, beta_prev, beta), it, update)
        P[:, live] = R[live].T + beta[live] * P[:, live]
        rr = rr_new
        alpha_prev, beta_prev = alpha, beta
        done = sh.zeta[active] ** 2 * rr[sh.target[active]] <= sh.limit[active]
        active = active[~done]
    L = len(shifts)
    residual_sq = (sh.zeta**2 * rr[sh.target]).reshape(k, L)
    return MultishiftOutput(
        X=sh.Xs.reshape(k, L, m),
        residual_sq=residual_sq,
        n_iter=sh.n_iter.reshape(k, L),
        n_products=it,
    )


class _Shifted:
    """The shifted systems, flat index ``s = t * L + j`` (target ``t``, shift ``j``)."""

    def __init__(self, B, shifts, sigma0, threshold):
        m, k = B.shape
        L = len(shifts)
        self.delta = np.tile(shifts - sigma0, k)
        self.target = np.repeat(np.arange(k), L)
        self.limit = _TARGET_FRACTION * np.asarray(threshold, dtype=np.float64).reshape(k * L)
        self.Xs = np.zeros((k * L, m))
        self.Ps = np.repeat(B.T, L, axis=0)  # p^j_0 = b
        self.zeta = np.ones(k * L)
        self.zeta_prev = np.ones(k * L)
        self.n_iter = np.zeros(k * L, dtype=np.int64)

    def advance(self, active, R, base, it, update):
        """Step the ``active`` systems from the base scalars ``(alpha_k, alpha_{k-1},
        beta_{k-1}, beta_k)`` (per target) and the new base residuals ``R``."""
        ta = self.target[active]
        z_k = self.zeta[active]
        alpha_s, beta_s, zeta_next = _shift_scalars(
            tuple(a[ta] for a in base),
            z_k,
            self.zeta_prev[active],
            self.delta[active],
            active,
            len(self.zeta),
        )
        args = (self.Xs, self.Ps, R, self.target, active, alpha_s, zeta_next, beta_s)
        if update is None:
            multishift_update_serial(*args)
        else:
            update(*args)
        self.zeta_prev[active] = z_k
        self.zeta[active] = zeta_next[active]
        self.n_iter[active] = it


def _base_step(matvec, P, R, rr, live, sigma0):
    """One CG step of the base system for the ``live`` targets: ``(alpha, beta, r.r)``.

    Updates ``R`` in place (``P`` is left to the caller, after the shifted
    systems have used ``beta``).
    """
    k = P.shape[1]
    Q = matvec(P[:, live] if len(live) < k else P)
    pq = np.einsum("ij,ij->j", P[:, live], Q) + sigma0 * np.einsum(
        "ij,ij->j", P[:, live], P[:, live]
    )
    alpha = np.zeros(k)
    alpha[live] = np.where(pq > 0, rr[live] / np.where(pq > 0, pq, 1.0), 0.0)
    R[live] -= (alpha[live] * (Q + sigma0 * P[:, live])).T
    rr_new = rr.copy()
    rr_new[live] = np.einsum("ij,ij->i", R[live], R[live])
    beta = np.zeros(k)
    beta[live] = rr_new[live] / np.where(rr[live] > 0, rr[live], 1.0)
    return alpha, beta, rr_new


def _shift_scalars(base, z_k, z_km1, delta, active, size):
    """``(alpha^j, beta^j, zeta_{k+1})`` (flat, of ``size``, zero off ``active``).

    ``base`` is ``(alpha_k, alpha_{k-1}, beta_{k-1}, beta_k)`` of each active
    system's target; the recurrence is the module docstring's.
    """
    a_k, a_km1, b_km1, b_k = base
    denom = a_k * b_km1 * (z_km1 - z_k) + z_km1 * a_km1 * (1.0 + delta * a_k)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_next = np.where(denom != 0, z_k * z_km1 * a_km1 / denom, 0.0)
        ratio = np.where(z_k != 0, z_next / z_k, 0.0)
    alpha_s = np.zeros(size)
    beta_s = np.zeros(size)
    zeta_next = np.zeros(size)
    alpha_s[active] = a_k * ratio
    beta_s[active] = ratio**2 * b_k
    zeta_next[active] = z_next
    return alpha_s, beta_s, zeta_next
