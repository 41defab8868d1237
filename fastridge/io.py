"""Reading and writing fastridge's inputs: matrix files, targets, CSR folders.

Formats (chosen by the file name, see :func:`detect_format`):

* svmlight / libsvm text ``.svm``, ``.svmlight``, ``.libsvm``, ``.txt``, each
  also ``.gz`` / ``.bz2``: scikit-learn's reader; CSR plus float64 labels;
* ``.npz`` written by :func:`scipy.sparse.save_npz`: CSR or CSC as stored;
* MatrixMarket ``.mtx`` (also ``.gz`` / ``.bz2``): :func:`scipy.io.mmread`, CSR;
* ``.npy``: a dense array, memory-mapped read-only;
* a CSR folder (``data.npy``, ``indices.npy``, ``indptr.npy``, optional
  ``y.npy`` and ``header.json``), memory-mapped without copying: a fit pages
  the matrix in from disk instead of loading it.  :func:`convert` writes one
  from any other format.

Every problem a user can cause (missing file, unknown extension, malformed
line, NaN or inf, targets that do not fit, unknown CSV column, ...) raises
:class:`InputError`, a ``ValueError`` whose one-line message names the file and
the line (1-based, text files) or the field; rows and columns of arrays are
0-based positions.

Examples
--------
>>> from fastridge.io import convert, read_matrix, read_targets
>>> X, labels = read_matrix("train.svm.gz")  # doctest: +SKIP
>>> convert("train.svm.gz", "train.csr")  # doctest: +SKIP
>>> X, y = read_matrix("train.csr")  # memory-mapped  # doctest: +SKIP
>>> y = read_targets("ratings.csv:food,service", X.shape[0])  # doctest: +SKIP
"""

from __future__ import annotations

from ._io._common import InputError
from ._io._convert import convert
from ._io._folder import file_checksum, read_csr_folder, write_csr_folder
from ._io._formats import FORMATS, detect_format, read_matrix, read_matrix_reading
from ._io._svmlight import LONE_ZERO_FRACTION, ZeroBasedWarning
from ._io._targets import read_targets

__all__ = [
    "FORMATS",
    "LONE_ZERO_FRACTION",
    "InputError",
    "ZeroBasedWarning",
    "convert",
    "detect_format",
    "file_checksum",
    "read_csr_folder",
    "read_matrix",
    "read_matrix_reading",
    "read_targets",
    "write_csr_folder",
]
