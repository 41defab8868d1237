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
from fastridge import _operators
from fastridge._operators import DesignOperator
from fastridge._threads import numba_threads, resolve_n_threads
from fastridge._validation import check_X


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
