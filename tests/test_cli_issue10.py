"""Issue 10, command line and file formats: each item reproduced, then checked fixed.

Items: a tampered or inconsistent CSR folder, a labels-only svmlight file, an edited
batch summary, ``--zero-based`` and the stored svmlight reading, error messages
(truncated result, unwritable ``--out``, full disk, BOM, ``--json`` errors), the
default ``lam = 1`` and real-valued labels with ``--task logistic``.
"""

from __future__ import annotations

import errno
import json
import os

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file

from fastridge.cli import main
from fastridge.io import InputError, read_matrix, write_csr_folder


def _error_line(err, cmd):
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith(f"fastridge {cmd}: error: "), err
    return lines[0]


def _problem(seed=0, n=60, p=8):
    """A small sparse regression problem (seeded)."""
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.5, random_state=seed, format="csr")
    y = X @ rng.standard_normal(p) + 0.1 * rng.standard_normal(n)
    return X, y


@pytest.fixture
def svm(tmp_path):
    X, y = _problem()
    path = tmp_path / "train.svm"
    dump_svmlight_file(X, y, str(path), zero_based=False)
    return path


# ------------------------------------------------------------ 1. CSR folder checks


@pytest.fixture
def folder(tmp_path):
    X, y = _problem()
    path = tmp_path / "X.csr"
    write_csr_folder(X, path, y=y)
    return path


def _rewrite_npy(path, array):
    """Replace a folder's array file without updating the header (as an edit would)."""
    os.chmod(path, 0o644)
    np.save(path, array)


def test_folder_with_edited_data_is_refused_by_fit(folder, capsys):
    data = np.load(folder / "data.npy")
    data[3] *= 2.0  # same length and type: only the checksum can tell
    _rewrite_npy(folder / "data.npy", data)
    assert main(["fit", str(folder), "-q"]) == 1
    line = _error_line(capsys.readouterr().err, "fit")
    assert "data.npy" in line and "checksum" in line
    # --no-verify skips the checksum (the file is still a consistent CSR folder)
    assert main(["fit", str(folder), "-q", "--no-verify"]) == 0


def test_folder_whose_header_shape_disagrees_with_indices_is_refused(folder, capsys):
    header_path = folder / "header.json"
    header = json.loads(header_path.read_text())
    header["shape"][1] = 3  # indices go up to 7
    header_path.write_text(json.dumps(header))
    with pytest.raises(InputError, match=r"indices.npy.*column index 7.*shape.*3 columns"):
        read_matrix(folder)
    assert main(["fit", str(folder), "-q", "--no-verify"]) == 1
    assert "indices.npy" in _error_line(capsys.readouterr().err, "fit")


def test_folder_with_decreasing_indptr_is_refused(folder):
    indptr = np.load(folder / "indptr.npy")
    indptr[5], indptr[6] = indptr[6], indptr[5] - 1
    _rewrite_npy(folder / "indptr.npy", indptr)
    with pytest.raises(InputError, match=r"indptr.npy.*decreas"):
        read_matrix(folder)


def test_batch_refuses_an_edited_folder(folder, tmp_path, capsys):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[job]]\nname = "a"\ndata = "X.csr"\nlam = 1.0\n')
    data = np.load(folder / "data.npy")
    data[0] += 1.0
    _rewrite_npy(folder / "data.npy", data)
    assert main(["batch", str(jobs), "--out", str(tmp_path / "out"), "-q"]) == 1
    assert "checksum" in capsys.readouterr().err
    assert not (tmp_path / "out" / "a.npz").exists()


# ------------------------------------------------------------ 2. labels only


def test_labels_only_svmlight_is_refused(tmp_path, capsys):
    path = tmp_path / "labels.svm"
    path.write_text("1\n-1\n1\n")
    with pytest.raises(InputError, match=r"labels.svm: no features"):
        read_matrix(path)
    assert main(["fit", str(path), "-q"]) == 1
    assert "labels.svm" in _error_line(capsys.readouterr().err, "fit")


# ------------------------------------------------------------ 3. batch summary checksum


def test_batch_reruns_a_fit_whose_summary_was_edited(svm, tmp_path, capsys):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[job]]\nname = "a"\ndata = "train.svm"\nlam = 1.0\n')
    argv = ["batch", str(jobs), "--out", str(tmp_path / "out"), "--json", "--threads", "1"]
    assert main(argv) == 0
    capsys.readouterr()
    summary = tmp_path / "out" / "a.json"
    rec = json.loads(summary.read_text())
    rec["solver"] = "forged"
    summary.write_text(json.dumps(rec, indent=2))
    assert main(argv) == 0
    (record,) = json.loads(capsys.readouterr().out)
    assert record["status"] == "done" and record["solver"] != "forged"
    assert json.loads(summary.read_text())["solver"] != "forged"
    # untouched, it is skipped
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)[0]["status"] == "skipped"


