"""The distributed design matrix: row blocks held on Dask workers, and how a pass runs.

:class:`DistributedX` is what the fit functions receive instead of a scipy
matrix.  It holds one future per row block (validated CSR, or dense rows) and
the recipe to rebuild each block (:class:`BlockSource`): load it again from
its shard on a worker, or scatter it again from the client's copy.  A pass
(:meth:`DistributedX.run`) submits one task per block and the fixed-order tree
that adds their partial results (:func:`~.reduce.tree_reduce`), then waits
once: one scheduler round trip.  When a worker dies during a pass, the blocks
it held are rebuilt from their sources and the pass is run again; the solver
state lives on the client, so the fit goes on with the same numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np

from . import tasks
from .reduce import concat_rows, tree_reduce

# Passes retried after losing blocks to a dead worker, before giving up: a
# pass is rerun only when a block was lost, and losing blocks this many times
# in a row means the cluster is failing faster than it can be used.
MAX_RECOVERIES = 5


class ShardError(ValueError):
    """A shard is missing, unreadable or corrupt, or its worker failed on it (one line)."""


@dataclass
class BlockSource:
    """How to (re)build one block: ``load`` (a worker task), ``data`` (the client's copy)."""

    name: str  #: the shard's path, or ``rows a:b`` of a client matrix
    load: tuple | None = None  #: ``(function, args)`` run on a worker
    data: object = None  #: the block itself, kept on the client for re-scattering
    delayed: object = None  #: a dask ``Delayed`` computing the block (dask array chunks)


@dataclass
class DistributedX:
    """``X`` (n x p) as row blocks on the workers of ``client``.

    Built by :func:`fastridge.distributed.scatter`,
    :func:`~fastridge.distributed.from_dask_array` or
    :func:`~fastridge.distributed.from_shards`; pass it as ``X`` to
    :func:`fastridge.ridge`, :func:`fastridge.logistic`, the paths, and the
    estimators' ``fit``.  Block ``b`` holds rows
    ``row_offsets[b]:row_offsets[b + 1]``.
    """

    client: object
    blocks: list
    sources: list
    row_offsets: np.ndarray
    p: int
    dtype: np.dtype
    nnz: int
    rounded: bool = False
    recoveries: int = field(default=0)  #: blocks rebuilt so far (faults survived)
    _row_nnz_sq: float | None = field(default=None, repr=False)
    format = "csr"  # for code that asks for a sparse X's format: rows are what it reads
    is_distributed = True  # recognised by fastridge._fit.distributed without importing dask

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.row_offsets[-1]), int(self.p))

    @property
    def n_blocks(self) -> int:
        return len(self.blocks)

    def split(self, u):
        """The block slices of ``u`` (n,) or (n, k) (views); None stays None."""
        if u is None:
            return [None] * self.n_blocks
        u = np.asarray(u)
        o = self.row_offsets
        return [u[o[b] : o[b + 1]] for b in range(self.n_blocks)]

    # ------------------------------------------------------------------
    # running passes
    # ------------------------------------------------------------------
    def run(self, fn, rows=(), args=(), *, reduce="sum"):
        """One pass: ``fn(block_b, *rows_b, *args)`` on every block, then combined.

        ``rows`` are n-sized arrays (or None) split by block; ``args`` go to
        every task as they are.  ``reduce``: ``"sum"`` returns the tree sum of
        the results, ``"rows"`` their row concatenation, ``"list"`` the list, ``"both"`` (results
        ``(summable, rows)``) the pair ``(sum, concatenation)``.
        """
        split = [self.split(r) for r in rows]
        for _attempt in range(MAX_RECOVERIES + 1):
            try:
                return self._run_once(fn, split, args, reduce)
            except Exception as exc:
                if not self._recover(exc):
                    raise
        raise ShardError(
            f"the cluster lost blocks {MAX_RECOVERIES + 1} times in a row during one pass; "
            "giving up (are workers running out of memory? see the worker logs)"
        )

    def _run_once(self, fn, split, args, reduce):
        c = self.client
        tag = uuid.uuid4().hex[:8]
        futs = [
            c.submit(
                fn,
                blk,
                *[s[b] for s in split],
                *args,
                key=f"fastridge-{getattr(fn, '__name__', 'task')}-{tag}-b{b}",
                pure=False,
            )
            for b, blk in enumerate(self.blocks)
        ]
        try:
            if reduce == "sum":
                return tree_reduce(c, futs).result()
            if reduce == "rows":
                return concat_rows(c.gather(futs))
            if reduce == "list":
                return c.gather(futs)
            sums = [c.submit(tasks.first, f, pure=False) for f in futs]
            parts = [c.submit(tasks.second, f, pure=False) for f in futs]
            got = c.gather([tree_reduce(c, sums), *parts])
            return got[0], concat_rows(got[1:])
        except Exception as exc:
            raise _name_block(exc, self.sources) from exc

    def _recover(self, exc) -> bool:
        """Rebuild the blocks that are no longer held; whether any was (then rerun the pass)."""
        lost = [b for b, f in enumerate(self.blocks) if f.status != "finished"]
        if not lost:
            return False
        for b in lost:
            src = self.sources[b]
            if src.data is not None:
                self.blocks[b] = self.client.scatter(src.data, hash=False)
            elif src.delayed is not None:
                self.blocks[b] = self.client.compute(src.delayed)
            else:
                fn, fargs = src.load
                self.blocks[b] = self.client.submit(fn, *fargs, pure=False)
        self.recoveries += len(lost)
        return True

    def row_nnz_sq_sum(self) -> float:
        """``sum_i nnz_i^2`` (the cost of the rows' outer products), one pass over the indptrs."""
        if self._row_nnz_sq is None:
            self._row_nnz_sq = float(sum(self.run(tasks.row_nnz_sq_sum, reduce="list")))
        return self._row_nnz_sq

    def max_abs(self) -> float:
        """``max |X_ij|`` over every block (one pass)."""
        return max(self.run(tasks.max_abs, reduce="list"), default=0.0)

    def block_info(self) -> list[tuple[int, int]]:
        """``(rows, stored entries)`` of every block (waits until all are loaded)."""
        return self.run(tasks.info, reduce="list")

    def __repr__(self) -> str:
        n, p = self.shape
        return (
            f"DistributedX(shape=({n}, {p}), dtype={np.dtype(self.dtype).name}, "
            f"nnz={self.nnz}, blocks={self.n_blocks})"
        )


def _name_block(exc, sources):
    """The exception, or a :class:`ShardError` naming the shard whose task failed on a worker."""
    key = getattr(exc, "task", None) or getattr(exc, "key", None)
    text = str(exc)
    for b, src in enumerate(sources):
        if (key is not None and str(key).endswith(f"-b{b}")) or f"-b{b}'" in text:
            kind = type(exc).__name__
            return ShardError(f"{src.name}: the worker failed on this block ({kind}: {text})")
    return exc
