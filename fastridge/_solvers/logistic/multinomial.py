"""Truncated Newton (Newton-CG) for multinomial L2-logistic regression, certified.

Objective (docs/architecture.md, "1. The problems (exact objectives)"),
``K`` classes, labels ``y_i`` in ``0..K-1``, coefficients ``W`` (p, K),
unpenalised intercepts ``b`` (K,), margins ``M = X W + 1 b^T``:

    P(W, b) = sum_i s_i (logsumexp(m_i) - m_{i, y_i}) + lam/2 ||W||_F^2.

**Profiled intercepts.**  ``F(W) = min_b P(W, b)``; ``b*(W)`` is found by a
``K``-dimensional Newton iteration on the margins (O(n K^2), no pass over
``X``).  The loss is jointly convex in ``(W, b)``, so ``F`` is ``lam``-strongly
convex, and by the envelope theorem ``grad F(W) = X^T G + lam W`` with
``G = s * (softmax(M) - Y)`` at ``b = b*(W)``.  Hence the certificate

    P(W, b*(W)) - P*  <=  ||grad F(W)||_F^2 / (2 lam),

and the solver stops when it is at most ``tol * P_null`` (``P_null``: the best
intercept-only model, ``b_k = log`` of the weighted class frequencies).  The
intercepts are only defined up to a common shift (softmax is invariant to
it); the returned ``b`` sums to zero, and so do the returned coefficients
over classes (``sum_k W_k = 0``, which every minimiser satisfies: the final
``W`` is projected onto that subspace before it is certified).

**Newton steps.**  At ``b = b*(W)`` the ``b``-gradient vanishes, so the
``W``-part of the joint Newton step in ``(W, b)`` is exactly the Newton step
of ``F`` (its Hessian is the Schur complement of the intercept block).  The
joint system ``H (V, c) = (-grad F, 0)`` is solved inexactly by Jacobi-PCG;
each product ``H (V, c)`` is one fused pass over CSR or dense ``X``
(:class:`fastridge._operators.softmax.SoftmaxOperator`) that also returns
``X V``, so the step's margins ``X V`` cost no extra pass.  ``H`` is singular
only along ``(0, 1_K)`` (shifting all intercepts), orthogonal to the
right-hand side, where CG never moves.  Every CG iterate has a negative
joint quadratic model, hence ``<grad F, V> < 0``: a descent direction for
``F``.  A backtracking (Armijo) line search on ``F`` (re-profiling ``b`` at
each trial, O(n K^2)) accepts the step.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

from ..._kernels._vector import new_direction_1d, shift_and_dot_1d, step_and_precondition_1d
from ..linesearch import backtrack
from ..pcg import ScalarSteps, pcg
from ..stopping import exceeds
from .certify import EPS, DataScales, gamma_k, half_sq_over, safe_norm
from .intercept import B_STEP_RTOL, F_RTOL, MIN_B_STEP
from .newton import MIN_STEP
from .problem import LogisticSolverOutput, MultinomialProblem
from .steps import inner_cg_stop

# Armijo sufficient-decrease constant and backtracking factor (textbook values).
_ARMIJO = 1e-4
_BACKTRACK = 0.5
# Inner CG stops as in the binary solver (``inner_cg_stop``: Eisenstat-Walker
# forcing, floored at what the certificate needs).
# Cap on inner CG iterations per Newton step (scikit-learn's newton-cg uses 200).
_MAX_INNER = 200
# Newton iterations for the K-dimensional intercept problem; it converges
# quadratically from the previous b, so 50 is far more than needed.  Its
# stopping constants (B_STEP_RTOL, F_RTOL, MIN_B_STEP) are the binary ones.
_MAX_B_NEWTON = 50


def _softmax(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise ``(logsumexp(m_i), softmax(m_i))`` without overflow."""
    mx = M.max(axis=1, keepdims=True)
    E = np.exp(M - mx)
    tot = E.sum(axis=1, keepdims=True)
    return (np.log(tot) + mx)[:, 0], E / tot


