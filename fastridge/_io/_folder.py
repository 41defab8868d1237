"""Reading a memory-mapped CSR folder: header and arrays checked, no copy of the matrix.

Reading maps the arrays (``np.load(mmap_mode="r")``) and wraps them in a
``csr_matrix`` without copying: the matrix is paged in from disk as a fit
reads it, never loaded whole.  Writing is in :mod:`._folder_write`, the
checksums in :mod:`._checksum` (both re-exported here for :mod:`fastridge.io`).
"""

from __future__ import annotations

import json
import os

import numpy as np

from ._checksum import _sha256_file, file_checksum
from ._common import (
    SCAN_BLOCK,
    InputError,
    check_finite_compressed,
    check_finite_dense,
    load_npy,
    os_error,
    where,
)
from ._folder_layout import (
    ARRAY_FILES,
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER,
    Y_FILE,
    csr_no_copy,
)
from ._folder_write import write_csr_folder

__all__ = ["csr_no_copy", "file_checksum", "read_csr_folder", "write_csr_folder"]


def _count(value) -> bool:
    """A non-negative JSON integer (``true`` is not one)."""
    return type(value) is int and value >= 0


def _read_header(folder: str) -> dict:
    path = os.path.join(folder, HEADER)
    if not os.path.isfile(path):
        raise InputError(f"{where(path)}: missing: {folder} is not a fastridge CSR folder")
    try:
        with open(path, encoding="utf-8") as f:
            header = json.load(f)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where(path, exc.lineno)}: invalid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise InputError(f"{where(path)}: not a text file") from None
    except OSError as exc:
        raise os_error(path, exc) from None
    if not isinstance(header, dict):
        raise InputError(f"{where(path)}: expected a JSON object")

    def field(key, check, expected):
        if key not in header:
            raise InputError(f"{where(path)}: field '{key}' missing")
        value = header[key]
        if not check(value):
            raise InputError(f"{where(path)}: field '{key}' is {value!r}, expected {expected}")
        return value

    field("format", lambda v: v == FORMAT_NAME, f"'{FORMAT_NAME}'")
    field(
        "version",
        lambda v: type(v) is int and 1 <= v <= FORMAT_VERSION,
        f"a version up to {FORMAT_VERSION} (written by a newer fastridge?)",
    )
    field(
        "shape",
        lambda v: isinstance(v, list) and len(v) == 2 and all(_count(s) for s in v),
        "[n_rows, n_columns]",
    )
    field("nnz", _count, "a non-negative integer")
    field("dtype", lambda v: v in ("float32", "float64"), "'float32' or 'float64'")
    field("index_dtype", lambda v: v in ("int32", "int64"), "'int32' or 'int64'")
    field("has_y", lambda v: isinstance(v, bool), "true or false")
    field("sha256", lambda v: isinstance(v, dict), "an object {file: sha256}")
    for name in (*ARRAY_FILES, *((Y_FILE,) if header["has_y"] else ())):
        if not isinstance(header["sha256"].get(name), str):
            raise InputError(f"{where(path)}: field 'sha256' has no entry for {name}")
    return header


def _load_array(folder: str, name: str, dtype, length: int | None) -> np.ndarray:
    path = os.path.join(folder, name)
    if not os.path.isfile(path):
        raise InputError(f"{where(path)}: missing from the CSR folder")
    a = load_npy(path)
    if dtype is not None and (a.dtype != np.dtype(dtype) or a.ndim != 1):
        raise InputError(
            f"{where(path)}: holds {a.dtype} of shape {a.shape}, header says 1-D {dtype}"
        )
    if length is not None and a.shape[0] != length:
        raise InputError(f"{where(path)}: has {a.shape[0]} entries, header says {length}")
    return a


