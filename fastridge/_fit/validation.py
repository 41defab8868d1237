"""Input validation and normalisation at the API boundary.

Everything a kernel could trip over is rejected here, before any work, with a
``ValueError`` or ``TypeError`` that names the problem.  Caller arrays are
never modified.  Copies are made only where stated:

* sparse formats other than CSR and CSC (COO, LIL, DOK, BSR, DIA) are converted
  to CSR: one copy of ``X``;
* integer, boolean or float16 data are converted to float64: one copy of
  ``data`` (the structure arrays are shared);
* ``indptr`` is cast to the dtype of ``indices`` when they differ (O(n)),
  after the structure check and only when its values fit; otherwise
  ``indices`` is widened to int64 (O(nnz));
* non-C-contiguous dense arrays are copied to C order;
* a sparse ``X`` with duplicate entries (the same ``(row, column)`` stored
  more than once; scipy's matrix is their exact sum) is replaced by a sorted,
  duplicate-free copy (:func:`fastridge._fit.duplicates.canonical_copy`) when
  it is validated for a fit: each value is the exact sum of its parts rounded
  once to float64, stored in the input's dtype when every sum is exact in it
  (float64 otherwise); integer and long-double parts are summed exactly
  before any cast.  Integers beyond 2^53 mark the matrix ``rounded``.
  Unsorted indices without duplicates and explicit zeros are not copied.  A
  prediction copies likewise only a matrix with duplicates
  (:func:`check_predict_X`: a product would sum the parts in order).
* ``np.memmap`` and read-only arrays are used as they are (views, no copy).
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from .. import _kernels as K
from .._io._sparse import coo_to_csr as _coo_to_csr
from .._io._sparse import inexact_in_float64
from .._kernels import _duplicates as D
from .compressed import Compressed
from .duplicates import canonical_copy, canonical_copy_exact, conversion_rounds

_STRUCTURE_MESSAGES = {
    K._validate.INDPTR_START_NOT_ZERO: "indptr[0] must be 0",
    K._validate.INDPTR_DECREASING: "indptr is not monotone (decreases after position {pos})",
    K._validate.INDPTR_END_MISMATCH: (
        "indptr[-1] does not match the number of stored entries (len(indices) and len(data))"
    ),
    K._validate.INDEX_OUT_OF_RANGE: "stored entry {pos} has an index outside [0, {n_minor})",
}

_FLOAT_TYPES = (np.float32, np.float64)


def _reject_complex(a, name: str) -> None:
    if np.iscomplexobj(a):
        raise TypeError(f"{name} is complex; fastridge supports real-valued data only")


def _check_finite(values: np.ndarray, name: str) -> None:
    if values.size == 0:
        return
    if values.dtype not in _FLOAT_TYPES:
        values = values.astype(np.float64)
    pos = K.first_non_finite(np.ascontiguousarray(values))
    if pos >= 0:
        bad = values.ravel()[pos]
        raise ValueError(f"{name} contains NaN or infinity ({bad} at flat position {pos})")


def check_X(X, *, name: str = "X", canonical: bool = True):
    """Validate ``X`` and return it as C-contiguous dense, CSR or CSC (no copy if possible).

    With ``canonical`` (every fit), a sparse ``X`` with duplicate entries is
    replaced by :func:`canonical_copy` (its exact sums, no duplicates), so that
    no solver and no certificate sees a duplicate.  A matrix without duplicates
    is not copied (unsorted indices and explicit zeros are fine).

    Returns
    -------
    X : ndarray or Compressed
        Dense: C-contiguous float32/float64.  Sparse: the CSR/CSC arrays with
        float32/float64 data and one integer type for ``indices``/``indptr``.
    """
    if getattr(type(X), "is_distributed", False) is True:
        return X  # validated block by block where it was built (fastridge.distributed)
    if sp.issparse(X):
        if X.dtype.kind == "c":
            raise TypeError(f"{name} is complex; fastridge supports real-valued data only")
        if X.format == "coo":
            X = _coo_to_csr(X)  # documented copy; duplicates kept (summed below)
        elif X.format not in ("csr", "csc"):
            X = X.tocsr()  # documented copy
        n, p = X.shape
        _check_shape(n, p, name)
        data, indices, indptr = X.data, X.indices, X.indptr
        if data.dtype.kind not in "fiub":
            raise TypeError(f"{name} has unsupported dtype {data.dtype}")
        if indices.dtype.kind not in "iu" or indptr.dtype.kind not in "iu":
            raise TypeError(f"{name} has non-integer indices or indptr")
        if indices.ndim != 1 or indptr.ndim != 1 or data.ndim != 1:
            raise ValueError(f"{name} has structure arrays that are not one-dimensional")
        n_major, n_minor = (n, p) if X.format == "csr" else (p, n)
        if indptr.shape[0] != n_major + 1:
            raise ValueError(
                f"{name} is malformed: indptr has length {indptr.shape[0]}, "
                f"expected {n_major + 1} for shape {X.shape} in {X.format.upper()} format"
            )
        indices, indptr = _index_arrays(indices, indptr)
        # Checked before any narrowing cast: a cast first would check wrapped values.
        code, pos = K.check_compressed_structure(indptr, indices, n_minor, data.shape[0])
        if code != K._validate.STRUCTURE_OK:
            msg = _STRUCTURE_MESSAGES[code].format(pos=pos, n_minor=n_minor)
            raise ValueError(f"{name} has a broken sparse structure: {msg}")
        indices, indptr = _common_index_dtype(indices, indptr)
        _check_finite(data, name)
        rounded = False
        if data.dtype not in _FLOAT_TYPES:
            if canonical and not X.has_canonical_format:
                if D.cs_has_duplicates(indptr, indices, n_minor):
                    # summed from the integers / long doubles themselves (casting
                    # each part to float64 first would round it before the sum)
                    raw = Compressed(X.format, (n, p), data, indices, indptr)
                    return canonical_copy_exact(raw, name)
            rounded = conversion_rounds(data)
            data = data.astype(np.float64)  # documented copy of data
        data = np.ascontiguousarray(data)
        Xv = Compressed(X.format, (n, p), data, indices, indptr, rounded)
        if canonical and not X.has_canonical_format:
            if D.cs_has_duplicates(indptr, indices, n_minor):
                Xv = canonical_copy(Xv, name)  # documented copy (duplicates only)
        return Xv
    if isinstance(X, np.memmap):
        X = X.view(np.ndarray)
    Xa = np.asarray(X)
    _reject_complex(Xa, name)
    if Xa.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric, got dtype {Xa.dtype}")
    if Xa.ndim != 2:
        raise ValueError(f"{name} must be 2-dimensional, got {Xa.ndim} dimension(s)")
    _check_shape(*Xa.shape, name)
    _refuse_inexact_conversion(Xa, name)
    if Xa.dtype not in _FLOAT_TYPES:
        Xa = Xa.astype(np.float64)
    Xa = np.ascontiguousarray(Xa)
    _check_finite(Xa, name)
    return Xa


def _index_arrays(indices: np.ndarray, indptr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``indices`` and ``indptr`` as C-contiguous int32 or int64, values unchanged.

    Other integer types are widened to int64 (a copy; never narrowed, so no
    value can wrap before the structure check).
    """
    out = []
    for a in (indices, indptr):
        if a.dtype != np.int32 and a.dtype != np.int64:
            a = a.astype(np.int64)
        out.append(np.ascontiguousarray(a))
    return out[0], out[1]


