"""Side-by-side ridge comparison: fastridge vs scikit-learn vs glmnet.

Usage (from the repository root)::

    python asv_benchmarks/compare_ridge.py [--cases A-1e-2-int,B] [--repeats 3]
                                           [--out bench_results/] [--quick]

Measures, for every case and solver, the wall time to reach a relative suboptimality
``(P(w, b) - P*) / P* <= 1e-8`` of the ridge objective of DESIGN.md section 1
(``P = 1/2 ||y - X w - b||^2 + lam/2 ||w||^2``), where P* comes from an independent,
certified reference solve (see ``_compare_data.py``).

Method
------
* Threads: BLAS is limited to ``--threads`` (default 2; ``--blas-threads`` overrides)
  with threadpoolctl for the whole run; fastridge gets ``n_threads=--threads``.
  scikit-learn's sparse solvers (scipy sparse products) and glmnet are single-threaded
  apart from BLAS-1 calls.  On a loaded machine, 2-thread BLAS-1 calls on short vectors
  can stall (a worker waits for a descheduled thread): lsqr/sparse_cg then show a large
  min-max spread.
* scikit-learn's ``Ridge(solver="sag")`` with sparse X and an intercept silently runs
  ``sparse_cg`` unless ``max_iter is None and tol > 1e-4``; the harness therefore runs
  Ridge's own sag branch (centre y, sag fits the intercept) through the public
  ``sklearn.linear_model.ridge_regression(..., solver="sag", return_intercept=True)``,
  and every other sklearn run checks ``Ridge.solver_``.
* Calibration: a competitor's stopping knob (``tol`` / ``thr``) is not the
  suboptimality, so for each (case, solver) the harness searches a decade ladder of
  tolerances (starting near a typical value, moving looser while the target is still
  reached, tighter until it is, then one half-decade refinement) for the *loosest* tol
  that reaches the target, and times that setting.  This uses the reference P*, an
  oracle advantage no user has: it is the competitors' best case.
* fastridge rows: ``fastridge`` uses ``tol = target * P*/P_null``, so its own
  certificate (``certificate <= tol * P_null``) proves ``(P - P*)/P* <= target``
  without calibration (the honest, certified setting); ``fastridge-cal`` is
  calibrated like the competitors; ``fastridge-tol`` is the plain ``tol=target``
  (certificate <= target * P_null, i.e. relative to P_null, not P*).
* Time cap: every run gets an iteration cap worth about ``--time-cap`` seconds
  (per-iteration cost probed with two short runs); a solver that cannot reach the
  target within it is reported as "did not reach" with the best suboptimality seen.
  scikit-learn's ``sparse_cg`` ignores ``max_iter`` when p > n (its dual branch), so
  it has no cap there.
* Timing: after calibration (which also warms up caches and Numba), ``--repeats``
  rounds; in each round every solver runs once (order rotated between rounds). The
  table gives the median, min and max, and the worst suboptimality over the rounds.
* glmnet: python-glmnet's estimator picks the covariance algorithm (``ka=1``) when
  n > p, which allocates p x nx doubles (80 GB on case A), so the harness calls the
  Fortran ``spelnet`` directly with ``ka=2`` (naive algorithm), ``alpha=0`` (ridge),
  ``isd=0`` (no standardisation), unit weights.  glmnet minimises
  ``1/2 sum_i w_i (y_i - ...)^2 + lam_g/2 ||w||^2`` with weights normalised to sum 1,
  *after* dividing y by ``ys = sqrt(mean((y - mean(y))^2))`` and lam_g by ys, so the
  harness passes ``lam_g = lam * ys / n`` (checked against the reference: the table's
  suboptimality column is computed on the objective above for every solver).  The CSC
  copy with 1-based indices it needs is built once per case outside the timings
  (reported as ``prep_seconds``), which favours glmnet.
* Stream bandwidth: best of 5 ``numpy.sum`` over a 1 GiB float64 array (0.25 GiB with
  ``--quick``), with one thread and with ``--threads`` threads (parts summed
  concurrently), in the same run.
* ``--quick``: tiny versions of every case (``_compare_data.QUICK_DATASETS``), a 1 s
  time cap and 4 s of calibration per solver and case: a smoke test (under a minute on
  an idle 2-core machine), not a measurement.

Outputs ``OUT/ridge_comparison.md`` (table) and ``OUT/ridge_comparison.json`` (every run,
calibration ladder, probes, machine, bandwidth); ``--quick`` writes
``ridge_comparison_quick.*``.  Both files are rewritten after every case.
"""

