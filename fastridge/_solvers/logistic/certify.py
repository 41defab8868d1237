"""The certificate of a binary logistic fit, with a bound on its own rounding error.

:func:`certify_binary` (used by Newton-CG and CD) and the scales of ``X`` it
needs (:class:`DataScales`); the multinomial certificate
(:mod:`.multinomial`) uses the same scales and helpers.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..._operators.design import DesignOperator
from .intercept import binary_loss, profile_intercept

# Unit roundoff of float64 (the rounding-error bounds of ``certify_binary``).
EPS = np.finfo(np.float64).eps / 2


class DataScales:
    """Column and row scales of ``X`` for the rounding-error bound of the certificate.

    One pass at construction: the plain column sums and squared sums
    ``sum_i X_ij^2`` (and ``X^T s`` when weighted), none when ``setup =
    (X^T 1, (X*X)^T 1)`` is given (from the caller's own
    :meth:`~fastridge._operators.design.DesignOperator.moments` pass); row
    norms are computed on first use (one more pass, only at the final
    certification) unless given by :meth:`use_row_sq_norms`.

    Attributes
    ----------
    col_norm : ndarray (p,)
        ``||X_j||_2``.
    mean : ndarray (p,)
        The unweighted column means ``X^T 1 / n`` (from the set-up pass).
    x_extra : int
        1 when ``X`` is a rounded sum of duplicates (see ``__init__``): added to
        the ``gamma`` index of every product with ``X`` in the bounds.
    xc_norm : ndarray (p,)
        An upper bound on ``||X_j - mu_j 1||_2`` (``mu``: the ``s``-weighted
        means), valid in spite of the cancellation in ``sum X^2 - n m^2``:
        the computed value plus ``2 gamma_n sum_i X_ij^2`` covers its rounding.
    cancellation_ratio : float
        ``max_j n mu_j^2 / ||X_j - mu_j||^2``: how many times the centred
        column norms are smaller than the means' contribution.
    """

    def __init__(
        self,
        X,
        s,
        fit_intercept: bool,
        n_threads: int,
        *,
        operator_type=DesignOperator,
        setup=None,
    ):
        n = X.shape[0]
        self._X = X
        self._n_threads = n_threads
        self._operator_type = operator_type
        if setup is None:
            op = operator_type(X, None, True, n_threads, targets=np.empty((n, 0)))
        else:  # (X^T 1, (X*X)^T 1) from the caller's own pass: no set-up pass here
            op = operator_type(X, None, True, n_threads, setup=setup)
        self.n_passes = op.n_passes
        sumsq = op.raw_col_sq_norms()  # from the set-up pass
        mean = op.mu  # unweighted means
        self.col_norm = np.sqrt(sumsq)
        self.mean = mean
        gamma = gamma_k(n + 2)
        csq = np.maximum(sumsq - n * mean**2, 0.0) + 2.0 * gamma * sumsq
        if fit_intercept and not np.all(s == s[0]):
            mu_s = operator_type(X, s, False, n_threads).rmatvec(s) / float(s.sum())
            self.n_passes += 1
            # sum (X - mu_s)^2 = sum (X - mean)^2 + n (mean - mu_s)^2
            csq = csq + n * (mean - mu_s) ** 2 * (1.0 + 4.0 * gamma)
        self.xc_norm = np.sqrt(csq) if fit_intercept else self.col_norm
        # X holds duplicate sums rounded to float64 (fastridge._fit.validation.
        # canonical_copy): the caller's X is X' + E, |E_ij| <= u |X'_ij|.  Each
        # product with X then has one more rounding (gamma index + 1, so
        # |E_i . w| <= u ||x_i|| ||w|| and |E_j . v| <= u ||X_j|| ||v||) and
        # ||Xc_j|| of the caller's X grows by at most u ||X_j||.
        self.x_extra = 1 if op.x_rounded else 0
        if self.x_extra:
            self.xc_norm = self.xc_norm + EPS * self.col_norm * (1.0 + 4.0 * EPS)
        tiny = np.finfo(np.float64).tiny
        self.cancellation_ratio = float(np.max(n * mean**2 / np.maximum(csq, tiny), initial=0.0))
        self._row_norm = None

    def use_row_sq_norms(self, sq: np.ndarray) -> None:
        """Take ``||x_i||^2`` (n,) from the caller's own pass instead of making one."""
        self._row_norm = np.sqrt(sq)

    def row_norm(self) -> np.ndarray:
        """``||x_i||_2`` (n,), one pass on first use."""
        if self._row_norm is None:
            op = self._operator_type(self._X, None, False, self._n_threads)
            self._row_norm = np.sqrt(op.row_sq_norms())
            self.n_passes += op.n_passes
        return self._row_norm


def safe_norm(v: np.ndarray) -> float:
    """``||v||_2`` without overflow or underflow of the squares (scaled by ``max |v|``)."""
    top = float(np.max(np.abs(v), initial=0.0))
    if top == 0.0 or not np.isfinite(top):
        return top
    return top * float(np.linalg.norm(v / top))


def half_sq_over(norm: float, lam: float) -> float:
    """``norm^2 / (2 lam)`` computed as ``(norm / sqrt(2 lam))^2`` (no underflow of ``norm^2``)."""
    return (norm / np.sqrt(2.0 * lam)) ** 2


