"""Distributed fitting (issue 12): the Dask operators and fits against one machine.

On a LocalCluster of 2 worker processes.  Every product of
:class:`~fastridge.distributed.DaskDesignOperator` agrees with
:class:`~fastridge._operators.design.DesignOperator` on the same rows (uneven
blocks, an empty one), with the same pass count; every distributed fit agrees
with the single-machine fit to 1e-10 relative objective with a certificate of
the same kind, and gives the same bits twice for a given partition.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import fastridge
from fastridge._fit.validation import check_X
from fastridge._operators.design import DesignOperator

pytest.importorskip("distributed")
from fastridge._operators.softmax import SoftmaxOperator
from fastridge.distributed import (
    DaskDesignOperator,
    DaskSoftmaxOperator,
    from_dask_array,
    from_shards,
    scatter,
)

# Uneven blocks with an empty one (rows 40:40).
OFFSETS = [0, 17, 40, 40, 71, 120]


@pytest.fixture
def client(dask_client):
    return dask_client


def _matrix(fmt, dtype, n=120, p=15, seed=0, shift=1.0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)) * rng.uniform(0.5, 3.0, p) + shift * rng.uniform(-2, 2, p)
    X[rng.random((n, p)) < 0.4] = 0.0
    X = X.astype(dtype)
    return (X if fmt == "dense" else getattr(sp, f"{fmt}_matrix")(X)), rng


def _rel(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))


@pytest.mark.parametrize("fmt", ["dense", "csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
def test_products_agree_with_one_machine(client, fmt, dtype, fit_intercept, weighted):
    X, rng = _matrix(fmt, dtype)
    n, p = X.shape
    Yc = rng.standard_normal((n, 2))
    s = rng.uniform(0.2, 2.0, n) if weighted else None
    if weighted:
        s[OFFSETS[1] : OFFSETS[2]] = 0.0  # a zero-weight fold
    a = DesignOperator(check_X(X), s, fit_intercept, 1, targets=Yc)
    b = DaskDesignOperator(
        scatter(X, client, row_offsets=OFFSETS), s, fit_intercept, 1, targets=Yc
    )
    assert b.n == n and b.p == p and b.S == a.S
    v, V, u = rng.standard_normal(p), rng.standard_normal((p, 3)), rng.standard_normal(n)
    lam = np.array([0.5, 2.0])
    for got, want in [
        (b.mu, a.mu),
        (b.xt_s_targets, a.xt_s_targets),
        (b.matvec(v), a.matvec(v)),
        (b.matvec(V), a.matvec(V)),
        (b.rmatvec(u), a.rmatvec(u)),
        (b.gram_matvec(v), a.gram_matvec(v)),
        (b.gram_matvec(V), a.gram_matvec(V)),
        (b.gram_matvec_xv(v)[0], a.gram_matvec_xv(v)[0]),
        (b.gram_matvec_xv(v)[1], a.gram_matvec_xv(v)[1]),
        (b.dual_gram_matvec(u), a.dual_gram_matvec(u)),
        (b.gram_dense(), a.gram_dense()),
        (b.col_sq_norms(), a.col_sq_norms()),
        (b.row_sq_norms(), a.row_sq_norms()),
        (b.pair_gradient(Yc, V[:, :2], lam)[0], a.pair_gradient(Yc, V[:, :2], lam)[0]),
        (b.pair_gradient(Yc, V[:, :2], lam)[1], a.pair_gradient(Yc, V[:, :2], lam)[1]),
        (b.moments(u, Yc), a.moments(u, Yc)),
    ]:
        assert _rel(got, want) <= 1e-12
    assert b.mean_spread_ratio() == pytest.approx(a.mean_spread_ratio(), rel=1e-12)
    if fmt != "csc":  # CSC counts two passes for the fused products on one machine
        assert b.n_passes == a.n_passes


def test_careful_moments_are_pair_accurate_across_blocks(client):
    """Means that dwarf the spread: the set-up moments are redone in pairs, block sums too."""
    rng = np.random.default_rng(3)
    X = 1e7 + rng.standard_normal((90, 6))
    Yc = rng.standard_normal((90, 1))
    Yc -= Yc.mean()
    a = DesignOperator(check_X(X), None, True, 1, targets=Yc)
    b = DaskDesignOperator(scatter(X, client, n_blocks=4), None, True, 1, targets=Yc)
    assert a.careful and b.careful
    for got, want in [(b.mu, a.mu), (b.col_sq_norms(), a.col_sq_norms())]:
        assert _rel(got, want) <= 1e-14
    assert _rel(b.xt_s_targets, a.xt_s_targets) <= 1e-12
    W = rng.standard_normal((6, 1))
    assert (
        _rel(b.pair_gradient(Yc, W, np.ones(1))[0], a.pair_gradient(Yc, W, np.ones(1))[0]) <= 1e-12
    )


def test_softmax_products_agree(client):
    X, rng = _matrix("csr", np.float64)
    n, p = X.shape
    K = 3
    a = SoftmaxOperator(check_X(X), K, 1)
    b = DaskSoftmaxOperator(scatter(X, client, row_offsets=OFFSETS), K, 1)
    P = rng.dirichlet(np.ones(K), n)
    s, V, c = rng.uniform(0.5, 2, n), rng.standard_normal((p, K)), rng.standard_normal(K)
    A, B = rng.standard_normal((n, K)), rng.standard_normal((n, K))
    for got, want in zip(b.hessp(P, s, V, c), a.hessp(P, s, V, c), strict=True):
        assert _rel(got, want) <= 1e-12
    for got, want in zip(b.grad_diag(A, B), a.grad_diag(A, B), strict=True):
        assert _rel(got, want) <= 1e-12
    assert _rel(b.dot(V), a.dot(V)) <= 1e-12


# ---------------------------------------------------------------------------
# fits: the same answer as one machine
# ---------------------------------------------------------------------------
def _ridge_objective(X, Y, coef, intercept, lam, s):
    R = np.atleast_2d(np.asarray(Y, np.float64).T).T - (X @ np.atleast_2d(coef).T + intercept)
    s = np.ones(X.shape[0]) if s is None else s
    return 0.5 * float(s @ (R**2).sum(axis=1)) + 0.5 * lam * float((np.asarray(coef) ** 2).sum())


def _logistic_objective(X, y, coef, intercept, lam, s):
    s = np.ones(X.shape[0]) if s is None else s
    classes = np.unique(y)
    M = X @ np.atleast_2d(coef).T + intercept
    if len(classes) == 2:
        t = np.where(y == classes[1], 1.0, -1.0)
        loss = np.logaddexp(0, -t * M[:, 0])
    else:
        codes = np.searchsorted(classes, y)
        top = M.max(axis=1)
        lse = top + np.log(np.exp(M - top[:, None]).sum(axis=1))
        loss = lse - M[np.arange(len(y)), codes]
    return float(s @ loss) + 0.5 * lam * float((np.asarray(coef) ** 2).sum())


def _data(dtype=np.float64, n=150, p=20, seed=1):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.3, random_state=seed, format="csr", dtype=np.float64)
    X.data = (X.data + 0.5).astype(np.float64)
    X = X.astype(dtype)
    y = X.astype(np.float64) @ rng.standard_normal(p) + 0.3 * rng.standard_normal(n)
    return X, y, rng


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("solver", ["cg-primal", "direct"])
def test_ridge_agrees(client, dtype, fit_intercept, weighted, solver):
    X, y, rng = _data(dtype)
    s = rng.uniform(0.2, 2.0, X.shape[0]) if weighted else None
    dX = scatter(X, client, row_offsets=[0, 30, 30, 101, 150])
    kw = dict(fit_intercept=fit_intercept, sample_weight=s, solver=solver, tol=1e-12)
    a = fastridge.ridge(X, y, 0.7, **kw)
    b = fastridge.ridge(dX, y, 0.7, **kw)
    c = fastridge.ridge(dX, y, 0.7, **kw)
    Xd = X.astype(np.float64)
    pa = _ridge_objective(Xd, y, a.coef, a.intercept, 0.7, s)
    pb = _ridge_objective(Xd, y, b.coef, b.intercept, 0.7, s)
    assert abs(pa - pb) <= 1e-10 * pa
    assert b.converged and a.converged and b.solver == a.solver
    assert b.certificate <= b.tol * b.p_null
    assert np.array_equal(b.coef, c.coef) and b.intercept == c.intercept  # deterministic


def test_multi_target_ridge_agrees(client):
    X, y, rng = _data()
    Y = np.column_stack([y, rng.standard_normal(X.shape[0])])
    dX = scatter(X, client, n_blocks=3)
    a = fastridge.ridge(X, Y, [0.5, 3.0], solver="cg-primal", tol=1e-12)
    b = fastridge.ridge(dX, Y, [0.5, 3.0], solver="cg-primal", tol=1e-12)
    assert _rel(b.coef, a.coef) <= 1e-8 and np.all(b.converged)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("weighted", [True, False])
@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_agrees(client, fit_intercept, weighted, n_classes):
    X, y, rng = _data()
    labels = np.digitize(y, np.quantile(y, np.linspace(0, 1, n_classes + 1)[1:-1]))
    s = rng.uniform(0.2, 2.0, X.shape[0]) if weighted else None
    dX = scatter(X, client, row_offsets=[0, 30, 30, 101, 150])
    kw = dict(fit_intercept=fit_intercept, sample_weight=s, tol=1e-12)
    a = fastridge.logistic(X, labels, 0.3, **kw)
    b = fastridge.logistic(dX, labels, 0.3, **kw)
    pa = _logistic_objective(X, labels, a.coef, a.intercept, 0.3, s)
    pb = _logistic_objective(X, labels, b.coef, b.intercept, 0.3, s)
    assert abs(pa - pb) <= 1e-10 * pa
    assert b.converged and b.solver == a.solver


def test_paths_agree(client):
    X, y, _ = _data()
    dX = scatter(X, client, n_blocks=3)
    a = fastridge.ridge_path(X, y, n_lams=8, tol=1e-12)
    b = fastridge.ridge_path(dX, y, n_lams=8, tol=1e-12)
    assert _rel(b.coef, a.coef) <= 1e-8 and np.all(b.converged)
    yb = np.where(y > np.median(y), 1, -1)
    a = fastridge.logistic_path(X, yb, n_lams=5, tol=1e-12)
    b = fastridge.logistic_path(dX, yb, n_lams=5, tol=1e-12)
    assert _rel(b.coef, a.coef) <= 1e-6 and np.all(b.converged)


def test_cv_estimators_agree(client):
    X, y, _ = _data()
    dX = scatter(X, client, n_blocks=3)
    a = fastridge.RidgeCV(alphas=[0.1, 1.0, 10.0], cv=3).fit(X, y)
    b = fastridge.RidgeCV(alphas=[0.1, 1.0, 10.0], cv=3).fit(dX, y)
    assert b.alpha_ == a.alpha_ and _rel(b.coef_, a.coef_) <= 1e-8
    yb = np.where(y > np.median(y), 1, 0)
    a = fastridge.LogisticRegressionCV(Cs=3, cv=3, tol=1e-10).fit(X, yb)
    b = fastridge.LogisticRegressionCV(Cs=3, cv=3, tol=1e-10).fit(dX, yb)
    assert b.C_[0] == a.C_[0]
    np.testing.assert_allclose(b.scores_[1], a.scores_[1], rtol=1e-10)
    assert _rel(b.coef_, a.coef_) <= 1e-6


def test_estimators_on_dask_arrays(client):
    da = pytest.importorskip("dask.array")
    X, y, _ = _data()
    chunks = [sp.csr_matrix(X[a:b]) for a, b in [(0, 50), (50, 51), (51, 150)]]
    A = da.concatenate([da.from_array(c, chunks=c.shape, asarray=False) for c in chunks])
    ref = fastridge.Ridge(alpha=0.5, tol=1e-12).fit(X, y)
    est = fastridge.Ridge(alpha=0.5, tol=1e-12).fit(A, y)
    assert _rel(est.coef_, ref.coef_) <= 1e-8
    pred = est.predict(A)
    assert isinstance(pred, da.Array) and pred.chunks[0] == (50, 1, 99)
    np.testing.assert_allclose(pred.compute(), ref.predict(X), rtol=1e-8, atol=1e-10)
    yb = np.where(y > np.median(y), 1, 0)
    clf = fastridge.LogisticRegression(C=2.0).fit(A, yb)
    proba = clf.predict_proba(A)
    assert isinstance(proba, da.Array)
    ref_clf = fastridge.LogisticRegression(C=2.0).fit(X, yb)
    np.testing.assert_allclose(proba.compute(), ref_clf.predict_proba(X), rtol=1e-6, atol=1e-8)
    assert (clf.predict(A).compute() == ref_clf.predict(X)).all()
    dX = from_dask_array(A)
    assert dX.shape == X.shape and dX.nnz == X.nnz and dX.n_blocks == 3


def test_column_solvers_refuse_with_alternatives(client):
    X, y, _ = _data()
    dX = scatter(X, client, n_blocks=2)
    with pytest.raises(ValueError, match=r"column access.*cg-primal.*newton-cg"):
        fastridge.ridge(dX, y, 1.0, solver="cd")
    with pytest.raises(ValueError, match="column access"):
        fastridge.logistic(dX, np.sign(y - np.median(y)), 1.0, solver="cd")
    with pytest.raises(ValueError, match=r"'dual-cd' updates w after every row.*newton-cg"):
        fastridge.logistic(
            dX, np.sign(y - np.median(y)), 1.0, solver="dual-cd", fit_intercept=False
        )


# ---------------------------------------------------------------------------
# shards
# ---------------------------------------------------------------------------
@pytest.fixture
def shards(tmp_path):
    from sklearn.datasets import dump_svmlight_file

    from fastridge.io import write_csr_folder

    X, y, _ = _data()
    cuts = [0, 60, 61, 150]
    folders, files = [], []
    for i in range(3):
        rows = slice(cuts[i], cuts[i + 1])
        folder = tmp_path / f"part{i}.csr"
        write_csr_folder(X[rows], folder, y=y[rows])
        folders.append(str(folder))
        f = tmp_path / f"part{i}.svm"
        dump_svmlight_file(X[rows], y[rows], str(f), zero_based=False)
        files.append(str(f))
    return X, y, folders, files


@pytest.mark.parametrize("kind", ["folders", "svmlight"])
def test_shards_are_opened_on_workers(client, shards, kind):
    X, y, folders, files = shards
    paths = folders if kind == "folders" else files
    kw = {} if kind == "folders" else {"zero_based": False, "n_features": X.shape[1]}
    dX, ys = from_shards(paths, client, **kw)
    assert dX.shape == X.shape and list(np.diff(dX.row_offsets)) == [60, 1, 89]
    np.testing.assert_allclose(ys, y, rtol=1e-15 if kind == "folders" else 1e-12)
    a = fastridge.ridge(X, y, 1.0, solver="cg-primal", tol=1e-12)
    b = fastridge.ridge(dX, ys, 1.0, solver="cg-primal", tol=1e-12)
    assert _rel(b.coef, a.coef) <= 1e-7


def test_missing_shard_is_named(client, shards):
    _, _, folders, _ = shards
    missing = folders[1] + "-gone"
    with pytest.raises(Exception, match=r"part1\.csr-gone"):
        from_shards([folders[0], missing], client)


def test_corrupt_shard_is_named(client, shards):
    _, _, folders, _ = shards
    data = np.load(folders[1] + "/data.npy")
    data[0] += 1.0
    np.save(folders[1] + "/data.npy", data)  # the header's checksum no longer matches
    with pytest.raises(Exception, match=r"part1\.csr"):
        from_shards(folders, client)


@pytest.mark.parametrize("n_parts", [1, 2, 3, 4, 5, 7])
def test_tree_with_client_top_is_the_workers_tree(client, n_parts):
    """The top levels added on the client (``keep``) give the bits of the whole tree on workers.

    Parts of magnitudes 1e16 apart with pair (``Pair``) and plain members, so
    that any other order of addition changes the result.
    """
    from fastridge.distributed.reduce import Pair, finish_tree, tree_reduce

    rng = np.random.default_rng(n_parts)
    parts = [
        (
            Pair(rng.standard_normal(5) * 10.0 ** (16 * (i % 2)), rng.standard_normal(5) * 1e-17),
            rng.standard_normal(3) * 10.0 ** (8 * (i % 3)),
        )
        for i in range(n_parts)
    ]
    futs = client.scatter(parts, hash=False)
    whole = finish_tree(client.gather(tree_reduce(client, futs, keep=1)))
    for keep in (2, 3, n_parts):
        split = finish_tree(client.gather(tree_reduce(client, futs, keep=keep)))
        assert np.array_equal(split[0].hi, whole[0].hi)
        assert np.array_equal(split[0].lo, whole[0].lo)
        assert np.array_equal(split[1], whole[1])
    local = finish_tree(parts)  # the same pairing with no cluster at all
    assert np.array_equal(local[1], whole[1]) and np.array_equal(local[0].hi, whole[0].hi)
    if n_parts == 4:  # the pairing matters: left to right, 1e16 + 1 - 1e16 + 1 = 1
        plain = [np.array([1e16]), np.array([1.0]), np.array([-1e16]), np.array([1.0])]
        got = finish_tree(client.gather(tree_reduce(client, client.scatter(plain), keep=2)))
        assert got[0] == 0.0  # (1e16 + 1) + (-1e16 + 1), each rounded to even first


# ---------------------------------------------------------------------------
# the two engines of a pass: block hosts (actors) and tasks
# ---------------------------------------------------------------------------
def _fits(dX, X, y, labels, s):
    """Every kind of fit, as (name, result) pairs: ridge CG and direct, binary and multinomial."""
    kw = dict(sample_weight=s, tol=1e-12)
    return [
        ("ridge-cg", fastridge.ridge(dX, y, 0.7, solver="cg-primal", **kw)),
        ("ridge-direct", fastridge.ridge(dX, y, 0.7, solver="direct", **kw)),
        ("binary", fastridge.logistic(dX, np.where(labels > 0, 1, -1), 0.3, **kw)),
        ("multinomial", fastridge.logistic(dX, labels, 0.3, **kw)),
    ]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("weighted", [True, False])
def test_hosts_and_tasks_give_the_same_bits(client, dtype, weighted):
    """The host engine adds the blocks' results in the task engine's tree: the same bits."""
    X, y, rng = _data(dtype)
    labels = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    s = rng.uniform(0.2, 2.0, X.shape[0]) if weighted else None
    dX = scatter(X, client, row_offsets=[0, 30, 30, 101, 150])  # uneven, one empty block
    got = {}
    for engine in ("hosts", "tasks"):
        dX.engine = engine
        got[engine] = _fits(dX, X, y, labels, s)
    for (name, h), (_, t) in zip(got["hosts"], got["tasks"], strict=True):
        assert h.converged and t.converged, name
        assert np.array_equal(h.coef, t.coef), name
        assert np.array_equal(h.intercept, t.intercept), name
        assert h.certificate == t.certificate and h.n_passes == t.n_passes, name


def test_engine_choice_and_kept_vectors_dropped(client):
    """``auto`` takes the hosts up to HOST_MAX_BLOCKS blocks; hosts forget dead row vectors."""
    import gc

    from fastridge.distributed import handle

    X, y, _ = _data()
    small = scatter(X, client, n_blocks=handle.HOST_MAX_BLOCKS)
    large = scatter(X, client, n_blocks=handle.HOST_MAX_BLOCKS + 1)
    assert small.uses_hosts() and not large.uses_hosts()
    large.engine = "hosts"
    assert large.uses_hosts()
    large.engine = "bogus"
    with pytest.raises(ValueError, match="engine must be"):
        large.uses_hosts()
    yb = np.where(y > np.median(y), 1, -1)
    for _ in range(3):  # each Newton iteration keeps its Hessian weights on the hosts
        fastridge.logistic(small, yb, 0.3, sample_weight=np.full(X.shape[0], 2.0), tol=1e-12)
    gc.collect()
    small.run(handle.tasks.info, reduce="list")  # the next pass drops what is gone
    kept = [h.actor.held().result() for h in small._hosts]
    assert sum(k["blocks"] for k in kept) == handle.HOST_MAX_BLOCKS
    # 3 fits x several Newton iterations kept their weights; only the last is held
    assert all(k["kept"] <= 1 for k in kept), kept


def test_blocks_are_sized_by_their_arrays(client):
    """Dask counts a block's arrays (not 56 bytes of a Python object): tasks stay with blocks."""
    from dask.sizeof import sizeof

    X, _, _ = _data()
    block = check_X(X)
    nbytes = block.data.nbytes + block.indices.nbytes + block.indptr.nbytes
    assert sizeof(block) == nbytes
    dX = scatter(X, client, n_blocks=2)
    seen = client.nbytes([f.key for f in dX.blocks], summary=False)
    assert sum(seen.values()) >= nbytes


