"""Passes without the scheduler: one Dask actor per worker runs the tasks on the blocks it holds.

A pass submitted as tasks costs a scheduler round trip: the client sends the
graph to the scheduler, the scheduler sends the tasks to the workers, each
worker reports back to the scheduler, the scheduler tells the client, and the
client fetches the results.  On a LocalCluster of 2 workers that costs
18 ms a pass however small the work (a block function that returns a
1,000-float vector; ``asv_benchmarks/harness/dask_pass_engines.py``), which on
case A (200,000 x 100,000) was most of what the distributed fit cost over one
process.

A :class:`BlockHost` is a Dask actor (``client.submit(..., actor=True)``)
placed on the worker that holds its blocks.  The client calls it directly, as
a remote procedure call to that worker, so a pass is one message to each
worker and one reply: 6.9 ms for the same pass (11.9 ms against 20.1 ms as
tasks with a 100,000-float iterate).  The host runs the same
task functions of :mod:`.tasks` on its blocks (on as many threads as its
worker has; the kernels release the GIL) and returns each block's result
separately; the client adds them with the same fixed-order tree as the task
engine (:func:`~.reduce.finish_tree`), so both engines give the same bits for
a given partition, wherever the blocks live.

Row vectors that many passes read (the sample weights, the Newton weights of
a Hessian) are kept by the hosts under a token, sent with the first pass that
reads them; a token is dropped with the first pass after the client's
:class:`~.handle.RowVector` is gone.

An actor is not rebuilt by Dask when its worker dies: the client
(:class:`~.handle.DistributedX`) rebuilds the lost blocks, makes new hosts and
sends the kept vectors again, as it reruns a task pass.
"""

from __future__ import annotations

import traceback
from concurrent.futures import ThreadPoolExecutor


class HostStateLost(RuntimeError):
    """A host without a row vector the client sent it: Dask made the actor again elsewhere.

    Dask reruns an actor's constructor on another worker when the one holding
    it dies and its blocks are still held somewhere; the new host has the
    blocks but none of the kept vectors.  The client then makes new hosts.
    """


class BlockRaised:
    """What a block function raised on a host, returned instead of its result.

    A call to a host fails (``OSError``, ...) when its worker is lost; an
    exception of the block function itself (an ``OSError`` too, perhaps) comes
    back as a result, so the client raises it as it is instead of making new
    hosts and rerunning the pass.
    """

    def __init__(self, exc: BaseException, text: str):
        self.exc = exc
        self.text = text


class BlockHost:
    """The blocks one worker holds, and the row vectors kept for them (a Dask actor).

    Parameters
    ----------
    blocks : dict
        ``{b: X_b}``: block number to validated row block (resolved from the
        block futures by Dask when the actor is made on their worker).
    """

    def __init__(self, blocks: dict):
        self.blocks = dict(blocks)
        self.kept: dict[str, dict] = {}
        self._pool = None
        if len(self.blocks) > 1:
            try:
                from distributed import get_worker

                threads = int(get_worker().state.nthreads)
            except (ImportError, ValueError, AttributeError):
                threads = 1
            if threads > 1:
                # The worker's threads, as its task threads would run the blocks.
                self._pool = ThreadPoolExecutor(min(threads, len(self.blocks)))

    def held(self) -> dict:
        """``{"blocks": number of blocks, "kept": number of kept row vectors}`` (for checks)."""
        return {"blocks": len(self.blocks), "kept": len(self.kept)}

    def run(self, fn, rows: list, args: tuple, drop: tuple = ()) -> dict:
        """``{b: fn(X_b, *rows_b, *args)}`` for every block held here.

        An exception of ``fn`` on a block is returned as :class:`BlockRaised`.

        ``rows`` holds, per row argument, ``None``, ``{b: slice}``, a kept
        vector as ``("kept", token)``, or one to keep from now on as
        ``("keep", token, {b: slice})``.  The tokens in ``drop`` are
        forgotten first.  Nothing is modified in place.
        """
        for token in drop:
            self.kept.pop(token, None)
        for r in rows:
            if isinstance(r, tuple) and r[0] == "keep":
                self.kept[r[1]] = r[2]
        missing = [r[1] for r in rows if isinstance(r, tuple) and r[1] not in self.kept]
        if missing:
            raise HostStateLost(f"row vector {missing[0]} is not kept here")

        def one(b):
            got = []
            for r in rows:
                if r is None:
                    got.append(None)
                elif isinstance(r, tuple):
                    got.append(self.kept[r[1]][b])
                else:
                    got.append(r[b])
            try:
                return fn(self.blocks[b], *got, *args)
            except Exception as exc:  # the pass's own error, told apart from a lost worker
                return BlockRaised(exc, traceback.format_exc())

        order = sorted(self.blocks)
        if self._pool is None:
            return {b: one(b) for b in order}
        return dict(zip(order, self._pool.map(one, order), strict=True))