from __future__ import annotations

import argparse
import fnmatch
import gc
import inspect
import json
import math
import os
import platform
import sys
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

import _compare_data as cdata  # noqa: E402

LADDER = [10.0 ** (-k) for k in range(2, 17)]  # 1e-2 ... 1e-16


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------
# solvers


@dataclass
class FitOut:
    coef: np.ndarray | None
    intercept: float
    n_iter: int | None = None
    hit_cap: bool = False
    extra: dict = field(default_factory=dict)


class Solver:
    name = "?"
    start_tol = 1e-6
    calibrate = True  # search the tol ladder
    probe_iters = (2, 6)  # runs used to estimate seconds per iteration (None: no cap)

    def available(self) -> tuple[bool, str]:
        return True, ""

    def prepare(self, ctx) -> object:
        return None

    def fit(self, ctx, state, tol: float, max_iter: int | None) -> FitOut:
        raise NotImplementedError

    def setting(self, tol: float) -> str:
        return f"tol={tol:.3g}"

    def no_cap(self, ctx) -> str | None:
        """Why this solver cannot be given an iteration cap on ctx (None: it can)."""
        return None

    def skip_reason(self, ctx) -> str | None:
        """Why this solver does not run on ctx's case at all (None: it runs)."""
        return None


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


def glmnet_prepare(X, y, lams) -> dict:
    """glmnet's inputs, built once outside the timings: a CSC copy of ``X`` with
    1-based int32 indices, and ``ulam`` = the ``lams`` in glmnet's scaling.

    glmnet divides ``y`` and lambda by ``ys = sqrt(mean((y - ybar)^2))`` and uses
    weights summing to 1, so ``lam`` of ``1/2 ||y - Xw - b||^2 + lam/2 ||w||^2`` is
    ``lam * ys / n`` for it.
    """
    t0 = time.perf_counter()
    Xc = X.tocsc()
    st = {
        "data": np.ascontiguousarray(Xc.data, dtype=np.float64),
        "ip": (Xc.indptr + 1).astype(np.int32),
        "ix": (Xc.indices + 1).astype(np.int32),
    }
    del Xc
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
        try:
            from glmnet._glmnet import solns, spelnet  # noqa: F401
        except Exception as e:  # pragma: no cover
            return False, f"python-glmnet not importable: {e!r}"
        return True, ""

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


def _fastridge_ridge():
    import fastridge

    fn = fastridge.ridge
    return fn, set(inspect.signature(fn).parameters)


class Fastridge(Solver):
    start_tol = 1e-8

    def __init__(self, variant: str, threads: int):
        self.variant = variant
        self.threads = threads
        self.name = {
            "cert": "fastridge",
            "cal": "fastridge-cal",
            "tol": "fastridge-tol",
            "csc-cd": "fastridge-csc-cd",
        }[variant]
        self.calibrate = variant == "cal"
        self.probe_iters = None

    def available(self):
        try:
            _fastridge_ridge()
        except Exception as e:
            return False, f"fastridge.ridge not available ({type(e).__name__}: {e})"
        return True, ""

    def prepare(self, ctx):
        # Like glmnet's column-major copy, the CSC copy is made outside the timing.
        return ctx.ds.X.tocsc() if self.variant == "csc-cd" else None

    def fixed(self, ctx):
        if self.variant in ("cert", "csc-cd"):
            return ctx.target * ctx.ref.p_star / ctx.ref.p_null
        return ctx.target

    def fit(self, ctx, state, tol, max_iter):
        fn, params = _fastridge_ridge()
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

    def setting(self, tol):
        label = {
            "cert": "certified",
            "cal": "calibrated",
            "tol": "plain",
            "csc-cd": "certified, CSC input",
        }[self.variant]
        return f"tol={tol:.3g} ({label})"


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
    out = []
    for n in names:
        if n not in table:
            raise SystemExit(f"unknown solver {n!r}; choose from {', '.join(table)}")
        out.append(table[n]())
    return out


DEFAULT_SOLVERS = [
    "fastridge",
    "fastridge-cal",
    "fastridge-csc-cd",
    "sklearn-sparse_cg",
    "sklearn-lsqr",
    "sklearn-sag",
    "glmnet-naive",
]

