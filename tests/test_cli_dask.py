"""The command line on Dask: ``batch --dask-workers``, and fit / predict on shards.

Each command starts its own local cluster of 2 worker processes (a few seconds).
"""

from __future__ import annotations

import json
import signal
import sys

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

from fastridge.cli import main
from fastridge.datasets import load_a9a
from tests._batch_process import start_batch, wait_for

pytest.importorskip("distributed")

THREADS = ["--threads", "1"]
DASK = ["--dask-workers", "2"]

JOBS = """\
[defaults]
tol = 1e-10
folds = 3

[[job]]
name = "ridge"
data = ["a.svm", "b.svm"]
lam = 0.5

[[job]]
name = "logit"
data = "a.svm"
task = "logistic"
mode = "path"
n_lams = 3

[[job]]
name = "cvr"
data = "b.svm"
mode = "cv"
n_lams = 4
"""
NAMES = ["ridge-a.svm", "ridge-b.svm", "logit", "cvr"]


@pytest.fixture(scope="module")
def scheduler(dask_client):
    """``--scheduler ADDRESS`` of the session's local cluster (tests/conftest.py)."""
    return ["--scheduler", dask_client.scheduler.address]


@pytest.fixture(scope="module")
def a9a():
    X, y = load_a9a("train")
    return X[:3000], y[:3000]


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory, a9a):
    """The job file, its data, and the single-process results (``ref``)."""
    work = tmp_path_factory.mktemp("batch")
    X, y = a9a
    dump_svmlight_file(X[:800], y[:800], str(work / "a.svm"), zero_based=False)
    dump_svmlight_file(X[800:1600], y[800:1600], str(work / "b.svm"), zero_based=False)
    (work / "jobs.toml").write_text(JOBS)
    assert _batch(work, "ref", "-q") == 0
    return work


def _batch(work, out, *extra):
    return main(["batch", str(work / "jobs.toml"), "--out", str(work / out), *THREADS, *extra])


def _arrays(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files if k != "meta"}


def _temp_files(folder):
    return [p.name for p in folder.iterdir() if ".tmp-" in p.name]


def _assert_same_results(ref, out, names=NAMES):
    for name in names:
        a, b = _arrays(ref / f"{name}.npz"), _arrays(out / f"{name}.npz")
        assert a.keys() == b.keys(), name
        for key in a:
            if a[key].dtype.kind in "fc":
                np.testing.assert_allclose(b[key], a[key], rtol=1e-12, atol=1e-12, err_msg=key)
            else:
                assert np.array_equal(a[key], b[key]), (name, key)
        sa = json.loads((ref / f"{name}.json").read_text())
        sb = json.loads((out / f"{name}.json").read_text())
        assert sb["status"] == "complete"
        assert sb["settings"] == sa["settings"] and sb["inputs"] == sa["inputs"]


def _records(capsys):
    return {r["name"]: r for r in json.loads(capsys.readouterr().out)}


# ----------------------------------------------------------------------------- batch


def _start(work, out, delay):
    return start_batch(work / "jobs.toml", work / out, delay, [*THREADS, *DASK])


def _wait_for(predicate, proc, timeout=180.0):
    wait_for(predicate, proc, timeout)


