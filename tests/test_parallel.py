"""The parallel kernels through the operator and the solvers.

Small test matrices fall below ``PARALLEL_MIN_NNZ`` (and the entries per
accumulator element threshold) and run the serial twins; here the thresholds
are lowered so that the ``parallel=True`` kernels, their
per-thread accumulators and the ordered reduction are exercised too.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
from fastridge._fit.threads import numba_threads, resolve_n_threads
from fastridge._fit.validation import check_X
from fastridge._operators import design as _operators
from fastridge._operators.design import DesignOperator


@pytest.fixture
def parallel_everywhere(monkeypatch):
    monkeypatch.setattr(_operators, "PARALLEL_MIN_NNZ", 0)
    monkeypatch.setattr(_operators, "PARALLEL_NNZ_PER_ACCUMULATOR", 0)


def _problem(seed=0, n=120, p=70):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.15, random_state=seed, format="csr")
    y = X @ rng.standard_normal(p) + 0.1 * rng.standard_normal(n) + 2.0
    s = rng.uniform(0.2, 2.0, n)
    return X, y, s


@pytest.mark.parametrize("fmt", ["csr", "csc", "dense"])
@pytest.mark.parametrize("k", [1, 3])
def test_parallel_operator_matches_serial(parallel_everywhere, fmt, k):
    X, _, s = _problem()
    Xf = X.toarray() if fmt == "dense" else X.asformat(fmt)
    rng = np.random.default_rng(1)
    v = rng.standard_normal((X.shape[1], k)) if k > 1 else rng.standard_normal(X.shape[1])
    u = rng.standard_normal((X.shape[0], k)) if k > 1 else rng.standard_normal(X.shape[0])
    nt = resolve_n_threads(None)
    with numba_threads(nt):
        op = DesignOperator(check_X(Xf), s, True, nt)
        assert op.n_threads == nt
        gram = op.gram_matvec(v)
        dual = op.dual_gram_matvec(u)
        again = op.gram_matvec(v)
    Xd = X.toarray()
    mu = (s @ Xd) / s.sum()
    A = np.sqrt(s)[:, None] * (Xd - mu)
    np.testing.assert_allclose(gram, A.T @ (A @ v), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dual, A @ (A.T @ u), rtol=1e-12, atol=1e-12)
    # Static partition and ordered reduction: bitwise reproducible.
    np.testing.assert_array_equal(gram, again)


@pytest.mark.parametrize("solver", ["cg-primal", "cg-dual", "cd", "direct-primal"])
def test_parallel_solvers_agree_with_serial(parallel_everywhere, solver):
    X, y, s = _problem(seed=3)
    fits = [
        fastridge.ridge(X, y, 0.5, sample_weight=s, solver=solver, tol=1e-14, n_threads=nt)
        for nt in (1, resolve_n_threads(None), resolve_n_threads(None))
    ]
    assert all(f.converged for f in fits)
    # Both fits are certified: ||w - w*||^2 <= 2 certificate / lam for each.
    bound = sum(np.sqrt(2.0 * f.certificate / 0.5) for f in fits[:2])
    assert np.linalg.norm(fits[1].coef - fits[0].coef) <= bound
    np.testing.assert_allclose(fits[1].coef, fits[0].coef, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(fits[1].coef, fits[2].coef)


# Fits that launch parallel kernels from several Python threads: the library's
# own pools (one-vs-rest, K-fold RidgeCV, LogisticRegressionCV folds) and two
# user threads.  Run in a fresh process per threading layer (Numba fixes the
# layer at its first parallel launch); prints the coefficients as JSON.
_LAYER_SCRIPT = """
import json, threading
import numpy as np, scipy.sparse as sp
import numba
import fastridge
from fastridge._operators import design as _operators
_operators.PARALLEL_MIN_NNZ = 0  # the parallel kernels even on this small matrix
_operators.PARALLEL_NNZ_PER_ACCUMULATOR = 0
from sklearn.datasets import make_classification
X, y = make_classification(300, 40, n_informative=10, n_classes=4, random_state=0)
Xs = sp.csr_matrix(X)
yr = Xs @ np.random.default_rng(0).standard_normal(40)
out = {}
out["ovr"] = fastridge.LogisticRegression(multi_class="ovr", n_threads=2).fit(Xs, y).coef_
out["ridgecv"] = fastridge.RidgeCV(alphas=[0.1, 1.0, 10.0], cv=3, n_threads=2).fit(Xs, yr).coef_
out["logcv"] = fastridge.LogisticRegressionCV(Cs=[0.1, 1.0], cv=3, n_threads=2).fit(Xs, y).coef_
res = {}
def work(i):
    res[i] = fastridge.ridge(Xs, yr + i, 1.0, n_threads=2).coef
ts = [threading.Thread(target=work, args=(i,)) for i in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
out["user_threads"] = np.stack([res[0], res[1]])
out = {k: np.asarray(v).tolist() for k, v in out.items()}
out["layer"] = numba.threading_layer()
print(json.dumps(out))
"""


def _run_layer(layer):
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ)
    env.pop("NUMBA_THREADING_LAYER", None)
    env["NUMBA_NUM_THREADS"] = "2"  # several kernel threads even on a 1-core runner
    if layer is not None:
        env["NUMBA_THREADING_LAYER"] = layer
    proc = subprocess.run(
        [sys.executable, "-c", _LAYER_SCRIPT], env=env, capture_output=True, text=True, timeout=900
    )
    # Before the fix workqueue aborted the process (SIGABRT, "Concurrent access").
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_workqueue_layer_falls_back_to_serial():
    wq = _run_layer("workqueue")
    assert wq["layer"] == "workqueue"
    ref = _run_layer(None)
    for key in ("ovr", "ridgecv", "logcv", "user_threads"):
        # The same fits, one at a time: equal up to the order of float reductions.
        np.testing.assert_allclose(wq[key], ref[key], rtol=1e-10, atol=1e-12, err_msg=key)


def test_thread_map_serial_when_layer_unsafe(monkeypatch):
    import threading

    from fastridge._fit import threads as _threads

    monkeypatch.setattr(_threads, "concurrent_kernels_safe", lambda: False)
    assert _threads.pool_workers(8, 5) == 1
    caller = threading.get_ident()
    seen = _threads.thread_map(lambda _: threading.get_ident(), range(4), 1)
    assert seen == [caller] * 4  # no pool: every task in the calling thread
    # Kernel regions hold the process-wide lock (re-entrant in the same thread).
    with _threads.numba_threads(1), _threads.numba_threads(1):
        got = []
        t = threading.Thread(target=lambda: got.append(_threads._KERNEL_LOCK.acquire(False)))
        t.start()
        t.join()
        assert got == [False]
    assert _threads._KERNEL_LOCK.acquire(False)
    _threads._KERNEL_LOCK.release()


def test_thread_map_parallel_when_layer_safe(monkeypatch):
    from fastridge._fit import threads as _threads

    monkeypatch.setattr(_threads, "concurrent_kernels_safe", lambda: True)
    assert _threads.pool_workers(8, 5) == 5
    assert _threads.pool_workers(2, 5) == 2
    assert _threads.thread_map(lambda x: x * x, range(5), 3) == [0, 1, 4, 9, 16]
