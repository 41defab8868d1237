"""The distributed design matrix: row blocks held on Dask workers, and how a pass runs.

:class:`DistributedX` is what the fit functions receive instead of a scipy
matrix.  It holds one future per row block (validated CSR, or dense rows) and
the recipe to rebuild each block (:class:`BlockSource`): load it again from
its shard on a worker, or scatter it again from the client's copy.  A pass
(:meth:`DistributedX.run`) submits one task per block and the fixed-order tree
that adds their partial results (:func:`~.reduce.tree_reduce`; the client adds
the top two), then waits once: one scheduler round trip.  When a worker dies
during a pass, the blocks it held are rebuilt from their sources and the
pass is run again; the solver state lives on the client, so the fit goes on
with the same numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import numpy as np

from . import tasks
from .reduce import CLIENT_FANIN, concat_rows, finish_tree, tree_reduce

# Passes retried after losing blocks to a dead worker, before giving up: a
# pass is rerun only when a block was lost, and losing blocks this many times
# in a row means the cluster is failing faster than it can be used.
MAX_RECOVERIES = 5
# A large argument (the iterate of a large-p problem) is broadcast to the
# workers once per pass (a client round trip, then W copies sent directly)
# when sending it with each of the B tasks through the scheduler (2 B copies)
# would move more than this many bytes.  Measured on case A (p = 100,000, a
# LocalCluster of 2 workers): with 2 blocks (1.6 MB) the copies beat the round
# trip by 4-8 ms a pass, with 4 blocks (3.2 MB) the broadcast wins by 6 ms.
BROADCAST_BYTES = 2 * 1024 * 1024
# Seconds to wait for a worker to (re)join before rebuilding lost blocks; a
# nanny restarts a dead worker in a few seconds on a loaded machine.
RESTART_TIMEOUT = 120


class ShardError(ValueError):
    """A shard is missing, unreadable or corrupt, or its worker failed on it (one line)."""


@dataclass
class BlockSource:
    """How to (re)build one block: ``load`` (a worker task), ``data`` (the client's copy)."""

    name: str  #: the shard's path, or ``rows a:b`` of a client matrix
    load: tuple | None = None  #: ``(function, args)`` run on a worker
    data: object = None  #: the block itself, kept on the client for re-scattering
    delayed: object = None  #: a dask ``Delayed`` computing the block (dask array chunks)


class RowVector:
    """An n-vector (or (n, k) array) kept on the workers in the blocks' row slices.

    Made once (:meth:`DistributedX.keep`) for a vector that many passes read,
    such as the sample weights or the Newton weights ``d`` of a Hessian: the
    passes then send futures instead of the values, so a CG iteration moves
    only p-vectors.  The client keeps the slices (views) to scatter them again
    when a worker holding one dies.
    """

    def __init__(self, dX, values):
        self.values = np.asarray(values)
        self.slices = dX.split(self.values)
        self.futures = list(dX.client.scatter(self.slices, hash=False))

    def restore(self, client) -> bool:
        """Scatter again the slices whose future was lost; whether any was."""
        lost = [b for b, f in enumerate(self.futures) if f.status != "finished"]
        for b in lost:
            self.futures[b] = client.scatter(self.slices[b], hash=False)
        return bool(lost)


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
    #: how svmlight shards were read (``zero_based``, ``n_features``), for the model
    reading: dict | None = None
    format = "csr"  # for code that asks for a sparse X's format: rows are what it reads
    is_distributed = True  # recognised by fastridge._fit.distributed without importing dask

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.row_offsets[-1]), int(self.p))

    @property
    def n_blocks(self) -> int:
        return len(self.blocks)

    def keep(self, u) -> RowVector | None:
        """``u`` (n,) or (n, k) scattered once in block slices (None stays None)."""
        return None if u is None else RowVector(self, u)

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

        ``rows`` are n-sized arrays (or None) split by block, or
        :class:`RowVector` already on the workers; ``args`` go to every task
        as they are.  ``reduce``: ``"sum"`` returns the tree sum of the
        results, ``"rows"`` their row concatenation, ``"list"`` the list,
        ``"both"`` (results ``(summable, rows)``) the pair ``(sum, concatenation)``.
        """
        kept = [r for r in rows if isinstance(r, RowVector)]
        lost_each_time = None  # blocks lost in every attempt so far: the suspects
        for _attempt in range(MAX_RECOVERIES + 1):
            split = [r.futures if isinstance(r, RowVector) else self.split(r) for r in rows]
            try:
                return self._run_once(fn, split, args, reduce)
            except ShardError:
                raise  # a block whose task kills its workers: rerunning would kill more
            except Exception as exc:
                failed = self._failed_block()
                if failed is not None:
                    raise failed from exc  # a block that cannot be built: rebuilding fails again
                restored = [r.restore(self.client) for r in kept]
                lost = self._recover(exc)
                if not lost and not any(restored):
                    raise
                lost_each_time = (
                    set(lost) if lost_each_time is None else lost_each_time & set(lost)
                )
        names = ", ".join(self.sources[b].name for b in sorted(lost_each_time or ()))
        raise ShardError(
            f"{names or 'some blocks'}: lost with their worker in each of "
            f"{MAX_RECOVERIES + 1} attempts at one pass; giving up (a block too large "
            "for a worker's memory? see the worker logs)"
        )

    def _run_once(self, fn, split, args, reduce):
        c = self.client
        tag = uuid.uuid4().hex[:8]
        n_tasks = len(self.blocks)
        args = tuple(
            c.scatter(a, broadcast=True, hash=False)
            if isinstance(a, np.ndarray) and n_tasks * a.nbytes > BROADCAST_BYTES
            else a
            for a in args
        )
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
                return finish_tree(c.gather(tree_reduce(c, futs, CLIENT_FANIN)))
            if reduce == "rows":
                return concat_rows(c.gather(futs))
            if reduce == "list":
                return c.gather(futs)
            if n_tasks <= CLIENT_FANIN:  # every block's sum reaches the client anyway
                got = c.gather(futs)
                return finish_tree([g[0] for g in got]), concat_rows([g[1] for g in got])
            sums = [c.submit(tasks.first, f, pure=False) for f in futs]
            parts = [c.submit(tasks.second, f, pure=False) for f in futs]
            tops = tree_reduce(c, sums, CLIENT_FANIN)
            got = c.gather([*tops, *parts])
            return finish_tree(got[: len(tops)]), concat_rows(got[len(tops) :])
        except Exception as exc:
            raise _killed_block(futs, self.sources) or exc from exc

    def _failed_block(self):
        """A :class:`ShardError` for the first block whose building raised an error, or None.

        A block future in error (a dask chunk with NaN, a shard that no longer
        reads) was not lost with a worker: rebuilding it would fail the same
        way, so the error is reported, naming the block.  A ``KilledWorker``
        is left to the recovery.
        """
        for b, f in enumerate(self.blocks):
            if f.status != "error":
                continue
            exc = f.exception()
            if type(exc).__name__ == "KilledWorker":
                continue
            if isinstance(exc, ShardError):
                return exc
            name = self.sources[b].name
            return ShardError(str(exc) if name in str(exc) else f"{name}: {exc}")
        return None

    def _recover(self, exc) -> list[int]:
        """Rebuild the blocks that are no longer held; which were (then rerun the pass)."""
        lost = [b for b, f in enumerate(self.blocks) if f.status != "finished"]
        if not lost:
            return []
        # Workers restart after a crash (their nanny): wait for one to come back.
        self.client.wait_for_workers(1, timeout=RESTART_TIMEOUT)
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
        return lost

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


def _killed_block(futs, sources):
    """A :class:`ShardError` naming the first block whose task killed its workers, or None.

    The error that reaches the waiting client may be a dependent's
    cancellation; the block tasks themselves say which one Dask gave up on.
    """
    for f in futs:
        if f.status == "error":
            err = _name_block(f.exception(), sources)
            if isinstance(err, ShardError):
                return err
    return None


def _name_block(exc, sources):
    """A :class:`ShardError` naming the shard when ``exc`` says a block's task killed its workers.

    Dask raises ``KilledWorker`` for a task that was running on every worker
    that died while it ran, ``allowed-failures`` times (a block too large for
    a worker's memory, a crash in reading it): that block is named.  Any other
    exception is returned as it is (a worker-side error keeps its own type
    and message; a worker lost for another reason is recovered by the caller).
    """
    if type(exc).__name__ != "KilledWorker":
        return exc
    key = str(getattr(exc, "task", "") or exc)
    for b, src in enumerate(sources):
        if key.endswith(f"-b{b}") or f"-b{b}'" in key:
            return ShardError(
                f"{src.name}: the workers running this block died "
                f"({type(exc).__name__}; out of memory? see the worker logs)"
            )
    return exc
