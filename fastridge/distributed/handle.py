"""The distributed design matrix: row blocks held on Dask workers, and how a pass runs.

:class:`DistributedX` is what the fit functions receive instead of a scipy
matrix.  It holds one future per row block (validated CSR, or dense rows) and
the recipe to rebuild each block (:class:`BlockSource`): load it again from
its shard on a worker, or scatter it again from the client's copy.  A pass
(:meth:`DistributedX.run`) submits one task per block and the fixed-order tree
that adds their partial results (:func:`~.reduce.tree_reduce`; the client adds
the top two), then waits once: one scheduler round trip.  On a few blocks the
pass skips the scheduler: one actor per worker (:class:`~.hosts.BlockHost`)
runs the same tasks on the blocks that worker holds, called directly by the
client, and the client adds the blocks' results in the same tree (the
``engine`` of :class:`DistributedX`).  When a worker dies
during a pass, the blocks it held are rebuilt from their sources and the
pass is run again; the solver state lives on the client, so the fit goes on
with the same numbers.
"""

from __future__ import annotations

import time
import uuid
import weakref
import zlib
from dataclasses import dataclass, field

import numpy as np

from . import tasks
from .hosts import BlockHost, BlockRaised, HostStateLost
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
# Passes run through the block hosts (actors, no scheduler hop) when there are
# at most this many blocks; beyond, as tasks with the tree on the workers.  The
# hosts return every block's result to the client (B p-vectors a pass instead
# of 2).  Measured on a LocalCluster of 2 workers, a pass that returns a
# 100,000-float vector per block (asv_benchmarks/harness/dask_pass_engines.py's
# block function; /tmp script with n_blocks 2 to 16): hosts 8.8 / 16.5 / 28.5 /
# 43 ms against tasks 17.5 / 36 / 68 / 115 ms for 2 / 4 / 8 / 16 blocks.  On
# loopback the hosts win at every B; the cap is a judgement for real networks,
# where the B p-vectors share the client's one link (the tree's 2 do not grow
# with B): at 8 blocks of p = 1e7 that is 640 MB into the client a pass.
HOST_MAX_BLOCKS = 8
# Seconds to wait, after a host's worker stopped answering, for the scheduler
# to report the futures lost with it (it notices the closed connection at
# once; this only bounds a hung network).
HOST_LOSS_WAIT = 30.0


class _PassRaised(Exception):
    """The block function itself raised ``exc`` (on a live worker): raised as is, not retried."""

    def __init__(self, exc: BaseException):
        super().__init__(exc)
        self.exc = exc


