"""svmlight / libsvm text files, read with scikit-learn's loader.

scikit-learn's parser reports a malformed line as a bare ``ValueError`` without
its line number.  Only then (the error path) is the file scanned again here,
with the same rules, to name the first line that does not parse.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._common import (
    InputError,
    locate_non_finite,
    open_binary,
    os_error,
    where,
)
from ._folder_layout import csr_no_copy

# scikit-learn stores a feature index in a C ``int``; larger ones overflow.
_MAX_INDEX = 2**31 - 1


# scikit-learn's zero_based="auto" reads a file zero-based as soon as one index 0
# occurs, which shifts every column of a one-based file with a stray "0:" entry.
# "auto" still follows that rule (files written zero-based with a rare feature 0 exist),
# but warns when index 0 looks stray: it occurs on at most this fraction of the lines,
# or on a single line.  A genuinely zero-based file uses column 0 like any other
# column; one line in a hundred or fewer is what an editing slip or a header-like
# record looks like.  The warning only costs a line; the wrong reading costs the model.
LONE_ZERO_FRACTION = 0.01
# The command line spells zero_based as auto / yes / no.
_ZERO_BASED = {"auto": "auto", "yes": True, "no": False, True: True, False: False}


class ZeroBasedWarning(UserWarning):
    """``zero_based="auto"`` read an svmlight file zero-based because of a lone index 0."""


def check_zero_based(value):
    """``"auto"``, True or False from ``value`` (also ``"yes"`` / ``"no"``)."""
    try:
        return _ZERO_BASED[value]
    except (KeyError, TypeError):
        raise InputError(
            f"zero_based: expected 'auto', 'yes', 'no', True or False, got {value!r}"
        ) from None


def read_svmlight(path, *, dtype=None, n_features=None, zero_based="auto"):
    """Read an svmlight file (plain, ``.gz``, ``.bz2``) as ``(CSR, labels)``.

    See :func:`read_svmlight_reading`, which also returns how the file was read.
    """
    X, y, _ = read_svmlight_reading(
        path, dtype=dtype, n_features=n_features, zero_based=zero_based
    )
    return X, y


def read_svmlight_reading(path, *, dtype=None, n_features=None, zero_based="auto"):
    """Read an svmlight file as ``(CSR, labels, reading)``.

    Parameters
    ----------
    path : str or path-like
        The file; compression is chosen by its name.
    dtype : numpy dtype or None
        float32 parses the values straight into float32 (no extra copy);
        None means float64.
    n_features : int or None
        Number of columns; None takes the largest index in the file (plus one
        when read zero-based).  Give it so that a training and a test file get
        the same width.
    zero_based : {"auto", "yes", "no"} or bool
        Whether index ``j`` of the file is column ``j`` (zero-based) or column
        ``j - 1`` (one-based).  "auto" (scikit-learn's rule) reads one-based
        unless some index is 0; when index 0 occurs on at most
        ``LONE_ZERO_FRACTION`` of the lines (or on one line) it warns
        (:class:`ZeroBasedWarning`, naming the file and the first such line):
        that is more likely a stray entry of a one-based file, whose every
        column the rule then shifts.

    Returns
    -------
    X : scipy.sparse.csr_matrix
    y : ndarray of float64, shape (n,)
    reading : dict
        ``{"format": "svmlight", "zero_based": bool, "n_features": int}``: what
        a model fitted on ``X`` needs to read another file the same way.

    Raises
    ------
    InputError
        Malformed line (named), index 0 with ``zero_based`` no, an index beyond
        ``n_features``, no data lines, no feature on any line (labels only), NaN
        or inf.
    """
    import warnings

    from sklearn.datasets import load_svmlight_file  # ~1 s import: only when needed

    mode = check_zero_based(zero_based)
    try:
        with open_binary(path) as f:
            # read the indices as they are written; the base is decided below
            X, y = load_svmlight_file(
                f, dtype=np.float64 if dtype is None else dtype, zero_based=True
            )
    except (OSError, EOFError) as exc:
        raise os_error(path, exc) from None
    except (ValueError, OverflowError) as exc:
        raise _locate_error(path, exc, None, True if mode == "auto" else mode) from None
    X = sp.csr_matrix(X)  # scikit-learn may hand back a csr_array: same arrays
    y = np.asarray(y, dtype=np.float64)
    if X.shape[0] == 0:
        raise InputError(f"{where(path)}: no data lines")
    if X.nnz == 0:
        raise InputError(
            f"{where(path)}: no features on any line (labels only): there is no X to use"
        )
    zero_rows = _rows_with_index_zero(X)
    if mode is False and zero_rows.size:
        line = row_to_line(path, int(zero_rows[0]))
        raise InputError(
            f"{where(path, line)}: feature index 0 is invalid (indices are 1-based: "
            "zero_based is 'no')"
        )
    chosen = bool(mode) if mode != "auto" else bool(zero_rows.size)
    if mode == "auto" and chosen and _lone(zero_rows.size, X.shape[0]):
        line = row_to_line(path, int(zero_rows[0]))
        warnings.warn(
            f"{where(path)}: read zero-based because index 0 occurs on {zero_rows.size} of "
            f"{X.shape[0]} lines (first: line {line}); if the file is one-based every column "
            "is shifted: give zero_based 'no' (--zero-based no), or 'yes' if this is right",
            ZeroBasedWarning,
            stacklevel=2,
        )
    if not chosen:
        X.indices -= 1  # one-based: scikit-learn's own shift (the arrays are ours)
        X = csr_no_copy(X.data, X.indices, X.indptr, (X.shape[0], max(X.shape[1] - 1, 1)))
    X = _fit_width(path, X, n_features, one_based=not chosen)
    _check_finite(path, X, y)
    return X, y, {"format": "svmlight", "zero_based": chosen, "n_features": int(X.shape[1])}


def _lone(count: int, n_lines: int) -> bool:
    """Whether ``count`` lines with index 0 out of ``n_lines`` look stray (see the constant)."""
    return count <= max(1, LONE_ZERO_FRACTION * n_lines)


def _rows_with_index_zero(X) -> np.ndarray:
    """The rows holding column index 0 (indices increase along a line: at most once each)."""
    pos = np.flatnonzero(X.indices == 0)
    return np.searchsorted(X.indptr, pos, side="right") - 1


def _fit_width(path, X, n_features, *, one_based):
    """``X`` with ``n_features`` columns (InputError naming the line of a wider index)."""
    if n_features is None:
        return X
    if X.shape[1] > n_features:
        pos = int(np.argmax(X.indices >= n_features))
        row = int(np.searchsorted(X.indptr, pos, side="right") - 1)
        index = int(X.indices[pos]) + int(one_based)
        raise InputError(
            f"{where(path, row_to_line(path, row))}: feature index {index} is beyond "
            f"n_features={n_features}" + (" (indices taken as 1-based)" if one_based else "")
        )
    return csr_no_copy(X.data, X.indices, X.indptr, (X.shape[0], int(n_features)))


def _check_finite(path, X, y) -> None:
    bad_rows = np.flatnonzero(~np.isfinite(y))
    if bad_rows.size:
        r = int(bad_rows[0])
        raise InputError(f"{where(path, row_to_line(path, r))}: label is {y[r]} (row {r})")
    found = locate_non_finite(X)
    if found is not None:
        r, c, bad = found
        line = row_to_line(path, r)
        raise InputError(f"{where(path, line)}: {bad} in X (row {r}, column {c})")


def _data_lines(path):
    """Yield ``(line number, whitespace-split tokens)`` of the non-empty lines."""
    with open_binary(path) as f:
        for lineno, line in enumerate(f, start=1):
            hash_pos = line.find(b"#")
            if hash_pos >= 0:
                line = line[:hash_pos]
            tokens = line.split()
            if tokens:
                yield lineno, tokens


def row_to_line(path, row: int) -> int | None:
    """The 1-based line number holding data row ``row`` (comments and blanks skipped)."""
    for r, (lineno, _) in enumerate(_data_lines(path)):
        if r == row:
            return lineno
    return None


def _text(token: bytes) -> str:
    return token.decode("utf-8", errors="replace")


def _parse_line(tokens, zero_based):
    """Error message for one line split into tokens, or None; also its indices."""
    label = tokens[0]
    try:
        float(label)
    except ValueError:
        return f"label {_text(label)!r} is not a number", []
    features = tokens[1:]
    if features and features[0].startswith(b"qid"):
        if b":" not in features[0]:
            return f"malformed query id {_text(features[0])!r} (expected qid:value)", []
        features = features[1:]
    prev = -1
    indices = []
    for token in features:
        idx_text, colon, value = token.partition(b":")
        try:
            if not colon:
                raise ValueError
            idx = int(idx_text)
            float(value)
        except ValueError:
            return f"malformed feature {_text(token)!r} (expected index:value)", []
        if idx < 0 or (zero_based is False and idx == 0):
            base = "1-based" if zero_based is False else "non-negative"
            return f"feature index {idx} in '{_text(token)}' is invalid (indices are {base})", []
        if idx > _MAX_INDEX:
            return f"feature index {idx} in '{_text(token)}' is too large", []
        if idx <= prev:
            return (
                f"feature indices must increase along a line: '{_text(token)}' "
                f"comes after index {prev}",
                [],
            )
        prev = idx
        indices.append(idx)
    return None, indices


def _locate_error(path, exc, n_features, zero_based) -> InputError:
    """Scan the file for the line scikit-learn rejected; InputError naming it."""
    max_index = {}  # line -> largest index on it, for an n_features error
    min_index = None
    try:
        for lineno, tokens in _data_lines(path):
            message, indices = _parse_line(tokens, zero_based)
            if message is not None:
                return InputError(f"{where(path, lineno)}: {message}")
            if indices:
                max_index[lineno] = indices[-1]
                min_index = indices[0] if min_index is None else min(min_index, indices[0])
    except (OSError, EOFError) as exc2:
        return os_error(path, exc2)
    if n_features is not None and min_index is not None:
        one_based = zero_based is False or (zero_based == "auto" and min_index > 0)
        for lineno, top in max_index.items():
            if top - one_based >= n_features:
                return InputError(
                    f"{where(path, lineno)}: feature index {top} is beyond "
                    f"n_features={n_features}"
                    + (" (indices taken as 1-based)" if one_based else "")
                )
    # every line parses: not a line-level problem; keep scikit-learn's words
    return InputError(f"{where(path)}: {exc}")
