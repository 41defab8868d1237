"""L2-logistic peers: fastridge, scikit-learn, glmnet's ``splognet``, skglm.

Job: run each solver on a case and return its coefficients in the objective of
:mod:`harness.logistic_reference` (see ``compare_logistic.py`` for the method and the
competitor notes):

* scikit-learn ``LogisticRegression(C = 1/lam)``: lbfgs, newton-cg, newton-cholesky
  (skipped when its dense Hessian is too big or too slow), saga, liblinear primal and
  dual (binary only; its penalised intercept is run with a large ``intercept_scaling``);
* glmnet: the Fortran ``splognet``, ``alpha = 0``, ``isd = 0``, ``lam_g = lam / n``;
  one lambda, or a 3-lambda path from ``100 lam`` down to ``lam``;
* skglm: ``Logistic()`` + ``L1_plus_L2(alpha = lam/n, l1_ratio = 0)`` with ProxNewton
  or AndersonCD (binary only), compiled by a warm-up fit in ``prepare``;
* fastridge: ``fastridge.logistic`` certified, calibrated, solver "cd" on a CSC
  copy, or solver "dual-cd" (binary, no-intercept cases); a mode the installed
  fastridge rejects on a tiny fit is "unavailable";
* IBM Snap ML ``snapml.LogisticRegression(regularizer=lam, fit_intercept=False)``, dual
  and primal, ``n_jobs`` = threads (``regularizer = lam`` exactly); binary,
  no-intercept cases only (its bias is penalised and its ``intercept_`` wrong);
* scikit-learn-intelex ``LogisticRegression(C = 1/lam, solver="lbfgs")``, ``n_jobs`` =
  threads: dense X only (stock scikit-learn on sparse input: reported as a skip);
* LIBLINEAR's own binding (``liblinear-official``) with ``C = 1/lam``: ``-s 0``
  (primal, ``-B 1 -R`` for an unpenalised intercept) and ``-s 7`` (dual, no-intercept
  cases only: LIBLINEAR refuses ``-R`` there); binary only.
"""

from __future__ import annotations

import dataclasses
import time
import warnings

import numpy as np
import scipy.sparse as sp

from .. import log
from ..logistic_data import Dataset
from .base import FastridgeRunner, FitOut, Solver, build, fastridge_api, quiet_fit
from .ridge import (
    LiblinearRidge,
    SklearnexPeer,
    SnapmlRidge,
    glmnet_available,
    glmnet_csc,
    liblinear_options,
    liblinear_train,
)


def _sklearn_out(ds, est, max_iter, hit) -> FitOut:
    """A fitted scikit-learn-style estimator as a :class:`FitOut` (the cap hit when
    ``n_iter_`` reached ``max_iter``)."""
    n_iter = int(np.max(est.n_iter_))
    hit = hit or (max_iter is not None and n_iter >= max_iter)
    coef, b = _binary_or_multi(ds, est.coef_, est.intercept_)
    return FitOut(coef, b, n_iter, hit)


def _binary_or_multi(ds, coef, intercept):
    coef = np.asarray(coef, dtype=np.float64)
    b = np.atleast_1d(np.asarray(intercept, dtype=np.float64))
    if ds.multiclass:
        return coef.reshape(ds.n_classes, -1), b.reshape(-1)
    return coef.reshape(-1), b[:1]


DENSE_FLOPS = 2e10  # flop/s assumed for a dense Cholesky (2 cores)


