"""Ridge objective and its certified reference optima (cached).

Job: the objective every ridge run is scored on, and the reference optimum ``P*``
of each (data set, lam, intercept), cached under :func:`harness.data.cache_dir`.

Objective (docs/architecture.md section 1, unit weights)::

    P(w, b) = 1/2 * sum_i (y_i - x_i.w - b)^2 + lam/2 * ||w||^2

The reference optimum is computed independently of fastridge: Jacobi-preconditioned
CG on the normal equations of the intercept-profiled problem (implicit centring, X is
never copied or densified), using scipy's sparse products (numpy's for dense X).  It
stops on the exact ridge certificate ``P(w) - P* <= ||grad P(w)||^2 / (2 lam)`` (the
profiled objective is lam-strongly convex), evaluated with a freshly computed gradient,
so the reference carries its own bound on how far it is from the true optimum.

Why not ``fastridge.ridge(tol=...)``: the comparison checks fastridge's own
certificate against the true suboptimality (``certificate_ok`` in the tables), and
the docs promise "an independent certified reference"; a reference from fastridge
would check fastridge against itself.  This loop is the harness's only copy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from . import log
from .data import Dataset, cache_dir, read_record, write_record


def objective(X, y, lam: float, coef, intercept: float) -> float:
    r = y - X @ coef
    if intercept != 0.0:
        r -= intercept
    return 0.5 * float(np.dot(r, r)) + 0.5 * lam * float(np.dot(coef, coef))


def null_objective(y, fit_intercept: bool) -> float:
    """Objective of the best intercept-only model (w = 0)."""
    r = y - y.mean() if fit_intercept else y
    return 0.5 * float(np.dot(r, r))


@dataclass
class Reference:
    coef: np.ndarray
    intercept: float
    p_star: float  # P(coef, intercept) of the reference point (>= true optimum)
    gap: float  # certificate: P(coef, intercept) - P_true* <= gap
    p_null: float
    n_iter: int
    seconds: float


def _jacobi_inverse(X, mu, lam, fit_intercept):
    """Inverse diagonal of the profiled Hessian ``Xc^T Xc + lam I`` (``Xc``: X with the
    column means ``mu`` removed when there is an intercept)."""
    if sp.issparse(X):
        colsq = np.bincount(X.indices, weights=X.data * X.data, minlength=X.shape[1])
    else:
        colsq = np.einsum("ij,ij->j", X, X)
    if fit_intercept:
        colsq = colsq - X.shape[0] * mu * mu
    return 1.0 / (np.maximum(colsq, 0.0) + lam)


def _pcg_reference(X, y, lam, fit_intercept, rel_gap=1e-13, max_iter=100_000, verbose=True):
    """``(w, b, certificate, iterations)``: Jacobi-PCG on the profiled normal equations
    until ``||grad||^2 / (2 lam) <= rel_gap * P`` (or stagnation)."""
    n, p = X.shape
    Xt = X.T  # CSC view, no copy
    if fit_intercept:
        mu = np.asarray(Xt @ np.ones(n)) / n
        yc = y - y.mean()
    else:
        mu = np.zeros(p)
        yc = y

    def centred_xv(v):
        t = X @ v
        if fit_intercept:
            t -= t.mean()
        return t

    def hess(v):  # (Xc^T Xc + lam I) v ; Xc^T u = X^T u when sum(u) = 0
        return Xt @ centred_xv(v) + lam * v

    rhs = Xt @ yc
    dinv = _jacobi_inverse(X, mu, lam, fit_intercept)

    def full_objective(w):
        r = yc - centred_xv(w)
        return 0.5 * float(np.dot(r, r)) + 0.5 * lam * float(np.dot(w, w))

    w = np.zeros(p)
    r = rhs.copy()  # r = rhs - H w = -grad
    z = dinv * r
    d = z.copy()
    rz = float(np.dot(r, z))
    check_every = 25
    best_gap, best_at = np.inf, 0
    it = 0
    for it in range(1, max_iter + 1):
        hd = hess(d)
        alpha = rz / float(np.dot(d, hd))
        w += alpha * d
        r -= alpha * hd
        if it % check_every == 0:
            r = rhs - hess(w)  # residual replacement: true (negative) gradient
            gap = float(np.dot(r, r)) / (2.0 * lam)
            P = full_objective(w)
            if verbose and it % (check_every * 20) == 0:
                log(f"[ref]   it {it}: gap/P = {gap / P:.3e}")
            if gap <= rel_gap * P:
                break
            if gap < 0.5 * best_gap:
                best_gap, best_at = gap, it
            elif it - best_at > 2000:
                log(f"[ref]   stagnated at gap/P = {gap / P:.3e}")
                break
        z = dinv * r
        rz_new = float(np.dot(r, z))
        d *= rz_new / rz
        d += z
        rz = rz_new
    b = float(y.mean() - mu @ w) if fit_intercept else 0.0
    g = rhs - hess(w)
    gap = float(np.dot(g, g)) / (2.0 * lam)
    return w, b, gap, it


def reference(ds: Dataset, lam: float, fit_intercept: bool, verbose=True) -> Reference:
    """The certified reference optimum of ``ds`` at ``lam`` (cached on disk)."""
    fname = cache_dir() / f"ref-{ds.cache_stem}-{float(lam).hex()}-{int(fit_intercept)}.npz"
    if fname.exists():
        return read_record(fname, Reference)
    if verbose:
        log(f"[ref] computing reference for {ds.key} lam={lam:.6g} intercept={fit_intercept}")
    t0 = time.perf_counter()
    w, b, gap, it = _pcg_reference(ds.X, ds.y, lam, fit_intercept, verbose=verbose)
    seconds = time.perf_counter() - t0
    p_star = objective(ds.X, ds.y, lam, w, b)
    p_null = null_objective(ds.y, fit_intercept)
    if verbose:
        log(
            f"[ref] done in {seconds:.1f} s, {it} PCG iterations, P* = {p_star:.12g}, "
            f"certificate/P* = {gap / p_star:.2e}"
        )
    ref = Reference(w, b, p_star, gap, p_null, it, seconds)
    write_record(fname, ref)
    return ref