# _profile_intercepts gives up after this many consecutive Newton steps damped
# below _SHORT_B_STEP: helper measurements (3 classes, column mean 1e6, weights
# 1e-8..1e8) showed 50 inner iterations of ~19 halvings each per call and
# 2 minutes for a 15 x 3 problem; the returned b is certified (or not) by the
# outer solver like any other.
_SHORT_B_STEP = 2.0**-6
_MAX_SHORT_B_STEPS = 3


def _loss(M: np.ndarray, codes: np.ndarray, s: np.ndarray) -> tuple[float, np.ndarray]:
    """``(sum_i s_i (logsumexp(m_i) - m_{i, y_i}), softmax(M))``."""
    lse, P = _softmax(M)
    picked = np.take_along_axis(M, codes[:, None], axis=1)[:, 0]
    return float(s @ (lse - picked)), P


def _intercept_newton_step(P, Yoh, s):
    """``(g, step)``: the intercepts' gradient and Newton step (zero-sum), or ``(g, None)``.

    The Hessian ``sum_i s_i (diag p_i - p_i p_i^T)`` annihilates ``1_K`` and the
    gradient is orthogonal to it; adding ``1 1^T`` (scaled) makes the system
    regular without changing the solution on the complement.  None: every
    probability saturated at 0 or 1 (no curvature left in ``b``), or the
    curvature was lost to rounding (separable data).
    """
    k = P.shape[1]
    g = s @ (P - Yoh)
    sP = s[:, None] * P
    H = np.diag(sP.sum(axis=0)) - sP.T @ P
    scale = np.trace(H) / k
    if not scale > 0.0:
        return g, None
    try:
        step = sla.solve(H + scale * np.ones((k, k)), -g, assume_a="sym", check_finite=False)
    except np.linalg.LinAlgError:
        return g, None
    return g, step - step.mean()


def _profile_intercepts(Z, Yoh, codes, s, b):
    """``argmin_b sum_i s_i (logsumexp(z_i + b) - (z_i + b)_{y_i})`` by damped Newton.

    Steps from :func:`_intercept_newton_step`.  Returns ``(b, f, P)``: ``b`` with
    zero sum, the loss and the probabilities there.
    """
    b = b - b.mean()
    f0, P = _loss(Z + b, codes, s)
    n_short = 0  # consecutive heavily damped steps
    for _ in range(_MAX_B_NEWTON):
        g, step = _intercept_newton_step(P, Yoh, s)
        if step is None:
            break  # no curvature left in b (or lost to rounding): keep the current b
        if np.max(np.abs(step)) <= B_STEP_RTOL * max(1.0, np.max(np.abs(b))):
            return b, f0, P  # converged: the step is at the level of g's rounding
        # A decrease below the rounding of f cannot be seen: take the full step.
        resolvable = -0.5 * float(g @ step) > F_RTOL * abs(f0)

        def trial(t, b=b, step=step):
            f_new, P_new = _loss(Z + (b + t * step), codes, s)
            return f_new, (f_new, P_new)

        # plain decrease (armijo = 0): f_new <= f0
        t, (f_new, P_new) = backtrack(
            trial, f0, 0.0, resolvable, armijo=0.0, shrink=_BACKTRACK, min_step=MIN_B_STEP
        )
        if t < MIN_B_STEP:
            return b, f0, P  # no decrease left that rounding can resolve
        b, f0, P = b + t * step, f_new, P_new
        n_short = n_short + 1 if t < _SHORT_B_STEP else 0
        if n_short >= _MAX_SHORT_B_STEPS:
            # Newton is far from its quadratic regime (the Hessian is dominated by
            # rounding: column means >> spread, weights over many decades); more
            # tiny steps cost a loss evaluation per halving and gain nothing the
            # outer solver's certificate would not already account for.
            break
    return b, f0, P


