"""Distributed fitting under hostile but legal inputs (issue 12, adversarial pass).

Partitions with empty blocks, more blocks than rows, integer and float32 ``X``,
columns with huge means (the pair-summed set-up), weights with zeros and huge
ratios, ``p >> n``, multinomial CV with a class missing from a fold, dask
inputs, shards: the distributed fit must match one machine, with a sound
certificate (checked against the high-precision references of
``tests/_hp_reference.py``), and anything unsupported must fail with one
clear line.  A worker killed during a path or a CV fit must not change the
result.  On one LocalCluster of 2 worker processes.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
from tests._hp_reference import (
    logistic_gap,
    logistic_reference,
    ridge_gaps,
    ridge_reference,
)

pytest.importorskip("distributed")
from fastridge.distributed import from_dask_array, scatter


@pytest.fixture
def client(dask_client):
    return dask_client


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


def _sparse(n=60, p=8, seed=0):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.4, random_state=seed, format="csr")
    X.data += 0.5
    y = X @ rng.standard_normal(p) + 0.1 * rng.standard_normal(n)
    return X, y, rng


# ---------------------------------------------------------------------------
# partitions and value types: same answer, sound certificate
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "case", ["one-block", "more-blocks-than-rows", "empty-ends", "zero-rows", "int", "float32"]
)
def test_odd_partitions_and_types_agree(client, case):
    X, y, _ = _sparse()
    n = X.shape[0]
    kw = {}
    if case == "one-block":
        kw = {"n_blocks": 1}
    elif case == "more-blocks-than-rows":
        kw = {"n_blocks": n + 7}
    elif case == "empty-ends":
        kw = {"row_offsets": [0, 0, 0, 31, n, n]}
    elif case == "zero-rows":
        X = X.tolil()
        X[10:20] = 0
        X = X.tocsr()
        X.eliminate_zeros()
        kw = {"row_offsets": [0, 10, 20, n]}
    elif case == "int":
        X = (X * 10).astype(np.int64)
        kw = {"n_blocks": 3}
    else:
        X = X.astype(np.float32)
        kw = {"n_blocks": 3}
    dX = scatter(X, client, **kw)
    a = fastridge.ridge(X, y, 0.7, tol=1e-12)
    b = fastridge.ridge(dX, y, 0.7, tol=1e-12)
    ref = ridge_reference(X, y, 0.7)
    pstar = float(ref.pstar[0])
    ga = float(ridge_gaps(ref, a.coef, a.intercept)[0])
    gb = float(ridge_gaps(ref, b.coef, b.intercept)[0])
    assert b.converged and b.solver == a.solver
    assert abs(ga - gb) <= 1e-10 * pstar
    assert b.certificate >= gb


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", ["direct", "cg-primal"])
def test_huge_means_with_weights_are_certified_soundly(client, solver):
    """Means 1e7..1e8 (the pair-summed set-up), zero and 1e6-to-1 weights."""
    rng = np.random.default_rng(5)
    n, p = 60, 6
    X = rng.standard_normal((n, p)) + 1e7 * rng.uniform(1, 10, p)
    y = X @ rng.standard_normal(p) * 1e-6 + rng.standard_normal(n)
    s = rng.uniform(0.5, 1.0, n)
    s[:8] = 0.0
    s[30] = 1e6
    dX = scatter(X, client, row_offsets=[0, 8, 8, 31, n])
    kw = dict(sample_weight=s, solver=solver, tol=1e-12)
    a = fastridge.ridge(X, y, 0.7, **kw)
    b = fastridge.ridge(dX, y, 0.7, **kw)
    ref = ridge_reference(X, y, 0.7, sample_weight=s)
    ga = float(ridge_gaps(ref, a.coef, a.intercept)[0])
    gb = float(ridge_gaps(ref, b.coef, b.intercept)[0])
    assert b.certificate >= gb
    assert abs(ga - gb) <= 1e-10 * float(ref.pstar[0])


def test_logistic_weights_zero_blocks_sound(client):
    X, y, rng = _sparse(n=80, p=6, seed=2)
    lab = (y > np.median(y)).astype(int)
    s = rng.uniform(0, 1, 80)
    s[:10] = 0.0
    s[30] = 1e6
    dX = scatter(X, client, row_offsets=[0, 0, 10, 11, 80])
    a = fastridge.logistic(X, lab, 0.5, sample_weight=s, tol=1e-12)
    b = fastridge.logistic(dX, lab, 0.5, sample_weight=s, tol=1e-12)
    ref = logistic_reference(X, 2 * lab - 1, 0.5, sample_weight=s)
    ga = float(logistic_gap(ref, a.coef, a.intercept))
    gb = float(logistic_gap(ref, b.coef, b.intercept))
    assert b.converged and b.certificate >= gb
    assert abs(ga - gb) <= 1e-10 * float(ref.pstar)


def test_multinomial_cv_with_class_missing_from_a_fold(client):
    X, _, _ = _sparse(n=90, p=10, seed=2)
    lab = np.zeros(90, int)
    lab[::3] = 1
    lab[:4] = 2  # class 2 only in the first fold
    dX = scatter(X, client, n_blocks=3)
    a = fastridge.LogisticRegressionCV(Cs=3, cv=3, tol=1e-10).fit(X, lab)
    b = fastridge.LogisticRegressionCV(Cs=3, cv=3, tol=1e-10).fit(dX, lab)
    assert list(b.C_) == list(a.C_)
    for k in a.scores_:
        np.testing.assert_allclose(b.scores_[k], a.scores_[k], rtol=1e-10)
    assert _rel(b.coef_, a.coef_) <= 1e-8


# ---------------------------------------------------------------------------
# clear refusals
# ---------------------------------------------------------------------------
def test_dask_chunk_with_nan_is_named_not_retried(client):
    """A chunk that fails validation is an error in that chunk, not a lost worker:
    the message names it and says why (it was retried six times and blamed on memory)."""
    da = pytest.importorskip("dask.array")
    X, y, _ = _sparse(n=90, p=10)
    Xd = X.toarray()
    Xd[40, 3] = np.nan
    A = da.from_array(Xd, chunks=((30, 60), (10,)))
    with pytest.raises(ValueError, match=r"chunk 1 \(rows 30:90\).*NaN") as info:
        from_dask_array(A, client)
    assert "memory" not in str(info.value)
    with pytest.raises(ValueError, match=r"rows 30:90.*NaN"):
        fastridge.Ridge(alpha=1.0).fit(A, y)


def test_column_chunked_dask_array_is_refused(client):
    da = pytest.importorskip("dask.array")
    X, y, _ = _sparse(n=60, p=10)
    A = da.from_array(X.toarray(), chunks=((30, 30), (5, 5)))
    with pytest.raises(ValueError, match="chunked along rows only"):
        fastridge.Ridge(alpha=1.0).fit(A, y)
    est = fastridge.Ridge(alpha=1.0).fit(X, y)
    with pytest.raises(ValueError, match="chunked along rows only"):
        est.predict(A)


@pytest.mark.parametrize(
    "kw", [{"n_blocks": -1}, {"n_blocks": 0}, {"n_blocks": 2.5}, {"row_offsets": [0, 30.5, 60]}]
)
def test_bad_partition_is_refused_in_one_line(client, kw):
    """Was an IndexError (n_blocks=-1), the default partition (0), a truncated offset (30.5)."""
    X, _, _ = _sparse()
    with pytest.raises(ValueError, match=r"n_blocks must be a positive integer|row_offsets must"):
        scatter(X, client, **kw)


# ---------------------------------------------------------------------------
# a worker killed during a path or a CV fit
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("task", ["ridge_path", "multinomial_path", "logistic_cv"])
def test_worker_killed_during_path_or_cv(client, kill_in_pass, task):
    X, y, rng = _sparse(n=120, p=12, seed=4)
    s = rng.uniform(0.5, 2.0, 120)
    if task == "ridge_path":

        def fit(Z):
            r = fastridge.ridge_path(Z, y, n_lams=4, sample_weight=s, solver="cg", tol=1e-12)
            return r.coef, r.intercept

    elif task == "multinomial_path":
        lab = np.digitize(y, np.quantile(y, [0.33, 0.66]))

        def fit(Z):
            r = fastridge.logistic_path(Z, lab, n_lams=3, sample_weight=s, tol=1e-10)
            return r.coef, r.intercept

    else:
        lab = (y > np.median(y)).astype(int)

        def fit(Z):
            e = fastridge.LogisticRegressionCV(Cs=3, cv=3, tol=1e-10).fit(Z, lab)
            return e.coef_, np.r_[e.intercept_, e.scores_[1].ravel()]

    dX = scatter(X, client, n_blocks=4)
    ref = fit(dX)
    flag = kill_in_pass(7)
    got = fit(dX)
    assert flag.exists(), "the kill hook did not fire"
    assert dX.recoveries >= 1
    assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1])
