"""Single-lam ridge peers: fastridge, scikit-learn's Ridge, glmnet's ``spelnet``.

Job: run each solver on a case and return its ``(coef, intercept)`` in the objective
``P = 1/2 ||y - X w - b||^2 + lam/2 ||w||^2`` (see ``compare_ridge.py`` for the method):

* scikit-learn ``Ridge(alpha=lam)``; its sag branch with an intercept is run through
  ``ridge_regression(..., solver="sag", return_intercept=True)`` (``Ridge`` would
  silently run sparse_cg), and every other run checks ``Ridge.solver_``;
* glmnet: the Fortran ``spelnet`` with ``ka=2`` (naive), ``alpha=0``, ``isd=0``, unit
  weights and ``lam_g = lam * ys / n`` (:func:`glmnet_prepare`, shared with the path
  comparison);
* fastridge: ``fastridge.ridge`` certified (``tol = target * P*/P_null``), calibrated,
  plain ``tol = target``, or solver "cd" on a CSC copy made outside the timing.
"""

from __future__ import annotations

import importlib
import time
import warnings

import numpy as np

from .base import FastridgeRunner, FitOut, Solver, build, fastridge_api


class SklearnRidge(Solver):
    def __init__(self, solver: str, start_tol: float):
        self.solver = solver
        self.name = f"sklearn-{solver}"
        self.start_tol = start_tol
        self.probe_iters = (2, 6) if solver == "sag" else (5, 25)

    def fit(self, ctx, state, tol, max_iter):
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import Ridge, ridge_regression

        X, y = ctx.ds.X, ctx.ds.y
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            if self.solver == "sag" and ctx.case.fit_intercept:
                # Ridge(solver="sag") on sparse X with an intercept silently runs sparse_cg
                # unless max_iter is None and tol > 1e-4; run Ridge's own sag branch
                # (centre y, then sag fits the intercept) through the public function.
                y_mean = float(y.mean())
                coef, n_iter, intercept = ridge_regression(
                    X,
                    y - y_mean,
                    ctx.lam,
                    solver="sag",
                    max_iter=max_iter,
                    tol=tol,
                    random_state=0,
                    return_n_iter=True,
                    return_intercept=True,
                )
                intercept = float(intercept) + y_mean
                used = "sag"
            else:
                est = Ridge(
                    alpha=ctx.lam,
                    fit_intercept=ctx.case.fit_intercept,
                    solver=self.solver,
                    tol=tol,
                    max_iter=max_iter,
                    random_state=0,
                )
                est.fit(X, y)
                coef, n_iter, intercept = est.coef_, est.n_iter_, float(est.intercept_)
                used = getattr(est, "solver_", self.solver)
        if used != self.solver:
            raise RuntimeError(f"scikit-learn ran solver {used!r} instead of {self.solver!r}")
        n_iter = None if n_iter is None else int(np.max(n_iter))
        hit = any(issubclass(w.category, ConvergenceWarning) for w in caught)
        if max_iter is not None and n_iter is not None and n_iter >= max_iter:
            hit = True
        return FitOut(coef, intercept, n_iter, hit)

    def no_cap(self, ctx):
        n, p = ctx.ds.X.shape
        if self.solver == "sparse_cg" and p > n:
            return "sparse_cg ignores max_iter when p > n: no cap"
        return None


def glmnet_available(*names: str) -> tuple[bool, str]:
    """``Solver.available`` of a glmnet runner using ``glmnet._glmnet.<names>``."""
    try:
        mod = importlib.import_module("glmnet._glmnet")
        for name in names:
            if not hasattr(mod, name):  # as ``from glmnet._glmnet import <name>`` says
                raise ImportError(
                    f"cannot import name {name!r} from {mod.__name__!r} ({mod.__file__})"
                )
    except Exception as e:  # pragma: no cover
        return False, f"python-glmnet not importable: {e!r}"
    return True, ""


def glmnet_csc(X) -> dict:
    """``X`` as glmnet's sparse input: a CSC copy's values (``data``) and its 1-based
    int32 column pointers (``ip``) and row indices (``ix``)."""
    Xc = X.tocsc()
    return {
        "data": np.ascontiguousarray(Xc.data, dtype=np.float64),
        "ip": (Xc.indptr + 1).astype(np.int32),
        "ix": (Xc.indices + 1).astype(np.int32),
    }


def glmnet_prepare(X, y, lams) -> dict:
    """glmnet's inputs, built once outside the timings: a CSC copy of ``X`` with
    1-based int32 indices, and ``ulam`` = the ``lams`` in glmnet's scaling.

    glmnet divides ``y`` and lambda by ``ys = sqrt(mean((y - ybar)^2))`` and uses
    weights summing to 1, so ``lam`` of ``1/2 ||y - Xw - b||^2 + lam/2 ||w||^2`` is
    ``lam * ys / n`` for it.
    """
    t0 = time.perf_counter()
    st = glmnet_csc(X)
    ys = float(np.sqrt(np.mean((y - y.mean()) ** 2)))
    st["ulam"] = np.ascontiguousarray(np.asarray(lams, dtype=np.float64) * ys / X.shape[0])
    st["prep_seconds"] = time.perf_counter() - t0
    return st