class SklearnLogistic(Solver):
    def __init__(self, solver: str, dual: bool = False, intercept_scaling: float = 1.0):
        self.solver = solver
        self.dual = dual
        self.intercept_scaling = intercept_scaling
        self.name = f"sklearn-{solver}" + ("-dual" if dual else "")
        self.start_tol = 1e-6
        self._fit_intercept = True
        self.probe_iters = {"saga": (2, 6), "liblinear": (2, 6) if not dual else (5, 25)}.get(
            solver, (5, 25)
        )

    def skip_reason(self, ctx):
        p = ctx.ds.shape[1]
        if self.solver == "liblinear" and ctx.ds.multiclass:
            return "liblinear is one-vs-rest only for K > 2 (a different objective)"
        if self.solver == "newton-cholesky":
            d = (p + 1) * (ctx.ds.n_classes if ctx.ds.multiclass else 1)
            gb = 8.0 * d * d / 1e9
            if gb > ctx.max_dense_gb:
                return f"dense {d:,} x {d:,} Hessian = {gb:,.0f} GB > {ctx.max_dense_gb:g} GB"
            secs = d**3 / 3 / DENSE_FLOPS  # one Cholesky factorisation
            if secs > ctx.time_cap:
                return (
                    f"one Cholesky of the dense {d:,} x {d:,} Hessian ~{secs:,.0f} s "
                    f"(at {DENSE_FLOPS / 1e9:g} GFlop/s) > time cap"
                )
        return None

    def fit(self, ctx, state, tol, max_iter):
        from sklearn.linear_model import LogisticRegression

        kw = {}
        if self.solver == "liblinear":
            kw["dual"] = self.dual
            if ctx.case.fit_intercept:
                kw["intercept_scaling"] = self.intercept_scaling
        est = LogisticRegression(
            C=1.0 / ctx.lam,
            solver=self.solver,
            tol=tol,
            max_iter=int(max_iter if max_iter is not None else 10**6),
            fit_intercept=ctx.case.fit_intercept,
            random_state=0,
            **kw,
        )
        est, hit = quiet_fit(lambda: est.fit(ctx.ds.X, ctx.ds.y))
        return _sklearn_out(ctx.ds, est, max_iter, hit)

    def prepare(self, ctx):
        self._fit_intercept = ctx.case.fit_intercept  # for setting()
        return None

    def setting(self, tol):
        s = f"tol={tol:.3g}"
        if self.solver == "liblinear" and self._fit_intercept:
            s += f", intercept_scaling={self.intercept_scaling:g}"
        return s


class GlmnetLogistic(Solver):
    """``path = 1``: the one lambda; ``path = k``: k lambdas log-spaced from 100 lam down
    to lam (warm starts), the last one kept, the whole path timed."""

    start_tol = 1e-10
    probe_iters = (10, 50)

    def __init__(self, path: int = 1):
        self.path = path
        self.name = "glmnet" if path == 1 else "glmnet-path"

    def available(self):
        return glmnet_available("lsolns", "splognet")

    def skip_reason(self, ctx):
        if not sp.issparse(ctx.ds.X):
            return "dense X: only glmnet's sparse splognet is wired here (not its dense lognet)"
        return None

    def prepare(self, ctx):
        ds = ctx.ds
        t0 = time.perf_counter()
        st = glmnet_csc(ds.X)
        n, p = ds.shape
        k = ds.n_classes
        Y = np.zeros((n, k), order="F")
        if ds.multiclass:
            Y[np.arange(n), ds.y] = 1.0
        else:  # nc = 1: glmnet models the first column (python-glmnet's convention)
            Y[:, 0] = ds.y > 0
            Y[:, 1] = ds.y < 0
        st["Y"] = Y
        st["ulam"] = ctx.lam / n * (np.logspace(2, 0, self.path) if self.path > 1 else np.ones(1))
        st["cl"] = np.array([np.full(p, -np.inf), np.full(p, np.inf)], order="F")
        st["prep_seconds"] = time.perf_counter() - t0
        return st

    def fit(self, ctx, st, tol, max_iter):
        from glmnet._glmnet import lsolns, splognet

        ds = ctx.ds
        n, p = ds.shape
        nc = ds.n_classes if ds.multiclass else 1
        Y = st["Y"]
        out = splognet(
            0.0,  # alpha = 0: ridge penalty
            n,
            p,
            nc,
            st["data"],
            st["ip"],
            st["ix"],
            np.array(Y, order="F", copy=True),  # glmnet may overwrite y
            np.zeros(Y.shape, order="F"),  # offsets
            np.zeros(1, dtype=np.int32),  # jd: exclude no variable
            np.ones(p),  # vp: penalty factors
            st["cl"],
            p,  # ne
            p + 1,  # nx
            1.0,  # flmin >= 1: use ulam
            st["ulam"],
            tol,  # thr
            isd=0,
            intr=int(ctx.case.fit_intercept),
            maxit=int(min(max_iter if max_iter is not None else 100_000, 2**31 - 1)),
            kopt=0,
        )
        lmu, a0, ca, ia, nin, _dev0, _dev, _alm, nlp, jerr = out
        if jerr > 0:
            raise RuntimeError(f"glmnet fatal error jerr={jerr}")
        if lmu < 1:
            return FitOut(None, 0.0, int(nlp), True, {"jerr": int(jerr)})
        k = len(st["ulam"]) - 1
        if lmu <= k:
            if jerr < 0:  # maxit (the time cap) reached before the last lambda
                return FitOut(None, 0.0, int(nlp), True, {"jerr": int(jerr), "lmu": int(lmu)})
            # glmnet's path rules (deviance ratio / change) stopped it early
            raise RuntimeError(f"glmnet stopped the path after {lmu} of {k + 1} lambdas")
        B = lsolns(p, ca[:, :, k : k + 1], ia, nin[k : k + 1])[:, :, 0]  # (p, nc)
        coef = B.T if ds.multiclass else B[:, 0]
        b = a0[:, k] if ds.multiclass else a0[:1, k]
        return FitOut(
            np.ascontiguousarray(coef), b.copy(), int(nlp), jerr < 0, {"jerr": int(jerr)}
        )

    def setting(self, tol):
        return f"thr={tol:.3g}" + (f", {self.path}-lambda path" if self.path > 1 else "")


