"""The machine a comparison ran on: versions, CPU, threads, memory, stream bandwidth.

Job: :func:`machine_info` (date, CPU, package versions, BLAS) and
:func:`stream_bandwidth` (best of 5 ``numpy.sum`` over a float64 array, with one
thread and with ``threads`` threads summing parts concurrently) go into every
comparison's json and table header; :func:`available_memory_bytes` decides whether a
dense scikit-learn RidgeCV may run.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import numpy as np


def stream_bandwidth(gib: float, threads: int) -> dict:
    nbytes = int(gib * 2**30)
    a = np.ones(nbytes // 8)
    a.sum()

    def best(fn):
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
        return nbytes / min(ts) / 1e9

    one = best(a.sum)
    multi = None
    if threads > 1:
        parts = np.array_split(a, threads)
        with ThreadPoolExecutor(threads) as ex:
            multi = best(lambda: sum(ex.map(np.sum, parts)))
    del a
    return {
        "bytes": nbytes,
        "gbs_1_thread": one,
        f"gbs_{threads}_threads": multi,
        "gbs": max(one, multi or 0),
    }


def machine_info(threads: int) -> dict:
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "host": platform.node(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "threads": threads,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "sklearn": sklearn.__version__,
        "blas": [
            {k: d.get(k) for k in ("internal_api", "version", "num_threads")}
            for d in threadpool_info()
        ],
    }
    for mod in ("numba", "glmnet", "fastridge"):
        try:
            m = __import__(mod)
            info[mod] = getattr(m, "__version__", "?")
        except Exception as e:
            info[mod] = f"unavailable ({type(e).__name__})"
    try:  # starts the layer if no parallel kernel ran yet, as fastridge's first one would
        import numba

        numba.get_num_threads()
        info["numba_threading_layer"] = str(numba.threading_layer())
    except Exception as e:
        info["numba_threading_layer"] = f"unavailable ({type(e).__name__})"
    for dist in ("snapml", "scikit-learn-intelex", "liblinear-official"):
        try:  # installed metadata only: importing sklearnex would load oneDAL
            info[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            info[dist] = "not installed"
    return info


def available_memory_bytes() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    return None
