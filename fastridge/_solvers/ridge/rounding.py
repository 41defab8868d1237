"""Sound ridge certificates: the float64 gradient's rounding error, bounded.

A solver stops on ``||g||^2 / (2 lam)`` with ``g`` the gradient it computed in
float64.  That is an upper bound on ``P(w) - P*`` only if ``g`` is the true
gradient; rounding makes the computed one differ by some ``delta_g``, and the
returned intercept ``b = ybar - mu . w`` differs from the best one for ``w``
by some ``delta_b``.  Since ``P`` is ``lam``-strongly convex in ``w`` and
``P(w, b) = P(w, b*(w)) + S/2 (b - b*(w))^2``,

    P(w, b) - P*  <=  (||g|| + delta_g)^2 / (2 lam)  +  S/2 delta_b^2,

which is the certificate fastridge reports (:func:`sound_certificate`).

The bounds are the standard first-order ones (Higham, *Accuracy and Stability
of Numerical Algorithms*, 2nd ed., section 3.1): a sum of ``m`` products has
error at most ``gamma_m sum |terms|``, ``gamma_m = m u / (1 - m u)``, ``u =
2^-53`` (products of float32 data are formed in float64).  Sums of
``|terms|`` are bounded by Cauchy-Schwarz from quantities the setup pass
already has: ``F^2 = sum_ij s_i X_ij^2`` (uncentred), ``||A||_F^2 = sum_ij
s_i (X_ij - mu_j)^2`` (an upper bound on ``||A||_2^2``, ``A = S^{1/2} Xc``),
``||w||``, ``||yc||_s``.  For the shifted Gram product the solvers use
(``_operators.DesignOperator.gram_matvec``; ``z = X w - mu . w``):

* ``|dz|_s <= 2 gamma_{p+2} F ||w||`` (the row dots and the shift);
* that error reaches ``g`` through ``Xc^T S``: ``||A||_F |dz|_s``;
* the scatter ``X^T (s z)`` and the centring ``mu (s . z)``:
  ``2 gamma_n F (||A||_F ||w|| + |dz|_s + ||yc||_s)``;
* ``B = Xc^T S yc``: ``2 gamma_n F ||yc||_s`` in float64, ``u ||B|| + 4 u^2 F
  ||yc||_s`` when the setup ran in pairs (``op.careful``);
* the rounding of ``yc = y - ybar`` itself (a relative ``u`` per entry):
  ``u ||A||_F ||yc||_s``; a centring by the computed ``mu`` instead of the
  exact one: ``S |c0| ||dmu||`` with ``c0 = dybar + ||dmu|| ||w||``;
* the final ``H w + lam w - B``: ``3 u (lam ||w|| + ||B|| + ||A||_F^2 ||w||)``.

``delta_b = dybar + ||dmu|| ||w|| + gamma_{p+1} (|ybar| + ||mu|| ||w||)`` with
``dybar = gamma_n sum_i s_i |y_i| / S``.

When that bound keeps a fit the solver certified above ``tol * P_null`` (the
column means dwarf their spread, or ``tol`` is near the float64 floor), the
gradient is recomputed in pairs (:func:`fastridge._kernels._dd.dd_gradient_rows`),
whose error is ``2 u ||g|| + 2 u ||A||_F ||e||_s`` plus terms of order ``u^2``.
These bounds hold for a matrix without duplicate entries, which is what every
solver sees: ``fastridge._fit.validation.check_X`` replaces a sparse ``X`` with
duplicates by its exact sums (``canonical_copy``).  (With duplicates in the
products the bounds would be wrong at first order, not a second-order effect:
``F`` would sum the squares of the parts instead of the square of their sum,
and a row dot would have as many terms as stored entries, not ``p``.)  When
such a sum is not a float64, the stored ``X'`` is the caller's ``X`` rounded
once, ``X = X' + E`` with ``|E_ij| <= u |X'_ij|``, so ``||S^{1/2} E||_F <= EF
= u F``; then the gradient of the caller's problem differs from the one of
``X'`` by at most ``EF (||r'||_s + (||A||_F + EF) ||w||)`` (``r' = yc - X'c w``,
``||r'||_s <= ||yc||_s + ||A||_F ||w||``; centring only shrinks ``E``), its
best intercept by ``EF ||w|| / sqrt(S)``, and both certificates add these
(the dual one, a gap of the ``X'`` problem, is not used then).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..stopping import certified_limit
from .problem import RidgeProblem

#: Unit roundoff of float64.
U = 2.0**-53


def gamma(m: float) -> float:
    """``gamma_m = m u / (1 - m u)``: the relative error bound of an ``m``-term sum."""
    return m * U / (1.0 - m * U)


# See sound_certificate: a float64 gradient no larger than this many times its
# rounding bound is treated as noise and recomputed in pairs (the bound is a
# worst case; typical errors are ~sqrt(n) times smaller).
_NOISE_FACTOR = 16.0


# ... and so is the gradient of a fit whose float64 certificate is within this
# factor of tol (solvers stop at their float64 rounding floor, which the
# compensated gradient often shows to be below tol).
_NEAR_FACTOR = 100.0


@dataclass
class RoundingScales:
    """Data-dependent quantities of the bounds (one set per operator)."""

    F: float  # sqrt(sum_ij s_i X_ij^2), uncentred, rounded up
    AF: float  # an upper bound on ||A||_F (centred)
    S: float  # sum of the weights
    mu_norm: float  # ||mu||
    dmu: float  # bound on ||mu (computed) - mu (exact)||
    n: int
    p: int
    careful: bool  # setup moments computed in pairs
    EF: float = 0.0  # bound on ||S^{1/2} E||_F, E = X (caller's) - X (stored)


def rounding_scales(op) -> RoundingScales:
    """:class:`RoundingScales` of a :class:`~fastridge._operators.design.DesignOperator`.

    Uses the setup pass's column moments (one more pass if it had none).
    """
    n, p = op.n, op.p
    raw = float(np.sum(op.raw_col_sq_norms()))
    centred = float(np.sum(op.col_sq_norms()))
    raw_up = raw * (1.0 + gamma(n + 2))
    F = float(np.sqrt(raw_up))
    if op.careful:
        af_sq = centred * (1.0 + 4.0 * U) + 8.0 * U * U * raw_up
        dmu = U * float(np.linalg.norm(op.mu)) + 4.0 * U * U * F / np.sqrt(op.S)
    elif op.fit_intercept:
        af_sq = centred + 2.0 * gamma(n + 2) * raw_up
        dmu = gamma(n + 2) * F / np.sqrt(op.S)
    else:
        af_sq = raw_up
        dmu = 0.0
    return RoundingScales(
        F=F,
        AF=float(np.sqrt(af_sq)),
        S=op.S,
        mu_norm=float(np.linalg.norm(op.mu)),
        dmu=float(dmu),
        n=n,
        p=p,
        careful=bool(op.careful),
        EF=U * F if op.x_rounded else 0.0,
    )


def representation_error(sc: RoundingScales, w_norm, yc_norm):
    """Gradient error from ``X = X' + E`` (module docstring); 0 for an exact ``X``."""
    if sc.EF == 0.0:
        return np.zeros_like(np.asarray(w_norm, dtype=np.float64))
    EF = sc.EF * (1.0 + 4.0 * U)
    return EF * (yc_norm + sc.AF * w_norm + (sc.AF + EF) * w_norm) * (1.0 + 8.0 * U)