class SkglmLogistic(Solver):
    start_tol = 1e-8

    def __init__(self, kind: str):
        self.kind = kind  # "prox-newton" or "anderson-cd"
        self.name = f"skglm-{kind}"
        self.probe_iters = (2, 6) if kind == "prox-newton" else (5, 25)

    def available(self):
        try:
            import skglm  # noqa: F401
        except Exception as e:
            return False, f"skglm not importable ({type(e).__name__}); pip install skglm"
        return True, ""

    def skip_reason(self, ctx):
        if ctx.ds.multiclass:
            return "no multinomial datafit in skglm"
        return None

    def prepare(self, ctx):
        # skglm compiles its Numba code in the first fit of a process (tens of seconds):
        # do it on a few rows here, outside the probes and the timings
        rows = np.unique(np.linspace(0, ctx.ds.shape[0] - 1, 50).astype(int))
        sub = Dataset("warm-up", ctx.ds.X[rows], ctx.ds.y[rows], 2, "")
        t0 = time.perf_counter()
        try:
            warm = dataclasses.replace(ctx, ds=sub, target=1.0, time_cap=None, max_dense_gb=0.0)
            self.fit(warm, None, 1e-2, 5)
        except Exception as e:  # the real fits will report it
            log(f"    {self.name}: warm-up failed: {type(e).__name__}: {e}")
        return {"prep_seconds": time.perf_counter() - t0}  # compilation, untimed

    def fit(self, ctx, state, tol, max_iter):
        from skglm import GeneralizedLinearEstimator
        from skglm.datafits import Logistic
        from skglm.penalties import L1_plus_L2
        from skglm.solvers import AndersonCD, ProxNewton

        n = ctx.ds.shape[0]
        cap = int(max_iter if max_iter is not None else 10**6)
        common = {"tol": tol, "fit_intercept": ctx.case.fit_intercept}
        if self.kind == "prox-newton":
            solver = ProxNewton(max_iter=20, max_pn_iter=cap, **common)
        else:
            solver = AndersonCD(max_iter=20, max_epochs=cap, **common)
        # skglm's L2 penalty has no prox_1d (CD, ProxNewton refuse it): L1_plus_L2 with
        # l1_ratio = 0 is alpha/2 ||w||^2
        penalty = L1_plus_L2(alpha=ctx.lam / n, l1_ratio=0.0)
        est = GeneralizedLinearEstimator(Logistic(), penalty, solver)
        est, hit = quiet_fit(lambda: est.fit(ctx.ds.X, ctx.ds.y))
        coef, b = _binary_or_multi(ctx.ds, est.coef_, est.intercept_)
        n_iter = getattr(est, "n_iter_", None)
        return FitOut(coef, b, None if n_iter is None else int(np.max(n_iter)), hit)


