"""Side-by-side benchmark of a certified 50-lam ridge path: fastridge vs glmnet vs scikit-learn.

Usage (from the repository root)::

    python asv_benchmarks/compare_path.py [--datasets A,C2] [--repeats 3]
                                          [--out docs/benchmarks/path_comparison] [--quick]

Measures the wall time of a whole regularisation path (``--n-lams`` = 50 values) of the
ridge objective ``P = 1/2 ||y - X w - b||^2 + lam/2 ||w||^2`` (intercept on) with every
point within a relative suboptimality ``(P_j - P*_j) / P*_j <= 1e-8`` of its own optimum.

Method
------
* Grid: ``lam_j = rho_j * ||X||_2^2`` (raw X, as ``compare_ridge.py``), ``rho`` geometric
  from 10 down to 0.01 (the issue's reference measurement), decreasing, so that every
  warm-started method runs it in its natural order.
* References: an independent certified optimum per lam (``_compare_data.reference``:
  Jacobi-PCG on the profiled normal equations, certificate/P* <= 1e-13), cached on disk
  (``$FASTRIDGE_BENCH_CACHE``), so the 50 references per data set are computed once.
* Accuracy of a run: ``P_j`` of every returned point is evaluated with the same objective
  (scipy products) and the table reports the *worst* ``(P_j - P*_j) / P*_j`` over the path.
* Competitors (their stopping knob is not the suboptimality): one tolerance for the whole
  path, calibrated on a decade ladder (1e-2 ... 1e-16, starting near a typical value,
  looser while the worst point still reaches the target, tighter until it does, then one
  half-decade refinement): the loosest setting whose worst point reaches the target.  This
  uses the reference optima, an oracle no user has: the competitors' best case.

  - ``glmnet``: the Fortran ``spelnet`` called directly as in ``compare_ridge.Glmnet``
    (``ka=2`` naive algorithm, ``alpha=0``, ``isd=0``, unit weights) with ``nlam=50`` and
    ``ulam`` = the grid in glmnet's scaling, ``lam_g = lam * ys / n`` with
    ``ys = sqrt(mean((y - mean y)^2))`` (glmnet divides y and lambda by ys and uses
    weights summing to 1); glmnet warm-starts each lambda from the previous one.  ``thr``
    is calibrated; its CSC copy with 1-based indices is made once, outside the timing.
  - ``sklearn-sparse_cg`` / ``sklearn-lsqr``: a Python loop of ``Ridge(alpha=lam)`` over
    the grid (scikit-learn's Ridge has no path and no warm start); ``tol`` calibrated, one
    value for the whole loop.
* fastridge, certified, not calibrated: ``fastridge.ridge_path(X, y, lams=grid,
  tol=1e-8 * min_j(P*_j / P_null))``, so every point's own certificate
  (``certificate_j <= tol * P_null``) proves ``(P_j - P*_j)/P*_j <= 1e-8``.  Each point's
  certificate is also checked against the measured suboptimality.  ``fastridge-loop``
  (50 independent certified ``fastridge.ridge`` fits at the same tol) shows what the
  path machinery buys over single fits.
* Time cap: every run gets about ``--time-cap`` seconds: an iteration cap from two short
  probe runs (glmnet: passes for the whole path; scikit-learn: iterations per fit), and the
  scikit-learn loop stops between lams once the cap is spent.  A run that misses the
  target within it is reported as "did not reach", with the best worst-point seen.
* Timing: after calibration (which also warms caches and Numba), ``--repeats`` interleaved
  rounds (every solver once per round, order rotated); medians, min-max, and ratios
  ``median / median of fastridge``.
* Cross-validation (``--cv-datasets``, default the synthetic case A): 5-fold
  ``fastridge.RidgeCV(alphas=grid, cv=5)`` against one ``fastridge.ridge`` fit at the
  middle lam of the grid (``tol=1e-8``); and what scikit-learn's ``RidgeCV(alphas=grid)``
  does on the same data.  With ``cv=None`` (efficient leave-one-out) it forms a dense
  p x p covariance (n > p) or n x n Gram (n <= p) and its eigendecomposition; the harness
  computes the memory that needs (from scikit-learn 1.9's code: at least 3 such float64
  arrays at once - in the covariance mode the eigenvectors, their column-scaled copy and
  ``Hinv`` per alpha; in the Gram mode the eigenvectors, their square and its scaled
  copy), and
  runs it only if that is below ``--sklearn-memory-gb`` (default 8) and the machine's
  available memory; otherwise it reports "would need X GB".  With ``cv=5`` it runs a
  grid search of ``Ridge(solver="sparse_cg", tol=1e-4)`` (250 fits); the harness first
  times a sample of fold-0 fits and runs the full search only if the extrapolated time is
  below ``--sklearn-cv-budget`` seconds, else reports the extrapolation.
* Threads: BLAS limited to ``--threads`` with threadpoolctl; fastridge ``n_threads =
  --threads``; scikit-learn's sparse solvers and glmnet are single-threaded.
* ``--quick``: tiny versions of the data sets (``_compare_data.QUICK_DATASETS``), 5 s
  time cap, 10 s of calibration per solver: a smoke test (< 1 minute), not a measurement.

Outputs ``OUT.json`` (every run, calibration ladders, machine, bandwidth) and ``OUT.md``
(tables), rewritten after every data set; ``OUT`` defaults to
``docs/benchmarks/path_comparison`` (``path_comparison_quick`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import sys
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
if str(REPO) not in sys.path:
    sys.path.insert(1, str(REPO))

import _compare_data as cdata  # noqa: E402
import compare_ridge as cr  # noqa: E402

# The grid: rho geometric from RHO_MAX down to RHO_MIN (lam = rho ||X||_2^2), as in the
# issue's reference measurement of glmnet and scikit-learn paths.
RHO_MAX, RHO_MIN = 10.0, 0.01
N_LAMS = 50
# Tolerance ladder shared with compare_ridge (1e-2 ... 1e-16).
LADDER = cr.LADDER
# Folds of the cross-validation timings (the 5-fold RidgeCV target).
CV_FOLDS = 5
# scikit-learn RidgeCV(cv=5): fold-0 fits timed to extrapolate the 250-fit grid search.
SKLEARN_CV_SAMPLE = 5
# Arrays of min(n, p)^2 float64 alive at once in scikit-learn 1.9's RidgeCV(cv=None)
# (a lower bound on its peak; eigh's workspace comes on top): covariance mode (n > p):
# V, V * D and Hinv = (V * D) @ V.T in _solve_eigen_covariance; Gram mode (n <= p):
# Q, Q ** 2 and v_prime * Q ** 2 in _decomp_diag.
SKLEARN_GCV_COPIES = {"cov": 3, "gram": 3}

log = cr.log


def grid_for(ds, n_lams=N_LAMS) -> np.ndarray:
    """The decreasing grid ``rho * ||X||_2^2``, rho geometric from 10 to 0.01."""
    return np.geomspace(RHO_MAX, RHO_MIN, n_lams) * ds.sigma_max_sq


# ----------------------------------------------------------------------------
# context and path evaluation


@dataclass
class PathCtx:
    ds: cdata.Dataset
    lams: np.ndarray  # decreasing
    p_star: np.ndarray  # reference optimum per lam
    ref_gap: np.ndarray  # reference certificate per lam
    p_null: float
    target: float
    time_cap: float
    threads: int

    def suboptimality(self, coef: np.ndarray, intercept: np.ndarray) -> np.ndarray:
        """``(P_j - P*_j) / P*_j`` for each row ``coef[j]`` (inf where the row is NaN)."""
        out = np.full(len(self.lams), math.inf)
        for j, lam in enumerate(self.lams):
            if j >= coef.shape[0] or not np.all(np.isfinite(coef[j])):
                continue
            P = cdata.objective(self.ds.X, self.ds.y, lam, coef[j], float(intercept[j]))
            out[j] = (P - self.p_star[j]) / abs(self.p_star[j])
        return out


@dataclass
class PathOut:
    coef: np.ndarray  # (L, p); rows of NaN for points not computed
    intercept: np.ndarray  # (L,)
    n_iter: int | None = None  # total iterations / passes of the run
    hit_cap: bool = False
    extra: dict = field(default_factory=dict)


@dataclass
class PathRun:
    tol: float
    seconds: float
    worst_rel_subopt: float
    worst_at: int  # index into the grid of the worst point
    n_reached: int  # points within the target
    n_iter: int | None
    hit_cap: bool
    max_iter: int | None
    error: str | None = None
    extra: dict = field(default_factory=dict)

    def reached(self, target: float) -> bool:
        return self.error is None and self.worst_rel_subopt <= target


def _nan_path(L, p):
    return np.full((L, p), np.nan), np.full(L, np.nan)


# ----------------------------------------------------------------------------
# solvers


class PathSolver:
    name = "?"
    start_tol = 1e-6
    calibrate = True
    probe_iters: tuple[int, int] | None = (5, 25)

    def available(self) -> tuple[bool, str]:
        return True, ""

    def prepare(self, ctx):
        return None

    def fit(self, ctx: PathCtx, state, tol: float, max_iter: int | None) -> PathOut:
        raise NotImplementedError

    def setting(self, tol: float) -> str:
        return f"tol={tol:.3g}"

    def no_cap(self, ctx) -> str | None:
        return None


class GlmnetPath(PathSolver):
    """glmnet's own path: one ``spelnet`` call with ``nlam`` user lambdas."""

    name = "glmnet"
    start_tol = 1e-9
    probe_iters = (3, 12)  # maxit: passes over the data for the whole path

    def available(self):
        return cr.Glmnet().available()

    def prepare(self, ctx):
        return cr.glmnet_prepare(ctx.ds.X, ctx.ds.y, ctx.lams)

    def fit(self, ctx, st, tol, max_iter):
        from glmnet._glmnet import solns

        p = ctx.ds.X.shape[1]
        L = len(ctx.lams)
        out = cr.glmnet_ridge(ctx.ds.X.shape, ctx.ds.y, st, tol, max_iter, True)
        lmu, a0, ca, ia, nin, _rsq, _alm, nlp, jerr = out
        coef, intercept = _nan_path(L, p)
        if lmu >= 1:
            coef[:lmu] = solns(p, ca[:, :lmu], ia, nin[:lmu]).T
            intercept[:lmu] = a0[:lmu]
        extra = {"lmu": int(lmu), "jerr": int(jerr)}
        return PathOut(coef, intercept, int(nlp), jerr < 0 or lmu < L, extra)

    def setting(self, tol):
        return f"thr={tol:.3g}"


