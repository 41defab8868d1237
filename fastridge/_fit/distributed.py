"""Recognising a distributed ``X`` at the API boundary, without importing Dask.

A :class:`fastridge.distributed.DistributedX` is validated block by block where
it is built; the fit functions take it as it is and swap the default
operators for the distributed ones (:func:`operator_types`).  Everything
else in the fit layer is unchanged.
"""

from __future__ import annotations

from .._operators.design import DesignOperator
from .._operators.softmax import SoftmaxOperator


def is_distributed(X) -> bool:
    """Whether ``X`` is a :class:`fastridge.distributed.DistributedX`."""
    return getattr(type(X), "is_distributed", False) is True


def operator_types(X, operator_type=DesignOperator, softmax_type=SoftmaxOperator):
    """``(operator_type, softmax_type)`` for ``X``.

    For a distributed ``X`` the Dask operators replace the defaults.
    """
    if not is_distributed(X):
        return operator_type, softmax_type
    from ..distributed import DaskDesignOperator, DaskSoftmaxOperator

    if operator_type is DesignOperator:
        operator_type = DaskDesignOperator
    if softmax_type is SoftmaxOperator:
        softmax_type = DaskSoftmaxOperator
    return operator_type, softmax_type


def refuse_column_solver(X, solver: str) -> None:
    """A one-line error for a solver that needs column access (or sequential row updates)
    on a distributed ``X``."""
    if is_distributed(X) and solver == "dual-cd":
        raise ValueError(
            "solver 'dual-cd' updates w after every row, which a distributed X (row blocks "
            "on Dask workers) cannot do; use solver='newton-cg' or 'auto'"
        )
    if is_distributed(X) and solver == "cd":
        from ..distributed.operator import _NO_COLUMNS

        raise ValueError(_NO_COLUMNS)


def split_view(X):
    """What a scikit-learn splitter may index for ``X``: an (n, 0) stand-in for a distributed one.

    Splitters use ``X`` only for its number of rows (and ``y``, ``groups``
    for their labels); the folds become zero weights on the blocks.
    """
    if is_distributed(X):
        import numpy as np

        return np.empty((X.shape[0], 0))
    return X