# ------------------------------------------------------------ 4. --zero-based


@pytest.fixture
def stray_zero(tmp_path):
    """A one-based training file with one stray ``0:`` entry, and a clean test file."""
    X, y = _problem(seed=1, n=200, p=10)
    Xt, _ = _problem(seed=2, n=50, p=10)
    train, test = tmp_path / "stray.svm", tmp_path / "test.svm"
    dump_svmlight_file(X, y, str(train), zero_based=False)
    dump_svmlight_file(Xt, np.zeros(50), str(test), zero_based=False)
    lines = train.read_text().splitlines()
    lines[7] = lines[7].split(" ", 1)[0] + " 0:0.5 " + lines[7].split(" ", 1)[1]
    train.write_text("\n".join(lines) + "\n")
    return {"train": train, "test": test, "Xt": Xt}


def test_auto_warns_about_a_lone_zero_index_naming_the_file(stray_zero, capsys):
    assert main(["fit", str(stray_zero["train"]), "--json"]) == 0
    captured = capsys.readouterr()
    warnings = [ln for ln in captured.err.splitlines() if "warning" in ln]
    assert len(warnings) == 1 and "stray.svm" in warnings[0] and "zero-based" in warnings[0]
    meta = json.loads(captured.out)
    assert meta["data_reading"] == {"format": "svmlight", "zero_based": True, "n_features": 11}