def newton_cg_multinomial(
    problem: MultinomialProblem, W0: np.ndarray, max_iter: int
) -> LogisticSolverOutput:
    """Certified multinomial Newton-CG from ``W0`` (p, K) (not modified).

    The output's ``coef`` is (K, p) with ``sum_k coef_k = 0`` and its
    ``intercept`` (K,) sums to zero; ``solver`` is ``"newton-cg"``.
    """
    model = _Model(problem)
    W, b, n_iter = _newton_iterations(model, W0, max_iter)
    return _certified_output(model, W, b, n_iter)


class _Model:
    """The problem's data and the profiled objective ``F`` (module docstring)."""

    def __init__(self, problem: MultinomialProblem):
        self.problem = problem
        codes, s = problem.codes, problem.s
        self.codes, self.s, self.lam = codes, s, problem.lam
        self.fit_intercept, self.tol = problem.fit_intercept, problem.tol
        n = codes.shape[0]
        k = int(problem.n_classes)
        self.op = problem.softmax_type(problem.X, k, problem.n_threads)
        self.Yoh = np.zeros((n, k))
        self.Yoh[np.arange(n), codes] = 1.0
        self.zeros_nk = np.zeros((n, k))
        if self.fit_intercept:
            freq = np.maximum(s @ self.Yoh, np.finfo(float).tiny)
            b, p_null, _ = _profile_intercepts(self.zeros_nk, self.Yoh, codes, s, np.log(freq))
        else:
            b = np.zeros(k)
            p_null = _loss(self.zeros_nk, codes, s)[0]
        self.b0, self.p_null = b, p_null
        self.S = float(s.sum())

    def profiled(self, Z, b):
        """``(b*, loss, P)`` at margins ``Z`` (``b`` fixed at 0 without intercept)."""
        if self.fit_intercept:
            return _profile_intercepts(Z, self.Yoh, self.codes, self.s, b)
        return (b, *_loss(Z + b, self.codes, self.s))

    def state(self, P, W):
        """grad F, the Jacobi diagonal of H_W and its b-block, from ``P`` (one pass)."""
        s = self.s
        B = s[:, None] * P * (1.0 - P)
        G = s[:, None] * (P - self.Yoh)
        if self.fit_intercept:
            # Centred residual (1^T G = 0 at b*): X^T G is then Xc^T G, with no
            # leak mu (1^T G) from intercepts known to rounding (large means).
            G -= np.multiply.outer(s, G.sum(axis=0) / self.S)
        XtG, diag = self.op.grad_diag(G, B)
        return XtG + self.lam * W, diag, B.sum(axis=0)


def _newton_iterations(model: _Model, W0: np.ndarray, max_iter: int):
    """Newton-CG from ``W0`` until certified, ``max_iter`` or no descent; ``(W, b, n_iter)``."""
    op, lam, tol, p_null = model.op, model.lam, model.tol, model.p_null
    W = np.array(W0, dtype=np.float64, order="C")
    Z = op.dot(W) if np.any(W) else model.zeros_nk.copy()
    b, loss, P = model.profiled(Z, model.b0)
    g, diag, diag_b = model.state(P, W)
    g0_norm = np.linalg.norm(g)
    certificate = half_sq_over(safe_norm(g), lam)
    n_iter = 0
    while exceeds(certificate, tol, p_null) and n_iter < max_iter:
        n_iter += 1
        stop = inner_cg_stop(np.linalg.norm(g), g0_norm, lam, tol, p_null)
        V, c, XV = _pcg(op, P, model.s, lam, g, diag, diag_b, model.fit_intercept, stop)
        accepted = _line_search(model, (W, Z, b, loss), g, (V, c, XV))
        if accepted is None:
            break  # no descent or no decrease along the step: keep the best point, stop honestly
        W, Z, b, loss, P = accepted
        g, diag, diag_b = model.state(P, W)
        certificate = half_sq_over(safe_norm(g), lam)
    return W, b, n_iter


