"""Result files: atomic writes, the ``.npz`` layout, reading it back and predicting.

A result file is an ``.npz`` (no pickles) with the arrays of
:class:`fastridge._cli.engine.Outcome` and ``meta``: a 0-d unicode array holding a
JSON object (format name and version, fastridge version, task, mode, settings,
inputs with their sha256, solver, convergence, timings, shape of ``X``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

from .._io._common import fsync_dir

RESULT_FORMAT = "fastridge-result"
RESULT_FORMAT_VERSION = 1
# Temporary files are named ``.<final name>.tmp-<random>`` beside the final file, so
# that a killed run's leftovers are recognisable (TEMP_MARKER) and removed on rerun.
TEMP_MARKER = ".tmp-"
# Read files in blocks of this size when hashing them (1 MiB).
_HASH_BLOCK = 1 << 20


def sha256_file(path):
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_HASH_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


def atomic_write(path, write, *, before_replace=None):
    """Write ``path`` through a temporary file in the same folder, then rename it.

    ``write(fh)`` writes the content into the binary file object ``fh``; the file is
    then flushed, fsynced and renamed over ``path`` (``os.replace``, atomic on POSIX),
    so ``path`` is either absent, its old content, or the complete new content.  On
    any exception (KeyboardInterrupt included) the temporary file is removed.

    Parameters
    ----------
    path : path-like
        The final file.
    write : callable
        ``write(fh)`` fills the open temporary file.
    before_replace : callable, optional
        Called after the temporary file is complete and before the rename (the
        test hook of ``batch``, see :mod:`fastridge._cli.batch`).

    Returns
    -------
    str
        The sha256 of the written bytes.
    """
    path = Path(path)
    try:
        tmp = tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=f".{path.name}{TEMP_MARKER}", delete=False
        )
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with tmp:
            write(tmp)
            tmp.flush()
            os.fsync(tmp.fileno())
        digest = sha256_file(tmp.name)
        if before_replace is not None:
            before_replace()
        os.replace(tmp.name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp.name)
        if isinstance(exc, OSError):
            raise _naming(exc, path) from None
        raise
    fsync_dir(path.parent)
    return digest


def _naming(exc, path):
    """``exc`` as an OSError naming ``path`` (the target, not the temporary file).

    A missing folder, a read-only location or a full disk then reads
    ``<path>: cannot write: No space left on device``, whatever file the error hit.
    """
    code = exc.errno if isinstance(exc.errno, int) else None
    if code is None and len(exc.args) == 1 and type(exc.args[0]) is int:
        code = exc.args[0]  # OSError(28): the number is its only argument
    words = exc.strerror or (os.strerror(code) if code is not None else None) or str(exc)
    if isinstance(exc, FileNotFoundError):
        words = f"{words} (folder {path.parent} does not exist?)"
    return OSError(code, f"cannot write: {words}", str(path))


def atomic_write_json(path, obj, **kwargs):
    """Write ``obj`` as indented JSON to ``path`` atomically; returns the sha256."""
    from .console import jsonable

    text = json.dumps(jsonable(obj), indent=2, sort_keys=False) + "\n"
    return atomic_write(path, lambda fh: fh.write(text.encode("utf-8")), **kwargs)


def save_result(path, arrays, meta, **kwargs):
    """Write a result ``.npz`` (``arrays`` plus ``meta`` as embedded JSON) atomically.

    Returns the sha256 of the file.
    """
    import numpy as np

    from .console import jsonable

    meta = {"format": RESULT_FORMAT, "format_version": RESULT_FORMAT_VERSION, **meta}
    payload = {k: np.asarray(v) for k, v in arrays.items()}
    payload["meta"] = np.array(json.dumps(jsonable(meta)))
    return atomic_write(path, lambda fh: np.savez(fh, **payload), **kwargs)


def load_result(path):
    """Read a result file; returns ``(arrays, meta)``.

    Raises
    ------
    ValueError
        When the file is not a fastridge result (naming the file).
    """
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        what = "truncated or not a zip file" if isinstance(exc, zipfile.BadZipFile) else exc
        raise ValueError(f"{path}: not a readable .npz result file ({what})") from None
    try:
        meta = json.loads(str(arrays.pop("meta")))
        ok = meta.get("format") == RESULT_FORMAT
    except (KeyError, ValueError, AttributeError):
        ok = False
    if not ok:
        raise ValueError(
            f"{path}: not a fastridge result file (no 'meta' of format {RESULT_FORMAT})"
        )
    if int(meta.get("format_version", 0)) > RESULT_FORMAT_VERSION:
        raise ValueError(
            f"{path}: result format version {meta['format_version']} is newer than this "
            f"fastridge reads ({RESULT_FORMAT_VERSION})"
        )
    return arrays, meta


def decision_values(X, coef, intercept):
    """``X @ coef.T + intercept`` for ``coef`` of shape ``(..., p)``: shape ``(n, ...)``."""
    import numpy as np

    from fastridge._fit.validation import check_predict_X

    X = check_predict_X(X)  # sparse structure (a bad indptr crashes X @ coef)
    coef = np.asarray(coef, dtype=np.float64)
    lead = coef.shape[:-1]
    flat = coef.reshape(-1, coef.shape[-1])
    scores = np.asarray(X @ flat.T, dtype=np.float64).reshape(X.shape[0], *lead)
    return scores + np.asarray(intercept, dtype=np.float64)


def predict(arrays, meta, X, *, proba=False, lam_index=None, decision=decision_values):
    """Predictions of a result on ``X``.

    Ridge: ``X @ coef.T + intercept``.  Logistic: the class labels, or with
    ``proba`` the probabilities of the classes (columns in the order of
    ``classes``).  A path result predicts at every lam (a lam axis after the rows)
    unless ``lam_index`` picks one.  ``decision(X, coef, intercept)`` computes the
    scores (:func:`decision_values`; on shards, one task per block).
    """
    import numpy as np

    coef = np.asarray(arrays["coef"])
    intercept = np.asarray(arrays["intercept"])
    has_lam_axis = meta.get("mode") == "path"
    if has_lam_axis and lam_index is not None:
        n_lams = coef.shape[0]
        if not -n_lams <= lam_index < n_lams:
            raise ValueError(f"--lam-index {lam_index} is outside the path's {n_lams} lams")
        coef, intercept = coef[lam_index], intercept[lam_index]
        has_lam_axis = False
    elif lam_index is not None:
        raise ValueError("--lam-index applies to path results only")
    scores = decision(X, coef, intercept)
    if meta.get("task") == "ridge":
        if proba:
            raise ValueError("--proba applies to logistic results only")
        return scores
    classes = np.asarray(arrays["classes"])
    multiclass = coef.ndim - int(has_lam_axis) == 2
    if multiclass:
        shifted = scores - scores.max(axis=-1, keepdims=True)
        expo = np.exp(shifted)
        prob = expo / expo.sum(axis=-1, keepdims=True)
        return prob if proba else classes[np.argmax(scores, axis=-1)]
    if proba:
        p1 = 0.5 * (1.0 + np.tanh(0.5 * scores))  # the logistic sigmoid, overflow-free
        return np.stack([1.0 - p1, p1], axis=-1)
    return classes[(scores > 0).astype(np.intp)]