class _BlockNotHeld(RuntimeError):
    """A block no worker holds when the hosts are made (lost meanwhile): recover, then retry."""


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
    passes then send a reference instead of the values, so a CG iteration
    moves only p-vectors.  The task engine scatters the slices (futures); the
    hosts keep them under :attr:`token`.  Both are made on first use, and the
    client keeps the slices (views) to send them again when a worker holding
    one dies.
    """

    def __init__(self, dX, values):
        # A copy: the caller may change its array in place after keep() (keep's
        # dedupe compares against these values).
        self.values = np.array(values)
        self.slices = dX.split(self.values)
        self.token = uuid.uuid4().hex
        self.futures = None
        dX._kept[self.token] = self

    def scattered(self, dX) -> list:
        """The slices as futures, each on the worker holding its block (scattered on first use).

        Placed with their blocks so that a block task finds both where it
        runs: a slice elsewhere would draw the task, and a copy of the block,
        to its worker.
        """
        if self.futures is None:
            self.futures = [None] * len(self.slices)
            self._scatter(dX, range(len(self.slices)))
        return self.futures

    def restore(self, dX) -> bool:
        """Scatter again the slices whose future was lost (or never made); whether any was.

        A slice has no future when the scatter that made them failed part-way
        (its worker lost after :meth:`DistributedX._held_blocks` named it).
        """
        if self.futures is None:
            return False
        lost = [b for b, f in enumerate(self.futures) if f is None or f.status != "finished"]
        self._scatter(dX, lost)
        return bool(lost)

    def _scatter(self, dX, blocks) -> None:
        held = dX._held_blocks()
        by_worker: dict = {}
        for b in blocks:
            by_worker.setdefault(held.get(b), []).append(b)
        for worker, bs in by_worker.items():
            where = None if worker is None else [worker]
            futs = dX.client.scatter([self.slices[b] for b in bs], workers=where, hash=False)
            for b, f in zip(bs, futs, strict=True):
                self.futures[b] = f


@dataclass
class _Host:
    """One :class:`~.hosts.BlockHost` actor, its future (which keeps it alive), its blocks."""

    actor: object
    future: object
    blocks: list


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
    #: how passes run: ``"hosts"`` (one actor per worker, no scheduler hop),
    #: ``"tasks"`` (one task per block, the tree on the workers), or ``"auto"``:
    #: hosts for at most :data:`HOST_MAX_BLOCKS` blocks.  Same bits either way.
    engine: str = "auto"
    _hosts: list | None = field(default=None, repr=False)
    _on_hosts: set = field(default_factory=set, repr=False)  # kept tokens the hosts hold
    _kept: weakref.WeakValueDictionary = field(
        default_factory=weakref.WeakValueDictionary, repr=False
    )
    _kept_by_value: weakref.WeakValueDictionary = field(
        default_factory=weakref.WeakValueDictionary, repr=False
    )
    _last_kept: object = field(default=None, repr=False)
    format = "csr"  # for code that asks for a sparse X's format: rows are what it reads
    is_distributed = True  # recognised by fastridge._fit.distributed without importing dask

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.row_offsets[-1]), int(self.p))

    @property
    def n_blocks(self) -> int:
        return len(self.blocks)

    def keep(self, u) -> RowVector | None:
        """``u`` (n,) or (n, k) kept on the workers in block slices (None stays None).

        A vector with the same values as one still kept (same shape, dtype and
        CRC-32 of its bytes, a pass over n doubles on the client) is that one:
        the Newton weights ``d`` that the gradient pass took are then the
        Hessian's without being sent twice.
        """
        if u is None:
            return None
        u = np.ascontiguousarray(u)
        key = (u.shape, u.dtype.str, zlib.crc32(u))
        kept = self._kept_by_value.get(key)
        if kept is None or not np.array_equal(kept.values, u):
            kept = RowVector(self, u)
            self._kept_by_value[key] = kept
        self._last_kept = kept  # held until the next keep, for a caller that keeps it again
        return kept

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
            try:
                return self._run_once(fn, rows, args, reduce)
            except ShardError:
                raise  # a block whose task kills its workers: rerunning would kill more
            except _PassRaised as raised:
                failed = self._failed_block()  # a block that failed to build fails its tasks
                if failed is not None:
                    raise failed from raised.exc
                raise raised.exc from None  # the block function's own error: not a lost worker
            except Exception as exc:
                failed = self._failed_block()
                if failed is not None:
                    raise failed from exc  # a block that cannot be built: rebuilding fails again
                host_lost = self._drop_lost_hosts(exc)
                restored = [r.restore(self) for r in kept]
                lost = self._recover(exc)
                if not (lost or any(restored) or host_lost or _worker_died(exc)):
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

    def uses_hosts(self) -> bool:
        """Whether passes run through the block hosts (see :attr:`engine`)."""
        if self.engine not in ("auto", "hosts", "tasks"):
            raise ValueError(f"engine must be 'auto', 'hosts' or 'tasks', got {self.engine!r}")
        if self.engine == "auto":
            return 0 < self.n_blocks <= HOST_MAX_BLOCKS
        return self.engine == "hosts" and self.n_blocks > 0

    def _run_once(self, fn, rows, args, reduce):
        """One attempt at a pass, by the engine in use (no recovery here)."""
        if self.uses_hosts():
            return _combine(self._run_hosts(fn, rows, args), reduce)
        return self._run_tasks(fn, rows, args, reduce)

    # ------------------------------------------------------------------
    # the host engine
    # ------------------------------------------------------------------
    def _run_hosts(self, fn, rows, args) -> list:
        """Every block's result, in block order, computed by the hosts (one call each)."""
        hosts = self._ensure_hosts()
        drop = tuple(t for t in self._on_hosts if t not in self._kept)
        self._on_hosts.difference_update(drop)
        sent = [r for r in rows if isinstance(r, RowVector) and r.token not in self._on_hosts]
        split = [None if isinstance(r, RowVector) else self.split(r) for r in rows]
        calls = []
        for h in hosts:
            payload = []
            for r, parts in zip(rows, split, strict=True):
                if r is None:
                    payload.append(None)
                elif isinstance(r, RowVector) and r.token in self._on_hosts:
                    payload.append(("kept", r.token))
                elif isinstance(r, RowVector):  # kept from this pass on
                    payload.append(("keep", r.token, {b: r.slices[b] for b in h.blocks}))
                else:
                    payload.append({b: parts[b] for b in h.blocks})
            calls.append(h.actor.run(fn, payload, tuple(args), drop))
        results = {}
        for call in calls:
            results.update(call.result())
        self._on_hosts.update(r.token for r in sent)
        for b in range(self.n_blocks):
            if isinstance(results[b], BlockRaised):
                exc = results[b].exc
                if hasattr(exc, "add_note"):
                    exc.add_note(f"{self.sources[b].name}, on its host:\n{results[b].text}")
                raise _PassRaised(exc)
        return [results[b] for b in range(self.n_blocks)]

    def _ensure_hosts(self) -> list:
        """The hosts, one per worker holding blocks (made when missing, once the blocks are)."""
        if self._hosts is not None:
            return self._hosts
        from distributed import wait

        wait(self.blocks)
        failed = self._failed_block()
        if failed is not None:
            raise failed
        held = self._held_blocks()
        by_worker: dict[str, list[int]] = {}
        for b in range(self.n_blocks):
            if b not in held:
                raise _BlockNotHeld(f"{self.sources[b].name}: no worker holds this block")
            by_worker.setdefault(held[b], []).append(b)
        # Each host goes where its blocks are; "allow other workers" for a
        # worker lost since: blocks Dask can recompute are made again elsewhere,
        # and a host restricted to the dead worker would wait for it forever.
        made = [
            (
                self.client.submit(
                    BlockHost,
                    {b: self.blocks[b] for b in blocks},
                    actor=True,
                    workers=[worker],
                    allow_other_workers=True,
                    pure=False,
                ),
                blocks,
            )
            for worker, blocks in by_worker.items()
        ]
        self._hosts = [_Host(f.result(), f, blocks) for f, blocks in made]
        self._on_hosts = set()
        return self._hosts

    def _drop_lost_hosts(self, exc) -> bool:
        """After ``exc``: whether a host's worker was lost (the hosts are then made anew).

        A lost worker shows as an ``OSError`` from the call, a
        ``RuntimeError`` from Dask's actor proxy, or a :class:`~.hosts.HostStateLost`
        from a host Dask made again; the scheduler's report of
        the futures lost with it is waited for (at most :data:`HOST_LOSS_WAIT`
        seconds) so that :meth:`_recover` sees which blocks to rebuild.  Any
        other exception is an error of the pass itself: the hosts stay.
        """
        if self._hosts is None or not _is_lost_worker(exc):
            return False
        hosts, self._hosts, self._on_hosts = self._hosts, None, set()
        if isinstance(exc, HostStateLost):
            return True  # made again by Dask on a live worker: nothing to wait for
        deadline = time.monotonic() + HOST_LOSS_WAIT
        while all(h.future.status == "finished" for h in hosts) and time.monotonic() < deadline:
            time.sleep(0.01)
        return True

    # ------------------------------------------------------------------
    # the task engine
    # ------------------------------------------------------------------
    def _run_tasks(self, fn, rows, args, reduce):
        """One task per block and the fixed-order tree, waited for once."""
        c = self.client
        split = [r.scattered(self) if isinstance(r, RowVector) else self.split(r) for r in rows]
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
            killed = _killed_block(futs, self.sources)
            if killed is not None:
                raise killed from exc
            if _raised_by_block(futs):
                raise _PassRaised(exc) from exc
            raise

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

    def _held_blocks(self) -> dict[int, str]:
        """``{b: worker address}`` of the blocks the scheduler says are in a worker's memory.

        A block whose future is not finished (lost, cancelled) is left out,
        and so is one that no worker holds any more (the scheduler knows
        before the client's future does).
        """
        done = [b for b, f in enumerate(self.blocks) if f.status == "finished"]
        try:
            holders = self.client.who_has([self.blocks[b] for b in done])
        except Exception:  # a future cancelled while asking: ask again later
            return {}
        held = {}
        for b in done:
            where = holders.get(self.blocks[b].key) or ()
            if where:
                held[b] = where[0]
        return held

    def _recover(self, exc) -> list[int]:
        """Rebuild the blocks that are no longer held; which were (then rerun the pass)."""
        held = self._held_blocks()
        lost = [b for b in range(self.n_blocks) if b not in held]
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

    def frobenius_sq(self) -> float:
        """``||X||_F^2`` in float64 (one pass; the blocks' sums added in block order)."""
        return float(sum(self.run(tasks.sum_sq, reduce="list")))

    def block_info(self) -> list[tuple[int, int]]:
        """``(rows, stored entries)`` of every block (waits until all are loaded)."""
        return self.run(tasks.info, reduce="list")

    def __repr__(self) -> str:
        n, p = self.shape
        return (
            f"DistributedX(shape=({n}, {p}), dtype={np.dtype(self.dtype).name}, "
            f"nnz={self.nnz}, blocks={self.n_blocks})"
        )


