"""The layout of a fastridge CSR folder, and a CSR matrix over given arrays without a copy.

A folder holds ``data.npy``, ``indices.npy``, ``indptr.npy`` (and ``y.npy``)
and ``header.json``; written by :mod:`._folder_write`, read by :mod:`._folder`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

FORMAT_NAME = "fastridge-csr"
# Bump when the layout changes; readers refuse versions newer than they know.
FORMAT_VERSION = 1
HEADER = "header.json"
ARRAY_FILES = ("data.npy", "indices.npy", "indptr.npy")
Y_FILE = "y.npy"
INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


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
