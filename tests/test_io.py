"""Tests of fastridge.io: every format round-trips, bad inputs give InputError."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import mmap
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file

from fastridge.io import (
    InputError,
    convert,
    detect_format,
    file_checksum,
    read_csr_folder,
    read_matrix,
    read_targets,
    write_csr_folder,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _matrix(seed=0, n=30, p=9, density=0.3, dtype=np.float64, index_dtype=np.int32):
    """A CSR matrix with short decimal values (exact through svmlight text)."""
    X = sp.random(n, p, density=density, random_state=seed, format="csr", dtype=np.float64)
    X.data = np.round(X.data * 10 - 5, 3).astype(dtype)
    X.data[X.data == 0] = 1.5
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    # first and last columns non-empty, so widths and 0/1-based detection are unambiguous
    X = X.tolil()
    X[0, 0] = 2.25
    X[1, p - 1] = -0.5
    X = X.tocsr()
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    return X


def _labels(n=30, seed=1):
    return np.round(np.random.default_rng(seed).normal(size=n), 4)


def assert_same_csr(A, B):
    assert sp.issparse(A) and A.format == "csr"
    assert A.shape == B.shape
    B = B.tocsr()
    np.testing.assert_array_equal(A.indptr, B.indptr)
    np.testing.assert_array_equal(A.indices, B.indices)
    np.testing.assert_array_equal(A.data, B.data)
    assert A.data.dtype == B.data.dtype


def _compress(path: Path, suffix: str) -> Path:
    if suffix == "":
        return path
    out = path.with_name(path.name + suffix)
    opener = gzip.open if suffix == ".gz" else bz2.open
    with open(path, "rb") as f, opener(out, "wb") as g:
        g.write(f.read())
    path.unlink()
    return out


def _is_memmap_backed(a) -> bool:
    """Whether ``a`` views memory mapped from a file (its base chain reaches an mmap)."""
    while a is not None:
        if isinstance(a, mmap.mmap):
            return True
        a = getattr(a, "base", None)
    return False


def _raises(match_parts, func, *args, **kwargs) -> str:
    with pytest.raises(InputError) as info:
        func(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    for part in match_parts:
        assert part in message, (part, message)
    return message


# ----------------------------------------------------------------- detection
@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.svm", "svmlight"),
        ("a.SVM.GZ", "svmlight"),
        ("a.libsvm.bz2", "svmlight"),
        ("a.svmlight", "svmlight"),
        ("a.txt.gz", "svmlight"),
        ("a.npz", "npz"),
        ("a.mtx", "mtx"),
        ("a.mtx.gz", "mtx"),
        ("a.npy", "npy"),
    ],
)
def test_detect_format(name, fmt):
    assert detect_format(name) == fmt


def test_detect_format_folder_and_unknown(tmp_path):
    assert detect_format(tmp_path) == "csr-folder"
    _raises(["b.parquet", "unknown file extension", ".svm"], detect_format, "b.parquet")


# --------------------------------------------------------------- round trips
@pytest.mark.parametrize("compression", ["", ".gz", ".bz2"])
@pytest.mark.parametrize("zero_based", [True, False])
def test_svmlight_round_trip(tmp_path, compression, zero_based):
    X, y = _matrix(), _labels()
    path = tmp_path / "a.svm"
    dump_svmlight_file(X, y, str(path), zero_based=zero_based)
    path = _compress(path, compression)
    X2, y2 = read_matrix(path)
    assert_same_csr(X2, X.astype(np.float64))
    np.testing.assert_array_equal(y2, y)
    assert y2.dtype == np.float64


def test_svmlight_options(tmp_path):
    X, y = _matrix(), _labels()
    path = tmp_path / "a.t"  # a name without a known extension, like a9a.t
    dump_svmlight_file(X[:, :5], y, str(path), zero_based=False)
    _raises(["a.t", "unknown file extension"], read_matrix, path)
    X2, _ = read_matrix(path, format="svmlight", n_features=9, zero_based=False)
    assert X2.shape == (30, 9)
    assert_same_csr(X2, sp.hstack([X[:, :5], sp.csr_matrix((30, 4))]).tocsr())
    X32, _ = read_matrix(path, format="svmlight", dtype="float32")
    assert X32.dtype == np.float32
    np.testing.assert_array_equal(X32.data, X[:, :5].tocsr().data.astype(np.float32))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_npz_round_trip(tmp_path, fmt):
    X = _matrix().asformat(fmt)
    sp.save_npz(tmp_path / "a.npz", X)
    X2, y2 = read_matrix(tmp_path / "a.npz")
    assert y2 is None
    assert X2.format == fmt
    assert_same_csr(X2.tocsr(), X.tocsr())


def test_npz_coo_becomes_csr(tmp_path):
    X = _matrix()
    sp.save_npz(tmp_path / "a.npz", X.tocoo())
    X2, _ = read_matrix(tmp_path / "a.npz")
    assert_same_csr(X2, X)


@pytest.mark.parametrize("compression", ["", ".gz"])
def test_mtx_round_trip(tmp_path, compression):
    X = _matrix()
    scipy.io.mmwrite(tmp_path / "a.mtx", X, precision=17)
    path = _compress(tmp_path / "a.mtx", compression)
    X2, y2 = read_matrix(path)
    assert y2 is None
    assert_same_csr(X2, X)


def test_npy_round_trip_memory_mapped(tmp_path):
    A = _matrix().toarray()
    np.save(tmp_path / "a.npy", A)
    A2, y2 = read_matrix(tmp_path / "a.npy")
    assert y2 is None
    assert isinstance(A2, np.memmap) and not A2.flags.writeable
    np.testing.assert_array_equal(A2, A)
    A32, _ = read_matrix(tmp_path / "a.npy", dtype="float32")
    assert A32.dtype == np.float32
    np.testing.assert_array_equal(A32, A.astype(np.float32))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_csr_folder_round_trip_without_copy(tmp_path, dtype, index_dtype):
    X, y = _matrix(dtype=dtype, index_dtype=index_dtype), _labels()
    folder = tmp_path / "x.csr"
    header = write_csr_folder(X, folder, y=y)
    assert header["shape"] == [30, 9] and header["nnz"] == X.nnz and header["has_y"]
    assert header["dtype"] == np.dtype(dtype).name
    assert header["index_dtype"] == np.dtype(index_dtype).name
    assert json.loads((folder / "header.json").read_text()) == header
    assert sorted(os.listdir(folder)) == sorted(
        ["data.npy", "indices.npy", "indptr.npy", "y.npy", "header.json"]
    )
    for name, digest in header["sha256"].items():
        assert digest == hashlib.sha256((folder / name).read_bytes()).hexdigest()

    X2, y2 = read_csr_folder(folder, verify=True)
    assert_same_csr(X2, X)
    assert X2.indices.dtype == index_dtype and X2.indptr.dtype == index_dtype
    np.testing.assert_array_equal(y2, y)
    for arr in (X2.data, X2.indices, X2.indptr):
        assert _is_memmap_backed(arr)
        assert not arr.flags.writeable
    X3, y3 = read_matrix(folder)
    assert _is_memmap_backed(X3.data) and _is_memmap_backed(X3.indices)
    np.testing.assert_array_equal(y3, y)


def test_csr_folder_dtype_converts_values_only(tmp_path):
    X = _matrix()
    write_csr_folder(X, tmp_path / "x")
    X2, y2 = read_matrix(tmp_path / "x", dtype="float32")
    assert y2 is None
    assert X2.dtype == np.float32 and not _is_memmap_backed(X2.data)
    assert _is_memmap_backed(X2.indices) and _is_memmap_backed(X2.indptr)
    np.testing.assert_array_equal(X2.data, X.data.astype(np.float32))


def test_csr_folder_multi_target_y(tmp_path):
    X = _matrix()
    Y = np.arange(60, dtype=np.float64).reshape(30, 2)
    write_csr_folder(X.tocsc(), tmp_path / "x", y=Y)  # CSC input is stored as CSR
    X2, Y2 = read_csr_folder(tmp_path / "x")
    assert_same_csr(X2, X)
    np.testing.assert_array_equal(Y2, Y)


def test_convert_svmlight_and_targets(tmp_path):
    X, y = _matrix(), _labels()
    dump_svmlight_file(X, y, str(tmp_path / "a.svm"))
    header = convert(tmp_path / "a.svm", tmp_path / "a.csr")
    assert header["index_dtype"] == "int32"  # scikit-learn reads int64: narrowed
    X2, y2 = read_matrix(tmp_path / "a.csr")
    assert_same_csr(X2, X)
    np.testing.assert_array_equal(y2, y)

    (tmp_path / "t.csv").write_text("a,b\n" + "".join(f"{i},{2 * i}\n" for i in range(30)))
    header = convert(
        tmp_path / "a.csr", tmp_path / "b.csr", targets=f"{tmp_path}/t.csv:b", dtype="float32"
    )
    assert header["dtype"] == "float32"
    X3, y3 = read_matrix(tmp_path / "b.csr")
    np.testing.assert_array_equal(X3.data, X.data.astype(np.float32))
    np.testing.assert_array_equal(y3, 2.0 * np.arange(30))


def test_convert_npz_csc_without_labels(tmp_path):
    X = _matrix()
    sp.save_npz(tmp_path / "a.npz", X.tocsc())
    header = convert(tmp_path / "a.npz", tmp_path / "a.csr")
    assert not header["has_y"]
    X2, y2 = read_matrix(tmp_path / "a.csr")
    assert y2 is None
    assert_same_csr(X2, X)


# ------------------------------------------------------------- atomic writes
def _siblings(tmp_path):
    return sorted(os.listdir(tmp_path))


def test_write_refuses_existing_target_without_overwrite(tmp_path):
    write_csr_folder(_matrix(seed=0), tmp_path / "x")
    before = file_checksum(tmp_path / "x")
    _raises(["x", "already exists"], write_csr_folder, _matrix(seed=1), tmp_path / "x")
    assert file_checksum(tmp_path / "x") == before
    assert _siblings(tmp_path) == ["x"]


def test_write_overwrite_replaces(tmp_path):
    write_csr_folder(_matrix(seed=0), tmp_path / "x", y=_labels())
    X1 = _matrix(seed=1)
    header = write_csr_folder(X1, tmp_path / "x", overwrite=True)
    assert not header["has_y"]
    assert not (tmp_path / "x" / "y.npy").exists()
    X2, y2 = read_csr_folder(tmp_path / "x", verify=True)
    assert_same_csr(X2, X1)
    assert y2 is None
    assert _siblings(tmp_path) == ["x"]  # no temporary or old folder left


def test_write_overwrite_refuses_foreign_folder(tmp_path):
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "notes.txt").write_text("keep me")
    _raises(
        ["home", "not a fastridge CSR folder"],
        write_csr_folder,
        _matrix(),
        tmp_path / "home",
        overwrite=True,
    )
    assert (tmp_path / "home" / "notes.txt").read_text() == "keep me"
    assert _siblings(tmp_path) == ["home"]


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from fastridge._io import _folder_write as _folder

    real_save = _folder._save
    calls = []

    def failing_save(folder, name, array):
        calls.append(name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real_save(folder, name, array)

    monkeypatch.setattr(_folder, "_save", failing_save)
    _raises(["No space left"], write_csr_folder, _matrix(), tmp_path / "x")
    assert _siblings(tmp_path) == []


def test_write_rejects_nan_and_mismatched_y(tmp_path):
    X = _matrix()
    X.data[5] = np.nan
    row = int(np.searchsorted(X.indptr, 5, side="right")) - 1
    _raises(["x", "NaN", f"row {row}"], write_csr_folder, X, tmp_path / "x")
    _raises(["x", "29", "30"], write_csr_folder, _matrix(), tmp_path / "x", y=np.zeros(29))
    _raises(["missing", "does not exist"], write_csr_folder, _matrix(), tmp_path / "missing/x")
    assert _siblings(tmp_path) == []


# ------------------------------------------------------ folder verification
@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "x.csr"
    write_csr_folder(_matrix(), path, y=_labels())
    return path


def test_verify_detects_modified_file(folder):
    raw = bytearray((folder / "data.npy").read_bytes())
    raw[-1] ^= 1  # flip one bit of the last value
    (folder / "data.npy").write_bytes(bytes(raw))
    read_csr_folder(folder)  # without verify the change goes unnoticed
    _raises(
        [os.path.join(str(folder), "data.npy"), "checksum"], read_csr_folder, folder, verify=True
    )


def test_folder_missing_pieces(folder):
    (folder / "y.npy").unlink()
    _raises(["y.npy", "missing"], read_csr_folder, folder)
    (folder / "header.json").unlink()
    _raises(["header.json", "missing"], read_csr_folder, folder)
    _raises(["nothere", "no such file"], read_csr_folder, folder.parent / "nothere")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": "other"}, "'format'"),
        ({"version": 2}, "'version'"),
        ({"shape": [30]}, "'shape'"),
        ({"dtype": "int8"}, "'dtype'"),
        ({"nnz": 3}, "data.npy"),
        ({"shape": [31, 9]}, "indptr.npy"),
        ({"index_dtype": "int64"}, "indices.npy"),
    ],
)
def test_folder_header_checked(folder, change, field):
    header = json.loads((folder / "header.json").read_text())
    header.update(change)
    (folder / "header.json").write_text(json.dumps(header))
    _raises([field], read_csr_folder, folder)


def test_folder_header_not_json(folder):
    (folder / "header.json").write_text('{\n  "format": \n')
    _raises(["header.json:3", "invalid JSON"], read_csr_folder, folder)


# ------------------------------------------------------------- bad inputs
@pytest.mark.parametrize(
    ("lines", "line", "words"),
    [
        ("1 1:2\n1 x:1\n", 2, "malformed feature 'x:1' (expected index:value)"),
        ("1 1:2\n# note\n\nabc 1:1\n", 4, "label 'abc' is not a number"),
        ("1 1:2\n1 3:2 2:1\n", 2, "must increase"),
        ("1 1:2\n1 2:1 2:1\n", 2, "must increase"),
        ("1 1:2\n1 -1:2\n", 2, "feature index -1"),
        ("1 1:2\n1 1:\n", 2, "malformed feature '1:'"),
        ("1 1:2\n1 1 : 2\n", 2, "malformed feature '1'"),
        ("1 1:2 3:1:5\n", 1, "malformed feature '3:1:5'"),
    ],
)
@pytest.mark.parametrize("compression", ["", ".gz"])
def test_malformed_svmlight_line(tmp_path, lines, line, words, compression):
    path = tmp_path / "a.svm"
    path.write_text(lines)
    path = _compress(path, compression)
    message = _raises([f"{path.name}:{line}: ", words], read_matrix, path)
    assert message.startswith(f"{path}:{line}: ")


def test_svmlight_too_many_features(tmp_path):
    (tmp_path / "a.svm").write_text("1 1:2\n1 2:1\n1 9:1\n")
    _raises(["a.svm:3:", "n_features=5"], read_matrix, tmp_path / "a.svm", n_features=5)


def test_svmlight_zero_index_when_one_based(tmp_path):
    (tmp_path / "a.svm").write_text("1 1:2\n1 0:1\n")
    _raises(["a.svm:2:", "1-based"], read_matrix, tmp_path / "a.svm", zero_based=False)


def test_svmlight_nan(tmp_path):
    (tmp_path / "a.svm").write_text("# header\n1 1:2\n\n1 2:nan\n")
    _raises(["a.svm:4:", "NaN in X (row 1, column 1)"], read_matrix, tmp_path / "a.svm")
    (tmp_path / "b.svm").write_text("1 1:2\ninf 2:1\n")
    _raises(["b.svm:2:", "label is inf (row 1)"], read_matrix, tmp_path / "b.svm")


def test_svmlight_empty_and_bad_gzip(tmp_path):
    (tmp_path / "a.svm").write_text("# only a comment\n")
    _raises(["a.svm", "no data lines"], read_matrix, tmp_path / "a.svm")
    (tmp_path / "b.svm.gz").write_bytes(b"not gzip at all")
    _raises(["b.svm.gz", "gzip"], read_matrix, tmp_path / "b.svm.gz")
    data = gzip.compress(b"1 1:2\n" * 1000)
    (tmp_path / "c.svm.gz").write_bytes(data[: len(data) // 2])
    _raises(["c.svm.gz"], read_matrix, tmp_path / "c.svm.gz")


def test_missing_file_and_unknown_extension(tmp_path):
    _raises(["nope.svm", "no such file"], read_matrix, tmp_path / "nope.svm")
    (tmp_path / "a.parquet").write_text("x")
    _raises(["a.parquet", "unknown file extension"], read_matrix, tmp_path / "a.parquet")
    _raises(["dtype", "float16"], read_matrix, tmp_path / "a.parquet", dtype="float16")


def test_npz_nan_and_foreign(tmp_path):
    X = _matrix()
    X.data[7] = np.inf
    row = int(np.searchsorted(X.indptr, 7, side="right")) - 1
    sp.save_npz(tmp_path / "a.npz", X)
    _raises(
        ["a.npz", f"inf in X (row {row}, column {X.indices[7]})"], read_matrix, tmp_path / "a.npz"
    )
    np.savez(tmp_path / "b.npz", a=np.zeros(3))
    _raises(["b.npz", "not a scipy.sparse .npz"], read_matrix, tmp_path / "b.npz")
    (tmp_path / "c.npz").write_bytes(b"garbage")
    _raises(["c.npz"], read_matrix, tmp_path / "c.npz")


def test_npy_nan_and_shape(tmp_path):
    A = np.ones((5, 4))
    A[3, 2] = np.nan
    np.save(tmp_path / "a.npy", A)
    _raises(["a.npy", "NaN in X (row 3, column 2)"], read_matrix, tmp_path / "a.npy")
    np.save(tmp_path / "f.npy", np.asfortranarray(A))
    _raises(["f.npy", "NaN in X (row 3, column 2)"], read_matrix, tmp_path / "f.npy")
    np.save(tmp_path / "b.npy", np.ones(5))
    _raises(["b.npy", "expected 2-D"], read_matrix, tmp_path / "b.npy")
    np.save(tmp_path / "c.npy", np.array(["x"], dtype=object), allow_pickle=True)
    _raises(["c.npy"], read_matrix, tmp_path / "c.npy")


def test_mtx_malformed_line(tmp_path):
    (tmp_path / "a.mtx").write_text(
        "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 2.0\n2 x 1.0\n"
    )
    _raises(["a.mtx:4:"], read_matrix, tmp_path / "a.mtx")
    (tmp_path / "b.mtx").write_text("hello\n")
    _raises(["b.mtx:1:"], read_matrix, tmp_path / "b.mtx")


# ----------------------------------------------------------------- targets
def test_read_targets_labels_and_npy(tmp_path):
    y = _labels()
    np.testing.assert_array_equal(read_targets(None, 30, labels=y), y)
    _raises(["targets", "no labels"], read_targets, None, 30)
    np.save(tmp_path / "y.npy", y)
    np.testing.assert_array_equal(read_targets(str(tmp_path / "y.npy"), 30), y)
    _raises(["y.npy", "30 target rows", "X has 31 rows"], read_targets, tmp_path / "y.npy", 31)
    Y = np.ones((30, 3))
    Y[4, 1] = np.nan
    np.save(tmp_path / "Y.npy", Y)
    _raises(["Y.npy", "row 4, column 1"], read_targets, tmp_path / "Y.npy", 30)


@pytest.fixture
def ratings(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('doc,food,"service"\na,1,5\nb,2.5,4\n\nc,3,3e0\n')
    return path


def test_read_targets_csv(ratings):
    np.testing.assert_array_equal(read_targets(f"{ratings}:food", 3), [1.0, 2.5, 3.0])
    Y = read_targets(f"{ratings}:service,food", 3)
    assert Y.shape == (3, 2) and Y.dtype == np.float64
    np.testing.assert_array_equal(Y, [[5, 1], [4, 2.5], [3, 3]])
    _raises(
        ["r.csv", "3 target rows", "X has 4 rows"],
        read_targets,
        f"{ratings}:food",
        4,
    )
    _raises(
        ["r.csv", "column 'price' not found (columns: doc, food, service)"],
        read_targets,
        f"{ratings}:price",
        3,
    )
    _raises(["r.csv:2:", "column 'doc'", "'a' is not a number"], read_targets, f"{ratings}:doc", 3)
    _raises(["r.csv", "name the target column"], read_targets, str(ratings), 3)


def test_read_targets_csv_bad_values(tmp_path):
    (tmp_path / "y.csv").write_text("y\n1\n2\nnan\n")
    _raises(["y.csv:4:", "value is nan"], read_targets, str(tmp_path / "y.csv"), 3)
    (tmp_path / "z.csv").write_text("a,y\n1,2\n3\n")
    _raises(["z.csv:3:", "1 fields"], read_targets, f"{tmp_path}/z.csv:y", 2)
    (tmp_path / "e.csv").write_text("")
    _raises(["e.csv", "header row"], read_targets, f"{tmp_path}/e.csv:y", 2)
    _raises(["q.csv", "no such file"], read_targets, f"{tmp_path}/q.csv:y", 2)
    _raises(["y.parquet", "expected FILE.npy"], read_targets, "y.parquet", 2)


# --------------------------------------------------------------- checksums
def test_file_checksum(tmp_path, folder):
    (tmp_path / "f.bin").write_bytes(b"abc" * 500_000)  # more than one 1 MiB block
    expected = hashlib.sha256(b"abc" * 500_000).hexdigest()
    assert file_checksum(tmp_path / "f.bin") == expected

    digest = file_checksum(folder)
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    assert file_checksum(copy) == digest  # contents and names, not the location
    (copy / "y.npy").rename(copy / "z.npy")
    assert file_checksum(copy) != digest
    (copy / "z.npy").rename(copy / "y.npy")
    raw = bytearray((copy / "indptr.npy").read_bytes())
    raw[-1] ^= 1
    (copy / "indptr.npy").write_bytes(bytes(raw))
    assert file_checksum(copy) != digest
    _raises(["nothing", "no such file"], file_checksum, tmp_path / "nothing")


# --------------------------------------------------------------- real data
@pytest.mark.skipif(
    not (SHARED_DATA / "a9a.svm.gz").exists(), reason="../shared/data/a9a.svm.gz absent"
)
def test_real_a9a(tmp_path):
    # shapes and nnz from ../shared/data/README.md
    X, y = read_matrix(SHARED_DATA / "a9a.svm.gz", n_features=123)
    assert X.shape == (32_561, 123) and X.nnz == 451_592
    assert set(np.unique(y)) == {-1.0, 1.0} and int((y == 1).sum()) == 7_841
    Xt, _ = read_matrix(SHARED_DATA / "a9a.t.svm.gz", n_features=123)
    assert Xt.shape == (16_281, 123) and Xt.nnz == 225_731
    convert(SHARED_DATA / "a9a.svm.gz", tmp_path / "a9a", n_features=123)
    X2, y2 = read_csr_folder(tmp_path / "a9a", verify=True)
    assert_same_csr(X2, X)
    np.testing.assert_array_equal(y2, y)


@pytest.mark.skipif(
    not (SHARED_DATA / "we8there.overall.svm.gz").exists(), reason="we8there data absent"
)
def test_real_we8there():
    X, y = read_matrix(SHARED_DATA / "we8there.overall.svm.gz", n_features=2_640)
    assert X.shape == (6_166, 2_640) and X.nnz == 66_459
    assert y.min() >= 1 and y.max() <= 5


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv.bz2"])
def test_read_targets_compressed_csv(tmp_path, suffix):
    """``f.csv.gz:col`` / ``f.csv.bz2:col`` are decompressed like svmlight files."""
    import bz2
    import gzip

    opener = gzip.open if suffix.endswith(".gz") else bz2.open
    path = tmp_path / f"y{suffix}"
    with opener(path, "wt") as f:
        f.write("id,a,b\n1,0.5,2\n2,1.5,3\n3,-1,4\n")
    y = read_targets(f"{path}:b,a", 3)
    np.testing.assert_array_equal(y, [[2, 0.5], [3, 1.5], [4, -1]])
    with pytest.raises(InputError, match="column 'c' not found"):
        read_targets(f"{path}:c", 3)
