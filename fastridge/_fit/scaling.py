"""Exact power-of-two rescaling of a ridge problem, and the limits on ``X``.

``P(w, b) = 1/2 sum_i s_i (y_i - x_i . w - b)^2 + lam/2 ||w||^2`` overflows
float64 for ``|y| ~ 1e160`` and underflows for ``|y| ~ 1e-300`` although the
minimiser is perfectly representable.  With ``y = 2^ey y'``, ``s = 2^es s'`` and
``lam = 2^es lam'`` the minimiser is ``(w, b) = 2^ey (w', b')`` and
``P = 2^(es + 2 ey) P'``, all exact (powers of two only change exponents).
So the fit runs on ``(y', s', lam')`` scaled to unit size, and the results are
scaled back; when ``P_null`` itself is not representable in the user's units
the fit is still returned (its coefficients are right) but ``converged`` is
False: a certificate cannot be stated in float64.

``X`` cannot be rescaled without a copy (fastridge never copies it), so
entries whose squares overflow or underflow are refused with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _kernels as K
from .columns import ColumnMap

# y and the weights are rescaled when their largest magnitude is outside
# 2^-100 .. 2^100: squares and sums of n of them then stay inside float64
# (2^200 * n << 1.8e308) with room for the solvers' products.
_SCALE_LIMIT_EXP = 100
# Largest and smallest |X_ij| accepted: 1e100^2 * n * p stays finite and the
# compensated kernels' splitting (valid below 2^996) never overflows; below
# 1e-100 squares underflow towards the subnormal range and the Gram matrix
# loses its digits.
MAX_ABS_X = 1e100
MIN_MAX_ABS_X = 1e-100
# Only when the setup moments look extreme is the exact max |X_ij| computed
# (one more pass): squared column norms above 1e200 or below 1e-200.
_RAW_SQ_SUSPECT = 1e200


def _exponent(a_max: float) -> int:
    """``e`` with ``a_max * 2^-e`` in [0.5, 1) when ``a_max`` is outside the safe range, else 0."""
    if a_max == 0.0 or not np.isfinite(a_max):
        return 0
    e = int(np.frexp(a_max)[1])
    return e if abs(e) > _SCALE_LIMIT_EXP else 0


@dataclass
class Report:
    """Results in the user's units."""

    W: np.ndarray
    intercept: np.ndarray
    certificate: np.ndarray
    p_null: np.ndarray
    representable: bool
    reason: str = ""


@dataclass
class ScaledProblem:
    """``Y' = 2^-ey Y``, ``sw' = 2^-es sw``, ``lam' = 2^-es lam``, ``W0' = 2^-ey W0``.

    ``ey`` (k,) one exponent per target; ``es`` one for the weights.
    """

    Y: np.ndarray
    sw: np.ndarray | None
    lam: np.ndarray
    W0: np.ndarray
    ey: np.ndarray
    es: int
    columns: ColumnMap | None = None  # X's empty columns were dropped (fastridge._fit.columns)

    def to_original(self, W, intercept, certificate, p_null) -> Report:
        """Scale results back; ``representable`` is False when P_null over/underflows.

        With :attr:`columns`, ``W`` is on the kept columns and comes back with
        zeros in the dropped (empty) ones.
        """
        # W (p, k) or (L, k, p); intercept (k,) or (L, k); per-target exponents (k,).
        if self.columns is not None:
            W = self.columns.expand(W, axis=0 if W.ndim == 2 else -1)
        e_obj = self.es + 2 * self.ey
        ey_w = self.ey[None, :] if W.ndim == 2 else self.ey[None, :, None]
        with np.errstate(over="ignore", under="ignore"):
            W = np.ldexp(W, ey_w)
            intercept = np.ldexp(intercept, self.ey)
            cert = np.ldexp(certificate, e_obj)
            pn = np.ldexp(p_null, e_obj)
        tiny = np.finfo(np.float64).tiny
        # ldexp rounds to nearest in the subnormal range: step up one ulp so the
        # certificate stays an upper bound.
        sub = (cert > 0) & (cert < tiny)
        cert = np.where(sub, np.nextafter(cert, np.inf), cert)
        cert = np.where((certificate > 0) & (cert == 0), np.nextafter(0.0, 1.0), cert)
        reason = ""
        if not np.all(np.isfinite(pn)):
            reason = (
                "the objective overflows float64 in the units of y and sample_weight "
                "(P_null = inf); the coefficients were fitted in rescaled units, but no "
                "certificate can be stated: rescale y or sample_weight"
            )
        elif np.any((p_null > 0) & (pn < tiny)):
            reason = (
                "the objective underflows float64 in the units of y and sample_weight "
                f"(P_null = {float(np.min(pn[p_null > 0])):.3g} < {tiny:.3g}); the "
                "coefficients were fitted in rescaled units, but no certificate can be "
                "stated: rescale y or sample_weight"
            )
        elif not (np.all(np.isfinite(W)) and np.all(np.isfinite(intercept))):
            reason = "the coefficients overflow float64 in the units of y: rescale y"
        return Report(W, intercept, cert, pn, reason == "", reason)


