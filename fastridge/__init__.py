"""fastridge: certified ridge regression on large sparse matrices, with Numba kernels.

The estimators (:class:`Ridge`) import scikit-learn, which takes about a
second; they are loaded on first access so that ``import fastridge`` and the
functional API stay fast.
"""

from __future__ import annotations

from ._api import ridge
from ._result import FitResult

__version__ = "0.1.0"

_LAZY = {"Ridge": "._estimators"}

__all__ = ["FitResult", "Ridge", "__version__", "ridge"]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fastridge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