class SklearnLoop(PathSolver):
    """``Ridge(alpha=lam, solver=...)`` fitted independently at each lam."""

    def __init__(self, solver: str):
        self.solver = solver
        self.name = f"sklearn-{solver}-loop"

    def no_cap(self, ctx):
        n, p = ctx.ds.X.shape
        if self.solver == "sparse_cg" and p > n:
            return "sparse_cg ignores max_iter when p > n: only the between-lams time cap"
        return None

    def _fit_one(self, X, y, lam, tol, max_iter):
        from sklearn.linear_model import Ridge

        est = Ridge(alpha=lam, solver=self.solver, tol=tol, max_iter=max_iter)
        est.fit(X, y)
        used = getattr(est, "solver_", self.solver)
        if used != self.solver:
            raise RuntimeError(f"scikit-learn ran solver {used!r} instead of {self.solver!r}")
        n_iter = None if est.n_iter_ is None else int(np.max(est.n_iter_))
        return est.coef_, float(est.intercept_), n_iter

    def fit(self, ctx, state, tol, max_iter, lams=None):
        from sklearn.exceptions import ConvergenceWarning

        X, y = ctx.ds.X, ctx.ds.y
        lams = ctx.lams if lams is None else lams
        coef, intercept = _nan_path(len(lams), X.shape[1])
        total, hit = 0, False
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            for j, lam in enumerate(lams):
                if ctx.time_cap is not None and time.perf_counter() - t0 > ctx.time_cap:
                    hit = True  # the remaining points stay NaN: "did not reach"
                    break
                coef[j], intercept[j], it = self._fit_one(X, y, lam, tol, max_iter)
                if it is not None:
                    total += it
                    hit |= max_iter is not None and it >= max_iter
        hit |= any(issubclass(w.category, ConvergenceWarning) for w in caught)
        return PathOut(coef, intercept, total or None, hit)


