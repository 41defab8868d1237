"""Side-by-side L2-logistic comparison: fastridge vs scikit-learn vs glmnet vs skglm.

Usage (from the repository root)::

    python asv_benchmarks/compare_logistic.py [--cases a9a,news20-1e-1] [--repeats 3]
                                              [--out bench_results/] [--quick]

Measures, for every case and solver, the wall time to reach a relative suboptimality
``(P - P*) / P* <= 1e-8`` of the objective of DESIGN.md section 1 (unit weights)::

    binary       P(w, b) = sum_i log(1 + exp(-y_i (x_i.w + b))) + lam/2 ||w||^2
    multinomial  P(W, b) = sum_i -log softmax(W x_i + b)[y_i] + lam/2 ||W||_F^2

(scikit-learn's ``C = 1/lam``).  The suboptimality of every solver is computed on this
objective from the coefficients it returns.

Method (shared with ``compare_ridge.py``, whose calibration, timing and report helpers
are imported): decade-ladder calibration of each competitor's tolerance against the
reference (its best case), ``fastridge`` run *uncalibrated* at
``tol = target * P*/P_null`` (its certificate then proves the target), iteration caps
worth ``--time-cap`` seconds from two probe runs, ``--repeats`` interleaved rounds
(medians, min-max), stream bandwidth measured in the same run.

Reference P*: ``fastridge.logistic(tol=1e-14)``, re-certified independently by
``_compare_logistic_data.gradient_certificate`` (profiled-intercept gradient bound);
scikit-learn newton-cg at tol=1e-13 (same independent certificate) where fastridge
cannot fit the case.  After a case, P* is lowered to the best objective any run
reached; a run below ``P(reference) - certificate`` (beyond rounding) would prove the
reference certificate wrong and is reported as an anomaly.

Competitor notes
----------------
* scikit-learn ``LogisticRegression`` (l2, ``C = 1/lam``): lbfgs, newton-cg,
  newton-cholesky, saga, liblinear primal (trust-region Newton) and dual (CD).
  newton-cholesky forms a dense ``d x d`` Hessian, ``d = (p + 1) * (K or 1)``: it is
  skipped when ``8 d^2`` bytes exceed ``--max-dense-gb`` (default 8 GB; p = 100,000
  needs 80 GB) or one Cholesky (``d^3/3`` flops at 20 GFlop/s) exceeds the time cap
  (d > ~15,000 at 60 s), and a MemoryError is reported as an error.  liblinear is one-vs-rest
  for K > 2 (a different objective): skipped on the multinomial cases.
* liblinear penalises the intercept: it fits ``w_b`` of a constant column of value
  ``s = intercept_scaling`` with penalty ``lam/2 w_b^2`` (i.e. ``lam/2 (b/s)^2``).
  With an intercept the harness uses ``s = 1000`` (primal) and ``s = 100`` (dual):
  the minimiser then differs from ours by a relative ~1e-12 in objective (a9a), but a
  large s slows the dual CD a lot (a9a, C=1: s = 10 misses 1e-8, s = 100 needs > 10,000
  epochs).  The ``-noint`` cases compare liblinear without this handicap.
* glmnet: the Fortran ``splognet`` of python-glmnet, ``alpha = 0``, ``isd = 0`` (no
  standardisation), unit weights.  It minimises ``-1/n sum_i loglik_i + lam_g/2 ||w||^2``,
  so ``lam_g = lam / n`` (checked: its solutions converge to P* on our objective).
  Binary: ``nc = 1`` with the positive class in the first column of y (as python-glmnet
  does); multinomial: ``nc = K``.  Its ``thr`` must be ~1e-12 for 1e-8: the ladder
  finds it.  ``glmnet`` fits the one lambda; ``glmnet-path`` a 3-lambda path from
  ``100 lam`` down to ``lam`` (warm starts; the whole path is timed): the multinomial
  fit at one small lambda silently (``jerr = 0``) returns a wrong model (news20,
  lam = 0.1: objective ~2,500 times P*), the path does not.  The CSC (1-based) copy is
  built outside the timings (``prep_seconds``).
* skglm: ``GeneralizedLinearEstimator(Logistic(), L1_plus_L2(alpha=lam/n, l1_ratio=0),
  solver)`` with ProxNewton and AndersonCD (skglm's ``L2`` penalty has no ``prox_1d``
  and both solvers reject it); its Logistic datafit is the mean loss, hence ``lam/n``.
  Binary only (no multinomial datafit).  Its Numba code is compiled by a warm-up fit on
  50 rows in ``prepare`` (``prep_seconds``), outside the probes and timings.
* fastridge rows: ``fastridge`` (solver "auto", certified tol), ``fastridge-cal``
  (calibrated like the competitors), ``fastridge-cd`` (solver "cd", certified tol,
  CSC copy made outside the timing as for glmnet).  A solver / mode fastridge does not
  implement yet (ValueError on a tiny fit) is reported as "unavailable".

``--quick``: tiny versions (about 1,000 rows) of one case per data set (``--cases all``:
of every case), 0.5 s time cap, 2 s of calibration per solver and case: a smoke test,
not a measurement.  Outputs
``OUT/logistic_comparison.{md,json}`` (``logistic_comparison_quick.*`` with
``--quick``), rewritten after every case.
"""

