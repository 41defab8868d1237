"""Format detection and :func:`read_matrix` over every supported format."""

from __future__ import annotations

import os
import re
import zipfile

import numpy as np
import scipy.sparse as sp

from ._common import (
    InputError,
    check_finite_compressed,
    check_finite_dense,
    load_npy,
    open_binary,
    os_error,
    require_exists,
    resolve_dtype,
    where,
)
from ._folder import read_csr_folder
from ._folder_layout import csr_no_copy
from ._sparse import coo_to_csr, inexact_in_float64
from ._svmlight import check_zero_based, read_svmlight_reading

# Names returned by detect_format, and accepted by read_matrix(format=...).
SVMLIGHT, NPZ, MTX, NPY, CSR_FOLDER = "svmlight", "npz", "mtx", "npy", "csr-folder"
FORMATS = (SVMLIGHT, NPZ, MTX, NPY, CSR_FOLDER)

_SVMLIGHT_EXT = (".svm", ".svmlight", ".libsvm", ".txt")
_COMPRESSION_EXT = ("", ".gz", ".bz2")
# extension (lower case) -> format; compressed variants only where the reader
# handles them (the svmlight and MatrixMarket text formats)
_EXTENSIONS = {
    **{e + c: SVMLIGHT for e in _SVMLIGHT_EXT for c in _COMPRESSION_EXT},
    **{".mtx" + c: MTX for c in _COMPRESSION_EXT},
    ".npz": NPZ,
    ".npy": NPY,
}


def detect_format(path) -> str:
    """The format of ``path``, from its name (or ``"csr-folder"`` for a directory).

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    str
        ``"svmlight"`` (``.svm``, ``.svmlight``, ``.libsvm``, ``.txt``, each
        optionally ``.gz`` / ``.bz2``), ``"npz"``, ``"mtx"`` (``.mtx``,
        ``.mtx.gz``, ``.mtx.bz2``), ``"npy"``, or ``"csr-folder"`` for an
        existing directory.  Case is ignored.

    Raises
    ------
    InputError
        When the name has none of these extensions.
    """
    if os.path.isdir(path):
        return CSR_FOLDER
    lower = os.fspath(path).lower()
    for ext in sorted(_EXTENSIONS, key=len, reverse=True):
        if lower.endswith(ext):
            return _EXTENSIONS[ext]
    known = ", ".join(sorted(e for e in _EXTENSIONS if not e.endswith((".gz", ".bz2"))))
    raise InputError(
        f"{where(path)}: unknown file extension (known: {known}, text formats also "
        f".gz/.bz2; or a CSR folder)"
    )


def read_matrix(
    path,
    *,
    dtype=None,
    format: str | None = None,
    n_features: int | None = None,
    zero_based: bool | str = "auto",
    verify: bool = False,
):
    """Read a design matrix (and labels, when the file has them).

    Parameters
    ----------
    path : str or path-like
        A file, or a CSR folder (see :func:`write_csr_folder`).
    dtype : {None, "float32", "float64"}
        None keeps the stored floating type (integer or boolean values become
        float64).  Otherwise the values are converted: a copy of the values
        only, the index arrays are shared (for a CSR folder they stay mapped).
        svmlight text is parsed straight into the requested type.
    format : str, optional
        One of ``"svmlight"``, ``"npz"``, ``"mtx"``, ``"npy"``,
        ``"csr-folder"``, for a name :func:`detect_format` does not know (say
        ``a9a.t``); by default the format comes from the name.
    n_features : int, optional
        svmlight only: the number of columns (give it so a training and a test
        file get the same width); default, the largest index in the file.
    zero_based : bool or "auto", default "auto"
        svmlight only: whether indices start at 0.  "auto" (scikit-learn's
        rule) takes them as 1-based unless an index 0 occurs: a file written
        0-based whose first column is empty is then read shifted, so say so
        when you know.  When "auto" reads a file zero-based because of a few
        lone index-0 entries, a warning names the file (see
        :func:`read_matrix_reading`).
    verify : bool, default False
        CSR folder only: recompute the files' SHA-256 and compare them with the
        header (see :func:`read_csr_folder`; the command line verifies by
        default).

    Returns
    -------
    X : scipy.sparse.csr_matrix, scipy.sparse.csc_matrix or ndarray
        svmlight, MatrixMarket, CSR folder: CSR.  ``.npz``: CSR or CSC as
        stored (other sparse layouts become CSR: a copy).  ``.npy``: a
        read-only dense ``np.memmap`` (no copy unless ``dtype`` converts).
        A CSR folder is memory-mapped (see :func:`read_csr_folder`).
    y : ndarray of float64 or None
        The svmlight labels, or the CSR folder's ``y``; None otherwise.

    Raises
    ------
    InputError
        Missing file, unknown extension, malformed content (with the line for
        text files), NaN or inf in ``X`` or ``y`` (with the row), an empty
        matrix, or an unsupported ``dtype``.
    """
    X, y, _ = read_matrix_reading(
        path,
        dtype=dtype,
        format=format,
        n_features=n_features,
        zero_based=zero_based,
        verify=verify,
    )
    return X, y


