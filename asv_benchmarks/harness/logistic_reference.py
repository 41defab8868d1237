"""Logistic objectives and certified reference optima (cached).

Job: the objective every logistic run is scored on (docs/architecture.md section 1, unit
weights, the intercept never penalised)::

    binary       P(w, b) = sum_i log(1 + exp(-y_i (x_i.w + b))) + lam/2 ||w||^2
    multinomial  P(W, b) = sum_i -log softmax(W x_i + b)[y_i] + lam/2 ||W||_F^2

and the reference optimum of each (data set, lam, intercept).

Reference optimum: ``fastridge.logistic(..., tol=1e-14)`` (public API), whose
certificate bounds ``P - P*``; in addition, every reference is re-certified here
independently of fastridge (:func:`gradient_certificate`): the intercept is profiled
out by a separate Newton solve, ``F(W) = min_b P(W, b)`` is lam-strongly convex in W,
so ``P(W, b*(W)) - P* <= ||grad F(W)||^2 / (2 lam)`` with ``grad F = grad_W P(W,
b*(W))``; and ``P(W, b) >= P(W, b*(W))``, so the bound also covers the reference's own
b after adding ``P(W, b) - P(W, b*)`` (>= 0, computed).  When fastridge cannot fit a
case, the reference comes from scikit-learn's newton-cg at tol=1e-13, certified by the
same independent bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit, logsumexp

from . import log
from .data import cache_dir, read_record, write_record
from .logistic_data import Dataset

# objectives


def objective(ds: Dataset, lam: float, coef, intercept) -> float:
    """P of docs/architecture.md section 1: coef (p,) / intercept scalar for binary, coef (K, p) /
    intercept (K,) for multinomial."""
    X, y = ds.X, ds.y
    if not ds.multiclass:
        w = np.asarray(coef, dtype=np.float64).reshape(-1)
        m = X @ w
        b = float(np.asarray(intercept, dtype=np.float64).reshape(-1)[0])
        if b != 0.0:
            m += b
        return float(-np.sum(log_expit(y * m))) + 0.5 * lam * float(w @ w)
    W = np.asarray(coef, dtype=np.float64).reshape(ds.n_classes, -1)
    Z = np.asarray(X @ W.T) + np.asarray(intercept, dtype=np.float64).reshape(1, -1)
    loss = np.sum(logsumexp(Z, axis=1)) - np.sum(Z[np.arange(len(y)), y])
    return float(loss) + 0.5 * lam * float(np.sum(W * W))


def _scores(ds: Dataset, coef):
    if not ds.multiclass:
        return ds.X @ np.asarray(coef, dtype=np.float64).reshape(-1)
    W = np.asarray(coef, dtype=np.float64).reshape(ds.n_classes, -1)
    return np.asarray(ds.X @ W.T)


def _loss_given_scores(ds: Dataset, S, b) -> float:
    if not ds.multiclass:
        return float(-np.sum(log_expit(ds.y * (S + b))))
    Z = S + b.reshape(1, -1)
    return float(np.sum(logsumexp(Z, axis=1)) - np.sum(Z[np.arange(len(ds.y)), ds.y]))


def profile_intercept(ds: Dataset, S, b0, fit_intercept: bool):
    """argmin_b of the loss with the scores S = X W^T fixed (damped Newton on b; for
    the multinomial, b_0 is fixed at its start value: softmax is shift invariant)."""
    if not fit_intercept:
        return b0
    y = ds.y
    if not ds.multiclass:
        b = float(np.asarray(b0).reshape(-1)[0])
        for _ in range(100):
            s = expit(-y * (S + b))  # d loss/d m_i = -y_i s_i
            g = -float(np.sum(y * s))
            h = float(np.sum(s * (1.0 - s)))
            if h <= 0:
                break
            step = g / h
            f0 = _loss_given_scores(ds, S, b)
            t = 1.0
            while t > 1e-10 and _loss_given_scores(ds, S, b - t * step) > f0:
                t *= 0.5
            b -= t * step
            if abs(t * step) <= 1e-15 * max(1.0, abs(b)):
                break
        return b
    K = ds.n_classes
    Y = np.zeros((len(y), K))
    Y[np.arange(len(y)), y] = 1.0
    b = np.array(b0, dtype=np.float64).reshape(-1).copy()
    for _ in range(100):
        Z = S + b
        Pr = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
        g = (Pr - Y).sum(axis=0)[1:]
        H = (np.diag(Pr.sum(axis=0)) - Pr.T @ Pr)[1:, 1:]
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        f0 = _loss_given_scores(ds, S, b)
        t = 1.0
        while t > 1e-10:
            bt = b.copy()
            bt[1:] -= t * step
            if _loss_given_scores(ds, S, bt) <= f0:
                break
            t *= 0.5
        b[1:] -= t * step
        if np.max(np.abs(t * step)) <= 1e-15 * max(1.0, np.max(np.abs(b))):
            break
    return b


def gradient_certificate(ds: Dataset, lam: float, coef, intercept, fit_intercept: bool):
    """Bound on ``P(coef, intercept) - P*`` independent of fastridge (see module doc)."""
    S = _scores(ds, coef)
    b_star = profile_intercept(ds, S, intercept, fit_intercept)
    y = ds.y
    if not ds.multiclass:
        w = np.asarray(coef, dtype=np.float64).reshape(-1)
        u = -y * expit(-y * (S + b_star))  # d loss / d m_i
        g = ds.X.T @ u + lam * w
    else:
        W = np.asarray(coef, dtype=np.float64).reshape(ds.n_classes, -1)
        Z = S + b_star
        Pr = np.exp(Z - logsumexp(Z, axis=1, keepdims=True))
        Pr[np.arange(len(y)), y] -= 1.0
        g = np.asarray(ds.X.T @ Pr).T + lam * W
    bound = float(np.sum(g * g)) / (2.0 * lam)
    excess = objective(ds, lam, coef, intercept) - objective(ds, lam, coef, b_star)
    return bound + max(excess, 0.0)


def null_objective(ds: Dataset, fit_intercept: bool) -> float:
    """P of the best intercept-only model (W = 0)."""
    n = len(ds.y)
    if not ds.multiclass:
        if not fit_intercept:
            return n * float(np.log(2.0))
        n_pos = float(np.sum(ds.y > 0))
        q = n_pos / n
        return -(n_pos * np.log(q) + (n - n_pos) * np.log1p(-q)) if 0 < q < 1 else 0.0
    counts = np.bincount(ds.y, minlength=ds.n_classes).astype(float)
    if not fit_intercept:
        return n * float(np.log(ds.n_classes))
    nz = counts[counts > 0]
    return float(-np.sum(nz * np.log(nz / n)))


# ----------------------------------------------------------------------------
# reference optimum


@dataclass
class Reference:
    coef: np.ndarray
    intercept: np.ndarray
    p_star: float  # P(coef, intercept) of the reference point (>= true optimum)
    gap: float  # P(coef, intercept) - P_true* <= gap (the source's own certificate)
    indep_gap: float  # the same bound computed here, independently (gradient_certificate)
    p_null: float
    n_iter: int
    seconds: float
    source: str  # "fastridge" or "sklearn-newton-cg"

    @property
    def bound(self) -> float:
        """The tightest valid bound on P(reference) - P* (both are upper bounds)."""
        g = [x for x in (self.gap, self.indep_gap) if np.isfinite(x)]
        return min(g) if g else np.inf


def _fit_reference_fastridge(ds: Dataset, lam, fit_intercept):
    import inspect
    import warnings

    import fastridge

    kw = {"fit_intercept": fit_intercept, "tol": 1e-14, "max_iter": 1000}
    if ds.multiclass:
        if "multi_class" not in inspect.signature(fastridge.logistic).parameters:
            raise ValueError("fastridge.logistic has no multinomial (no multi_class argument)")
        kw["multi_class"] = "multinomial"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a 1e-14 request may stop at the rounding floor
        res = fastridge.logistic(ds.X, ds.y, lam, **kw)
    coef = np.asarray(res.coef, dtype=np.float64)
    if ds.multiclass and coef.shape != (ds.n_classes, ds.shape[1]):
        raise ValueError(f"fastridge returned coef of shape {coef.shape} for a multinomial fit")
    return coef, np.asarray(res.intercept, dtype=np.float64), float(res.certificate), res.n_iter


def _fit_reference_sklearn(ds: Dataset, lam, fit_intercept):
    import warnings

    from sklearn.linear_model import LogisticRegression

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = LogisticRegression(
            C=1.0 / lam, solver="newton-cg", tol=1e-13, max_iter=1000, fit_intercept=fit_intercept
        ).fit(ds.X, ds.y)
    coef = est.coef_ if ds.multiclass else est.coef_[0]
    b = est.intercept_ if ds.multiclass else est.intercept_[:1]
    return coef, np.asarray(b, dtype=np.float64), np.inf, int(np.max(est.n_iter_))


def reference(ds: Dataset, lam: float, fit_intercept: bool, verbose=True) -> Reference:
    """Certified reference optimum (cached): fastridge at tol=1e-14, or, when fastridge
    cannot fit the case, scikit-learn newton-cg (see the module docstring)."""
    key = f"{ds.cache_stem}-{float(lam).hex()}-{int(fit_intercept)}"
    files = {s: cache_dir() / f"lref-{key}-{s}.npz" for s in ("fastridge", "sklearn")}
    attempts = [("fastridge", _fit_reference_fastridge), ("sklearn", _fit_reference_sklearn)]
    for source, fit in attempts:
        fname = files[source]
        if fname.exists():
            return read_record(fname, Reference)
        if verbose:
            log(f"[ref] {source} reference for {ds.key} lam={lam:.6g} intercept={fit_intercept}")
        t0 = time.perf_counter()
        try:
            coef, b, gap, n_iter = fit(ds, lam, fit_intercept)
        except (ValueError, TypeError, NotImplementedError) as e:
            if verbose:
                log(f"[ref]   {source} cannot fit this case: {type(e).__name__}: {e}")
            continue
        seconds = time.perf_counter() - t0
        p_star = objective(ds, lam, coef, b)
        indep = gradient_certificate(ds, lam, coef, b, fit_intercept)
        p_null = null_objective(ds, fit_intercept)
        src = "fastridge" if source == "fastridge" else "sklearn-newton-cg"
        if verbose:
            log(
                f"[ref]   done in {seconds:.1f} s, {n_iter} iterations, P* = {p_star:.12g}, "
                f"certificate/P* = {gap / p_star:.1e} (own), {indep / p_star:.1e} (independent)"
            )
        ref = Reference(coef, b, p_star, gap, indep, p_null, n_iter, seconds, src)
        write_record(fname, ref)
        return ref
    raise RuntimeError(f"no reference for {ds.key} lam={lam}")