def _line_search(model: _Model, point, g, direction):
    """Backtracking (Armijo) on ``F`` along ``(V, c)``: ``(W, Z, b, loss, P)`` or None."""
    W, Z, b, loss = point
    V, c, XV = direction
    lam, fit_intercept = model.lam, model.fit_intercept
    f_old = loss + 0.5 * lam * np.vdot(W, W)
    slope = float(np.vdot(g, V))
    resolvable = -slope > F_RTOL * abs(f_old)
    if not slope < 0.0:
        return None  # no descent direction left (rounding level)

    def trial(t):
        W_new = W + t * V
        Z_new = Z + t * XV
        b_new, loss_new, P_new = model.profiled(Z_new, b + t * c if fit_intercept else b)
        f_new = loss_new + 0.5 * lam * np.vdot(W_new, W_new)
        return f_new, (W_new, Z_new, b_new, loss_new, P_new)

    # A decrease below the rounding of f cannot be tested (not resolvable):
    # near the optimum the (accurate) full step is taken.
    t, accepted = backtrack(
        trial, f_old, slope, resolvable, armijo=_ARMIJO, shrink=_BACKTRACK, min_step=MIN_STEP
    )
    return None if t < MIN_STEP else accepted


def _certified_output(model: _Model, W: np.ndarray, b, n_iter: int) -> LogisticSolverOutput:
    """Project ``W`` to class-mean-free, certify from scratch, and package the output."""
    problem, op, s, lam = model.problem, model.op, model.s, model.lam
    fit_intercept, Yoh, codes = model.fit_intercept, model.Yoh, model.codes
    # Every minimiser has sum_k W_k = 0: the loss is invariant to adding one
    # vector to every class and the penalty is smallest for the class-mean-free
    # W, so this projection never increases P (it removes what CG's
    # class-dependent preconditioning left in the mean, ~ certificate-sized).
    # (Skipped when W is already mean-free to rounding, so that a converged
    # warm start comes back bit for bit.)
    mean = W.mean(axis=1, keepdims=True)
    if np.max(np.abs(mean), initial=0.0) > 4.0 * EPS * np.max(np.abs(W), initial=0.0):
        W -= mean
    # Certify from scratch: margins recomputed from W (no accumulated updates).
    Z = op.dot(W)
    b, _, P = model.profiled(Z, b)
    if fit_intercept:
        b, P = _polish_intercepts(Z, Yoh, codes, s, b, P)
        # Certify the intercepts as returned, shifted to mean zero: P does not
        # change in exact arithmetic, but the shift rounds b (by ~ulp(b), which
        # costs ~ f'' ulp(b)^2 in P, as much as a converged fit's whole gap).
        b = b - b.mean()
        P = _softmax(Z + b)[1]
    g, _, _ = model.state(P, W)
    scales = DataScales(
        problem.X, s, fit_intercept, problem.n_threads, operator_type=problem.operator_type
    )
    certificate = _rounding_safe_certificate(
        op, scales, Z, b, P, Yoh, codes, s, lam, W, g, fit_intercept
    )
    return LogisticSolverOutput(
        coef=np.ascontiguousarray(W.T),
        intercept=b,
        certificate=certificate,
        p_null=model.p_null,
        n_iter=n_iter,
        n_passes=op.n_passes + scales.n_passes,
        solver="newton-cg",
    )


# Full Newton steps the final certification adds to the intercepts: the
# profile stops at steps of 1e-12 max|b|, which leaves a b-gradient far above
# its rounding when |b| is large (large column means); two more quadratic
# steps reach the rounding level.
_POLISH_STEPS = 2


def _polish_intercepts(Z, Yoh, codes, s, b, P):
    """Plain Newton steps on the intercepts, each kept only if it shrinks ``||1^T G||``."""
    gnorm = float(np.linalg.norm(s @ (P - Yoh)))
    for _ in range(_POLISH_STEPS):
        step = _intercept_newton_step(P, Yoh, s)[1]
        if step is None:
            break
        b_new = b + step
        P_new = _softmax(Z + b_new)[1]
        g_new = float(np.linalg.norm(s @ (P_new - Yoh)))
        if not g_new < gnorm:
            break
        b, P, gnorm = b_new, P_new, g_new
    return b, P


