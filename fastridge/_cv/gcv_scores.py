"""The result of leave-one-out / GCV scoring (:mod:`fastridge._cv.gcv`), and the GCV formula.

``GCV = (1/n) ||r||^2 / (1 - df/n)^2`` with ``df = tr(Hat)`` (module
docstring of :mod:`fastridge._cv.gcv`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Memory budget (bytes) of the per-lam work arrays.  Exact LOO works on row
# chunks of at most this size (the n x L diagonal and n x kL residuals are
# never formed at once unless the caller stores the leave-one-out errors).
CHUNK_BYTES = 256 * 2**20


@dataclass(frozen=True)
class GCVScores:
    """Leave-one-out / GCV errors of ridge at every ``lam`` (in the given order).

    Attributes
    ----------
    lams : ndarray (L,)
    method : str
        ``"loo"``, ``"gcv"`` or ``"gcv-stochastic"``.
    error : ndarray (L, k)
        Per target: the mean squared leave-one-out error
        ``(1/n) sum_i e_i^2`` (``loo``) or the GCV value (``gcv*``), in the
        scaled space (:mod:`fastridge._cv.gcv`).  The score is ``-error``.
    error_se : ndarray (L, k)
        Standard error of ``error``: 0 for the exact methods; the delta-method
        propagation of ``df_se`` for the stochastic one.
    df : ndarray (L,)
        ``tr(Hat)`` (effective degrees of freedom, intercept included).
    df_se : ndarray (L,)
        Monte-Carlo standard error of ``df`` (0 when exact).
    df_solve_bound : ndarray (L,)
        Bound on the (non-negative) bias of ``df`` left by the probe solves
        (0 when exact).
    rss : ndarray (L, k)
        ``||r||^2 = sum_i s_i (y_i - yhat_i)^2``.
    loo_errors : ndarray (n, k, L) or None
        The scaled leave-one-out errors ``e_i`` (``loo`` with ``store=True``).
    n_probes : int
        Hutchinson probes (0 when exact).
    """

    lams: np.ndarray
    method: str
    error: np.ndarray
    error_se: np.ndarray
    df: np.ndarray
    df_se: np.ndarray
    df_solve_bound: np.ndarray
    rss: np.ndarray
    loo_errors: np.ndarray | None = None
    n_probes: int = 0


def gcv_value(rss: np.ndarray, df: np.ndarray, n: int) -> np.ndarray:
    """``(rss / n) / (1 - df/n)^2`` for ``rss`` (L, k), ``df`` (L,); inf where ``df >= n``."""
    gap = 1.0 - df / n
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (rss / n) / (gap**2)[:, None]
    return np.where((gap > 0)[:, None], out, np.inf)
