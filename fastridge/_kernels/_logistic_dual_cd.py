"""Dual coordinate-descent epochs for binary L2-logistic regression without intercept.

The solver (:mod:`fastridge._solvers.logistic.dual_cd`) minimises the dual

    f(alpha) = 1/(2 lam) ||X^T (alpha * y)||^2
               + sum_i [alpha_i log alpha_i + (C_i - alpha_i) log(C_i - alpha_i)],
    0 <= alpha_i <= C_i = s_i,

keeping ``w = X^T (alpha * y) / lam`` up to date.  Coordinate ``i`` changes
``alpha_i`` by the minimiser of the 1-D problem (Yu, Huang & Lin 2011,
"Dual coordinate descent methods for logistic regression and maximum
entropy models", Machine Learning 85, Algorithm 3 / LIBLINEAR's ``-s 7``)

    g(z) = a/2 (z - alpha_i)^2 + b (z - alpha_i) + z log z + (C - z) log(C - z),
    a = ||x_i||^2 / lam,  b = y_i x_i . w,

solved by the paper's modified Newton method on the side of ``C/2`` where the
minimiser lies (with one change: a Newton iterate ``<= 0`` is replaced by a
Newton step in ``log z``, not by ``xi z``; see ``dual_subproblem``):
``alpha_i`` and its complement ``C_i - alpha_i`` are both stored (``alpha``,
``alpha_c``), the smaller one is the Newton variable, so ``log`` never sees a
difference that cancelled to 0.

Modified in place: ``alpha``, ``alpha_c``, ``w``; with ``fill`` (the first
epoch, every row in ``order``) also ``rsq_i = ||x_i||^2`` and
``qd_i = rsq_i / lam``, computed in the loop of the row's dot product (no
pass of their own).  Rows are visited in the
order ``order`` (the driver shuffles it, seeded); rows with ``C_i = 0`` must
not be in it.  ``X`` may be float32 (products accumulate in float64).  Each
epoch returns ``(max_i |g'(alpha_i)|, Newton iterations, estimate)``: the
largest 1-D derivative seen before each update (LIBLINEAR's ``Gmax``), and
``1/2 sum_i e_i^2 ||x_i||^2 / lam`` with ``e_i = alpha_i - s_i sigma(-y_i x_i . w)``
seen before each update.  Since ``grad P(w) = X^T (y * e)`` when
``lam w = X^T (alpha y)``, that is the certificate ``||grad P||^2 / (2 lam)``
if the rows were orthogonal: an estimate (not a bound) the driver uses to
decide when to compute the certificate.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# The paper's xi: the start z0 > C/2 is replaced by xi * z0 (in (0, C/2)).
_XI = 0.1
# Smallest positive normal float64: the floor of the Newton variable.
_TINY = np.finfo(np.float64).tiny


@njit(cache=True, nogil=True)
def _sigmoid(t):
    """``1 / (1 + exp(-t))`` without overflow."""
    if t >= 0.0:
        return 1.0 / (1.0 + np.exp(-t))
    e = np.exp(t)
    return e / (1.0 + e)


@njit(cache=True, nogil=True)
def dual_subproblem(a, b, C, a1, a2, innereps, skip_eps, max_inner):
    """Minimise ``g`` above: ``(new alpha_i, new C - alpha_i, change of alpha_i, |g'_0|, iters)``.

    ``a1 = alpha_i`` and ``a2 = C - alpha_i`` (both positive).  ``|g'_0|`` is
    the derivative at the start; no step is taken when it is below
    ``skip_eps`` (iters 0, change 0); further steps stop when ``|g'| < innereps``.
    """
    sign = 1.0
    # g'(alpha) at alpha = C/2 is a (C/2 - alpha_i) + b: negative means the
    # minimiser is above C/2, so solve for the complement C - alpha instead.
    if 0.5 * a * (a2 - a1) + b < 0.0:
        a1, a2 = a2, a1
        sign = -1.0
    # Now g(z) = a/2 (z - z0)^2 + sign b (z - z0) + z log z + (C-z) log(C-z),
    # minimiser in (0, C/2]; z0 = a1 may lie above C/2 (then start at xi z0).
    z0 = a1
    z = z0
    cz = a2  # C - z, exact at the start
    if a2 < 0.5 * C:
        z = _XI * z0
        cz = C - z
    gp = a * (z - z0) + sign * b + np.log(z) - np.log(cz)
    gp0 = abs(gp)
    it = 0
    while it < max_inner:
        # The first step is taken unless |g'| is at rounding level (skip_eps),
        # the following ones while |g'| >= innereps (also stops on NaN).
        if not abs(gp) >= (innereps if it > 0 else skip_eps):
            break
        # (C / cz) / z, not C / (cz z): cz z underflows to 0 for z near the
        # floor _TINY and C < 1e-8 (C / cz is in [1, 2]).  Likewise log z -
        # log cz above: z / cz underflows for C > 1 (log(0) = -inf).
        gpp = a + (C / cz) / z
        tmpz = z - gp / gpp
        if tmpz > 0.0:
            z_new = tmpz
        else:
            # The paper's safeguard is z *= xi; we take the Newton step in
            # log z instead: g' is increasing and convex in u = log z with
            # dg'/du = a z + C / (C - z), so from this point (g' > 0) the step
            # lands in (z*, z) without overshoot.  xi needs log10(z / z*)
            # iterations: ~17 for a saturated row with y x.w = 40, and it
            # cannot reach z* < 1e-108 within _MAX_INNER; this needs a few.
            z_new = z * np.exp(-gp / (a * z + C / cz))
        if not z_new >= _TINY:
            if not z_new >= 0.0:
                break  # NaN: keep the last z
            # z* underflows (y x.w > ~700): the smallest normal number is the
            # closest positive float64 to it (alpha_i must stay positive).
            z = _TINY
            cz = C - z
            it += 1
            break
        z = z_new
        cz = C - z  # z <= C/2 after a step (the paper's Theorem): no cancellation
        gp = a * (z - z0) + sign * b + np.log(z) - np.log(cz)
        it += 1
    if it == 0:
        if sign > 0.0:
            return a1, a2, 0.0, gp0, 0
        return a2, a1, 0.0, gp0, 0
    delta = sign * (z - z0)
    if sign > 0.0:
        return z, cz, delta, gp0, it
    return cz, z, delta, gp0, it


@njit(cache=True, nogil=True, inline="always")
def _row_step(i, dot, y, C, qd, alpha, alpha_c, inv_lam, innereps, skip_eps, max_inner):
    """Row ``i``'s dual step given ``dot = x_i . w``: updates ``alpha[i]``, ``alpha_c[i]``.

    Returns ``(step, gp0, newton, est)``: ``w`` must then move by ``step x_i``;
    ``gp0`` is the row's projected gradient before the step, ``newton`` its 1-D
    Newton iterations, ``est`` its term of the per-epoch certificate estimate.
    """
    yi = y[i]
    b = yi * dot
    e = alpha[i] - C[i] * _sigmoid(-b)
    a1, a2, delta, gp0, it = dual_subproblem(
        qd[i], b, C[i], alpha[i], alpha_c[i], innereps, skip_eps, max_inner
    )
    step = 0.0
    if it > 0:
        alpha[i] = a1
        alpha_c[i] = a2
        step = delta * yi * inv_lam
    return step, gp0, it, e * e * qd[i]


@njit(cache=True, nogil=True)
def dual_cd_epoch_csr(
    indptr,
    indices,
    data,
    y,
    C,
    qd,
    rsq,
    fill,
    inv_lam,
    order,
    alpha,
    alpha_c,
    w,
    innereps,
    skip_eps,
    max_inner,
):
    """One epoch over the rows ``order`` of a CSR ``X``; ``qd_i = ||x_i||^2 / lam`` (read,
    or written with ``fill``)."""
    gmax = 0.0
    newton = 0
    est = 0.0
    for t in range(order.shape[0]):
        i = order[t]
        lo = indptr[i]
        hi = indptr[i + 1]
        dot = 0.0
        if fill:
            sq = 0.0
            for k in range(lo, hi):
                x = np.float64(data[k])
                dot += x * w[indices[k]]
                sq += x * x
            rsq[i] = sq
            qd[i] = sq * inv_lam
        else:
            for k in range(lo, hi):
                dot += np.float64(data[k]) * w[indices[k]]
        step, gp0, it, e_term = _row_step(
            i, dot, y, C, qd, alpha, alpha_c, inv_lam, innereps, skip_eps, max_inner
        )
        est += e_term
        gmax = max(gmax, gp0)
        newton += it
        if step != 0.0:
            for k in range(lo, hi):
                w[indices[k]] += step * np.float64(data[k])
    return gmax, newton, 0.5 * est


@njit(cache=True, nogil=True)
def dual_cd_epoch_dense(
    X, y, C, qd, rsq, fill, inv_lam, order, alpha, alpha_c, w, innereps, skip_eps, max_inner
):
    """One epoch over the rows ``order`` of a dense C-contiguous ``X``."""
    p = X.shape[1]
    gmax = 0.0
    newton = 0
    est = 0.0
    for t in range(order.shape[0]):
        i = order[t]
        dot = 0.0
        if fill:
            sq = 0.0
            for j in range(p):
                x = np.float64(X[i, j])
                dot += x * w[j]
                sq += x * x
            rsq[i] = sq
            qd[i] = sq * inv_lam
        else:
            for j in range(p):
                dot += np.float64(X[i, j]) * w[j]
        step, gp0, it, e_term = _row_step(
            i, dot, y, C, qd, alpha, alpha_c, inv_lam, innereps, skip_eps, max_inner
        )
        est += e_term
        gmax = max(gmax, gp0)
        newton += it
        if step != 0.0:
            for j in range(p):
                w[j] += step * np.float64(X[i, j])
    return gmax, newton, 0.5 * est
