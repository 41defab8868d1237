"""One LocalCluster of 2 worker processes (1 thread each) per test module that asks for it."""

from __future__ import annotations

import pytest

distributed = pytest.importorskip("distributed")


def make_cluster():
    """``(cluster, client)``: 2 single-threaded worker processes, no dashboard."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    return cluster, distributed.Client(cluster)