def _rounding_safe_certificate(op, scales, Z, b, P, Yoh, codes, s, lam, W, g, fit_intercept):
    """``(||g||_F + ||E||_F)^2 / (2 lam) + F' ||db||``, rounded up, at most ``P(W, b)``.

    ``g = fl(X^T G') + lam W`` is the computed gradient (``G'`` the centred
    ``s * (P - Y)``); ``E`` bounds, entry by entry, its distance to
    ``grad F(W)`` as in :func:`fastridge._solvers.logistic.certify.certify_binary`:

    * ``gamma_{n+2} ||X_j|| ||G'_k||``: rounding of the product ``X^T G'``;
    * ``||Xc_j|| ||dG_k||``: ``dG_ik`` bounds ``|G_ik - s_i (P*_ik - Y_ik)|``,
      ``P*`` the softmax of the exact margins (plus the centring's share, below).
      The margins are off by at most
      ``dm_i = max_k (gamma_{p+2} ||x_i|| ||W_k|| + u (|Z_ik| + |b_k| + |M_ik|))
      + u (max_k M_ik - min_k M_ik)`` (the product ``x_i . W_k``, the sum
      ``Z + b``, and the softmax's ``M - max M``, which perturbs its input by
      ``u |M_ik - max_l M_il|``).  Along the segment from the computed to the exact
      margins ``|d P_k| <= 2 P_k (1 - P_k) max_l |d M_l|`` (since
      ``dP_k = P_k ((1 - P_k) dM_k - sum_{l != k} P_l dM_l)``), and ``P_k``,
      ``1 - P_k`` each move by a factor at most ``exp(2 dm_i)`` on it, so

          dG_ik = s_i (2 dm_i e^{4 dm_i} P_ik Q_ik + (K + 6) u P_ik) (1 + 16 K u)
                  + 2 u |G_ik|,

      ``Q_ik = 1 - P_ik`` (for the row's largest ``P`` the sum of the others,
      no cancellation): the local slope (saturated rows contribute next to
      nothing, where the global ``1/2`` would swamp the intercept bound), the
      softmax's own rounding (``exp``, the ``K``-term sum and the division:
      ``(K + 6) u`` relative) and that of ``s (P - Y)``;
    * ``||Xc_j|| 2 ||db||_2 ||s P_k Q_k||_2 e^{4 (||db||_2 + max dm)}``: the
      intercepts off ``b*`` by ``||db|| <= F' / lambda_2(H_b)`` (one Newton
      step of the intercept problem, ``lambda_2`` its smallest eigenvalue off
      ``1_K``), with the same local slope on the segment ``b -> b*`` (``||s
      P_k Q_k||`` replaced by the global ``||s|| / 4``, ``2 P (1 - P) <= 1/2``,
      when smaller: the factor ``e^{4 ||db||}`` grows fast).

    ``F'`` bounds the exact ``||1^T G||`` (the intercept gradient at the exact
    margins): ``(||fl(1^T G)|| + ||gamma_{n+2} 1^T |G| + 1^T dG||) (1 +
    gamma_{n+2})``: the computed sum, its rounding and the errors of its terms
    (:func:`_intercept_gradient_bound`; without the last, margins off by the
    same amount in every row made the exact gradient 1e6 times the bound);
    ``F' ||db||`` bounds ``f(b) - f(b*)`` by convexity.  The local slope
    ``P Q`` keeps ``1^T dG`` small on well-fit data (iris, ``C = 1e4``: about
    ``4e-13``; the global slope gave ``1e-11``, and ``||db||`` enters squared
    through the ``1 / lambda_2`` of a near-saturated fit).
    """
    n = op.n
    k_cls = P.shape[1]
    eps = EPS
    xe = scales.x_extra  # X a rounded sum of duplicates (DataScales)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        M = Z + b
        G = s[:, None] * (P - Yoh)
        Q = _one_minus(P)
        dm_row, dG = _term_errors(op, scales, Z, b, M, P, Q, G, s, W)
        gsum = G.sum(axis=0)
        S = float(s.sum())
        if fit_intercept:
            err_sum = gamma_k(n + 2) * np.abs(G).sum(axis=0)
            fnorm = _intercept_gradient_bound(G, dG, n)
            Gc = G - np.multiply.outer(s, gsum / S)
            dG = dG + np.multiply.outer(s, (dG.sum(axis=0) + err_sum + 2 * eps * np.abs(gsum)) / S)
            sP = s[:, None] * P
            Hb = np.diag(sP.sum(axis=0)) - sP.T @ P
            ev = np.linalg.eigvalsh(0.5 * (Hb + Hb.T))
            lam2 = float(ev[1]) if ev.shape[0] > 1 else float(ev[0])
            db = fnorm / lam2 if lam2 > 0 else np.inf
            # |dP_k| <= 2 ||db|| P_k Q_k on the segment b -> b* (P_k, Q_k within
            # e^{2 (||db|| + dm)} of the computed ones), and <= ||db|| / 2 anyway
            local = np.exp(4.0 * (db + float(dm_row.max(initial=0.0)))) * (
                1.0 + 16.0 * k_cls * eps
            )
            sp_norm = np.minimum(np.linalg.norm(sP * Q, axis=0) * local, 0.25 * np.linalg.norm(s))
        else:
            Gc, db, fnorm, sp_norm = G, 0.0, 0.0, np.zeros(k_cls)
        E = (
            gamma_k(n + 2 + xe) * np.multiply.outer(scales.col_norm, np.linalg.norm(Gc, axis=0))
            + np.multiply.outer(scales.xc_norm, np.linalg.norm(dG, axis=0) + 2.0 * db * sp_norm)
            + 2.0 * eps * lam * np.abs(W)
        )
        bound = half_sq_over(safe_norm(g) + safe_norm(E), lam)
        if db > 0:
            bound += fnorm * db
        bound *= 1.0 + 8.0 * eps
        # P* >= 0: P(W, b) itself is a certificate (caps a bound that
        # overflowed or lost the intercept curvature).
        # P at the exact margins: each sample's loss logsumexp(M_i) - M_iy moves by at
        # most 2 max_k dm_ik from the computed one
        value = _loss(M, codes, s)[0] + 2.0 * float(s @ dm_row) + 0.5 * lam * float(np.vdot(W, W))
        cap = value * (1.0 + gamma_k(n + 8))
        bound = bound if bound <= cap else cap  # also replaces a NaN bound
    return float(bound) if np.isfinite(bound) else np.inf


