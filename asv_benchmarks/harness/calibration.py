"""Calibration: iteration caps and the tolerance ladder.

Job: a competitor's stopping knob (``tol`` / ``thr``) is not the suboptimality, so
for each (case, solver) :func:`calibrate` searches a decade ladder of tolerances
(starting near a typical value, moving looser while the target is still reached,
tighter until it is, then one half-decade refinement) for the *loosest* tol that
reaches the target.  This uses the reference P*, an oracle advantage no user has: it
is the competitors' best case.  :func:`probe_cap` gives every run an iteration cap
worth about the time cap (per-iteration cost from two short runs), and
:func:`prepare_solvers` prepares, caps and calibrates every solver of a case.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import asdict

from . import log
from .timing import Run, run_once, timed

LADDER = [10.0 ** (-k) for k in range(2, 17)]  # 1e-2 ... 1e-16


def probe_cap(solver, ctx, state, probe_fit=None) -> tuple[int | None, dict]:
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
    solver, ctx, state, max_iter, budget: float, run=None
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