class FastridgePath(PathSolver):
    """``fastridge.ridge_path`` with the certified tolerance (no calibration)."""

    name = "fastridge"
    calibrate = False
    probe_iters = None

    def available(self):
        try:
            import fastridge

            fastridge.ridge_path  # noqa: B018
        except Exception as e:
            return False, f"fastridge.ridge_path not available ({type(e).__name__}: {e})"
        return True, ""

    def fixed(self, ctx):
        return ctx.target * float(np.min(ctx.p_star)) / ctx.p_null

    def fit(self, ctx, state, tol, max_iter):
        import fastridge

        res = fastridge.ridge_path(
            ctx.ds.X, ctx.ds.y, lams=ctx.lams, tol=tol, n_threads=ctx.threads
        )
        if not np.allclose(res.lams, ctx.lams, rtol=1e-14, atol=0):
            raise RuntimeError("ridge_path returned a different grid")
        extra = {
            "solver": res.solver,
            "n_passes": int(res.n_passes),
            "converged": bool(res.converged),
            "seconds": float(res.seconds),
            "certificate": np.asarray(res.certificate, dtype=float).ravel().tolist(),
        }
        return PathOut(
            np.asarray(res.coef, dtype=np.float64),
            np.asarray(res.intercept, dtype=np.float64).ravel(),
            int(np.sum(res.n_iter)),
            not bool(res.converged),
            extra,
        )

    def setting(self, tol):
        return f"tol={tol:.3g} (certified)"