def _term_errors(op, scales, Z, b, M, P, Q, G, s, W):
    """``(dm, dG)``: margin errors per row (n,) and bounds on ``|G_ik - s_i (P*_ik - Y_ik)|``.

    ``Q = _one_minus(P)``; the formulas are in :func:`_rounding_safe_certificate`.
    """
    eps = EPS
    k_cls = P.shape[1]
    w_norms = np.linalg.norm(W, axis=0)  # (K,)
    dm = gamma_k(op.p + 2 + scales.x_extra) * np.multiply.outer(scales.row_norm(), w_norms)
    dm = (dm + eps * (np.abs(Z) + np.abs(b) + np.abs(M))).max(axis=1)
    dm = dm + eps * (M.max(axis=1) - M.min(axis=1))  # the softmax's M - max M
    slope = (2.0 * dm * np.exp(4.0 * dm))[:, None] * (P * Q)
    dG = s[:, None] * (slope + (k_cls + 6) * eps * P) * (1.0 + 16.0 * k_cls * eps)
    return dm, dG + 2.0 * eps * np.abs(G)


def _intercept_gradient_bound(G: np.ndarray, dG: np.ndarray, n: int) -> float:
    """``F'``: a bound on ``||1^T G*||``, the exact intercept gradient (exact margins).

    ``||fl(1^T G)|| + ||gamma_{n+2} 1^T |G| + 1^T dG||``: the computed sum,
    its rounding and the errors of its terms.
    """
    err = gamma_k(n + 2) * np.abs(G).sum(axis=0) + dG.sum(axis=0)
    return float(np.linalg.norm(G.sum(axis=0))) + float(np.linalg.norm(err)) * (
        1.0 + gamma_k(n + 2)
    )