def test_batch_on_local_cluster_interrupted_resumed_equals_single_process(
    batch_dir, scheduler, capsys
):
    """Ctrl-C (``--dask-workers 2``), then a rerun (``--scheduler``): as one process's batch."""
    out = batch_dir / "dask"
    proc = _start(batch_dir, out.name, delay=1.0)
    # interrupt once a result is complete and the next one's .npz is being written
    _wait_for(lambda: out.exists() and list(out.glob("*.json")) and _temp_files(out), proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "rerun to resume" in err, err
    assert "Traceback" not in err and "WARNING" not in err, err
    assert _temp_files(out) == []  # the aborted write left nothing behind
    finished = {p.stem for p in out.glob("*.json")}
    assert 1 <= len(finished) < len(NAMES)
    assert {p.stem for p in out.glob("*.npz")} == finished
    capsys.readouterr()
    assert _batch(batch_dir, out.name, *scheduler, "--json") == 0
    recs = _records(capsys)
    assert {n for n, r in recs.items() if r["status"] == "skipped"} == finished
    assert {n for n, r in recs.items() if r["status"] == "done"} == set(NAMES) - finished
    assert list(recs) == NAMES  # in the order of the job file
    # both runs' results (written by the client from the workers' fits) as one process's
    _assert_same_results(batch_dir / "ref", out)
    assert _temp_files(out) == []
    # and the results of either runner are current for the other (no cluster started)
    assert _batch(batch_dir, "ref", *DASK, "--json") == 0
    assert all(r["status"] == "skipped" for r in _records(capsys).values())


# ----------------------------------------------------------------------------- errors


def test_several_data_paths_need_a_cluster(tmp_path, capsys):
    for command in (["fit"], ["path"], ["cv"], ["predict", "r.npz"]):
        with pytest.raises(SystemExit) as exc:
            main([*command, str(tmp_path / "a.svm"), str(tmp_path / "b.svm")])
        assert exc.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "--dask-workers" in err[0] and "2 DATA paths" in err[0], err


def test_cluster_options_without_dask_are_one_line(batch_dir, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    status = main(["fit", str(batch_dir / "a.svm"), str(batch_dir / "b.svm"), *DASK])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1, err
    assert "install fastridge[dask]" in err[0]
    status = _batch(batch_dir, "nodask", *DASK)
    err = capsys.readouterr().err
    assert status == 1 and "install fastridge[dask]" in err


def test_unreachable_scheduler_is_one_line(batch_dir, capsys, monkeypatch):
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        status = main(
            ["fit", str(batch_dir / "a.svm"), "--scheduler", "tcp://127.0.0.1:9", "--lam", "1"]
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1, err
    assert "cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in err[0]


# ----------------------------------------------------------------------------- shards


def _ridge_objective(X, y, coef, b, lam):
    r = y - X @ coef - b
    return 0.5 * float(r @ r) + 0.5 * lam * float(coef @ coef)


def test_fit_and_predict_on_svmlight_shards(tmp_path, a9a, scheduler, capsys):
    X, y = a9a
    whole, shards = tmp_path / "whole.svm", tmp_path / "shards"
    shards.mkdir()
    dump_svmlight_file(X, y, str(whole), zero_based=False)
    dump_svmlight_file(X[:1800], y[:1800], str(shards / "part0.svm"), zero_based=False)
    dump_svmlight_file(X[1800:], y[1800:], str(shards / "part1.svm"), zero_based=False)
    lam = 2.0
    one, dist = tmp_path / "one.npz", tmp_path / "dist.npz"
    common = ["--lam", str(lam), "--tol", "1e-12", *THREADS, "-q"]
    assert main(["fit", str(whole), "--out", str(one), *common]) == 0
    # the folder of shards, as two paths would be
    assert main(["fit", str(shards), "--out", str(dist), *common, *DASK]) == 0
    a, b = _arrays(one), _arrays(dist)
    p = a["coef"].shape[-1]  # svmlight text: the width of the last column present
    assert b["coef"].shape == (p,) and X[:, p:].nnz == 0
    Xd = X[:, :p].toarray()
    p_one = _ridge_objective(Xd, y, a["coef"], a["intercept"], lam)
    p_dist = _ridge_objective(Xd, y, b["coef"], b["intercept"], lam)
    assert abs(p_dist - p_one) <= 1e-10 * p_one
    with np.load(dist, allow_pickle=False) as z:
        meta = json.loads(str(z["meta"]))
    assert meta["n_samples"] == X.shape[0] and len(meta["inputs"]["data"]) == 2

    pa, pb = tmp_path / "pa.npy", tmp_path / "pb.npy"
    assert main(["predict", str(dist), str(whole), "--out", str(pa), "-q"]) == 0
    parts = [str(shards / "part0.svm"), str(shards / "part1.svm")]
    assert main(["predict", str(dist), *parts, "--out", str(pb), "-q", *scheduler]) == 0
    np.testing.assert_allclose(np.load(pb), np.load(pa), rtol=1e-13, atol=1e-13)


def test_path_on_csr_folder_shards(tmp_path, a9a, scheduler):
    """``fastridge convert`` shards (CSR folders) as two paths; the path as on one file."""
    X, y = a9a
    whole = tmp_path / "whole.svm"
    dump_svmlight_file(X, y, str(whole), zero_based=False)
    dump_svmlight_file(X[:1000], y[:1000], str(tmp_path / "p0.svm"), zero_based=False)
    dump_svmlight_file(X[1000:], y[1000:], str(tmp_path / "p1.svm"), zero_based=False)
    for i in range(2):
        assert main(["convert", str(tmp_path / f"p{i}.svm"), str(tmp_path / f"f{i}"), "-q"]) == 0
    one, dist = tmp_path / "one.npz", tmp_path / "dist.npz"
    common = ["--n-lams", "3", "--tol", "1e-12", "--task", "logistic", *THREADS, "-q"]
    assert main(["path", str(whole), "--out", str(one), *common]) == 0
    folders = [str(tmp_path / "f0"), str(tmp_path / "f1")]
    assert main(["path", *folders, "--out", str(dist), *common, *scheduler]) == 0
    a, b = _arrays(one), _arrays(dist)
    np.testing.assert_allclose(b["lams"], a["lams"], rtol=1e-12)
    np.testing.assert_allclose(b["coef"], a["coef"], rtol=1e-6, atol=1e-6)
    # probabilities on the folders at one lam of the path, as on the one file
    pa, pb = tmp_path / "pa.npy", tmp_path / "pb.npy"
    pred = ["--proba", "--lam-index", "1", "-q"]
    assert main(["predict", str(dist), str(whole), "--out", str(pa), *pred]) == 0
    assert main(["predict", str(dist), *folders, "--out", str(pb), *pred, *scheduler]) == 0
    assert np.load(pb).shape == (X.shape[0], 2)
    np.testing.assert_allclose(np.load(pb), np.load(pa), rtol=1e-13, atol=1e-13)


def test_cv_on_shards(batch_dir, scheduler, tmp_path, capsys):
    one, dist = tmp_path / "one.npz", tmp_path / "dist.npz"
    common = ["--n-lams", "3", "--folds", "3", *THREADS, "-q"]
    assert main(["cv", str(batch_dir / "a.svm"), "--out", str(one), *common]) == 0
    data = [str(batch_dir / "a.svm")]
    assert main(["cv", *data, "--out", str(dist), *common, *scheduler]) == 0
    a, b = _arrays(one), _arrays(dist)
    np.testing.assert_allclose(b["mean_score"], a["mean_score"], rtol=1e-8)
    assert b["best_index"] == a["best_index"]


def test_corrupt_or_missing_shard_is_one_line_naming_it(batch_dir, scheduler, tmp_path, capsys):
    bad = tmp_path / "bad.svm"
    bad.write_text("1 3:1.5\n-1 2:x\n")
    good = str(batch_dir / "a.svm")
    assert main(["fit", good, str(bad), "--lam", "1", *scheduler]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("fastridge fit: error: ") and str(bad) in err[0]
    missing = tmp_path / "missing.svm"
    assert main(["fit", good, str(missing), "--lam", "1", *scheduler]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(missing) in err[0], err


def test_local_cluster_waits_for_a_restarting_worker():
    """While a command's local cluster lives, it waits LOST_WORKER_TIMEOUT (not Dask's
    15 s) for a lost worker to come back before closing its nanny; the setting is
    the user's again afterwards."""
    import dask

    from fastridge._cli.cluster import LOST_WORKER_TIMEOUT, cluster_client

    key = "distributed.deploy.lost-worker-timeout"
    # Dask's default, as a user has it (the session's test cluster sets its own)
    with dask.config.set({key: "15s"}):
        with cluster_client(n_workers=1) as client:
            assert dask.config.get(key) == LOST_WORKER_TIMEOUT
            assert len(client.scheduler_info()["workers"]) == 1
        assert dask.config.get(key) == "15s"
