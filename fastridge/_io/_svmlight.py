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

# scikit-learn stores a feature index in a C ``int``; larger ones overflow.
_MAX_INDEX = 2**31 - 1


def read_svmlight(path, *, dtype=None, n_features=None, zero_based="auto"):
    """Read an svmlight file (plain, ``.gz``, ``.bz2``) as ``(CSR, labels)``.

    Parameters
    ----------
    path : str or path-like
        The file; compression is chosen by its name.
    dtype : numpy dtype or None
        float32 parses the values straight into float32 (no extra copy);
        None means float64.
    n_features : int or None
        Number of columns; None takes the largest index in the file.  Give it
        so that a training and a test file get the same width.
    zero_based : bool or "auto"
        Whether indices in the file start at 0; "auto" (scikit-learn's rule)
        takes them as 1-based unless some index is 0.

    Returns
    -------
    X : scipy.sparse.csr_matrix
    y : ndarray of float64, shape (n,)
    """
    from sklearn.datasets import load_svmlight_file  # ~1 s import: only when needed

    try:
        with open_binary(path) as f:
            X, y = load_svmlight_file(
                f,
                dtype=np.float64 if dtype is None else dtype,
                n_features=n_features,
                zero_based=zero_based,
            )
    except (OSError, EOFError) as exc:
        raise os_error(path, exc) from None
    except (ValueError, OverflowError) as exc:
        raise _locate_error(path, exc, n_features, zero_based) from None
    X = sp.csr_matrix(X)  # scikit-learn may hand back a csr_array: same arrays
    y = np.asarray(y, dtype=np.float64)
    if X.shape[0] == 0:
        raise InputError(f"{where(path)}: no data lines")
    _check_finite(path, X, y)
    return X, y


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
        return f"label '{_text(label)}' is not a number", []
    features = tokens[1:]
    if features and features[0].startswith(b"qid"):
        if b":" not in features[0]:
            return f"malformed query id '{_text(features[0])}' (expected qid:value)", []
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
            return f"malformed feature '{_text(token)}' (expected index:value)", []
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
