"""fastridge: certified ridge regression on large sparse matrices, with Numba kernels.

The estimators (:class:`Ridge`) import scikit-learn, which takes about a
second; they are loaded on first access so that ``import fastridge`` and the
functional API stay fast.
"""

from __future__ import annotations

import os

# Numba's OpenMP threading layer spin-waits between parallel regions by
# default.  On a machine with more runnable threads than cores (a loaded CI
# box, two processes fitting at once) a spinning thread holds the core its
# partner needs and a 2-thread CG iteration on a9a went from 1.6 ms to 35 ms.
# PASSIVE sleeps instead; it must be set before the OpenMP runtime starts, and
# a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ._fit.logistic import logistic
from ._fit.results import FitResult
from ._fit.ridge import ridge
from ._paths.results import CVResult, PathResult

__version__ = "0.1.0"

_LAZY = {
    "LogisticRegression": "._estimators.classifiers",
    "LogisticRegressionCV": "._estimators.logistic_cv",
    "Ridge": "._estimators.ridge",
    "RidgeCV": "._estimators.ridge_cv",
    "RidgeClassifier": "._estimators.classifiers",
    "logistic_path": "._paths.logistic",
    "ridge_lams": "._paths.ridge_grid",
    "ridge_path": "._paths.ridge",
}

__all__ = [
    "CVResult",
    "FitResult",
    "LogisticRegression",
    "LogisticRegressionCV",
    "PathResult",
    "Ridge",
    "RidgeCV",
    "RidgeClassifier",
    "__version__",
    "logistic",
    "logistic_path",
    "ridge",
    "ridge_lams",
    "ridge_path",
]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fastridge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
