"""The L2-logistic comparison (``compare_logistic.py``; method in its docstring).

Job: for every case, load the data and the certified reference, calibrate every
peer of :mod:`harness.peers.logistic`, time them in interleaved rounds, lower P* to
the best objective any run reached (flagging a run below the reference's certified
bound as an anomaly), and write ``OUT/logistic_comparison[_quick].{md,json}`` after
every case.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass

import numpy as np

from . import log
from .calibration import prepare_solvers
from .cli import fill_harness_defaults, limit_threads, select_cases, solver_names
from .logistic_data import QUICK_CASES, Case, all_cases, load_dataset
from .logistic_reference import Reference, objective, reference
from .peers.logistic import DEFAULT_SOLVERS, FastridgeLogistic, make_solvers
from .session import add_bandwidth, check_available, run_cases, run_meta
from .tables import logistic_markdown
from .timing import CaseCtx, case_fields, summarise, time_interleaved

__all__ = ["DEFAULT_SOLVERS", "main"]


@dataclass
class Ctx(CaseCtx):
    max_dense_gb: float

    def objective(self, coef, intercept) -> float:
        return objective(self.ds, self.lam, coef, intercept)


def _all_runs(entry: dict):
    yield from entry.get("calibration", [])
    yield from entry.get("runs", [])


def finalise_p_star(result: dict, ref: Reference, target: float) -> None:
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
            summarise(e, target)


def run_case(case: Case, solvers: list, args, unavailable: dict) -> dict:
    log(f"\n=== case {case.name} ===")
    t_case = time.perf_counter()
    gc.collect()
    gc.freeze()
    ds = load_dataset(case.dataset, quick=args.quick)
    n, p = ds.shape
    lam = case.lam_for(n)
    ref = reference(ds, lam, case.fit_intercept)
    ctx = Ctx(case, ds, lam, ref, args.target, args.time_cap, args.max_dense_gb)
    log(
        f"  {n} x {p}, nnz {ds.nnz}, K = {ds.n_classes}, lam = {lam:.6g}, "
        f"P* = {ref.p_star:.10g}, P_null = {ref.p_null:.6g}, reference ({ref.source}) "
        f"certificate/P* = {ref.gap / ref.p_star:.1e}, "
        f"independent {ref.indep_gap / ref.p_star:.1e}"
    )
    result = {
        **case_fields(case, ds),
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
    active = prepare_solvers(solvers, ctx, args, unavailable, result["solvers"])
    time_interleaved(active, ctx, args.repeats)
    finalise_p_star(result, ref, args.target)
    gc.collect()
    result["case_seconds"] = time.perf_counter() - t_case
    return result


def notes_for(args, solvers, unavailable: dict) -> list[str]:
    """The notes under the table: how each peer's objective maps to ours."""
    notes = []
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
        "snapml: LogisticRegression(regularizer=lam, fit_intercept=False), n_jobs=threads; "
        "binary no-intercept cases only (its bias is penalised, K > 2 is one-vs-rest); "
        "float32 copy of X made in fit (timed); the primal solver's CSC copy is made "
        "outside the timing.",
        "sklearnex-lbfgs: LogisticRegression(C=1/lam, solver='lbfgs', n_jobs=threads); "
        "dense X only (it runs stock scikit-learn on sparse X: skipped).",
        "liblinear-s0/-s7: LIBLINEAR's own binding, C = 1/lam; -s 0 with -B 1 -R "
        "(unpenalised bias) for the intercept, -s 7 on no-intercept cases; binary only; "
        "single-threaded, no iteration cap; its copy of X is made outside the timing.",
    ]
    return notes


def list_cases() -> int:
    for c in all_cases():
        lam = f"lam {c.lam:g}" if c.lam is not None else f"lam {c.lam_per_n:g} n"
        print(f"{c.name:16s} data {c.dataset:7s} {lam:14s} intercept {c.fit_intercept}")
    return 0


def main(args) -> int:
    """Run the comparison for parsed ``args`` (:func:`harness.cli.logistic_parser`)."""
    if args.list:
        return list_cases()
    fill_harness_defaults(args)
    if args.cases is None and args.quick:
        cases = [c for c in all_cases() if c.name in QUICK_CASES]
    else:
        cases = select_cases(all_cases(), args.cases)
    solvers = make_solvers(solver_names(args), args)
    limit_threads(args)
    unavailable = check_available(solvers)
    notes = notes_for(args, solvers, unavailable)
    keys = ["quick", "target", "threads", "blas_threads", "repeats", "time_cap", "calib_budget"]
    meta = run_meta(args, notes, keys)
    for mod in ("skglm",):
        try:
            meta["machine"][mod] = __import__(mod).__version__
        except Exception as e:
            meta["machine"][mod] = f"unavailable ({type(e).__name__})"
    add_bandwidth(meta, args)

    def run_one(case):
        return run_case(case, solvers, args, unavailable)

    run_cases(
        cases,
        run_one,
        meta,
        notes,
        args.out,
        "logistic_comparison",
        logistic_markdown,
        total_seconds=True,
    )
    return 0
