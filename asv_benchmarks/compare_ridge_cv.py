"""RidgeCV at scale: 5-fold CV and stochastic GCV against one fit, and what scikit-learn does.

Usage (from the repository root)::

    python asv_benchmarks/compare_ridge_cv.py [--dataset A] [--repeats 3] [--threads 2]
                                              [--with-sklearn-kfold] [--quick]
                                              [--out docs/benchmarks/ridge_cv]

On the synthetic case ``A`` (200,000 x 100,000, 20M nonzeros; ``_compare_data``,
cached under ``$FASTRIDGE_BENCH_CACHE``) with the grid ``lam = rho ||X||_2^2``, rho
geometric from 10 to 0.01 (50 values):

* ``one fit``: ``fastridge.ridge`` at the middle lam (``tol=1e-8``), the unit;
* ``RidgeCV(cv=5)``: one certified ``ridge_path`` per fold over the 50 lams, scored
  from one product per fold (target: <= 10x one fit);
* ``RidgeCV(cv=None, gcv_mode="stochastic")``: the certified path on all the data plus
  Hutchinson probes (``n_probes=30``) solved by multi-shift CG for all lams; the table
  also gives the trace's standard error and the probe-solve bound;
* scikit-learn's ``RidgeCV(alphas=grid)``: ``cv=None`` forms a dense ``min(n, p)^2``
  matrix -- its size is computed and it is run only below ``--sklearn-memory-gb``
  (default 8) and 80% of the available memory; ``cv=5`` is a grid search of
  ``Ridge(solver="sparse_cg")`` (250 fits), timed only with ``--with-sklearn-kfold``,
  else extrapolated from a few timed fold-0 fits.

The fold-CV and scikit-learn parts reuse ``compare_path.run_cv`` (one implementation
of those measurements); this script adds the stochastic GCV and its own report.
Medians of ``--repeats`` runs after a warm-up.  ``--quick``: the tiny version of the
data set (< 1 minute), a smoke test, not a measurement.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

import _compare_data as cdata  # noqa: E402
import compare_path as cp  # noqa: E402

log = cp.log


def run_stochastic(ds, lams, args) -> dict:
    """``RidgeCV(alphas=grid, gcv_mode="stochastic")``: time, choice and reported errors."""
    import fastridge

    def fit():
        return fastridge.RidgeCV(
            alphas=lams, gcv_mode="stochastic", n_probes=args.n_probes, n_threads=args.threads
        ).fit(ds.X, ds.y)

    fit()  # warm-up (Numba caches, page cache)
    t, ts, est = cp._median_time(fit, args.repeats)
    g = est.gcv_
    best = int(est.cv_result_.best_index)
    out = {
        "seconds": t,
        "runs": ts,
        "alpha": float(est.alpha_),
        "best_index": best,
        "n_probes": args.n_probes,
        "df_at_best": float(g.df[best]),
        "df_se_at_best": float(g.df_se[best]),
        "max_df_solve_bound": float(np.max(g.df_solve_bound)),
        "score_se_over_spread": float(
            np.max(est.cv_result_.std_error) / np.ptp(est.cv_result_.mean_score)
        ),
    }
    log(
        f"  fastridge.RidgeCV(gcv_mode='stochastic'): {t:.3f} s, alpha {est.alpha_:.4g}, "
        f"df {out['df_at_best']:.1f} +- {out['df_se_at_best']:.2g}"
    )
    return out


def report(res: dict) -> str:
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dataset", default="A")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-lams", type=int, default=cp.N_LAMS)
    ap.add_argument("--n-probes", type=int, default=30)
    ap.add_argument("--with-sklearn-kfold", action="store_true")
    ap.add_argument("--sklearn-memory-gb", type=float, default=8.0)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    args.target = 1e-8  # tol of the single fit (compare_path.run_cv)
    args.sklearn_cv_budget = math.inf if args.with_sklearn_kfold else 0.0
    if args.quick:
        args.repeats = min(args.repeats, 2)
    out = Path(args.out or f"docs/benchmarks/ridge_cv{'_quick' if args.quick else ''}")

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=args.threads, user_api="blas"):
        ds = cdata.load_dataset(args.dataset, quick=args.quick)
        lams = cp.grid_for(ds, args.n_lams)
        n, p = ds.X.shape
        res = {
            "dataset": ds.key + (" (quick)" if args.quick else ""),
            "n": n,
            "p": p,
            "nnz": int(ds.X.nnz),
            "n_lams": len(lams),
            "threads": args.threads,
            "repeats": args.repeats,
            "cv": cp.run_cv(ds, lams, args),
            "stochastic": run_stochastic(ds, lams, args),
        }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(res, indent=1, default=str))
    md = report(res)
    out.with_suffix(".md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