def _one_minus(P: np.ndarray) -> np.ndarray:
    """``1 - P`` entry by entry, to a few units of relative rounding.

    ``fl(1 - P_ik)`` where ``P_ik <= 1/2`` (then ``1 - P_ik >= 1/2`` and the
    error of ``P_ik`` stays relative); for each row's largest entry (the only
    one that may exceed 1/2) the sum of the row's other entries (non-negative
    terms, no cancellation).
    """
    Q = 1.0 - P
    top = P.argmax(axis=1)
    rows = np.flatnonzero(P[np.arange(P.shape[0]), top] > 0.5)
    if rows.size:
        others = P[rows].copy()
        others[np.arange(rows.size), top[rows]] = 0.0
        Q[rows, top[rows]] = others.sum(axis=1)
    return Q


def _pcg(op, P, s, lam, g, diag, diag_b, fit_intercept, stop):
    """Jacobi-PCG on the joint system ``H (V, c) = (-g, 0)``; returns ``(V, c, X V)``."""
    system = _JointSystem(op, P, s, lam, g, diag, diag_b, fit_intercept, stop)
    pcg(system, _MAX_INNER)
    return system.V, system.c, system.XV


class _JointSystem(ScalarSteps):
    """The vector work of :func:`_pcg` (see :class:`fastridge._solvers.pcg.PCGSystem`).

    The ``W``-block vectors are handled flat (``(p, K)`` C-contiguous viewed
    as ``p K`` entries) with the fused CG updates of
    :mod:`fastridge._kernels._vector`; the ``K`` intercept entries with NumPy.
    """

    def __init__(self, op, P, s, lam, g, diag, diag_b, fit_intercept, stop):
        p, k = g.shape
        self.stop = stop
        self.op, self.P, self.s, self.lam = op, P, s, lam
        self.p, self.k, self.fit_intercept = p, k, fit_intercept
        self.minv = (1.0 / (diag + lam)).ravel()
        # An intercept whose class has (numerically) zero Hessian weight gets no
        # preconditioning rather than a division by zero; without intercept the
        # b-block is pinned at 0 by a zero preconditioner.
        safe_b = np.where(diag_b > 0, diag_b, 1.0)
        self.minv_b = 1.0 / safe_b if fit_intercept else np.zeros(k)
        self.V = np.zeros((p, k))
        self.c = np.zeros(k)
        self.XV = np.zeros((op.n, k))
        self.rW = -g.ravel()
        self.rb = np.zeros(k)
        self.zW = self.minv * self.rW
        self.zb = self.minv_b * self.rb
        self.dW, self.db = self.zW.copy(), self.zb.copy()
        self.rz0 = float(self.rW @ self.zW + self.rb @ self.zb)
        self.rr = float(self.rW @ self.rW)

    def residual_norm(self) -> float:
        return np.sqrt(self.rr + self.rb @ self.rb)

    def curvature(self) -> float:
        HV, hb, self.U = self.op.hessp(self.P, self.s, self.dW.reshape(self.p, self.k), self.db)
        self.hW = HV.ravel()
        if not self.fit_intercept:
            hb = np.zeros(self.k)  # b is not a variable: its block of H is dropped
        self.hb = hb
        return shift_and_dot_1d(self.hW, self.dW, self.lam) + float(self.db @ hb)

    def step(self, alpha: float) -> float:
        self.rr, rz_w = step_and_precondition_1d(
            self.V.ravel(), self.rW, self.zW, self.dW, self.hW, alpha, self.minv
        )
        self.c += alpha * self.db
        self.XV += alpha * self.U
        self.rb -= alpha * self.hb
        self.zb = self.minv_b * self.rb
        return rz_w + float(self.rb @ self.zb)

    def new_direction(self, beta: float) -> None:
        new_direction_1d(self.dW, self.zW, beta)
        self.db = self.zb + beta * self.db
