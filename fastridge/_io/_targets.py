"""Targets: the svmlight labels, a ``.npy`` file or columns of a CSV file."""

from __future__ import annotations

import csv
import io
import os

import numpy as np

from ._common import (
    InputError,
    check_finite_dense,
    open_binary,
    os_error,
    require_exists,
    where,
)

# CSV targets, plain or compressed (decompressed by name, like svmlight files).
_CSV_EXT = (".csv", ".csv.gz", ".csv.bz2")


def read_targets(spec, n: int, *, labels=None) -> np.ndarray:
    """Read the targets named by ``spec`` and check they fit ``n`` rows.

    Parameters
    ----------
    spec : str, path-like or None
        * None: ``labels`` (the labels of an svmlight file);
        * ``"y.npy"``: a 1-D or 2-D numeric array;
        * ``"y.csv:price"``: one column of a CSV file with a header row;
          ``"y.csv:food,service"`` several (multi-target); ``"y.csv"`` alone
          when the file has a single column.  Values are parsed as floats;
          blank lines are skipped.  ``.csv.gz`` and ``.csv.bz2`` are
          decompressed.
    n : int
        The number of rows of X.
    labels : ndarray, optional
        The labels read with X, used when ``spec`` is None.

    Returns
    -------
    ndarray of float64, shape (n,) or (n, k)
        (n,) for labels, one CSV column or a 1-D ``.npy``.

    Raises
    ------
    InputError
        No targets at all, a missing file, an unknown column (the message lists
        the columns), a value that is not a number (with its line), NaN/inf
        (with its line or row), or a length other than ``n`` (both numbers).
    """
    if spec is None:
        if labels is None:
            raise InputError(
                "targets: none given, and the matrix file has no labels "
                "(give a .npy file or 'file.csv:COLUMN')"
            )
        y = np.asarray(labels, dtype=np.float64)
        check_finite_dense(y, "targets (labels)", "y")
        source = "the labels"
    else:
        text = os.fspath(spec)
        path, columns = _split_spec(text)
        require_exists(path)
        if path.lower().endswith(".npy"):
            y = _read_npy(path)
        else:
            y = _read_csv(path, columns)
        source = where(path)
    if y.shape[0] != n:
        raise InputError(f"{source}: {y.shape[0]} target rows, but X has {n} rows")
    return y


def _split_spec(text: str) -> tuple[str, list[str] | None]:
    lower = text.lower()
    if lower.endswith(".npy") or lower.endswith(_CSV_EXT):
        return text, None
    head, colon, tail = text.rpartition(":")
    if colon and head.lower().endswith(_CSV_EXT):
        columns = [c.strip() for c in tail.split(",")]
        if not all(columns):
            raise InputError(f"{head}: empty column name in {text!r}")
        return head, columns
    raise InputError(f"targets {text!r}: expected FILE.npy, FILE.csv:COLUMN or FILE.csv:COL1,COL2")


def _read_npy(path: str) -> np.ndarray:
    try:
        y = np.load(path, allow_pickle=False)
    except (OSError, EOFError) as exc:
        raise os_error(path, exc) from None
    except ValueError as exc:
        raise InputError(f"{where(path)}: not a valid .npy file ({exc})") from None
    if y.ndim not in (1, 2) or y.dtype.kind not in "fiub":
        raise InputError(
            f"{where(path)}: holds {y.dtype} of shape {y.shape}, expected a 1-D or 2-D "
            "numeric array"
        )
    y = y.astype(np.float64)
    check_finite_dense(y, where(path), "targets")
    return y


def _read_csv(path: str, columns: list[str] | None) -> np.ndarray:
    try:
        with io.TextIOWrapper(open_binary(path), newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next((row for row in reader if row), None)
            if header is None:
                raise InputError(f"{where(path)}: empty file (a header row is needed)")
            header = [h.strip() for h in header]
            positions = _column_positions(path, header, columns)
            names = [header[i] for i in positions]
            values = []
            for row in reader:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                line = reader.line_num
                if len(row) <= max(positions):
                    raise InputError(
                        f"{where(path, line)}: {len(row)} fields, column "
                        f"'{header[max(positions)]}' is field {max(positions) + 1}"
                    )
                values.append([_number(path, line, row[i], h) for i, h in zip(positions, names)])
    except UnicodeDecodeError as exc:
        raise InputError(f"{where(path)}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise InputError(f"{where(path, reader.line_num)}: {exc}") from None
    except OSError as exc:
        raise os_error(path, exc) from None
    y = np.array(values, dtype=np.float64).reshape(len(values), len(positions))
    return y[:, 0] if len(positions) == 1 else y


def _column_positions(path: str, header: list[str], columns: list[str] | None) -> list[int]:
    listing = ", ".join(header)
    if columns is None:
        if len(header) != 1:
            raise InputError(
                f"{where(path)}: name the target column(s) as {path}:COLUMN (columns: {listing})"
            )
        return [0]
    positions = []
    for name in columns:
        hits = [i for i, h in enumerate(header) if h == name]
        if not hits:
            raise InputError(f"{where(path)}: column '{name}' not found (columns: {listing})")
        if len(hits) > 1:
            raise InputError(f"{where(path)}: column '{name}' appears {len(hits)} times")
        positions.append(hits[0])
    return positions


def _number(path: str, line: int, text: str, column: str) -> float:
    try:
        value = float(text)
    except ValueError:
        what = "empty" if not text.strip() else f"'{text}' is not a number"
        raise InputError(f"{where(path, line)}: column '{column}': {what}") from None
    if not np.isfinite(value):
        raise InputError(f"{where(path, line)}: column '{column}': value is {value}")
    return value