def test_predict_uses_the_stored_reading(stray_zero, tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert main(["fit", str(stray_zero["train"]), "--out", str(model), "-q"]) == 0
    pred = tmp_path / "pred.npy"
    assert main(["predict", str(model), str(stray_zero["test"]), "--out", str(pred), "-q"]) == 0
    with np.load(model) as z:
        coef, b = z["coef"], float(z["intercept"])
    # the model was read zero-based (column j = index j), so the clean one-based test
    # file must be read zero-based too: index j of the test file is model column j
    Xt = stray_zero["Xt"].toarray()
    expected = Xt @ coef[1:] + b
    np.testing.assert_allclose(np.load(pred), expected, rtol=1e-12, atol=1e-12)


def test_zero_based_no_reads_one_based_and_refuses_index_zero(stray_zero, svm, capsys):
    assert main(["fit", str(stray_zero["train"]), "--zero-based", "no", "-q"]) == 1
    assert "stray.svm:8" in _error_line(capsys.readouterr().err, "fit")
    assert main(["fit", str(svm), "--zero-based", "no", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["data_reading"]["zero_based"] is False


def test_zero_based_yes_keeps_indices(svm, capsys):
    assert main(["fit", str(svm), "--zero-based", "yes", "--json"]) == 0
    reading = json.loads(capsys.readouterr().out)["data_reading"]
    assert reading == {"format": "svmlight", "zero_based": True, "n_features": 9}


def test_zero_based_option_on_every_reading_command(capsys):
    for cmd in ("fit", "path", "cv", "predict", "convert"):
        with pytest.raises(SystemExit):
            main([cmd, "--help"])
        assert "--zero-based {auto,yes,no}" in capsys.readouterr().out


# ------------------------------------------------------------ 5. messages


def test_truncated_result_file_names_the_file(svm, tmp_path, capsys):
    model = tmp_path / "m.npz"
    assert main(["fit", str(svm), "--out", str(model), "-q"]) == 0
    model.write_bytes(model.read_bytes()[:100])
    assert main(["predict", str(model), str(svm)]) == 1
    line = _error_line(capsys.readouterr().err, "predict")
    assert "m.npz" in line and "BadZipFile" not in line


def test_out_in_a_missing_folder_names_the_target(svm, tmp_path, capsys):
    target = tmp_path / "nodir" / "m.npz"
    assert main(["fit", str(svm), "--out", str(target), "-q"]) == 1
    line = _error_line(capsys.readouterr().err, "fit")
    assert str(target) in line and ".tmp-" not in line


def test_full_disk_names_the_target(svm, tmp_path, capsys, monkeypatch):
    import fastridge._cli.results as results

    def full(fh, **arrays):
        raise OSError(errno.ENOSPC)  # as bare as it gets: the message must still say what

    monkeypatch.setattr(np, "savez", full)
    target = tmp_path / "m.npz"
    assert main(["fit", str(svm), "--out", str(target), "-q"]) == 1
    line = _error_line(capsys.readouterr().err, "fit")
    assert str(target) in line and "No space left on device" in line
    assert not any(results.TEMP_MARKER in p.name for p in tmp_path.iterdir())


def test_bom_in_a_label_is_shown(tmp_path, capsys):
    path = tmp_path / "bom.svm"
    path.write_bytes("\ufeff1 1:1 2:1\n-1 3:1\n".encode())
    assert main(["fit", str(path), "-q"]) == 1
    line = _error_line(capsys.readouterr().err, "fit")
    assert "bom.svm:1" in line and "\\ufeff1" in line


def test_json_error_object_on_stdout(tmp_path, capsys):
    missing = tmp_path / "absent.svm"
    assert main(["fit", str(missing), "--json"]) == 1
    captured = capsys.readouterr()
    obj = json.loads(captured.out)
    assert obj["file"] == str(missing) and "absent.svm" in obj["error"]
    assert obj["type"] and obj["command"] == "fit" and obj["exit_status"] == 1
    # a usage error too (exit 2)
    with pytest.raises(SystemExit) as info:
        main(["fit", str(missing), "--json", "--tol", "-1"])
    assert info.value.code == 2
    obj = json.loads(capsys.readouterr().out)
    assert "--tol" in obj["error"] and obj["type"] == "usage" and obj["exit_status"] == 2


# ------------------------------------------------------------ 6. default lam


def test_fit_without_lam_uses_one_and_says_so(svm, tmp_path, capsys):
    out = tmp_path / "m.npz"
    assert main(["fit", str(svm), "--json", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["lam"] == 1.0
    notes = [ln for ln in captured.err.splitlines() if "note" in ln]
    assert len(notes) == 1 and "lam = 1" in notes[0] and "default" in notes[0]
    with np.load(out) as z:
        assert float(z["lam"]) == 1.0
    assert main(["fit", str(svm), "-q"]) == 0
    assert capsys.readouterr().err == ""


def test_batch_fit_job_without_lam_uses_one(svm, tmp_path, capsys):
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[job]]\nname = "a"\ndata = "train.svm"\n')
    assert main(["batch", str(jobs), "--out", str(tmp_path / "out"), "-q"]) == 0
    with np.load(tmp_path / "out" / "a.npz") as z:
        assert float(z["lam"]) == 1.0


# ------------------------------------------------------------ 7. logistic on real labels


def test_logistic_on_real_valued_labels_is_refused(svm, tmp_path, capsys):
    assert main(["fit", str(svm), "--task", "logistic", "-q"]) == 1
    line = _error_line(capsys.readouterr().err, "fit")
    assert "train.svm" in line and "continuous" in line
    jobs = tmp_path / "jobs.toml"
    jobs.write_text('[[job]]\nname = "a"\ndata = "train.svm"\ntask = "logistic"\nlam = 1.0\n')
    assert main(["batch", str(jobs), "--out", str(tmp_path / "out"), "-q"]) == 1
    assert "continuous" in capsys.readouterr().err
    assert not (tmp_path / "out" / "a.npz").exists()


def test_unwritable_out_names_the_target_not_the_temp_file(svm, tmp_path, capsys, monkeypatch):
    import tempfile

    def refused(*args, dir=None, prefix="", **kwargs):
        name = os.path.join(dir, f"{prefix}abc123")
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", refused)
    target = tmp_path / "m.npz"
    assert main(["fit", str(svm), "--out", str(target), "-q"]) == 1
    line = _error_line(capsys.readouterr().err, "fit")
    assert str(target) in line and "Permission denied" in line and "abc123" not in line


def test_convert_on_a_full_disk_names_the_folder(svm, tmp_path, capsys, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC)  # no strerror: the message must still say what

    monkeypatch.setattr(np, "save", full)
    target = tmp_path / "X.csr"
    assert main(["convert", str(svm), str(target)]) == 1
    line = _error_line(capsys.readouterr().err, "convert")
    assert str(target) in line and "No space left on device" in line and ".tmp-" not in line
    assert not target.exists()


def test_library_reading_and_warning(stray_zero, svm):
    from fastridge.io import ZeroBasedWarning, read_matrix_reading

    with pytest.warns(ZeroBasedWarning, match=r"stray.svm: read zero-based .* 1 of 200 lines"):
        X, _, reading = read_matrix_reading(stray_zero["train"])
    assert reading == {"format": "svmlight", "zero_based": True, "n_features": 11}
    assert X.shape == (200, 11) and X[7, 0] == 0.5
    # a clean one-based file: no warning, read one-based (scikit-learn's "auto" too)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X1, _, reading = read_matrix_reading(svm)
    assert reading["zero_based"] is False and X1.shape[1] == 8
    X2, _ = read_matrix(svm, zero_based="yes", n_features=12)
    np.testing.assert_array_equal(X2[:, 1:9].toarray(), X1.toarray())
    with pytest.raises(InputError, match=r"train.svm:\d+: feature index 8 is beyond n_features=7"):
        read_matrix(svm, n_features=7)
