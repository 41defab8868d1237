"""How many bytes a row block holds, for Dask's memory accounting and task placement.

Dask sizes objects it does not know by ``sys.getsizeof``: 56 bytes for a
:class:`~fastridge._fit.compressed.Compressed` block of any size.  The
scheduler then places a block task where its other inputs are (a 0.8 MB
slice of the weights outweighs a "56-byte" block) and copies the block
there, and the workers' memory limits miss the blocks.  :func:`register` adds
the block's arrays' bytes to ``dask.sizeof``; it is called on import of
:mod:`fastridge.distributed` and through the ``dask.sizeof`` entry point in
``pyproject.toml``, which Dask loads in every process (workers included)
that imports ``dask.sizeof``.
"""

from __future__ import annotations

from .._fit.compressed import Compressed


def compressed_nbytes(block: Compressed) -> int:
    """Bytes of the block's three arrays."""
    return int(block.data.nbytes + block.indices.nbytes + block.indptr.nbytes)


def register(sizeof) -> None:
    """Register :func:`compressed_nbytes` for ``Compressed`` with Dask's ``sizeof`` dispatch."""
    sizeof.register(Compressed)(compressed_nbytes)