def _common_index_dtype(indices: np.ndarray, indptr: np.ndarray):
    """One integer type for both arrays of a *validated* structure (as the kernels need).

    ``indptr`` is cast to the type of ``indices`` (O(n)) when its largest
    value, ``indptr[-1] = nnz`` (monotone, checked), fits that type; otherwise
    ``indices`` is widened to int64 (O(nnz) copy), so no value ever wraps.
    """
    if indptr.dtype == indices.dtype:
        return indices, indptr
    if int(indptr[-1]) <= np.iinfo(indices.dtype).max:
        return indices, indptr.astype(indices.dtype)
    return indices.astype(np.int64), indptr.astype(np.int64)


def check_predict_X(X, *, name: str = "X"):
    """Check a sparse ``X`` before a product in ``predict``; return what to multiply.

    The same O(nnz) structure checks as :func:`check_X` (``indptr`` monotone
    from 0 to ``nnz``, every index in range), so that a corrupt matrix raises
    ``ValueError`` instead of crashing or reading outside its arrays in the
    product.  A matrix with duplicate entries is replaced by a scipy matrix
    built from :func:`canonical_copy` (each value the exact sum of its parts,
    as the fit saw it): scipy's product would add the parts one by one in
    order, which can lose everything (``1e20 + v - 1e20``).  Otherwise ``X``
    is returned unchanged; dense input is returned as is (``validate_data``
    checked it).
    """
    if not sp.issparse(X):
        return X
    if X.format == "coo":
        X = _coo_to_csr(X)
    if X.dtype not in _FLOAT_TYPES:
        # integers / long doubles: summed before any cast, as for a fit
        Xc = check_X(X, name=name)
        cls = sp.csr_matrix if Xc.format == "csr" else sp.csc_matrix
        return cls((Xc.data, Xc.indices, Xc.indptr), shape=Xc.shape)
    Xv = check_X(X, name=name, canonical=False)
    n_minor = Xv.shape[1] if Xv.format == "csr" else Xv.shape[0]
    if not X.has_canonical_format:
        if D.cs_has_duplicates(Xv.indptr, Xv.indices, n_minor):
            Xc = canonical_copy(Xv, name)
            cls = sp.csr_matrix if Xc.format == "csr" else sp.csc_matrix
            return cls((Xc.data, Xc.indices, Xc.indptr), shape=Xc.shape)
    return X


