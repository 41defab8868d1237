"""The profiled intercept of the binary logistic loss: ``b*(z) = argmin_b f(b)``.

``f(b) = sum_i s_i log(1 + exp(-y_i (z_i + b)))`` for fixed margins ``z``
(O(n), no pass over ``X``); shared by the Newton-CG and CD solvers and their
certificates.
"""

from __future__ import annotations

import numpy as np

from ..._kernels._binary_loss import binary_loss_db

# Iterations of the 1-D root search on f' (Newton, bisection as safeguard):
# quadratic convergence from the previous b needs a handful; a bisection halves
# the bracket, so 100 also covers a start 1e15 away from the root.
_MAX_B_NEWTON = 100
# The 1-D search stops when its step (or its bracket) is below this relative
# to max(1, |b|): f' is a sum of n terms, so its rounding error is ~n eps and a
# smaller step is noise; an intercept off by 1e-12 changes P by ~h 1e-24.
B_STEP_RTOL = 1e-12
# Relative rounding level of f = sum_i s_i log(1 + exp(-t_i)) (a sum of n
# terms: a few hundred eps for n ~ 1e5).  Used by the Newton line searches to
# decide whether a predicted decrease can be seen at all.
F_RTOL = 1e-13
# Smallest damping of a multinomial intercept step (multinomial.py): below it
# the decrease is lost in the rounding of f.
MIN_B_STEP = 1e-10
# A Newton step that does not at least halve |f'| is followed by a bisection
# (when a bracket is known): guarantees that |f'| or the bracket halves at
# every second evaluation, as in Numerical Recipes' rtsafe.
_G_SHRINK = 0.5
# Inside a bracket, a Newton step longer than this fraction of the previous
# step is replaced by a bisection (rtsafe's other test): in the exponential
# tail of f' Newton advances ~1 unit a step while |f'| shrinks by e a step,
# which passes the |f'| test; a root 140 units away (class weights 1e-30 vs
# 1e30) then took all _MAX_B_NEWTON sweeps and stopped 40 units short.
_STEP_SHRINK = 0.5
# A Newton step longer than this (in units of the margins), or a search still
# running after _SLOW_B_STEPS evaluations, means it is outside the quadratic
# regime of f (sigma saturates within ~40 units; from a good start it ends in
# 2-3 sweeps): the bracket implied by the margins themselves
# (:func:`_margin_bracket`, one O(n) min/max) is computed then, and the steps
# are kept inside it.  (A class without weight: Newton walks to infinity by
# ~1 unit a step; the empty bracket stops it.)
_LONG_B_STEP = 8.0
_SLOW_B_STEPS = 4


def binary_loss(margins_y: np.ndarray, s: np.ndarray) -> float:
    """``sum_i s_i log(1 + exp(-t_i))`` for ``t = y * m`` (overflow-safe, one sweep)."""
    return binary_loss_db(margins_y, np.ones_like(margins_y), s, 0.0)[0]


