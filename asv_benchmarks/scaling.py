"""How fastridge's cost grows: time per fit and per pass against nnz, against p, and threads.

Three families of synthetic CSR matrices from the generator of case A (Zipf-like
columns, N(0, 1) values, ``benchmarks.common.synthetic_csr``):

- **nnz**: ``p = 100,000`` columns, 100 stored entries a row, ``n`` from 10,000 to
  1,000,000 rows: 1M to 100M nonzeros of one shape family;
- **p**: ``n = 100,000`` rows, 100 entries a row (10M nonzeros), ``p`` from 1,000 to
  10,000,000 columns;
- each at 1 and 2 threads.

Ridge: ``solver="cg-primal"``, ``lam = rho ||X||_2^2`` with ``rho = 1e-2``, intercept.
Logistic: labels from a planted ``w`` (``sigmoid(2 x.w + 0.5)``), ``lam = 1e-3 n``,
intercept.  ``tol = 1e-8``.  Each point: the median of ``--repeats`` fits after a
warm-up fit; the time per pass is the fit's time over its ``n_passes`` (the passes
differ between sizes, so the per-pass time is what must be linear in nnz).

    python asv_benchmarks/scaling.py [--quick] [--repeats 3] [--out docs/benchmarks]

Writes ``scaling.json`` and ``scaling.md``; the performance page draws its figure
from the JSON (``docs/plots.py``, ``scaling_figure``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import expit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmarks.common import spectral_norm_sq, synthetic_csr, synthetic_target

import fastridge

NNZ_PER_ROW = 100
NNZ_FAMILY = {"p": 100_000, "n": [10_000, 30_000, 100_000, 300_000, 1_000_000]}
P_FAMILY = {"n": 100_000, "p": [1_000, 10_000, 100_000, 1_000_000, 10_000_000]}
QUICK_NNZ = {"p": 5_000, "n": [1_000, 3_000, 10_000]}
QUICK_P = {"n": 5_000, "p": [500, 5_000, 50_000]}
RHO = 1e-2
LAM_PER_N = 1e-3
TOL = 1e-8


def planted_labels(X, seed: int = 3) -> np.ndarray:
    """``+1`` with probability ``sigmoid(2 x.w + 0.5)`` for a planted ``w``, else ``-1``."""
    rng = np.random.default_rng(seed)
    w = rng.standard_normal(X.shape[1]) / np.sqrt(max(1.0, X.nnz / X.shape[0]))
    return np.where(rng.random(X.shape[0]) < expit(2.0 * (X @ w) + 0.5), 1.0, -1.0)


def time_fits(fit, repeats: int) -> tuple[float, object]:
    """Median seconds of ``repeats`` calls of ``fit`` after one warm-up call, and a result."""
    result = fit()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), result


def point(family: str, n: int, p: int, threads_list, repeats: int) -> list[dict]:
    """Ridge and logistic fits on one matrix of the family, at each thread count."""
    X = synthetic_csr(n, p, min(NNZ_PER_ROW, p), seed=7)
    y = synthetic_target(X, seed=8)
    labels = planted_labels(X)
    lam_ridge = RHO * spectral_norm_sq(X)
    rows = []
    for threads in threads_list:
        fits = {
            "ridge": lambda t=threads: fastridge.ridge(
                X, y, lam_ridge, solver="cg-primal", tol=TOL, n_threads=t
            ),
            "logistic": lambda t=threads: fastridge.logistic(
                X, labels, LAM_PER_N * n, tol=TOL, n_threads=t
            ),
        }
        for problem, fit in fits.items():
            seconds, res = time_fits(fit, repeats)
            rows.append(
                {
                    "family": family,
                    "problem": problem,
                    "n": n,
                    "p": p,
                    "nnz": int(X.nnz),
                    "threads": threads,
                    "seconds": seconds,
                    "passes": int(res.n_passes),
                    "seconds_per_pass": seconds / max(int(res.n_passes), 1),
                    "converged": bool(np.all(res.converged)),
                }
            )
            print(
                f"{family:3s} {problem:8s} n={n:>9,} p={p:>10,} nnz={X.nnz:>11,} "
                f"threads={threads} {seconds:8.3f} s  {res.n_passes:3d} passes  "
                f"{1e3 * rows[-1]['seconds_per_pass']:8.2f} ms/pass",
                flush=True,
            )
    return rows


def slope(rows, x_key: str) -> float:
    """Least-squares slope of log(seconds per pass) against log(x): 1 is linear."""
    x = np.log([r[x_key] for r in rows])
    t = np.log([r["seconds_per_pass"] for r in rows])
    return float(np.polyfit(x, t, 1)[0])


def markdown(rows: list[dict], meta: dict) -> str:
    out = [
        "# How the cost grows: nnz, p, threads",
        "",
        f"Measured {meta['date']} on {meta['machine']}; medians of {meta['repeats']} fits. "
        f"Command: `python asv_benchmarks/scaling.py {meta['argv']}`.",
        "",
    ]
    for family, x_key, title in (
        ("nnz", "nnz", "against nnz (p fixed, n grows)"),
        ("p", "p", "against p (nnz fixed)"),
    ):
        out += [
            f"## Time {title}",
            "",
            "| problem | threads | n | p | nnz | passes | fit s | ms per pass |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        fam = [r for r in rows if r["family"] == family]
        for r in fam:
            out.append(
                f"| {r['problem']} | {r['threads']} | {r['n']:,} | {r['p']:,} | {r['nnz']:,} "
                f"| {r['passes']} | {r['seconds']:.3g} | {1e3 * r['seconds_per_pass']:.3g} |"
            )
        out += ["", "Log-log slope of the time per pass against " + x_key + ":", ""]
        for problem in ("ridge", "logistic"):
            for threads in sorted({r["threads"] for r in fam}):
                sel = [r for r in fam if r["problem"] == problem and r["threads"] == threads]
                if len(sel) > 1:
                    out.append(f"- {problem}, {threads} thread(s): {slope(sel, x_key):.2f}")
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--out", default="docs/benchmarks")
    args = ap.parse_args(argv)
    threads = [int(t) for t in args.threads.split(",")]
    nnz_fam, p_fam = (QUICK_NNZ, QUICK_P) if args.quick else (NNZ_FAMILY, P_FAMILY)
    rows = []
    for n in nnz_fam["n"]:
        rows += point("nnz", n, nnz_fam["p"], threads, args.repeats)
    for p in p_fam["p"]:
        rows += point("p", p_fam["n"], p, threads, args.repeats)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.processor() or platform.machine()}, 2 cores, shared, noisy",
        "repeats": args.repeats,
        "argv": " ".join(sys.argv[1:] if argv is None else argv),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scaling.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    (out / "scaling.md").write_text(markdown(rows, meta))
    print(markdown(rows, meta))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