def _refuse_inexact_conversion(Xa: np.ndarray, name: str) -> None:
    """Refuse a dense ``X`` that float64 cannot hold exactly (integers beyond 2^53,
    long doubles with extra digits): the fit and its certificate would be of a
    rounded copy.  (A sparse ``X`` is marked ``rounded`` instead, which the
    certificates include; a dense one has no such mark.)"""
    inexact = inexact_in_float64(Xa) or (
        Xa.dtype.kind == "f" and Xa.dtype.itemsize > 8 and conversion_rounds(Xa)
    )
    if inexact:
        raise ValueError(
            f"{name} has values that float64 cannot hold exactly (integers beyond 2^53 "
            "or long doubles); convert it to float64 yourself if the rounding is acceptable"
        )


def validate_data(estimator, X="no_validation", y="no_validation", **kwargs):
    """scikit-learn's ``validate_data``, except that a COO ``X`` keeps its duplicates.

    scikit-learn converts COO to CSR with scipy's ``tocsr``, which sums
    duplicate entries in the data's dtype, part by part (``1e20 + v - 1e20``
    is 0); the certificate would then be for another matrix than the caller's.
    Here a COO ``X`` becomes a CSR with the same stored entries first
    (:func:`_coo_to_csr`), which scikit-learn passes through unchanged, and
    :func:`check_X` / :func:`check_predict_X` sum the duplicates exactly; a
    sparse ``X`` of integers (or long doubles) is converted by :func:`check_X`
    first, its duplicates summed in exact arithmetic.
    """
    from sklearn.utils.validation import validate_data as sk_validate_data

    if _is_dask_array(X):
        from ..distributed import from_dask_array

        X = from_dask_array(X)
    if getattr(type(X), "is_distributed", False) is True:
        return _validate_distributed(estimator, X, y, kwargs)
    if sp.issparse(X) and X.format == "coo":
        X = _coo_to_csr(X)
    if not sp.issparse(X) and not isinstance(X, str):
        dtype = getattr(X, "dtype", None)
        if dtype is not None and getattr(X, "ndim", 0) == 2 and dtype.kind in "iuf":
            _refuse_inexact_conversion(np.asarray(X), "X")
    if sp.issparse(X) and X.format in ("csr", "csc") and X.dtype not in _FLOAT_TYPES:
        # scikit-learn would cast each integer part to float64 before the sum
        Xv = check_X(X)
        cls = sp.csr_matrix if Xv.format == "csr" else sp.csc_matrix
        X = cls((Xv.data, Xv.indices, Xv.indptr), shape=Xv.shape)
    return sk_validate_data(estimator, X, y, **kwargs)


def _is_dask_array(X) -> bool:
    return type(X).__module__.startswith("dask.array") and hasattr(X, "map_blocks")


