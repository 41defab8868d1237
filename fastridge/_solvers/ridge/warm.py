"""Screening of warm starts for the iterative ridge solvers.

A warm start is only useful if it is better than the cold one.  ``w = 0`` has
objective ``P_null`` (``P(0)``); a ``coef_init`` whose objective is larger, or
not even finite (``1e300`` overflows ``X w``), can only cost iterations, and
in CG it poisons the recursion with ``inf - inf``.  Such targets start from
zeros instead.  The check is one objective evaluation (one pass over ``X``),
made only when some warm start is nonzero.
"""

from __future__ import annotations

import numpy as np

from .problem import RidgeProblem


def usable_warm_start(problem: RidgeProblem, W0: np.ndarray) -> np.ndarray:
    """``W0`` with its columns replaced by zeros where ``P(w0) > P_null`` or is not finite."""
    nonzero = np.any(W0 != 0.0, axis=0)
    if not nonzero.any():
        return W0
    with np.errstate(over="ignore", invalid="ignore"):
        P0 = problem.objective(W0)
    bad = nonzero & ~(P0 <= problem.p_null)  # NaN compares False: bad
    if bad.any():
        W0 = W0.copy()
        W0[:, bad] = 0.0
    return W0