def _combine(parts: list, reduce: str):
    """The blocks' results ``parts`` (in block order) combined as :meth:`DistributedX.run` says."""
    if reduce == "sum":
        return finish_tree(parts)
    if reduce == "rows":
        return concat_rows(parts)
    if reduce == "list":
        return parts
    return finish_tree([g[0] for g in parts]), concat_rows([g[1] for g in parts])


def _is_lost_worker(exc) -> bool:
    """Whether ``exc`` is how a call to an actor on a dead worker fails."""
    return isinstance(exc, (OSError, HostStateLost)) or (
        isinstance(exc, RuntimeError) and "Worker holding Actor was lost" in str(exc)
    )


def _worker_died(exc) -> bool:
    """Whether ``exc`` says a worker died under the pass (worth a rerun even if nothing was lost).

    A block copied to a second worker survives that worker's death; the pass
    is then simply run again.
    """
    return (
        isinstance(exc, _BlockNotHeld)
        or _is_lost_worker(exc)
        or type(exc).__name__ in ("KilledWorker", "FutureCancelledError", "CancelledError")
    )


def _raised_by_block(futs) -> bool:
    """Whether a block task ended in an error of its own (not ``KilledWorker``)."""
    for f in futs:
        if f.status == "error" and type(f.exception()).__name__ != "KilledWorker":
            return True
    return False


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
