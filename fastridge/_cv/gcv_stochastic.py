"""Stochastic GCV: a Hutchinson estimate of ``tr(Hat)`` with certified probe solves.

``sum_k f_k = tr(M (M + lam)^{-1})`` with ``M = A^T A`` (``p <= n``) or
``A A^T``, estimated by ``t(z) = z^T z - lam z^T (M + lam)^{-1} z`` over
Rademacher probes ``z``, each solved for every ``lam`` in one Galerkin
subspace, with ``0 <= t_computed(z) - t(z) <= ||rho||^2``; the score is
``GCV = (||r||^2 / n) / (1 - df/n)^2`` with standard error
``2 GCV se(df) / (n - df)`` (derivations in :mod:`fastridge._cv.gcv`).
"""

from __future__ import annotations

import numpy as np

from .._operators.contract import DesignProducts
from .._solvers.ridge.path_subspace import subspace_path
from .gcv_scores import CHUNK_BYTES, GCVScores, gcv_value

# Per-probe solve residual ||rho||^2 at which a Hutchinson solve stops: the
# bias it leaves in the trace is at most this many degrees of freedom
# (fastridge._cv.gcv), a thousandth of the unit in which df is counted, against a
# Monte-Carlo standard error of order sqrt(df / n_probes).
SOLVE_DF_TOL = 1e-3

# Cap on the basis size (passes) of each probe's subspace solve (the smallest
# lam needs about sqrt(cond) * log(1/accuracy) of them; 2000 covers condition
# numbers ~1e5 at the accuracy above).
_PROBE_MAX_ITER = 2000


class _DualGram:
    """``M = A A^T`` for :func:`subspace_path`, which asks for ``gram_matvec`` and ``n``.

    Wraps the contract's ``dual_gram_matvec`` (:class:`DesignProducts`) and nothing else.
    """

    def __init__(self, op: DesignProducts):
        self.op = op
        self.n = op.n

    def gram_matvec(self, u):
        return self.op.dual_gram_matvec(u)


def _subspace_quadratic_forms(op, primal: bool, Z, lams, cap):
    """``z^T x`` and ``||rho||^2`` for every probe ``z`` and lam, ``x = Z y`` Galerkin in
    ``(M + lam) x = z`` (``M = H`` primal, ``A A^T`` dual; Jacobi diagonal of ``M``)."""
    k, L = Z.shape[1], len(lams)
    M = op if primal else _DualGram(op)
    diag = op.col_sq_norms() if primal else op.row_sq_norms()
    thresh = np.full(L, SOLVE_DF_TOL)
    zx = np.empty((k, L))
    resid = np.empty((k, L))
    for t in range(k):
        z = np.ascontiguousarray(Z[:, t])
        sub = subspace_path(M, z, lams, thresh, diag, cap)
        Wt, resid[t] = sub.coef, sub.residual_sq
        zx[t] = Wt @ z
    return zx, resid


