"""The compensated ("careful") set-up moments and gradient of a design operator.

When the column means dwarf their spread, float64 centring formulas such as
``sum_i s_i X_ij^2 - S mu_j^2`` cancel; these passes redo the quantities in
pairs (double-double, :mod:`fastridge._kernels._dd`), centring entry by entry.
They read the operator's stored ``X`` and count their passes on it.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Ratio max_j S mu_j^2 / sum_i s_i (X_ij - mu_j)^2 above which the setup
# moments are redone in pairs (``DesignOperator.careful``): float64 centring
# formulas lose log10(ratio) digits, and 1e4 (4 digits, leaving ~12) is where
# that starts to show in tol = 1e-8 fits of ill-conditioned problems while
# staying clear of ordinary data (column means a few times the spread).
CANCELLATION_RATIO = 1e4


def cancellation(raw_sq: np.ndarray, S: float, mu: np.ndarray) -> float:
    """``max_j S mu_j^2 / (raw_j - S mu_j^2)``: how much the float64 centring cancels.

    Columns with ``S mu_j^2 = 0`` count 0; the denominator is floored at
    ``1e-300 raw_j`` (a centred norm that rounds to 0 or below is a total
    cancellation, ratio about ``1e300``).  NaN anywhere gives NaN.  One sweep
    in Numba: the NumPy expression took 13 ms at p = 500,000 (five temporaries),
    a tenth of a whole fit of the 20,000 x 500,000 benchmark.
    """
    return float(
        _cancellation(
            np.ascontiguousarray(raw_sq, np.float64),
            float(S),
            np.ascontiguousarray(mu, np.float64),
        )
    )


@njit(cache=True, nogil=True, error_model="numpy")
def _cancellation(raw_sq, S, mu):
    best = 0.0
    for j in range(mu.shape[0]):
        mean_sq = S * mu[j] * mu[j]
        if mean_sq != mean_sq or raw_sq[j] != raw_sq[j]:
            return np.nan
        if mean_sq > 0.0:
            r = mean_sq / max(raw_sq[j] - mean_sq, 1e-300 * raw_sq[j])
            if r != r:
                return np.nan
            if r > best:
                best = r
    return best


def rows_layout(op):
    """``(indptr, indices, data, dense)`` of a CSR or dense ``X`` for the ``_dd`` kernels."""
    if op.kind == "dense":
        indptr = op.p * np.arange(op.n + 1, dtype=np.int64)
        return indptr, np.empty(0, np.int64), op._X.reshape(-1), True
    return op._indptr, op._indices, op._data, False


def careful_moments(op, targets: np.ndarray) -> np.ndarray:
    """``[mu, centred col norms, raw col norms, B]`` (p, 3 + k) in pairs, one serial pass.

    ``B = sum_i s_i yc_i (X_ij - mu_j)`` exactly centred instead of
    ``X^T (s yc)``, which carries ``mu_j`` times the rounding of ``sum_i s_i yc_i``.
    """
    from .._kernels import _dd  # loaded only when needed

    op.n_passes += 1
    SY = np.ascontiguousarray(op.s[:, None] * targets)
    out = np.empty((op.p, 3 + SY.shape[1]))
    if op.kind == "csc":
        _dd.dd_moments_major_dot(op._indptr, op._indices, op._data, op.s, SY, True, out)
    else:
        indptr, indices, data, dense = rows_layout(op)
        _dd.dd_moments_major_scatter(indptr, indices, data, dense, op.s, SY, True, out)
    return out


def pair_gradient(op, Yc: np.ndarray, W: np.ndarray, lam: np.ndarray):
    """``(G, ||e||_s^2)``: ``G = Xc^T S (Xc w - yc) + lam w`` per column, in pairs.

    ``e = yc - Xc w`` is the residual; one serial pass over a CSR or dense
    ``X``, two over CSC.
    """
    from .._kernels import _dd  # loaded only when needed

    k = W.shape[1]
    c_hi = np.empty(k)
    c_lo = np.empty(k)
    for r in range(k):
        c_hi[r], c_lo[r] = _dd.dd_dot(op.mu, np.ascontiguousarray(W[:, r]))
    G = np.empty_like(W)
    rsq = np.empty(k)
    op.n_passes += 1 if op.kind != "csc" else 2
    if op.kind == "csc":
        _dd.dd_gradient_cols(
            op._indptr, op._indices, op._data, op.s, Yc, W, op.mu, c_hi, c_lo, lam, G, rsq
        )
    else:
        indptr, indices, data, dense = rows_layout(op)
        _dd.dd_gradient_rows(
            indptr, indices, data, dense, op.s, Yc, W, op.mu, c_hi, c_lo, lam, G, rsq
        )
    return G, rsq
