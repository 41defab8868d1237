"""Peak memory of a fit from a memory-mapped CSR folder vs from a matrix loaded into memory.

Usage (from the repository root)::

    python asv_benchmarks/mmap_memory.py [--dataset A] [--lam-rho 0.01]

Writes the benchmark matrix (``harness.data`` data set, default the 200,000 x 100,000
synthetic case, 20M entries) once as a fastridge CSR folder (``fastridge.io``) under the
bench cache, then fits ``fastridge.ridge`` in two fresh processes:

* ``mmap``: ``fastridge.io.read_matrix(folder)``: ``data``/``indices``/``indptr`` are
  ``np.load(..., mmap_mode="r")`` views of the files, never copied;
* ``load``: the same three arrays read fully into memory (``np.load`` without mmap), as a
  reader that loads the matrix would.

Each process samples ``/proc/self/status`` every 5 ms in a thread and reports the peak of
``RssAnon`` (anonymous memory: what the process itself allocated) and ``VmHWM`` (peak
resident set, which also counts the file-backed pages of the mapping that the fit
touched: those belong to the page cache, are shared and reclaimable, and are not a
copy). The claim checked is that the mmap fit's anonymous memory stays well below the
matrix size, while loading costs at least the matrix size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

# Sampling period of /proc/self/status: a fit of the default case takes ~0.3 s, so
# 5 ms sees every allocation that lives longer than a few iterations.
_SAMPLE_SECONDS = 0.005


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def child(mode: str, folder: str, lam_rho: float, sigma_sq: float) -> dict:
    """Runs in a fresh process: read the folder (``mode``), fit, return peaks in MiB."""
    import numpy as np
    import scipy.sparse as sp

    import fastridge
    import fastridge.io as fio

    peak = {"RssAnon": 0, "VmHWM": 0}
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak["RssAnon"] = max(peak["RssAnon"], _status_kib("RssAnon"))
            time.sleep(_SAMPLE_SECONDS)

    fastridge.ridge(sp.random(50, 20, density=0.3, format="csr", random_state=0), np.ones(50), 1.0)
    base_anon = _status_kib("RssAnon")
    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    if mode == "mmap":
        X, y = fio.read_matrix(folder)
    else:
        arrays = {k: np.load(Path(folder) / f"{k}.npy") for k in ("data", "indices", "indptr")}
        header = json.loads((Path(folder) / "header.json").read_text())
        X = sp.csr_matrix(
            (arrays["data"], arrays["indices"], arrays["indptr"]), shape=tuple(header["shape"])
        )
        y = np.load(Path(folder) / "y.npy")
    t_read = time.perf_counter() - t0
    res = fastridge.ridge(X, y, lam_rho * sigma_sq)
    t_fit = time.perf_counter() - t0 - t_read
    stop.set()
    thread.join()
    peak["RssAnon"] = max(peak["RssAnon"], _status_kib("RssAnon"))
    peak["VmHWM"] = _status_kib("VmHWM")
    nbytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return {
        "mode": mode,
        "matrix_mib": nbytes / 2**20,
        "peak_anon_mib": (peak["RssAnon"] - base_anon) / 2**10,
        "peak_rss_mib": peak["VmHWM"] / 2**10,
        "read_seconds": t_read,
        "fit_seconds": t_fit,
        "converged": bool(res.converged),
        "data_is_memmap": isinstance(getattr(X.data, "base", None), np.memmap)
        or isinstance(X.data, np.memmap),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="A")
    ap.add_argument("--lam-rho", type=float, default=0.01)
    ap.add_argument("--child", nargs=4, metavar=("MODE", "FOLDER", "RHO", "SIGMA"))
    args = ap.parse_args(argv)
    if args.child:
        mode, folder, rho, sigma = args.child
        print(json.dumps(child(mode, folder, float(rho), float(sigma))))
        return 0

    from harness import data as cdata

    import fastridge.io as fio

    ds = cdata.load_dataset(args.dataset)
    folder = cdata.cache_dir() / f"folder-{ds.cache_stem}"
    if not (folder / "header.json").exists():
        fio.write_csr_folder(ds.X, folder, y=ds.y)
    rows = []
    for mode in ("mmap", "load"):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                mode,
                str(folder),
                str(args.lam_rho),
                str(ds.sigma_max_sq),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        f"{ds.key}: {ds.X.shape[0]:,} x {ds.X.shape[1]:,}, nnz {ds.X.nnz:,}, "
        f"lam = {args.lam_rho} ||X||^2"
    )
    print("| read | matrix MiB | peak anonymous MiB | peak RSS MiB | read s | fit s | memmap |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        print(
            f"| {r['mode']} | {r['matrix_mib']:.0f} | {r['peak_anon_mib']:.0f} | "
            f"{r['peak_rss_mib']:.0f} | {r['read_seconds']:.2f} | {r['fit_seconds']:.2f} | "
            f"{r['data_is_memmap']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