# ----------------------------------------------------------------------------
# running


@dataclass
class Ctx:
    case: cdata.Case
    ds: cdata.Dataset
    lam: float
    ref: cdata.Reference
    target: float
    time_cap: float

    def objective(self, coef, intercept) -> float:
        return cdata.objective(self.ds.X, self.ds.y, self.lam, coef, intercept)


@dataclass
class Run:
    tol: float
    seconds: float
    rel_subopt: float  # (P - P*) / P*
    null_subopt: float  # (P - P*) / P_null
    n_iter: int | None
    hit_cap: bool
    max_iter: int | None
    error: str | None = None
    extra: dict = field(default_factory=dict)
    objective: float | None = None  # P(coef, intercept)

    def reached(self, target):
        return self.error is None and self.rel_subopt <= target


def timed(fn, *args):
    """Wall time of fn(*args) with the cyclic garbage collector paused (collected before;
    long-lived objects are frozen at the start of each case, so this is cheap)."""
    gc.collect()
    gc.disable()
    t0 = time.perf_counter()
    try:
        out = fn(*args)
    finally:
        secs = time.perf_counter() - t0
        gc.enable()
    return out, secs


def run_once(solver: Solver, ctx, state, tol: float, max_iter: int | None) -> Run:
    """One timed fit; the suboptimality is computed with ``ctx.objective`` against
    ``ctx.ref.p_star`` (any ctx with ``objective``, ``ref``, ``time_cap`` works)."""
    t0 = time.perf_counter()
    try:
        out, secs = timed(solver.fit, ctx, state, tol, max_iter)
    except Exception as e:
        secs = time.perf_counter() - t0
        log(f"      {solver.name} tol={tol:.1e}: ERROR {type(e).__name__}: {e}")
        return Run(
            tol, secs, math.inf, math.inf, None, False, max_iter, f"{type(e).__name__}: {e}"
        )
    P = None
    if out.coef is None:
        rel = null = math.inf
    else:
        P = ctx.objective(out.coef, out.intercept)
        rel = (P - ctx.ref.p_star) / abs(ctx.ref.p_star)
        null = (P - ctx.ref.p_star) / ctx.ref.p_null
        cert = out.extra.get("certificate")
        if cert is not None:
            # a valid certificate is >= P - P_true* >= P - p_star (p_star >= P_true*)
            out.extra["certificate_ok"] = bool(cert >= P - ctx.ref.p_star - 1e-12 * abs(P))
    hit = out.hit_cap or (ctx.time_cap is not None and secs > ctx.time_cap)
    r = Run(tol, secs, rel, null, out.n_iter, hit, max_iter, None, out.extra, P)
    log(
        f"      {solver.name:18s} {solver.setting(tol):32s} {secs:8.3f} s  rel.subopt {rel:9.2e}"
        f"  iters {out.n_iter}{'  [cap]' if hit else ''}"
    )
    return r


def probe_cap(solver: Solver, ctx, state, probe_fit=None) -> tuple[int | None, dict]:
    """Iteration cap worth about ctx.time_cap seconds, from two short runs.

    ``probe_fit(m)`` runs the solver with an ``m``-iteration cap (default: one
    ``solver.fit`` at an unreachable tol); the path harness passes its own.
    """
    if probe_fit is None:

        def probe_fit(m):
            timed(solver.fit, ctx, state, 1e-30, m)

    if solver.probe_iters is None:
        return None, {}
    why = solver.no_cap(ctx)
    if why:
        return None, {"note": why}
    m1, m2 = solver.probe_iters
    times = []
    for m in (m1, m2):
        t0 = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                probe_fit(m)
        except Exception:
            pass
        times.append(time.perf_counter() - t0)
    per_iter = max((times[1] - times[0]) / (m2 - m1), times[1] / m2 / 4, 1e-7)
    cap = int(max(m2 + 1, min(ctx.time_cap / per_iter, 10**7)))
    info = {"probe_seconds": times, "seconds_per_iter": per_iter, "max_iter": cap}
    log(f"    {solver.name}: ~{per_iter * 1e3:.2f} ms/iteration -> max_iter {cap}")
    return cap, info


