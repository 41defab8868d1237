"""Signal handlers set for the duration of a block, restored on exit."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def signal_handler(signum: int, handler: Callable | int) -> Iterator[None]:
    """Run the block with ``signal.signal(signum, handler)``; the previous handler after.

    Only the main thread may set handlers: elsewhere the block runs with the
    handlers as they are (a no-op), so library callers in threads still work.
    """
    try:
        previous = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signum, previous)