def test_float32_estimators_on_distributed_x(client):
    """Ridge and RidgeCV store a float32 fit for a float32 X, distributed or not.

    The certificate widened for the cast needs ``||X||_F^2``: for a
    DistributedX it was taken from ``np.asarray(X)`` (an object array) and failed.
    """
    X, y, _ = _data(np.float32)
    dX = scatter(X, client, n_blocks=3)
    for make in (
        lambda: fastridge.Ridge(alpha=0.7, tol=1e-10),
        lambda: fastridge.RidgeCV(alphas=[0.1, 1.0, 10.0], cv=3),
    ):
        a, b = make().fit(X, y), make().fit(dX, y)
        assert b.coef_.dtype == a.coef_.dtype == np.float32
        assert _rel(b.coef_, a.coef_) <= 1e-5
        assert b.certificate_ == pytest.approx(a.certificate_, rel=1e-3, abs=1e-12)


def test_a_dask_process_sizes_blocks_when_it_first_reads_one():
    """A process that imported Dask before fastridge (a worker) sizes a block by its arrays
    as soon as it imports the block's class; importing Dask alone imports no fastridge."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np, dask.sizeof\n"
        "assert 'fastridge' not in sys.modules\n"
        "from fastridge._fit.compressed import Compressed\n"
        "b = Compressed('csr', (2, 3), np.ones(4), np.zeros(4, np.int32), np.array([0, 2, 4]))\n"
        "print(dask.sizeof.sizeof(b))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(out.stdout.strip()) == 4 * 8 + 4 * 4 + 3 * 8