from __future__ import annotations

import fnmatch
import gc
import inspect
import json
import math
import os
import sys
import time
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

import _compare_logistic_data as ldata  # noqa: E402
import compare_ridge as cr  # noqa: E402
from compare_ridge import FitOut, Solver, log  # noqa: E402

# ----------------------------------------------------------------------------
# solvers


def _quiet_fit(fn):
    """Run fn() recording ConvergenceWarnings; returns (result, hit_cap_warning)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("ignore", FutureWarning)
        out = fn()
    hit = any(
        issubclass(w.category, ConvergenceWarning) or "converge" in str(w.message).lower()
        for w in caught
    )
    return out, hit


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
        est, hit = _quiet_fit(lambda: est.fit(ctx.ds.X, ctx.ds.y))
        n_iter = int(np.max(est.n_iter_))
        if max_iter is not None and n_iter >= max_iter:
            hit = True
        coef, b = _binary_or_multi(ctx.ds, est.coef_, est.intercept_)
        return FitOut(coef, b, n_iter, hit)

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
        try:
            from glmnet._glmnet import lsolns, splognet  # noqa: F401
        except Exception as e:  # pragma: no cover
            return False, f"python-glmnet not importable: {e!r}"
        return True, ""

    def prepare(self, ctx):
        ds = ctx.ds
        t0 = time.perf_counter()
        Xc = ds.X.tocsc()
        n, p = ds.shape
        k = ds.n_classes
        Y = np.zeros((n, k), order="F")
        if ds.multiclass:
            Y[np.arange(n), ds.y] = 1.0
        else:  # nc = 1: glmnet models the first column (python-glmnet's convention)
            Y[:, 0] = ds.y > 0
            Y[:, 1] = ds.y < 0
        st = {
            "data": np.ascontiguousarray(Xc.data, dtype=np.float64),
            "ip": (Xc.indptr + 1).astype(np.int32),
            "ix": (Xc.indices + 1).astype(np.int32),
            "Y": Y,
            "ulam": ctx.lam / n * (np.logspace(2, 0, self.path) if self.path > 1 else np.ones(1)),
            "cl": np.array([np.full(p, -np.inf), np.full(p, np.inf)], order="F"),
        }
        del Xc
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
        sub = ldata.Dataset("warm-up", ctx.ds.X[rows], ctx.ds.y[rows], 2, "")
        t0 = time.perf_counter()
        try:
            self.fit(Ctx(ctx.case, sub, ctx.lam, ctx.ref, 1.0, None, 0.0), None, 1e-2, 5)
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
        est, hit = _quiet_fit(lambda: est.fit(ctx.ds.X, ctx.ds.y))
        coef, b = _binary_or_multi(ctx.ds, est.coef_, est.intercept_)
        n_iter = getattr(est, "n_iter_", None)
        return FitOut(coef, b, None if n_iter is None else int(np.max(n_iter)), hit)


def _fastridge_logistic():
    import fastridge

    fn = fastridge.logistic
    return fn, set(inspect.signature(fn).parameters)


class FastridgeLogistic(Solver):
    start_tol = 1e-8

    def __init__(self, variant: str, threads: int):
        self.variant = variant
        self.threads = threads
        self.name = {"cert": "fastridge", "cal": "fastridge-cal", "cd": "fastridge-cd"}[variant]
        self.calibrate = variant == "cal"
        self.probe_iters = (2, 6) if variant == "cd" else None
        self.solver = "cd" if variant == "cd" else "auto"

    def available(self):
        try:
            _fastridge_logistic()
        except Exception as e:
            return False, f"fastridge.logistic not available ({type(e).__name__}: {e})"
        return True, ""

    def _kwargs(self, ctx, tol, max_iter):
        _, params = _fastridge_logistic()
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
        fn, _ = _fastridge_logistic()
        ds = ctx.ds
        rows = np.unique(np.linspace(0, ds.shape[0] - 1, min(ds.shape[0], 300)).astype(int))
        X = ds.X[rows]
        if self.variant == "cd":
            X = X.tocsc()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fn(X, ds.y[rows], ctx.lam, **self._kwargs(ctx, 1e-2, 5))
        except (ValueError, TypeError, NotImplementedError) as e:
            return f"unavailable: {type(e).__name__}: {e}"
        return None

    def prepare(self, ctx):
        # like glmnet's column-major copy, the CSC copy for CD is made outside the timing
        return ctx.ds.X.tocsc() if self.variant == "cd" else None

    def fixed(self, ctx):
        if self.variant in ("cert", "cd"):
            return ctx.target * ctx.ref.p_star / ctx.ref.p_null
        return ctx.target

    def fit(self, ctx, state, tol, max_iter):
        fn, _ = _fastridge_logistic()
        X = ctx.ds.X if state is None else state
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            res = fn(X, ctx.ds.y, ctx.lam, **self._kwargs(ctx, tol, max_iter))
        extra = {"solver": res.solver, "converged": bool(res.converged)}
        extra["certificate"] = float(np.sum(res.certificate))
        extra["n_passes"] = int(res.n_passes)
        coef, b = _binary_or_multi(ctx.ds, res.coef, res.intercept)
        return FitOut(coef, b, int(res.n_iter), not bool(res.converged), extra)

    def setting(self, tol):
        label = {"cert": "certified", "cal": "calibrated", "cd": "certified, CSC input"}
        return f"tol={tol:.3g} ({label[self.variant]})"


def make_solvers(names: list[str], args) -> list[Solver]:
    t = args.threads
    table = {
        "fastridge": lambda: FastridgeLogistic("cert", t),
        "fastridge-cal": lambda: FastridgeLogistic("cal", t),
        "fastridge-cd": lambda: FastridgeLogistic("cd", t),
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
    }
    out = []
    for n in names:
        if n not in table:
            raise SystemExit(f"unknown solver {n!r}; choose from {', '.join(table)}")
        out.append(table[n]())
    return out


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
]

# ----------------------------------------------------------------------------
# running


@dataclass
class Ctx:
    case: ldata.Case
    ds: ldata.Dataset
    lam: float
    ref: ldata.Reference
    target: float
    time_cap: float
    max_dense_gb: float

    def objective(self, coef, intercept) -> float:
        return ldata.objective(self.ds, self.lam, coef, intercept)


def _all_runs(entry: dict):
    yield from entry.get("calibration", [])
    yield from entry.get("runs", [])


def finalise_p_star(result: dict, ref: ldata.Reference, target: float) -> None:
    """P* = min(reference, every objective seen); flag runs below the reference's
    certified lower bound; recompute the suboptimalities against the final P*."""
    seen = [
        (r["objective"], name)
        for name, e in result["solvers"].items()
        for r in _all_runs(e)
        if r.get("objective") is not None and np.isfinite(r["objective"])
    ]
    p_ref = ref.p_star
    best, who = min(seen, default=(math.inf, None))
    result["anomalies"] = []
    slack = 1e-13 * abs(p_ref)  # objective rounding
    if best < p_ref - ref.bound - slack:
        msg = (
            f"{who} reached P = {best:.15g} < P(reference) - certificate = "
            f"{p_ref - ref.bound:.15g}: the reference certificate is wrong (bug)"
        )
        result["anomalies"].append(msg)
        log(f"  ANOMALY: {msg}")
    p_star = min(p_ref, best)
    result["p_star"] = p_star
    result["p_star_lowered_by"] = {"solver": who, "amount": p_ref - best} if best < p_ref else None
    if p_star == p_ref:
        return
    for e in result["solvers"].values():
        for r in _all_runs(e):
            if r.get("objective") is not None:
                r["rel_subopt"] = (r["objective"] - p_star) / abs(p_star)
                r["null_subopt"] = (r["objective"] - p_star) / ref.p_null
        if e.get("runs"):
            cr.summarise(e, target)


def run_case(case: ldata.Case, solvers: list[Solver], args, unavailable: dict) -> dict:
    log(f"\n=== case {case.name} ===")
    t_case = time.perf_counter()
    gc.collect()
    gc.freeze()
    ds = ldata.load_dataset(case.dataset, quick=args.quick)
    n, p = ds.shape
    lam = case.lam_for(n)
    ref = ldata.reference(ds, lam, case.fit_intercept)
    ctx = Ctx(case, ds, lam, ref, args.target, args.time_cap, args.max_dense_gb)
    log(
        f"  {n} x {p}, nnz {ds.nnz}, K = {ds.n_classes}, lam = {lam:.6g}, "
        f"P* = {ref.p_star:.10g}, P_null = {ref.p_null:.6g}, reference ({ref.source}) "
        f"certificate/P* = {ref.gap / ref.p_star:.1e}, "
        f"independent {ref.indep_gap / ref.p_star:.1e}"
    )
    result = {
        "case": case.name,
        "dataset": case.dataset,
        "description": ds.description,
        "n": n,
        "p": p,
        "nnz": ds.nnz,
        "n_classes": ds.n_classes,
        "lam": lam,
        "C": 1.0 / lam,
        "fit_intercept": case.fit_intercept,
        "p_star": ref.p_star,
        "p_null": ref.p_null,
        "reference": {
            "source": ref.source,
            "p_star": ref.p_star,
            "certificate": ref.gap,
            "independent_certificate": ref.indep_gap,
            "n_iter": ref.n_iter,
            "seconds": ref.seconds,
        },
        "target": args.target,
        "solvers": {},
    }
    active = cr.prepare_solvers(solvers, ctx, args, unavailable, result["solvers"])
    cr.time_interleaved(active, ctx, args)
    finalise_p_star(result, ref, args.target)
    gc.collect()
    result["case_seconds"] = time.perf_counter() - t_case
    return result


# ----------------------------------------------------------------------------
# report


def markdown(results: list[dict], meta: dict) -> str:
    lines = [
        "# Logistic comparison: time to relative suboptimality <= "
        f"{meta['target']:g}" + (" (QUICK smoke-test sizes)" if meta["quick"] else ""),
        "",
        cr.machine_line(meta),
        "",
        "Objective: binary P = sum_i log(1 + exp(-y_i (x_i.w + b))) + lam/2 ||w||^2; "
        "multinomial (K > 2) P = sum_i -log softmax(W x_i + b)[y_i] + lam/2 ||W||_F^2 "
        "(scikit-learn C = 1/lam), computed for every solver from the coefficients it "
        "returns. rel. subopt = (P - P*)/P* against a certified reference. Competitors' "
        "tol calibrated with the reference (loosest setting reaching the target); "
        "`fastridge` uses its own certificate (tol = target * P*/P_null) without "
        "calibration. Times: median (min-max) of interleaved rounds, wall clock of the "
        "whole fit call. ratio = median / median of `fastridge`. (!) = some round missed "
        "the target.",
        "",
        "| case | n | p | nnz | K | lam | intercept | solver | setting | median s "
        "| min-max s | rel. subopt | iters | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        base = res["solvers"].get("fastridge", {}).get("median_seconds")
        for name, e in res["solvers"].items():
            head = (
                f"| {res['case']} | {res['n']:,} | {res['p']:,} | {res['nnz']:,} | "
                f"{res['n_classes']} | {res['lam']:.4g} | "
                f"{'yes' if res['fit_intercept'] else 'no'} | {name} |"
            )
            lines.append(f"{head} {cr.solver_cells(e, base)}")
    notes = list(meta.get("notes", []))
    for res in results:
        notes += [f"{res['case']}: {a}" for a in res.get("anomalies", [])]
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    lines += [
        "",
        "Reference optima (certificate = bound on P(reference) - P*; 'own' from the "
        "reference solver, 'independent' from the profiled-intercept gradient bound "
        "computed by the harness; P* lowered = a run went below the reference, within "
        "its certificate):",
        "",
        "| case | P* | P_null | source | own cert / P* | independent cert / P* "
        "| iters | seconds | P* lowered |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        r = res["reference"]
        low = res.get("p_star_lowered_by")
        low_s = f"{low['amount'] / res['p_star']:.1e} by {low['solver']}" if low else "-"
        lines.append(
            f"| {res['case']} | {res['p_star']:.12g} | {res['p_null']:.6g} | {r['source']} | "
            f"{r['certificate'] / r['p_star']:.1e} | "
            f"{r['independent_certificate'] / r['p_star']:.1e} | {r['n_iter']} | "
            f"{r['seconds']:.1f} | {low_s} |"
        )
    return "\n".join(lines) + "\n"


def select_cases(spec: str | None, quick: bool = False) -> list[ldata.Case]:
    cases = ldata.all_cases()
    if spec is None and quick:
        return [c for c in cases if c.name in ldata.QUICK_CASES]
    if not spec or spec == "all":
        return cases
    out = []
    for pat in spec.split(","):
        pat = pat.strip()
        hits = [c for c in cases if fnmatch.fnmatch(c.name, pat) or c.dataset == pat]
        if not hits:
            raise SystemExit(f"no case matches {pat!r}; cases: {', '.join(c.name for c in cases)}")
        out += [c for c in hits if c not in out]
    return out


def main(argv=None):
    ap = cr.harness_arguments(
        __doc__.split("\n\n")[0],
        cases_default=None,
        cases_help="comma list of case names, glob patterns or data sets "
        "(S, a9a, w8a, imdb1, imdb2, news20), or 'all' (the default, except with --quick: "
        "one case per data set)",
        quick_time_cap=0.5,
        quick_calib=2.0,
    )
    ap.set_defaults(solvers=",".join(DEFAULT_SOLVERS))
    ap.add_argument(
        "--max-dense-gb",
        type=float,
        default=8.0,
        help="skip sklearn newton-cholesky when its dense Hessian needs more (GB)",
    )
    ap.add_argument("--liblinear-scaling-primal", type=float, default=1000.0)
    ap.add_argument("--liblinear-scaling-dual", type=float, default=100.0)
    args = ap.parse_args(argv)
    if args.list:
        for c in ldata.all_cases():
            lam = f"lam {c.lam:g}" if c.lam is not None else f"lam {c.lam_per_n:g} n"
            print(f"{c.name:16s} data {c.dataset:7s} {lam:14s} intercept {c.fit_intercept}")
        return 0
    cr.fill_harness_defaults(args)
    cases = select_cases(args.cases, args.quick)
    solvers = make_solvers([s.strip() for s in args.solvers.split(",") if s.strip()], args)

    from threadpoolctl import threadpool_limits

    if args.blas_threads is None:
        args.blas_threads = args.threads
    threadpool_limits(args.blas_threads)
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))

    notes = []
    unavailable = {}
    for s in solvers:
        ok, why = s.available()
        if not ok:
            unavailable[s.name] = why
            log(f"[skip] {s.name}: {why}")
    if not any(isinstance(s, FastridgeLogistic) for s in solvers if s.name not in unavailable):
        notes.append("no fastridge row: the ratio column is n/a")
    notes += [
        "glmnet: Fortran splognet called directly, alpha=0, isd=0, lambda = lam/n, kopt=0; "
        "its CSC (1-based) copy is built outside the timing.",
        "liblinear penalises the intercept: with an intercept it runs with "
        f"intercept_scaling={args.liblinear_scaling_primal:g} (primal) / "
        f"{args.liblinear_scaling_dual:g} (dual); its suboptimality is measured on the "
        "objective above (unpenalised b). The -noint cases have no such difference.",
        "skglm: Logistic (mean loss) + L1_plus_L2(alpha = lam/n, l1_ratio=0) (its L2 "
        "penalty is rejected by CD and ProxNewton); outer max_iter 20, the cap applies to "
        "epochs (CD) / Newton steps; Numba compiled by a warm-up fit outside the timings.",
        "glmnet: a single small lambda can silently return a wrong model (multinomial news20 "
        "at lam = 0.1); glmnet-path times a 3-lambda path 100 lam -> lam instead.",
    ]

    meta = {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "quick": args.quick,
        "target": args.target,
        "threads": args.threads,
        "blas_threads": args.blas_threads,
        "repeats": args.repeats,
        "time_cap": args.time_cap,
        "calib_budget": args.calib_budget,
        "machine": cr.machine_info(args.threads),
        "notes": notes,
    }
    for mod in ("skglm",):
        try:
            meta["machine"][mod] = __import__(mod).__version__
        except Exception as e:
            meta["machine"][mod] = f"unavailable ({type(e).__name__})"
    log(f"[bandwidth] numpy sum over {args.bandwidth_gib:g} GiB ...")
    meta["bandwidth"] = cr.stream_bandwidth(args.bandwidth_gib, args.threads)
    log(f"[bandwidth] {json.dumps(meta['bandwidth'])}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "logistic_comparison_quick" if args.quick else "logistic_comparison"
    results = []
    t_all = time.perf_counter()
    for case in cases:
        try:
            results.append(run_case(case, solvers, args, unavailable))
        except Exception:
            tb = traceback.format_exc()
            log(tb)
            notes.append(f"case {case.name} failed: {tb.strip().splitlines()[-1]}")
        meta["total_seconds"] = time.perf_counter() - t_all
        (out / f"{stem}.json").write_text(
            json.dumps({"meta": meta, "results": results}, indent=1, default=cr._json_default)
        )
        (out / f"{stem}.md").write_text(markdown(results, meta))
    print(markdown(results, meta))
    log(f"wrote {out / (stem + '.md')} and {out / (stem + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
