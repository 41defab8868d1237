"""Distributed fits survive a worker killed in the middle of a pass (issue 12, faults).

A block task kills its own worker process (``os._exit``) the first time it
runs in the chosen pass; the blocks that worker held are lost with it.  The
fit must rebuild them (re-scattered from the client, or reloaded from their
shards), rerun the pass, and end with the same bits as an undisturbed fit.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge

pytest.importorskip("distributed")
from fastridge.distributed import scatter


@pytest.fixture
def client(dask_client):
    return dask_client


def _data(seed=0, n=400, p=40):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.2, random_state=seed, format="csr")
    X.data = rng.standard_normal(X.nnz) * 10 ** rng.uniform(-1, 1, X.nnz)
    y = X @ rng.standard_normal(p) + rng.standard_normal(n)
    return X, y


@pytest.mark.parametrize("task", ["ridge", "logistic"])
def test_worker_killed_during_fit(client, kill_in_pass, task):
    X, y = _data()
    if task == "ridge":

        def fit(Z):
            return fastridge.ridge(Z, y, 1e-2, solver="cg-primal", tol=1e-12)
    else:
        yb = np.where(y > np.median(y), 1, -1)

        def fit(Z):
            return fastridge.logistic(Z, yb, 1e-2, solver="newton-cg", tol=1e-12)

    dX = scatter(X, client, n_blocks=4)
    ref = fit(dX)
    assert ref.n_passes > 8
    flag = kill_in_pass(6)  # mid-fit: the set-up is done, iterations are running
    got = fit(dX)
    assert flag.exists(), "the kill hook did not fire"
    assert dX.recoveries >= 1
    assert np.array_equal(got.coef, ref.coef)
    assert got.intercept == ref.intercept and got.certificate == ref.certificate
    assert got.converged and got.n_iter == ref.n_iter
