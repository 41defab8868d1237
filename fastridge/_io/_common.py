"""Shared pieces of the file-format layer: the error type and the scans."""

from __future__ import annotations

import bz2
import gzip
import os
from typing import BinaryIO

import numpy as np

# Elements per block of a finiteness scan: np.isfinite on a block allocates one
# bool per element, so a block bounds the temporary memory at 1 MiB however
# large (or memory-mapped) the array is, while keeping the Python loop short.
SCAN_BLOCK = 1 << 20

# Bytes per read when hashing a file: large enough that the Python loop costs
# nothing next to sha256 itself, small enough to keep memory flat.
HASH_BLOCK = 1 << 20

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class InputError(ValueError):
    """A problem with an input file or an option that the user can fix.

    The message is one line that names the file and, where it helps, the line
    (1-based, for text files) or the field, e.g.
    ``"data/a.svm:17: malformed feature 'x:1' (expected index:value)"``.
    Rows and columns of arrays are 0-based array positions.
    """


def where(path, line: int | None = None) -> str:
    """``"path"`` or ``"path:line"`` as the start of a message."""
    text = os.fspath(path)
    return text if line is None else f"{text}:{line}"


def os_error(path, exc: OSError | EOFError) -> InputError:
    """Turn an operating-system or decompression error into an InputError."""
    if isinstance(exc, FileNotFoundError):
        what = "no such file or directory"
    elif isinstance(exc, PermissionError):
        what = "permission denied"
    elif isinstance(exc, IsADirectoryError):
        what = "is a directory, expected a file"
    elif isinstance(exc, EOFError):
        what = "file ends early (truncated or incomplete download?)"
    elif isinstance(exc, gzip.BadGzipFile):
        what = f"not a valid gzip file ({exc})"
    else:
        what = exc.strerror or _errno_text(exc) or str(exc) or type(exc).__name__
    return InputError(f"{where(path)}: {what}")


def _errno_text(exc) -> str | None:
    """The system's words for ``exc``'s error number, or None.

    ``OSError(28)`` (one argument) has no ``errno`` and prints as ``28``: its number
    is then its only argument.
    """
    code = getattr(exc, "errno", None)
    if code is None and len(exc.args) == 1 and type(exc.args[0]) is int:
        code = exc.args[0]
    return os.strerror(code) if isinstance(code, int) else None


def load_npy(path) -> np.ndarray:
    """``np.load(path, mmap_mode="r")`` (no pickles); errors name the file."""
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, EOFError) as exc:
        raise os_error(path, exc) from None
    except ValueError as exc:
        raise InputError(f"{where(path)}: not a valid .npy file ({exc})") from None


def require_exists(path) -> None:
    """Raise InputError unless ``path`` exists."""
    if not os.path.exists(path):
        raise InputError(f"{where(path)}: no such file or directory")


def open_binary(path) -> BinaryIO:
    """Open a file for reading bytes, decompressing ``.gz`` and ``.bz2`` by name."""
    lower = os.fspath(path).lower()
    if lower.endswith(".gz"):
        return gzip.open(path, "rb")
    if lower.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def resolve_dtype(dtype) -> np.dtype | None:
    """``None``, or float32/float64 as a numpy dtype (InputError otherwise)."""
    if dtype is None:
        return None
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in FLOAT_DTYPES:
        raise InputError(f"dtype: expected 'float32' or 'float64', got {dtype!r}")
    return dt


def _bad_value(value) -> str:
    return "NaN" if np.isnan(value) else str(float(value))


def first_non_finite(values: np.ndarray) -> int:
    """Flat position of the first NaN/inf in ``values`` (-1 if none), in blocks."""
    flat = values.reshape(-1) if values.flags.c_contiguous else values.ravel(order="K")
    for start in range(0, flat.shape[0], SCAN_BLOCK):
        ok = np.isfinite(flat[start : start + SCAN_BLOCK])
        if not ok.all():
            return start + int(np.argmin(ok))
    return -1


def locate_non_finite(X) -> tuple[int, int, str] | None:
    """``(row, column, "nan"/"inf"/...)`` of the first NaN/inf of a CSR/CSC matrix."""
    pos = first_non_finite(X.data)
    if pos < 0:
        return None
    major = int(np.searchsorted(X.indptr, pos, side="right")) - 1
    minor = int(X.indices[pos])
    row, col = (major, minor) if X.format == "csr" else (minor, major)
    return row, col, _bad_value(X.data[pos])


def check_finite_compressed(X, prefix: str, name: str = "X") -> None:
    """InputError naming row and column of the first NaN/inf of a CSR/CSC matrix."""
    found = locate_non_finite(X)
    if found is not None:
        row, col, bad = found
        raise InputError(f"{prefix}: {bad} in {name} (row {row}, column {col})")


def check_finite_dense(A: np.ndarray, prefix: str, name: str) -> None:
    """InputError naming row (and column) of the first NaN/inf of a dense array."""
    if A.dtype.kind not in "fc":
        return
    if A.ndim == 2 and not A.flags.c_contiguous:
        # scan row blocks so a Fortran-ordered memmap is not copied whole
        rows = max(1, SCAN_BLOCK // max(1, A.shape[1]))
        for start in range(0, A.shape[0], rows):
            block = np.ascontiguousarray(A[start : start + rows])
            pos = first_non_finite(block)
            if pos >= 0:
                r, c = divmod(pos, A.shape[1])
                bad = _bad_value(block.flat[pos])
                raise InputError(f"{prefix}: {bad} in {name} (row {start + r}, column {c})")
        return
    pos = first_non_finite(A)
    if pos < 0:
        return
    bad = _bad_value(A.reshape(-1)[pos])
    if A.ndim == 2:
        r, c = divmod(pos, A.shape[1])
        raise InputError(f"{prefix}: {bad} in {name} (row {r}, column {c})")
    raise InputError(f"{prefix}: {bad} in {name} (row {pos})")


def fsync_dir(path) -> None:
    """Make a rename in the folder ``path`` durable (no-op where a folder cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open a directory: nothing to sync
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
