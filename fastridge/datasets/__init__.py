"""Small real data sets bundled with fastridge.

``a9a``
    The LIBSVM binary classification data set "a9a": the UCI Adult census data
    (Becker & Kohavi, 1996; UCI Machine Learning Repository, licensed CC BY 4.0),
    14 attributes discretised and one-hot encoded by J. Platt into 123 binary
    features (Platt, 1998), as distributed on the LIBSVM data-set page
    (Chang & Lin, LIBSVM: a library for support vector machines, ACM TIST 2011).
    Train: 32,561 rows, 451,592 nonzeros; test ("a9a.t"): 16,281 rows,
    225,731 nonzeros. Labels are +1 (income > 50K) / -1.

    J. C. Platt, "Fast training of support vector machines using sequential
    minimal optimization", in Advances in Kernel Methods - Support Vector
    Learning, MIT Press, 1998.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["load_a9a"]

_A9A_FILES = {"train": "a9a.svm.gz", "test": "a9a.t.svm.gz"}
_A9A_N_FEATURES = 123


def load_a9a(split="train", dtype=np.float64):
    """Load the bundled a9a data set (UCI Adult, one-hot encoded by LIBSVM).

    Parameters
    ----------
    split : {"train", "test"}, default="train"
        ``"train"`` gives a9a (32,561 rows), ``"test"`` gives a9a.t (16,281 rows).
        Both have 123 columns.
    dtype : numpy dtype, default=np.float64
        Floating dtype of the matrix values and of the labels.

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (n_samples, 123)
        Binary (0/1) features, sorted indices.
    y : ndarray of shape (n_samples,)
        Labels in {-1.0, +1.0}.
    """
    from sklearn.datasets import load_svmlight_file

    try:
        name = _A9A_FILES[split]
    except (KeyError, TypeError):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}") from None
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise ValueError(f"dtype must be a floating dtype, got {dtype}")

    resource = resources.files(__name__) / "data" / name
    with resources.as_file(resource) as path:
        X, y = load_svmlight_file(
            str(path), n_features=_A9A_N_FEATURES, dtype=dtype, zero_based=False
        )
    return X.tocsr(), np.ascontiguousarray(y, dtype=dtype)
