"""Timing: fastridge ``LogisticRegressionCV`` against scikit-learn's, same folds, IMDB binary.

Usage (from the repository root)::

    python asv_benchmarks/compare_logistic_cv.py [--repeats 3] [--quick] [--cs 20]
        [--folds 5] [--scoring neg_log_loss] [--fr-tol 1e-8] [--sk-tol 1e-8]
        [--sk-solvers newton-cg,lbfgs] [--n-threads N] [--out bench_results/]

Data: IMDB train (25,000 reviews), TF-IDF of unigrams, sentiment label (rating >= 7),
data set ``imdb1`` of ``_compare_logistic_data.py`` (cached under
``~/.cache/fastridge-bench``).  ``--quick``: the 600-review subsample (a smoke test,
not a measurement, < 1 min).

Both estimators get the same ``Cs`` (``np.logspace(-4, 4, --cs)``, scikit-learn's
grid), the same explicit list of ``StratifiedKFold(--folds)`` splits and the same
scoring (default ``neg_log_loss``: continuous, so fold scores can be compared to
1e-6; ``accuracy`` moves in steps of 1/n_test).  scikit-learn runs with
``n_jobs=1`` (its folds in sequence, each solver single-threaded but BLAS);
fastridge with ``--n-threads`` (default all Numba threads: folds in parallel).

Tolerances (calibrated on the quick subsample against fastridge at tol=1e-14,
scoring neg_log_loss, 5 folds x 20 Cs; largest |fold score error| over all
(fold, C)): fastridge tol 1e-8 -> 1.9e-4, 1e-10 -> 1.6e-5, 1e-12 -> 5.7e-7;
scikit-learn newton-cg tol 1e-4 (its default) -> 0.14, 1e-6 -> 1.5e-2, 1e-8 ->
2.7e-5, 1e-10 -> 1.7e-7; lbfgs tol 1e-6 -> 1.3e-3 (42 s).  The worst errors are
at the largest C (tiny lam, nearly separable TF-IDF data), where the test
log-loss is most sensitive to the coefficients.  For fold scores that agree to
~1e-6 everywhere the defaults are therefore ``--fr-tol 1e-12`` (fastridge
certifies ``P - P* <= tol * P_null`` at every point) and ``--sk-tol 1e-10``
(scikit-learn's tol is a gradient threshold on its mean-loss objective, not a
bound on ``P - P*``); ``max_iter`` is 10,000 so that the tolerance, not the cap,
stops it.  The report prints, per estimator, the largest fold-score difference
to the timed fastridge run and the largest error against an untimed fastridge
run at tol=1e-14, so a run shows whether the calibration held on the full data.

Reported per estimator: median wall time over ``--repeats`` interleaved rounds
(min-max), the chosen C, the largest |fold score - fastridge's fold score| over
all (fold, C) and at the chosen C, and the time ratio against fastridge.
Output: a table on stdout and ``OUT/logistic_cv_comparison[_quick].json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _compare_logistic_data as ldata


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _fastridge_cv(Cs, folds, scoring, tol, n_threads):
    from fastridge import LogisticRegressionCV

    return LogisticRegressionCV(Cs=Cs, cv=folds, scoring=scoring, tol=tol, n_threads=n_threads)


def _sklearn_cv(Cs, folds, scoring, solver, tol):
    from sklearn.linear_model import LogisticRegressionCV

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return LogisticRegressionCV(
            Cs=Cs, cv=folds, scoring=scoring, solver=solver, tol=tol, max_iter=10_000
        )


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # scikit-learn's attribute changes
        t0 = time.perf_counter()
        est.fit(X, y)
        return time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="600-review subsample (smoke test)")
    ap.add_argument("--cs", type=int, default=20, help="number of Cs in logspace(-4, 4)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--scoring", default="neg_log_loss")
    ap.add_argument("--fr-tol", type=float, default=1e-12)
    ap.add_argument("--sk-tol", type=float, default=1e-10)
    ap.add_argument(
        "--sk-solvers", default=None, help="default newton-cg,lbfgs (--quick: newton-cg)"
    )
    ap.add_argument("--n-threads", type=int, default=None)
    ap.add_argument("--out", default="bench_results")
    args = ap.parse_args(argv)
    if args.sk_solvers is None:
        # lbfgs needs minutes even on the quick subsample at a tol that matches scores
        args.sk_solvers = "newton-cg" if args.quick else "newton-cg,lbfgs"

    from sklearn.model_selection import StratifiedKFold

    ds = ldata.load_dataset("imdb1", quick=args.quick)
    X, y = ds.X, ds.y
    _say(f"[data] {ds.description}: {X.shape[0]} x {X.shape[1]}, nnz {X.nnz}")
    Cs = np.logspace(-4, 4, args.cs)
    folds = list(StratifiedKFold(args.folds).split(X, y))
    makers = {
        "fastridge": lambda: _fastridge_cv(Cs, folds, args.scoring, args.fr_tol, args.n_threads)
    }
    for solver in filter(None, args.sk_solvers.split(",")):
        makers[f"sklearn-{solver}"] = lambda s=solver: _sklearn_cv(
            Cs, folds, args.scoring, s, args.sk_tol
        )
    # Warm-up (Numba compilation / caches), not timed.
    _fit(_fastridge_cv(Cs[:2], 3, args.scoring, args.fr_tol, args.n_threads), X[::10], y[::10])

    times = {name: [] for name in makers}
    fitted = {}
    for r in range(args.repeats):
        for name, make in makers.items():
            est = make()
            times[name].append(_fit(est, X, y))
            fitted[name] = est
            _say(
                f"[run {r + 1}/{args.repeats}] {name}: {times[name][-1]:.2f} s, "
                f"C = {est.C_[0]:.4g}"
            )

    ref = fitted["fastridge"]
    pos = ref.classes_[1]
    ref_scores = np.asarray(ref.scores_[pos])
    # Untimed reference: fastridge at tol=1e-14 (every point certified), against
    # which every estimator's fold scores are also compared.
    exact = _fastridge_cv(Cs, folds, args.scoring, 1e-14, args.n_threads)
    _fit(exact, X, y)
    exact_scores = np.asarray(exact.scores_[pos])
    t_ref = statistics.median(times["fastridge"])
    rows = []
    for name, est in fitted.items():
        scores = np.asarray(est.scores_[pos])
        best = int(np.flatnonzero(Cs == est.C_[0])[0]) if est.C_[0] in Cs else None
        t = statistics.median(times[name])
        rows.append(
            {
                "estimator": name,
                "median_seconds": t,
                "min_seconds": min(times[name]),
                "max_seconds": max(times[name]),
                "chosen_C": float(est.C_[0]),
                "same_C_as_fastridge": bool(est.C_[0] == ref.C_[0]),
                "max_fold_score_diff": float(np.abs(scores - ref_scores).max()),
                "max_fold_score_err_vs_tol1e-14": float(np.abs(scores - exact_scores).max()),
                "fold_score_diff_at_chosen_C": (
                    None if best is None else float(np.abs(scores - ref_scores)[:, best].max())
                ),
                "time_ratio_vs_fastridge": t / t_ref,
            }
        )
    print(
        f"\nLogisticRegressionCV, {ds.description} ({X.shape[0]} x {X.shape[1]}), "
        f"{args.folds} folds x {args.cs} Cs, scoring={args.scoring}, "
        f"fastridge tol={args.fr_tol:g}, sklearn tol={args.sk_tol:g}, {args.repeats} repeats\n"
    )
    print(
        f"{'estimator':<20} {'median s':>9} {'min-max s':>15} {'chosen C':>10} "
        f"{'max |dscore|':>13} {'at chosen C':>12} {'max |err|':>10} {'x fastridge':>12}"
    )
    for row in rows:
        at = row["fold_score_diff_at_chosen_C"]
        print(
            f"{row['estimator']:<20} {row['median_seconds']:9.2f} "
            f"{row['min_seconds']:7.2f}-{row['max_seconds']:<7.2f} {row['chosen_C']:10.4g} "
            f"{row['max_fold_score_diff']:13.2e} {'-' if at is None else f'{at:.2e}':>12} "
            f"{row['max_fold_score_err_vs_tol1e-14']:10.2e} "
            f"{row['time_ratio_vs_fastridge']:12.2f}"
        )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fname = out / f"logistic_cv_comparison{'_quick' if args.quick else ''}.json"
    meta = {k: v for k, v in vars(args).items()}
    meta.update(shape=list(X.shape), nnz=int(X.nnz), cache=ds.cache_stem)
    fname.write_text(json.dumps({"settings": meta, "results": rows}, indent=2))
    fname.with_suffix(".md").write_text(markdown(meta, rows, ds.description))
    _say(f"[out] {fname} and {fname.with_suffix('.md').name}")
    return 0


def markdown(meta: dict, rows: list[dict], description: str) -> str:
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


if __name__ == "__main__":
    raise SystemExit(main())
