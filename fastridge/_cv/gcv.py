"""Leave-one-out and generalised cross-validation of ridge over a grid of ``lam``.

Notation (:mod:`fastridge._operators.design`): weights ``s`` (ones when none are
given), ``S = sum_i s_i``, the centred design ``Xc`` (``Xc = X`` without
intercept), ``A = S^{1/2} Xc`` and the scaled centred targets
``ys = S^{1/2} yc``.  For one ``lam`` the ridge fit of
:func:`fastridge.ridge` has, in this scaled space, the fitted values
``Hat ys`` with the hat matrix

    Hat(lam) = P_1 + A (A^T A + lam I)^{-1} A^T = P_1 + U diag(f) U^T,
    f_k = s_k^2 / (s_k^2 + lam),

where ``A = U diag(s_k) V^T`` is the thin SVD and ``P_1 = q q^T / S`` with
``q = sqrt(s)`` is the (unpenalised) intercept's projection, present only when
an intercept is fitted (``A^T q = Xc^T s = 0``, so the two parts are
orthogonal).  Scaled residuals are ``r = ys - Hat ys`` (``P_1 ys = 0``), i.e.
``r_i = sqrt(s_i) (y_i - yhat_i)``.

Exact leave-one-out (``method="loo"``)
    ``e_i = r_i / (1 - Hat_ii)``: the scaled error of the fit without sample
    ``i`` (the Sherman-Morrison identity; scikit-learn's ``_RidgeGCV``, whose
    ``cv_results_`` are ``e_i^2``).  The score is ``-(1/n) sum_i e_i^2`` per
    target (scikit-learn's convention: an unweighted mean of the scaled squared
    errors, ``= -(1/n) sum_i s_i (y_i - yhat_{-i})^2``).
Exact GCV (``method="gcv"``)
    ``GCV = (1/n) ||r||^2 / (1 - tr(Hat)/n)^2``: the same mean with every
    ``Hat_ii`` replaced by their average ``tr(Hat)/n`` (Golub, Heath & Wahba
    1979); with weights ``||r||^2 = sum_i s_i (y_i - yhat_i)^2`` and ``n`` is
    the number of rows (zero-weight rows included: they have ``Hat_ii = 0``
    and ``r_i = 0``, exactly as in the leave-one-out mean).
    ``tr(Hat) = [1 if intercept] + sum_k f_k``.
Stochastic GCV (``method="gcv-stochastic"``)
    For large sparse ``X`` no ``n x n`` or ``p x p`` matrix is formed.  With
    ``M = A^T A = H`` (``p <= n``) or ``A A^T`` (``p > n``), of dimension
    ``m``, ``sum_k f_k = tr(M (M + lam)^{-1}) = m - lam tr((M + lam)^{-1})``,
    and with Rademacher probes ``z`` (``z^T z = m`` exactly)

        t(z) = m - lam z^T (M + lam)^{-1} z,    E[t(z)] = tr(M (M + lam)^{-1})

    (Hutchinson 1990).  The trace is the mean of ``n_probes`` values ``t(z)``,
    its standard error the sample standard deviation over ``sqrt(n_probes)``.
    Each probe is solved for all ``lam`` at once in one Jacobi-preconditioned
    Galerkin subspace (the ridge path's solver,
    :func:`fastridge._solvers.ridge.path_subspace.subspace_path`); the alternative
    ``solver="multishift"`` of :func:`hutchinson_trace` runs all probes
    together by unpreconditioned multi-shift CG (the recurrences of
    :func:`fastridge._solvers.ridge.multishift.multishift_cg`, carrying only the
    scalars ``z^T x`` per shift: :func:`shifted_quadratic_forms`).  In the
    dual form with an intercept, probes are projected off the known null
    vector ``sqrt(s)`` of ``A A^T`` and their squared norm serves as a control
    variate (see :func:`hutchinson_trace`).  The residual part ``||r||^2``
    comes from the certified :func:`fastridge.ridge_path` coefficients at the
    same ``lam``.

    *Solve accuracy.*  Either solver returns a Galerkin iterate ``x = Z y``
    of ``(M + lam) x = z``: its residual ``rho = z - (M + lam) x`` is
    orthogonal to the basis ``Z`` (for CG, the Krylov space), so with
    ``z = rho + (M + lam) x`` and ``x^T rho = 0``,
    ``z^T x* - z^T x = rho^T (M + lam)^{-1} rho`` and

        0 <= t_computed(z) - t(z) <= ||rho||^2.

    Every probe is solved until ``||rho||^2 <= SOLVE_DF_TOL`` (a thousandth of
    one degree of freedom), and the realised bound (mean over probes) is
    reported as ``df_solve_bound``: negligible against the Monte-Carlo error,
    which is ``sqrt(2 (||B||_F^2 - sum_i B_ii^2) / n_probes)`` for
    ``B = M (M + lam)^{-1}``, i.e. of order ``sqrt(df / n_probes)`` degrees
    of freedom whenever the fit is not within a fraction of a degree of
    freedom of the null or the interpolating model.

    *Error of the score (delta method).*  ``GCV = R / (1 - df/n)^2`` with
    ``R = ||r||^2 / n``; ``dGCV / d df = 2 GCV / (n - df)``, so the standard
    error of the score is ``2 GCV se(df) / (n - df)``.  The residual part is
    exact up to the path's certificate ``gap <= tol * P_null``:
    ``| ||r|| - ||r*|| | <= ||A (w - w*)|| <= sqrt(2 gap)``; it is not part of
    the standard error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._operators.design import DesignOperator

#: Methods computed here (the ``method`` of :class:`fastridge.CVResult`).
METHODS = ("loo", "gcv", "gcv-stochastic")

# Per-probe solve residual ||rho||^2 at which a Hutchinson solve stops: the
# bias it leaves in the trace is at most this many degrees of freedom (module
# docstring), a thousandth of the unit in which df is counted, against a
# Monte-Carlo standard error of order sqrt(df / n_probes).
SOLVE_DF_TOL = 1e-3

# Cap on multi-shift iterations of the Hutchinson solves (the base system is
# the smallest lam, unpreconditioned: sqrt(cond) * log(1/accuracy) iterations;
# 2000 covers condition numbers ~1e5 at the accuracy above).
_PROBE_MAX_ITER = 2000

# Memory budget (bytes) of the per-lam work arrays.  Exact LOO works on row
# chunks of at most this size (the n x L diagonal and n x kL residuals are
# never formed at once unless the caller stores the leave-one-out errors).
_CHUNK_BYTES = 256 * 2**20


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
        scaled space (module docstring).  The score is ``-error``.
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
    e, W = np.linalg.eigh(0.5 * (M + M.T))
    Wf = np.zeros((n, n - 1))
    Wf[1:] = W
    U = Wf - c * np.outer(u, u @ Wf)
    return e, U


def hat_decomposition(op: DesignOperator) -> HatDecomposition:
    """Eigendecomposition of the smaller Gram matrix of ``A = S^{1/2} Xc``.

    Forms the dense ``m x m`` Gram (``m = min(n, p)``) and, in primal form,
    ``A V`` (``n x p``); nothing larger than ``n x min(n, p)``.  In dual form
    with an intercept the null vector ``sqrt(s / S)`` is removed exactly
    (:class:`HatDecomposition`).
    """
    if op.p <= op.n:
        H = op.gram_dense()
        e, V = np.linalg.eigh(0.5 * (H + H.T))
        Q = op.matvec(np.ascontiguousarray(V))
        Q *= op.sqrt_s[:, None]
        return HatDecomposition("primal", np.maximum(e, 0.0), Q)
    K = op.dual_gram_dense()
    K = 0.5 * (K + K.T)
    if op.fit_intercept and op.n > 1:
        e, U = _deflated_dual(K, op.sqrt_s / np.sqrt(op.S))
    else:
        e, U = np.linalg.eigh(K)
    return HatDecomposition("dual", np.maximum(e, 0.0), np.ascontiguousarray(U))


def exact_scores(
    op: DesignOperator,
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
    op : DesignOperator
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
    rows = max(1, _CHUNK_BYTES // (8 * (m + 2 * k * L + L)))
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
        error = _gcv_value(rss.T, df, n)
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


def _gcv_value(rss: np.ndarray, df: np.ndarray, n: int) -> np.ndarray:
    """``(rss / n) / (1 - df/n)^2`` for ``rss`` (L, k), ``df`` (L,); inf where ``df >= n``."""
    gap = 1.0 - df / n
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (rss / n) / (gap**2)[:, None]
    return np.where((gap > 0)[:, None], out, np.inf)


def shifted_quadratic_forms(
    matvec, Z: np.ndarray, shifts: np.ndarray, threshold: float, max_iter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``z_t^T (M + shift_j)^{-1} z_t`` for every probe ``t`` and shift ``j``, by multi-shift CG.

    The recurrences are those of :func:`fastridge._solvers.ridge.multishift.multishift_cg`
    (one product with ``M`` per iteration for all probes and shifts), but only
    the scalars ``u_j = z^T x_j`` and ``pi_j = z^T p_j`` are carried for the
    shifted systems instead of the vectors ``x_j`` and ``p_j``:

        u_j += alpha_j pi_j,    pi_j = zeta_{k+1} (z^T r_{k+1}) + beta_j pi_j,

    which is exact (the same iterates, projected on ``z``).  Memory and vector
    work per iteration drop from ``O(probes * L * m)`` (``multishift_cg``
    keeps two such arrays: 2.4 GB for 30 probes, 50 lams and m = 100,000) to
    ``O(probes * m)``.  A system stops updating once its residual
    ``zeta^2 ||r||^2 <= threshold``.

    Returns
    -------
    u : ndarray (k, L)
        The quadratic forms.
    residual_sq : ndarray (k, L)
        Recursive ``||rho||^2`` of every system at exit (the solve-bias bound).
    n_products : int
        Products with ``M``.
    """
    k = Z.shape[1]
    shifts = np.asarray(shifts, dtype=np.float64)
    sigma0 = float(shifts.min())
    delta = (shifts - sigma0)[None, :]  # (1, L)
    R = Z.copy()  # base residuals (m, k)
    P = Z.copy()  # base directions
    rr = np.einsum("ij,ij->j", R, R)
    u = np.zeros((k, len(shifts)))
    pi = np.repeat(rr[:, None], len(shifts), axis=1)  # z^T p^j_0 = z^T z
    zeta = np.ones_like(u)
    zeta_prev = np.ones_like(u)
    alpha_prev = np.ones(k)
    beta_prev = np.zeros(k)
    active = zeta**2 * rr[:, None] > threshold
    it = 0
    while active.any() and it < max_iter:
        it += 1
        Q = matvec(P)
        pq = np.einsum("ij,ij->j", P, Q) + sigma0 * np.einsum("ij,ij->j", P, P)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.where(pq > 0, rr / pq, 0.0)
        R -= alpha * (Q + sigma0 * P)
        rr_new = np.einsum("ij,ij->j", R, R)
        with np.errstate(divide="ignore", invalid="ignore"):
            beta = np.where(rr > 0, rr_new / rr, 0.0)
        zr_new = np.einsum("ij,ij->j", Z, R)  # z^T r_{k+1}
        a_k, a_km1, b_km1 = alpha[:, None], alpha_prev[:, None], beta_prev[:, None]
        denom = a_k * b_km1 * (zeta_prev - zeta) + zeta_prev * a_km1 * (1.0 + delta * a_k)
        with np.errstate(divide="ignore", invalid="ignore"):
            z_next = np.where(denom != 0, zeta * zeta_prev * a_km1 / denom, 0.0)
            ratio = np.where(zeta != 0, z_next / zeta, 0.0)
        alpha_s = a_k * ratio
        beta_s = ratio**2 * beta[:, None]
        u = np.where(active, u + alpha_s * pi, u)
        pi = np.where(active, z_next * zr_new[:, None] + beta_s * pi, pi)
        zeta_prev = np.where(active, zeta, zeta_prev)
        zeta = np.where(active, z_next, zeta)
        P = R + beta * P
        rr = rr_new
        alpha_prev, beta_prev = alpha, beta
        active &= zeta**2 * rr[:, None] > threshold
    return u, zeta**2 * rr[:, None], it


