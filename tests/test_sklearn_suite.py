"""Optional job: scikit-learn's own ridge / logistic tests against fastridge's estimators.

Runs only with ``pytest -m sklearn_suite`` (skipped otherwise, so CI time is
unaffected); ``python -m tests.sklearn_suite`` runs the same thing directly.
The job fails when a failure is classified as a crash inside fastridge, or
when scikit-learn's fixtures were not found (a broken runner).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.sklearn_suite
def test_sklearn_suite(request, tmp_path):
    if "sklearn_suite" not in (request.config.getoption("-m") or ""):
        pytest.skip("opt-in: run with pytest -m sklearn_suite")
    out = tmp_path / "report.txt"
    proc = subprocess.run(
        [sys.executable, "-m", "tests.sklearn_suite", "--out", str(out)],
        capture_output=True,
        text=True,
        check=False,
        # ``-m tests.sklearn_suite`` resolves from the repository root, which
        # also puts this checkout's fastridge first on sys.path.
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    print(proc.stdout[-2000:])
    assert "sklearn_suite:" in proc.stdout, proc.stderr[-2000:]
    lines = out.read_text().splitlines()
    runner = [line for line in lines if line.startswith("runner\t")]
    assert not runner, "scikit-learn's fixtures not loaded:\n" + "\n".join(runner[:5])
    crashes = [line for line in lines if line.startswith("crash\t")]
    assert not crashes, "\n".join(crashes)
