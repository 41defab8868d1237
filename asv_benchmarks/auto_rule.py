"""Measurements behind ``solver="auto"`` (fastridge._solvers.ridge.resolve_solver).

Times direct, CG and CD on sparse synthetic problems whose small dimension
varies, at two penalties, and prints a markdown table of median seconds (and
CG iterations) to certificate <= tol * P_null.  Run from the repository root:

    python asv_benchmarks/auto_rule.py [--repeats 3] [--n 100000] [--nnz-per-row 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import fastridge


def make(n: int, p: int, nnz_per_row: int, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray]:
    """CSR with Zipf-like column frequencies and y = X w + noise (seeded)."""
    rng = np.random.default_rng(seed)
    weights = 1.0 / (np.arange(p) + 10.0) ** 1.1
    weights /= weights.sum()
    cols = rng.choice(p, size=n * nnz_per_row, p=weights)
    rows = np.repeat(np.arange(n), nnz_per_row)
    X = sp.csr_matrix((rng.standard_normal(n * nnz_per_row), (rows, cols)), shape=(n, p))
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    return X, y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--nnz-per-row", type=int, default=20)
    ap.add_argument("--dims", default="32,64,128,256,512,1024,2048")
    ap.add_argument("--tol", type=float, default=1e-8)
    args = ap.parse_args()
    print(f"n = {args.n}, {args.nnz_per_row} nnz/row, tol = {args.tol}, medians of {args.repeats}")
    print("| p | rho | direct s | cg s (iters) | cd s (epochs) |")
    print("|---|---|---|---|---|")
    for p in [int(d) for d in args.dims.split(",")]:
        X, y = make(args.n, p, args.nnz_per_row)
        Xc = X.tocsc()
        sigma_sq = float(spla.svds(X, k=1, return_singular_vectors=False)[0] ** 2)
        for rho in (1e-2, 1e-4):
            lam = rho * sigma_sq
            cells = []
            for solver, M in (("direct", X), ("cg", X), ("cd", Xc)):
                fastridge.ridge(M[:200], y[:200], lam, solver=solver)  # compile
                times, iters = [], 0
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    res = fastridge.ridge(M, y, lam, solver=solver, tol=args.tol, max_iter=20000)
                    times.append(time.perf_counter() - t0)
                    iters = res.n_iter
                med = float(np.median(times))
                cells.append(f"{med:.3f}" if solver == "direct" else f"{med:.3f} ({iters})")
            print(f"| {p} | {rho:g} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
