"""Measurement behind ``DIRECT_ONE_BLAS_THREAD_MAX_DIM`` (fastridge._solvers.auto_rules).

Times ``fastridge.ridge(X, y, 1.0, solver="direct")`` on dense Gaussian X with
one and with two BLAS threads (threadpoolctl around the call; the solver's own
limit is bypassed with ``--raw``, which sets the threshold to 0 for the run),
interleaved, and prints median and max milliseconds and the ratio.  Run from
the repository root:

    python asv_benchmarks/direct_blas_threads.py [--rounds 3] [--raw]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import fastridge
from fastridge._solvers import auto_rules


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds of 3 fits each")
    ap.add_argument("--ns", default="20000,3000")
    ap.add_argument("--ps", default="96,128,192,256,384,512,1000")
    ap.add_argument("--raw", action="store_true", help="measure without fastridge's own limit")
    args = ap.parse_args(argv)
    if args.raw:
        auto_rules.DIRECT_ONE_BLAS_THREAD_MAX_DIM = 0
    rng = np.random.default_rng(0)
    print("| n | p | 1 BLAS thread ms (max) | 2 BLAS threads ms (max) | 2 / 1 |")
    print("|---|---|---|---|---|")
    for n in (int(x) for x in args.ns.split(",")):
        for p in (int(x) for x in args.ps.split(",")):
            X = rng.standard_normal((n, p))
            y = X @ rng.standard_normal(p) + rng.standard_normal(n)
            fastridge.ridge(X, y, 1.0, solver="direct")  # compile, warm the caches
            times: dict[int, list[float]] = {1: [], 2: []}
            for _ in range(args.rounds):
                for limit in (1, 2):
                    for _ in range(3):
                        with threadpool_limits(limit, user_api="blas"):
                            t0 = time.perf_counter()
                            fastridge.ridge(X, y, 1.0, solver="direct")
                            times[limit].append(time.perf_counter() - t0)
            m1, m2 = (float(np.median(times[k])) for k in (1, 2))
            print(
                f"| {n} | {p} | {m1 * 1e3:.1f} ({max(times[1]) * 1e3:.0f}) | "
                f"{m2 * 1e3:.1f} ({max(times[2]) * 1e3:.0f}) | {m2 / m1:.2f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
