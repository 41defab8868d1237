"""Distributed fitting on Dask: the same certified solvers on row blocks spread over a cluster.

Build a :class:`DistributedX` and pass it as ``X`` to :func:`fastridge.ridge`,
:func:`fastridge.logistic`, :func:`fastridge.ridge_path`,
:func:`fastridge.logistic_path` or an estimator's ``fit``::

    from distributed import Client
    import fastridge
    from fastridge.distributed import scatter, from_shards

    client = Client("tcp://scheduler:8786")
    dX = scatter(X, client)  # a scipy matrix on the client
    dX, y = from_shards(paths, client)  # or shards the workers read
    result = fastridge.ridge(dX, y, 1.0)  # same call, same certificate

The products run on the workers (one task per row block, a fixed-order tree
reduction); the solver runs on the client.  See docs/distributed.md.
Requires the ``dask`` extra (``pip install ".[dask]"``).
"""

from __future__ import annotations

from dask.sizeof import sizeof as _sizeof

from .._fit.compressed import register_dask_sizeof
from .handle import DistributedX, ShardError
from .inputs import from_dask_array, from_shards, scatter
from .operator import DaskDesignOperator
from .softmax import DaskSoftmaxOperator

register_dask_sizeof(_sizeof)  # on workers: when fastridge/_fit/compressed.py is imported

__all__ = [
    "DaskDesignOperator",
    "DaskSoftmaxOperator",
    "DistributedX",
    "ShardError",
    "from_dask_array",
    "from_shards",
    "scatter",
]