def hutchinson_trace(
    op: DesignProducts,
    lams: np.ndarray,
    *,
    n_probes: int,
    random_state,
    max_iter: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hutchinson estimate of ``tr(M (M + lam)^{-1})`` for every ``lam``.

    ``t(z) = z^T z - lam z^T (M + lam)^{-1} z`` per probe, each probe solved
    for all ``lam`` in one Jacobi-preconditioned Galerkin subspace
    (:func:`fastridge._solvers.ridge.path_subspace.subspace_path`, the ridge
    path's solver).  Its iterates are Galerkin, for which
    ``0 <= t_computed - t <= ||rho||^2`` (:mod:`fastridge._cv.gcv`: the proof
    uses only ``Z^T rho = 0`` for the basis ``Z`` holding ``x``).  On the
    200,000 x 100,000 benchmark matrix one probe took about 20 single-vector
    passes with the subspace against well over 100 multi-vector products by
    multi-shift CG, whose multi-vector product costs nearly one pass per column.

    Returns
    -------
    mean : ndarray (L,)
        The estimate (mean over probes).
    se : ndarray (L,)
        Sample standard deviation over probes / ``sqrt(n_probes)`` (0 for one probe).
    solve_bound : ndarray (L,)
        Mean over probes of ``||rho||^2``, a bound on the solve bias of ``mean``.
    samples : ndarray (n_probes, L)
        The per-probe values ``t(z)``.
    """
    lams = np.asarray(lams, dtype=np.float64)
    L = len(lams)
    primal = op.p <= op.n
    m = op.p if primal else op.n
    rng = np.random.default_rng(random_state)
    Z = rng.integers(0, 2, size=(m, n_probes)).astype(np.float64) * 2.0 - 1.0
    projected = not primal and op.fit_intercept
    if projected:
        # M = A A^T has the known null vector q = sqrt(s) / sqrt(S) (A^T q = 0),
        # so B q = 0 and B = P B P with P = I - q q^T: probes projected off q,
        # z' = P z, estimate the same trace.  Their squared norm
        # u = ||z'||^2 = m - (q . z)^2 fluctuates like a chi-square with one
        # degree of freedom, and near interpolation (B ~ P) t(z') ~ u carries
        # that skewed noise, which the sample standard error underestimated
        # (errors of 3.2 reported errors, 30 probes, 100 x 150).  Since
        # E[u] = m - 1 is known, u - (m - 1) is used as a control variate
        # (its coefficient fitted over the probes, per lam).
        q = op.sqrt_s / np.sqrt(op.S)
        Z -= np.outer(q, q @ Z)
    zz = np.einsum("ij,ij->j", Z, Z)  # m for plain Rademacher probes
    cap = _PROBE_MAX_ITER if max_iter is None else int(max_iter)
    zx, resid = _subspace_quadratic_forms(op, primal, Z, lams, cap)
    samples = zz[:, None] - lams[None, :] * zx
    if projected and n_probes > 2:
        u = zz - (m - 1.0)
        if np.any(u != 0):
            uc = u - u.mean()
            coeff = (uc @ (samples - samples.mean(axis=0))) / (uc @ uc)
            samples = samples - np.outer(u, coeff)
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(n_probes) if n_probes > 1 else np.zeros(L)
    return mean, se, resid.mean(axis=0), samples


def stochastic_gcv(
    op: DesignProducts,
    Yc: np.ndarray,
    lams: np.ndarray,
    coef: np.ndarray,
    *,
    n_probes: int = 30,
    random_state=0,
    max_iter: int | None = None,
    rss: np.ndarray | None = None,
) -> GCVScores:
    """GCV with a Hutchinson estimate of ``tr(Hat)`` (:mod:`fastridge._cv.gcv`).

    Parameters
    ----------
    op : DesignProducts
    Yc : ndarray (n, k)
        Centred targets.
    lams : ndarray (L,)
    coef : ndarray (L, k, p)
        Ridge coefficients at every ``lam`` (certified, e.g. from
        :func:`fastridge.ridge_path`), for the residual part.
    n_probes : int
        Rademacher probes; the standard error shrinks like ``1 / sqrt(n_probes)``.
    random_state : int, Generator or None
        Seed of ``np.random.default_rng`` for the probes.
    max_iter : int, optional
        Cap on the solver's iterations per probe.
    rss : ndarray (L, k), optional
        ``sum_i s_i (y_i - yhat_i)^2`` at every ``lam`` if the caller has it
        (e.g. from the path's fitted values); otherwise computed from ``coef``
        (multi-vector passes over ``X``).

    Returns
    -------
    GCVScores
    """
    lams = np.asarray(lams, dtype=np.float64)
    L, k, p = coef.shape
    n = op.n
    given = rss is not None
    rss = np.empty((L, k)) if rss is None else np.asarray(rss, dtype=np.float64)
    per = max(1, CHUNK_BYTES // (8 * n * k))  # lams per residual product
    for lo in range(0 if not given else L, L, per):
        hi = min(L, lo + per)
        W = np.ascontiguousarray(coef[lo:hi].reshape((hi - lo) * k, p).T)  # (p, (hi-lo) k)
        R = Yc[:, None, :] - op.matvec(W).reshape(n, hi - lo, k)
        rss[lo:hi] = np.einsum("i,ilk->lk", op.s, R * R)
    tr, tr_se, bound, _ = hutchinson_trace(
        op, lams, n_probes=n_probes, random_state=random_state, max_iter=max_iter
    )
    df = tr + (1.0 if op.fit_intercept else 0.0)
    error = gcv_value(rss, df, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(df < n, 2.0 * tr_se / (n - df), np.inf)
    error_se = error * scale[:, None]
    return GCVScores(
        lams=lams.copy(),
        method="gcv-stochastic",
        error=error,
        error_se=error_se,
        df=df,
        df_se=tr_se,
        df_solve_bound=bound,
        rss=rss,
        n_probes=int(n_probes),
    )