def calibrate(
    solver: Solver, ctx, state, max_iter, budget: float, run=None
) -> tuple[float | None, list[Run], str]:
    """Loosest tol on the ladder (plus one half-decade refinement) reaching ctx.target.

    ``run(solver, ctx, state, tol, max_iter)`` makes one timed run (default
    :func:`run_once`); it returns an object with ``reached(target)``,
    ``hit_cap`` and ``error`` (the path harness passes its own).
    """
    run = run_once if run is None else run
    runs: list[Run] = []
    t_start = time.perf_counter()
    cache: dict[float, Run] = {}

    def at(tol):
        if tol not in cache:
            cache[tol] = run(solver, ctx, state, tol, max_iter)
            runs.append(cache[tol])
        return cache[tol]

    def over_budget():
        return time.perf_counter() - t_start > budget

    i = min(range(len(LADDER)), key=lambda k: abs(math.log10(LADDER[k] / solver.start_tol)))
    r = at(LADDER[i])
    if r.reached(ctx.target):
        while i > 0 and not over_budget():
            if at(LADDER[i - 1]).reached(ctx.target):
                i -= 1
            else:
                break
    else:
        while True:
            if r.hit_cap or r.error:
                return None, runs, "did not reach (time cap)" if r.hit_cap else f"error: {r.error}"
            if i == len(LADDER) - 1:
                return None, runs, "did not reach (tolerance ladder exhausted)"
            if over_budget():
                return None, runs, "did not reach (calibration budget)"
            i += 1
            r = at(LADDER[i])
            if r.reached(ctx.target):
                break
    best = LADDER[i]
    if i > 0 and LADDER[i - 1] in cache and not over_budget():
        mid = math.sqrt(LADDER[i] * LADDER[i - 1])
        if at(mid).reached(ctx.target):
            best = mid
    return best, runs, "ok"


def prepare_solvers(
    solvers, ctx, args, unavailable: dict, entries: dict, *, run=None, probe=None, subopt=None
) -> list:
    """Prepare, probe the iteration cap and calibrate every solver on ctx.

    Fills ``entries[solver.name]``; returns the solvers that reached the target as
    ``(solver, state, tol, max_iter, entry)`` tuples for :func:`time_interleaved`.
    ``run`` / ``probe`` (default :func:`run_once` / :func:`probe_cap`) and
    ``subopt`` (a run's suboptimality, default ``run.rel_subopt``) let the path
    harness reuse this with its own runs."""
    run = run_once if run is None else run
    probe_cap_ = probe_cap if probe is None else probe
    subopt = (lambda r: r.rel_subopt) if subopt is None else subopt
    active = []
    for s in solvers:
        if s.name in unavailable:
            entries[s.name] = {"status": "skipped", "note": unavailable[s.name]}
            continue
        why = s.skip_reason(ctx) if hasattr(s, "skip_reason") else None
        if why:
            log(f"    {s.name}: skipped ({why})")
            entries[s.name] = {"status": "skipped", "note": why}
            continue
        entry = {"status": "?", "calibration": [], "runs": []}
        entries[s.name] = entry
        try:
            state = s.prepare(ctx)
        except Exception as e:
            entry.update(status="error", note=f"prepare failed: {e!r}")
            continue
        if isinstance(state, dict) and "prep_seconds" in state:
            entry["prep_seconds"] = state["prep_seconds"]
        max_iter, entry["probe"] = probe_cap_(s, ctx, state)
        if s.calibrate:
            tol, runs, status = calibrate(s, ctx, state, max_iter, args.calib_budget, run=run)
            entry["calibration"] = [asdict(r) for r in runs]
        else:
            tol = s.fixed(ctx)
            warm = run(s, ctx, state, tol, max_iter)  # warm-up (Numba dispatch, caches)
            runs = [warm]
            entry["calibration"] = [asdict(warm)]
            status = "ok" if warm.error is None else f"error: {warm.error}"
            if warm.error is not None:
                tol = None
        entry["status"] = status
        entry["tol"] = tol
        entry["setting"] = s.setting(tol) if tol is not None else None
        if tol is None:
            best = min((r for r in runs if r.error is None), key=subopt, default=None)
            if best is not None:
                entry["best"] = asdict(best)
            state = None
            continue
        active.append((s, state, tol, max_iter, entry))
    return active


