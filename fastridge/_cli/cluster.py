"""The Dask cluster of a command: ``--scheduler ADDRESS`` or ``--dask-workers N``.

:func:`cluster_client` is a context manager that yields a ``distributed.Client``:
connected to a running scheduler (``--scheduler tcp://host:8786``), or to a
``LocalCluster`` of ``N`` single-threaded worker processes it starts
(``--dask-workers N``).  Whatever it started (the client, the local cluster) is
closed when the block ends, also on an error, Ctrl-C or SIGTERM; a remote
scheduler and its workers are left running.

Without dask installed the options are a one-line error that says what to install
(``pip install fastridge[dask]``).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import warnings

from .signals import signal_handler

INSTALL_HINT = "pip install 'fastridge[dask]'"

# While a local cluster of a command lives: how long the cluster object waits
# for a lost worker to come back before it closes that worker's nanny (Dask's
# ``distributed.deploy.lost-worker-timeout``, default 15 s).  A worker killed
# mid-fit (out of memory) is restarted by its nanny, and the fit reruns the
# pass; a new worker process imports numba and fastridge, which took over 15 s
# on a loaded 2-core machine (a test cluster then stayed at one worker for
# good).  Ten minutes: a worker that needs longer is not coming back.
LOST_WORKER_TIMEOUT = "600s"


class ClusterError(RuntimeError):
    """The cluster cannot be reached or started (one-line message)."""


def wants_cluster(args):
    """Whether the command line asked for a Dask cluster."""
    return bool(getattr(args, "scheduler", None)) or bool(getattr(args, "dask_workers", None))


def import_distributed(option="--scheduler / --dask-workers"):
    """``distributed`` (the Dask scheduler's package), or a one-line ClusterError."""
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError(
            f"{option} needs dask.distributed, which is not installed ({exc.name or exc}): "
            f"install fastridge[dask] ({INSTALL_HINT})"
        ) from None
    return distributed


def _sigint_ignored():
    """Ignore SIGINT while worker processes are spawned (they inherit SIG_IGN).

    Ctrl-C in a terminal reaches the whole process group: the local workers would
    each die with a traceback while the command is cancelling their tasks and
    closing the cluster.  With SIGINT ignored they are stopped by the command only.
    A no-op outside the main thread.
    """
    return signal_handler(signal.SIGINT, signal.SIG_IGN)


@contextlib.contextmanager
def cluster_client(scheduler=None, n_workers=None, *, console=None):
    """Yield a ``distributed.Client``; close what was started on exit.

    Parameters
    ----------
    scheduler : str, optional
        The address of a running scheduler (``tcp://host:8786``, or a scheduler file
        path ending in ``.json``).
    n_workers : int, optional
        Start a ``LocalCluster(n_workers, threads_per_worker=1, processes=True,
        dashboard_address=None)`` instead.
    console : fastridge._cli.console.Console, optional
        For a ``--verbose`` line naming the cluster.

    Raises
    ------
    ClusterError
        dask is not installed, the scheduler cannot be reached, or the local cluster
        cannot start (one line).
    """
    if (scheduler is None) == (n_workers is None):
        raise ClusterError("give one of --scheduler ADDRESS and --dask-workers N")
    distributed = import_distributed("--scheduler" if scheduler else "--dask-workers")
    cluster = client = None
    stack = contextlib.ExitStack()
    try:
        if scheduler is not None:
            kwargs = (
                {"scheduler_file": scheduler}
                if str(scheduler).endswith(".json")
                else {"address": scheduler}
            )
            try:
                client = distributed.Client(**kwargs, set_as_default=False)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ClusterError(
                    f"cannot connect to the Dask scheduler at {scheduler}: "
                    f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                ) from None
        else:
            import dask

            # held until the cluster closes: the cluster reads it when a worker leaves
            stack.enter_context(
                dask.config.set({"distributed.deploy.lost-worker-timeout": LOST_WORKER_TIMEOUT})
            )
            try:
                with _sigint_ignored(), warnings.catch_warnings():
                    # the scheduler's HTTP server (health checks) moving off a busy port
                    warnings.filterwarnings("ignore", message="Port .* is already in use")
                    cluster = distributed.LocalCluster(
                        n_workers=int(n_workers),
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        # the command's output stays its own (a failed task is its error)
                        silence_logs=logging.CRITICAL,
                    )
                    client = distributed.Client(cluster, set_as_default=False)
            except (OSError, TimeoutError, RuntimeError) as exc:
                raise ClusterError(
                    f"cannot start a local Dask cluster of {n_workers} workers: {exc}"
                ) from None
        if console is not None:
            where = scheduler or f"a local cluster of {n_workers} worker processes"
            console.detail(f"dask: {where} ({client.scheduler.address})")
        yield client
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()
        stack.close()


def client_from_args(args, console=None):
    """:func:`cluster_client` for the parsed ``--scheduler`` / ``--dask-workers``."""
    return cluster_client(
        getattr(args, "scheduler", None), getattr(args, "dask_workers", None), console=console
    )
