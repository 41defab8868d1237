"""``fastridge batch``: job files, results, resume, interruption (SIGINT, SIGKILL), errors."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

from fastridge.cli import main
from fastridge.datasets import load_a9a
from tests._batch_process import start_batch, wait_for

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Each test fit uses --threads 1, so that reruns are bit-for-bit comparable.
THREADS = ["--threads", "1"]


def _write_data(folder):
    """Two small svmlight files cut from a9a (different rows)."""
    X, y = load_a9a("train")
    dump_svmlight_file(X[:800], y[:800], str(folder / "a.svm"), zero_based=False)
    dump_svmlight_file(X[800:1600], y[800:1600], str(folder / "b.svm"), zero_based=False)


JOBS = """\
[defaults]
task = "ridge"
tol = 1e-10
folds = 3

[[job]]
name = "ridge"
data = ["a.svm", "b.svm"]
lam = [0.5, 5.0]

[[job]]
name = "logit"
data = "a.svm"
task = "logistic"
mode = "path"
n_lams = 4

[[job]]
name = "cvr"
data = "b.svm"
mode = "cv"
n_lams = 5
"""
NAMES = [
    "ridge-a.svm-lam0.5",
    "ridge-a.svm-lam5",
    "ridge-b.svm-lam0.5",
    "ridge-b.svm-lam5",
    "logit",
    "cvr",
]


@pytest.fixture
def work(tmp_path):
    _write_data(tmp_path)
    (tmp_path / "jobs.toml").write_text(JOBS)
    return tmp_path


def _batch(work, out="out", *extra):
    return main(["batch", str(work / "jobs.toml"), "--out", str(work / out), *THREADS, *extra])


def _records(capsys):
    return {r["name"]: r for r in json.loads(capsys.readouterr().out)}


def _arrays(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files if k != "meta"}


def _temp_files(folder):
    return [p.name for p in folder.iterdir() if ".tmp-" in p.name]


def _assert_same_results(dir_a, dir_b):
    for name in NAMES:
        a, b = _arrays(dir_a / f"{name}.npz"), _arrays(dir_b / f"{name}.npz")
        assert a.keys() == b.keys(), name
        for key in a:
            assert np.array_equal(a[key], b[key]), (name, key)


# ----------------------------------------------------------------------------- runs


def test_batch_writes_every_result_and_rerun_skips(work, capsys):
    assert _batch(work, "out", "--json") == 0
    recs = _records(capsys)
    assert list(recs) == NAMES
    assert all(r["status"] == "done" for r in recs.values())
    out = work / "out"
    for name in NAMES:
        summary = json.loads((out / f"{name}.json").read_text())
        assert summary["status"] == "complete" and summary["name"] == name
        assert summary["inputs"]["data"]["sha256"]
        assert summary["fastridge_version"] and summary["timings"]["fit"] >= 0
        assert summary["relative_certificate"] <= 1e-10
    assert json.loads((out / "ridge-b.svm-lam5.json").read_text())["settings"]["lam"] == 5.0
    path = _arrays(out / "logit.npz")
    assert path["lams"].shape == (4,) and list(path["classes"]) == [-1.0, 1.0]
    assert _temp_files(out) == []
    mtimes = {n: (out / f"{n}.npz").stat().st_mtime_ns for n in NAMES}

    assert _batch(work, "out", "--json") == 0
    assert all(r["status"] == "skipped" for r in _records(capsys).values())
    assert mtimes == {n: (out / f"{n}.npz").stat().st_mtime_ns for n in NAMES}


def test_changed_input_or_settings_or_result_redoes_only_those(work, capsys):
    assert _batch(work, "out", "-q") == 0
    out = work / "out"
    # change b.svm's content (same rows, one label flipped)
    lines = (work / "b.svm").read_text().splitlines(keepends=True)
    label, rest = lines[0].split(" ", 1)
    lines[0] = f"{-float(label):g} {rest}"
    (work / "b.svm").write_text("".join(lines))
    assert _batch(work, "out", "--json") == 0
    done = {n for n, r in _records(capsys).items() if r["status"] == "done"}
    assert done == {"ridge-b.svm-lam0.5", "ridge-b.svm-lam5", "cvr"}
    # a setting of one job changes; a result file is damaged; a summary is lost
    (work / "jobs.toml").write_text(JOBS.replace("n_lams = 4", "n_lams = 3"))
    with open(out / "ridge-a.svm-lam5.npz", "r+b") as fh:
        fh.seek(-20, os.SEEK_END)
        fh.write(b"\0" * 20)
    (out / "cvr.json").unlink()
    assert _batch(work, "out", "--json") == 0
    done = {n for n, r in _records(capsys).items() if r["status"] == "done"}
    assert done == {"logit", "ridge-a.svm-lam5", "cvr"}
    assert _arrays(out / "logit.npz")["lams"].shape == (3,)


def test_leftover_temp_files_are_removed_at_start(work, capsys):
    out = work / "out"
    out.mkdir()
    (out / ".ridge-a.svm-lam5.npz.tmp-abc123").write_bytes(b"partial")
    (out / ".cvr.json.tmp-x_y").write_bytes(b"{")
    (out / "keep.txt").write_text("not ours")
    assert _batch(work, "out", "-q") == 0
    assert _temp_files(out) == []
    assert (out / "keep.txt").exists()


def test_json_job_file_and_shared_data(tmp_path, capsys):
    _write_data(tmp_path)
    jobs = {"defaults": {"tol": 1e-9}, "job": [{"name": "a", "data": "a.svm", "lam": 1.0}]}
    if (SHARED_DATA / "w8a.svm.gz").exists():
        jobs["job"].append(
            {
                "name": "w8a",
                "data": str(SHARED_DATA / "w8a.svm.gz"),
                "task": "logistic",
                "lam": 1.0,
            }
        )
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    argv = ["batch", str(tmp_path / "jobs.json"), "--out", str(tmp_path / "o"), "--json"]
    assert main(argv) == 0
    recs = _records(capsys)
    assert all(r["status"] == "done" and r["converged"] for r in recs.values())
    if "w8a" in recs:
        summary = json.loads((tmp_path / "o" / "w8a.json").read_text())
        assert summary["n_samples"] == 49749 and summary["n_features"] == 300


# ----------------------------------------------------------------------------- errors


def test_bad_jobs_are_reported_and_the_others_complete(work, capsys):
    (work / "malformed.svm").write_text("1 1:1\n-1 2:1 junk\n")
    (work / "nan.svm").write_text("1 1:1\n-1 2:inf\n")
    np.save(work / "short.npy", np.ones(3))
    bad = """