def time_interleaved(active: list, ctx, args) -> None:
    """``args.repeats`` rounds, every solver once per round (order rotated); summaries
    (median/min/max seconds, worst suboptimality, median iterations) into each entry."""
    log(f"  timing: {args.repeats} interleaved rounds x {len(active)} solvers")
    for rep in range(args.repeats):
        k = rep % max(len(active), 1)
        for s, state, tol, max_iter, entry in active[k:] + active[:k]:
            entry["runs"].append(asdict(run_once(s, ctx, state, tol, max_iter)))
    for *_, entry in active:
        summarise(entry, args.target)
    active.clear()


def summarise(entry: dict, target: float) -> None:
    times = [r["seconds"] for r in entry["runs"]]
    subs = [r["rel_subopt"] for r in entry["runs"]]
    entry["median_seconds"] = float(np.median(times))
    entry["min_seconds"] = float(np.min(times))
    entry["max_seconds"] = float(np.max(times))
    entry["worst_rel_subopt"] = float(np.max(subs))
    entry["all_reached"] = bool(all(x <= target for x in subs))
    its = [r["n_iter"] for r in entry["runs"] if r["n_iter"] is not None]
    entry["n_iter"] = int(np.median(its)) if its else None


def run_case(case: cdata.Case, solvers: list[Solver], args, unavailable: dict) -> dict:
    log(f"\n=== case {case.name} ===")
    t_case = time.perf_counter()
    gc.collect()
    gc.freeze()  # modules, compiled code: out of the collector's way
    ds = cdata.load_dataset(case.dataset, quick=args.quick)
    lam = case.rho * ds.sigma_max_sq
    ref = cdata.reference(ds, lam, case.fit_intercept)
    n, p = ds.shape
    ctx = Ctx(case, ds, lam, ref, args.target, args.time_cap)
    log(
        f"  {n} x {p}, nnz {ds.nnz}, lam = {lam:.6g}, P* = {ref.p_star:.10g}, "
        f"P_null = {ref.p_null:.6g}, reference certificate/P* = {ref.gap / ref.p_star:.1e}"
    )
    result = {
        "case": case.name,
        "dataset": case.dataset,
        "description": ds.description,
        "n": n,
        "p": p,
        "nnz": ds.nnz,
        "rho": case.rho,
        "lam": lam,
        "sigma_max_sq": ds.sigma_max_sq,
        "fit_intercept": case.fit_intercept,
        "p_star": ref.p_star,
        "p_null": ref.p_null,
        "reference": {"certificate": ref.gap, "n_iter": ref.n_iter, "seconds": ref.seconds},
        "target": args.target,
        "solvers": {},
    }

    active = prepare_solvers(solvers, ctx, args, unavailable, result["solvers"])
    time_interleaved(active, ctx, args)
    active.clear()
    gc.collect()
    result["case_seconds"] = time.perf_counter() - t_case
    return result


# ----------------------------------------------------------------------------
# machine


