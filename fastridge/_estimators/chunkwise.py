"""Predictions on distributed inputs: dask arrays chunk by chunk, ``DistributedX`` by block.

:func:`rowwise` wraps an estimator method ``f(self, X)`` whose result has one
row per row of ``X`` (``predict``, ``decision_function``, ``predict_proba``,
...): on a dask array it returns a dask array with ``X``'s row chunks
(``map_blocks``: each chunk is predicted where it lives, nothing is computed
until the caller asks), on a :class:`fastridge.distributed.DistributedX` the
rows computed on the workers block by block and gathered (an ndarray), and
otherwise what ``f`` returns.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

from .._fit.distributed import is_distributed


def is_dask_array(X) -> bool:
    """Whether ``X`` is a ``dask.array.Array`` (without importing dask)."""
    return type(X).__module__.startswith("dask.array") and hasattr(X, "map_blocks")


def _apply(block, est, name):
    """``getattr(est, name)(block)`` on one block (runs on a worker)."""
    if not isinstance(block, np.ndarray):
        block = sp.csr_matrix((block.data, block.indices, block.indptr), shape=block.shape)
    return getattr(est, name)(block)


def rowwise(method):
    """``method(self, X)``, also on dask arrays (by chunk) and ``DistributedX`` (by block)."""
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self, X):
        if is_distributed(X):
            return X.run(_apply, args=(self, name), reduce="rows")
        if is_dask_array(X):
            return _map_chunks(self, method, X)
        return method(self, X)

    return wrapper


def _map_chunks(est, method, X):
    if X.ndim != 2 or len(X.chunks[1]) != 1:
        raise ValueError("X must be a 2-D dask array chunked along rows only (one column chunk)")
    # The output's shape and dtype from one empty-valued row (cheap, on the client).
    probe = method(est, sp.csr_matrix((1, X.shape[1]), dtype=X.dtype))
    f = functools.partial(_chunk, est, method)
    meta = np.empty((0,) * probe.ndim, dtype=probe.dtype)
    if probe.ndim == 1:
        return X.map_blocks(f, dtype=probe.dtype, drop_axis=1, meta=meta)
    return X.map_blocks(f, dtype=probe.dtype, chunks=(X.chunks[0], (probe.shape[1],)), meta=meta)


def _chunk(est, method, chunk):
    return method(est, chunk)
