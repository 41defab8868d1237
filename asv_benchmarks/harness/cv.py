"""Ridge cross-validation timings (``compare_path.py --cv-datasets``, ``compare_ridge_cv.py``).

Job: on one data set and the path grid, time 5-fold ``fastridge.RidgeCV`` and its
stochastic GCV against one ``fastridge.ridge`` fit, and what scikit-learn's
``RidgeCV(alphas=grid)`` does on the same data.  With ``cv=None`` (efficient
leave-one-out) scikit-learn forms a dense p x p covariance (n > p) or n x n Gram
(n <= p) and its eigendecomposition; :func:`sklearn_gcv_memory` computes the memory
that needs (from scikit-learn 1.9's code: at least 3 such float64 arrays at once) and
it runs only below ``--sklearn-memory-gb`` and 80% of the available memory.  With
``cv=5`` it is a grid search of ``Ridge(solver="sparse_cg")`` (250 fits), run only when
the time extrapolated from a few fold-0 fits is below ``--sklearn-cv-budget``.
"""

from __future__ import annotations

import json
import math
import traceback
import warnings
from pathlib import Path

import numpy as np

from . import log
from .data import grid_for, load_dataset
from .machine import available_memory_bytes
from .peers.base import fastridge_api
from .timing import median_time, timed

# Folds of the cross-validation timings (the 5-fold RidgeCV target).
CV_FOLDS = 5
# scikit-learn RidgeCV(cv=5): fold-0 fits timed to extrapolate the 250-fit grid search.
SKLEARN_CV_SAMPLE = 5
# Arrays of min(n, p)^2 float64 alive at once in scikit-learn 1.9's RidgeCV(cv=None)
# (a lower bound on its peak; eigh's workspace comes on top): covariance mode (n > p):
# V, V * D and Hinv = (V * D) @ V.T in _solve_eigen_covariance; Gram mode (n <= p):
# Q, Q ** 2 and v_prime * Q ** 2 in _decomp_diag.
SKLEARN_GCV_COPIES = {"cov": 3, "gram": 3}


def sklearn_gcv_memory(n: int, p: int) -> dict:
    """The dense matrices scikit-learn's ``RidgeCV(cv=None)`` forms for sparse X."""
    mode = "gram" if n <= p else "cov"
    m = min(n, p)
    one = 8.0 * m * m
    return {
        "mode": mode,
        "matrix": f"{m:,} x {m:,} ({'n x n Gram' if mode == 'gram' else 'p x p covariance'})",
        "matrix_gb": one / 1e9,
        "peak_gb": SKLEARN_GCV_COPIES[mode] * one / 1e9,
    }


