"""The ``fastridge`` subcommands ``fit``, ``path``, ``cv``, ``predict``, ``convert``, ``info``:
results against the library, result files, ``--json``, and one-line errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file

import fastridge
from fastridge.cli import main
from fastridge.datasets import load_a9a

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Rows of the small a9a files the tests write (train / test): a fit takes milliseconds.
N_TRAIN, N_TEST = 1500, 300


def _run(*args, env=None):
    """``python -m fastridge.cli ARGS`` in a fresh interpreter."""
    full_env = dict(os.environ, PYTHONWARNINGS="ignore", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "fastridge.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        env=full_env,
        check=False,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Small svmlight train / test files cut from a9a, and the arrays they hold."""
    folder = tmp_path_factory.mktemp("data")
    X, y = load_a9a("train")
    Xt, yt = load_a9a("test")
    train, test = folder / "train.svm", folder / "test.svm"
    dump_svmlight_file(X[:N_TRAIN], y[:N_TRAIN], str(train), zero_based=False)
    dump_svmlight_file(Xt[:N_TEST], yt[:N_TEST], str(test), zero_based=False)
    return {
        "train": train,
        "test": test,
        "X": X[:N_TRAIN],
        "y": y[:N_TRAIN],
        "Xt": Xt[:N_TEST],
        "folder": folder,
    }


def _json(capsys):
    out = capsys.readouterr().out
    return json.loads(out)


def _load(path):
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return arrays, json.loads(str(arrays.pop("meta")))


def _width(X, p):
    """``X`` read from svmlight has only the columns it uses; the model has ``p``."""
    import scipy.sparse as sp

    X = sp.csr_matrix(X)
    return sp.csr_matrix((X.data, X.indices, X.indptr), shape=(X.shape[0], p))


# ----------------------------------------------------------------------------- fit


def test_fit_ridge_result_file_matches_library(data, tmp_path, capsys):
    out = tmp_path / "r.npz"
    status = main(["fit", str(data["train"]), "--lam", "2.5", "--out", str(out), "--json"])
    report = _json(capsys)
    assert status == 0
    arrays, meta = _load(out)
    p = arrays["coef"].shape[0]
    ref = fastridge.ridge(_width(data["X"], p), data["y"], 2.5)
    np.testing.assert_allclose(arrays["coef"], ref.coef, rtol=1e-6, atol=1e-10)
    assert float(arrays["intercept"]) == pytest.approx(float(ref.intercept), rel=1e-6)
    assert float(arrays["lam"]) == 2.5
    assert arrays["certificate"] <= 1e-8 * arrays["p_null"]
    # the metadata: inputs with checksums, version, task, settings, timings, solver
    digest = hashlib.sha256(data["train"].read_bytes()).hexdigest()
    assert meta["inputs"]["data"]["sha256"] == digest
    assert meta["fastridge_version"] == fastridge.__version__
    assert meta["task"] == "ridge" and meta["mode"] == "fit"
    assert meta["settings"]["lam"] == 2.5 and meta["settings"]["tol"] == 1e-8
    assert meta["converged"] is True and meta["solver"] == report["solver"]
    assert set(meta["timings"]) >= {"read", "fit", "total"}
    assert report["out"] == str(out) and report["result_sha256"]