def _intercept_error(sc: RoundingScales, w_norm, ybar, abs_y_mean, exact_ybar):
    """``delta_b`` per target (0 without intercept: ``b = 0`` exactly).

    ``exact_ybar`` marks targets whose mean is exact (constant targets); with
    ``w = 0`` their intercept ``b = ybar - mu . 0`` is then exact too.
    """
    dybar = np.where(exact_ybar, 0.0, gamma(sc.n + 2) * abs_y_mean)
    moved = w_norm > 0
    dmu = sc.dmu + sc.EF * (1.0 + 4.0 * U) / np.sqrt(sc.S)  # mu of E (X = X' + E)
    db = dybar + np.where(
        moved, dmu * w_norm + gamma(sc.p + 2) * (np.abs(ybar) + sc.mu_norm * w_norm), 0.0
    )
    return db, dybar


def float64_gradient_error(sc: RoundingScales, lam, w_norm, yc_norm, B_norm, dybar):
    """``delta_g`` per target for a gradient from the shifted Gram product (module docstring)."""
    F, AF = sc.F, sc.AF
    ddz = 2.0 * gamma(sc.p + 2) * F * w_norm
    dg = AF * ddz + 2.0 * gamma(sc.n + 2) * F * (AF * w_norm + ddz + yc_norm)
    if sc.careful:
        dg = dg + U * B_norm + 4.0 * U * U * F * yc_norm
    else:
        dg = dg + 2.0 * gamma(sc.n + 2) * F * yc_norm
    dg = dg + U * AF * yc_norm + 3.0 * U * (lam * w_norm + B_norm + AF * AF * w_norm)
    c0 = dybar + sc.dmu * w_norm
    return dg + sc.S * c0 * sc.dmu + representation_error(sc, w_norm, yc_norm)