def gamma_k(k: int) -> float:
    """``gamma_k = k u / (1 - k u)``: relative error bound of a k-term dot product."""
    return k * EPS / (1.0 - k * EPS)


def certify_binary(plain, scales, y, s, lam, fit_intercept, w, b, z=None):
    """``(b, certificate)`` at ``w``: margins from scratch, ``b`` re-profiled, bound with rounding.

    ``z``: ``X w`` when the caller has just computed it by a product with ``X``
    at this very ``w`` (as :meth:`plain.matvec` would, not updated step by
    step); the pass for the margins is then skipped.

    In exact arithmetic ``P(w, b) - P* <= (f(b) - f(b*)) + ||grad F(w)||^2 / (2 lam)``
    and ``grad F(w) = Xc^T u(b*)``.  The computed ``g = fl(X^T u'(b)) + lam w``
    differs from ``grad F(w)`` by at most ``e`` with, column by column,

    * ``gamma_{n+2} ||X_j|| ||u'||``: rounding of the product ``X^T u'``;
    * ``||Xc_j|| ||du||``: ``du_i`` bounds the error of ``u'_i`` from the
      margins ``m_i = x_i . w + b`` (error at most
      ``gamma_p ||x_i|| ||w|| + u (|z_i| + |b| + |m_i|)``; ``|dr/dm| <= 1/4``)
      and from the centring;
    * ``||Xc_j|| ||d|| |db|``: ``b`` off ``b*`` by ``|db| <= F' / f''(b)``
      (one Newton step; ``b`` is at the rounding level of the 1-D problem),
      with ``F' = |fl(f'(b))| + err f'`` a bound on the exact ``|f'(b)|``.

    The certificate is ``(||g|| + ||e||)^2 / (2 lam) + F' |db|`` (the last
    term bounds ``f(b) - f(b*)`` by convexity), rounded up, and at most
    ``P(w, b)`` (since ``P* >= 0``).  A non-finite value (overflow) means
    "not certified": ``inf`` is returned.
    """
    n, p = plain.n, plain.p
    S = float(s.sum())
    if z is None:
        z = plain.matvec(w)
    if fit_intercept:
        b = profile_intercept(z, y, s, b)
    with np.errstate(over="ignore", invalid="ignore"):
        m = z + b
        r = -y * expit(-y * m)
        u = s * r
        fprime = float(u.sum()) if fit_intercept else 0.0
        up = u - s * (fprime / S) if fit_intercept else u
        g = plain.rmatvec(up) + lam * w
        w_norm = float(np.linalg.norm(w))
        # Error of each margin, then of u' (sigma' <= 1/4; expit and the
        # products add a few relative units).
        xe = scales.x_extra
        dm = gamma_k(p + 2 + xe) * scales.row_norm() * w_norm
        dm = dm + EPS * (np.abs(z) + abs(b) + np.abs(m))
        du = s * (0.25 * dm + 4.0 * EPS * np.abs(r))
        if fit_intercept:
            err_sum = gamma_k(n + 2) * float(np.abs(u).sum())
            # |f'(b)| in exact arithmetic: the computed sum, its rounding and the
            # errors of its terms (at a float64 b next to b* the computed f'(b)
            # can be 0 while the exact one is f'' ulp(b) / 2)
            # (each term's error with the local slope max sigma' on [m - dm, m + dm],
            # not the global 1/4: saturated rows of large weight would swamp it)
            a = np.maximum(np.abs(m) - dm, 0.0)
            slope = expit(a) * expit(-a) * (1.0 + 8.0 * EPS)
            du_local = s * (slope * dm + 4.0 * EPS * np.abs(r))
            fprime_bound = abs(fprime) + (err_sum + float(du_local.sum())) * (1.0 + 4.0 * EPS)
            du = du + s * ((float(du.sum()) + err_sum) / S + 2.0 * EPS * abs(fprime) / S)
            sig = expit(m)
            d = s * sig * (1.0 - sig)
            h = float(d.sum())
            db = fprime_bound / h if h > 0 else np.inf
            d_norm = float(np.linalg.norm(d))
        else:
            db, d_norm, fprime, fprime_bound = 0.0, 0.0, 0.0, 0.0
        e = (
            gamma_k(n + 2 + xe) * scales.col_norm * float(np.linalg.norm(up))
            + scales.xc_norm * (float(np.linalg.norm(du)) + d_norm * db)
            + 2.0 * EPS * lam * np.abs(w)
        )
        bound = half_sq_over(safe_norm(g) + safe_norm(e), lam)
        bound += fprime_bound * db if db > 0 else 0.0
        bound *= 1.0 + 8.0 * EPS  # the rounding of this formula itself
        # P* >= 0 (loss and penalty are non-negative), so P(w, b) itself is a
        # certificate: it caps the bound where the intercept has no curvature
        # left (saturated margins: |db| unbounded) or the terms overflow.
        # ... of the exact margins, each within dm of the computed one (the loss
        # decreases in y m, so y m - dm gives an upper bound)
        value = binary_loss(y * m - dm, s) + 0.5 * lam * float(w @ w)
        cap = value * (1.0 + gamma_k(n + 8))
        bound = bound if bound <= cap else cap  # also replaces a NaN bound
    if not np.isfinite(bound):
        bound = np.inf
    return float(b), float(bound)