def stream_bandwidth(gib: float, threads: int) -> dict:
    nbytes = int(gib * 2**30)
    a = np.ones(nbytes // 8)
    a.sum()

    def best(fn):
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return nbytes / min(ts) / 1e9

    one = best(a.sum)
    multi = None
    if threads > 1:
        parts = np.array_split(a, threads)
        with ThreadPoolExecutor(threads) as ex:
            multi = best(lambda: sum(ex.map(np.sum, parts)))
    del a
    return {
        "bytes": nbytes,
        "gbs_1_thread": one,
        f"gbs_{threads}_threads": multi,
        "gbs": max(one, multi or 0),
    }


def machine_info(threads: int) -> dict:
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "host": platform.node(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "blas": [
            {k: d.get(k) for k in ("internal_api", "version", "num_threads")}
            for d in threadpool_info()
        ],
    }
    for mod in ("numba", "glmnet", "fastridge"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", "?")
        except Exception as e:
            info[mod] = f"unavailable ({type(e).__name__})"
    return info


# ----------------------------------------------------------------------------
# report


def fmt_t(x):
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:.3g}" if x < 100 else f"{x:.0f}"


def machine_line(meta: dict) -> str:
    """Date, CPU, threads and the stream bandwidth of the run, one line of markdown."""
    bw = meta.get("bandwidth", {})
    multi_key = f"gbs_{meta['threads']}_threads"
    mach = meta["machine"]
    bw_gib = bw.get("bytes", 2**30) / 2**30
    return (
        f"{mach['date']}, {mach['cpu']} ({mach['cpu_count']} cores), "
        f"{meta['threads']} threads; stream bandwidth "
        f"(numpy sum over {bw_gib:g} GiB float64, best of 5): "
        f"{bw.get('gbs_1_thread', float('nan')):.1f} GB/s one thread, "
        f"{(bw.get(multi_key) or float('nan')):.1f} GB/s {meta['threads']} threads."
    )


def solver_cells(e: dict, base: float | None) -> str:
    """The table cells after the solver name: setting | median | min-max | rel. subopt
    | iters | ratio (``base``: median seconds of the reference row)."""
    if "median_seconds" in e:
        ratio = f"{e['median_seconds'] / base:.2f}" if base else "n/a"
        flag = "" if e["all_reached"] else " (!)"
        its = e["n_iter"] if e["n_iter"] is not None else "-"
        setting = e["setting"]
        inner = {r["extra"].get("solver") for r in e["runs"]} - {None}
        if inner:  # fastridge: the solver "auto" picked
            setting += " " + "/".join(sorted(inner))
        if any(r["extra"].get("certificate_ok") is False for r in e["runs"]):
            flag += " (certificate below true suboptimality!)"
        return (
            f"{setting} | {fmt_t(e['median_seconds'])} | "
            f"{fmt_t(e['min_seconds'])}-{fmt_t(e['max_seconds'])} | "
            f"{e['worst_rel_subopt']:.1e}{flag} | {its} | {ratio} |"
        )
    if e.get("status") in ("skipped", "unavailable"):
        note = f": {e['note']}" if e.get("note") else ""
        return f"{e['status']}{note} | - | - | - | - | - |"
    b = e.get("best")
    best = (
        f"best {b['rel_subopt']:.1e} in {fmt_t(b['seconds'])} s"
        if b and np.isfinite(b["rel_subopt"])
        else "no solution returned"
    )
    return f"{e.get('status', '?')} | - | - | {best} | - | - |"


def markdown(results: list[dict], meta: dict) -> str:
    lines = [
        "# Ridge comparison: time to relative suboptimality <= "
        f"{meta['target']:g}" + (" (QUICK smoke-test sizes)" if meta["quick"] else ""),
        "",
        machine_line(meta),
        "",
        "Objective P = 1/2 ||y - Xw - b||^2 + lam/2 ||w||^2, lam = rho ||X||_2^2 (raw X). "
        "rel. subopt = (P - P*)/P* against a certified reference. Competitors' tol calibrated "
        "with the reference (loosest setting reaching the target); `fastridge` uses its own "
        "certificate (tol = target * P*/P_null) without calibration. Times: median (min-max) of "
        "interleaved rounds, wall clock of the whole fit call. "
        "ratio = median / median of `fastridge`.",
        "",
        "| case | n | p | nnz | rho | lam | solver | setting | median s | min-max s "
        "| rel. subopt | iters | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        base = res["solvers"].get("fastridge", {}).get("median_seconds")
        for name, e in res["solvers"].items():
            head = (
                f"| {res['case']} | {res['n']:,} | {res['p']:,} | {res['nnz']:,} | "
                f"{res['rho']:g} | {res['lam']:.4g} | {name} |"
            )
            lines.append(f"{head} {solver_cells(e, base)}")
    notes = meta.get("notes", [])
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    lines += [
        "",
        "Reference optima (Jacobi-PCG on the profiled normal equations, certified):",
        "",
        "| case | P* | P_null | reference certificate / P* | PCG iters | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for res in results:
        r = res["reference"]
        lines.append(
            f"| {res['case']} | {res['p_star']:.10g} | {res['p_null']:.6g} | "
            f"{r['certificate'] / res['p_star']:.1e} | {r['n_iter']} | {r['seconds']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def _json_default(o):
    if isinstance(o, np.integer | np.floating | np.bool_):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def select_cases(spec: str | None) -> list[cdata.Case]:
    cases = cdata.all_cases()
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


def harness_arguments(description, *, cases_default, cases_help, quick_time_cap, quick_calib):
    """The command-line options both comparison harnesses share (an ``ArgumentParser``)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--cases", default=cases_default, help=cases_help)
    ap.add_argument("--solvers", help="comma list of solvers")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default="bench_results")
    ap.add_argument(
        "--quick", action="store_true", help="tiny versions of every case (smoke test)"
    )
    ap.add_argument("--target", type=float, default=1e-8, help="relative suboptimality to reach")
    ap.add_argument(
        "--time-cap",
        type=float,
        default=None,
        help=f"seconds per run (default 120, quick {quick_time_cap:g})",
    )
    ap.add_argument(
        "--calib-budget",
        type=float,
        default=None,
        help=f"seconds of calibration per solver and case (default 900, quick {quick_calib:g})",
    )
    ap.add_argument("--threads", type=int, default=2, help="fastridge n_threads and BLAS threads")
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="BLAS threads (default: --threads); 1 avoids BLAS thread stalls on a loaded machine",
    )
    ap.add_argument("--bandwidth-gib", type=float, default=None, help="default 1 (quick 0.25)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.set_defaults(_quick_time_cap=quick_time_cap, _quick_calib=quick_calib)
    return ap


def fill_harness_defaults(args) -> None:
    """Defaults of the shared options that depend on ``--quick``."""
    if args.time_cap is None:
        args.time_cap = args._quick_time_cap if args.quick else 120.0
    if args.calib_budget is None:
        args.calib_budget = args._quick_calib if args.quick else 900.0
    if args.bandwidth_gib is None:
        args.bandwidth_gib = 0.25 if args.quick else 1.0


def main(argv=None):
    ap = harness_arguments(
        __doc__.split("\n\n")[0],
        cases_default="all",
        cases_help="comma list of case names, glob patterns or data sets (A, B, C1, C2)",
        quick_time_cap=1.0,
        quick_calib=4.0,
    )
    ap.set_defaults(solvers=",".join(DEFAULT_SOLVERS))
    args = ap.parse_args(argv)
    if args.list:
        for c in cdata.all_cases():
            print(f"{c.name:16s} data {c.dataset:3s} rho {c.rho:g} intercept {c.fit_intercept}")
        return 0
    fill_harness_defaults(args)
    cases = select_cases(args.cases)
    solvers = make_solvers([s.strip() for s in args.solvers.split(",") if s.strip()], args.threads)

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
    if any(isinstance(s, Fastridge) for s in solvers) and any(
        n.startswith("fastridge") for n in unavailable
    ):
        why = next(v for k, v in unavailable.items() if k.startswith("fastridge"))
        notes.append(f"fastridge skipped: {why}")
    if not any(isinstance(s, Fastridge) for s in solvers if s.name not in unavailable):
        notes.append("no fastridge row: the ratio column is n/a")
    if "numba" in sys.modules:
        try:
            import numba

            numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
        except Exception:
            pass
    notes.append(
        "glmnet: Fortran spelnet called directly with ka=2 (naive), alpha=0, isd=0, "
        "lambda = lam*sd(y)/n; its CSC (1-based) copy is built outside the timing."
    )
    notes.append(
        "sklearn-sparse_cg has no iteration cap when p > n "
        "(sklearn does not pass max_iter to its dual CG)."
    )

    meta = {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "quick": args.quick,
        "target": args.target,
        "threads": args.threads,
        "blas_threads": args.blas_threads,
        "repeats": args.repeats,
        "time_cap": args.time_cap,
        "machine": machine_info(args.threads),
        "notes": notes,
    }
    log(f"[bandwidth] numpy sum over {args.bandwidth_gib:g} GiB ...")
    meta["bandwidth"] = stream_bandwidth(args.bandwidth_gib, args.threads)
    log(f"[bandwidth] {json.dumps(meta['bandwidth'])}")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = "ridge_comparison_quick" if args.quick else "ridge_comparison"
    results = []
    for case in cases:
        try:
            results.append(run_case(case, solvers, args, unavailable))
        except Exception:
            tb = traceback.format_exc()
            log(tb)
            notes.append(f"case {case.name} failed: {tb.strip().splitlines()[-1]}")
        # write after every case so a long run keeps what it measured
        (out / f"{stem}.json").write_text(
            json.dumps({"meta": meta, "results": results}, indent=1, default=_json_default)
        )
        (out / f"{stem}.md").write_text(markdown(results, meta))
    table = markdown(results, meta)
    print(table)
    log(f"wrote {out / (stem + '.md')} and {out / (stem + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