def pair_gradient_error(sc: RoundingScales, lam, w_norm, yc_norm, g_norm, e_norm, dybar):
    """``delta_g`` per target for the gradient recomputed in pairs (module docstring)."""
    F, AF = sc.F, sc.AF
    m = sc.n + sc.p + 4
    dg = 2.0 * U * g_norm + 2.0 * U * AF * e_norm + U * AF * yc_norm + U * lam * w_norm
    dg = dg + 4.0 * gamma(m) ** 2 * F * (F * w_norm + yc_norm + e_norm)
    c0 = dybar + sc.dmu * w_norm
    return dg + sc.S * c0 * sc.dmu + representation_error(sc, w_norm, yc_norm)


def combine(lam, g_norm, dg, S, db):
    """``(||g|| + delta_g)^2 / (2 lam) + S/2 delta_b^2`` (inf when not finite).

    ``lam`` is the strong-convexity modulus (``problem.modulus``, at least the penalty).
    """
    with np.errstate(over="ignore", invalid="ignore"):
        cert = (g_norm + dg) ** 2 / (2.0 * lam) + 0.5 * S * db**2
    return np.where(np.isfinite(cert), cert, np.inf)


@dataclass
class Certified:
    """The sound certificate per target and how it was obtained."""

    certificate: np.ndarray  # (k,)
    solver_certificate: np.ndarray  # (k,) what the solver's float64 gradient gave
    pairs: np.ndarray  # (k,) bool: recomputed in pairs


def dual_certificate(problem: RidgeProblem, alpha, cols, g_bound, sc: RoundingScales, W):
    """Certificates from the dual residual, for targets ``cols`` of a dual solver.

    With ``A = S^{1/2} Xc``, ``y_s = S^{1/2} yc`` and ``w_a = A^T a`` exactly,
    the pair ``(w_a, lam a)`` is primal-dual feasible and its duality gap is
    ``1/2 ||rho||^2``, ``rho = y_s - (A A^T + lam) a`` the dual residual.  The
    returned ``w = fl(A^T a)`` differs from ``w_a`` by ``dw``, and by convexity
    ``P(w) - P(w_a) <= ||g(w)|| ||dw||``; so

        P(w, b) - P* <= 1/2 (||rho|| + drho)^2 + g_bound dw + S/2 delta_b^2 + 8 u P_null

    (``g_bound >= ||g(w)||``; the last term covers ``fl(sqrt(s))^2 != s``).
    ``rho`` costs two passes.  Rounding: ``dw <= 2 gamma_{n+2} F ||a|| + u ||w||``,
    ``drho <= 4 gamma_{n+p+2} F ||A||_F ||a|| + 2 u (||y_s|| + ||K a|| + lam ||a||)``.
    This bound does not degrade when ``lam`` is tiny next to the data: it is
    what certifies dual fits of badly scaled columns, where the primal
    ``||g||^2 / (2 lam)`` is dominated by directions of huge curvature.
    """
    op = problem.op
    lam = problem.lam[cols]
    a = np.ascontiguousarray(alpha[:, cols])
    sq = op.sqrt_s[:, None]
    Ys = sq * problem.Yc[:, cols]
    Ka = op.dual_gram_matvec(a)
    rho = Ys - Ka - lam * a
    norm = lambda M: np.sqrt(np.einsum("ij,ij->j", M, M))  # noqa: E731
    a_norm = norm(a)
    drho = 4.0 * gamma(sc.n + sc.p + 2) * sc.F * sc.AF * a_norm + 2.0 * U * (
        norm(Ys) + norm(Ka) + lam * a_norm
    )
    w_norm = norm(W[:, cols])
    dw = 2.0 * gamma(sc.n + 2) * sc.F * a_norm + U * w_norm
    with np.errstate(over="ignore", invalid="ignore"):
        cert = 0.5 * (norm(rho) + drho) ** 2 + g_bound * dw + 8.0 * U * problem.p_null[cols]
    return np.where(np.isfinite(cert), cert, np.inf)


