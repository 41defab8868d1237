"""The validated sparse matrix: CSR or CSC as its three arrays (no scipy object)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Compressed:
    """A validated CSR or CSC matrix as its three arrays (shared with the caller's).

    ``rounded`` marks a :func:`canonical_copy` some of whose values are the
    float64 nearest to the exact sum of duplicates rather than that sum: the
    caller's matrix is then ``X + E`` with ``|E_ij| <= u |X_ij|``
    (``u = 2^-53``), which the certificates include.
    """

    format: str  # "csr" or "csc"
    shape: tuple[int, int]
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    rounded: bool = False

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def nnz(self) -> int:
        return int(self.indptr[-1])


def compressed_nbytes(block: Compressed) -> int:
    """Bytes of the block's three arrays."""
    return int(block.data.nbytes + block.indices.nbytes + block.indptr.nbytes)


def register_dask_sizeof(sizeof) -> None:
    """Size a :class:`Compressed` by its arrays in Dask's ``sizeof`` dispatch.

    Dask sizes objects it does not know by ``sys.getsizeof``: 56 bytes for a
    block of any size.  Its scheduler then places a block task where the
    task's other inputs are (a 0.8 MB slice of the weights outweighs a
    "56-byte" block) and copies the block there, and the workers' memory
    limits miss the blocks.  Called by :mod:`fastridge.distributed` on import
    (the client) and below when this module is imported in a process that
    already has ``dask.sizeof`` (a worker unpickling its first block).  Not a
    ``dask.sizeof`` entry point: Dask loads those in every process that
    imports it, and this one would import fastridge and Numba (0.7 s) into
    every Dask process of a machine where fastridge is installed.
    """
    sizeof.register(Compressed)(compressed_nbytes)


if "dask.sizeof" in sys.modules:  # a Dask process (a worker): see register_dask_sizeof
    register_dask_sizeof(sys.modules["dask.sizeof"].sizeof)