class _DualGram:
    """``M = A A^T`` as an operator for :func:`subspace_path` (``gram_matvec``, ``n``)."""

    def __init__(self, op: DesignOperator):
        self.op = op
        self.n = op.n

    def gram_matvec(self, u):
        return self.op.dual_gram_matvec(u)


def _subspace_quadratic_forms(op, primal: bool, Z, lams, cap):
    """``z^T (M + lam)^{-1} z`` (Galerkin) and ``||rho||^2`` for every probe and lam."""
    from .._solvers.ridge.path_subspace import subspace_path

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
    op: DesignOperator,
    lams: np.ndarray,
    *,
    n_probes: int,
    random_state,
    max_iter: int | None = None,
    solver: str = "subspace",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hutchinson estimate of ``tr(M (M + lam)^{-1})`` for every ``lam``.

    ``solver="subspace"`` (default) solves each probe for all ``lam`` in one
    Jacobi-preconditioned Galerkin subspace
    (:func:`fastridge._solvers.ridge.path_subspace.subspace_path`, the ridge path's
    solver); ``"multishift"`` runs all probes together by unpreconditioned
    multi-shift CG (:func:`shifted_quadratic_forms`).  Both give Galerkin
    iterates, for which ``0 <= t_computed - t <= ||rho||^2`` (module
    docstring: the proof uses only ``Z^T rho = 0`` for the basis ``Z``
    holding ``x``).  On the 200,000 x 100,000 benchmark matrix one probe took
    about 20 single-vector passes with the subspace against well over 100
    multi-vector products by multi-shift CG, whose multi-vector product costs
    nearly one pass per column.

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
    matvec = op.gram_matvec if primal else op.dual_gram_matvec
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
    if solver == "subspace":
        zx, resid = _subspace_quadratic_forms(op, primal, Z, lams, cap)
    elif solver == "multishift":
        zx, resid, _ = shifted_quadratic_forms(matvec, Z, lams, SOLVE_DF_TOL, cap)
    else:
        raise ValueError(f"unknown solver {solver!r}")
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
    op: DesignOperator,
    Yc: np.ndarray,
    lams: np.ndarray,
    coef: np.ndarray,
    *,
    n_probes: int = 30,
    random_state=0,
    max_iter: int | None = None,
    rss: np.ndarray | None = None,
) -> GCVScores:
    """GCV with a Hutchinson estimate of ``tr(Hat)`` (module docstring).

    Parameters
    ----------
    op : DesignOperator
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
    per = max(1, _CHUNK_BYTES // (8 * n * k))  # lams per residual product
    for lo in range(0 if not given else L, L, per):
        hi = min(L, lo + per)
        W = np.ascontiguousarray(coef[lo:hi].reshape((hi - lo) * k, p).T)  # (p, (hi-lo) k)
        R = Yc[:, None, :] - op.matvec(W).reshape(n, hi - lo, k)
        rss[lo:hi] = np.einsum("i,ilk->lk", op.s, R * R)
    tr, tr_se, bound, _ = hutchinson_trace(
        op, lams, n_probes=n_probes, random_state=random_state, max_iter=max_iter
    )
    df = tr + (1.0 if op.fit_intercept else 0.0)
    error = _gcv_value(rss, df, n)
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
