"""Reading the inputs of a fit: data and targets checked and named, and their checksums.

Every error names the file and the row, field or value (``fastridge.io.InputError``).
"""

from __future__ import annotations

import importlib
import time
import warnings
from pathlib import Path

from .settings import resolve_path, resolve_targets


def io_module():
    """:mod:`fastridge.io` (the readers), imported on first use."""
    return importlib.import_module("fastridge.io")


def read_data(path, *, dtype=None, zero_based="auto", verify=True, n_features=None):
    """Read a data file for the command line; returns ``(X, labels, reading, warnings)``.

    ``reading`` is :func:`fastridge.io.read_matrix_reading`'s (stored with the model);
    ``warnings`` the one-line texts of the reader's warnings (``--zero-based auto``
    reading zero-based because of a lone index 0).  A CSR folder's checksums are
    verified unless ``verify`` is False; its structure always is.
    """
    fio = io_module()
    kwargs = {"dtype": dtype or None, "verify": verify}
    if fio.detect_format(str(path)) == "svmlight":
        kwargs.update(zero_based=zero_based or "auto", n_features=n_features)
    elif zero_based not in (None, "auto"):
        raise fio.InputError(f"{path}: --zero-based applies to svmlight files only")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fio.ZeroBasedWarning)
        X, labels, reading = fio.read_matrix_reading(str(path), **kwargs)
    texts = [str(w.message) for w in caught if issubclass(w.category, fio.ZeroBasedWarning)]
    for w in caught:  # anything else goes on as it came
        if not issubclass(w.category, fio.ZeroBasedWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return X, labels, reading, texts


def check_class_labels(y, task, source):
    """InputError naming ``source`` when ``task`` is logistic and ``y`` is real-valued.

    scikit-learn's ``type_of_target`` says ``"continuous"`` when some value is not an
    integer: a logistic fit would make each distinct value a class (a 200-class
    multinomial on 200 real targets).  Checked here, whatever the library does.
    """
    if task != "logistic":
        return
    import numpy as np
    from sklearn.utils.multiclass import type_of_target

    kind = type_of_target(y)
    if kind.startswith("continuous"):
        flat = np.asarray(y).reshape(-1)
        bad = int(np.argmax(flat != np.round(flat)))
        raise io_module().InputError(
            f"{source}: the targets are continuous (e.g. {float(flat[bad]):.17g} at position "
            f"{bad}, {np.unique(flat).size} distinct values); --task logistic needs class labels"
        )


def load_inputs(settings, base_dir=None, *, verify=True):
    """Read ``X`` and ``y`` of a fit; returns ``(X, y, seconds, reading, warnings)``.

    ``reading`` describes how the data file was read (see :func:`read_data`),
    ``warnings`` the reader's one-line warnings.

    Raises ``fastridge.io.InputError`` (or ``ValueError``) naming the file and the
    row, field or value when the inputs are malformed, the lengths differ, a value
    is NaN or infinite, a CSR folder fails its checks, or logistic targets are
    real-valued.
    """
    t0 = time.perf_counter()
    data = resolve_path(settings["data"], base_dir)
    X, labels, reading, texts = read_data(
        data,
        dtype=settings.get("dtype"),
        zero_based=settings.get("zero_based", "auto"),
        verify=verify,
    )
    y = read_fit_targets(settings, base_dir, X.shape[0], labels, data)
    _check_finite_matrix(X, str(data))
    return X, y, time.perf_counter() - t0, reading, texts


def read_fit_targets(settings, base_dir, n_rows, labels, data):
    """The targets of a fit for ``n_rows`` rows read from ``data``: checked, named.

    ``--targets`` when given, else the ``labels`` read with the data; an InputError
    names the file when the length differs, a value is NaN or infinite, or logistic
    targets are real-valued.
    """
    import numpy as np

    fio = io_module()
    spec, target_file = resolve_targets(settings.get("targets"), base_dir)
    y = fio.read_targets(spec, n_rows, labels=labels)
    y = np.asarray(y)
    source = str(target_file) if target_file is not None else f"{data} (labels)"
    if y.shape[0] != n_rows:
        raise fio.InputError(f"{source}: {y.shape[0]} targets for the {n_rows} rows of {data}")
    if y.dtype.kind in "fc":
        bad = np.flatnonzero(~np.isfinite(y.reshape(y.shape[0], -1)).all(axis=1))
        if bad.size:
            raise fio.InputError(f"{source}: target of row {int(bad[0])} is {y[bad[0]]!r}")
    check_class_labels(y, settings.get("task"), source)
    return y


def _check_finite_matrix(X, source):
    """Raise ``InputError`` naming the row and column of the first NaN / inf of ``X``."""
    import numpy as np
    import scipy.sparse as sp

    if sp.issparse(X) and X.format in ("csr", "csc"):
        values = np.asarray(X.data)
    elif isinstance(X, np.ndarray):
        values = X.reshape(-1)
    else:  # other formats are validated (and converted) by the library
        return
    if values.size == 0 or values.dtype.kind != "f":
        return
    pos = _first_non_finite(values)
    if pos < 0:
        return
    if sp.issparse(X):
        major = int(np.searchsorted(X.indptr, pos, side="right") - 1)
        minor = int(X.indices[pos])
        row, col = (major, minor) if X.format == "csr" else (minor, major)
    else:
        row, col = divmod(pos, X.shape[1])
    raise io_module().InputError(
        f"{source}: value {values[pos]} at row {row}, column {col} (0-based) is not finite"
    )


# Values scanned at a time for NaN / inf (a bounded temporary, not one boolean per value).
_SCAN_BLOCK = 1 << 20


def _first_non_finite(values):
    """Flat position of the first NaN / inf of the 1-d ``values`` (-1 if none)."""
    import numpy as np

    for start in range(0, values.shape[0], _SCAN_BLOCK):
        ok = np.isfinite(values[start : start + _SCAN_BLOCK])
        if not ok.all():
            return start + int(np.argmin(ok))
    return -1


def checksum_inputs(files, cache=None):
    """``{role: {"path": str, "sha256": str} or None}`` of the input files.

    ``cache`` (a dict) memoises the checksum per absolute path within one run.
    """
    fio = io_module()
    out = {}
    for role, path in files.items():
        if path is None:
            out[role] = None
            continue
        key = str(Path(path).resolve())
        if cache is None or key not in cache:
            digest = fio.file_checksum(key)
            if cache is not None:
                cache[key] = digest
        else:
            digest = cache[key]
        out[role] = {"path": key, "sha256": digest}
    return out
