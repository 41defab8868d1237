"""The profiled intercept of the binary logistic loss: ``b*(z) = argmin_b f(b)``.

``f(b) = sum_i s_i log(1 + exp(-y_i (z_i + b)))`` for fixed margins ``z``
(O(n), no pass over ``X``); shared by the Newton-CG and CD solvers and their
certificates.
"""

from __future__ import annotations

import numpy as np

from ..._kernels._binary_loss import binary_loss_db
from ..linesearch import backtrack

# Newton iterations for the 1-D intercept problem; quadratic convergence from
# the previous b makes 50 far more than needed.
_MAX_B_NEWTON = 50
# The 1-D Newton iteration stops when its step is below this (relative to
# max(1, |b|)): g is a sum of n terms, so its rounding error is ~n eps and a
# smaller step is noise; an intercept off by 1e-12 changes P by ~h 1e-24.
B_STEP_RTOL = 1e-12
# Relative rounding level of f = sum_i s_i log(1 + exp(-t_i)) (a sum of n
# terms: a few hundred eps for n ~ 1e5).
F_RTOL = 1e-13
# Smallest damping of a 1-D Newton step: below it the decrease is lost in the
# rounding of f and b is optimal to working precision.
MIN_B_STEP = 1e-10


def binary_loss(margins_y: np.ndarray, s: np.ndarray) -> float:
    """``sum_i s_i log(1 + exp(-t_i))`` for ``t = y * m`` (overflow-safe, one sweep)."""
    return binary_loss_db(margins_y, np.ones_like(margins_y), s, 0.0)[0]


def profile_intercept_and_loss(
    z: np.ndarray, y: np.ndarray, s: np.ndarray, b: float
) -> tuple[float, float]:
    """``(b*, f(b*))``: ``b* = argmin_b f(b)``, ``f(b) = sum_i s_i log(1 + exp(-y_i (z_i + b)))``.

    Safeguarded 1-D Newton.  The returned loss is that of the last evaluated
    point (within rounding of ``f(b*)`` when the final step was below rounding).

    Each trial point costs one sweep of :func:`binary_loss_db` (value, slope
    and curvature together); a step is halved until the value does not increase.
    """
    f, g, h = binary_loss_db(z, y, s, b)
    for _ in range(_MAX_B_NEWTON):
        if not h > 0.0:
            break
        step = g / h
        if abs(step) <= B_STEP_RTOL * max(1.0, abs(b)):
            return b - step, f  # converged (the step is at the level of g's rounding)
        # When the predicted decrease g * step / 2 is below the rounding of f,
        # comparing values says nothing: the quadratic model is exact at that
        # scale, so the full step is taken.
        resolvable = 0.5 * g * step > F_RTOL * abs(f)

        def trial(t, b=b, step=step):
            b_new = b - t * step
            f_new, g_new, h_new = binary_loss_db(z, y, s, b_new)
            return f_new, (b_new, f_new, g_new, h_new)

        # plain decrease (armijo = 0): f_new <= f
        t, state = backtrack(
            trial, f, 0.0, resolvable, armijo=0.0, shrink=0.5, min_step=MIN_B_STEP
        )
        if t < MIN_B_STEP:
            return b, f  # no decrease left that rounding can resolve
        b, f, g, h = state
    return b, f


def profile_intercept(z: np.ndarray, y: np.ndarray, s: np.ndarray, b: float) -> float:
    """``argmin_b`` of the 1-D loss; see :func:`profile_intercept_and_loss`."""
    return profile_intercept_and_loss(z, y, s, b)[0]
