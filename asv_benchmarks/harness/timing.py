"""Timed runs, interleaved rounds and their medians.

Job: time one fit (:func:`timed`, the garbage collector paused), score it against the
reference (:func:`run_once`, a :class:`Run`), run every calibrated solver once per
round for ``--repeats`` rounds with the order rotated (:func:`time_interleaved`), and
summarise the rounds (median, min, max seconds, worst suboptimality).  Also what the
single-lam comparisons share about a case: :class:`CaseCtx` and :func:`case_fields`.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from . import log


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


@dataclass
class CaseCtx:
    """What one single-lam case's runs share (a harness subclasses it with its
    ``objective(coef, intercept)``): the case, its data, lam, the reference, the
    target suboptimality and the time cap per run."""

    case: Any
    ds: Any
    lam: float
    ref: Any
    target: float
    time_cap: float


def case_fields(case, ds) -> dict:
    """The first fields of a case's result: its name and data set, the data's
    description and shape."""
    n, p = ds.shape
    return {
        "case": case.name,
        "dataset": case.dataset,
        "description": ds.description,
        "n": n,
        "p": p,
        "nnz": ds.nnz,
    }


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


def median_time(fn, repeats):
    """``(median seconds, all seconds, last result)`` of ``repeats`` timed calls."""
    times, out = [], None
    for _ in range(repeats):
        out, secs = timed(fn)
        times.append(secs)
    return float(np.median(times)), [float(t) for t in times], out


def timed_fit(solver, ctx, state, tol: float, max_iter: int | None):
    """``(out, seconds, None)`` of one timed ``solver.fit``, or ``(None, seconds,
    "<Error>: <message>")`` (logged) when the fit raises."""
    t0 = time.perf_counter()
    try:
        out, secs = timed(solver.fit, ctx, state, tol, max_iter)
    except Exception as e:
        secs = time.perf_counter() - t0
        log(f"      {solver.name} tol={tol:.1e}: ERROR {type(e).__name__}: {e}")
        return None, secs, f"{type(e).__name__}: {e}"
    return out, secs, None


def run_once(solver, ctx, state, tol: float, max_iter: int | None) -> Run:
    """One timed fit; the suboptimality is computed with ``ctx.objective`` against
    ``ctx.ref.p_star`` (any ctx with ``objective``, ``ref``, ``time_cap`` works)."""
    out, secs, error = timed_fit(solver, ctx, state, tol, max_iter)
    if error is not None:
        return Run(tol, secs, math.inf, math.inf, None, False, max_iter, error)
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


def time_interleaved(active: list, ctx, repeats: int, run=None, summary=None) -> None:
    """``repeats`` rounds, every solver once per round (order rotated); summaries
    (median/min/max seconds, worst suboptimality, median iterations) into each entry.

    ``active`` holds ``(solver, state, tol, max_iter, entry)`` tuples (from
    :func:`harness.calibration.prepare_solvers`); ``run`` (default :func:`run_once`)
    makes one run, ``summary(entry)`` (default :func:`summarise` at ``ctx.target``)
    summarises an entry's runs.  ``active`` is emptied."""
    run = run_once if run is None else run
    summary = (lambda e: summarise(e, ctx.target)) if summary is None else summary
    log(f"  timing: {repeats} interleaved rounds x {len(active)} solvers")
    for rep in range(repeats):
        k = rep % max(len(active), 1)
        for s, state, tol, max_iter, entry in active[k:] + active[:k]:
            entry["runs"].append(asdict(run(s, ctx, state, tol, max_iter)))
    for *_, entry in active:
        summary(entry)
    active.clear()


def summarise_seconds(entry: dict) -> None:
    """Median, min and max of the entry's run times."""
    times = [r["seconds"] for r in entry["runs"]]
    entry["median_seconds"] = float(np.median(times))
    entry["min_seconds"] = float(np.min(times))
    entry["max_seconds"] = float(np.max(times))


def summarise(entry: dict, target: float) -> None:
    """Times, worst suboptimality, whether every round reached ``target``, iterations."""
    summarise_seconds(entry)
    subs = [r["rel_subopt"] for r in entry["runs"]]
    entry["worst_rel_subopt"] = float(np.max(subs))
    entry["all_reached"] = bool(all(x <= target for x in subs))
    its = [r["n_iter"] for r in entry["runs"] if r["n_iter"] is not None]
    entry["n_iter"] = int(np.median(its)) if its else None