class FastridgeLoop(FastridgePath):
    """Independent certified ``fastridge.ridge`` fits at every lam (no path machinery)."""

    name = "fastridge-loop"

    def available(self):
        try:
            import fastridge

            fastridge.ridge  # noqa: B018
        except Exception as e:  # pragma: no cover
            return False, f"fastridge.ridge not available ({type(e).__name__}: {e})"
        return True, ""

    def fit(self, ctx, state, tol, max_iter):
        import fastridge

        L, p = len(ctx.lams), ctx.ds.X.shape[1]
        coef, intercept = _nan_path(L, p)
        cert, passes, iters, conv, solvers = [], 0, 0, True, set()
        for j, lam in enumerate(ctx.lams):
            res = fastridge.ridge(ctx.ds.X, ctx.ds.y, lam, tol=tol, n_threads=ctx.threads)
            coef[j], intercept[j] = res.coef, float(res.intercept)
            cert.append(float(res.certificate))
            passes += int(res.n_passes)
            iters += int(res.n_iter)
            conv &= bool(res.converged)
            solvers.add(res.solver)
        extra = {
            "solver": "/".join(sorted(solvers)),
            "n_passes": passes,
            "converged": conv,
            "certificate": cert,
        }
        return PathOut(coef, intercept, iters, not conv, extra)

    def setting(self, tol):
        return f"tol={tol:.3g} (certified, one fit per lam)"


SOLVERS = {
    "fastridge": FastridgePath,
    "fastridge-loop": FastridgeLoop,
    "glmnet": GlmnetPath,
    "sklearn-sparse_cg-loop": lambda: SklearnLoop("sparse_cg"),
    "sklearn-lsqr-loop": lambda: SklearnLoop("lsqr"),
}
DEFAULT_SOLVERS = list(SOLVERS)


# ----------------------------------------------------------------------------
# running: one timed run, probe, calibration, interleaved timing


