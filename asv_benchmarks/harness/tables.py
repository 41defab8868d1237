"""Markdown tables and json files of the single-lam comparisons (ridge, logistic).

Job: format the results of ``compare_ridge.py`` and ``compare_logistic.py``: the
machine line, one row per (case, solver) with the calibrated setting, median and
min-max seconds, worst suboptimality, iterations and the ratio to fastridge, the
reference optima; and write the json payloads (numpy scalars and arrays converted).
The path and cross-validation tables are in :mod:`harness.path_tables`.
"""

from __future__ import annotations

import json

import numpy as np


def json_default(o):
    if isinstance(o, np.integer | np.floating | np.bool_):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def write_json(fname, payload) -> None:
    """``payload`` as indented json (numpy values converted by :func:`json_default`)."""
    fname.write_text(json.dumps(payload, indent=1, default=json_default))


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


def page_head(title: str, meta: dict, intro: str) -> list[str]:
    """The top of a comparison page: ``title`` (marked when the run was quick), the
    machine line, ``intro``."""
    quick = " (QUICK smoke-test sizes)" if meta["quick"] else ""
    return [title + quick, "", machine_line(meta), "", intro, ""]


def solver_rows(results: list[dict], head, cells) -> list[str]:
    """One table row per (result, solver): ``head(res, name)`` then ``cells(entry,
    base)``, ``base`` being the median seconds of the result's fastridge entry."""
    lines = []
    for res in results:
        base = res["solvers"].get("fastridge", {}).get("median_seconds")
        for name, e in res["solvers"].items():
            lines.append(f"{head(res, name)} {cells(e, base)}")
    return lines


def notes_lines(notes: list[str]) -> list[str]:
    """The notes section under a table (nothing when there are no notes)."""
    return ["", "Notes:", ""] + [f"- {n}" for n in notes] if notes else []


# how the single-lam comparisons measure, under their objectives
_METHOD = (
    "rel. subopt = (P - P*)/P* against a certified reference. Competitors' tol calibrated "
    "with the reference (loosest setting reaching the target); `fastridge` uses its own "
    "certificate (tol = target * P*/P_null) without calibration. Times: median (min-max) of "
    "interleaved rounds, wall clock of the whole fit call. "
    "ratio = median / median of `fastridge`."
)


def _single_lam_head(kind: str, meta: dict, intro: str) -> list[str]:
    title = f"# {kind} comparison: time to relative suboptimality <= {meta['target']:g}"
    return page_head(title, meta, intro)


def _ridge_head(res: dict, name: str) -> str:
    return (
        f"| {res['case']} | {res['n']:,} | {res['p']:,} | {res['nnz']:,} | "
        f"{res['rho']:g} | {res['lam']:.4g} | {name} |"
    )


def _logistic_head(res: dict, name: str) -> str:
    return (
        f"| {res['case']} | {res['n']:,} | {res['p']:,} | {res['nnz']:,} | "
        f"{res['n_classes']} | {res['lam']:.4g} | "
        f"{'yes' if res['fit_intercept'] else 'no'} | {name} |"
    )


def ridge_markdown(results: list[dict], meta: dict) -> str:
    lines = _single_lam_head(
        "Ridge",
        meta,
        "Objective P = 1/2 ||y - Xw - b||^2 + lam/2 ||w||^2, lam = rho ||X||_2^2 (raw X). "
        + _METHOD,
    )
    lines += [
        "| case | n | p | nnz | rho | lam | solver | setting | median s | min-max s "
        "| rel. subopt | iters | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += solver_rows(results, _ridge_head, solver_cells)
    lines += notes_lines(meta.get("notes", []))
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


def logistic_markdown(results: list[dict], meta: dict) -> str:
    lines = _single_lam_head(
        "Logistic",
        meta,
        "Objective: binary P = sum_i log(1 + exp(-y_i (x_i.w + b))) + lam/2 ||w||^2; "
        "multinomial (K > 2) P = sum_i -log softmax(W x_i + b)[y_i] + lam/2 ||W||_F^2 "
        "(scikit-learn C = 1/lam), computed for every solver from the coefficients it "
        "returns. " + _METHOD + " (!) = some round missed the target.",
    )
    lines += [
        "| case | n | p | nnz | K | lam | intercept | solver | setting | median s "
        "| min-max s | rel. subopt | iters | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += solver_rows(results, _logistic_head, solver_cells)
    notes = list(meta.get("notes", []))
    for res in results:
        notes += [f"{res['case']}: {a}" for a in res.get("anomalies", [])]
    lines += notes_lines(notes)
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