def glmnet_ridge(shape, y, st, tol, max_iter, fit_intercept: bool):
    """One ``spelnet`` call (naive algorithm, ``alpha = 0``, ``isd = 0``, unit weights)
    over the lambdas ``st["ulam"]``; returns its raw outputs (raises on ``jerr > 0``)."""
    from glmnet._glmnet import spelnet

    n, p = shape
    out = spelnet(
        2,  # ka = 2: naive algorithm (ka = 1, covariance, needs p x nx memory)
        0.0,  # parm = alpha = 0: ridge
        n,
        p,
        st["data"],
        st["ip"],
        st["ix"],
        np.array(y, dtype=np.float64, order="F", copy=True),  # glmnet may overwrite y
        np.ones(n),
        np.zeros(1, dtype=np.int32),  # jd: exclude no variable
        np.ones(p),  # vp: penalty factors
        np.array([np.full(p, -np.inf), np.full(p, np.inf)], order="F"),  # cl: no box
        p,  # ne
        p + 1,  # nx
        1.0,  # flmin >= 1: use ulam
        st["ulam"],
        tol,  # thr
        nlam=len(st["ulam"]),
        isd=0,
        intr=int(fit_intercept),
        maxit=int(min(max_iter if max_iter is not None else 100_000, 2**31 - 1)),
    )
    if out[-1] > 0:
        raise RuntimeError(f"glmnet fatal error jerr={out[-1]}")
    return out


class Glmnet(Solver):
    name = "glmnet-naive"
    start_tol = 1e-9

    def available(self):
        return glmnet_available("solns", "spelnet")

    def prepare(self, ctx):
        return glmnet_prepare(ctx.ds.X, ctx.ds.y, np.array([ctx.lam]))

    def fit(self, ctx, st, tol, max_iter):
        from glmnet._glmnet import solns

        p = ctx.ds.X.shape[1]
        out = glmnet_ridge(ctx.ds.X.shape, ctx.ds.y, st, tol, max_iter, ctx.case.fit_intercept)
        lmu, a0, ca, ia, nin, _rsq, _alm, nlp, jerr = out
        if lmu < 1:
            return FitOut(None, 0.0, int(nlp), True, {"jerr": int(jerr)})
        coef = solns(p, ca, ia, nin)[:, 0]
        return FitOut(
            np.ascontiguousarray(coef), float(a0[0]), int(nlp), jerr < 0, {"jerr": int(jerr)}
        )

    def setting(self, tol):
        return f"thr={tol:.3g}"


class Fastridge(FastridgeRunner):
    api = "ridge"
    names = {
        "cert": "fastridge",
        "cal": "fastridge-cal",
        "tol": "fastridge-tol",
        "csc-cd": "fastridge-csc-cd",
    }
    labels = {
        "cert": "certified",
        "cal": "calibrated",
        "tol": "plain",
        "csc-cd": "certified, CSC input",
    }
    csc_variant = "csc-cd"
    probe_iters = None

    def fit(self, ctx, state, tol, max_iter):
        fn, params = fastridge_api("ridge")
        solver = "cd" if self.variant == "csc-cd" else "auto"
        kw = {"fit_intercept": ctx.case.fit_intercept, "tol": tol, "solver": solver}
        if "n_threads" in params:
            kw["n_threads"] = self.threads
        if max_iter is not None and "max_iter" in params:
            kw["max_iter"] = max_iter
        res = fn(ctx.ds.X if state is None else state, ctx.ds.y, ctx.lam, **kw)
        extra = {}
        for a in ("solver", "certificate", "seconds", "converged"):
            v = getattr(res, a, None)
            if v is not None:
                extra[a] = v if isinstance(v, str | bool) else float(v)
        conv = getattr(res, "converged", True)
        intercept = np.asarray(getattr(res, "intercept", 0.0), dtype=float).reshape(-1)
        return FitOut(
            np.asarray(res.coef, dtype=np.float64).reshape(-1),
            float(intercept[0]) if intercept.size else 0.0,
            getattr(res, "n_iter", None),
            not bool(conv),
            extra,
        )


def make_solvers(names: list[str], threads: int) -> list[Solver]:
    table = {
        "fastridge": lambda: Fastridge("cert", threads),
        "fastridge-cal": lambda: Fastridge("cal", threads),
        "fastridge-tol": lambda: Fastridge("tol", threads),
        "fastridge-csc-cd": lambda: Fastridge("csc-cd", threads),
        "sklearn-sparse_cg": lambda: SklearnRidge("sparse_cg", 1e-6),
        "sklearn-lsqr": lambda: SklearnRidge("lsqr", 1e-6),
        "sklearn-sag": lambda: SklearnRidge("sag", 1e-6),
        "glmnet-naive": Glmnet,
    }
    return build(names, table)


DEFAULT_SOLVERS = [
    "fastridge",
    "fastridge-cal",
    "fastridge-csc-cd",
    "sklearn-sparse_cg",
    "sklearn-lsqr",
    "sklearn-sag",
    "glmnet-naive",
]
