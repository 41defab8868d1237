"""Storing a certified float64 fit in the input's float32, with its certificate.

scikit-learn's estimators keep ``coef_`` in the dtype of ``X``.  Rounding the
certified float64 ``(w, b)`` to float32 moves it by ``d`` (exactly computable
in float64), and ``P`` is ``L``-smooth with ``L <= max_i s_i ||X||_F^2 + S + lam``
(``S`` only with an intercept), so with the float64 certificate ``c``

    P(w + d) - P*  <=  c + ||grad P(w)|| ||d|| + L/2 ||d||^2,
    ||grad P(w)||  <=  sqrt(2 L c)    (L-smooth convex: ||grad||^2 <= 2 L (P - P*)).

That is the certificate the estimators report for what they store.  The same
``L`` bounds the logistic objectives (the Hessian of the binary loss is at most
``1/4 s_i x_i x_i^T`` per row, that of the multinomial one at most ``1/2 s_i``
times the row's outer product, over ``(W, b)`` jointly), so the classifiers use it
too; a multinomial fit has one certificate for all its rows, and its ``||d||^2``
sums them.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp

from .._solvers.stopping import certified_limit


def _frobenius_sq(X) -> float:
    """``||X||_F^2`` accumulated in float64 without copying ``X`` (one pass if distributed)."""
    if getattr(X, "is_distributed", False):
        return X.frobenius_sq()
    data = X.data if sp.issparse(X) else np.asarray(X).ravel(order="K")
    return float(np.einsum("i,i->", data, data, dtype=np.float64))


def cast_fit(X, coef, intercept, certificate, p_null, lam, tol, sample_weight, fit_intercept):
    """``(coef, intercept, certificate)`` in ``X.dtype``, the certificate widened for the cast.

    Warns (``ConvergenceWarning``) when the stored values overflow or the widened
    certificate exceeds ``tol * P_null`` where the float64 one did not.
    """
    from .._fit.warnings import convergence_warning

    dtype = X.dtype
    c64 = np.asarray(coef, dtype=np.float64)
    b64 = np.asarray(intercept, dtype=np.float64)
    with np.errstate(over="ignore"):
        c = c64.astype(dtype)
        b = b64.astype(dtype)
    if dtype == np.float64:
        return c, (dtype.type(b) if np.ndim(b) == 0 else b), certificate
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(b))):
        warnings.warn(
            f"the coefficients do not fit in {dtype} (the dtype of X) and overflow; the fit "
            "did not converge to storable values: pass X as float64",
            convergence_warning(),
            stacklevel=3,
        )
        return c, (dtype.type(b) if np.ndim(b) == 0 else b), certificate
    n = X.shape[0]
    s = np.ones(n) if sample_weight is None else np.broadcast_to(sample_weight, (n,))
    S = float(np.sum(s)) if fit_intercept else 0.0
    lam = np.asarray(lam, dtype=np.float64)
    L = float(np.max(s, initial=0.0)) * _frobenius_sq(X) + S + lam
    k_shape = np.shape(certificate)
    d = (c.astype(np.float64) - c64).reshape(-1, X.shape[1])
    d_sq = np.einsum("ij,ij->i", d, d)
    if fit_intercept:
        d_sq = d_sq + ((b.astype(np.float64) - b64) ** 2).reshape(-1)
    # One certificate per row (ridge targets, one-vs-rest classes), or one for
    # all rows jointly (a multinomial fit): then ||d||^2 is the sum.
    d_sq = d_sq.reshape(k_shape) if d_sq.size == np.prod(k_shape) else np.full(k_shape, d_sq.sum())
    cert = np.asarray(certificate, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        d_norm = np.sqrt(d_sq)
        widened = cert + np.sqrt(2.0 * L * cert) * d_norm + 0.5 * L * d_sq
        widened = np.where(np.isnan(widened), np.inf, widened) * (1.0 + 1e-12)
    limit = certified_limit(tol, np.asarray(p_null, dtype=np.float64))
    if np.any((widened > limit) & (cert <= limit)):
        warnings.warn(
            f"rounding the certified coefficients to {dtype} (the dtype of X) moves them "
            "by more than tol allows: the stored fit did not converge to tol; pass X as "
            "float64 or raise tol",
            convergence_warning(),
            stacklevel=3,
        )
    widened = float(widened) if np.ndim(widened) == 0 else widened
    return c, (dtype.type(b) if np.ndim(b) == 0 else b), widened


def cast_result(X, res, sample_weight, fit_intercept: bool):
    """:func:`cast_fit` of a fit result ``res`` (``coef``, ``intercept``, ``certificate``,
    ``p_null``, ``lam``, ``tol``): ``(coef, intercept, certificate)`` in ``X.dtype``."""
    return cast_fit(
        X,
        res.coef,
        res.intercept,
        res.certificate,
        res.p_null,
        res.lam,
        res.tol,
        sample_weight,
        fit_intercept,
    )