def profile_intercept_and_loss(
    z: np.ndarray, y: np.ndarray, s: np.ndarray, b: float
) -> tuple[float, float]:
    """``(b*, f(b*))``: ``b* = argmin_b f(b)``, ``f(b) = sum_i s_i log(1 + exp(-y_i (z_i + b)))``.

    ``f`` is convex, so ``b*`` is the root of the increasing slope
    ``f'(b) = -sum_i s_i y_i sigma(-y_i (z_i + b))``.  It is found by Newton's
    method on ``f'`` safeguarded by bisection (Numerical Recipes' ``rtsafe``):
    every evaluated point with ``f' > 0`` (``< 0``) becomes the upper (lower)
    end of a bracket of ``b*``; a Newton step that leaves the bracket, or that
    follows a step which did not halve ``|f'|``, is replaced by the
    bracket's midpoint.  The search stops when the step (or the bracket) is
    below ``B_STEP_RTOL * max(1, |b|)``.

    Acceptance is decided on ``f'`` (which goes to zero linearly), never by
    comparing values of ``f`` (whose differences go to zero quadratically
    and drown in its rounding near ``b*``: w8a at ``lam = 0.01`` made a
    value-based backtracking search spend 34 halvings per Newton step,
    3,400 loss sweeps a fit).

    The returned loss is that of the last evaluated point (within rounding of
    ``f(b*)`` when the final step was below the stopping level).  Each
    evaluated point costs one sweep of :func:`binary_loss_db` (value, slope
    and curvature together).  The certificates do not rely on ``b*`` being
    exact: they bound ``f(b) - f(b*)`` from ``f'(b)`` themselves.
    """
    f, g, h = binary_loss_db(z, y, s, b)
    lo, hi = -np.inf, np.inf  # bracket of b*: f'(lo) < 0 < f'(hi)
    have_margin_bracket = False
    bisect_next = False
    step_old = np.inf  # length of the last step taken
    for k in range(_MAX_B_NEWTON):
        if g == 0.0 or not np.isfinite(g):
            break
        if g > 0.0:
            hi = min(hi, b)
        else:
            lo = max(lo, b)
        newton = h > 0.0 and not bisect_next
        b_new = b - g / h if newton else np.nan
        if not have_margin_bracket and (not abs(b_new - b) <= _LONG_B_STEP or k >= _SLOW_B_STEPS):
            # far from b* (or no curvature): bound b* by the margins' range
            m_lo, m_hi = _margin_bracket(z, y, s)
            lo, hi = max(lo, m_lo), min(hi, m_hi)
            have_margin_bracket = True
        level = B_STEP_RTOL * max(1.0, abs(b))
        if newton and abs(b_new - b) <= level:
            # converged: the step is at the level of f''s rounding (tested
            # before the bracket, which such a step may touch: b_new == b)
            return b_new, f
        bracketed = np.isfinite(lo) and np.isfinite(hi)
        if bracketed and not abs(b_new - b) <= _STEP_SHRINK * step_old:
            b_new = np.nan  # not converging fast enough: bisect instead
        if not lo < b_new < hi:  # also NaN: no curvature or a forced bisection
            if not bracketed:
                break  # no bracket (one class has no weight): nothing safe to try
            b_new = 0.5 * lo + 0.5 * hi  # (lo + hi overflows for ends near 1e308)
            newton = False
        if bracketed and hi - lo <= level and (lo <= b <= hi or hi < lo):
            # the bracket is at the rounding level of b (b inside it: a start
            # far outside a narrow margin bracket has a level far above its
            # width and must move into it first)
            return b, f
        g_old = g
        f, g, h = binary_loss_db(z, y, s, b_new)
        step_old = abs(b_new - b)
        b = b_new
        bisect_next = newton and not abs(g) <= _G_SHRINK * abs(g_old)
    return b, f


def _margin_bracket(z: np.ndarray, y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """``(lo, hi)`` with ``f'(lo) < 0 < f'(hi)`` from the margins alone (no sweep).

    ``f'(b) = sum_{y_i=-1} s_i sigma(z_i + b) - sum_{y_i=+1} s_i sigma(-z_i - b)``.
    At ``b = -min_i z_i + t`` every margin is at least ``t``, so
    ``f'(b) >= S_- sigma(t) - S_+ sigma(-t) > 0`` once ``e^t > S_+ / S_-``
    (``S_+-`` the weights of each class); symmetrically below ``-max_i z_i``.
    One unit is added on each side for rounding.  Rows of zero weight do not
    count.  When a class has no weight, ``b*`` is at infinity (``f`` is
    monotone) and the returned bracket is empty (both ends at that infinity):
    the search then stops where it is.
    """
    s_pos = float(s[y > 0].sum())  # weights are >= 0: zero-weight rows add nothing
    s_neg = float(s[y < 0].sum())
    if not (s_pos > 0.0 and s_neg > 0.0):
        if s_neg > 0.0:  # only negatives: f' > 0 everywhere, b* = -inf
            return -np.inf, -np.inf
        if s_pos > 0.0:
            return np.inf, np.inf
        return -np.inf, np.inf
    live = s > 0.0
    z_min = float(np.min(z, where=live, initial=np.inf))
    z_max = float(np.max(z, where=live, initial=-np.inf))
    hi = -z_min + max(0.0, np.log(s_pos) - np.log(s_neg)) + 1.0
    lo = -z_max - max(0.0, np.log(s_neg) - np.log(s_pos)) - 1.0
    return lo, hi


def profile_intercept(z: np.ndarray, y: np.ndarray, s: np.ndarray, b: float) -> float:
    """``argmin_b`` of the 1-D loss; see :func:`profile_intercept_and_loss`."""
    return profile_intercept_and_loss(z, y, s, b)[0]
