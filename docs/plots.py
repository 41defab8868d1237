"""Time against relative suboptimality, from the comparison harnesses' JSON results.

The figures show only what the JSON files of the final run of issue 13 hold
(``docs/benchmarks/final13_*.json``, listed in ``RIDGE_RUNS`` and ``LOGISTIC_RUNS``). The
harnesses do not record a convergence trace (suboptimality after each iteration of one
fit). What they do record, per case and solver, is:

* ``calibration``: separate fits at a ladder of tolerance settings (``tol``, or glmnet's
  ``thr``), each with its wall-clock ``seconds`` and the ``rel_subopt`` = (P - P*)/P* it
  reached. Together they trace time against suboptimality, one point per fit;
* ``runs``: the timed repeats at the chosen setting, summarised by ``median_seconds`` and
  ``worst_rel_subopt`` (absent when the solver never reached the target).

Used by ``performance.md`` through matplotlib's ``plot`` directive (at build time, into the
build folder), or standalone: ``python docs/plots.py OUTDIR`` writes the PNGs.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; a no-op when a backend is already chosen
import matplotlib.pyplot as plt
from matplotlib.ticker import NullFormatter

RESULTS = Path(__file__).resolve().parent / "benchmarks"
# Reached suboptimalities are drawn in [FLOOR, CEIL]: a value <= 0 (the run beat the
# reference P*) sits on the floor and a larger one (a diverged run) on the ceiling, both
# with a distinct marker, so that no point is dropped silently.
FLOOR, CEIL = 1e-17, 1e3
STYLE = {  # fastridge's rows stand out; the competitors take the colour cycle
    "fastridge": {"color": "black", "lw": 2.0, "zorder": 5},
    "fastridge-cal": {"color": "0.45", "lw": 1.2, "ls": "--", "zorder": 4},
}


# The comparison runs each figure draws, in panel order: the final run of issue 13
# (2026-12-07; the commands are on the benchmarks page).
RIDGE_RUNS = ("final13_ridge_A", "final13_ridge_BC", "final13_ridge_D")
LOGISTIC_RUNS = (
    "final13_logistic_small",
    "final13_logistic_S",
    "final13_logistic_news20",
    "final13_logistic_G",
)


def load(name: str) -> dict:
    """Parsed ``docs/benchmarks/<name>.json``."""
    return json.loads((RESULTS / f"{name}.json").read_text())


def load_runs(names) -> tuple[list[dict], list[dict]]:
    """The cases of several runs of one harness, in order, and each run's ``meta``."""
    runs = [load(n) for n in names]
    return [case for run in runs for case in run["results"]], [run["meta"] for run in runs]


def _clip(v: float) -> tuple[float, str]:
    """(y to draw, marker): 'o' as measured, 'v' on the floor, '^' on the ceiling."""
    if v <= 0:
        return FLOOR, "v"
    if not math.isfinite(v) or v > CEIL:
        return CEIL, "^"
    return max(v, FLOOR), "o"


def _points(entry: dict) -> list[tuple[float, float, bool]]:
    """(seconds, rel_subopt, hit_cap) of every calibration fit that returned a number."""
    out = []
    for c in entry.get("calibration", []):
        s, r = c.get("seconds"), c.get("rel_subopt")
        if s is None or r is None or c.get("error"):
            continue
        out.append((s, r, bool(c.get("hit_cap"))))
    return sorted(out)


def _colours(results: list[dict]) -> dict[str, dict]:
    names = sorted({s for r in results for s in r["solvers"]} - set(STYLE))
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    styles = {
        n: {"color": cycle[i % len(cycle)], "lw": 1.0, "zorder": 3} for i, n in enumerate(names)
    }
    return {**styles, **STYLE}


