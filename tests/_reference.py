"""Dense float64 reference answers for the ridge tests (not a test module).

Everything here is plain numpy/scipy in float64, independent of fastridge, and
follows the objective of docs/architecture.md section 1:

    P(w, b) = 1/2 sum_i s_i (y_i - x_i . w - b)^2 + lam/2 ||w||^2

with the intercept ``b`` profiled out by weighted centring:
``mu = X^T s / S``, ``ybar = s . y / S``, ``Xc = X - 1 mu^T``, ``yc = y - ybar``,

    w* = (Xc^T S Xc + lam I)^{-1} Xc^T S yc,    b* = ybar - mu . w*

(``mu = 0``, ``ybar = 0`` and ``b* = 0`` without an intercept).

Import it as ``from tests._reference import ...`` (``python -m pytest`` from the
repository root puts the root on ``sys.path``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp


def to_dense64(X) -> np.ndarray:
    """``X`` (dense or any scipy sparse) as a dense float64 array (the exact stored values)."""
    if sp.issparse(X):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


def _as_2d(y) -> tuple[np.ndarray, bool]:
    Y = np.asarray(y, dtype=np.float64)
    one_d = Y.ndim == 1
    return (Y[:, None] if one_d else Y), one_d


def _weights(sample_weight, n: int) -> np.ndarray:
    if sample_weight is None:
        return np.ones(n)
    return np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), (n,)).copy()


def _lams(lam, k: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(lam, dtype=np.float64), (k,)).copy()


def reference_ridge(X, y, lam, *, fit_intercept=True, sample_weight=None):
    """Exact ridge solution by a dense float64 solve.

    Returns ``(coef, intercept)`` in the layout of :class:`fastridge.FitResult`:
    ``coef`` (p,) and ``intercept`` float for a 1-D ``y``; ``(k, p)`` and ``(k,)``
    for a 2-D ``y``.  ``lam`` may be a scalar or one value per target.
    """
    Xd = to_dense64(X)
    n, p = Xd.shape
    Y, one_d = _as_2d(y)
    k = Y.shape[1]
    s = _weights(sample_weight, n)
    lams = _lams(lam, k)
    S = s.sum()
    mu = (s @ Xd) / S if fit_intercept else np.zeros(p)
    ybar = (s @ Y) / S if fit_intercept else np.zeros(k)
    Xc = Xd - mu
    Yc = Y - ybar
    H = Xc.T @ (s[:, None] * Xc)
    B = Xc.T @ (s[:, None] * Yc)
    W = np.empty((k, p))
    for t in range(k):
        W[t] = sla.solve(H + lams[t] * np.eye(p), B[:, t], assume_a="pos")
    b = ybar - W @ mu if fit_intercept else np.zeros(k)
    if one_d:
        return W[0], float(b[0])
    return W, b


def objective(X, y, coef, intercept, lam, *, sample_weight=None) -> np.ndarray | float:
    """``P(w, b)`` per target in float64 (a float for a 1-D ``y``)."""
    Xd = to_dense64(X) if not sp.issparse(X) else X.astype(np.float64)
    Y, one_d = _as_2d(y)
    k = Y.shape[1]
    W = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    b = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (k,))
    s = _weights(sample_weight, Y.shape[0])
    R = Y - np.asarray(Xd @ W.T) - b
    P = 0.5 * (s @ R**2) + 0.5 * _lams(lam, k) * np.einsum("ij,ij->i", W, W)
    return float(P[0]) if one_d else P


def p_null(y, *, fit_intercept=True, sample_weight=None) -> np.ndarray | float:
    """``P`` of the best intercept-only model (``w = 0``), per target."""
    Y, one_d = _as_2d(y)
    s = _weights(sample_weight, Y.shape[0])
    ybar = (s @ Y) / s.sum() if fit_intercept else np.zeros(Y.shape[1])
    P = 0.5 * (s @ (Y - ybar) ** 2)
    return float(P[0]) if one_d else P


def suboptimality(X, coef, intercept, coef_ref, intercept_ref, lam, *, sample_weight=None):
    """True ``P(w, b) - P*`` per target, from the reference optimum.

    ``P`` is quadratic and its gradient vanishes at ``(w*, b*)``, so exactly
    ``P(w, b) - P* = 1/2 sum_i s_i (x_i . dw + db)^2 + lam/2 ||dw||^2`` with
    ``dw = w - w*`` and ``db = b - b*``.  Unlike a difference of two objective
    values this has no cancellation: it is accurate even when the gap is
    1e-16 of ``P``.
    """
    Xd = to_dense64(X)
    dW = np.atleast_2d(np.asarray(coef, np.float64) - np.asarray(coef_ref, np.float64))
    k = dW.shape[0]
    db = np.broadcast_to(
        np.asarray(intercept, np.float64) - np.asarray(intercept_ref, np.float64), (k,)
    )
    s = _weights(sample_weight, Xd.shape[0])
    E = Xd @ dW.T + db
    gap = 0.5 * (s @ E**2) + 0.5 * _lams(lam, k) * np.einsum("ij,ij->i", dW, dW)
    return float(gap[0]) if np.ndim(coef) == 1 else gap


def rel_err(a, b) -> float:
    """``||a - b|| / ||b||`` (Frobenius for 2-D arrays)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def rel_err_rows(a, b) -> np.ndarray:
    """Per-target ``||a_t - b_t|| / ||b_t||`` for ``(k, p)`` (or (p,)) coefficients."""
    a = np.atleast_2d(np.asarray(a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(b, dtype=np.float64))
    return np.linalg.norm(a - b, axis=1) / np.linalg.norm(b, axis=1)


@dataclass(frozen=True)
class Problem:
    """A synthetic problem with a known answer: ``y = X w_true + b_true + noise``."""

    X: np.ndarray  # dense float64 (n, p), about `density` nonzeros
    y: np.ndarray  # (n,) or (n, k)
    sample_weight: np.ndarray | None
    w_true: np.ndarray  # (p,) or (k, p)
    b_true: float | np.ndarray
    spectral_sq: float  # ||X||_2^2, the scale lam is chosen relative to


def make_problem(
    n: int,
    p: int,
    *,
    k: int | None = None,
    density: float = 0.25,
    noise: float = 0.01,
    weights: bool = False,
    zero_weights: int = 2,
    seed: int = 0,
) -> Problem:
    """Sparse random design with standard normal entries and a known model.

    ``k=None`` gives a 1-D ``y``; an integer ``k`` gives ``y`` of shape (n, k).
    Every column has at least one entry (so no coefficient is trivially 0).
    With ``weights``, ``s_i`` is uniform on [0.5, 2] with ``zero_weights``
    entries set to exactly 0.
    """
    rng = np.random.default_rng(seed)
    mask = rng.random((n, p)) < density
    mask[rng.integers(0, n, size=p), np.arange(p)] = True
    X = np.where(mask, rng.standard_normal((n, p)), 0.0)
    kk = 1 if k is None else k
    W = rng.standard_normal((kk, p))
    b = 3.0 * rng.standard_normal(kk)
    Y = X @ W.T + b + noise * rng.standard_normal((n, kk))
    sw = None
    if weights:
        sw = rng.uniform(0.5, 2.0, size=n)
        sw[rng.choice(n, size=zero_weights, replace=False)] = 0.0
    spectral_sq = float(np.linalg.norm(X, 2) ** 2)
    if k is None:
        return Problem(X, Y[:, 0], sw, W[0], float(b[0]), spectral_sq)
    return Problem(X, Y, sw, W, b, spectral_sq)


def as_format(X: np.ndarray, fmt: str, dtype=np.float64):
    """``X`` as ``dense``, ``csr``, ``csc`` (or another scipy format) with data in ``dtype``."""
    Xd = np.asarray(X, dtype=dtype)
    if fmt == "dense":
        return Xd
    return sp.csr_matrix(Xd).asformat(fmt)


def binary_logistic_problem(n=150, p=20, seed=0, dtype=np.float64, offset=0.0):
    """``(X, y, s)``: dense sparse-ish X (60% zeros, column 3 empty), labels +-1 of
    ``X w + offset + noise`` for a random ``w``, weights in [0.2, 2)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * (rng.random((n, p)) < 0.4)
    X[:, 3] = 0.0  # an empty column
    w = rng.standard_normal(p)
    y = np.where(X @ w + offset + rng.standard_normal(n) > 0, 1.0, -1.0)
    s = rng.uniform(0.2, 2.0, n)
    return X.astype(dtype), y, s


def binary_logistic_objective(X, y_pm, s, lam, w, b) -> float:
    """``sum_i s_i log(1 + exp(-y_i (x_i . w + b))) + lam/2 ||w||^2`` (``y_pm`` in {-1, +1})."""
    m = X @ w + b
    return float(s @ np.logaddexp(0.0, -y_pm * m) + 0.5 * lam * w @ w)


def sklearn_binary_logistic(X, y, s, lam, fit_intercept):
    """``(w, b)`` from scikit-learn's exact Newton solver at a tight tolerance (float64)."""
    from sklearn.linear_model import LogisticRegression

    sk = LogisticRegression(
        C=1.0 / lam,
        tol=1e-14,
        max_iter=1000,
        fit_intercept=fit_intercept,
        solver="newton-cholesky",
    ).fit(np.asarray(X, dtype=np.float64), y, sample_weight=s)
    return sk.coef_.ravel(), (float(sk.intercept_[0]) if fit_intercept else 0.0)
