"""The memory-mapped CSR folder, and checksums of files and folders.

A folder holds ``data.npy``, ``indices.npy``, ``indptr.npy`` (and ``y.npy``)
and ``header.json``.  Reading maps the arrays (``np.load(mmap_mode="r")``) and
wraps them in a ``csr_matrix`` without copying: the matrix is paged in from
disk as a fit reads it, never loaded whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil

import numpy as np
import scipy.sparse as sp

from ._common import (
    FLOAT_DTYPES,
    HASH_BLOCK,
    SCAN_BLOCK,
    InputError,
    check_finite_compressed,
    check_finite_dense,
    fsync_dir,
    os_error,
    where,
)

FORMAT_NAME = "fastridge-csr"
# Bump when the layout changes; readers refuse versions newer than they know.
FORMAT_VERSION = 1
HEADER = "header.json"
ARRAY_FILES = ("data.npy", "indices.npy", "indptr.npy")
Y_FILE = "y.npy"
_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


# ----------------------------------------------------------------- checksums
def _sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


def file_checksum(path) -> str:
    """SHA-256 of a file, or of a folder's contents, as a hex string.

    For a folder the digest runs over its files (recursively, symbolic links
    followed) sorted by relative path (``/``-separated): for each one the bytes
    ``"<relative path>\\0<sha256 hex of the file>\\n"`` in UTF-8.  Renaming,
    adding, removing or changing any file changes the result; timestamps do
    not.  Files are read in 1 MiB blocks.

    Parameters
    ----------
    path : str or path-like
        A file or a folder.

    Returns
    -------
    str
        64 hex digits.

    Raises
    ------
    InputError
        When ``path`` does not exist or cannot be read.
    """
    try:
        if not os.path.isdir(path):
            return _sha256_file(path)
        entries = []
        for root, dirs, files in os.walk(path, followlinks=True):
            dirs.sort()
            for name in files:
                full = os.path.join(root, name)
                rel = os.path.relpath(full, path).replace(os.sep, "/")
                entries.append((rel, full))
        h = hashlib.sha256()
        for rel, full in sorted(entries):
            h.update(f"{rel}\0{_sha256_file(full)}\n".encode())
        return h.hexdigest()
    except OSError as exc:
        raise os_error(getattr(exc, "filename", None) or path, exc) from None


# -------------------------------------------------------------------- writing
class _HashingWriter:
    """File wrapper that hashes what passes through ``write``.

    ``np.save`` sees no real file object and writes the array in 16 MiB chunks,
    so a memory-mapped source is streamed, and hashed in the same pass.
    """

    def __init__(self, f):
        self._f = f
        self.hash = hashlib.sha256()

    def write(self, b) -> int:
        self.hash.update(b)
        return self._f.write(b)


def _save(folder: str, name: str, array: np.ndarray) -> str:
    with open(os.path.join(folder, name), "wb") as f:
        writer = _HashingWriter(f)
        np.save(writer, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())
    return writer.hash.hexdigest()


def _is_csr_folder(path: str) -> bool:
    try:
        with open(os.path.join(path, HEADER), encoding="utf-8") as f:
            return json.load(f).get("format") == FORMAT_NAME
    except (OSError, ValueError, AttributeError):
        return False


def _as_csr(X, where_: str) -> sp.csr_matrix:
    """X as CSR with float32/float64 data and matching int32/int64 index arrays."""
    if not sp.issparse(X):
        A = np.asarray(X)
        if A.ndim != 2 or A.dtype.kind not in "fiub":
            raise InputError(f"{where_}: X must be a 2-D numeric array or sparse matrix")
        X = sp.csr_matrix(A)  # copy: dense to CSR
    elif X.format != "csr":
        X = sp.csr_matrix(X.tocsr())  # documented copy: CSC/COO/... to CSR
    if X.dtype.kind not in "fiub":
        raise InputError(f"{where_}: X has unsupported dtype {X.dtype}")
    data = X.data if X.data.dtype in FLOAT_DTYPES else X.data.astype(np.float64)
    indices = X.indices
    if indices.dtype not in _INDEX_DTYPES:
        indices = indices.astype(np.int64)
    indptr = X.indptr.astype(indices.dtype, copy=False)
    return csr_no_copy(data, indices, indptr, X.shape)


def _check_structure(X, where_: str) -> None:
    n, p = X.shape
    if X.indptr.shape[0] != n + 1 or X.indptr[0] != 0:
        raise InputError(f"{where_}: X has a broken indptr")
    if X.indptr[-1] != X.indices.shape[0] or X.data.shape[0] != X.indices.shape[0]:
        raise InputError(f"{where_}: X has indptr[-1], len(indices), len(data) disagreeing")
    if n and (np.diff(X.indptr) < 0).any():
        raise InputError(f"{where_}: X has a decreasing indptr")
    if X.indices.shape[0] and (X.indices.min() < 0 or X.indices.max() >= p):
        raise InputError(f"{where_}: X has column indices outside [0, {p})")


def write_csr_folder(X, folder, *, y=None, overwrite: bool = False) -> dict:
    """Write ``X`` (and ``y``) as a memory-mappable CSR folder, atomically.

    The folder holds ``data.npy``, ``indices.npy``, ``indptr.npy``, ``y.npy``
    (when ``y`` is given) and ``header.json``::

        {"format": "fastridge-csr", "version": 1, "shape": [n, p], "nnz": ...,
         "dtype": "float64", "index_dtype": "int32", "has_y": true,
         "sha256": {"data.npy": "...", ...}}

    Everything is written into a temporary sibling folder
    (``.<name>.tmp-<pid>-<random>``, each file fsynced, the header last) that
    is then renamed to ``folder``; on any error the temporary folder is
    removed, so ``folder`` is either absent, the old one or complete.  A
    process killed with SIGKILL can leave the hidden temporary sibling behind
    (never a half-written ``folder``); it is safe to delete.

    Parameters
    ----------
    X : sparse matrix or 2-D array
        Stored as CSR with its index dtype (int32 or int64; other integer
        types become int64) and its float32/float64 values (other types become
        float64).  CSC, COO and dense inputs are converted: a copy.  Indices
        are stored in their order (unsorted or duplicated entries are kept).
    folder : str or path-like
        The folder to create.  Its parent must exist.
    y : array-like of shape (n,) or (n, k), optional
        Targets, stored as float64 ``y.npy``.
    overwrite : bool, default False
        When ``folder`` exists: False raises InputError and leaves it alone.
        True replaces it, but only if it is a fastridge CSR folder or empty
        (anything else is refused, so a wrong path cannot delete a directory
        of other files).  The old folder is renamed aside, the new one renamed
        in, then the old one deleted: a crash between the two renames leaves
        ``folder`` absent and the old copy as ``.<name>.old-<pid>-<random>``.

    Returns
    -------
    dict
        The header written to ``header.json``.

    Raises
    ------
    InputError
        When ``folder`` exists (see ``overwrite``), its parent is missing,
        ``X`` has NaN/inf or a broken structure, or ``y`` does not fit ``X``.
    """
    target = os.fspath(folder).rstrip("/\\") or os.fspath(folder)
    label = where(target)
    parent = os.path.dirname(os.path.abspath(target))
    name = os.path.basename(os.path.abspath(target))
    if not os.path.isdir(parent):
        raise InputError(f"{label}: parent folder {parent} does not exist")
    _check_target(target, overwrite)

    X = _as_csr(X, label)
    _check_structure(X, label)
    check_finite_compressed(X, f"{label}: not written")
    n, p = X.shape
    if y is not None:
        y = np.asarray(y)
        if y.dtype.kind not in "fiub" or y.ndim not in (1, 2):
            raise InputError(f"{label}: y must be a 1-D or 2-D numeric array")
        y = y.astype(np.float64, copy=False)
        if y.shape[0] != n:
            raise InputError(f"{label}: y has {y.shape[0]} rows but X has {n}")
        check_finite_dense(y, f"{label}: not written", "y")

    tmp = os.path.join(parent, f".{name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        os.mkdir(tmp)
        sums = {
            "data.npy": _save(tmp, "data.npy", X.data),
            "indices.npy": _save(tmp, "indices.npy", X.indices),
            "indptr.npy": _save(tmp, "indptr.npy", X.indptr),
        }
        if y is not None:
            sums[Y_FILE] = _save(tmp, Y_FILE, y)
        header = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "shape": [int(n), int(p)],
            "nnz": int(X.indptr[-1]),
            "dtype": X.data.dtype.name,
            "index_dtype": X.indices.dtype.name,
            "has_y": y is not None,
            "sha256": sums,
        }
        with open(os.path.join(tmp, HEADER), "w", encoding="utf-8") as f:
            json.dump(header, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        fsync_dir(tmp)
        _move_into_place(tmp, target, overwrite)
        fsync_dir(parent)
    except OSError as exc:
        # name the folder the user asked for, not the temporary sibling
        raise os_error(target, exc) from None
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return header


def _check_target(target: str, overwrite: bool) -> None:
    if not os.path.lexists(target):
        return
    if not overwrite:
        raise InputError(f"{where(target)}: already exists (use overwrite to replace it)")
    if not os.path.isdir(target) or os.path.islink(target):
        raise InputError(f"{where(target)}: exists and is not a folder; not replaced")
    if os.listdir(target) and not _is_csr_folder(target):
        raise InputError(
            f"{where(target)}: exists and is not a fastridge CSR folder; not replaced"
        )


def _move_into_place(tmp: str, target: str, overwrite: bool) -> None:
    if not os.path.lexists(target):
        os.rename(tmp, target)
        return
    _check_target(target, overwrite)  # again: it may have appeared meanwhile
    parent, name = os.path.split(os.path.abspath(target))
    old = os.path.join(parent, f".{name}.old-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(target, old)
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old, target)  # put the old folder back
        raise
    shutil.rmtree(old, ignore_errors=True)


# -------------------------------------------------------------------- reading
def csr_no_copy(data, indices, indptr, shape, *, fmt: str = "csr"):
    """A ``csr_matrix`` (``fmt="csc"``: ``csc_matrix``) over exactly these arrays.

    ``csr_matrix((data, indices, indptr))`` may copy: it narrows int64 indices
    whose values fit in int32.  Here an empty matrix of the right shape (its
    zero ``indptr`` is calloc'ed, so untouched pages cost no memory) gets the
    arrays assigned instead, then scipy's O(1) format check: views, no copy.
    """
    cls = sp.csr_matrix if fmt == "csr" else sp.csc_matrix
    X = cls(tuple(int(s) for s in shape), dtype=data.dtype)
    X.data, X.indices, X.indptr = data, indices, indptr
    X.check_format(full_check=False)
    return X


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
    try:
        a = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, EOFError) as exc:
        raise os_error(path, exc) from None
    except ValueError as exc:
        raise InputError(f"{where(path)}: not a valid .npy file ({exc})") from None
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
