"""The ridge-path comparison (``compare_path.py``; method in its docstring).

Job: for every data set, the 50-lam grid and its certified references, calibrate
every peer of :mod:`harness.peers.path` on the *worst* point of the path, time them
in interleaved rounds, then the cross-validation timings of :mod:`harness.cv`;
``OUT.{md,json}`` are rewritten after every data set.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import log
from .calibration import prepare_solvers
from .calibration import probe_cap as probe_cap_single
from .cli import limit_threads, set_numba_threads, solver_names
from .cv import run_cv
from .data import RHO_MAX, RHO_MIN, Dataset, grid_for, load_dataset
from .path_tables import path_markdown
from .peers.path import SOLVERS, PathSolver, SklearnLoop
from .reference import objective, reference
from .session import add_bandwidth, check_available, run_each, run_meta
from .tables import write_json
from .timing import summarise_seconds, time_interleaved, timed, timed_fit

DEFAULT_SOLVERS = list(SOLVERS)

NOTES = [
    "glmnet: Fortran spelnet called directly (ka=2 naive, alpha=0, isd=0, nlam = grid "
    "size, ulam = lam*sd(y)/n), one call for the whole path; its CSC copy is made "
    "outside the timing.",
    "scikit-learn: Ridge(alpha=lam, solver=...) fitted independently at every lam "
    "(no path, no warm start); sparse_cg has no iteration cap when p > n.",
]


@dataclass
class PathCtx:
    ds: Dataset
    lams: np.ndarray  # decreasing
    p_star: np.ndarray  # reference optimum per lam
    ref_gap: np.ndarray  # reference certificate per lam
    p_null: float
    target: float
    time_cap: float
    threads: int

    def suboptimality(self, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """``(P_j - P*_j) / P*_j`` for each row ``coef[j]`` (inf where the row is NaN)."""
        out = np.full(len(self.lams), math.inf)
        for j, lam in enumerate(self.lams):
            if j >= coef.shape[0] or not np.all(np.isfinite(coef[j])):
                continue
            P = objective(self.ds.X, self.ds.y, lam, coef[j], float(intercept[j]))
            out[j] = (P - self.p_star[j]) / abs(self.p_star[j])
        return out


@dataclass
class PathRun:
    tol: float
    seconds: float
    worst_rel_subopt: float
    worst_at: int  # index into the grid of the worst point
    n_reached: int  # points within the target
    n_iter: int | None
    hit_cap: bool
    max_iter: int | None
    error: str | None = None
    extra: dict = field(default_factory=dict)

    def reached(self, target: float) -> bool:
        return self.error is None and self.worst_rel_subopt <= target


def run_once(solver: PathSolver, ctx: PathCtx, state, tol, max_iter) -> PathRun:
    out, secs, error = timed_fit(solver, ctx, state, tol, max_iter)
    if error is not None:
        return PathRun(tol, secs, math.inf, -1, 0, None, False, max_iter, error)
    rel = ctx.suboptimality(out.coef, out.intercept)
    worst_at = int(np.argmax(rel))
    cert = out.extra.get("certificate")
    if cert is not None and len(cert) == len(rel):
        # a valid certificate bounds P_j - P_true* >= P_j - p_star_j (p_star >= P_true*)
        gap = rel * np.abs(ctx.p_star)
        ok = np.asarray(cert) >= gap - 1e-12 * np.abs(ctx.p_star)
        out.extra["certificate_ok"] = bool(np.all(ok[np.isfinite(gap)]))
        out.extra.pop("certificate")
        out.extra["max_certificate_over_p_null"] = float(np.max(cert) / ctx.p_null)
    hit = out.hit_cap or (ctx.time_cap is not None and secs > ctx.time_cap)
    r = PathRun(
        tol,
        secs,
        float(rel[worst_at]),
        worst_at,
        int(np.sum(rel <= ctx.target)),
        out.n_iter,
        hit,
        max_iter,
        None,
        out.extra,
    )
    log(
        f"      {solver.name:24s} {solver.setting(tol):30s} {secs:8.3f} s  worst rel.subopt "
        f"{r.worst_rel_subopt:9.2e} (lam #{worst_at}), {r.n_reached}/{len(rel)} reached"
        f"{'  [cap]' if hit else ''}"
    )
    return r


def probe_cap(solver: PathSolver, ctx: PathCtx, state) -> tuple[int | None, dict]:
    """Iteration cap worth about ``ctx.time_cap`` seconds, from two short runs."""
    mid = len(ctx.lams) // 2

    def probe_fit(m):
        if isinstance(solver, SklearnLoop):  # per-fit iterations: one fit
            timed(solver.fit, ctx, state, 1e-30, m, ctx.lams[mid : mid + 1])
        else:  # glmnet: passes for the whole path
            timed(solver.fit, ctx, state, 1e-30, m)

    return probe_cap_single(solver, ctx, state, probe_fit)


def prepare_and_calibrate(solvers, ctx, args, unavailable, entries) -> list:
    """:func:`harness.calibration.prepare_solvers` with this harness's path runs and caps."""
    return prepare_solvers(
        solvers,
        ctx,
        args,
        unavailable,
        entries,
        run=run_once,
        probe=probe_cap,
        subopt=lambda r: r.worst_rel_subopt,
    )


