"""Thread-count handling for the Numba kernels."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba
import numpy as np


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


@contextlib.contextmanager
def numba_threads(n_threads: int) -> Iterator[int]:
    """Run the block with ``numba.set_num_threads(n_threads)``; restore on exit."""
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