def read_matrix_reading(
    path,
    *,
    dtype=None,
    format: str | None = None,
    n_features: int | None = None,
    zero_based: bool | str = "auto",
    verify: bool = False,
):
    """:func:`read_matrix`, also returning how the file was read.

    Returns
    -------
    X, y
        As :func:`read_matrix`.
    reading : dict
        ``{"format": <format name>}``, and for svmlight ``"zero_based"`` (bool:
        the base that was used) and ``"n_features"``: store it with a model so
        that another file is read the same way (``fastridge predict`` does).
    """
    dt = resolve_dtype(dtype)
    require_exists(path)
    zero_based = check_zero_based(zero_based)
    if format is None:
        format = detect_format(path)
    elif format not in FORMATS:
        raise InputError(f"format: expected one of {', '.join(FORMATS)}, got {format!r}")
    if format != SVMLIGHT and (n_features is not None or zero_based != "auto"):
        raise InputError(f"{where(path)}: n_features and zero_based apply to svmlight only")
    if format == CSR_FOLDER:
        X, y = read_csr_folder(path, verify=verify)
    elif format == SVMLIGHT:
        return read_svmlight_reading(path, dtype=dt, n_features=n_features, zero_based=zero_based)
    elif format == NPZ:
        X, y = _read_npz(path), None
    elif format == MTX:
        X, y = _read_mtx(path), None
    else:
        X, y = _read_npy(path), None
    if 0 in X.shape:
        raise InputError(f"{where(path)}: X has shape {X.shape}: no rows or no columns")
    return _convert_values(X, dt), y, {"format": format}


def _float_values(X, where_: str):
    """Integer / boolean values become float64 (a copy of the values).

    Integers that float64 cannot hold exactly (beyond ``2^53``) are refused:
    each stored part would be rounded on its own, and the fit would be of
    another matrix than the file's.
    """
    data = X.data if sp.issparse(X) else X
    if inexact_in_float64(data):
        raise InputError(
            f"{where_}: integer values beyond 2^53 that float64 cannot hold exactly; "
            "store X as floating point"
        )
    if X.dtype.kind in "iub":
        return X.astype(np.float64)
    if X.dtype.kind != "f" or X.dtype.itemsize not in (4, 8):
        return None
    return X


def _convert_values(X, dt):
    if dt is None or X.dtype == dt:
        return X
    # np.array, not .astype: a plain in-memory array, not an np.memmap subclass
    if sp.issparse(X):
        data = np.array(X.data, dtype=dt)
        return csr_no_copy(data, X.indices, X.indptr, X.shape, fmt=X.format)
    return np.array(X, dtype=dt)


def _read_npz(path):
    try:
        X = sp.load_npz(path)
    except (OSError, EOFError) as exc:
        raise os_error(path, exc) from None
    except (ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InputError(f"{where(path)}: not a scipy.sparse .npz file ({exc})") from None
    if X.ndim != 2:
        raise InputError(f"{where(path)}: holds a {X.ndim}-D sparse array, expected 2-D")
    if X.format not in ("csr", "csc"):
        # documented copy: COO/BSR/DIA/... to CSR; a COO keeps its duplicates, which
        # the fit sums exactly (scipy's tocsr would sum them in the data's dtype)
        X = coo_to_csr(X) if X.format == "coo" else X.tocsr()
    X = sp.csr_matrix(X, copy=False) if X.format == "csr" else sp.csc_matrix(X, copy=False)
    Xf = _float_values(X, where(path))
    if Xf is None:
        raise InputError(f"{where(path)}: unsupported value type {X.dtype}")
    check_finite_compressed(Xf, where(path))
    return Xf


def _read_mtx(path):
    import scipy.io

    try:
        with open_binary(path) as f:
            M = scipy.io.mmread(f)
    except (OSError, EOFError) as exc:
        raise os_error(path, exc) from None
    except (ValueError, TypeError, IndexError, OverflowError) as exc:
        # scipy's reader says "Line 3: Invalid integer value.": move the line up front
        match = re.match(r"Line (\d+): (.*)", str(exc))
        if match:
            line, what = int(match.group(1)), match.group(2).rstrip(".")
            raise InputError(f"{where(path, line)}: {what} (MatrixMarket)") from None
        raise InputError(f"{where(path)}: not a valid MatrixMarket file ({exc})") from None
    if M.dtype.kind == "c":
        raise InputError(f"{where(path)}: complex values are not supported")
    # COO (or a dense "array" file) to CSR: the reader's copy; duplicates kept (see _read_npz)
    X = coo_to_csr(sp.coo_matrix(M)) if sp.issparse(M) else sp.csr_matrix(M)
    Xf = _float_values(X, where(path))
    if Xf is None:
        raise InputError(f"{where(path)}: unsupported value type {X.dtype}")
    check_finite_compressed(Xf, where(path))
    return Xf


def _read_npy(path):
    A = load_npy(path)
    if A.ndim != 2:
        raise InputError(f"{where(path)}: holds an array of shape {A.shape}, expected 2-D")
    if A.dtype.kind not in "fiub" or (A.dtype.kind == "f" and A.dtype.itemsize not in (4, 8)):
        raise InputError(f"{where(path)}: unsupported value type {A.dtype}")
    check_finite_dense(A, where(path), "X")
    if inexact_in_float64(A):
        raise InputError(
            f"{where(path)}: integer values beyond 2^53 that float64 cannot hold exactly; "
            "store X as floating point"
        )
    return A.astype(np.float64) if A.dtype.kind in "iub" else A