class SnapmlLogistic(SnapmlRidge):
    """``snapml.LogisticRegression``: ``sum_i log(1 + exp(-y_i x_i.w)) +
    regularizer/2 ||w||^2``, so ``regularizer = lam`` (checked on a tiny problem against
    fastridge at tol 1e-14: relative gap ~1e-16, dual and primal); binary, no intercept
    (its bias is penalised): see :class:`harness.peers.ridge.SnapmlRidge`."""

    estimator = "LogisticRegression"

    def skip_reason(self, ctx):
        if ctx.ds.multiclass:
            return "snapml is one-vs-rest for K > 2 (a different objective)"
        return super().skip_reason(ctx)

    def fit(self, ctx, state, tol, max_iter):
        coef, n_iter, hit = self._fit(ctx, state, tol, max_iter)
        return FitOut(coef, np.zeros(1), n_iter, hit)


class SklearnexLogistic(SklearnexPeer):
    """``sklearnex.linear_model.LogisticRegression(C = 1/lam, solver="lbfgs")``:
    scikit-learn's objective, so ``C = 1/lam`` (checked: relative gap ~1e-15 on a tiny
    dense problem).  lbfgs is the only solver sklearnex runs on oneDAL on CPU (newton-cg
    only with ``SKLEARNEX_PREVIEW`` set, and not without an intercept); dense X only."""

    name = "sklearnex-lbfgs"
    start_tol = 1e-6
    probe_iters = (5, 25)

    def __init__(self, threads: int):
        self.threads = threads

    def estimator(self, ctx, tol, max_iter):
        from sklearnex.linear_model import LogisticRegression

        return LogisticRegression(
            C=1.0 / ctx.lam,
            solver="lbfgs",
            tol=tol,
            max_iter=int(max_iter if max_iter is not None else 10**6),
            fit_intercept=ctx.case.fit_intercept,
            n_jobs=self.threads,
        )

    def fit(self, ctx, state, tol, max_iter):
        est, hit = self.checked_fit(ctx, tol, max_iter)
        return _sklearn_out(ctx.ds, est, max_iter, hit)

    def setting(self, tol):
        return f"tol={tol:.3g}, n_jobs={self.threads}"


class LiblinearLogistic(LiblinearRidge):
    """LIBLINEAR ``-s 0`` (primal trust-region Newton; ``-B 1 -R``: unpenalised bias)
    and ``-s 7`` (dual CD; no ``-R``: no-intercept cases only):
    ``1/2 ||w||^2 + C sum_i log(1 + exp(-y_i x_i.w))``, so ``C = 1/lam`` exactly.
    Binary only (one-vs-rest for K > 2)."""

    def options(self, ctx, tol):
        return liblinear_options(self.s, 1.0 / ctx.lam, tol, ctx.case.fit_intercept, False)

    def skip_reason(self, ctx):
        if ctx.ds.multiclass:
            return "LIBLINEAR is one-vs-rest for K > 2 (a different objective)"
        return super().skip_reason(ctx)

    def fit(self, ctx, state, tol, max_iter):
        w, b, labels, n_iter, hit = liblinear_train(state["prob"], self.options(ctx, tol))
        if labels and labels[0] != 1:  # its decision function is positive for labels[0]
            w, b = -w, -b
        return FitOut(w, np.array([b]), n_iter, hit)


