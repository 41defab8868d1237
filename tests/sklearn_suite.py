"""Run scikit-learn's own ridge / logistic tests against fastridge's estimators.

Usage (from the repository root)::

    python -m tests.sklearn_suite [--out FILE] [extra pytest arguments]

or ``pytest -m sklearn_suite`` (``tests/test_sklearn_suite.py`` calls this script;
it is skipped unless that marker is selected, so CI time is unaffected).

The installed wheel ships ``sklearn/linear_model/tests/test_ridge.py`` and
``test_logistic.py``.  Before they are imported, this plugin replaces
``sklearn.linear_model.Ridge``, ``RidgeCV``, ``RidgeClassifier``,
``LogisticRegression`` and ``LogisticRegressionCV`` by fastridge's classes, so
every ``from sklearn.linear_model import Ridge`` in those modules (and every
parametrisation list built at import time) gets fastridge's.  scikit-learn's
internals (``sklearn.linear_model._ridge`` etc.) keep their own classes.

Each failure is classified by cause, from its exception and traceback:

``sklearn-only``
    fastridge refused a solver, penalty or option that only scikit-learn has
    (l1 / elastic-net, ``positive=True``, ``dual=True``, lbfgs / sag / saga /
    liblinear / svd / lsqr / sparse_cg solvers, ...): a ValueError or
    NotImplementedError raised by fastridge whose message names it.
``crash``
    any other exception whose innermost frame is inside fastridge.
``numerical``
    an assertion comparing numbers (``assert_allclose`` and friends) that
    failed on values, not shapes.
``runner``
    a fixture scikit-learn's tests need was not found: the runner, not
    fastridge, is broken (``sklearn/conftest.py`` was not loaded).
``api``
    everything else: missing attribute or parameter, different shape,
    different exception type, warning not raised, ...

The per-test list (id, cause, one-line reason) goes to ``--out`` (default
``sklearn_suite_report.txt`` in the working directory).
"""

from __future__ import annotations

import os
import re
import sys
from collections import Counter

import pytest

#: The estimators swapped in, by name in ``sklearn.linear_model``.
SWAPPED = ("Ridge", "RidgeCV", "RidgeClassifier", "LogisticRegression", "LogisticRegressionCV")

#: Words that, in a fastridge refusal, mark a scikit-learn-only feature.
_SKLEARN_ONLY = re.compile(
    r"(penalty|l1_ratio|positive|dual|intercept_scaling|warm_start|solver|"
    r"lbfgs|liblinear|saga?\b|sparse_cg|lsqr|svd|cholesky)",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    r"(Not equal to tolerance|Arrays are not|Mismatched elements|not almost equal)"
)


def _swap() -> None:
    """Put fastridge's estimators into ``sklearn.linear_model``'s namespace."""
    import sklearn.linear_model as lm

    import fastridge

    for name in SWAPPED:
        setattr(lm, name, getattr(fastridge, name))


def classify(report) -> tuple[str, str]:
    """``(cause, one-line reason)`` of a failed test report."""
    longrepr = report.longrepr
    text = str(longrepr)
    crash = getattr(getattr(longrepr, "reprcrash", None), "message", "") or text[-300:]
    reason = crash.strip().splitlines()[0][:200] if crash.strip() else "?"
    frames = []
    chain = getattr(longrepr, "chain", None)
    if chain:
        tb = chain[-1][0]
        frames = [getattr(e, "reprfileloc", None) for e in tb.reprentries]
        frames = [f.path for f in frames if f is not None]
    missing = re.search(r"fixture '[^']+' not found", text)
    if missing:
        return "runner", missing.group(0)
    inner = frames[-1] if frames else ""
    exc = crash.split(":", 1)[0]
    in_fastridge = "fastridge" in inner and "site-packages" not in inner
    if exc in ("ValueError", "NotImplementedError") and in_fastridge:
        if _SKLEARN_ONLY.search(crash):
            return "sklearn-only", reason
    if in_fastridge and exc not in ("AssertionError",) and "Failed:" not in crash:
        if exc not in ("ValueError", "TypeError") or "validation" not in inner:
            return "crash", reason
    if _NUMERIC.search(text) and "shapes" not in crash and "(shapes" not in text:
        return "numerical", reason
    return "api", reason


class SuitePlugin:
    """Collects outcomes and failure causes."""

    def __init__(self):
        self.outcomes = Counter()
        self.causes = Counter()
        self.lines = []

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            if report.outcome == "failed":
                cause, reason = classify(report)
                self.causes[cause] += 1
                self.lines.append(f"{cause}\t{report.nodeid}\t{reason}")
            self.outcomes[report.outcome] += 1


def _test_files() -> list[str]:
    import sklearn

    here = os.path.join(os.path.dirname(sklearn.__file__), "linear_model", "tests")
    return [os.path.join(here, "test_ridge.py"), os.path.join(here, "test_logistic.py")]


def run(argv: list[str] | None = None, out: str = "sklearn_suite_report.txt") -> dict:
    """Run the suite; write the per-test list to ``out``; return the counts."""
    argv = list(argv or [])
    _swap()
    plugin = SuitePlugin()
    files = _test_files()
    # scikit-learn's fixtures (``global_random_seed``, ...) live in
    # ``sklearn/conftest.py``.  pytest loads conftest files only from the
    # confcutdir down, and without an explicit one that is the rootdir, which it
    # derives from the invocation directory and the test paths: when the checkout
    # and the environment share no ancestor it is ``sklearn/linear_model/tests``
    # and the conftest is skipped (564 "fixture not found" errors).  Anchor both
    # at the directory holding the ``sklearn`` package, so the conftest always
    # loads and node ids read ``sklearn/linear_model/tests/...`` everywhere.
    site = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(files[0]))))
    args = [
        *files,
        "-q",
        "-p",
        "no:cacheprovider",
        "-o",
        "addopts=",
        f"--rootdir={site}",
        f"--confcutdir={site}",
        *argv,
    ]
    code = pytest.main(args, plugins=[plugin])
    with open(out, "w") as fh:
        fh.write("\n".join(sorted(plugin.lines)) + "\n")
    counts = dict(plugin.outcomes)
    print(
        f"\nsklearn_suite: {counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed, "
        f"{counts.get('skipped', 0)} skipped (pytest exit code {int(code)})"
    )
    for cause in ("sklearn-only", "api", "numerical", "crash", "runner"):
        print(f"  {cause:13s} {plugin.causes.get(cause, 0)}")
    print(f"per-test causes: {out}")
    return {"outcomes": counts, "causes": dict(plugin.causes)}


def main() -> None:
    argv = sys.argv[1:]
    out = "sklearn_suite_report.txt"
    if "--out" in argv:
        i = argv.index("--out")
        out = argv[i + 1]
        del argv[i : i + 2]
    run(argv, out)


if __name__ == "__main__":
    main()