def summarise_path(entry: dict, target: float) -> None:
    """Times, worst point over the rounds, iterations, passes, certificates."""
    summarise_seconds(entry)
    runs = entry["runs"]
    entry["worst_rel_subopt"] = float(max(r["worst_rel_subopt"] for r in runs))
    entry["all_reached"] = bool(all(r["worst_rel_subopt"] <= target for r in runs))
    its = [r["n_iter"] for r in runs if r["n_iter"] is not None]
    entry["n_iter"] = int(np.median(its)) if its else None
    passes = [r["extra"].get("n_passes") for r in runs if r["extra"].get("n_passes")]
    entry["n_passes"] = int(np.median(passes)) if passes else None
    entry["certificate_ok"] = all(r["extra"].get("certificate_ok", True) for r in runs)


def references(ds, lams) -> tuple[np.ndarray, np.ndarray, float, float]:
    """``(p_star, gap, p_null, seconds)`` from the cached per-lam references."""
    p_star, gap, secs, p_null = [], [], 0.0, None
    for j, lam in enumerate(lams):
        ref = reference(ds, float(lam), True)
        if j % 10 == 0:
            log(f"  [ref] {j + 1}/{len(lams)} lam={lam:.4g}: P* = {ref.p_star:.10g}")
        p_star.append(ref.p_star)
        gap.append(ref.gap)
        secs += ref.seconds
        p_null = ref.p_null
    return np.array(p_star), np.array(gap), float(p_null), secs


def run_dataset(key, solvers, args, unavailable) -> dict:
    log(f"\n=== data set {key} ===")
    t0 = time.perf_counter()
    gc.collect()
    gc.freeze()
    ds = load_dataset(key, quick=args.quick)
    lams = grid_for(ds, args.n_lams)
    p_star, gap, p_null, ref_secs = references(ds, lams)
    n, p = ds.shape
    ctx = PathCtx(ds, lams, p_star, gap, p_null, args.target, args.time_cap, args.threads)
    log(
        f"  {n} x {p}, nnz {ds.nnz}, lam {lams[0]:.4g} .. {lams[-1]:.4g}, P_null {p_null:.6g}, "
        f"worst reference certificate/P* {np.max(gap / p_star):.1e}"
    )
    result = {
        "dataset": key,
        "description": ds.description,
        "n": n,
        "p": p,
        "nnz": ds.nnz,
        "sigma_max_sq": ds.sigma_max_sq,
        "rho": [RHO_MAX, RHO_MIN],
        "lams": lams,
        "p_star": p_star,
        "p_null": p_null,
        "reference": {
            "max_certificate_over_p_star": float(np.max(gap / p_star)),
            "seconds_total": ref_secs,
        },
        "target": args.target,
        "solvers": {},
    }
    active = prepare_and_calibrate(solvers, ctx, args, unavailable, result["solvers"])
    time_interleaved(active, ctx, args.repeats, run_once, lambda e: summarise_path(e, ctx.target))
    active.clear()
    gc.collect()
    result["seconds"] = time.perf_counter() - t0
    return result


def main(args, argv=None) -> int:
    """Run the comparison for parsed ``args`` (:func:`harness.cli.path_arguments`)."""
    limit_threads(args)
    names = solver_names(args)
    unknown = set(names) - set(SOLVERS)
    if unknown:
        raise SystemExit(f"unknown solvers {sorted(unknown)}; choose from {', '.join(SOLVERS)}")
    solvers = [SOLVERS[n]() for n in names]
    unavailable = check_available(solvers)
    set_numba_threads(args.threads)
    notes = NOTES + [f"{k} skipped: {v}" for k, v in unavailable.items()]
    keys = ["quick", "target", "n_lams", "threads", "blas_threads", "repeats", "time_cap"]
    meta = run_meta(args, notes, keys, argv)
    add_bandwidth(meta, args)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results, cv_results = [], []

    def write():
        payload = {"meta": meta, "results": results, "cross_validation": cv_results}
        write_json(out.with_suffix(".json"), payload)
        out.with_suffix(".md").write_text(path_markdown(results, cv_results, meta))

    def run_one(key):
        return run_dataset(key, solvers, args, unavailable)

    def run_one_cv(key):
        ds = load_dataset(key, quick=args.quick)
        return run_cv(ds, grid_for(ds, args.n_lams), args)

    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    run_each(datasets, run_one, results, notes, lambda k: f"data set {k}", write)
    cv_datasets = [d.strip() for d in args.cv_datasets.split(",") if d.strip()]
    run_each(
        cv_datasets, run_one_cv, cv_results, notes, lambda k: f"cross-validation on {k}", write
    )
    print(path_markdown(results, cv_results, meta))
    log(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
    return 0