def run_cv(ds, lams, args) -> dict:
    """fastridge RidgeCV(cv=5) vs one fit; scikit-learn RidgeCV (cv=None and cv=5)."""
    ridge, _ = fastridge_api("ridge")
    X, y = ds.X, ds.y
    n, p = X.shape
    lam_mid = float(lams[len(lams) // 2])
    out = {"dataset": ds.key, "n": n, "p": p, "nnz": ds.nnz, "lam_mid": lam_mid}
    log(f"\n=== cross-validation on {ds.key} ({n} x {p}) ===")

    def one_fit():
        return ridge(X, y, lam_mid, tol=args.target, n_threads=args.threads)

    one_fit()  # warm-up
    t, ts, res = median_time(one_fit, args.repeats)
    out["one_fit"] = {"seconds": t, "runs": ts, "solver": res.solver, "n_passes": res.n_passes}
    log(f"  fastridge.ridge at lam={lam_mid:.4g}: {t:.3f} s ({res.solver})")
    out["fastridge_cv"] = _fastridge_kfold(X, y, lams, args, t)

    # scikit-learn RidgeCV(cv=None): efficient LOO through a dense eigendecomposition
    out["sklearn_cv_none"] = _sklearn_cv_none(X, y, lams, args)
    log(f"  sklearn RidgeCV(cv=None): {out['sklearn_cv_none']['status']}")

    # scikit-learn RidgeCV(cv=5): GridSearchCV of Ridge(solver="sparse_cg") over the grid
    out["sklearn_cv5"] = _sklearn_cv5(X, y, lams, args)
    log(f"  sklearn RidgeCV(cv={CV_FOLDS}): {out['sklearn_cv5']['status']}")
    return out


def _fastridge_kfold(X, y, lams, args, one_fit_seconds) -> dict:
    """``fastridge.RidgeCV(alphas=lams, cv=5)``: median time after a warm-up."""
    try:
        RidgeCV, _ = fastridge_api("RidgeCV")
    except Exception as e:
        return {"status": f"unavailable: {type(e).__name__}: {e}"}

    def fr_cv():
        return RidgeCV(alphas=lams, cv=CV_FOLDS).fit(X, y)

    try:
        fr_cv()  # warm-up
        t, ts, est = median_time(fr_cv, args.repeats)
    except Exception as e:
        log(traceback.format_exc())
        return {"status": f"error: {type(e).__name__}: {e}"}
    cv = est.cv_result_
    log(f"  fastridge.RidgeCV(cv={CV_FOLDS}): {t:.3f} s, alpha {cv.best_lam:.4g}")
    return {
        "status": "ok",
        "seconds": t,
        "runs": ts,
        "ratio_to_one_fit": t / one_fit_seconds,
        "alpha": float(cv.best_lam),
        "method": cv.method,
        "scoring": cv.scoring,
    }


def _sklearn_cv_none(X, y, lams, args) -> dict:
    """scikit-learn ``RidgeCV(cv=None)``, run only if its dense matrices fit."""
    mem = sklearn_gcv_memory(*X.shape)
    avail = available_memory_bytes()
    mem["available_gb"] = None if avail is None else avail / 1e9
    limit = args.sklearn_memory_gb
    if avail is not None:
        limit = min(limit, 0.8 * avail / 1e9)
    if mem["peak_gb"] > limit:
        mem["status"] = (
            f"not run: would need >= {mem['peak_gb']:.3g} GB "
            f"({SKLEARN_GCV_COPIES[mem['mode']]} dense float64 arrays of {mem['matrix']}, "
            f"{mem['matrix_gb']:.3g} GB each; limit {limit:.3g} GB)"
        )
    else:
        mem.update(_time_sklearn_ridgecv(X, y, lams, None))
    return mem


def _time_sklearn_ridgecv(X, y, lams, cv) -> dict:
    from sklearn.linear_model import RidgeCV

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est, secs = timed(lambda: RidgeCV(alphas=lams, cv=cv).fit(X, y))
    except MemoryError as e:
        return {"status": f"MemoryError: {e}"}
    return {"status": "ok", "seconds": secs, "alpha": float(est.alpha_)}


def _sklearn_cv5(X, y, lams, args) -> dict:
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import KFold

    train, _ = next(KFold(CV_FOLDS).split(X))
    Xt, yt = X[train], y[train]
    sample = np.unique(np.linspace(0, len(lams) - 1, SKLEARN_CV_SAMPLE).round().astype(int))
    secs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for j in sample:
            # what RidgeCV(cv=k) fits for sparse X: Ridge(solver="sparse_cg"), default tol
            _, s = timed(lambda lam=lams[j]: Ridge(alpha=lam, solver="sparse_cg").fit(Xt, yt))
            secs.append(s)
    estimate = float(np.mean(secs)) * len(lams) * CV_FOLDS
    out = {"sample_fits": len(secs), "sample_seconds": secs, "estimated_seconds": estimate}
    if estimate > args.sklearn_cv_budget:
        out["status"] = (
            f"not run: estimated {estimate:.0f} s for {len(lams) * CV_FOLDS} fits "
            f"(from {len(secs)} timed fold-0 fits; budget {args.sklearn_cv_budget:g} s)"
        )
        return out
    out.update(_time_sklearn_ridgecv(X, y, lams, CV_FOLDS))
    return out


def run_stochastic(ds, lams, args) -> dict:
    """``RidgeCV(alphas=grid, gcv_mode="stochastic")``: time, choice and reported errors."""
    RidgeCV, _ = fastridge_api("RidgeCV")

    def fit():
        return RidgeCV(
            alphas=lams, gcv_mode="stochastic", n_probes=args.n_probes, n_threads=args.threads
        ).fit(ds.X, ds.y)

    fit()  # warm-up (Numba caches, page cache)
    t, ts, est = median_time(fit, args.repeats)
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


def run_ridge_cv(args) -> int:
    """``compare_ridge_cv.py``: fold CV, stochastic GCV and scikit-learn on one data set;
    writes ``OUT.json`` and ``OUT.md`` and prints the table."""
    from threadpoolctl import threadpool_limits

    from .path_tables import ridge_cv_report

    args.target = 1e-8  # tol of the single fit (run_cv)
    args.sklearn_cv_budget = math.inf if args.with_sklearn_kfold else 0.0
    if args.quick:
        args.repeats = min(args.repeats, 2)
    out = Path(args.out or f"docs/benchmarks/ridge_cv{'_quick' if args.quick else ''}")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        ds = load_dataset(args.dataset, quick=args.quick)
        lams = grid_for(ds, args.n_lams)
        n, p = ds.X.shape
        res = {
            "dataset": ds.key + (" (quick)" if args.quick else ""),
            "n": n,
            "p": p,
            "nnz": int(ds.X.nnz),
            "n_lams": len(lams),
            "threads": args.threads,
            "repeats": args.repeats,
            "cv": run_cv(ds, lams, args),
            "stochastic": run_stochastic(ds, lams, args),
        }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(res, indent=1, default=str))
    md = ridge_cv_report(res)
    out.with_suffix(".md").write_text(md)
    print(md)
    return 0