class FastridgeLogistic(FastridgeRunner):
    api = "logistic"
    names = {
        "cert": "fastridge",
        "cal": "fastridge-cal",
        "cd": "fastridge-cd",
        "dual": "fastridge-dual-cd",
    }
    labels = {
        "cert": "certified",
        "cal": "calibrated",
        "cd": "certified, CSC input",
        "dual": "certified, dual CD",
    }
    csc_variant = "cd"

    def __init__(self, variant: str, threads: int):
        super().__init__(variant, threads)
        self.probe_iters = (2, 6) if variant == "cd" else None
        self.solver = {"cd": "cd", "dual": "dual-cd"}.get(variant, "auto")

    def fixed(self, ctx):
        if self.variant == "dual":  # certified at the same tol as "cert"
            return ctx.target * ctx.ref.p_star / ctx.ref.p_null
        return super().fixed(ctx)

    def _kwargs(self, ctx, tol, max_iter):
        _, params = fastridge_api("logistic")
        kw = {"fit_intercept": ctx.case.fit_intercept, "tol": tol, "solver": self.solver}
        if "n_threads" in params:
            kw["n_threads"] = self.threads
        if max_iter is not None:
            kw["max_iter"] = max_iter
        if ctx.ds.multiclass and "multi_class" in params:
            kw["multi_class"] = "multinomial"
        return kw

    def skip_reason(self, ctx):
        """'unavailable' when fastridge rejects the solver / mode on a tiny fit."""
        fn, _ = fastridge_api("logistic")
        ds = ctx.ds
        rows = np.unique(np.linspace(0, ds.shape[0] - 1, min(ds.shape[0], 300)).astype(int))
        X = ds.X[rows]
        if self.variant == "cd":
            X = X.tocsc()
        if self.variant == "dual" and (ctx.case.fit_intercept or ds.multiclass):
            return "dual-cd: binary problems without intercept only"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn(X, ds.y[rows], ctx.lam, **self._kwargs(ctx, 1e-2, 5))
        except (ValueError, TypeError, NotImplementedError) as e:
            return f"unavailable: {type(e).__name__}: {e}"
        return None

    def fit(self, ctx, state, tol, max_iter):
        fn, _ = fastridge_api("logistic")
        X = ctx.ds.X if state is None else state
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            res = fn(X, ctx.ds.y, ctx.lam, **self._kwargs(ctx, tol, max_iter))
        extra = {"solver": res.solver, "converged": bool(res.converged)}
        extra["certificate"] = float(np.sum(res.certificate))
        extra["n_passes"] = int(res.n_passes)
        coef, b = _binary_or_multi(ctx.ds, res.coef, res.intercept)
        return FitOut(coef, b, int(res.n_iter), not bool(res.converged), extra)


def make_solvers(names: list[str], args) -> list[Solver]:
    t = args.threads
    table = {
        "fastridge": lambda: FastridgeLogistic("cert", t),
        "fastridge-cal": lambda: FastridgeLogistic("cal", t),
        "fastridge-cd": lambda: FastridgeLogistic("cd", t),
        "fastridge-dual-cd": lambda: FastridgeLogistic("dual", t),
        "sklearn-lbfgs": lambda: SklearnLogistic("lbfgs"),
        "sklearn-newton-cg": lambda: SklearnLogistic("newton-cg"),
        "sklearn-newton-cholesky": lambda: SklearnLogistic("newton-cholesky"),
        "sklearn-saga": lambda: SklearnLogistic("saga"),
        "sklearn-liblinear": lambda: SklearnLogistic(
            "liblinear", False, args.liblinear_scaling_primal
        ),
        "sklearn-liblinear-dual": lambda: SklearnLogistic(
            "liblinear", True, args.liblinear_scaling_dual
        ),
        "glmnet": GlmnetLogistic,
        "glmnet-path": lambda: GlmnetLogistic(path=3),
        "skglm-prox-newton": lambda: SkglmLogistic("prox-newton"),
        "skglm-anderson-cd": lambda: SkglmLogistic("anderson-cd"),
        "snapml-dual": lambda: SnapmlLogistic(True, t),
        "snapml-primal": lambda: SnapmlLogistic(False, t),
        "sklearnex-lbfgs": lambda: SklearnexLogistic(t),
        "liblinear-s0": lambda: LiblinearLogistic(0),
        "liblinear-s7": lambda: LiblinearLogistic(7),
    }
    return build(names, table)


DEFAULT_SOLVERS = [
    "fastridge",
    "fastridge-cal",
    "fastridge-cd",
    "sklearn-lbfgs",
    "sklearn-newton-cg",
    "sklearn-newton-cholesky",
    "sklearn-saga",
    "sklearn-liblinear",
    "sklearn-liblinear-dual",
    "glmnet",
    "glmnet-path",
    "skglm-prox-newton",
    "skglm-anderson-cd",
    "snapml-dual",
    "snapml-primal",
    "sklearnex-lbfgs",
    "liblinear-s0",
    "liblinear-s7",
]
