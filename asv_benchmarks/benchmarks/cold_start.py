"""Cold start: a fresh Python process doing ``import fastridge`` and a first small fit.

The child process imports fastridge and fits ridge on a 200 x 50 CSR float64 matrix
(``solver="cg"``), with ``NUMBA_CACHE_DIR`` pointing either to a folder populated by
an earlier identical process (``numba_cache="warm"``: kernels are loaded from disk)
or to a fresh empty folder (``"none"``: everything the fit needs is compiled).

Subprocess timings, so these are ``track_`` benchmarks in seconds, all measured once
per asv run in ``setup_cache`` (the no-cache case costs a full compile):

* ``track_process_seconds``: wall time of the whole child process, as seen by the
  parent (interpreter start-up included): what a user waits for;
* ``track_import_and_fit_seconds``: inside the child, ``import fastridge`` plus the
  first ``fastridge.ridge`` call;
* ``track_import_seconds`` and ``track_first_fit_seconds``: the two parts.

The warm figures are the median of a few processes; the no-cache figure is one.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from .common import size

CHILD = r"""
import json, time
t0 = time.perf_counter()
import fastridge
t1 = time.perf_counter()
import numpy as np
import scipy.sparse as sp
rng = np.random.default_rng(0)
X = sp.random(200, 50, density=0.1, format="csr", dtype=np.float64, random_state=rng)
y = rng.standard_normal(200)
t2 = time.perf_counter()
r = fastridge.ridge(X, y, 1.0, solver="cg")
t3 = time.perf_counter()
assert r.converged, r
print(json.dumps({"import": t1 - t0, "fit": t3 - t2, "solver": r.solver}))
"""

N_WARM = size(3, 1)  # warm-cache processes (median); the no-cache case runs once


def _run_child(cache_dir: str) -> dict:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = cache_dir
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"cold-start child failed ({proc.returncode}):\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {
        "process": wall,
        "import": out["import"],
        "fit": out["fit"],
        "import_and_fit": out["import"] + out["fit"],
    }


def _median(runs: list[dict]) -> dict:
    return {key: float(np.median([r[key] for r in runs])) for key in runs[0]}


class ColdStart:
    """Fresh-process ``import fastridge`` + first fit, with a warm or no Numba cache."""

    params = ["warm", "none"]
    param_names = ["numba_cache"]
    timeout = 900

    def setup_cache(self):
        results = {}
        root = tempfile.mkdtemp(prefix="fastridge-coldstart-")
        try:
            # The no-cache process compiles and fills the empty cache folder, which
            # is then exactly the warm cache for the next processes.
            results["none"] = _run_child(root)
            results["warm"] = _median([_run_child(root) for _ in range(N_WARM)])
        finally:
            shutil.rmtree(root, ignore_errors=True)
        return results

    def track_process_seconds(self, results, numba_cache):
        return results[numba_cache]["process"]

    track_process_seconds.unit = "s"

    def track_import_and_fit_seconds(self, results, numba_cache):
        return results[numba_cache]["import_and_fit"]

    track_import_and_fit_seconds.unit = "s"

    def track_import_seconds(self, results, numba_cache):
        return results[numba_cache]["import"]

    track_import_seconds.unit = "s"

    def track_first_fit_seconds(self, results, numba_cache):
        return results[numba_cache]["fit"]

    track_first_fit_seconds.unit = "s"
