"""Shared test fixtures (kept small: helpers used by several test files only)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp


def dense_ridge_solution(X, y, lam, sample_weight=None, fit_intercept=True):
    """Exact ridge solution in dense float64: ``(coef, intercept)``.

    Minimises ``1/2 sum_i s_i (y_i - x_i . w - b)^2 + lam/2 ||w||^2`` by weighted
    centring and ``np.linalg.solve``.  ``y`` (n,) or (n, k); ``lam`` scalar or (k,).
    Returns ``coef`` (p,) / (k, p) and ``intercept`` float / (k,), like ``FitResult``.
    """
    Xd = X.toarray() if sp.issparse(X) else np.asarray(X)
    Xd = np.asarray(Xd, dtype=np.float64)
    n, p = Xd.shape
    Y = np.asarray(y, dtype=np.float64)
    one_d = Y.ndim == 1
    Y = Y.reshape(n, -1)
    k = Y.shape[1]
    s = (
        np.ones(n)
        if sample_weight is None
        else np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), (n,))
    )
    lam = np.broadcast_to(np.asarray(lam, dtype=np.float64), (k,))
    if fit_intercept:
        mu = s @ Xd / s.sum()
        ybar = s @ Y / s.sum()
    else:
        mu = np.zeros(p)
        ybar = np.zeros(k)
    Xc = Xd - mu
    Yc = Y - ybar
    H = Xc.T @ (s[:, None] * Xc)
    B = Xc.T @ (s[:, None] * Yc)
    W = np.column_stack([np.linalg.solve(H + lam[t] * np.eye(p), B[:, t]) for t in range(k)])
    b = ybar - mu @ W
    if one_d:
        return W[:, 0], float(b[0])
    return W.T, b


@pytest.fixture
def ridge_reference():
    """The dense float64 reference solver :func:`dense_ridge_solution`."""
    return dense_ridge_solution


@pytest.fixture(scope="session")
def dask_client():
    """The session's Dask client: one LocalCluster shared by every Dask test module."""
    from tests._dask_cluster import SCHEDULER_CONFIG, local_client

    with local_client(**SCHEDULER_CONFIG) as client:
        yield client


@pytest.fixture
def kill_in_pass(monkeypatch, tmp_path):
    """``arm(k)``: the k-th distributed pass from now kills the worker running one of its tasks."""
    from tests._dask_cluster import arm_kill_in_pass

    return arm_kill_in_pass(monkeypatch, tmp_path / "killed")