def _panel(ax, case: dict, target: float, styles: dict) -> None:
    for name, entry in case["solvers"].items():
        pts = _points(entry)
        if not pts:  # skipped (e.g. needs a dense Hessian too large to form)
            continue
        st = styles[name]
        xs = [p[0] for p in pts]
        ys = [_clip(p[1])[0] for p in pts]
        ax.plot(xs, ys, color=st["color"], lw=st["lw"], ls=st.get("ls", "-"), zorder=st["zorder"])
        for (s, r, cap), y in zip(pts, ys):
            marker = _clip(r)[1]
            face = "none" if cap else st["color"]  # hollow: stopped by the time cap
            ax.plot(s, y, marker, ms=3.5, mfc=face, mec=st["color"], zorder=st["zorder"])
        if entry.get("median_seconds") is not None:  # the timed result of the table
            y, _ = _clip(entry["worst_rel_subopt"])
            ax.plot(
                entry["median_seconds"],
                y,
                "*",
                ms=11,
                color=st["color"],
                mec="white",
                mew=0.6,
                zorder=st["zorder"] + 1,
            )
    ax.axhline(target, color="tab:red", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(FLOOR / 3, CEIL * 3)
    shape = f"{case['n']:,} x {case['p']:,}"
    ax.set_title(f"{case['case']}  ({shape})", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(True, which="major", lw=0.3, alpha=0.5)


def comparison_figure(title: str, names, ncols: int = 4):
    """All cases of the comparison JSON files ``names``, one panel each, shared legend."""
    results, metas = load_runs(names)
    meta = metas[0]  # target, machine and threads: the same in every run of a figure
    styles = _colours(results)
    nrows = math.ceil(len(results) / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(3.2 * ncols, 2.6 * nrows + 0.9 * (len(results) % ncols == 0)),
        squeeze=False,
        sharey=True,
    )
    for ax, case in zip(axes.flat, results):
        _panel(ax, case, meta["target"], styles)
    spare = list(axes.flat[len(results) :])
    for ax in spare:
        ax.axis("off")
    for ax in axes.flat[: len(results)]:
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor log labels collide
    for ax in axes[:, 0]:
        ax.set_ylabel("(P - P*) / P*", fontsize=8)
    for ax in axes.flat[max(0, len(results) - ncols) : len(results)]:
        ax.set_xlabel("seconds (one fit)", fontsize=8)
    present = [
        n for n in styles if any(n in r["solvers"] and _points(r["solvers"][n]) for r in results)
    ]
    handles = [
        plt.Line2D(
            [],
            [],
            color=styles[n]["color"],
            lw=styles[n]["lw"],
            ls=styles[n].get("ls", "-"),
            label=n,
        )
        for n in present
    ]
    handles += [
        plt.Line2D([], [], color="tab:red", lw=0.8, ls=":", label=f"target {meta['target']:g}"),
        plt.Line2D([], [], color="0.3", marker="o", ls="", ms=4, label="one calibration fit"),
        plt.Line2D([], [], color="0.3", marker="o", mfc="none", ls="", ms=4, label="hit time cap"),
        plt.Line2D([], [], color="0.3", marker="*", ls="", ms=9, label="table: median time"),
        plt.Line2D([], [], color="0.3", marker="v", ls="", ms=4, label="<= 0 (beat P*)"),
        plt.Line2D([], [], color="0.3", marker="^", ls="", ms=4, label=f"> {CEIL:g} or inf"),
    ]
    m = meta["machine"]
    dates = sorted(x["machine"]["date"] for x in metas)
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    fig.suptitle(
        f"{title}: runs of {when}, {m['cpu']} ({m['cpu_count']} cores), {meta['threads']} threads",
        fontsize=10,
    )
    if spare:  # the legend fills the empty panels of the last row
        spare[0].legend(handles=handles, loc="center left", fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 0, 1, 0.97))
    else:
        fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
        fig.tight_layout(rect=(0, 1.2 / (2.6 * nrows + 0.9), 1, 0.97))
    return fig


def scaling_figure():
    """Time per pass against nnz and against p, ridge and logistic, 1 and 2 threads.

    From ``docs/benchmarks/scaling.json`` (``asv_benchmarks/scaling.py``): one panel
    per family, log-log; a slope of 1 is linear growth.
    """
    rows = load("scaling")["rows"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (family, xlabel) in zip(
        axes, (("nnz", "stored entries (nnz), p = 100,000"), ("p", "p, nnz = 10M")), strict=True
    ):
        fam = [r for r in rows if r["family"] == family]
        for problem, marker in (("ridge", "o"), ("logistic", "s")):
            for threads, style in ((1, "--"), (2, "-")):
                sel = [r for r in fam if r["problem"] == problem and r["threads"] == threads]
                if sel:
                    ax.loglog(
                        [r[family] for r in sel],
                        [1e3 * r["seconds_per_pass"] for r in sel],
                        style,
                        marker=marker,
                        label=f"{problem}, {threads} thread{'s' if threads > 1 else ''}",
                    )
        ax.set_xlabel(xlabel)
        ax.set_ylabel("ms per pass over X")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("fastridge: time per pass over X", fontsize=10)
    fig.tight_layout()
    return fig


def ridge_figure():
    return comparison_figure("ridge", RIDGE_RUNS, ncols=4)


def logistic_figure():
    return comparison_figure("logistic", LOGISTIC_RUNS, ncols=3)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    out.mkdir(parents=True, exist_ok=True)
    for fn in (ridge_figure, logistic_figure):
        path = out / f"{fn.__name__.removesuffix('_figure')}_time_vs_subopt.png"
        fn().savefig(path, dpi=110)
        print(path)
