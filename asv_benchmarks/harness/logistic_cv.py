"""The LogisticRegressionCV comparison (``compare_logistic_cv.py``; method there).

Job: fastridge's ``LogisticRegressionCV`` against scikit-learn's on the IMDB binary
data set ``imdb1`` with the same Cs, the same explicit folds and the same scoring;
interleaved rounds, then each estimator's fold scores compared with the timed
fastridge run and with an untimed fastridge run at ``tol=1e-14``.  Writes
``OUT/logistic_cv_comparison[_quick].{json,md}`` and prints the table.
"""

from __future__ import annotations

import json
import statistics
import time
import warnings
from pathlib import Path

import numpy as np

from . import log
from .logistic_data import load_dataset
from .path_tables import logistic_cv_markdown, logistic_cv_text
from .peers.base import fastridge_api


def _fastridge_cv(Cs, folds, scoring, tol, n_threads):
    LogisticRegressionCV, _ = fastridge_api("LogisticRegressionCV")
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


def _interleaved(makers: dict, X, y, repeats: int):
    """``(times, fitted)``: seconds per estimator over ``repeats`` rounds, last fits."""
    times = {name: [] for name in makers}
    fitted = {}
    for r in range(repeats):
        for name, make in makers.items():
            est = make()
            times[name].append(_fit(est, X, y))
            fitted[name] = est
            log(f"[run {r + 1}/{repeats}] {name}: {times[name][-1]:.2f} s, C = {est.C_[0]:.4g}")
    return times, fitted


def _compare(fitted: dict, times: dict, exact, Cs) -> list[dict]:
    """One row per estimator: times, chosen C, fold-score differences to the timed
    fastridge run and errors against ``exact`` (fastridge at tol=1e-14)."""
    ref = fitted["fastridge"]
    pos = ref.classes_[1]
    ref_scores = np.asarray(ref.scores_[pos])
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
    return rows


def main(args) -> int:
    """Run the comparison for parsed ``args`` (:func:`harness.cli.logistic_cv_parser`)."""
    from sklearn.model_selection import StratifiedKFold

    if args.sk_solvers is None:
        # lbfgs needs minutes even on the quick subsample at a tol that matches scores
        args.sk_solvers = "newton-cg" if args.quick else "newton-cg,lbfgs"
    ds = load_dataset("imdb1", quick=args.quick)
    X, y = ds.X, ds.y
    log(f"[data] {ds.description}: {X.shape[0]} x {X.shape[1]}, nnz {X.nnz}")
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
    times, fitted = _interleaved(makers, X, y, args.repeats)
    # Untimed reference: fastridge at tol=1e-14 (every point certified), against
    # which every estimator's fold scores are also compared.
    exact = _fastridge_cv(Cs, folds, args.scoring, 1e-14, args.n_threads)
    _fit(exact, X, y)
    rows = _compare(fitted, times, exact, Cs)
    title = (
        f"LogisticRegressionCV, {ds.description} ({X.shape[0]} x {X.shape[1]}), "
        f"{args.folds} folds x {args.cs} Cs, scoring={args.scoring}, "
        f"fastridge tol={args.fr_tol:g}, sklearn tol={args.sk_tol:g}, {args.repeats} repeats"
    )
    print(logistic_cv_text(title, rows))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fname = out / f"logistic_cv_comparison{'_quick' if args.quick else ''}.json"
    meta = {k: v for k, v in vars(args).items()}
    meta.update(shape=list(X.shape), nnz=int(X.nnz), cache=ds.cache_stem)
    fname.write_text(json.dumps({"settings": meta, "results": rows}, indent=2))
    fname.with_suffix(".md").write_text(logistic_cv_markdown(meta, rows, ds.description))
    log(f"[out] {fname} and {fname.with_suffix('.md').name}")
    return 0
