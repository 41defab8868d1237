"""Exact leave-one-out and GCV of ridge at every ``lam`` from one eigendecomposition.

With the thin eigendecomposition of the smaller Gram matrix of
``A = S^{1/2} Xc`` (:class:`HatDecomposition`), ``Hat(lam) - P_1 =
Q diag(w(lam)) Q^T``, so for every ``lam`` at ``O(n m)`` cost:
``Hat_ii``, the scaled residuals ``r = ys - Hat ys``, the leave-one-out errors
``e_i = r_i / (1 - Hat_ii)`` and ``GCV = (1/n) ||r||^2 / (1 - tr(Hat)/n)^2``
(the derivations are in :mod:`fastridge._cv.gcv`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._operators.contract import DesignProducts
from .gcv_scores import CHUNK_BYTES, GCVScores, gcv_value


@dataclass(frozen=True)
class HatDecomposition:
    """``Hat(lam) - P_1 = Q diag(w(lam)) Q^T`` from one eigendecomposition.

    ``form="primal"`` (``p <= n``): ``H = A^T A = V diag(e) V^T``,
    ``Q = A V`` (n x p, columns ``s_k u_k``) and ``w = 1 / (e + lam)``.
    ``form="dual"`` (``p > n``): ``A A^T = U diag(e) U^T``, ``Q = U`` and
    ``w = e / (e + lam)``.  Without intercept ``U`` holds all ``n``
    eigenvectors and ``1 - Hat_ii = sum_k U_ik^2 lam / (e_k + lam)``.  With
    an intercept the known null vector ``q = sqrt(s / S)`` of ``A A^T`` is
    removed exactly (:func:`_deflated_dual`): ``U`` holds ``n - 1``
    orthonormal eigenvectors spanning ``q^perp``, so ``U U^T = I - P_1`` and

        1 - Hat_ii = sum_k U_ik^2 lam / (e_k + lam)

    with no subtraction of ``s_i / S``.  (Leaving ``q`` among the
    eigenvectors, its computed eigenvalue ``~ eps ||A||^2`` instead of 0
    changed ``1 - Hat_ii ~ lam`` by ``eps ||A||^2 / lam`` relative: 1e-3 at
    ``lam = 1e-5`` on a 10 x 50 problem.)
    """

    form: str
    e: np.ndarray  # (m,) eigenvalues, clipped at 0
    Q: np.ndarray  # (n, m)


def _householder_off(q: np.ndarray) -> tuple[np.ndarray, float]:
    """``(u, c)`` with ``Hh = I - c u u^T`` orthogonal, symmetric and ``Hh q = -sign(q_0) e_0``.

    For a unit vector ``q``: ``u = q + sign(q_0) e_0``, ``c = 2 / (u^T u)``
    (the sign avoids cancellation in ``u_0``).  The columns ``1..n-1`` of
    ``Hh`` are then an orthonormal basis of ``q^perp``.
    """
    u = q.copy()
    u[0] += 1.0 if q[0] >= 0 else -1.0
    return u, 2.0 / (u @ u)


def _deflated_dual(K: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenpairs of ``K = A A^T`` on ``q^perp`` (``K q = 0`` in exact arithmetic).

    With ``Hh = I - c u u^T`` (:func:`_householder_off`), ``B = Hh[:, 1:]``
    spans ``q^perp``; ``B^T K B = (Hh K Hh)[1:, 1:] = W diag(e) W^T`` and
    ``U = B W``.  Forms ``Hh K Hh`` by two rank-one updates (O(n^2)) and
    ``U`` by one (O(n^2)); the rounding error of ``K`` along ``q`` is dropped
    instead of becoming a spurious eigenvalue.
    """
    n = K.shape[0]
    u, c = _householder_off(q)
    KH = K - c * np.outer(K @ u, u)
    HKH = KH - c * np.outer(u, u @ KH)
    M = HKH[1:, 1:]
    e, W = _eigh(0.5 * (M + M.T))
    Wf = np.zeros((n, n - 1))
    Wf[1:] = W
    U = Wf - c * np.outer(u, u @ Wf)
    return e, U


_OVERFLOW_MESSAGE = (
    "the weighted Gram matrix of X (sum_i s_i x_ij x_ik) overflows float64 in "
    "the leave-one-out / GCV scores: rescale sample_weight or X"
)


def _finite_gram(G: np.ndarray) -> np.ndarray:
    """``G``, or a ``ValueError`` when it overflowed float64.

    The scores' set-up does not rescale the weights (the fits do), so
    ``sum_i s_i X_ij^2`` can overflow although ``X`` passes its checks
    (weights of 1e250 with entries of 1e50); ``eigh`` would then fail with
    a ``LinAlgError`` that names nothing.
    """
    if not np.all(np.isfinite(G)):
        raise ValueError(_OVERFLOW_MESSAGE)
    return G


def _eigh(M: np.ndarray):
    """``np.linalg.eigh(M)``; a ``ValueError`` naming the overflow when ``M`` is not
    finite or LAPACK does not converge (a finite Gram near the float64 limit
    overflows inside the deflation or the eigensolver)."""
    try:
        return np.linalg.eigh(_finite_gram(M))
    except np.linalg.LinAlgError as exc:
        big = float(np.max(np.abs(M), initial=0.0))
        raise ValueError(
            f"the eigendecomposition of the weighted Gram matrix of X (entries up to "
            f"{big:.3g}) did not converge in the leave-one-out / GCV scores: it "
            "overflows float64 there; rescale sample_weight or X"
        ) from exc