def run_once(solver: PathSolver, ctx: PathCtx, state, tol, max_iter) -> PathRun:
    t0 = time.perf_counter()
    try:
        out, secs = cr.timed(solver.fit, ctx, state, tol, max_iter)
    except Exception as e:
        secs = time.perf_counter() - t0
        log(f"      {solver.name} tol={tol:.1e}: ERROR {type(e).__name__}: {e}")
        return PathRun(
            tol, secs, math.inf, -1, 0, None, False, max_iter, f"{type(e).__name__}: {e}"
        )
    rel = ctx.suboptimality(out.coef, out.intercept)
    worst_at = int(np.argmax(rel))
    cert = out.extra.get("certificate")
    if cert is not None and len(cert) == len(rel):
        # a valid certificate bounds P_j - P_true* >= P_j - p_star_j (p_star >= P_true*)
        gap = rel * np.abs(ctx.p_star)
        ok = np.asarray(cert) >= gap - 1e-12 * np.abs(ctx.p_star)
        out.extra["certificate_ok"] = bool(np.all(ok[np.isfinite(gap)]))
        out.extra.pop("certificate")
        out.extra["max_certificate_over_p_null"] = float(np.max(cert) / ctx.p_null)
    hit = out.hit_cap or (ctx.time_cap is not None and secs > ctx.time_cap)
    r = PathRun(
        tol,
        secs,
        float(rel[worst_at]),
        worst_at,
        int(np.sum(rel <= ctx.target)),
        out.n_iter,
        hit,
        max_iter,
        None,
        out.extra,
    )
    log(
        f"      {solver.name:24s} {solver.setting(tol):30s} {secs:8.3f} s  worst rel.subopt "
        f"{r.worst_rel_subopt:9.2e} (lam #{worst_at}), {r.n_reached}/{len(rel)} reached"
        f"{'  [cap]' if hit else ''}"
    )
    return r


def probe_cap(solver: PathSolver, ctx: PathCtx, state) -> tuple[int | None, dict]:
    """Iteration cap worth about ``ctx.time_cap`` seconds, from two short runs."""
    mid = len(ctx.lams) // 2

    def probe_fit(m):
        if isinstance(solver, SklearnLoop):  # per-fit iterations: one fit
            cr.timed(solver.fit, ctx, state, 1e-30, m, ctx.lams[mid : mid + 1])
        else:  # glmnet: passes for the whole path
            cr.timed(solver.fit, ctx, state, 1e-30, m)

    return cr.probe_cap(solver, ctx, state, probe_fit)


def prepare_and_calibrate(solvers, ctx, args, unavailable, entries) -> list:
    """``compare_ridge.prepare_solvers`` with this harness's path runs and caps."""
    return cr.prepare_solvers(
        solvers,
        ctx,
        args,
        unavailable,
        entries,
        run=run_once,
        probe=probe_cap,
        subopt=lambda r: r.worst_rel_subopt,
    )


def time_interleaved(active, ctx, repeats) -> None:
    log(f"  timing: {repeats} interleaved rounds x {len(active)} solvers")
    for rep in range(repeats):
        k = rep % max(len(active), 1)
        for s, state, tol, max_iter, entry in active[k:] + active[:k]:
            entry["runs"].append(asdict(run_once(s, ctx, state, tol, max_iter)))
    for *_, entry in active:
        runs = entry["runs"]
        times = [r["seconds"] for r in runs]
        entry["median_seconds"] = float(np.median(times))
        entry["min_seconds"] = float(np.min(times))
        entry["max_seconds"] = float(np.max(times))
        entry["worst_rel_subopt"] = float(max(r["worst_rel_subopt"] for r in runs))
        entry["all_reached"] = bool(all(r["worst_rel_subopt"] <= ctx.target for r in runs))
        its = [r["n_iter"] for r in runs if r["n_iter"] is not None]
        entry["n_iter"] = int(np.median(its)) if its else None
        passes = [r["extra"].get("n_passes") for r in runs if r["extra"].get("n_passes")]
        entry["n_passes"] = int(np.median(passes)) if passes else None
        entry["certificate_ok"] = all(r["extra"].get("certificate_ok", True) for r in runs)


# ----------------------------------------------------------------------------
# cross-validation timings


def _available_memory_bytes() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None


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