def test_fit_logistic_and_predict_labels_and_proba(data, tmp_path, capsys):
    res, pred, prob = tmp_path / "l.npz", tmp_path / "p.npy", tmp_path / "q.npy"
    assert (
        main(["fit", str(data["train"]), "--task", "logistic", "--lam", "1", "--out", str(res)])
        == 0
    )
    assert "wrote" in capsys.readouterr().out
    arrays, _ = _load(res)
    assert list(arrays["classes"]) == [-1.0, 1.0]
    assert main(["predict", str(res), str(data["test"]), "--out", str(pred), "-q"]) == 0
    assert main(["predict", str(res), str(data["test"]), "--out", str(prob), "--proba", "-q"]) == 0
    labels, proba = np.load(pred), np.load(prob)
    Xt = _width(data["Xt"], arrays["coef"].shape[0])
    score = Xt @ arrays["coef"] + arrays["intercept"]
    np.testing.assert_array_equal(labels, np.where(score > 0, 1.0, -1.0))
    assert proba.shape == (N_TEST, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(proba[:, 1], 1 / (1 + np.exp(-score)), rtol=1e-12)


def test_predict_ridge_to_stdout_and_json(data, tmp_path, capsys):
    res = tmp_path / "r.npz"
    main(["fit", str(data["train"]), "--lam", "1", "--out", str(res), "-q"])
    capsys.readouterr()
    assert main(["predict", str(res), str(data["test"])]) == 0
    printed = np.array([float(v) for v in capsys.readouterr().out.split()])
    assert main(["predict", str(res), str(data["test"]), "--json"]) == 0
    report = _json(capsys)
    arrays, _ = _load(res)
    expected = _width(data["Xt"], arrays["coef"].shape[0]) @ arrays["coef"] + arrays["intercept"]
    np.testing.assert_allclose(printed, expected, rtol=1e-15)
    np.testing.assert_allclose(report["predictions"], expected, rtol=1e-15)


def test_path_and_predict_at_one_lam(data, tmp_path, capsys):
    res = tmp_path / "path.npz"
    assert main(["path", str(data["train"]), "--n-lams", "6", "--out", str(res), "--json"]) == 0
    report = _json(capsys)
    arrays, meta = _load(res)
    assert arrays["lams"].shape == (6,) and arrays["coef"].shape[0] == 6
    assert np.all(np.diff(arrays["lams"]) < 0)
    assert report["mode"] == "path" and meta["settings"]["n_lams"] == 6
    pred = tmp_path / "p.npy"
    assert (
        main(["predict", str(res), str(data["test"]), "--lam-index", "3", "--out", str(pred)]) == 0
    )
    Xt = _width(data["Xt"], arrays["coef"].shape[1])
    np.testing.assert_allclose(np.load(pred), Xt @ arrays["coef"][3] + arrays["intercept"][3])
    # a logistic path, with an explicit grid
    res2 = tmp_path / "lpath.npz"
    assert (
        main(
            [
                "path",
                str(data["train"]),
                "--task",
                "logistic",
                "--lams",
                "10,1,0.1",
                "--out",
                str(res2),
                "-q",
            ]
        )
        == 0
    )
    arrays, _ = _load(res2)
    np.testing.assert_array_equal(arrays["lams"], [10.0, 1.0, 0.1])


@pytest.mark.parametrize("task", ["ridge", "logistic"])
def test_cv_chooses_a_lam_of_its_grid(data, tmp_path, capsys, task):
    res = tmp_path / "cv.npz"
    args = ["cv", str(data["train"]), "--task", task, "--folds", "3", "--n-lams", "5"]
    assert main([*args, "--out", str(res), "--json"]) == 0
    report = _json(capsys)
    arrays, meta = _load(res)
    assert arrays["lams"].shape == (5,)
    assert float(arrays["lam"]) == pytest.approx(float(arrays["lams"][int(arrays["best_index"])]))
    assert report["cv_method"] == "kfold"
    assert report["scoring"] == ("r2" if task == "ridge" else "accuracy")
    assert meta["converged"] is True


def test_convert_then_fit_from_the_folder_equals_fit_from_text(data, tmp_path, capsys):
    folder = tmp_path / "train.csr"
    assert main(["convert", str(data["train"]), str(folder), "--json"]) == 0
    _json(capsys)
    assert folder.is_dir()
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    main(["fit", str(data["train"]), "--lam", "1", "--out", str(a), "-q"])
    main(["fit", str(folder), "--lam", "1", "--out", str(b), "-q"])
    np.testing.assert_array_equal(_load(a)[0]["coef"], _load(b)[0]["coef"])
    # converting again needs --overwrite
    assert main(["convert", str(data["train"]), str(folder)]) == 1
    assert main(["convert", str(data["train"]), str(folder), "--overwrite", "-q"]) == 0


def test_csv_targets_two_columns_and_float32(data, tmp_path, capsys):
    rng = np.random.default_rng(0)
    Y = rng.standard_normal((N_TRAIN, 2))
    csv = tmp_path / "y.csv"
    csv.write_text("a,b\n" + "".join(f"{u:.17g},{v:.17g}\n" for u, v in Y))
    res = tmp_path / "r.npz"
    spec = f"{csv}:a,b"
    args = ["fit", str(data["train"]), "--targets", spec, "--lam", "3", "--dtype", "float32"]
    assert main([*args, "--out", str(res), "-q"]) == 0
    arrays, meta = _load(res)
    assert arrays["coef"].shape[0] == 2
    assert meta["inputs"]["targets"]["sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert meta["settings"]["dtype"] == "float32"
    ref = fastridge.ridge(_width(data["X"], arrays["coef"].shape[1]).astype(np.float32), Y, 3.0)
    np.testing.assert_allclose(arrays["coef"], ref.coef, rtol=1e-5, atol=1e-8)


def test_info_json(capsys):
    assert main(["info", "--json"]) == 0
    report = _json(capsys)
    assert report["fastridge"].startswith(fastridge.__version__)
    assert "numba threads" in report


def test_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("fit", "path", "cv", "predict", "batch", "convert", "demo", "info"):
        assert cmd in out


# ----------------------------------------------------------------------------- end to end


def test_subprocess_json_stdout_is_one_object_on_bundled_a9a(tmp_path):
    a9a = resources.files("fastridge.datasets") / "data" / "a9a.svm.gz"
    with resources.as_file(a9a) as path:
        proc = _run("fit", path, "--lam", "1", "--json", "--out", tmp_path / "a9a.npz")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)  # nothing else on stdout
    assert report["n_samples"] == 32561 and report["n_features"] == 123
    assert "fit ridge on" in proc.stderr  # the human text went to stderr
    assert report["relative_certificate"] <= 1e-8


@pytest.mark.skipif(
    not (SHARED_DATA / "we8there.overall.svm.gz").exists(), reason="no shared data"
)
def test_subprocess_shared_we8there_path(tmp_path):
    proc = _run("path", SHARED_DATA / "we8there.overall.svm.gz", "--n-lams", "5", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["n_samples"] == 6166 and report["n_features"] == 2640
    assert report["converged"] is True


# ----------------------------------------------------------------------------- errors


def _error_line(err, cmd):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"fastridge {cmd}: error: "), err
    assert "Traceback" not in err
    return lines[0]


def _bad_inputs(folder):
    """(name, argv, expected fragment of the message) for each kind of bad input."""
    malformed = folder / "malformed.svm"
    malformed.write_text("1 1:1 2:1\n-1 3:1 oops\n1 2:1\n")
    nan = folder / "nan.svm"
    nan.write_text("1 1:1 2:1\n-1 3:nan\n")
    good = folder / "good.svm"
    good.write_text("1 1:1 2:1\n-1 3:1\n1 2:2\n")
    short = folder / "short.npy"
    np.save(short, np.ones(2))
    dense = folder / "dense.npy"
    np.save(dense, np.ones((3, 7)))
    return [
        ("missing", ["fit", folder / "absent.svm", "--lam", "1"], "absent.svm"),
        ("malformed", ["fit", malformed, "--lam", "1"], "malformed.svm:2"),
        ("nan", ["fit", nan, "--lam", "1"], "nan.svm"),
        ("shape", ["fit", good, "--targets", short, "--lam", "1"], "short.npy"),
        ("features", ["predict", folder / "model.npz", dense], "dense.npy"),
        ("not-a-result", ["predict", good, good], "good.svm"),
    ]


@pytest.fixture
def bad_inputs(tmp_path):
    good = tmp_path / "good.svm"
    cases = _bad_inputs(tmp_path)
    assert main(["fit", str(good), "--lam", "1", "--out", str(tmp_path / "model.npz"), "-q"]) == 0
    return cases


def test_each_bad_input_is_one_line_exit_1(bad_inputs, capsys):
    capsys.readouterr()
    for name, argv, fragment in bad_inputs:
        status = main([str(a) for a in argv])
        err = capsys.readouterr().err
        assert status == 1, name
        line = _error_line(err, argv[0])
        assert fragment in line, (name, line)


def test_nan_message_names_the_line_or_position(bad_inputs, capsys):
    capsys.readouterr()
    _, argv, _ = next(c for c in bad_inputs if c[0] == "nan")
    assert main([str(a) for a in argv]) == 1
    line = _error_line(capsys.readouterr().err, "fit")
    assert "nan.svm:2" in line or "row 1" in line, line


def test_usage_errors_exit_2_one_line(data, capsys):
    for argv, fragment in [
        (["fit", str(data["train"]), "--lam", "1", "--bogus"], "--bogus"),
        (["fit", str(data["train"]), "--lam", "-1"], "must be > 0"),
        (["fit", str(data["train"]), "--zero-based", "maybe"], "--zero-based"),
        (["cv", str(data["train"]), "--task", "lasso"], "lasso"),
    ]:
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == 2
        line = _error_line(capsys.readouterr().err, argv[0])
        assert fragment in line


def test_debug_shows_the_traceback_subprocess(tmp_path):
    bad = tmp_path / "bad.svm"
    bad.write_text("1 1:1\n1 x:y\n")
    plain = _run("fit", bad, "--lam", "1")
    assert plain.returncode == 1
    line = _error_line(plain.stderr, "fit")
    assert "bad.svm:2" in line
    debug = _run("fit", bad, "--lam", "1", "--debug")
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1] == line
    usage = _run("path", bad, "--n-lams", "0")
    assert usage.returncode == 2
    _error_line(usage.stderr, "path")


