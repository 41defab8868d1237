"""fastridge: certified ridge regression on large sparse matrices, with Numba kernels."""

from __future__ import annotations

from ._api import ridge
from ._estimators import Ridge
from ._result import FitResult

__version__ = "0.1.0"

__all__ = ["FitResult", "Ridge", "__version__", "ridge"]
