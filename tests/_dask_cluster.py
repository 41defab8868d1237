"""One LocalCluster of 2 worker processes (1 thread each) for every Dask test module.

Starting a cluster costs a few seconds of a 2-core CI machine; the test modules
that need one share the session's (:func:`shared_cluster`, made on first use
by the ``dask_cluster`` fixture of ``tests/conftest.py``).  Its scheduler has
the settings the fault tests need, harmless for the others:

- ``allowed-failures: 1``: a task whose worker died under it is retried once
  (default 3), so a block that always kills its worker is reported after two
  deaths, not four;
- ``work-stealing: False``: a stolen task copies its block to the other worker,
  and a killed worker would then lose nothing (the fit is right either way; the
  fault tests want the loss);
- ``deploy.lost-worker-timeout: 600s`` (default 15 s), read by the cluster object
  on the client whenever a worker leaves, so it stays set while the client
  lives: a ``LocalCluster`` closes the nanny of a worker that has not come back
  within it.  A fault test's killed worker restarted in more than 15 s on a
  loaded 2-core machine (its new process imports numba and fastridge), its
  nanny was closed right after, and the cluster stayed at one worker
  ("Only 1/2 workers arrived after 120 s" in the full suite).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest

distributed = pytest.importorskip("distributed")

SCHEDULER_CONFIG = {
    "distributed.scheduler.allowed-failures": 1,
    "distributed.scheduler.work-stealing": False,
    "distributed.deploy.lost-worker-timeout": "600s",
}


def make_cluster():
    """``(cluster, client)``: 2 single-threaded worker processes, no fixed dashboard port."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    return cluster, distributed.Client(cluster)


@contextmanager
def local_client(**config):
    """A client of :func:`make_cluster`, made and used under dask ``config``, closed after."""
    import dask

    with dask.config.set(config):
        cluster, client = make_cluster()
        try:
            yield client
        finally:
            client.close()
            cluster.close()


def die_once(flag: str, fn):
    """``fn`` that first kills its worker process (``os._exit``) when ``flag`` does not exist.

    The flag is made atomically (``O_EXCL``): of two blocks that run at once on
    two workers, one kills its worker, not both.
    """

    def task(block, *args):
        try:
            os.close(os.open(flag, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return fn(block, *args)
        os._exit(1)

    task.__name__ = getattr(fn, "__name__", "task")
    return task


def arm_kill_in_pass(monkeypatch, flag_path):
    """Patch passes so that ``arm(k)`` makes the k-th pass from now kill one task's worker.

    ``arm(k)`` returns ``flag_path``, which exists once the kill happened.
    """
    from fastridge.distributed import handle

    state = {"count": 0, "at": None}
    original = handle.DistributedX._run_once

    def run_once(self, fn, split, args, reduce):
        state["count"] += 1
        if state["count"] == state["at"]:
            fn = die_once(str(flag_path), fn)
        return original(self, fn, split, args, reduce)

    monkeypatch.setattr(handle.DistributedX, "_run_once", run_once)

    def arm(k):
        state["count"], state["at"] = 0, k
        return flag_path

    return arm