# ----------------------------------------------------------------------------- formats


def _write_all_formats(folder, X, y):
    """The same matrix in every input format the CLI reads; targets beside it."""
    import bz2
    import gzip
    import shutil

    import scipy.io
    import scipy.sparse as sp

    import fastridge.io as fio

    X = sp.csr_matrix(X)
    svm = folder / "m.svm"
    dump_svmlight_file(X, y, str(svm), zero_based=False)
    for ext, opener in ((".gz", gzip.open), (".bz2", bz2.open)):
        with open(svm, "rb") as src, opener(str(svm) + ext, "wb") as dst:
            shutil.copyfileobj(src, dst)
    sp.save_npz(folder / "m.npz", X)
    scipy.io.mmwrite(str(folder / "m.mtx"), X)
    with open(folder / "m.mtx", "rb") as src, gzip.open(folder / "m.mtx.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    np.save(folder / "m.npy", X.toarray())
    fio.write_csr_folder(X, folder / "m.csr")
    np.save(folder / "y.npy", y)
    return {
        "svm": (svm, None),
        "svm.gz": (Path(str(svm) + ".gz"), None),
        "svm.bz2": (Path(str(svm) + ".bz2"), None),
        "npz": (folder / "m.npz", folder / "y.npy"),
        "mtx": (folder / "m.mtx", folder / "y.npy"),
        "mtx.gz": (folder / "m.mtx.gz", folder / "y.npy"),
        "npy": (folder / "m.npy", folder / "y.npy"),
        "csr-folder": (folder / "m.csr", folder / "y.npy"),
    }


def test_fit_from_every_input_format_gives_the_same_model(data, tmp_path, capsys):
    """``fastridge fit`` on one matrix stored in each format: identical coefficients."""
    X, y = data["X"][:400], data["y"][:400]
    X = _width(X[:, :100], 100)  # every column used at least once is not needed
    files = _write_all_formats(tmp_path, X, y)
    expected = fastridge.ridge(X.toarray(), y, 2.0, tol=1e-12)
    for name, (path, targets) in files.items():
        out = tmp_path / f"{name}.res.npz"
        argv = ["fit", str(path), "--lam", "2", "--tol", "1e-12", "--out", str(out), "-q"]
        if targets is not None:
            argv += ["--targets", str(targets)]
        assert main(argv) == 0, name
        arrays, meta = _load(out)
        coef = arrays["coef"]
        # svmlight drops trailing empty columns; compare on the columns present.
        np.testing.assert_allclose(
            coef, expected.coef[: coef.shape[-1]], rtol=1e-9, atol=1e-12, err_msg=name
        )
        assert meta["inputs"]["data"]["sha256"], name
    capsys.readouterr()


def test_subprocess_every_subcommand_and_every_format(data, tmp_path):
    """Through ``python -m fastridge.cli``: a batch over every input format (one fit each,
    identical models), then convert, cv, predict and info on the results."""
    X, y = data["X"][:400], data["y"][:400]
    X = _width(X[:, :100], 100)
    files = _write_all_formats(tmp_path, X, y)
    jobs = ["[defaults]", 'task = "ridge"', 'mode = "fit"', "lam = 2.0", "tol = 1e-12", ""]
    for name, (path, targets) in files.items():
        jobs += ["[[job]]", f'name = "{name.replace(".", "-")}"', f'data = "{path}"']
        if targets is not None:
            jobs.append(f'targets = "{targets}"')
        jobs.append("")
    job_file = tmp_path / "jobs.toml"
    job_file.write_text("\n".join(jobs))
    out = tmp_path / "results"
    proc = _run("batch", job_file, "--out", out, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert len(summary) == len(files)
    expected = fastridge.ridge(X.toarray(), y, 2.0, tol=1e-12)
    for name in files:
        arrays, _ = _load(out / f"{name.replace('.', '-')}.npz")
        coef = arrays["coef"]
        np.testing.assert_allclose(
            coef, expected.coef[: coef.shape[-1]], rtol=1e-9, atol=1e-12, err_msg=name
        )
    folder = tmp_path / "conv.csr"
    proc = _run("convert", files["svm.gz"][0], folder, "-q")
    assert proc.returncode == 0 and folder.is_dir(), proc.stderr
    cv_out = tmp_path / "cv.npz"
    proc = _run("cv", folder, "--folds", "3", "--n-lams", "5", "--out", cv_out, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["mode"] == "cv"
    pred = tmp_path / "pred.npy"
    proc = _run("predict", cv_out, files["svm"][0], "--out", pred, "-q")
    assert proc.returncode == 0, proc.stderr
    assert np.load(pred).shape == (X.shape[0],)
    proc = _run("info", "--json")
    assert proc.returncode == 0 and "fastridge" in json.loads(proc.stdout)


@pytest.mark.skipif(
    not (SHARED_DATA / "we8there.ratings.csv.gz").exists(), reason="../shared/data absent"
)
def test_subprocess_shared_we8there_two_targets_from_gzipped_csv(tmp_path):
    """Multi-target ridge on shared data: X from svmlight, targets from a gzipped CSV."""
    out = tmp_path / "we.npz"
    proc = _run(
        "fit",
        SHARED_DATA / "we8there.overall.svm.gz",
        "--targets",
        f"{SHARED_DATA / 'we8there.ratings.csv.gz'}:Food,Service",
        "--lam",
        "10",
        "--out",
        out,
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    arrays, meta = _load(out)
    assert arrays["coef"].shape[0] == 2 and meta["converged"]