def scale_problem(
    Y: np.ndarray, sw, lam: np.ndarray, W0: np.ndarray, columns: ColumnMap | None = None
) -> ScaledProblem:
    """Rescale ``Y`` and the weights by powers of two when they are extreme (exact).

    ``columns`` is kept for :meth:`ScaledProblem.to_original` (``W0`` is
    already on the kept columns).

    Each target (column of ``Y``) gets its own exponent: targets are independent
    problems, and one scale for all would leave a tiny target next to a huge one
    underflowing.
    """
    y_max = np.max(np.abs(Y), axis=0, initial=0.0)
    ey = np.array([_exponent(float(v)) for v in y_max], dtype=np.int64)
    es = 0 if sw is None else _exponent(float(np.max(sw, initial=0.0)))
    if np.any(ey):
        Y = np.ldexp(Y, -ey[None, :])
        W0 = np.ldexp(W0, -ey[None, :])
    if es:
        sw = np.ldexp(sw, -es)
        with np.errstate(over="ignore", under="ignore"):
            lam_s = np.ldexp(lam, -es)
        if not (np.all(np.isfinite(lam_s)) and np.all(lam_s >= np.finfo(np.float64).tiny)):
            raise ValueError(
                f"lam / max(sample_weight) = {float(np.min(lam)):.3g} / "
                f"{float(np.ldexp(1.0, es)):.3g} is outside the float64 range; "
                "rescale sample_weight"
            )
        lam = lam_s
    return ScaledProblem(Y, sw, lam, W0, ey, es, columns)


def constant_targets(Y: np.ndarray, sw=None) -> np.ndarray:
    """(k,) bool: targets whose values on the rows of positive weight are all equal.

    Their mean is then exact (``centred_targets`` sets it to that value).
    """
    if sw is not None:
        Y = Y[sw > 0]
    if Y.shape[0] == 0:
        return np.zeros(Y.shape[1], dtype=bool)
    return np.all(Y == Y[0], axis=0)


def abs_mean(scaled: ScaledProblem) -> np.ndarray:
    """``sum_i s_i |y'_i| / S`` per target, in the scaled units (for the intercept bound)."""
    s = np.ones(scaled.Y.shape[0]) if scaled.sw is None else scaled.sw
    return (s @ np.abs(scaled.Y)) / s.sum()


def check_X_scale(op, Xv) -> None:
    """Refuse ``X`` whose entries' squares overflow or underflow (module docstring)."""
    raw = op.raw_col_sq_norms()
    top = float(np.max(raw, initial=0.0)) if np.all(np.isfinite(raw)) else np.inf
    if top <= _RAW_SQ_SUSPECT and (top == 0.0 or top >= 1.0 / _RAW_SQ_SUSPECT):
        return
    if getattr(Xv, "is_distributed", False):
        big = float(Xv.max_abs())
    else:
        big = float(K.max_abs(Xv if isinstance(Xv, np.ndarray) else Xv.data))
    if big > MAX_ABS_X:
        raise ValueError(
            f"X has an entry of absolute value {big:.3g} > {MAX_ABS_X:g}: its square "
            "overflows float64 in the normal equations; rescale X (for example with "
            "sklearn.preprocessing.MaxAbsScaler)"
        )
    if 0.0 < big < MIN_MAX_ABS_X:
        raise ValueError(
            f"the largest entry of X has absolute value {big:.3g} < {MIN_MAX_ABS_X:g}: "
            "its square underflows float64; rescale X"
        )
