"""Optional job: scikit-learn's own ridge / logistic tests against fastridge's estimators.

Runs only with ``pytest -m sklearn_suite`` (skipped otherwise, so CI time is
unaffected); ``python -m tests.sklearn_suite`` runs the same thing directly.
The job fails when a failure is classified as a crash inside fastridge.
"""

from __future__ import annotations

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
    )
    print(proc.stdout[-2000:])
    assert "sklearn_suite:" in proc.stdout, proc.stderr[-2000:]
    crashes = [line for line in out.read_text().splitlines() if line.startswith("crash\t")]
    assert not crashes, "\n".join(crashes)
