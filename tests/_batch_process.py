"""``fastridge batch`` run as a child process, for the interrupt-and-resume tests."""

from __future__ import annotations

import os
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
    )


def wait_for(predicate, proc, timeout: float) -> None:
    """Poll ``predicate`` every 20 ms until true; fail if ``proc`` exits first or on timeout."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("timed out")