def _validate_distributed(estimator, X, y, kwargs):
    """:func:`validate_data` for a ``DistributedX``: its blocks were validated where
    they were built; ``n_features_in_`` is set (or checked) and ``y`` validated
    by scikit-learn (a dask ``y`` is computed to the client first)."""
    from sklearn.utils.validation import _check_y

    p = X.shape[1]
    if kwargs.get("reset", True):
        estimator.n_features_in_ = p
    elif getattr(estimator, "n_features_in_", p) != p:
        raise ValueError(
            f"X has {p} features, but {type(estimator).__name__} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    if isinstance(y, str) and y == "no_validation":
        return X
    if _is_dask_array(y):
        y = y.compute()
    y = _check_y(
        y, multi_output=kwargs.get("multi_output", False), y_numeric=kwargs.get("y_numeric", False)
    )
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    return X, y


def _check_shape(n: int, p: int, name: str) -> None:
    if n == 0 or p == 0:
        raise ValueError(f"{name} has shape ({n}, {p}): at least one row and one column needed")


def check_y(y, n: int) -> tuple[np.ndarray, bool]:
    """Return targets as float64 ``(n, k)`` and whether ``y`` was one-dimensional."""
    if sp.issparse(y):
        raise TypeError("y must be a dense array, got a sparse matrix")
    ya = np.asarray(y)
    _reject_complex(ya, "y")
    if ya.dtype.kind not in "fiub":
        raise TypeError(f"y must be numeric, got dtype {ya.dtype}")
    if ya.ndim not in (1, 2):
        raise ValueError(f"y must be 1- or 2-dimensional, got {ya.ndim} dimensions")
    if ya.shape[0] != n:
        raise ValueError(f"X has {n} rows but y has {ya.shape[0]} entries")
    if ya.ndim == 2 and ya.shape[1] == 0:
        raise ValueError("y has 0 targets")
    _check_finite(ya, "y")
    one_d = ya.ndim == 1
    Y = np.array(ya, dtype=np.float64, order="C", ndmin=2, copy=True)
    if one_d:
        Y = Y.reshape(n, 1)
    return Y, one_d


def check_sample_weight(sample_weight, n: int) -> np.ndarray | None:
    """Validate weights: None, a scalar or ``(n,)``; non-negative, finite, not all zero."""
    if sample_weight is None:
        return None
    if sp.issparse(sample_weight):
        raise TypeError("sample_weight must be dense")
    sw = np.asarray(sample_weight)
    _reject_complex(sw, "sample_weight")
    if sw.dtype.kind not in "fiub":
        raise TypeError(f"sample_weight must be numeric, got dtype {sw.dtype}")
    if sw.ndim == 0:
        sw = np.full(n, float(sw))
    if sw.ndim != 1 or sw.shape[0] != n:
        raise ValueError(f"sample_weight has shape {sw.shape}, expected ({n},)")
    _check_finite(sw, "sample_weight")
    sw = sw.astype(np.float64)
    if (sw < 0).any():
        raise ValueError(f"sample_weight has negative entries (first at {np.argmax(sw < 0)})")
    if not (sw > 0).any():
        raise ValueError("sample_weight is zero everywhere: nothing to fit")
    return sw


def _is_bool(value) -> bool:
    """Python or numpy bool (``True`` is an ``int`` and ``numbers.Real`` in Python)."""
    return isinstance(value, bool | np.bool_)


def check_flag(value, name: str) -> bool:
    """A boolean flag such as ``fit_intercept``: ``True``/``False`` (numpy bools too).

    Anything else (``"no"``, ``1``, ``None``) raises ``TypeError``: a truthy
    string would otherwise silently mean ``True``.
    """
    if not _is_bool(value):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_lam(lam, k: int) -> np.ndarray:
    """Penalties as float64 ``(k,)``: a positive finite scalar or one per target.

    Booleans are refused (``lam=True`` would otherwise mean 1).
    """
    if _is_bool(lam):
        raise TypeError(f"lam must be a number, got the bool {lam!r}")
    if isinstance(lam, numbers.Number) and not isinstance(lam, numbers.Real):
        raise TypeError(f"lam must be real, got {lam!r}")
    la = np.asarray(lam)
    _reject_complex(la, "lam")
    if la.dtype.kind == "b":
        raise TypeError(f"lam must be numbers, got booleans {lam!r}")
    if la.dtype.kind not in "fiu":
        raise TypeError(f"lam must be numeric, got {lam!r}")
    la = la.astype(np.float64)
    if la.ndim == 0:
        la = np.full(k, float(la))
    if la.ndim != 1 or la.shape[0] != k:
        raise ValueError(f"lam has shape {la.shape}; expected a scalar or ({k},), one per target")
    if np.isnan(la).any():
        raise ValueError("lam is NaN")
    if (la < 0).any():
        raise ValueError(f"lam must be positive, got {la[la < 0][0]}")
    if (la == 0).any():
        raise ValueError(
            "lam must be positive: at lam = 0 the objective is not strongly convex and "
            "no certificate of accuracy exists; use a small positive lam"
        )
    if not np.isfinite(la).all():
        raise ValueError("lam must be finite")
    return la


def check_tol(tol) -> float:
    """``tol`` as a positive finite float; booleans are refused (``True`` is not 1e-0)."""
    if _is_bool(tol):
        raise TypeError(f"tol must be a number, got the bool {tol!r}")
    if not isinstance(tol, numbers.Real) or not (tol > 0) or not np.isfinite(tol):
        raise ValueError(f"tol must be a positive finite number, got {tol!r}")
    return float(tol)


def check_max_iter(max_iter, default: int) -> int:
    if max_iter is None:
        return default
    if isinstance(max_iter, bool) or not isinstance(max_iter, numbers.Integral) or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer or None, got {max_iter!r}")
    return int(max_iter)


def check_coef_init(coef_init, p: int, k: int) -> np.ndarray:
    """Warm start as float64 ``(p, k)`` (zeros when None)."""
    if coef_init is None:
        return np.zeros((p, k))
    c = np.asarray(coef_init, dtype=np.float64)
    if c.ndim == 1 and k == 1 and c.shape[0] == p:
        W0 = c.reshape(p, 1).copy()
    elif c.ndim == 2 and c.shape == (k, p):
        W0 = np.ascontiguousarray(c.T)
    else:
        raise ValueError(f"coef_init has shape {c.shape}; expected ({p},) or ({k}, {p})")
    if not np.isfinite(W0).all():
        raise ValueError("coef_init contains NaN or infinity")
    return W0
