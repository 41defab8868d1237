"""The default lambda grid of :func:`ridge_path` and :func:`logistic_path`.

The grid is geometric, decreasing, from ``lam_max`` down to
``lam_max * lam_min_ratio``, where

    lam_max = ||grad F(0)||^2 / (2 * NULL_FRACTION * P_null)

with ``F`` the objective with the intercept profiled out (for ridge
``grad F(0) = -Xc^T S yc``; for logistic regression ``X^T s (p0 - y)`` at the
best intercept-only probabilities ``p0``) and ``P_null = F(0)``.  Because
``F`` is ``lam``-strongly convex, ``F(0) - F* <= ||grad F(0)||^2 / (2 lam)``,
so at ``lam_max`` the fit improves on the intercept-only model by at most
``NULL_FRACTION * P_null``: it is "close to the null model" with a stated
bound.  Scaling ``X`` by ``c`` scales ``grad F(0)`` by ``c`` and leaves
``P_null`` unchanged, so the grid scales by ``c^2``, as the solutions require
(``w(c X, c^2 lam) = w(X, lam) / c``).  Scaling ``y`` (ridge) leaves it
unchanged.
"""

from __future__ import annotations

import numpy as np

# At lam_max the fit recovers at most this fraction of P_null (the bound above).
# 1% makes the first point of the path visibly "nearly null" while keeping the
# grid from wasting points far in the flat region (the bound is tight when
# lam_max exceeds the largest eigenvalue of the Hessian, where the fit is
# w ~ -grad F(0) / lam).
NULL_FRACTION = 0.01

# lam_min / lam_max when not given: glmnet's convention (1e-4 when n >= p,
# 1e-2 when p > n, where small lam approaches interpolation and the fits
# stop changing).
LAM_MIN_RATIO_TALL = 1e-4
LAM_MIN_RATIO_WIDE = 1e-2


def default_lam_min_ratio(n: int, p: int) -> float:
    """glmnet's default ``lambda.min.ratio``: 1e-4 when ``n >= p``, else 1e-2."""
    return LAM_MIN_RATIO_TALL if n >= p else LAM_MIN_RATIO_WIDE


def lam_max_from_gradient(grad0_sq: float, p_null: float, fallback: float) -> float:
    """``||grad F(0)||^2 / (2 NULL_FRACTION P_null)``, or ``fallback`` when undefined.

    ``fallback`` (used when ``grad F(0) = 0`` or ``P_null = 0``: the null
    model is already optimal for every lam) should scale like ``c^2`` too,
    e.g. the largest diagonal entry of the Hessian; 1.0 is used if it is 0.
    """
    if grad0_sq > 0 and p_null > 0 and np.isfinite(grad0_sq / p_null):
        return float(grad0_sq / (2.0 * NULL_FRACTION * p_null))
    return float(fallback) if fallback > 0 else 1.0


def geometric_grid(lam_max: float, n_lams: int, lam_min_ratio: float) -> np.ndarray:
    """``n_lams`` values from ``lam_max`` down to ``lam_max * lam_min_ratio``, geometric."""
    if n_lams == 1:
        return np.array([float(lam_max)])
    return np.geomspace(lam_max, lam_max * lam_min_ratio, n_lams)


def check_grid(lams, n_lams, lam_min_ratio, n: int, p: int):
    """Validate a user grid, or the arguments of the default one.

    Returns ``(lams, None)`` for a user grid sorted in decreasing order, or
    ``(None, (n_lams, lam_min_ratio))`` when the default grid must be built
    (it needs ``lam_max`` from the data).
    """
    if lams is not None:
        if np.asarray(lams).dtype.kind == "b":  # True would otherwise mean lam = 1
            raise TypeError(f"lams must be numbers, got booleans {lams!r}")
        arr = np.asarray(lams, dtype=np.float64).ravel()
        if arr.size == 0:
            raise ValueError("lams is empty")
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise ValueError("lams must be finite and positive")
        return np.sort(arr)[::-1].copy(), None
    if isinstance(n_lams, bool) or int(n_lams) != n_lams or n_lams < 1:
        raise ValueError(f"n_lams must be a positive integer, got {n_lams!r}")
    if lam_min_ratio is None:
        lam_min_ratio = default_lam_min_ratio(n, p)
    lam_min_ratio = float(lam_min_ratio)
    if not (0 < lam_min_ratio < 1):
        raise ValueError(f"lam_min_ratio must be in (0, 1), got {lam_min_ratio!r}")
    return None, (int(n_lams), lam_min_ratio)


def ridge_grid(op, B: np.ndarray, p_null: np.ndarray, n_lams: int, lam_min_ratio: float):
    """The default ridge grid: ``n_lams`` values from the largest ``lam_max`` over targets.

    ``B`` (p, k) is ``Xc^T S yc`` of each target and ``p_null`` its null
    objective; the fallback ``lam_max`` (null model optimal for every lam) is
    the largest diagonal entry of ``H = Xc^T S Xc``, which scales like ``c^2``
    as well.  Used by :func:`fastridge.ridge_path`, ``RidgeCV(alphas="auto")``
    and the command line.
    """
    grad0_sq = np.einsum("ij,ij->j", B, B)
    fallback = float(op.col_sq_norms().max())
    lam_max = max(lam_max_from_gradient(g, pn, fallback) for g, pn in zip(grad0_sq, p_null))
    return geometric_grid(lam_max, n_lams, lam_min_ratio)