def _median_time(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        out, secs = cr.timed(fn)
        times.append(secs)
    return float(np.median(times)), [float(t) for t in times], out


def run_cv(ds, lams, args) -> dict:
    """fastridge RidgeCV(cv=5) vs one fit; scikit-learn RidgeCV (cv=None and cv=5)."""
    import fastridge

    X, y = ds.X, ds.y
    n, p = X.shape
    lam_mid = float(lams[len(lams) // 2])
    out = {"dataset": ds.key, "n": n, "p": p, "nnz": ds.nnz, "lam_mid": lam_mid}
    log(f"\n=== cross-validation on {ds.key} ({n} x {p}) ===")

    def one_fit():
        return fastridge.ridge(X, y, lam_mid, tol=args.target, n_threads=args.threads)

    one_fit()  # warm-up
    t, ts, res = _median_time(one_fit, args.repeats)
    out["one_fit"] = {"seconds": t, "runs": ts, "solver": res.solver, "n_passes": res.n_passes}
    log(f"  fastridge.ridge at lam={lam_mid:.4g}: {t:.3f} s ({res.solver})")

    try:
        RidgeCV = fastridge.RidgeCV
    except Exception as e:
        out["fastridge_cv"] = {"status": f"unavailable: {type(e).__name__}: {e}"}
    else:

        def fr_cv():
            return RidgeCV(alphas=lams, cv=CV_FOLDS).fit(X, y)

        try:
            fr_cv()  # warm-up
            t, ts, est = _median_time(fr_cv, args.repeats)
            cv = est.cv_result_
            out["fastridge_cv"] = {
                "status": "ok",
                "seconds": t,
                "runs": ts,
                "ratio_to_one_fit": t / out["one_fit"]["seconds"],
                "alpha": float(cv.best_lam),
                "method": cv.method,
                "scoring": cv.scoring,
            }
            log(f"  fastridge.RidgeCV(cv={CV_FOLDS}): {t:.3f} s, alpha {cv.best_lam:.4g}")
        except Exception as e:
            out["fastridge_cv"] = {"status": f"error: {type(e).__name__}: {e}"}
            log(traceback.format_exc())

    # scikit-learn RidgeCV(cv=None): efficient LOO through a dense eigendecomposition
    mem = sklearn_gcv_memory(n, p)
    avail = _available_memory_bytes()
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
    out["sklearn_cv_none"] = mem
    log(f"  sklearn RidgeCV(cv=None): {mem['status']}")

    # scikit-learn RidgeCV(cv=5): GridSearchCV of Ridge(solver="sparse_cg") over the grid
    out["sklearn_cv5"] = _sklearn_cv5(X, y, lams, args)
    log(f"  sklearn RidgeCV(cv={CV_FOLDS}): {out['sklearn_cv5']['status']}")
    return out


def _time_sklearn_ridgecv(X, y, lams, cv) -> dict:
    from sklearn.linear_model import RidgeCV

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est, secs = cr.timed(lambda: RidgeCV(alphas=lams, cv=cv).fit(X, y))
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
            _, s = cr.timed(lambda lam=lams[j]: Ridge(alpha=lam, solver="sparse_cg").fit(Xt, yt))
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


# ----------------------------------------------------------------------------
# one data set


def references(ds, lams) -> tuple[np.ndarray, np.ndarray, float, float]:
    """``(p_star, gap, p_null, seconds)`` from the cached per-lam references."""
    p_star, gap, secs, p_null = [], [], 0.0, None
    for j, lam in enumerate(lams):
        ref = cdata.reference(ds, float(lam), True)
        if j % 10 == 0:
            log(f"  [ref] {j + 1}/{len(lams)} lam={lam:.4g}: P* = {ref.p_star:.10g}")
        p_star.append(ref.p_star)
        gap.append(ref.gap)
        secs += ref.seconds
        p_null = ref.p_null
    return np.array(p_star), np.array(gap), float(p_null), secs


def run_dataset(key, solvers, args, unavailable) -> dict:
    log(f"\n=== data set {key} ===")
    t0 = time.perf_counter()
    gc.collect()
    gc.freeze()
    ds = cdata.load_dataset(key, quick=args.quick)
    lams = grid_for(ds, args.n_lams)
    p_star, gap, p_null, ref_secs = references(ds, lams)
    n, p = ds.shape
    ctx = PathCtx(ds, lams, p_star, gap, p_null, args.target, args.time_cap, args.threads)
    log(
        f"  {n} x {p}, nnz {ds.nnz}, lam {lams[0]:.4g} .. {lams[-1]:.4g}, P_null {p_null:.6g}, "
        f"worst reference certificate/P* {np.max(gap / p_star):.1e}"
    )
    result = {
        "dataset": key,
        "description": ds.description,
        "n": n,
        "p": p,
        "nnz": ds.nnz,
        "sigma_max_sq": ds.sigma_max_sq,
        "rho": [RHO_MAX, RHO_MIN],
        "lams": lams,
        "p_star": p_star,
        "p_null": p_null,
        "reference": {
            "max_certificate_over_p_star": float(np.max(gap / p_star)),
            "seconds_total": ref_secs,
        },
        "target": args.target,
        "solvers": {},
    }
    active = prepare_and_calibrate(solvers, ctx, args, unavailable, result["solvers"])
    time_interleaved(active, ctx, args.repeats)
    active.clear()
    gc.collect()
    result["seconds"] = time.perf_counter() - t0
    return result


# ----------------------------------------------------------------------------
# report


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
    return f"- {res['dataset']}: fastridge path {cr.fmt_t(base)} s; " + "; ".join(parts) + "."


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
            f"{setting} | {cr.fmt_t(e['median_seconds'])} | "
            f"{cr.fmt_t(e['min_seconds'])}-{cr.fmt_t(e['max_seconds'])} | "
            f"{e['worst_rel_subopt']:.1e}{flag} | {work} | {ratio} |"
        )
    if e.get("status") in ("skipped", "error"):
        return f"{e['status']}: {e.get('note', '')} | - | - | - | - | - |"
    b = e.get("best")
    best = f"best worst-point {b['worst_rel_subopt']:.1e}" if b else "no solution"
    return f"{e.get('status', '?')} | - | - | {best} | - | - |"


def markdown(results, cv_results, meta) -> str:
    lines = [
        f"# Ridge path comparison: {meta['n_lams']} lams, every point to relative "
        f"suboptimality <= {meta['target']:g}"
        + (" (QUICK smoke-test sizes)" if meta["quick"] else ""),
        "",
        cr.machine_line(meta),
        "",
        f"Grid lam = rho ||X||_2^2, rho geometric from {RHO_MAX:g} to {RHO_MIN:g} "
        f"({meta['n_lams']} values, decreasing), intercept on. worst rel. subopt = "
        "max over the grid of (P_j - P*_j)/P*_j against certified references. Competitors: "
        "one tol for the whole path, calibrated with the references (loosest decade-ladder "
        "setting whose worst point reaches the target); `fastridge` runs `ridge_path` with "
        "tol = target * min_j P*_j / P_null (its certificates prove the target, no "
        "calibration). Times: median (min-max) of interleaved rounds. "
        "work = passes over X (fastridge) or total iterations/passes (others). "
        "ratio = median / median of `fastridge`.",
        "",
        "| data | n | p | nnz | solver | setting | median s | min-max s | worst rel. subopt "
        "| work | ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for res in results:
        base = res["solvers"].get("fastridge", {}).get("median_seconds")
        for name, e in res["solvers"].items():
            head = f"| {res['dataset']} | {res['n']:,} | {res['p']:,} | {res['nnz']:,} | {name} |"
            lines.append(f"{head} {_cells(e, base)}")
    if results:
        lines += ["", "Speed-ups (targets: >= 5x vs glmnet, >= 20x vs the scikit-learn loop):", ""]
        lines += [_ratio_line(r) for r in results]
    if cv_results:
        lines += [
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
                f"{head} fastridge.ridge, one fit at lam = {c['lam_mid']:.4g} | {cr.fmt_t(one)} "
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
                lines.append(f"{head} {label} | {cr.fmt_t(secs)} | {ratio} | {alpha} | {note} |")
    notes = meta.get("notes", [])
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------
# main


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--datasets", default="A,C2", help="comma list of data sets (A, C2, ...)")
    ap.add_argument("--solvers", default=",".join(DEFAULT_SOLVERS), help="comma list")
    ap.add_argument("--cv-datasets", default="A", help="data sets of the CV timings ('' none)")
    ap.add_argument("--n-lams", type=int, default=N_LAMS)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", default=None, help="output stem: writes OUT.json and OUT.md")
    ap.add_argument("--quick", action="store_true", help="tiny data sets (smoke test)")
    ap.add_argument("--target", type=float, default=1e-8)
    ap.add_argument("--time-cap", type=float, default=None, help="seconds (600; quick 5)")
    ap.add_argument("--calib-budget", type=float, default=None, help="seconds (1800; quick 10)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--blas-threads", type=int, default=None)
    ap.add_argument("--bandwidth-gib", type=float, default=None, help="1 (quick 0.25)")
    ap.add_argument("--sklearn-memory-gb", type=float, default=8.0)
    ap.add_argument(
        "--sklearn-cv-budget", type=float, default=None, help="seconds (1800; quick 30)"
    )
    args = ap.parse_args(argv)
    q = args.quick
    if args.time_cap is None:
        args.time_cap = 5.0 if q else 600.0
    if args.calib_budget is None:
        args.calib_budget = 10.0 if q else 1800.0
    if args.bandwidth_gib is None:
        args.bandwidth_gib = 0.25 if q else 1.0
    if args.sklearn_cv_budget is None:
        args.sklearn_cv_budget = 30.0 if q else 1800.0
    if args.out is None:
        args.out = str(REPO / "docs" / "benchmarks" / f"path_comparison{'_quick' if q else ''}")
    if args.blas_threads is None:
        args.blas_threads = args.threads
    return args


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))
    from threadpoolctl import threadpool_limits

    threadpool_limits(args.blas_threads)
    names = [s.strip() for s in args.solvers.split(",") if s.strip()]
    unknown = set(names) - set(SOLVERS)
    if unknown:
        raise SystemExit(f"unknown solvers {sorted(unknown)}; choose from {', '.join(SOLVERS)}")
    solvers = [SOLVERS[n]() for n in names]
    unavailable = {}
    for s in solvers:
        ok, why = s.available()
        if not ok:
            unavailable[s.name] = why
            log(f"[skip] {s.name}: {why}")
    try:
        import numba

        numba.set_num_threads(min(args.threads, numba.config.NUMBA_NUM_THREADS))
    except Exception:
        pass
    notes = [
        "glmnet: Fortran spelnet called directly (ka=2 naive, alpha=0, isd=0, nlam = grid "
        "size, ulam = lam*sd(y)/n), one call for the whole path; its CSC copy is made "
        "outside the timing.",
        "scikit-learn: Ridge(alpha=lam, solver=...) fitted independently at every lam "
        "(no path, no warm start); sparse_cg has no iteration cap when p > n.",
    ] + [f"{k} skipped: {v}" for k, v in unavailable.items()]
    meta = {
        "command": " ".join([Path(sys.argv[0]).name, *(sys.argv[1:] if argv is None else argv)]),
        "quick": args.quick,
        "target": args.target,
        "n_lams": args.n_lams,
        "threads": args.threads,
        "blas_threads": args.blas_threads,
        "repeats": args.repeats,
        "time_cap": args.time_cap,
        "machine": cr.machine_info(args.threads),
        "notes": notes,
    }
    log(f"[bandwidth] numpy sum over {args.bandwidth_gib:g} GiB ...")
    meta["bandwidth"] = cr.stream_bandwidth(args.bandwidth_gib, args.threads)

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results, cv_results = [], []

    def write():
        payload = {"meta": meta, "results": results, "cross_validation": cv_results}
        out.with_suffix(".json").write_text(
            json.dumps(payload, indent=1, default=cr._json_default)
        )
        out.with_suffix(".md").write_text(markdown(results, cv_results, meta))

    for key in [d.strip() for d in args.datasets.split(",") if d.strip()]:
        try:
            results.append(run_dataset(key, solvers, args, unavailable))
        except Exception:
            tb = traceback.format_exc()
            log(tb)
            notes.append(f"data set {key} failed: {tb.strip().splitlines()[-1]}")
        write()
    for key in [d.strip() for d in args.cv_datasets.split(",") if d.strip()]:
        try:
            ds = cdata.load_dataset(key, quick=args.quick)
            cv_results.append(run_cv(ds, grid_for(ds, args.n_lams), args))
        except Exception:
            tb = traceback.format_exc()
            log(tb)
            notes.append(f"cross-validation on {key} failed: {tb.strip().splitlines()[-1]}")
        write()
    print(markdown(results, cv_results, meta))
    log(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
