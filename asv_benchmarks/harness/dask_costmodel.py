"""The cost model of distributed fitting on Dask: its constants, measured, and its
extrapolation to case A scaled to 1e9 rows (issue 12, point 8; docs/distributed.md).

Usage (from the repository root)::

    python -m asv_benchmarks.harness.dask_costmodel [--workers 2,4,8] [--repeats 7]
                                                    [--out docs/benchmarks] [--quick]

Model: one pass (one Gram product ``X^T (s * (X v))``, one CG iteration) on ``W``
workers costs

    T_pass(W, p) = t_nnz(p) * nnz / W + c0(p)          (block passes, in parallel)
                 + alpha_rt + c_task * (2 W - 2)         (round trip; W block + W-2 add tasks)
                 + 2 * (ceil(log2 W) + 1) * 8 p * beta   (broadcast of v, tree reduction)

(``ceil(log2 W)`` tree levels, plus the hop between the client and the tree; the
workers add all but the top level, whose two parts the client receives and adds,
so ``ceil(log2 W) - 1`` worker levels and two p-vectors into the client; ``beta``
the seconds per byte of one hop, ``8 p`` the bytes of a float64 p-vector).

Measured here, on ``LocalCluster`` runs of 2, 4, 8 single-threaded worker processes
(``processes=True``): on a 2-core machine the workers are time-sliced, so these runs
measure the communication terms (latency, per-byte cost of broadcast and reduction),
not speed-up:

(a) ``latency``: a trivial map, one task per worker (pinned), and the gather of its
    results;
(b) ``broadcast``: a float64 p-vector sent to all workers by ``client.scatter(v,
    broadcast=True)``; by a scatter to one worker followed by one task per worker that
    reads it (workers fetch from their peer); and as the argument of one task per
    worker (the vector travels through the scheduler);
(c) ``reduce``: p-vectors resident on the workers (one per worker) summed by a
    fixed-order pairwise tree of ``add`` tasks, and the sum gathered to the client;
    ``gather``: one p-vector gathered from one worker;
(d) ``empty pass``: (b, scatter broadcast) + one task per worker returning a p-vector
    + (c): the communication of one distributed pass with no X, to check the sum;
(e) ``kernel``: the fused Gram pass of fastridge on one core
    (``DesignOperator(X, None, True, 1).gram_matvec(v)``) on case A (200,000 x 100,000,
    ~100 nonzeros per row) and on the same generator with p = 1e6, 1e7, 1e8 (same rows,
    same nonzeros per row): seconds per stored nonzero; random access to v and the
    accumulator gets slower as the p-vectors outgrow the caches;
(f) ``iterations``: ``fastridge.ridge(X, y, lam, solver="cg-primal", n_threads=1)`` on
    case A at lam = rho ||X||_2^2, rho in (1, 1e-2, 1e-4): CG iterations and passes.

Every timing is repeated ``--repeats`` times; the tables give medians and the
interquartile range.  Per W and operation, ``t(p) = a + b 8p`` is fitted by least
squares on the medians over p (its range: the same fit on each repetition), and
``beta = b / hops``; the model's ``beta`` is the median over W of the empty pass's,
``alpha_rt`` one task's round trip and ``c_task`` the cost per task in a map of 100 W
tasks, both at the smallest W (:func:`fit_constants` says why not a joint fit over W).
``--from-json`` refits and rewrites both files from the stored measurements.

The extrapolation (case A's nonzeros per row, 1e9 rows, p = 1e5 ... 1e8, W = 1 ...
256) uses the model with a network of ``--bandwidth`` bytes per second (default
1.25e9, 10 Gbit/s): ``beta_net = 1 / bandwidth + beta_copy`` where ``beta_copy`` is
the loopback-measured per-byte cost (serialisation and copies, which a real network
adds to), and separately with the loopback ``beta`` alone.  It ignores: stragglers and
load imbalance, contention for the network when several hops of a tree level share a
link or a switch, the memory of 1e9-row blocks (the data must fit in the workers'
RAM), NUMA and the CPU a real worker gives to (de)serialisation while it computes,
and any change of the CG iteration count with n and p (taken from case A).

Outputs ``OUT/dask_costmodel[_quick].json`` (every timing, the fits, the machine) and
``OUT/dask_costmodel[_quick].md`` (the tables pasted into docs/distributed.md).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

# harness.data imports ``benchmarks.sampling`` (asv_benchmarks/benchmarks): put
# asv_benchmarks/ on the path when run as ``python -m asv_benchmarks.harness...``.
_ASV = str(Path(__file__).resolve().parents[1])
if _ASV not in sys.path:
    sys.path.insert(0, _ASV)

from . import log  # noqa: E402
from .machine import machine_info  # noqa: E402
from .tables import write_json  # noqa: E402

# ----------------------------------------------------------------------------
# task functions (module level: pickled by reference, the workers import this module)


def _noop(i):
    return i


def _make_vec(p, i):
    return np.full(p, float(i + 1))


def _add(a, b):
    return a + b


def _touch(v):
    return float(v[0])


def _pass_block(v, i):
    # what a block task returns: a fresh p-vector (no X: communication only)
    return v * float(i + 1)


# ----------------------------------------------------------------------------
# helpers


def _stats(ts) -> dict:
    a = np.asarray(ts, dtype=float)
    return {
        "median": float(np.median(a)),
        "q25": float(np.quantile(a, 0.25)),
        "q75": float(np.quantile(a, 0.75)),
        "min": float(a.min()),
        "max": float(a.max()),
        "runs": a.tolist(),
    }


def _timed(fn, repeats: int, warmup: int = 1) -> dict:
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return _stats(ts)


def _timed_cpu(fn, repeats: int, warmup: int = 1) -> tuple[dict, dict]:
    """``(cpu, wall)`` statistics of ``fn``: process CPU seconds (what a single-threaded
    kernel costs, without the time other processes took from it on a shared machine)
    and wall seconds."""
    for _ in range(warmup):
        fn()
    cpu, wall = [], []
    for _ in range(repeats):
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return _stats(cpu), _stats(wall)


def depth(w: int) -> int:
    return math.ceil(math.log2(w)) if w > 1 else 0


def tree_reduce(client, futs):
    """Fixed-order pairwise tree of ``_add`` tasks (level by level: 0+1, 2+3, ...)."""
    level = list(futs)
    while len(level) > 1:
        nxt = []
        for k in range(0, len(level) - 1, 2):
            nxt.append(client.submit(_add, level[k], level[k + 1], pure=False))
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


# ----------------------------------------------------------------------------
# (a)-(d): one LocalCluster


def measure_p(client, addrs, p: int, repeats: int, arg_max_p: int) -> dict:
    """(b), (c), (d) for one vector length ``p`` on a running cluster."""
    from dask.distributed import wait

    v = np.random.default_rng(p).standard_normal(p)
    r = {}

    def scatter_bcast():
        f = client.scatter(v, broadcast=True, hash=False)
        wait(f)
        del f

    def scatter_peer():
        f = client.scatter(v, workers=[addrs[0]], hash=False)
        futs = [client.submit(_touch, f, workers=[a], pure=False) for a in addrs]
        client.gather(futs)
        del f, futs

    def as_argument():
        futs = [client.submit(_touch, v, workers=[a], pure=False) for a in addrs]
        client.gather(futs)
        del futs

    r["bcast_scatter"] = _timed(scatter_bcast, repeats)
    r["bcast_peer"] = _timed(scatter_peer, repeats)
    if p <= arg_max_p:
        r["bcast_arg"] = _timed(as_argument, repeats)

    parts = [client.submit(_make_vec, p, i, workers=[a], pure=False) for i, a in enumerate(addrs)]
    wait(parts)

    def reduce_gather():
        client.gather(tree_reduce(client, parts))

    def gather_one():
        client.gather(parts[-1])

    r["reduce"] = _timed(reduce_gather, repeats)
    r["gather"] = _timed(gather_one, repeats)
    parts.clear()  # release the vectors

    def empty_pass():
        f = client.scatter(v, broadcast=True, hash=False)
        blocks = [
            client.submit(_pass_block, f, i, workers=[a], pure=False) for i, a in enumerate(addrs)
        ]
        client.gather(tree_reduce(client, blocks))
        del f, blocks

    r["empty_pass"] = _timed(empty_pass, repeats)
    return r


def measure_cluster(w: int, ps: list[int], repeats: int, arg_max_p: int) -> dict:
    from dask.distributed import Client, LocalCluster

    log(f"[cluster] {w} workers")
    out = {"workers": w, "latency": None, "single_task": None, "per_p": {}}
    with (
        LocalCluster(
            n_workers=w,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(w)
        addrs = sorted(client.scheduler_info()["workers"])

        def trivial_map():
            futs = [client.submit(_noop, i, workers=[a], pure=False) for i, a in enumerate(addrs)]
            client.gather(futs)

        def single_task():
            client.submit(_noop, 0, pure=False).result()

        def many_tasks():
            futs = client.map(_noop, range(100 * w), pure=False)
            client.gather(futs)

        out["latency"] = _timed(trivial_map, 3 * repeats, warmup=3)
        out["throughput_100w"] = _timed(many_tasks, repeats, warmup=1)
        out["single_task"] = _timed(single_task, 3 * repeats, warmup=3)
        log(
            f"  latency: map+gather {out['latency']['median'] * 1e3:.2f} ms, "
            f"{out['throughput_100w']['median'] / (100 * w) * 1e3:.3f} ms per task in a "
            f"map of {100 * w}"
        )

        for p in ps:
            r = measure_p(client, addrs, p, repeats, arg_max_p)
            out["per_p"][str(p)] = r
            log(
                f"  p={p:.0e}: bcast {r['bcast_scatter']['median'] * 1e3:.1f} ms, "
                f"peer {r['bcast_peer']['median'] * 1e3:.1f} ms, reduce+gather "
                f"{r['reduce']['median'] * 1e3:.1f} ms, gather "
                f"{r['gather']['median'] * 1e3:.1f} ms, empty pass "
                f"{r['empty_pass']['median'] * 1e3:.1f} ms"
            )
    return out


# ----------------------------------------------------------------------------
# (e), (f): one core


def measure_kernel(n_rows: int, p_list: list[int], repeats: int, quick: bool) -> dict:
    from fastridge._operators.design import DesignOperator

    from .data import DATASETS, QUICK_DATASETS, SyntheticSpec, load_dataset, make_synthetic

    base = (QUICK_DATASETS if quick else DATASETS)["A"]
    out = {}
    for p in p_list:
        if p == base.p:
            X = load_dataset("A", quick=quick).X
            what = "case A"
        else:
            spec = SyntheticSpec(n=base.n, p=p, nnz_per_row=base.nnz_per_row, seed=base.seed)
            t0 = time.perf_counter()
            X, _ = make_synthetic(spec)
            what = f"case A generator, p={p}"
            log(f"[kernel] built {what} in {time.perf_counter() - t0:.1f} s")
        op = DesignOperator(X, None, True, 1)
        v = np.random.default_rng(0).standard_normal(X.shape[1])
        st, st_wall = _timed_cpu(lambda op=op, v=v: op.gram_matvec(v), repeats, warmup=2)
        # the same pass on the first tenth of the rows: the intercept of
        # t(rows) = c0 + t_nnz * nnz gives the per-block O(p) cost (accumulator)
        Xs = X[: max(1, X.shape[0] // 10)]
        ops = DesignOperator(Xs, None, True, 1)
        sts, _ = _timed_cpu(lambda op=ops, v=v: op.gram_matvec(v), repeats, warmup=2)
        t_nnz = (st["median"] - sts["median"]) / (X.nnz - Xs.nnz)
        c0 = max(0.0, st["median"] - t_nnz * X.nnz)
        per_nnz_runs = np.asarray(st["runs"]) / X.nnz
        out[str(p)] = {
            "what": what,
            "shape": list(X.shape),
            "nnz": int(X.nnz),
            "nnz_per_row": X.nnz / X.shape[0],
            "full": st,  # CPU seconds
            "full_wall": st_wall,
            "tenth": {**sts, "nnz": int(Xs.nnz)},
            "t_nnz_total": float(np.median(per_nnz_runs)),
            "t_nnz_total_q25": float(np.quantile(per_nnz_runs, 0.25)),
            "t_nnz_total_q75": float(np.quantile(per_nnz_runs, 0.75)),
            "t_nnz_slope": float(t_nnz),
            "c0_seconds": float(c0),
        }
        log(
            f"[kernel] {what}: gram pass {st['median'] * 1e3:.1f} ms CPU "
            f"({st_wall['median'] * 1e3:.1f} ms wall), "
            f"{st['median'] / X.nnz * 1e9:.2f} ns/nnz (slope {t_nnz * 1e9:.2f}, "
            f"c0 {c0 * 1e3:.2f} ms)"
        )
        del X, op, ops, Xs
        gc.collect()
    return out


def measure_iterations(rhos: list[float], quick: bool) -> list[dict]:
    import fastridge

    from .data import load_dataset

    ds = load_dataset("A", quick=quick)
    with warnings.catch_warnings():  # compile the kernels outside the timings
        warnings.simplefilter("ignore")
        fastridge.ridge(ds.X, ds.y, ds.sigma_max_sq, solver="cg-primal", n_threads=1, max_iter=2)
    res = []
    for rho in rhos:
        lam = rho * ds.sigma_max_sq
        t0 = time.perf_counter()
        r = fastridge.ridge(ds.X, ds.y, lam, solver="cg-primal", n_threads=1)
        secs = time.perf_counter() - t0
        res.append(
            {
                "rho": rho,
                "lam": lam,
                "n_iter": int(np.max(r.n_iter)),
                "n_passes": int(r.n_passes),
                "converged": bool(np.all(r.converged)),
                "solver": str(r.solver),
                "seconds": secs,
            }
        )
        log(f"[iter] rho={rho:g}: {res[-1]['n_iter']} iterations, {r.n_passes} passes")
    return res


# ----------------------------------------------------------------------------
# fits


def _lstsq(A, b):
    coef, *_ = np.linalg.lstsq(np.asarray(A, float), np.asarray(b, float), rcond=None)
    return coef


# hops of one p-vector per operation: a tree (ceil(log2 W) levels + the client's hop)
# or a fan-out of W copies; the empty pass crosses two trees (broadcast, reduction)
HOPS = {
    "gather": lambda w: 1,
    "reduce": lambda w: depth(w) + 1,
    "bcast_scatter": lambda w: depth(w) + 1,
    "bcast_peer": lambda w: w,
    "bcast_arg": lambda w: w,
    "empty_pass": lambda w: 2 * (depth(w) + 1),
}


def fit_constants(clusters: list[dict], repeats: int) -> dict:
    """Per cluster size W and operation: ``t(p) = a_W + b_W 8 p`` by least squares on the
    medians over p (the per-rep fits give the range of ``b_W``); the per-hop seconds per
    byte ``beta_W = b_W / hops(W)``.  On a loaded 2-core machine a joint fit over W
    (intercepts and slopes in W) is dominated by the contention of W processes on 2
    cores, so the constants of the model are taken per W and summarised: ``beta`` =
    the median over W of the empty pass's per-hop ``beta_W`` (range over W); the
    latency = one task's round trip and the scheduler's cost per task in a long map,
    at the smallest W (the least contended)."""
    per = {}
    for kind, hops in HOPS.items():
        rows = []
        for c in clusters:
            w = c["workers"]
            ps = [int(p) for p, r in c["per_p"].items() if kind in r]
            if len(ps) < 2:
                continue
            A = np.c_[np.ones(len(ps)), 8.0 * np.array(ps, float)]
            med = [c["per_p"][str(p)][kind]["median"] for p in ps]
            a, b = _lstsq(A, med)
            reps = [
                _lstsq(A, [c["per_p"][str(p)][kind]["runs"][r] for p in ps])[1]
                for r in range(repeats)
            ]
            h = hops(w)
            rows.append(
                {
                    "workers": w,
                    "hops": h,
                    "a": float(a),
                    "b": float(b),
                    "beta_hop": float(b / h),
                    "beta_hop_range": [float(min(reps) / h), float(max(reps) / h)],
                }
            )
        per[kind] = rows
    betas = [r["beta_hop"] for r in per["empty_pass"]]
    w0 = min(clusters, key=lambda c: c["workers"])
    fits = {
        "per_workers": per,
        "beta": float(np.median(betas)),
        "beta_range": [float(min(betas)), float(max(betas))],
        "alpha_rt": w0["single_task"]["median"],
        "c_task": w0["throughput_100w"]["median"] / (100 * w0["workers"])
        if "throughput_100w" in w0
        else None,
        "alpha_from_workers": w0["workers"],
    }
    fits["latency"] = {
        "per_workers": {str(c["workers"]): c["latency"] for c in clusters},
        "single_task": {str(c["workers"]): c["single_task"]["median"] for c in clusters},
        "per_task_in_map": {
            str(c["workers"]): c["throughput_100w"]["median"] / (100 * c["workers"])
            for c in clusters
            if "throughput_100w" in c
        },
    }
    return fits


# ----------------------------------------------------------------------------
# the model and its extrapolation


def n_tasks(W) -> int:
    """Tasks of one pass on ``W`` blocks: the blocks and the tree's adds below the top
    two parts, which the client adds (``fastridge.distributed.reduce.CLIENT_FANIN``)."""
    return W + max(W - 2, 0)


def comm_seconds(W, p, alpha_rt, c_task, beta):
    """Scheduler and communication seconds of one pass: a round trip, ``2W - 2`` tasks
    (W blocks, W - 2 adds) and two trees of ``ceil(log2 W) + 1`` hops of 8p bytes."""
    return alpha_rt + c_task * n_tasks(W) + beta * 2 * (depth(W) + 1) * 8.0 * p


def extrapolate(kernel, fits, iters, bandwidth, n_rows, workers, ps, doc_latency) -> dict:
    """Predicted seconds per pass and per fit for every (W, p), on the network
    (``beta = 1/bandwidth + beta_copy``) and on loopback (``beta`` measured)."""
    nnz_row = kernel[min(kernel, key=int)]["nnz_per_row"]
    nnz = nnz_row * n_rows
    kp = sorted(int(k) for k in kernel)
    beta_loop = max(fits["beta"], 0.0)
    typical = next((it for it in iters if it["rho"] == 1e-2), iters[0] if iters else None)
    passes = typical["n_passes"] if typical else None
    out = {
        "n_rows": n_rows,
        "nnz_per_row": nnz_row,
        "nnz": nnz,
        "bandwidth": bandwidth,
        "alpha_rt": fits["alpha_rt"],
        "c_task": fits["c_task"],
        "beta_loopback": beta_loop,
        "beta_network": 1.0 / bandwidth + beta_loop,
        "passes_per_fit": passes,
        "rho": typical["rho"] if typical else None,
        "tables": {},
    }
    meas = (fits["alpha_rt"], fits["c_task"])
    out["doc_latency"] = list(doc_latency)
    for net, beta, lat in (
        ("network", out["beta_network"], meas),
        ("network_float32", out["beta_network"] / 2, meas),
        ("network_doc_latency", out["beta_network"], doc_latency),
        ("network_doc_latency_float32", out["beta_network"] / 2, doc_latency),
        ("loopback", beta_loop, meas),
    ):
        tab = {}
        for p in ps:
            # per-nonzero time measured at the nearest p not above (cache behaviour)
            kk = max([k for k in kp if k <= p] or kp[:1])
            t_nnz = kernel[str(kk)]["t_nnz_total"]
            c0 = kernel[str(kk)]["c0_seconds"] / kk * p
            row = {}
            for W in workers:
                comp = t_nnz * nnz / W + c0
                comm = comm_seconds(W, p, lat[0], lat[1], beta)
                row[str(W)] = {
                    "compute": comp,
                    "comm": comm,
                    "pass": comp + comm,
                    "fit": (comp + comm) * passes if passes else None,
                    "t_nnz_from_p": kk,
                }
            tab[str(p)] = row
        out["tables"][net] = tab
    return out


# ----------------------------------------------------------------------------
# markdown


def _ms(x):
    return f"{x * 1e3:.3g}"


def _fmt_s(x):
    if x is None:
        return "-"
    if x < 1:
        return f"{x * 1e3:.3g} ms"
    if x < 120:
        return f"{x:.3g} s"
    if x < 7200:
        return f"{x / 60:.3g} min"
    return f"{x / 3600:.3g} h"


def markdown(payload: dict) -> str:
    L = ["# Distributed fitting: cost model", ""]
    m = payload["machine"]
    L.append(
        f"Measured {m['date']} on {m['cpu']} ({m['cpu_count']} cores, shared: timings "
        f"noisy), dask {payload['versions']['dask']}, distributed "
        f"{payload['versions']['distributed']}; medians of {payload['repeats']} runs "
        f"[interquartile range]. Load average (1, 5, 15 min) at the start "
        f"{', '.join(f'{x:.1f}' for x in payload['loadavg_start'])}, at the end "
        f"{', '.join(f'{x:.1f}' for x in payload['loadavg_end'])}. "
        f"Command: `{payload['command']}`."
        + (
            f" The cluster timings are those of an earlier run (`"
            f"{payload['clusters_from']['command']}`, "
            f"{payload['clusters_from']['machine']['date']}"
            f", load average at its start "
            f"{', '.join(f'{x:.1f}' for x in payload['clusters_from']['loadavg_start'])})."
            if payload.get("clusters_from")
            else ""
        )
    )
    L.append("")
    L.append("**Communication on LocalCluster** (single-threaded worker processes, loopback; ms)")
    L.append("")
    cl = payload["clusters"]
    L.append("| workers | trivial map + gather | one task |")
    L.append("|---:|---:|---:|")
    for c in cl:
        lat, one = c["latency"], c["single_task"]
        L.append(
            f"| {c['workers']} | {_ms(lat['median'])} [{_ms(lat['q25'])}-{_ms(lat['q75'])}] "
            f"| {_ms(one['median'])} |"
        )
    L.append("")
    kinds = [
        ("bcast_scatter", "scatter(broadcast=True)"),
        ("bcast_peer", "scatter to 1 + peer fetch"),
        ("bcast_arg", "as task argument"),
        ("reduce", "tree reduce + gather"),
        ("gather", "gather 1 vector"),
        ("empty_pass", "empty pass"),
    ]
    L.append("| workers | p | MB | " + " | ".join(k[1] for k in kinds) + " |")
    L.append("|---:|---:|---:|" + "---:|" * len(kinds))
    for c in cl:
        for ps, r in c["per_p"].items():
            cells = []
            for k, _ in kinds:
                if k in r:
                    s = r[k]
                    cells.append(f"{_ms(s['median'])} [{_ms(s['q25'])}-{_ms(s['q75'])}]")
                else:
                    cells.append("-")
            L.append(
                f"| {c['workers']} | {int(ps):.0e} | {8 * int(ps) / 1e6:g} | "
                + " | ".join(cells)
                + " |"
            )
    L.append("")
    f = payload["fits"]
    L.append(
        "**Fitted constants**: per W and operation, t(p) = a + b 8p (least squares on the "
        "medians over p); per-hop beta = b / hops (hops: ceil(log2 W) + 1 for a tree, W for "
        "a fan-out of W copies, 2 trees for the empty pass); [range of the same fit over "
        "the repetitions]."
    )
    L.append("")
    L.append("| operation | W | hops | a (ms) | beta per hop (ns/byte) | 1/beta (GB/s) |")
    L.append("|---|---:|---:|---:|---:|---:|")
    names = {
        "gather": "gather one vector",
        "reduce": "tree reduce + gather",
        "bcast_scatter": "scatter(broadcast=True)",
        "bcast_peer": "scatter to 1 + peer fetch",
        "bcast_arg": "as task argument",
        "empty_pass": "empty pass",
    }
    for k, name in names.items():
        for e in f["per_workers"][k]:
            lo, hi = e["beta_hop_range"]
            gbs = f"{1e-9 / e['beta_hop']:.3g}" if e["beta_hop"] > 0 else "-"
            L.append(
                f"| {name} | {e['workers']} | {e['hops']} | {e['a'] * 1e3:.3g} | "
                f"{e['beta_hop'] * 1e9:.3g} [{lo * 1e9:.3g}, {hi * 1e9:.3g}] | {gbs} |"
            )
    lat = f["latency"]
    L.append("")
    L.append(
        f"Constants of the model: beta = {f['beta'] * 1e9:.3g} ns/byte per hop "
        f"({1e-9 / f['beta']:.3g} GB/s; the median over W of the empty pass's per-hop "
        f"beta, range {f['beta_range'][0] * 1e9:.3g}-{f['beta_range'][1] * 1e9:.3g}); "
        f"round trip alpha_rt = {f['alpha_rt'] * 1e3:.3g} ms (one task, W = "
        f"{f['alpha_from_workers']}); scheduler cost per task c_task = "
        f"{f['c_task'] * 1e3:.3g} ms (map of {100 * f['alpha_from_workers']} tasks)."
    )
    L.append("")
    L.append(
        "Latencies by W (ms): trivial map of W pinned tasks + gather "
        + ", ".join(f"{v['median'] * 1e3:.3g} (W={w})" for w, v in lat["per_workers"].items())
        + "; one task "
        + ", ".join(f"{v * 1e3:.3g} (W={w})" for w, v in lat["single_task"].items())
        + "."
    )
    if lat.get("per_task_in_map"):
        L.append(
            "Scheduler cost per task in a map of 100 W trivial tasks: "
            + ", ".join(f"{v * 1e3:.3g} ms (W={w})" for w, v in lat["per_task_in_map"].items())
            + "."
        )
    L.append("")
    L.append("**Fused Gram pass on one core** (`DesignOperator(X, None, True, 1).gram_matvec`)")
    L.append("")
    L.append(
        "| X | n x p | nnz | pass, CPU ms [IQR] | wall ms | ns / nnz (CPU) [IQR] | "
        "slope ns/nnz | c0 (ms) |"
    )
    L.append("|---|---|---:|---:|---:|---:|---:|---:|")
    for k in payload["kernel"].values():
        s = k["full"]
        L.append(
            f"| {k['what']} | {k['shape'][0]:,} x {k['shape'][1]:,} | {k['nnz']:,} | "
            f"{_ms(s['median'])} [{_ms(s['q25'])}-{_ms(s['q75'])}] | "
            f"{_ms(k['full_wall']['median']) if 'full_wall' in k else '-'} | "
            f"{k['t_nnz_total'] * 1e9:.3g} [{k['t_nnz_total_q25'] * 1e9:.3g}-"
            f"{k['t_nnz_total_q75'] * 1e9:.3g}] | {k['t_nnz_slope'] * 1e9:.3g} | "
            f"{k['c0_seconds'] * 1e3:.3g} |"
        )
    L.append("")
    L.append(
        "Process CPU time of the single-threaded pass (on a shared machine the wall time "
        "also counts the time other processes took; the model uses the CPU time). "
        "c0: intercept of the pass time against the nonzeros (full X and its first tenth "
        "of rows): the per-block O(p) work (accumulator)."
    )
    L.append("")
    L.append("**CG iterations on case A** (`fastridge.ridge(X, y, lam, solver='cg-primal')`,")
    L.append("lam = rho ||X||_2^2, tol 1e-8, one thread)")
    L.append("")
    L.append("| rho | CG iterations | passes over X | converged | seconds |")
    L.append("|---:|---:|---:|---|---:|")
    for it in payload["iterations"]:
        L.append(
            f"| {it['rho']:g} | {it['n_iter']} | {it['n_passes']} | {it['converged']} | "
            f"{it['seconds']:.3g} |"
        )
    ex = payload["extrapolation"]
    L.append("")
    L.append(
        f"**Predicted time per pass (= per CG iteration) and per fit, case A scaled to "
        f"{ex['n_rows']:.0e} rows** ({ex['nnz_per_row']:.1f} nonzeros per row, "
        f"{ex['nnz']:.3g} nonzeros; per fit = {ex['passes_per_fit']} passes, the rho = "
        f"{ex['rho']:g} fit above)."
    )
    L.append("")
    L.append(
        f"comm(W, p) = alpha_rt + c_task (2W - 2) + beta x 2 (ceil(log2 W) + 1) x 8p, "
        f"measured: alpha_rt = {ex['alpha_rt'] * 1e3:.3g} ms, c_task = "
        f"{ex['c_task'] * 1e3:.3g} ms; compute(W, p) = t_nnz(p) "
        "x nnz / W + c0(p), t_nnz from the kernel table at the largest measured p not above p."
    )
    heads = {
        "network": f"Network of {ex['bandwidth'] / 1e9:g} GB/s, float64 messages: beta = "
        f"1/bandwidth + loopback beta = {ex['beta_network'] * 1e9:.3g} ns/byte.",
        "network_float32": "The same network, float32 messages (half the bytes).",
        "network_doc_latency": "The same network, float64 messages, with the scheduler "
        f"latency an idle cluster should have instead of the one measured here: "
        f"alpha_rt = {ex['doc_latency'][0] * 1e3:g} ms, c_task = "
        f"{ex['doc_latency'][1] * 1e3:g} ms (Dask's documentation: about 1 ms of overhead "
        "per task, a round trip under 10 ms). Not measured here.",
        "network_doc_latency_float32": "Idle-cluster latency, float32 messages.",
        "loopback": f"Loopback beta alone ({ex['beta_loopback'] * 1e9:.3g} ns/byte), "
        "as measured here.",
    }
    for net, head in heads.items():
        L.append("")
        L.append(head)
        L.append("")
        tab = ex["tables"][net]
        ws = list(next(iter(tab.values())))
        L.append(
            "| p | " + " | ".join(f"W={w}" for w in ws) + " | best W | comm > compute from W |"
        )
        L.append("|---:|" + "---:|" * (len(ws) + 2))
        for ps, row in tab.items():
            cells = [f"{_fmt_s(row[w]['pass'])} / {_fmt_s(row[w]['fit'])}" for w in ws]
            best = min(ws, key=lambda w: row[w]["pass"])
            cross = next((w for w in ws if row[w]["comm"] > row[w]["compute"]), "-")
            L.append(f"| {int(ps):.0e} | " + " | ".join(cells) + f" | {best} | {cross} |")
        L.append("")
        L.append("Cells: per pass (= per CG iteration) / per fit.")
    return "\n".join(L) + "\n"


# ----------------------------------------------------------------------------
# main


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", default="2,4,8", help="LocalCluster sizes (default 2,4,8)")
    ap.add_argument("--ps", default="1e4,1e5,1e6,1e7", help="vector lengths p")
    ap.add_argument("--arg-max-p", type=float, default=1e7, help="largest p sent as argument")
    ap.add_argument("--kernel-ps", default="1e5,1e6,1e7,1e8", help="p of the kernel matrices")
    ap.add_argument("--rhos", default="1,1e-2,1e-4", help="rho of the CG iteration counts")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--bandwidth", type=float, default=1.25e9, help="network bytes/s")
    ap.add_argument("--doc-alpha0", type=float, default=0.010, help="assumed idle latency (s)")
    ap.add_argument(
        "--doc-alpha-task", type=float, default=0.001, help="assumed scheduler seconds per task"
    )
    ap.add_argument("--out", default="docs/benchmarks")
    ap.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    ap.add_argument("--skip-cluster", action="store_true", help="reuse the json's clusters")
    ap.add_argument("--from-json", action="store_true", help="only rewrite the markdown")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    import dask
    import distributed

    args = parse_args(argv)
    os.environ.setdefault("NUMBA_NUM_THREADS", "2")
    warnings.filterwarnings("ignore", message=".*[Ll]arge object.*")
    warnings.filterwarnings("ignore", message=".*[Ss]ending large graph.*")
    floats = lambda s: [int(float(x)) for x in s.split(",")]  # noqa: E731
    workers = floats(args.workers)
    ps = floats(args.ps)
    kernel_ps = floats(args.kernel_ps)
    rhos = [float(x) for x in args.rhos.split(",")]
    if args.quick:
        ps = [10**3, 10**4]
        kernel_ps = [1_000]
        args.repeats = min(args.repeats, 3)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "dask_costmodel" + ("_quick" if args.quick else "")
    jpath = out_dir / f"{stem}.json"
    if args.from_json:  # refit and rewrite from the stored measurements
        import json

        payload = json.loads(jpath.read_text())
        payload["fits"] = fit_constants(payload["clusters"], payload["repeats"])
        payload["extrapolation"] = extrapolate(
            payload["kernel"],
            payload["fits"],
            payload["iterations"],
            args.bandwidth,
            10**9,
            [2**k for k in range(9)],
            [10**5, 10**6, 10**7, 10**8],
            (args.doc_alpha0, args.doc_alpha_task),
        )
        write_json(jpath, payload)
        md = markdown(payload)
        (out_dir / f"{stem}.md").write_text(md)
        print(md)
        return 0
    payload = {
        "command": "python -m asv_benchmarks.harness.dask_costmodel "
        + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": machine_info(1),
        "versions": {"dask": dask.__version__, "distributed": distributed.__version__},
        "repeats": args.repeats,
        "quick": args.quick,
        "loadavg_start": os.getloadavg(),
    }
    t0 = time.perf_counter()
    if args.skip_cluster:
        import json

        prev = json.loads(jpath.read_text())
        payload["clusters"] = prev["clusters"]
        payload["clusters_from"] = prev.get("clusters_from") or {
            k: prev.get(k) for k in ("command", "machine", "loadavg_start", "loadavg_end")
        }
    else:
        payload["clusters"] = [
            measure_cluster(w, ps, args.repeats, int(args.arg_max_p)) for w in workers
        ]
    payload["fits"] = fit_constants(payload["clusters"], args.repeats)
    payload["kernel"] = measure_kernel(0, kernel_ps, args.repeats, args.quick)
    payload["iterations"] = measure_iterations(rhos, args.quick)
    payload["extrapolation"] = extrapolate(
        payload["kernel"],
        payload["fits"],
        payload["iterations"],
        args.bandwidth,
        10**9,
        [2**k for k in range(9)],
        [10**5, 10**6, 10**7, 10**8],
        (args.doc_alpha0, args.doc_alpha_task),
    )
    payload["seconds"] = time.perf_counter() - t0
    payload["loadavg_end"] = os.getloadavg()
    write_json(jpath, payload)
    md = markdown(payload)
    (out_dir / f"{stem}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
