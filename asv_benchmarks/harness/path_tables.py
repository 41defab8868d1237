"""Markdown tables of the path and cross-validation comparisons.

Job: format the results of ``compare_path.py`` (one row per (data set, solver) with
the worst suboptimality over the grid, the speed-up lines, the 5-fold CV table),
``compare_ridge_cv.py`` (RidgeCV against one fit) and ``compare_logistic_cv.py``
(LogisticRegressionCV: the Markdown page and the plain-text table it prints).
"""

from __future__ import annotations

from .cv import CV_FOLDS
from .data import RHO_MAX, RHO_MIN
from .tables import fmt_t, notes_lines, page_head, solver_rows


def _ratio_line(res) -> str:
    sol = res["solvers"]
    base = sol.get("fastridge", {}).get("median_seconds")
    if not base:
        return f"- {res['dataset']}: no fastridge timing."
    parts = []
    for name in ("glmnet", "sklearn-sparse_cg-loop", "sklearn-lsqr-loop", "fastridge-loop"):
        e = sol.get(name, {})
        if "median_seconds" in e:
            miss = "" if e["all_reached"] else " (which missed the target in some rounds)"
            parts.append(f"{name} takes {e['median_seconds'] / base:.1f}x as long{miss}")
        elif name in sol:
            parts.append(f"{name}: {e.get('status', '?')}")
    return f"- {res['dataset']}: fastridge path {fmt_t(base)} s; " + "; ".join(parts) + "."


def _head(res, name) -> str:
    return f"| {res['dataset']} | {res['n']:,} | {res['p']:,} | {res['nnz']:,} | {name} |"


def _cells(e, base) -> str:
    if "median_seconds" in e:
        flag = "" if e["all_reached"] else " (!)"
        if not e.get("certificate_ok", True):
            flag += " (certificate below true suboptimality!)"
        ratio = f"{e['median_seconds'] / base:.2f}" if base else "n/a"
        work = e.get("n_passes") or e.get("n_iter") or "-"
        setting = e["setting"]
        inner = {r["extra"].get("solver") for r in e["runs"]} - {None}
        if inner:
            setting += " " + "/".join(sorted(inner))
        return (
            f"{setting} | {fmt_t(e['median_seconds'])} | "
            f"{fmt_t(e['min_seconds'])}-{fmt_t(e['max_seconds'])} | "
            f"{e['worst_rel_subopt']:.1e}{flag} | {work} | {ratio} |"
        )
    if e.get("status") in ("skipped", "error"):
        return f"{e['status']}: {e.get('note', '')} | - | - | - | - | - |"
    b = e.get("best")
    best = f"best worst-point {b['worst_rel_subopt']:.1e}" if b else "no solution"
    return f"{e.get('status', '?')} | - | - | {best} | - | - |"


