"""Any readable format to a memory-mapped CSR folder."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._folder_layout import csr_no_copy
from ._folder_write import write_csr_folder
from ._formats import read_matrix
from ._targets import read_targets

# int32 indices halve the index bytes a fit streams per pass (docs/architecture.md,
# "5. Performance model");
# usable while every index and nnz fit below this bound.
_INT32_LIMIT = np.iinfo(np.int32).max


def convert(
    src,
    dst_folder,
    *,
    targets=None,
    dtype=None,
    overwrite: bool = False,
    format: str | None = None,
    n_features: int | None = None,
    zero_based: bool | str = "auto",
    verify: bool = False,
) -> dict:
    """Convert any readable matrix file into a memory-mapped CSR folder.

    Parameters
    ----------
    src : str or path-like
        Any input :func:`read_matrix` reads (svmlight, ``.npz``, ``.mtx``,
        ``.npy``, a CSR folder).
    dst_folder : str or path-like
        The folder to write (atomically, see :func:`write_csr_folder`).
    targets : str, optional
        A :func:`read_targets` spec stored as ``y.npy``; by default the
        labels of an svmlight source (or a CSR folder's ``y``), and no ``y``
        for formats without labels.
    dtype : {None, "float32", "float64"}
        Type of the stored values; None keeps the source's.
    overwrite : bool, default False
        Replace an existing CSR folder (see :func:`write_csr_folder`).
    format, n_features, zero_based, verify
        Passed to :func:`read_matrix`.

    Returns
    -------
    dict
        The header written.

    Notes
    -----
    The matrix is held in memory once (CSC, COO and dense sources are
    converted to CSR: a copy).  Indices are stored as int32 when nnz and the
    number of columns allow it (scikit-learn's svmlight reader gives int64),
    otherwise int64; values are unchanged.
    """
    X, labels = read_matrix(
        src,
        dtype=dtype,
        format=format,
        n_features=n_features,
        zero_based=zero_based,
        verify=verify,
    )
    y = read_targets(targets, X.shape[0], labels=labels) if targets is not None else labels
    if not sp.issparse(X):
        X = sp.csr_matrix(np.asarray(X))  # dense to CSR: a copy
    elif X.format != "csr":
        X = sp.csr_matrix(X.tocsr())  # CSC to CSR: a copy
    if X.indices.dtype != np.int32 and max(X.nnz, X.shape[1]) <= _INT32_LIMIT:
        X = csr_no_copy(X.data, X.indices.astype(np.int32), X.indptr.astype(np.int32), X.shape)
    return write_csr_folder(X, dst_folder, y=y, overwrite=overwrite)
