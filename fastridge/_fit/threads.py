"""Thread-count handling for the Numba kernels, and the threading-layer guard.

Numba runs ``parallel=True`` kernels on one of three threading layers
(https://numba.readthedocs.io/en/stable/user/threading-layer.html): ``tbb``
and ``omp`` accept parallel kernels launched from several Python threads at
once; ``workqueue`` does not (it aborts the process with "Concurrent access has
been detected"). fastridge therefore never launches parallel kernels from two
threads at once under ``workqueue``:

* its own worker pools (one-vs-rest classes, K-fold paths, logistic CV folds)
  run their tasks one after another in the calling thread
  (:func:`thread_map`, :func:`pool_workers`), each with all the kernel threads;
* every region that runs kernels (:func:`numba_threads`) holds one process-wide
  lock, so fits started by the user from several threads take turns.

Under ``tbb`` or ``omp`` (the default on Linux when available) nothing changes.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator

import numba
import numpy as np

# Layers whose parallel regions may be entered from several threads at once
# (Numba's threading-layer documentation: "threadsafe" means tbb or omp).
_THREADSAFE_LAYERS = ("tbb", "omp")

# Serialises kernel regions under a layer that is not thread-safe.  Re-entrant:
# an entry point may call another (RidgeCV -> ridge) in the same thread.
_KERNEL_LOCK = threading.RLock()


def threading_layer() -> str:
    """Name of Numba's active threading layer (``"tbb"``, ``"omp"`` or ``"workqueue"``).

    ``numba.get_num_threads()`` starts the layer if no parallel kernel ran
    yet (Numba's own ``set_num_threads`` does the same), after which
    ``numba.threading_layer()`` names it.
    """
    numba.get_num_threads()
    return str(numba.threading_layer())


def concurrent_kernels_safe() -> bool:
    """Whether parallel kernels may be launched from several threads at once."""
    return threading_layer() in _THREADSAFE_LAYERS


def resolve_n_threads(n_threads: int | None) -> int:
    """Number of threads to use: ``None`` or ``-1`` means all Numba threads.

    Raises ``ValueError`` for 0, other negatives, or non-integers.
    """
    max_threads = numba.config.NUMBA_NUM_THREADS
    if n_threads is None or n_threads == -1:
        return max_threads
    if isinstance(n_threads, bool) or not isinstance(n_threads, int | np.integer):
        raise TypeError(f"n_threads must be an int or None, got {n_threads!r}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be >= 1 or -1 (all threads), got {n_threads}")
    return min(int(n_threads), max_threads)


def pool_workers(n_threads: int, n_tasks: int) -> int:
    """Python worker threads for ``n_tasks`` kernel tasks: ``min(n_threads, n_tasks)``.

    1 under a threading layer that is not thread-safe (module docstring).
    """
    if not concurrent_kernels_safe():
        return 1
    return max(1, min(int(n_threads), int(n_tasks)))


def thread_map(fn: Callable, items: Iterable, workers: int) -> list:
    """``[fn(x) for x in items]``, in ``workers`` threads when ``workers > 1``.

    With one worker the tasks run in the calling thread (no pool), so a lock
    it holds (:data:`_KERNEL_LOCK`) stays usable and nothing can deadlock.
    """
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [fn(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


@contextlib.contextmanager
def numba_threads(n_threads: int) -> Iterator[int]:
    """Run the block with ``numba.set_num_threads(n_threads)``; restore on exit.

    Under a threading layer that is not thread-safe the block also holds the
    process-wide kernel lock (module docstring).
    """
    lock = contextlib.nullcontext() if concurrent_kernels_safe() else _KERNEL_LOCK
    with lock:
        previous = numba.get_num_threads()
        numba.set_num_threads(n_threads)
        try:
            yield n_threads
        finally:
            numba.set_num_threads(previous)


_controller = None


def blas_limit(limits: int | None):
    """Context manager limiting BLAS to ``limits`` threads (None: no change).

    The ``ThreadpoolController`` (which scans the loaded libraries, ~1 ms) is
    made once per process; each limit then costs ~10 us.
    """
    global _controller
    if limits is None:
        return contextlib.nullcontext()
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=limits, user_api="blas")