def hat_decomposition(op: DesignProducts) -> HatDecomposition:
    """Eigendecomposition of the smaller Gram matrix of ``A = S^{1/2} Xc``.

    Forms the dense ``m x m`` Gram (``m = min(n, p)``) and, in primal form,
    ``A V`` (``n x p``); nothing larger than ``n x min(n, p)``.  In dual form
    with an intercept the null vector ``sqrt(s / S)`` is removed exactly
    (:class:`HatDecomposition`).
    """
    if op.p <= op.n:
        H = _finite_gram(op.gram_dense())
        e, V = _eigh(0.5 * (H + H.T))
        Q = op.matvec(np.ascontiguousarray(V))
        Q *= op.sqrt_s[:, None]
        return HatDecomposition("primal", np.maximum(e, 0.0), Q)
    K = _finite_gram(op.dual_gram_dense())
    K = 0.5 * (K + K.T)
    if op.fit_intercept and op.n > 1:
        e, U = _deflated_dual(K, op.sqrt_s / np.sqrt(op.S))
    else:
        e, U = _eigh(K)
    return HatDecomposition("dual", np.maximum(e, 0.0), np.ascontiguousarray(U))


def exact_scores(
    op: DesignProducts,
    Yc: np.ndarray,
    lams: np.ndarray,
    *,
    method: str = "loo",
    store: bool = False,
    decomposition: HatDecomposition | None = None,
) -> GCVScores:
    """Exact leave-one-out (``"loo"``) or GCV (``"gcv"``) errors at every ``lam``.

    Parameters
    ----------
    op : DesignProducts
        ``X`` with its weights and centring.
    Yc : ndarray (n, k)
        Centred targets (:func:`fastridge._fit.ridge.centred_targets`).
    lams : ndarray (L,)
        Positive penalties, any order (the output keeps it).
    method : {"loo", "gcv"}
    store : bool
        Keep the ``(n, k, L)`` scaled leave-one-out errors (``loo`` only).
    decomposition : HatDecomposition, optional
        Reuse a decomposition of the same ``op``.

    Returns
    -------
    GCVScores
    """
    if method not in ("loo", "gcv"):
        raise ValueError(f"method must be 'loo' or 'gcv', got {method!r}")
    dec = hat_decomposition(op) if decomposition is None else decomposition
    lams = np.asarray(lams, dtype=np.float64)
    n, k, L = op.n, Yc.shape[1], len(lams)
    e, Q = dec.e, dec.Q
    Ys = op.sqrt_s[:, None] * Yc
    C = Q.T @ Ys  # (m, k)
    denom = e[:, None] + lams[None, :]  # (m, L)
    if dec.form == "primal":
        Wfit = 1.0 / denom  # fitted = Q diag(Wfit) C
    else:
        Wres = lams[None, :] / denom  # residual = Q diag(Wres) C (all n eigenvectors)
    # Intercept projection diagonal s_i / S; the deflated dual basis already excludes it.
    P1 = op.s / op.S if op.fit_intercept and dec.form == "primal" else np.zeros(n)
    df = e[:, None] / denom
    df = df.sum(axis=0) + (1.0 if op.fit_intercept else 0.0)

    rss = np.zeros((k, L))
    sq_loo = np.zeros((k, L))
    loo = np.empty((n, k, L)) if store else None
    m = Q.shape[1]
    rows = max(1, CHUNK_BYTES // (8 * (m + 2 * k * L + L)))
    for lo in range(0, n, rows):
        hi = min(n, lo + rows)
        Qc = Q[lo:hi]
        if dec.form == "primal":
            one_minus = 1.0 - (Qc**2) @ Wfit - P1[lo:hi, None]
            fitted = Qc @ (C[:, :, None] * Wfit[:, None, :]).reshape(m, k * L)
            resid = Ys[lo:hi, :, None] - fitted.reshape(hi - lo, k, L)
        else:
            one_minus = (Qc**2) @ Wres - P1[lo:hi, None]
            resid = (Qc @ (C[:, :, None] * Wres[:, None, :]).reshape(m, k * L)).reshape(
                hi - lo, k, L
            )
        rss += np.einsum("ikl,ikl->kl", resid, resid)
        if method == "loo":
            with np.errstate(divide="ignore", invalid="ignore"):
                err = resid / one_minus[:, None, :]
            sq_loo += np.einsum("ikl,ikl->kl", err, err)
            if store:
                loo[lo:hi] = err
    if method == "loo":
        error = sq_loo.T / n
    else:
        error = gcv_value(rss.T, df, n)
    zeros = np.zeros(L)
    return GCVScores(
        lams=lams.copy(),
        method=method,
        error=error,
        error_se=np.zeros((L, k)),
        df=df,
        df_se=zeros,
        df_solve_bound=zeros.copy(),
        rss=rss.T.copy(),
        loo_errors=loo,
    )
