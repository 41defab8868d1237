"""High-precision reference optima for small ridge and L2-logistic problems.

Every input float (``X``, ``y``, sample weights, returned coefficients) is
converted *exactly* to an ``mpmath.mpf`` (a float64 / float32 value is a dyadic
rational, and ``mpf(float)`` is exact), so the only rounding in this module is
that of mpmath's working precision (``dps`` decimal digits, 80 by default).

Objectives (docs/architecture.md section 1), with ``s_i >= 0`` the sample weights and the
intercept ``b`` never penalised (``b = 0`` without intercept):

- ridge, per target: ``P(w, b) = 1/2 sum_i s_i (y_i - x_i.w - b)^2 + lam/2 ||w||^2``;
- binary logistic, ``y_i in {-1, +1}``:
  ``P(w, b) = sum_i s_i log(1 + exp(-y_i (x_i.w + b))) + lam/2 ||w||^2``;
- multinomial: ``P(W, b) = sum_i s_i (-log softmax(W x_i + b)[y_i]) + lam/2 ||W||_F^2``.

Ridge is a quadratic in ``z = (w, b)`` with Hessian ``A = Xa^T S Xa + diag(lam, .., lam, 0)``
(``Xa = [X, 1]``), so the true gap of any ``z`` is computed *without cancellation* as

    P(z) - P* = 1/2 (z - z*)^T A (z - z*)
              = 1/2 sum_i s_i (xa_i . d)^2 + lam/2 ||d_w||^2,   d = z - z*,

with ``z*`` the exact solution of ``A z* = Xa^T S y`` (to ``dps`` digits).  The
logistic optima come from damped Newton iterations run until the Newton
decrement is below ``10**(-dps + 10)``; the gap is then ``P(z) - P*`` evaluated
directly (``P*`` is accurate to second order in the error of ``z*``).

Nothing is cached between calls: each function builds its problem from the
arrays it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import mpmath
import numpy as np
import scipy.sparse as sp

# Working precision of the ridge reference: 80 digits leave >= 30 correct
# digits for Hessian condition numbers up to 1e50 (column scales 1e-6..1e6 give
# Gram conditions ~1e24; tiny lam and duplicated columns add at most ~1e20).
RIDGE_DPS = 80
# Logistic Newton runs at 60 digits and stops at a decrement of 1e-50: the
# optimum value P* is then right to ~1e-50 relative (second order in z - z*).
LOGISTIC_DPS = 60


def _mp(v) -> mpmath.mpf:
    """Exact conversion of a float (float64 or float32 value) to mpf."""
    return mpmath.mpf(float(v))


def _fraction(v) -> Fraction:
    """``v`` (a numpy integer or float of any width) as an exact rational."""
    if isinstance(v, np.integer | int):
        return Fraction(int(v))
    return Fraction(*np.asarray(v)[()].as_integer_ratio())


def dense_rows(X) -> list[list[mpmath.mpf]]:
    """Rows of ``X`` as exact mpf lists (sparse duplicates summed exactly)."""
    if sp.issparse(X):
        # Parts summed in exact rationals (an mpf sum rounds at the working
        # precision, which 1e308 + 1e-300 exceeds), then rounded once to mpf.
        coo = sp.coo_matrix(X)
        n, p = coo.shape
        exact: dict[tuple[int, int], Fraction] = {}
        for i, j, v in zip(coo.row, coo.col, coo.data):
            key = (int(i), int(j))
            exact[key] = exact.get(key, Fraction(0)) + _fraction(v)
        rows = [[mpmath.mpf(0)] * p for _ in range(n)]
        for (i, j), q in exact.items():
            rows[i][j] = mpmath.mpf(q.numerator) / q.denominator
        return rows
    A = np.asarray(X)
    return [[_mp(v) for v in r] for r in A]


def _vec(v) -> list[mpmath.mpf]:
    return [_mp(x) for x in np.asarray(v).ravel()]


def _weights(sample_weight, n: int) -> list[mpmath.mpf]:
    if sample_weight is None:
        return [mpmath.mpf(1)] * n
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim == 0:
        return [_mp(sw)] * n
    return _vec(sw)


# --------------------------------------------------------------------------- ridge


@dataclass
class RidgeReference:
    """Exact optimum of a (multi-target) ridge problem.

    ``zstar[t]`` is ``w*`` followed by ``b*`` (when ``fit_intercept``) of
    target ``t``; ``pstar[t]`` its objective, ``pnull[t]`` the objective of the
    best intercept-only model.
    """

    rows: list  # Xa rows (with a trailing 1 when fit_intercept)
    s: list
    Y: list  # targets, one mpf list per target
    lams: list
    fit_intercept: bool
    p: int
    zstar: list
    pstar: list
    pnull: list
    dps: int

    def scale(self, t: int) -> mpmath.mpf:
        """``P_null + 1/2 sum s y^2``: the size rounding of ``b`` and ``y`` is relative to."""
        with mpmath.workdps(self.dps):
            return (
                self.pnull[t] + mpmath.fsum(si * yi * yi for si, yi in zip(self.s, self.Y[t])) / 2
            )


def _ridge_value(rows, s, y, lam, z, p) -> mpmath.mpf:
    """``1/2 sum s_i (y_i - xa_i.z)^2 + lam/2 ||z[:p]||^2``."""
    loss = mpmath.fsum(si * (yi - mpmath.fdot(r, z)) ** 2 for r, si, yi in zip(rows, s, y))
    return loss / 2 + lam / 2 * mpmath.fsum(w * w for w in z[:p])


def ridge_reference(X, y, lam, sample_weight=None, fit_intercept=True, dps=RIDGE_DPS):
    """Solve the ridge normal equations in ``dps``-digit arithmetic.

    Parameters
    ----------
    X : ndarray or sparse, (n, p)
    y : ndarray (n,) or (n, k)
    lam : float or (k,)
    """
    with mpmath.workdps(dps):
        rows = dense_rows(X)
        n = len(rows)
        p = len(rows[0]) if n else 0
        if fit_intercept:
            rows = [[*r, mpmath.mpf(1)] for r in rows]
        m = len(rows[0])
        s = _weights(sample_weight, n)
        Ya = np.asarray(y, dtype=np.float64)
        Ya = Ya.reshape(n, -1)
        k = Ya.shape[1]
        lam_a = np.broadcast_to(np.asarray(lam, dtype=np.float64), (k,))
        cols = [[r[j] for r in rows] for j in range(m)]
        scols = [[si * c for si, c in zip(s, col)] for col in cols]
        G = mpmath.matrix(m, m)
        for a in range(m):
            for b in range(a, m):
                G[a, b] = G[b, a] = mpmath.fdot(scols[a], cols[b])
        Ys, zs, ps, pn, lams = [], [], [], [], []
        for t in range(k):
            yt = _vec(Ya[:, t])
            lt = _mp(lam_a[t])
            A = G.copy()
            for j in range(p):
                A[j, j] += lt
            rhs = mpmath.matrix([mpmath.fdot(sc, yt) for sc in scols])
            z = list(mpmath.lu_solve(A, rhs))
            Ys.append(yt)
            zs.append(z)
            lams.append(lt)
            ps.append(_ridge_value(rows, s, yt, lt, z, p))
            pn.append(_ridge_null(s, yt, fit_intercept))
        return RidgeReference(rows, s, Ys, lams, fit_intercept, p, zs, ps, pn, dps)


def _ridge_null(s, y, fit_intercept) -> mpmath.mpf:
    """``P_null``: ``1/2 sum s (y - ybar_s)^2`` (``ybar = 0`` without intercept)."""
    ybar = mpmath.fdot(s, y) / mpmath.fsum(s) if fit_intercept else mpmath.mpf(0)
    return mpmath.fsum(si * (yi - ybar) ** 2 for si, yi in zip(s, y)) / 2


def ridge_gaps(ref: RidgeReference, coef, intercept, parts=False):
    """True gaps ``P(w, b) - P*`` (one per target) of the returned ``(w, b)``.

    ``coef`` is ``(p,)`` or ``(k, p)`` and ``intercept`` a float or ``(k,)``
    (ignored without intercept, where ``b = 0``).  Returns mpf values, computed
    as the quadratic form of ``d = z - z*`` (no cancellation).  With
    ``parts=True`` returns ``(gap, intercept_part)`` pairs, where
    ``intercept_part = P(w, b) - min_b P(w, b) = (sum s)/2 (b - b*(w))^2`` is
    the share of the gap due to the returned intercept alone.
    """
    k = len(ref.zstar)
    W = np.asarray(coef, dtype=np.float64).reshape(k, ref.p)
    B = np.broadcast_to(np.asarray(intercept, dtype=np.float64).reshape(-1), (k,))
    out = []
    with mpmath.workdps(ref.dps):
        for t in range(k):
            z = _vec(W[t]) + ([_mp(B[t])] if ref.fit_intercept else [])
            if not all(mpmath.isfinite(v) for v in z):
                out.append((mpmath.inf, mpmath.inf) if parts else mpmath.inf)
                continue
            d = [a - b for a, b in zip(z, ref.zstar[t])]
            fit = mpmath.fsum(si * mpmath.fdot(r, d) ** 2 for r, si in zip(ref.rows, ref.s))
            gap = fit / 2 + ref.lams[t] / 2 * mpmath.fsum(v * v for v in d[: ref.p])
            if not parts:
                out.append(gap)
                continue
            ipart = mpmath.mpf(0)
            if ref.fit_intercept:
                # b*(w) - b = sum s_i (y_i - xa_i . z) / sum s (the residual's weighted mean).
                stot = mpmath.fsum(ref.s)
                rbar = mpmath.fsum(
                    si * (yi - mpmath.fdot(r, z)) for r, si, yi in zip(ref.rows, ref.s, ref.Y[t])
                )
                ipart = rbar * rbar / (2 * stot)
            out.append((gap, ipart))
    return out


# ------------------------------------------------------------------------ logistic


def _log1pexp(t):
    """``log(1 + exp(t))`` in mpmath (no overflow: mpf exponents are unbounded)."""
    return mpmath.log1p(mpmath.exp(t))


def _sigmoid(t):
    return 1 / (1 + mpmath.exp(-t))


@dataclass
class LogisticReference:
    """Optimum of a binary L2-logistic problem (``y`` in {-1, +1})."""

    rows: list
    s: list
    y: list
    lam: mpmath.mpf
    fit_intercept: bool
    p: int
    zstar: list
    pstar: mpmath.mpf
    pnull: mpmath.mpf
    dps: int


def _logistic_value(rows, s, y, lam, z, p):
    loss = mpmath.fsum(si * _log1pexp(-yi * mpmath.fdot(r, z)) for r, si, yi in zip(rows, s, y))
    return loss + lam / 2 * mpmath.fsum(w * w for w in z[:p])


def _newton(value, grad_hess, z0, dps, max_iter=200):
    """Damped Newton on a smooth strictly convex function, to decrement ``10**(10-dps)``."""
    z = list(z0)
    f = value(z)
    stop = mpmath.mpf(10) ** (10 - dps)
    for _ in range(max_iter):
        g, H = grad_hess(z)
        step = mpmath.lu_solve(H, mpmath.matrix(g))
        dec = mpmath.fdot(g, list(step))  # Newton decrement squared
        if dec <= stop * (1 + abs(f)):
            return z, f
        t = mpmath.mpf(1)
        while True:
            zn = [a - t * b for a, b in zip(z, step)]
            fn = value(zn)
            if fn <= f - t * dec / 4 or t < mpmath.mpf(10) ** (-30):
                break
            t /= 2
        z, f = zn, fn
    raise RuntimeError("high-precision Newton did not converge")


def logistic_reference(X, y_pm, lam, sample_weight=None, fit_intercept=True, dps=LOGISTIC_DPS):
    """Binary logistic optimum by Newton's method at ``dps`` digits.

    ``y_pm`` holds +-1 labels (the library's ``classes[1]`` is +1).
    """
    with mpmath.workdps(dps):
        rows = dense_rows(X)
        n = len(rows)
        p = len(rows[0])
        if fit_intercept:
            rows = [[*r, mpmath.mpf(1)] for r in rows]
        m = len(rows[0])
        s = _weights(sample_weight, n)
        y = _vec(y_pm)
        lt = _mp(lam)

        def value(z):
            return _logistic_value(rows, s, y, lt, z, p)

        def grad_hess(z):
            g = [mpmath.mpf(0)] * m
            H = mpmath.matrix(m, m)
            for r, si, yi in zip(rows, s, y):
                mi = mpmath.fdot(r, z)
                q = _sigmoid(-yi * mi)  # d/dm of log(1+exp(-y m)) is -y q
                c = -si * yi * q
                h = si * q * (1 - q)
                for a in range(m):
                    g[a] += c * r[a]
                    ha = h * r[a]
                    for b in range(a, m):
                        H[a, b] += ha * r[b]
            for a in range(m):
                for b in range(a):
                    H[a, b] = H[b, a]
            for j in range(p):
                g[j] += lt * z[j]
                H[j, j] += lt
            return g, H

        zs, ps = _newton(value, grad_hess, [mpmath.mpf(0)] * m, dps)
        sp_ = mpmath.fsum(si for si, yi in zip(s, y) if yi > 0)
        sm_ = mpmath.fsum(si for si, yi in zip(s, y) if yi < 0)
        if fit_intercept:
            b0 = mpmath.log(sp_ / sm_) if sp_ > 0 and sm_ > 0 else mpmath.mpf(0)
            pn = sp_ * _log1pexp(-b0) + sm_ * _log1pexp(b0)
        else:
            pn = (sp_ + sm_) * mpmath.log(2)
        return LogisticReference(rows, s, y, lt, fit_intercept, p, zs, ps, pn, dps)


def logistic_gap(ref: LogisticReference, coef, intercept):
    """``P(w, b) - P*`` of the returned binary model (mpf; inf when not finite)."""
    w = np.asarray(coef, dtype=np.float64).ravel()
    with mpmath.workdps(ref.dps):
        z = _vec(w) + ([_mp(intercept)] if ref.fit_intercept else [])
        if not all(mpmath.isfinite(v) for v in z):
            return mpmath.inf
        return _logistic_value(ref.rows, ref.s, ref.y, ref.lam, z, ref.p) - ref.pstar


@dataclass
class MultinomialReference:
    """Optimum of the L2 multinomial problem; ``labels`` are class indices 0..K-1."""

    rows: list
    s: list
    labels: list
    K: int
    lam: mpmath.mpf
    fit_intercept: bool
    p: int
    pstar: mpmath.mpf
    pnull: mpmath.mpf
    dps: int


def _softmax_loss(rows, s, labels, K, lam, W, b, p):
    """``sum_i s_i (-log softmax(W x_i + b)[y_i]) + lam/2 ||W||_F^2`` (rows without the 1)."""
    tot = []
    for r, si, yi in zip(rows, s, labels):
        logits = [mpmath.fdot(W[c], r[:p]) + b[c] for c in range(K)]
        mx = max(logits)
        lse = mx + mpmath.log(mpmath.fsum(mpmath.exp(v - mx) for v in logits))
        tot.append(si * (lse - logits[yi]))
    return mpmath.fsum(tot) + lam / 2 * mpmath.fsum(v * v for Wc in W for v in Wc)


def multinomial_reference(X, labels, K, lam, sample_weight=None, fit_intercept=True, dps=50):
    """Multinomial optimum by Newton; variables ``W`` (K x p) and ``b_1..b_{K-1}`` (``b_0 = 0``).

    Fixing ``b_0 = 0`` removes the softmax's invariance to a common shift of
    ``b`` (unpenalised), so the Hessian is positive definite.
    """
    with mpmath.workdps(dps):
        rows = dense_rows(X)
        n = len(rows)
        p = len(rows[0])
        s = _weights(sample_weight, n)
        lab = [int(v) for v in np.asarray(labels).ravel()]
        lt = _mp(lam)
        nb = K - 1 if fit_intercept else 0
        m = K * p + nb

        def unpack(z):
            W = [z[c * p : (c + 1) * p] for c in range(K)]
            b = [mpmath.mpf(0), *z[K * p :]] if fit_intercept else [mpmath.mpf(0)] * K
            return W, b

        def value(z):
            W, b = unpack(z)
            return _softmax_loss(rows, s, lab, K, lt, W, b, p)

        def feats(r, c):
            """Indices and values of d logit_c / dz."""
            idx = list(range(c * p, (c + 1) * p))
            val = list(r)
            if fit_intercept and c > 0:
                idx.append(K * p + c - 1)
                val.append(mpmath.mpf(1))
            return idx, val

        def grad_hess(z):
            W, b = unpack(z)
            g = [mpmath.mpf(0)] * m
            H = mpmath.matrix(m, m)
            for r, si, yi in zip(rows, s, lab):
                logits = [mpmath.fdot(W[c], r) + b[c] for c in range(K)]
                mx = max(logits)
                e = [mpmath.exp(v - mx) for v in logits]
                tot = mpmath.fsum(e)
                pi = [v / tot for v in e]
                fs = [feats(r, c) for c in range(K)]
                for c in range(K):
                    coef = si * (pi[c] - (1 if c == yi else 0))
                    for ia, va in zip(*fs[c]):
                        g[ia] += coef * va
                    for d in range(K):
                        hcd = si * ((pi[c] if c == d else 0) - pi[c] * pi[d])
                        if hcd == 0:
                            continue
                        for ia, va in zip(*fs[c]):
                            hva = hcd * va
                            for ib, vb in zip(*fs[d]):
                                H[ia, ib] += hva * vb
            for j in range(K * p):
                g[j] += lt * z[j]
                H[j, j] += lt
            return g, H

        _, ps = _newton(value, grad_hess, [mpmath.mpf(0)] * m, dps)
        tot = mpmath.fsum(s)
        if fit_intercept:
            pn = mpmath.mpf(0)
            for c in range(K):
                sc = mpmath.fsum(si for si, yi in zip(s, lab) if yi == c)
                if sc > 0:
                    pn -= sc * mpmath.log(sc / tot)
        else:
            pn = tot * mpmath.log(K)
        return MultinomialReference(rows, s, lab, K, lt, fit_intercept, p, ps, pn, dps)


def multinomial_gap(ref: MultinomialReference, coef, intercept):
    """``P(W, b) - P*`` of a returned multinomial model (``coef`` (K, p), ``intercept`` (K,))."""
    Wf = np.asarray(coef, dtype=np.float64).reshape(ref.K, ref.p)
    bf = np.asarray(intercept, dtype=np.float64).reshape(-1)
    if not ref.fit_intercept:
        bf = np.zeros(ref.K)
    if not (np.isfinite(Wf).all() and np.isfinite(bf).all()):
        return mpmath.inf
    with mpmath.workdps(ref.dps):
        W = [_vec(r) for r in Wf]
        b = _vec(bf)
        return _softmax_loss(ref.rows, ref.s, ref.labels, ref.K, ref.lam, W, b, ref.p) - ref.pstar
