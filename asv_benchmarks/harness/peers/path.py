"""Ridge-path peers: fastridge's ``ridge_path``, glmnet's path, scikit-learn loops.

Job: run a whole regularisation path over ``ctx.lams`` and return one row of
coefficients per lam (NaN rows for points not computed), see ``compare_path.py``:

* ``fastridge``: ``fastridge.ridge_path`` at the certified tol (no calibration);
  ``fastridge-loop``: independent certified ``fastridge.ridge`` fits at every lam;
* ``glmnet``: one ``spelnet`` call with ``nlam`` user lambdas (warm starts), set up
  like :class:`harness.peers.ridge.Glmnet`;
* ``sklearn-*-loop``: ``Ridge(alpha=lam, solver=...)`` fitted independently at each
  lam (no path, no warm start), stopped between lams once the time cap is spent.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from .base import Solver, fastridge_api, fastridge_available
from .ridge import Glmnet, glmnet_prepare, glmnet_ridge


@dataclass
class PathOut:
    coef: np.ndarray  # (L, p); rows of NaN for points not computed
    intercept: np.ndarray  # (L,)
    n_iter: int | None = None  # total iterations / passes of the run
    hit_cap: bool = False
    extra: dict = field(default_factory=dict)


def _nan_path(L, p):
    return np.full((L, p), np.nan), np.full(L, np.nan)


# ----------------------------------------------------------------------------
# solvers


class PathSolver(Solver):
    """A :class:`~harness.peers.base.Solver` whose ``fit`` returns a :class:`PathOut`."""

    probe_iters: tuple[int, int] | None = (5, 25)


class GlmnetPath(PathSolver):
    """glmnet's own path: one ``spelnet`` call with ``nlam`` user lambdas."""

    name = "glmnet"
    start_tol = 1e-9
    probe_iters = (3, 12)  # maxit: passes over the data for the whole path

    def available(self):
        return Glmnet().available()

    def prepare(self, ctx):
        return glmnet_prepare(ctx.ds.X, ctx.ds.y, ctx.lams)

    def fit(self, ctx, st, tol, max_iter):
        from glmnet._glmnet import solns

        p = ctx.ds.X.shape[1]
        L = len(ctx.lams)
        out = glmnet_ridge(ctx.ds.X.shape, ctx.ds.y, st, tol, max_iter, True)
        lmu, a0, ca, ia, nin, _rsq, _alm, nlp, jerr = out
        coef, intercept = _nan_path(L, p)
        if lmu >= 1:
            coef[:lmu] = solns(p, ca[:, :lmu], ia, nin[:lmu]).T
            intercept[:lmu] = a0[:lmu]
        extra = {"lmu": int(lmu), "jerr": int(jerr)}
        return PathOut(coef, intercept, int(nlp), jerr < 0 or lmu < L, extra)

    def setting(self, tol):
        return f"thr={tol:.3g}"


class SklearnLoop(PathSolver):
    """``Ridge(alpha=lam, solver=...)`` fitted independently at each lam."""

    def __init__(self, solver: str):
        self.solver = solver
        self.name = f"sklearn-{solver}-loop"

    def no_cap(self, ctx):
        n, p = ctx.ds.X.shape
        if self.solver == "sparse_cg" and p > n:
            return "sparse_cg ignores max_iter when p > n: only the between-lams time cap"
        return None

    def _fit_one(self, X, y, lam, tol, max_iter):
        from sklearn.linear_model import Ridge

        est = Ridge(alpha=lam, solver=self.solver, tol=tol, max_iter=max_iter)
        est.fit(X, y)
        used = getattr(est, "solver_", self.solver)
        if used != self.solver:
            raise RuntimeError(f"scikit-learn ran solver {used!r} instead of {self.solver!r}")
        n_iter = None if est.n_iter_ is None else int(np.max(est.n_iter_))
        return est.coef_, float(est.intercept_), n_iter

    def fit(self, ctx, state, tol, max_iter, lams=None):
        from sklearn.exceptions import ConvergenceWarning

        X, y = ctx.ds.X, ctx.ds.y
        lams = ctx.lams if lams is None else lams
        coef, intercept = _nan_path(len(lams), X.shape[1])
        total, hit = 0, False
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            for j, lam in enumerate(lams):
                if ctx.time_cap is not None and time.perf_counter() - t0 > ctx.time_cap:
                    hit = True  # the remaining points stay NaN: "did not reach"
                    break
                coef[j], intercept[j], it = self._fit_one(X, y, lam, tol, max_iter)
                if it is not None:
                    total += it
                    hit |= max_iter is not None and it >= max_iter
        hit |= any(issubclass(w.category, ConvergenceWarning) for w in caught)
        return PathOut(coef, intercept, total or None, hit)


class FastridgePath(PathSolver):
    """``fastridge.ridge_path`` with the certified tolerance (no calibration)."""

    name = "fastridge"
    calibrate = False
    probe_iters = None

    def available(self):
        return fastridge_available("ridge_path")

    def fixed(self, ctx):
        return ctx.target * float(np.min(ctx.p_star)) / ctx.p_null

    def fit(self, ctx, state, tol, max_iter):
        ridge_path, _ = fastridge_api("ridge_path")
        res = ridge_path(ctx.ds.X, ctx.ds.y, lams=ctx.lams, tol=tol, n_threads=ctx.threads)
        if not np.allclose(res.lams, ctx.lams, rtol=1e-14, atol=0):
            raise RuntimeError("ridge_path returned a different grid")
        extra = {
            "solver": res.solver,
            "n_passes": int(res.n_passes),
            "converged": bool(res.converged),
            "seconds": float(res.seconds),
            "certificate": np.asarray(res.certificate, dtype=float).ravel().tolist(),
        }
        return PathOut(
            np.asarray(res.coef, dtype=np.float64),
            np.asarray(res.intercept, dtype=np.float64).ravel(),
            int(np.sum(res.n_iter)),
            not bool(res.converged),
            extra,
        )

    def setting(self, tol):
        return f"tol={tol:.3g} (certified)"


class FastridgeLoop(FastridgePath):
    """Independent certified ``fastridge.ridge`` fits at every lam (no path machinery)."""

    name = "fastridge-loop"

    def available(self):
        return fastridge_available("ridge")

    def fit(self, ctx, state, tol, max_iter):
        ridge, _ = fastridge_api("ridge")
        L, p = len(ctx.lams), ctx.ds.X.shape[1]
        coef, intercept = _nan_path(L, p)
        cert, passes, iters, conv, solvers = [], 0, 0, True, set()
        for j, lam in enumerate(ctx.lams):
            res = ridge(ctx.ds.X, ctx.ds.y, lam, tol=tol, n_threads=ctx.threads)
            coef[j], intercept[j] = res.coef, float(res.intercept)
            cert.append(float(res.certificate))
            passes += int(res.n_passes)
            iters += int(res.n_iter)
            conv &= bool(res.converged)
            solvers.add(res.solver)
        extra = {
            "solver": "/".join(sorted(solvers)),
            "n_passes": passes,
            "converged": conv,
            "certificate": cert,
        }
        return PathOut(coef, intercept, iters, not conv, extra)

    def setting(self, tol):
        return f"tol={tol:.3g} (certified, one fit per lam)"


SOLVERS = {
    "fastridge": FastridgePath,
    "fastridge-loop": FastridgeLoop,
    "glmnet": GlmnetPath,
    "sklearn-sparse_cg-loop": lambda: SklearnLoop("sparse_cg"),
    "sklearn-lsqr-loop": lambda: SklearnLoop("lsqr"),
}
DEFAULT_SOLVERS = list(SOLVERS)
