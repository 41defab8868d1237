"""The single-lam ridge comparison (``compare_ridge.py``; method in its docstring).

Job: for every case, load the data and the certified reference, calibrate every
peer of :mod:`harness.peers.ridge`, time them in interleaved rounds, and write
``OUT/ridge_comparison[_quick].{md,json}`` after every case.
"""

from __future__ import annotations

import gc
import time

from . import log
from .calibration import prepare_solvers
from .cli import (
    fill_harness_defaults,
    limit_threads,
    select_cases,
    set_numba_threads,
    solver_names,
)
from .data import Case, all_cases, load_dataset
from .peers.ridge import DEFAULT_SOLVERS, Fastridge, make_solvers
from .reference import objective, reference
from .session import add_bandwidth, check_available, run_cases, run_meta
from .tables import ridge_markdown
from .timing import CaseCtx, case_fields, time_interleaved

__all__ = ["DEFAULT_SOLVERS", "main"]

NOTES = [
    "glmnet: Fortran spelnet called directly with ka=2 (naive), alpha=0, isd=0, "
    "lambda = lam*sd(y)/n; its CSC (1-based) copy is built outside the timing. "
    "Dense X (D1, D2): elnet, same settings, its Fortran copy of X made in the timed fit "
    "(elnet centres it in place).",
    "Dense X: fastridge = solver 'auto', fastridge-direct = solver 'direct' (both "
    "certified); fastridge-csc-cd gets a Fortran-ordered copy made outside the timing; "
    "sklearn-cholesky (direct, not calibrated) runs on dense X only.",
    "sklearn-sparse_cg has no iteration cap when p > n "
    "(sklearn does not pass max_iter to its dual CG).",
    "snapml: LinearRegression(regularizer=lam, fit_intercept=False), n_jobs=threads; "
    "no-intercept cases only (its bias is penalised); float32 copy of X made in fit "
    "(timed); the primal solver's CSC copy is made outside the timing.",
    "sklearnex: Ridge(alpha=lam, n_jobs=threads), oneDAL direct solve; dense X only "
    "(it runs stock scikit-learn on sparse X: skipped).",
    "liblinear-s11/-s12: LIBLINEAR's own binding, L2-loss SVR with -p 0 and C = 1/(2 lam); "
    "-s 11 with -B 1 -R (unpenalised bias) for the intercept, -s 12 on no-intercept cases; "
    "single-threaded, no iteration cap; its copy of X is made outside the timing; a dual "
    "run that switches to -s 11 after its iteration limit is an error.",
]


class Ctx(CaseCtx):
    def objective(self, coef, intercept) -> float:
        return objective(self.ds.X, self.ds.y, self.lam, coef, intercept)


def run_case(case: Case, solvers: list, args, unavailable: dict) -> dict:
    log(f"\n=== case {case.name} ===")
    t_case = time.perf_counter()
    gc.collect()
    gc.freeze()  # modules, compiled code: out of the collector's way
    ds = load_dataset(case.dataset, quick=args.quick)
    lam = case.rho * ds.sigma_max_sq
    ref = reference(ds, lam, case.fit_intercept)
    n, p = ds.shape
    ctx = Ctx(case, ds, lam, ref, args.target, args.time_cap)
    log(
        f"  {n} x {p}, nnz {ds.nnz}, lam = {lam:.6g}, P* = {ref.p_star:.10g}, "
        f"P_null = {ref.p_null:.6g}, reference certificate/P* = {ref.gap / ref.p_star:.1e}"
    )
    result = {
        **case_fields(case, ds),
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
    time_interleaved(active, ctx, args.repeats)
    active.clear()
    gc.collect()
    result["case_seconds"] = time.perf_counter() - t_case
    return result


def fastridge_notes(solvers, unavailable: dict) -> list[str]:
    """Notes on a missing fastridge row (the ratio column is relative to it)."""
    notes = []
    if any(isinstance(s, Fastridge) for s in solvers) and any(
        n.startswith("fastridge") for n in unavailable
    ):
        why = next(v for k, v in unavailable.items() if k.startswith("fastridge"))
        notes.append(f"fastridge skipped: {why}")
    if not any(isinstance(s, Fastridge) for s in solvers if s.name not in unavailable):
        notes.append("no fastridge row: the ratio column is n/a")
    return notes


def main(args) -> int:
    """Run the comparison for parsed ``args`` (:func:`harness.cli.ridge_parser`)."""
    if args.list:
        for c in all_cases():
            print(f"{c.name:16s} data {c.dataset:3s} rho {c.rho:g} intercept {c.fit_intercept}")
        return 0
    fill_harness_defaults(args)
    cases = select_cases(all_cases(), args.cases)
    solvers = make_solvers(solver_names(args), args.threads)
    limit_threads(args)
    unavailable = check_available(solvers)
    notes = fastridge_notes(solvers, unavailable)
    set_numba_threads(args.threads, only_if_imported=True)
    notes += NOTES
    keys = ["quick", "target", "threads", "blas_threads", "repeats", "time_cap"]
    meta = run_meta(args, notes, keys)
    add_bandwidth(meta, args)

    def run_one(case):
        return run_case(case, solvers, args, unavailable)

    run_cases(cases, run_one, meta, notes, args.out, "ridge_comparison", ridge_markdown)
    return 0
