"""Writing a memory-mappable CSR folder atomically (temporary sibling, fsync, rename).

The layout is that of :mod:`._folder_layout`; the arrays are hashed as they
are written (one pass), the header last.
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
    InputError,
    check_finite_compressed,
    check_finite_dense,
    fsync_dir,
    os_error,
    where,
)
from ._folder_layout import (
    FORMAT_NAME,
    FORMAT_VERSION,
    HEADER,
    INDEX_DTYPES,
    Y_FILE,
    csr_no_copy,
)
from ._sparse import coo_to_csr


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
        # documented copy: CSC/COO/... to CSR (a COO's duplicates kept, not summed in its dtype)
        X = coo_to_csr(X) if X.format == "coo" else sp.csr_matrix(X.tocsr())
    if X.dtype.kind not in "fiub":
        raise InputError(f"{where_}: X has unsupported dtype {X.dtype}")
    data = X.data if X.data.dtype in FLOAT_DTYPES else X.data.astype(np.float64)
    indices = X.indices
    if indices.dtype not in INDEX_DTYPES:
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