def cv_table(cv_results: list[dict]) -> list[str]:
    """The cross-validation section of the path page: one fit, fastridge and sklearn."""
    lines = [
        "",
        f"## {CV_FOLDS}-fold cross-validation over the same grid",
        "",
        "| data | n | p | what | seconds | vs one fit | chosen alpha | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in cv_results:
        head = f"| {c['dataset']} | {c['n']:,} | {c['p']:,} |"
        one = c["one_fit"]["seconds"]
        lines.append(
            f"{head} fastridge.ridge, one fit at lam = {c['lam_mid']:.4g} | {fmt_t(one)} "
            f"| 1 | - | {c['one_fit']['solver']}, tol 1e-8 |"
        )
        for key, label in (
            ("fastridge_cv", f"fastridge.RidgeCV(cv={CV_FOLDS})"),
            ("sklearn_cv_none", "sklearn RidgeCV(cv=None)"),
            ("sklearn_cv5", f"sklearn RidgeCV(cv={CV_FOLDS})"),
        ):
            e = c.get(key, {})
            secs = e.get("seconds")
            ratio = f"{secs / one:.1f}" if secs else "-"
            alpha = f"{e['alpha']:.4g}" if "alpha" in e else "-"
            note = e.get("status", "")
            if key == "fastridge_cv" and "method" in e:
                note = f"{e['method']}, {e['scoring']}"
            if key == "sklearn_cv_none":
                note += f" [{e.get('matrix', '')}]"
            lines.append(f"{head} {label} | {fmt_t(secs)} | {ratio} | {alpha} | {note} |")
    return lines


def path_markdown(results, cv_results, meta) -> str:
    lines = page_head(
        f"# Ridge path comparison: {meta['n_lams']} lams, every point to relative "
        f"suboptimality <= {meta['target']:g}",
        meta,
        f"Grid lam = rho ||X||_2^2, rho geometric from {RHO_MAX:g} to {RHO_MIN:g} "
        f"({meta['n_lams']} values, decreasing), intercept on. worst rel. subopt = "
        "max over the grid of (P_j - P*_j)/P*_j against certified references. Competitors: "
        "one tol for the whole path, calibrated with the references (loosest decade-ladder "
        "setting whose worst point reaches the target); `fastridge` runs `ridge_path` with "
        "tol = target * min_j P*_j / P_null (its certificates prove the target, no "
        "calibration). Times: median (min-max) of interleaved rounds. "
        "work = passes over X (fastridge) or total iterations/passes (others). "
        "ratio = median / median of `fastridge`.",
    )
    lines += [
        "| data | n | p | nnz | solver | setting | median s | min-max s | worst rel. subopt "
        "| work | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += solver_rows(results, _head, _cells)
    if results:
        lines += ["", "Speed-ups (targets: >= 5x vs glmnet, >= 20x vs the scikit-learn loop):", ""]
        lines += [_ratio_line(r) for r in results]
    if cv_results:
        lines += cv_table(cv_results)
    lines += notes_lines(meta.get("notes", []))
    return "\n".join(lines) + "\n"


def ridge_cv_report(res: dict) -> str:
    one = res["cv"]["one_fit"]["seconds"]
    lines = [
        f"# RidgeCV on {res['dataset']} ({res['n']:,} x {res['p']:,}, nnz {res['nnz']:,})",
        "",
        f"Grid: {res['n_lams']} lams, rho 10..0.01 times ||X||_2^2; threads {res['threads']}; "
        f"medians of {res['repeats']} runs.",
        "",
        "| what | seconds | / one fit | notes |",
        "|---|---:|---:|---|",
        f"| fastridge.ridge, middle lam | {one:.3f} | 1.0 | {res['cv']['one_fit']['solver']} |",
    ]
    fc = res["cv"].get("fastridge_cv", {})
    if fc.get("status") == "ok":
        lines.append(
            f"| fastridge.RidgeCV(cv=5) | {fc['seconds']:.3f} | {fc['ratio_to_one_fit']:.1f} | "
            f"alpha {fc['alpha']:.4g} (target <= 10x) |"
        )
    else:
        lines.append(f"| fastridge.RidgeCV(cv=5) | - | - | {fc.get('status')} |")
    st = res["stochastic"]
    lines.append(
        f"| fastridge.RidgeCV(gcv_mode='stochastic') | {st['seconds']:.3f} | "
        f"{st['seconds'] / one:.1f} | alpha {st['alpha']:.4g}, df {st['df_at_best']:.1f} "
        f"+- {st['df_se_at_best']:.2g} ({st['n_probes']} probes), solve bound "
        f"{st['max_df_solve_bound']:.1e} df |"
    )
    sk0 = res["cv"]["sklearn_cv_none"]
    t0 = f"{sk0['seconds']:.3f}" if "seconds" in sk0 else "-"
    lines.append(f"| sklearn RidgeCV(cv=None) | {t0} | - | {sk0['status']} |")
    sk5 = res["cv"]["sklearn_cv5"]
    t5 = f"{sk5['seconds']:.3f}" if "seconds" in sk5 else f"~{sk5['estimated_seconds']:.0f} (est.)"
    r5 = sk5.get("seconds", sk5["estimated_seconds"]) / one
    lines.append(f"| sklearn RidgeCV(cv=5), sparse_cg | {t5} | {r5:.0f} | {sk5['status']} |")
    return "\n".join(lines) + "\n"


def logistic_cv_markdown(meta: dict, rows: list[dict], description: str) -> str:
    """The results as a Markdown page (the table printed on stdout, and the settings)."""
    lines = [
        f"# LogisticRegressionCV comparison: {meta['folds']} folds x {meta['cs']} Cs",
        "",
        f"{description} ({meta['shape'][0]:,} x {meta['shape'][1]:,}, {meta['nnz']:,} "
        f"entries). `Cs = np.logspace(-4, 4, {meta['cs']})`, the same explicit "
        f"`StratifiedKFold({meta['folds']})` splits for every estimator, "
        f"`scoring={meta['scoring']!r}`. fastridge at `tol={meta['fr_tol']:g}` (certified), "
        f"scikit-learn at `tol={meta['sk_tol']:g}`, `max_iter=10000`; medians of "
        f"{meta['repeats']} interleaved rounds. Written by "
        "`python asv_benchmarks/compare_logistic_cv.py` (settings above; the calibration "
        "of the tolerances is in its docstring).",
        "",
        "| estimator | median s | min-max s | chosen C | max abs fold-score difference "
        "| at chosen C | max abs error vs fastridge at tol=1e-14 | time / fastridge |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        at = r["fold_score_diff_at_chosen_C"]
        lines.append(
            f"| {r['estimator']} | {r['median_seconds']:.2f} | "
            f"{r['min_seconds']:.2f}-{r['max_seconds']:.2f} | {r['chosen_C']:.4g} | "
            f"{r['max_fold_score_diff']:.1e} | {'-' if at is None else f'{at:.1e}'} | "
            f"{r['max_fold_score_err_vs_tol1e-14']:.1e} | {r['time_ratio_vs_fastridge']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def logistic_cv_text(title: str, rows: list[dict]) -> str:
    """The plain-text table ``compare_logistic_cv.py`` prints on stdout."""
    lines = [
        f"\n{title}\n",
        f"{'estimator':<20} {'median s':>9} {'min-max s':>15} {'chosen C':>10} "
        f"{'max |dscore|':>13} {'at chosen C':>12} {'max |err|':>10} {'x fastridge':>12}",
    ]
    for row in rows:
        at = row["fold_score_diff_at_chosen_C"]
        lines.append(
            f"{row['estimator']:<20} {row['median_seconds']:9.2f} "
            f"{row['min_seconds']:7.2f}-{row['max_seconds']:<7.2f} {row['chosen_C']:10.4g} "
            f"{row['max_fold_score_diff']:13.2e} {'-' if at is None else f'{at:.2e}':>12} "
            f"{row['max_fold_score_err_vs_tol1e-14']:10.2e} "
            f"{row['time_ratio_vs_fastridge']:12.2f}"
        )
    return "\n".join(lines)
