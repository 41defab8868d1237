"""SHA-256 checksums of files and of folders' contents."""

from __future__ import annotations

import hashlib
import os

from ._common import HASH_BLOCK, os_error


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