[[job]]
name = "typo"
data = "a.svm"
lamda = 1.0

[[job]]
name = "missing"
data = "absent.svm"
lam = 1.0

[[job]]
name = "malformed"
data = "malformed.svm"
lam = 1.0

[[job]]
name = "nan"
data = "nan.svm"
lam = 1.0

[[job]]
name = "shape"
data = "a.svm"
targets = "short.npy"
lam = 1.0

[[job]]
name = "wrongmode"
data = "a.svm"
lam = 1.0
folds = 3
"""
    (work / "jobs.toml").write_text(JOBS + bad)
    typo_line = (JOBS + bad).splitlines().index('name = "typo"')  # its [[job]] line, 1-based
    assert _batch(work, "out", "--json") == 1
    captured = capsys.readouterr()
    recs = {r["name"]: r for r in json.loads(captured.out)}
    assert all(recs[n]["status"] == "done" for n in NAMES)
    expect = {
        "typo": [f"jobs.toml:{typo_line}:", "'lamda'"],
        "missing": ["absent.svm"],
        "malformed": ["malformed.svm:2"],
        "nan": ["nan.svm"],
        "shape": ["short.npy"],
        "wrongmode": ["jobs.toml:", "'folds'", "mode 'fit'"],
    }
    err_lines = captured.err.splitlines()
    for name, fragments in expect.items():
        assert recs[name]["status"] == "failed"
        for fragment in fragments:
            assert fragment in recs[name]["error"], (name, recs[name]["error"])
        lines = [ln for ln in err_lines if f"'{name}'" in ln]
        assert len(lines) == 1 and lines[0].startswith("fastridge batch: error: "), name
    assert "Traceback" not in captured.err
    assert not (work / "out" / "typo.json").exists()


def test_fail_fast_stops_at_the_first_failure(work, capsys):
    jobs = JOBS.replace('name = "logit"\ndata = "a.svm"', 'name = "logit"\ndata = "gone.svm"')
    (work / "jobs.toml").write_text(jobs)
    assert _batch(work, "out", "--json", "--fail-fast") == 1
    recs = _records(capsys)
    status = [recs[n]["status"] for n in NAMES]
    assert status == ["done"] * 4 + ["failed", "not run"]
    assert not (work / "out" / "cvr.npz").exists()


def test_job_file_errors_are_one_line(tmp_path, capsys):
    (tmp_path / "bad.toml").write_text("[[job]]\nname = 'x'\ndata = \n")
    (tmp_path / "bad.yaml").write_text("job: []\n")
    (tmp_path / "top.toml").write_text("[[jobs]]\nname = 'x'\n")
    for name, fragment in [
        ("bad.toml", "bad.toml"),
        ("bad.yaml", ".toml or .json"),
        ("top.toml", "'jobs'"),
    ]:
        status = main(["batch", str(tmp_path / name), "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err.strip().splitlines()
        assert status == 1 and len(err) == 1, err
        assert err[0].startswith("fastridge batch: error: ") and fragment in err[0]


# ----------------------------------------------------------------------------- kill and resume


def _start(work, out, delay):
    return start_batch(work / "jobs.toml", work / out, delay, [*THREADS])


def _wait_for(predicate, proc, timeout=60.0):
    wait_for(predicate, proc, timeout)


@pytest.fixture
def reference(work):
    """An uninterrupted run of the same job file."""
    assert _batch(work, "ref", "-q") == 0
    return work / "ref"


def test_ctrl_c_stops_cleanly_and_rerun_completes_identically(work, reference, capsys):
    out = work / "out"
    proc = _start(work, "out", delay=0.4)
    # interrupt while the third fit's .npz is written but not yet renamed into place
    _wait_for(
        lambda: out.exists() and len(list(out.glob("*.json"))) >= 2 and _temp_files(out), proc
    )
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "rerun to resume" in err
    assert "Traceback" not in err
    assert _temp_files(out) == []  # the aborted fit left nothing behind
    finished = {p.stem for p in out.glob("*.json")}
    assert 2 <= len(finished) < len(NAMES)
    assert {p.stem for p in out.glob("*.npz")} == finished
    capsys.readouterr()
    assert _batch(work, "out", "--json") == 0
    recs = _records(capsys)
    assert {n for n, r in recs.items() if r["status"] == "skipped"} == finished
    _assert_same_results(reference, out)
    assert _temp_files(out) == []


def test_sigkill_then_rerun_completes_identically(work, reference, capsys):
    out = work / "out"
    proc = _start(work, "out", delay=0.4)
    _wait_for(
        lambda: out.exists() and len(list(out.glob("*.json"))) >= 1 and _temp_files(out), proc
    )
    proc.kill()
    proc.communicate(timeout=60)
    assert _temp_files(out)  # SIGKILL leaves the temporary file ...
    assert _batch(work, "out", "--json") == 0  # ... which the rerun removes
    recs = _records(capsys)
    assert all(r["status"] in ("done", "skipped") for r in recs.values())
    _assert_same_results(reference, out)
    assert _temp_files(out) == []