def _check_folder_structure(folder: str, indices, indptr, p: int) -> None:
    """InputError unless ``indptr`` never decreases and every index is in ``[0, p)``.

    The header's ``shape`` and ``nnz`` are checked against the array lengths before
    (``len(indptr) = n + 1``, ``indptr[0] = 0``, ``indptr[-1] = nnz = len(indices)``);
    this is the rest of what makes the arrays a valid ``n x p`` CSR matrix.  One pass
    over ``indptr`` and ``indices`` (in blocks, so memory stays flat): a kernel reading
    an index ``>= p`` or a decreasing ``indptr`` would read outside its arrays.
    """
    for start in range(0, max(indptr.shape[0] - 1, 0), SCAN_BLOCK):
        block = np.asarray(indptr[start : start + SCAN_BLOCK + 1])
        steps = np.diff(block)
        if (steps < 0).any():
            row = start + int(np.argmax(steps < 0))
            raise InputError(
                f"{where(os.path.join(folder, 'indptr.npy'))}: decreases at row {row} "
                "(not a valid CSR folder)"
            )
    for start in range(0, indices.shape[0], SCAN_BLOCK):
        block = np.asarray(indices[start : start + SCAN_BLOCK])
        low, high = int(block.min()), int(block.max())
        if low < 0 or high >= p:
            bad = low if low < 0 else high
            raise InputError(
                f"{where(os.path.join(folder, 'indices.npy'))}: column index {bad} does not "
                f"fit the header's shape with {p} columns (header.json disagrees with the "
                "arrays)"
            )


def read_csr_folder(folder, *, verify: bool = False):
    """Open a CSR folder as a memory-mapped ``csr_matrix`` (no copy of the matrix).

    Parameters
    ----------
    folder : str or path-like
        A folder written by :func:`write_csr_folder` or :func:`convert`.
    verify : bool, default False
        Recompute every file's SHA-256 and compare it with the header (reads
        the whole folder once).

    Returns
    -------
    X : scipy.sparse.csr_matrix
        ``X.data``, ``X.indices`` and ``X.indptr`` are read-only views of
        ``np.memmap`` arrays; pages are read from disk as they are used.
        fastridge never writes into ``X``.
    y : ndarray of float64 or None
        The targets (loaded in memory), or None when the folder has none.

    Raises
    ------
    InputError
        Missing folder or file, a header that is not a fastridge CSR header,
        arrays that disagree with the header (lengths, ``indptr[-1]`` against
        ``nnz``, a column index outside the header's shape, a decreasing
        ``indptr``: always checked), a checksum mismatch
        (``verify=True``), or NaN/inf in ``X`` or ``y``.

    Notes
    -----
    The values are scanned once for NaN/inf (in 1 MiB blocks: memory stays
    flat, the file pages stay in the page cache for the fit that follows).
    """
    folder = os.fspath(folder)
    if not os.path.isdir(folder):
        if os.path.exists(folder):
            raise InputError(f"{where(folder)}: not a folder")
        raise InputError(f"{where(folder)}: no such file or directory")
    header = _read_header(folder)
    if verify:
        for name, expected in header["sha256"].items():
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                raise InputError(f"{where(path)}: missing from the CSR folder")
            if _sha256_file(path) != expected:
                raise InputError(
                    f"{where(path)}: checksum mismatch with {HEADER} (modified or corrupt)"
                )
    n, p = header["shape"]
    nnz = header["nnz"]
    data = _load_array(folder, "data.npy", header["dtype"], nnz)
    indices = _load_array(folder, "indices.npy", header["index_dtype"], nnz)
    indptr = _load_array(folder, "indptr.npy", header["index_dtype"], n + 1)
    if indptr[0] != 0 or indptr[-1] != nnz:
        raise InputError(
            f"{where(os.path.join(folder, 'indptr.npy'))}: must start at 0 and end at nnz={nnz}"
        )
    _check_folder_structure(folder, indices, indptr, p)
    X = csr_no_copy(data, indices, indptr, (n, p))
    check_finite_compressed(X, where(os.path.join(folder, "data.npy")))
    y = None
    if header["has_y"]:
        y = _load_array(folder, Y_FILE, None, None)
        ypath = where(os.path.join(folder, Y_FILE))
        if y.dtype.kind not in "fiub" or y.ndim not in (1, 2) or y.shape[0] != n:
            raise InputError(f"{ypath}: holds {y.dtype} of shape {y.shape}, expected ({n},)")
        y = np.array(y, dtype=np.float64)  # small: load it, do not keep the mapping
        check_finite_dense(y, ypath, "y")
    return X, y
