"""The backtracking (Armijo) line search, written once.

From ``t = 1``, ``trial(t)`` evaluates the objective along the step and
returns ``(f_new, state)``; ``t`` is accepted when

    f_new <= f_old + armijo * t * slope      (or when not ``resolvable``)

and otherwise multiplied by ``shrink`` until it drops below ``min_step``.
``resolvable`` is False when the predicted decrease is below the rounding
of ``f``: comparing values then says nothing and the full step is taken.
With ``armijo = 0`` and ``slope = 0`` the test is plain decrease
(``f_new <= f_old``), as in the intercept searches.

Each caller passes its own constants (the Newton, CD and intercept searches
use the textbook ``armijo = 1e-4``, ``shrink = 0.5`` and their own floors).
"""

from __future__ import annotations


def backtrack(trial, f_old, slope, resolvable, *, armijo, shrink, min_step):
    """``(t, state)`` of the accepted step; ``t < min_step`` means none was found.

    ``state`` is that of the last trial (the rejected one when ``t < min_step``).
    """
    t = 1.0
    while True:
        f_new, state = trial(t)
        if f_new <= f_old + armijo * t * slope or not resolvable:
            return t, state
        t *= shrink
        if t < min_step:
            return t, state
