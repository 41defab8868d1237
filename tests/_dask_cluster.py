"""One LocalCluster of 2 worker processes (1 thread each) per test module that asks for it."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

distributed = pytest.importorskip("distributed")


def make_cluster():
    """``(cluster, client)``: 2 single-threaded worker processes, no fixed dashboard port."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    return cluster, distributed.Client(cluster)


@contextmanager
def local_client(**config):
    """A client of :func:`make_cluster` (scheduler made under dask ``config``), closed after."""
    import dask

    with dask.config.set(config):
        cluster, client = make_cluster()
    try:
        yield client
    finally:
        client.close()
        cluster.close()
