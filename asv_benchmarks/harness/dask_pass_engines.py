"""The cost of one distributed pass by engine: block hosts (actors) against tasks.

A pass whose block function does no work (it returns a zero p-vector) measures
what the engine itself costs: sending the iterate to every block, running one
call or task per block, and bringing the p-vectors back to the client to be
added.  Run on a LocalCluster of W single-threaded worker processes, with
``fastridge.distributed.scatter`` of a small matrix in one block per worker,
for several p (the length of the iterate and of each block's result).

    python -m asv_benchmarks.harness.dask_pass_engines [--workers 2,4] [--ps 1e3,1e5,1e6]

Writes ``docs/benchmarks/dask_pass_engines.{md,json}`` (``--out``).  Medians of
``--repeats`` passes after two warm-up passes, engines interleaved pass by pass.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np


def _echo(block, v):
    """A block function that does nothing but return a p-vector (the engine's cost alone)."""
    return np.zeros_like(v)


def measure(workers: int, ps: list[int], repeats: int) -> list[dict]:
    """Median seconds per pass, by p and engine, on a LocalCluster of ``workers`` workers."""
    import scipy.sparse as sp
    from distributed import Client, LocalCluster

    from fastridge.distributed import scatter

    rows = []
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,
    ):
        X = sp.random(100 * workers, 10, density=0.5, format="csr", random_state=0)
        dX = scatter(X, client)
        rng = np.random.default_rng(0)
        for p in ps:
            v = rng.standard_normal(p)
            times = {"hosts": [], "tasks": []}
            for i in range(repeats + 2):
                for engine in times:
                    dX.engine = engine
                    t0 = time.perf_counter()
                    dX.run(_echo, args=(v,))
                    if i >= 2:  # two warm-up passes per engine
                        times[engine].append(time.perf_counter() - t0)
            for engine, ts in times.items():
                rows.append(
                    {
                        "workers": workers,
                        "blocks": dX.n_blocks,
                        "p": p,
                        "engine": engine,
                        "median_s": float(np.median(ts)),
                        "q1_s": float(np.quantile(ts, 0.25)),
                        "q3_s": float(np.quantile(ts, 0.75)),
                    }
                )
    return rows


def markdown(rows: list[dict], meta: dict) -> str:
    lines = [
        "# One distributed pass by engine: block hosts against tasks",
        "",
        f"Measured {meta['date']} on {meta['machine']}; medians of {meta['repeats']} passes "
        "[interquartile range], ms. Command: "
        f"`python -m asv_benchmarks.harness.dask_pass_engines {meta['argv']}`.",
        "",
        "A pass sends the p-vector to every block and brings one p-vector back per block "
        "(the block function does no work). One block per worker.",
        "",
        "| workers | p | block hosts | tasks | tasks / hosts |",
        "|---:|---:|---:|---:|---:|",
    ]
    keyed = {(r["workers"], r["p"], r["engine"]): r for r in rows}
    for w, p in sorted({(r["workers"], r["p"]) for r in rows}):
        h, t = keyed[(w, p, "hosts")], keyed[(w, p, "tasks")]

        def cell(r):
            return f"{1e3 * r['median_s']:.1f} [{1e3 * r['q1_s']:.1f}-{1e3 * r['q3_s']:.1f}]"

        lines.append(
            f"| {w} | {p:.0e} | {cell(h)} | {cell(t)} | {t['median_s'] / h['median_s']:.1f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="2,4", help="LocalCluster sizes")
    ap.add_argument("--ps", default="1e3,1e5,1e6", help="lengths of the iterate")
    ap.add_argument("--repeats", type=int, default=31)
    ap.add_argument("--out", default="docs/benchmarks")
    args = ap.parse_args(argv)
    rows = []
    for w in (int(x) for x in args.workers.split(",")):
        rows += measure(w, [int(float(x)) for x in args.ps.split(",")], args.repeats)
    meta = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": f"{platform.processor() or platform.machine()}, shared, noisy",
        "repeats": args.repeats,
        "argv": " ".join(sys.argv[1:] if argv is None else argv),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "dask_pass_engines.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    text = markdown(rows, meta)
    (out / "dask_pass_engines.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
