"""``fastridge batch`` run as a child process, for the interrupt-and-resume tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from fastridge._cli.batch import TEST_DELAY_ENV


def start_batch(jobs, out, delay: float, extra=()) -> subprocess.Popen:
    """Start ``fastridge batch JOBS --out OUT *extra``, each job slowed by ``delay`` seconds."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", **{TEST_DELAY_ENV: str(delay)})
    return subprocess.Popen(
        [sys.executable, "-m", "fastridge.cli", "batch", str(jobs), "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        # A shell without job control starts background commands with SIGINT
        # ignored, and Python keeps an ignored SIGINT: the child would never see
        # the test's Ctrl-C (pytest run as `... &` from a script).  Restore it.
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    """In the child before exec: SIGINT back to its default (Python then handles it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(predicate, proc, timeout: float) -> None:
    """Poll ``predicate`` every 20 ms until true; fail if ``proc`` exits first or on timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("timed out")