def sound_certificate(
    problem: RidgeProblem,
    W: np.ndarray,
    solver_cert: np.ndarray,
    ybar,
    abs_y_mean,
    exact_ybar=None,
    alpha=None,
) -> Certified:
    """Certificates that bound ``P(w, b) - P*`` including rounding (module docstring).

    ``W`` (p, k) the solver's coefficients, ``solver_cert`` (k,) its float64
    certificates ``||g||^2 / (2 lam)``, ``ybar`` (k,) the target means used for
    the intercept, ``abs_y_mean`` (k,) ``sum_i s_i |y_i| / S`` and ``exact_ybar``
    (k,) bool marks exactly constant targets (their mean is exact).  Targets the
    solver certified whose float64 bound misses ``tol * P_null`` get their
    gradient recomputed in pairs (one serial compensated pass, two on CSC).
    """
    op, lam = problem.op, problem.modulus
    sc = rounding_scales(op)
    w_norm = np.sqrt(np.einsum("ij,ij->j", W, W))
    yc_norm = np.sqrt(2.0 * problem.p_null)
    B_norm = np.sqrt(np.einsum("ij,ij->j", problem.B, problem.B))
    if op.fit_intercept:
        if exact_ybar is None:
            exact_ybar = np.zeros(problem.k, dtype=bool)
        db, dybar = _intercept_error(sc, w_norm, ybar, abs_y_mean, exact_ybar)
    else:
        db, dybar = np.zeros_like(w_norm), np.zeros_like(w_norm)
    solver_cert = np.asarray(solver_cert, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        g_norm = np.sqrt(2.0 * lam * solver_cert)
    dg = float64_gradient_error(sc, lam, w_norm, yc_norm, B_norm, dybar)
    cert = combine(lam, g_norm, dg, sc.S, db)
    limit = certified_limit(problem.tol, problem.p_null)
    # Recompute in pairs where the float64 bound is what stands between the fit
    # and tol: the solver met tol, or its gradient is within a factor
    # _NOISE_FACTOR of its own rounding bound (then the float64 gradient is
    # mostly rounding noise and says nothing either way).
    noisy = (solver_cert <= _NEAR_FACTOR * limit) | (g_norm <= _NOISE_FACTOR * dg)
    redo = np.flatnonzero(noisy & (cert > limit) & np.isfinite(w_norm))
    pairs = np.zeros(problem.k, dtype=bool)
    if len(redo):
        G, e_norm = pair_gradient(problem, W[:, redo], redo)
        g2 = np.sqrt(np.einsum("ij,ij->j", G, G))
        dg2 = pair_gradient_error(
            sc, lam[redo], w_norm[redo], yc_norm[redo], g2, e_norm, dybar[redo]
        )
        cert2 = combine(lam[redo], g2, dg2, sc.S, db[redo])
        cert[redo] = np.minimum(cert[redo], cert2)
        pairs[redo] = True
    dual = np.flatnonzero((cert > limit) & np.isfinite(w_norm))
    if alpha is not None and len(dual) and sc.EF == 0.0:
        g_bound = np.minimum(g_norm[dual] + dg[dual], np.inf)
        cert_d = dual_certificate(problem, alpha, dual, g_bound, sc, W)
        cert[dual] = np.minimum(cert[dual], cert_d + 0.5 * sc.S * db[dual] ** 2)
    return Certified(certificate=cert, solver_certificate=solver_cert, pairs=pairs)


def pair_gradient(problem: RidgeProblem, W: np.ndarray, cols) -> tuple[np.ndarray, np.ndarray]:
    """``(G, ||e||_s)``: the gradient at ``W`` for targets ``cols``, computed in pairs.

    ``e = yc - Xc w`` is the residual; one serial pass over a CSR or dense
    ``X``, two over CSC (:mod:`fastridge._kernels._dd`).
    """
    W = np.ascontiguousarray(W, dtype=np.float64)
    Yc = np.ascontiguousarray(problem.Yc[:, cols])
    lam = np.ascontiguousarray(problem.lam[cols], dtype=np.float64)
    G, rsq = problem.op.pair_gradient(Yc, W, lam)
    return G, np.sqrt(rsq)
